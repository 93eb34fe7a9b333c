import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, exchange, MemoryLog, parseResponses, RawClient, serve, sleep } from './helpers.js'

afterEach(closeAll)

/** Answers every GET with `<path>\n` and a Content-Length. */
function pathEcho(protocolVersion: string, seen: string[] = []) {
  return class PathEcho extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()
    override protocolVersion = protocolVersion

    async doGET(): Promise<void> {
      seen.push(this.path)
      const body = Buffer.from(`${this.path}\n`)
      this.sendResponse(200)
      this.sendHeader('Content-Type', 'text/plain')
      this.sendHeader('Content-Length', body.length)
      this.endHeaders()
      await this.wfile.write(body)
    }
  }
}

describe('HTTP/0.9', () => {
  it('answers a simple GET with the body only, then closes', async () => {
    const { port } = await serve(pathEcho('HTTP/1.0'))
    const client = await exchange(port, 'GET /path\r\n')
    expect(client.closed).toBe(true)
    expect(client.text).toBe('/path\n')
  })
})

describe('keep-alive', () => {
  it('closes after one response under HTTP/1.0 (the default), even for an HTTP/1.1 client', async () => {
    const { port } = await serve(pathEcho('HTTP/1.0'))
    const client = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n')
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => [r.version, r.body.toString()])).toEqual([['HTTP/1.0', '/a\n']])
  })

  it('keeps the connection for HTTP/1.1 clients under HTTP/1.1', async () => {
    const served = await serve(pathEcho('HTTP/1.1'))
    const client = await RawClient.connect(served.port)
    await client.send('GET /a HTTP/1.1\r\nHost: x\r\n\r\n')
    const [first] = await client.responses(1)
    expect(first?.body.toString()).toBe('/a\n')
    expect(first?.header('Connection')).toBeUndefined()
    await client.send('GET /b HTTP/1.1\r\nHost: x\r\n\r\n')
    const [, second] = await client.responses(2)
    expect(second?.body.toString()).toBe('/b\n')
    expect(client.closed).toBe(false)
    expect(served.connections).toBe(1)
  })

  it('closes after a request with Connection: close', async () => {
    const { port } = await serve(pathEcho('HTTP/1.1'))
    const client = await exchange(
      port,
      'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n',
    )
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['/a\n'])
  })

  it('keeps an HTTP/1.0 client that sends Connection: keep-alive under HTTP/1.1', async () => {
    const { port } = await serve(pathEcho('HTTP/1.1'))
    const client = await RawClient.connect(port)
    await client.send('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
    await client.responses(1)
    await client.send('GET /b HTTP/1.0\r\n\r\n')
    const responses = await client.responses(2)
    expect(responses.map((r) => r.body.toString())).toEqual(['/a\n', '/b\n'])
    // The second request did not ask to be kept, so that one ends the connection.
    await client.whenClosed
  })

  it('closes on an HTTP/1.0 client with Connection: keep-alive under HTTP/1.0', async () => {
    const { port } = await serve(pathEcho('HTTP/1.0'))
    const client = await exchange(port, 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n')
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['/a\n'])
  })

  it('adds Connection: close to an HTTP/1.1 response without a length, and closes', async () => {
    class NoLength extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Type', 'text/plain')
        this.endHeaders()
        await this.wfile.write('until the end\n')
      }
    }
    const { port } = await serve(NoLength)
    const client = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /again HTTP/1.1\r\nHost: x\r\n\r\n')
    const responses = parseResponses(client.data, [], true)
    expect(responses).toHaveLength(1)
    expect(responses[0]?.header('Connection')).toBe('close')
    expect(responses[0]?.body.toString()).toBe('until the end\n')
  })

  it('still answers a client that half-closes after sending its request', async () => {
    class Slow extends pathEcho('HTTP/1.1') {
      override async doGET(): Promise<void> {
        // Answer after the client's FIN has been seen, not in the same tick as its request.
        await sleep(50)
        await super.doGET()
      }
    }
    const { port } = await serve(Slow)
    const client = await RawClient.connect(port)
    // `nc -N` and shutdown(SHUT_WR) clients send FIN right after the request.
    client.socket.end('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n')
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['/a\n', '/b\n'])
  })
})

describe('the request-target', () => {
  it("collapses a leading // so '//evil.example/x' is the path '/evil.example/x' (gh-87389)", async () => {
    const seen: string[] = []
    const { port } = await serve(pathEcho('HTTP/1.0', seen))
    await exchange(port, 'GET //evil.example/x HTTP/1.0\r\n\r\n')
    await exchange(port, 'GET ///a//b?q=//c HTTP/1.0\r\n\r\n')
    expect(seen).toEqual(['/evil.example/x', '/a//b?q=//c'])
  })
})
