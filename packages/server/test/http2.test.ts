import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as connectHTTP2, constants } from 'node:http2'
import type { ClientHttp2Session } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { isSimpleHTTPError } from '../src/index.js'
import type { HTTP2Options, HTTPServer } from '../src/index.js'
import { EchoHandler, body, getTLS, listening, makeServer, openTLS, readAll, until } from './helpers.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'simplehttp-http2-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** `/slow` requests the server has begun. */
let slowStarted = 0

/** Answers every HTTP/2 request with its path; a `/slow` request waits 200 ms first. */
const echoPath: HTTP2Options['onRequest'] = (request, response) => {
  const answer = (): void => {
    response.setHeader('content-type', 'text/plain')
    response.end(`h2 ${request.url}`)
  }
  if (request.url === '/slow') {
    slowStarted++
    setTimeout(answer, 200)
  } else answer()
}

async function h2Server(http2: Partial<HTTP2Options> = {}): Promise<{ server: HTTPServer; ca: string }> {
  const server = await listening(EchoHandler, { tls: { selfSigned: { hosts: ['localhost', '127.0.0.1'] } }, http2: { onRequest: echoPath, ...http2 } })
  const ca = join(dir, `ca-${String(server.serverPort)}.pem`)
  writeFileSync(ca, server.selfSignedCertificate?.cert ?? '')
  return { server, ca }
}

function request(session: ClientHttp2Session, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path })
    let text = ''
    let status = 0
    stream.on('response', (headers) => {
      status = Number(headers[':status'])
    })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
    })
    stream.on('end', () => {
      resolve({ status, text })
    })
    stream.on('error', reject)
  })
}

describe('HTTP/2 over TLS (ALPN h2)', () => {
  it('speaks HTTP/2 to Node’s http2 client, many streams on one connection', async () => {
    const { server, ca } = await h2Server()
    const session = connectHTTP2(`https://localhost:${server.serverPort}`, { ca: [readFileSync(ca)] })
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => request(session, `/file-${String(i)}`)))
    expect(answers.map((a) => a.text)).toEqual(Array.from({ length: 50 }, (_, i) => `h2 /file-${String(i)}`))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(server.connectionCount).toBe(1)
    session.close()
    await until(() => server.connectionCount === 0)
  })

  it('gives curl --http2 HTTP/2 and curl --http1.1 the HTTP/1.1 handler, on the same port', async () => {
    const { server, ca } = await h2Server()
    const url = `https://localhost:${server.serverPort}/x`
    const h2 = await run('curl', ['-sS', '--http2', '--cacert', ca, '-w', '\n%{http_version}', url])
    expect(h2.stdout).toBe('h2 /x\n2')
    const h1 = await run('curl', ['-sS', '--http1.1', '--cacert', ca, '-w', '\n%{http_version}', url])
    expect(h1.stdout).toMatch(/127\.0\.0\.1[\s\S]*\n1(\.[01])?$/)
    // A client that offers only http/1.1 by ALPN still gets it.
    const { alpn, text } = await getTLS(server.serverPort)
    expect(alpn).toBe('h2') // getTLS offers h2 first…
    expect(text).not.toContain('127.0.0.1') // …so it gets HTTP/2 framing, not the HTTP/1.1 echo
  })

  it('cuts a client that resets streams faster than any browser would (rapid reset, CVE-2023-44487)', async () => {
    let seen = 0
    const { server, ca } = await h2Server({
      maxResetsPerSecond: 50,
      onRequest: (request, response) => {
        seen += 1
        echoPath(request, response)
      },
    })
    const trust = { ca: [readFileSync(ca)] }
    const session = connectHTTP2(`https://localhost:${server.serverPort}`, trust)
    session.on('error', () => undefined)
    await request(session, '/warm-up')
    expect(server.connectionCount).toBe(1)
    // Open and cancel streams as fast as the client can, in bursts, for up to 2,000 streams.
    for (let i = 0; i < 2000 && server.connectionCount > 0; i++) {
      const stream = session.request({ ':path': '/slow' })
      stream.on('error', () => undefined)
      stream.close(constants.NGHTTP2_CANCEL)
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    // The server hung up on it (Node's client may not notice a peer that just vanishes, so the
    // server's own count is the witness), well before it had served every stream.
    await until(() => server.connectionCount === 0)
    expect(seen).toBeLessThan(500)
    session.destroy()
    // The server itself is unharmed: a new connection is served.
    const fresh = connectHTTP2(`https://localhost:${server.serverPort}`, trust)
    expect((await request(fresh, '/after')).text).toBe('h2 /after')
    fresh.close()
  })

  it('closes a connection that finishes the TLS handshake but never sends its HTTP/2 preface', async () => {
    const { server } = await h2Server({ settingsTimeout: 300 })
    const client = await openTLS(server.serverPort, ['h2'])
    expect(client.tls.alpnProtocol).toBe('h2')
    await readAll(client) // resolves when the server closes it
    await until(() => server.connectionCount === 0)
  })

  it('lets a stream in flight finish on shutdown, then closes the session', async () => {
    const { server, ca } = await h2Server()
    const session = connectHTTP2(`https://localhost:${server.serverPort}`, { ca: [readFileSync(ca)] })
    session.on('error', () => undefined)
    await request(session, '/first')
    const startedBefore = slowStarted
    const slow = request(session, '/slow')
    // In flight means the server has it: shutting down before it arrives would refuse it.
    await until(() => slowStarted > startedBefore)
    const stopped = server.shutdown()
    expect((await slow).text).toBe('h2 /slow')
    await stopped
    expect(server.connectionCount).toBe(0)
  })

  it('is refused without TLS, saying why', () => {
    let caught: unknown
    try {
      makeServer({ host: '127.0.0.1', port: 0 }, EchoHandler, { http2: { onRequest: echoPath } })
    } catch (error) {
      caught = error
    }
    expect(isSimpleHTTPError(caught) && caught.code).toBe('SH_ERR_SERVER_INVALID_OPTION')
    expect((caught as Error).message).toContain('HTTP/2 needs TLS')
  })

  it('keeps plain HTTP/1.1 over TLS working for clients that offer only http/1.1', async () => {
    const { server } = await h2Server()
    const client = await openTLS(server.serverPort, ['http/1.1'])
    const all = readAll(client)
    await client.send('GET / HTTP/1.0\r\n\r\n')
    expect(body(await all)).toContain('127.0.0.1')
  })
})
