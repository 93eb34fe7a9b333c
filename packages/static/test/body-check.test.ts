/**
 * Issue 11 §1 on the static handler: a request body it never reads is still judged before the
 * file, listing or 501 goes out. Broken chunked framing is CPython's 400 page and a close.
 */
import { RawClient } from '@simplehttp/test-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler } from '../src/index.js'
import { LogCapture, makeFixture, parseResponse, startHandler, type Fixture, type RawResponse, type RunningServer } from './helpers.js'

/** Chunked bodies every strict peer refuses (the list of issue 11 §1). */
const BROKEN_CHUNKED_BODIES: readonly (readonly [title: string, body: string])[] = [
  ['size with 0x', '0x5\r\nhello\r\n0\r\n\r\n'],
  ['size with +', '+5\r\nhello\r\n0\r\n\r\n'],
  ['negative size', '-1\r\nhello\r\n0\r\n\r\n'],
  ['size with an underscore', '0_2e\r\nhello\r\n0\r\n\r\n'],
  ['non-hex size', 'g\r\nhello\r\n0\r\n\r\n'],
  ['empty size', '\r\nhello\r\n0\r\n\r\n'],
  ['size then bare LF', '5\nhello\r\n0\r\n\r\n'],
  ['size then bare CR', '5\rhello\r\n0\r\n\r\n'],
  ['NUL in the extension', '5;a=b\x00c\r\nhello\r\n0\r\n\r\n'],
  ['data longer than its size', '5\r\nhelloXX\r\n0\r\n\r\n'],
  ['data not followed by CRLF', '5\r\nhello\n0\r\n\r\n'],
  ['extension without a ;', '5 a=b\r\nhello\r\n0\r\n\r\n'],
  ['extension with an unclosed quote', '5;a="b\r\nhello\r\n0\r\n\r\n'],
]

let fx: Fixture
const logs = new LogCapture()
const running: RunningServer[] = []

beforeAll(async () => {
  fx = await makeFixture()
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(async () => {
  await fx.cleanup()
})

async function start(protocolVersion: string): Promise<number> {
  const Base = SimpleHTTPRequestHandler.withOptions({ directory: fx.root })
  const s = await startHandler(
    class extends Base {
      override protocolVersion = protocolVersion
      override logStream = logs
    },
  )
  running.push(s)
  return s.port
}

/** Send `parts` (paced, on the shared test client), optionally half-close, read until the server closes. */
async function exchange(port: number, parts: readonly string[], end = false): Promise<Buffer> {
  const client = await RawClient.connect(port)
  for (const [i, part] of parts.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 30))
    await client.send(part)
  }
  if (end) client.socket.end()
  return client.untilClosed()
}

/** The only response in `data`, framed for `method`: parseResponse throws if anything (a second answer) follows it. */
function only(data: Buffer, method = 'GET'): RawResponse {
  return parseResponse(data, method)
}

function head(method: string, target: string, version: string, framing = 'Transfer-Encoding: chunked'): string {
  return `${method} ${target} ${version}\r\nHost: x\r\n${framing}\r\n\r\n`
}

for (const protocol of ['HTTP/1.0', 'HTTP/1.1']) {
  describe(`SimpleHTTPRequestHandler, protocolVersion ${protocol}`, () => {
    for (const [method, target] of [
      ['GET', '/hello.txt'],
      ['GET', '/big.bin'],
      ['GET', '/dir/'],
      ['HEAD', '/hello.txt'],
      ['POST', '/hello.txt'],
      ['PUT', '/hello.txt'],
    ] as const) {
      it(`${method} ${target} with a broken chunked body: 400 and a close, never the file or a 501`, async () => {
        const port = await start(protocol)
        for (const [title, body] of BROKEN_CHUNKED_BODIES) {
          const response = only(await exchange(port, [head(method, target, 'HTTP/1.1') + body]), method)
          expect(response.status, title).toBe(400)
          expect(response.header('Connection')).toBe('close')
          expect(response.header('Content-Type')).toBe('text/html;charset=utf-8')
        }
      })
    }

    it('the answer waits for a late body: broken after a pause is still a 400', async () => {
      const port = await start(protocol)
      const response = only(await exchange(port, [head('GET', '/big.bin', 'HTTP/1.1') + '5\r\nhello\r\n', '-1\r\n\r\n']))
      expect(response.status).toBe(400)
    })

    it('a missing last chunk at EOF is a 400', async () => {
      const port = await start(protocol)
      const response = only(await exchange(port, [head('GET', '/hello.txt', 'HTTP/1.1') + '5\r\nhello\r\n'], true))
      expect(response.status).toBe(400)
    })

    it('a well-formed late body: the whole file follows it, byte for byte', async () => {
      const port = await start(protocol)
      const response = only(
        await exchange(port, [
          head('GET', '/big.bin', 'HTTP/1.1', 'Transfer-Encoding: chunked\r\nConnection: close') + '5\r\nhel',
          'lo\r\n0\r\n\r\n',
        ]),
      )
      expect(response.status).toBe(200)
      expect(response.body.equals(fx.big)).toBe(true)
    })

    it('POST with a well-formed body: 501 once it has arrived', async () => {
      const port = await start(protocol)
      const response = only(await exchange(port, [head('POST', '/hello.txt', 'HTTP/1.1') + '5\r\nhel', 'lo\r\n0\r\n\r\n']))
      expect(response.status).toBe(501)
      expect(response.reason).toBe("Unsupported method ('POST')")
    })

    it('PUT with a Content-Length past the bound: 501 with Connection: close, without waiting for the body', async () => {
      const port = await start(protocol)
      const response = only(await exchange(port, [head('PUT', '/hello.txt', 'HTTP/1.1', `Content-Length: ${8 * 1024 * 1024}`)]))
      expect(response.status).toBe(501)
      expect(response.header('Connection')).toBe('close')
    })
  })
}
