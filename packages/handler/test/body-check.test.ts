/**
 * Issue 11 §1: a request whose body the handler does not read is still judged whole before it is
 * answered. Broken chunked framing gets CPython's 400 page and a close, never the handler's 200
 * or the missing method's 501; a body past the bound is answered with `Connection: close`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, cpythonErrorPage, MemoryLog, parseResponses, RawClient, serve, sleep, type RawResponse } from './helpers.js'

afterEach(closeAll)

/** Chunked bodies every strict peer (llhttp, nginx) refuses, as the issue lists them. */
const BROKEN_CHUNKED_BODIES: readonly (readonly [title: string, body: string])[] = [
  ['size with 0x', '0x5\r\nhello\r\n0\r\n\r\n'],
  ['size with +', '+5\r\nhello\r\n0\r\n\r\n'],
  ['negative size', '-1\r\nhello\r\n0\r\n\r\n'],
  ['size with an underscore', '0_2e\r\nhello\r\n0\r\n\r\n'],
  ['non-hex size', 'g\r\nhello\r\n0\r\n\r\n'],
  ['empty size', '\r\nhello\r\n0\r\n\r\n'],
  ['size then bare LF', '5\nhello\r\n0\r\n\r\n'],
  ['size then bare CR', '5\rhello\r\n0\r\n\r\n'],
  ['size then NUL', '5\x00\r\nhello\r\n0\r\n\r\n'],
  ['NUL in the extension', '5;a=b\x00c\r\nhello\r\n0\r\n\r\n'],
  ['bare LF in the extension', '5;a=b\nhello\r\n0\r\n\r\n'],
  ['bare CR in the extension', '5;a=b\rc\r\nhello\r\n0\r\n\r\n'],
  ['data longer than its size', '5\r\nhelloXX\r\n0\r\n\r\n'],
  ['data not followed by CRLF', '5\r\nhello\n0\r\n\r\n'],
  ['extension without a ;', '5 a=b\r\nhello\r\n0\r\n\r\n'],
  ['extension with an unclosed quote', '5;a="b\r\nhello\r\n0\r\n\r\n'],
  ['extension with a stray quote', '5;a=b"\r\nhello\r\n0\r\n\r\n'],
]

/** The base handler: a GET that never reads the body; no doPOST, no doPUT. */
function makeHandler(protocolVersion: string, log = new MemoryLog()) {
  return class Hello extends BaseHTTPRequestHandler {
    override logStream = log
    override protocolVersion = protocolVersion

    async doGET(): Promise<void> {
      this.sendResponse(200)
      this.sendHeader('Content-Length', 3)
      this.endHeaders()
      await this.wfile.write('ok\n')
    }
  }
}

function head(method: string, version: string, framing = 'Transfer-Encoding: chunked'): string {
  return `${method} / ${version}\r\nHost: x\r\n${framing}\r\n\r\n`
}

/** Exactly one response, and the connection closed after it. */
async function only(client: Pick<RawClient, 'untilClosed' | 'data'>, method: string): Promise<RawResponse> {
  await client.untilClosed()
  const responses = parseResponses(client.data, [method], true)
  expect(responses).toHaveLength(1)
  return responses[0] as RawResponse
}

function expectBadRequest(response: RawResponse): void {
  expect(response.status).toBe(400)
  expect(response.header('Connection')).toBe('close')
  expect(response.header('Content-Type')).toBe('text/html;charset=utf-8')
  expect(response.body.toString('utf8')).toBe(cpythonErrorPage(400, response.reason, 'Bad request syntax or unsupported method'))
}

for (const protocol of ['HTTP/1.0', 'HTTP/1.1']) {
  describe(`broken chunked bodies, protocolVersion ${protocol}`, () => {
    for (const version of ['HTTP/1.0', 'HTTP/1.1']) {
      for (const method of ['GET', 'POST', 'PUT']) {
        it(`${method} ${version}: every broken body is a 400 and a close, never a 200 or 501`, async () => {
          const log = new MemoryLog()
          const { port } = await serve(makeHandler(protocol, log))
          for (const [title, body] of BROKEN_CHUNKED_BODIES) {
            const client = await RawClient.connect(port)
            await client.send(head(method, version) + body)
            const response = await only(client, method)
            expect(response.status, title).toBe(400)
            expectBadRequest(response)
          }
          expect(log.text).toContain('code 400')
        })
      }
    }

    it('a missing last chunk at EOF (client half-closes) is a 400', async () => {
      const { port } = await serve(makeHandler(protocol))
      for (const method of ['GET', 'POST']) {
        const client = await RawClient.connect(port)
        await client.send(head(method, 'HTTP/1.1') + '5\r\nhello\r\n')
        client.socket.end()
        expectBadRequest(await only(client, method))
      }
    })
  })
}

describe('the response waits for the body', () => {
  it('a body that breaks after the handler answered still gets the 400, not the 200', async () => {
    const { port } = await serve(makeHandler('HTTP/1.1'))
    const client = await RawClient.connect(port)
    await client.send(head('GET', 'HTTP/1.1') + '5\r\nhello\r\n')
    await sleep(50) // the handler has run by now; its 200 must still be held
    await client.send('0x5\r\nhello\r\n0\r\n\r\n')
    expectBadRequest(await only(client, 'GET'))
  })

  it('a well-formed body sent late: the 200 follows it, and the connection is kept', async () => {
    const { port } = await serve(makeHandler('HTTP/1.1'))
    const client = await RawClient.connect(port)
    await client.send(head('GET', 'HTTP/1.1') + '5\r\nhel')
    await sleep(50)
    await client.send('lo\r\n0\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n')
    const [first, second] = await client.responses(2, ['GET', 'GET'])
    expect(first?.status).toBe(200)
    expect(first?.header('Connection')).toBeUndefined()
    expect(second?.status).toBe(200)
  })

  for (const method of ['POST', 'PUT']) {
    it(`${method} without do${method}: 501 once the body has arrived well-formed`, async () => {
      const { port } = await serve(makeHandler('HTTP/1.1'))
      const client = await RawClient.connect(port)
      await client.send(head(method, 'HTTP/1.1') + '5\r\nhel')
      await sleep(50)
      await client.send('lo\r\n0\r\n\r\n')
      const response = await only(client, method)
      expect(response.status).toBe(501)
      expect(response.reason).toBe(`Unsupported method ('${method}')`)
    })

    it(`${method} without do${method} and a Content-Length past the bound: 501 with Connection: close at once`, async () => {
      const { port } = await serve(makeHandler('HTTP/1.1'))
      const client = await RawClient.connect(port)
      await client.send(head(method, 'HTTP/1.1', `Content-Length: ${2 * 1024 * 1024}`) + 'x'.repeat(100))
      const response = await only(client, method)
      expect(response.status).toBe(501)
      expect(response.header('Connection')).toBe('close')
    })
  }

  it('a chunked body past the bound: the answer goes out with Connection: close, then the connection closes', async () => {
    const log = new MemoryLog()
    class Small extends makeHandler('HTTP/1.1', log) {
      override bodyCheckLimit = 64 * 1024
    }
    const { port } = await serve(Small)
    const client = await RawClient.connect(port)
    const chunk = `4000\r\n${'a'.repeat(0x4000)}\r\n`
    await client.send(head('GET', 'HTTP/1.1') + chunk.repeat(6)) // 96 KiB, no last chunk
    const response = await only(client, 'GET')
    expect(response.status).toBe(200)
    expect(response.header('Connection')).toBe('close')
    expect(response.body.toString()).toBe('ok\n')
  })

  it('a Content-Length body the handler never reads is checked too: short at EOF is a 400', async () => {
    const { port } = await serve(makeHandler('HTTP/1.0'))
    const client = await RawClient.connect(port)
    await client.send(head('GET', 'HTTP/1.0', 'Content-Length: 10') + 'short')
    client.socket.end()
    expectBadRequest(await only(client, 'GET'))
  })

  it('a handler may still read a body after the check held its answer', async () => {
    class LateReader extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'
      async doPOST(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Transfer-Encoding', 'chunked')
        this.endHeaders()
        this.flushHeaders()
        const body = await this.rfile.read()
        await this.wfile.write(`${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`)
      }
    }
    const { port } = await serve(LateReader)
    const client = await RawClient.connect(port)
    await client.send(head('POST', 'HTTP/1.1') + '5\r\nhel')
    await sleep(50)
    await client.send('lo\r\n0\r\n\r\n')
    await client.waitFor(() => client.text.endsWith('0\r\n\r\n'))
    expect(client.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n5\r\nhello\r\n0\r\n\r\n$/)
  })
})
