import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, cpythonErrorPage, exchange, MemoryLog, parseResponses, serve, type RawResponse } from './helpers.js'

afterEach(closeAll)

function makeHandler(log = new MemoryLog()) {
  return class Hello extends BaseHTTPRequestHandler {
    override logStream = log

    async doGET(): Promise<void> {
      this.sendResponse(200)
      this.sendHeader('Content-Length', 3)
      this.endHeaders()
      await this.wfile.write('ok\n')
    }
  }
}

/** Send `bytes`, expect exactly one CPython error response, then the connection closed. */
async function expectError(
  bytes: string,
  code: number,
  reason: string,
  explain: string,
  Handler: ReturnType<typeof makeHandler> = makeHandler(),
): Promise<RawResponse> {
  const { port } = await serve(Handler)
  const client = await exchange(port, bytes)
  expect(client.closed).toBe(true)
  const responses = parseResponses(client.data, [], true)
  expect(responses).toHaveLength(1)
  const response = responses[0] as RawResponse
  // A real status line, even for request-line errors (CPython answers those without one).
  expect(response.version).toBe('HTTP/1.0')
  expect(response.status).toBe(code)
  expect(response.reason).toBe(reason)
  expect(response.header('Connection')).toBe('close')
  expect(response.header('Content-Type')).toBe('text/html;charset=utf-8')
  const page = cpythonErrorPage(code, reason, explain)
  expect(response.body.toString('utf8')).toBe(page)
  expect(response.header('Content-Length')).toBe(String(Buffer.byteLength(page)))
  return response
}

describe('parse errors on the wire', () => {
  it('answers a request line with too many words with 400 Bad request syntax', async () => {
    await expectError(
      'GET / / HTTP/1.1\r\nHost: x\r\n\r\n',
      400,
      "Bad request syntax ('GET / / HTTP/1.1')",
      'Bad request syntax or unsupported method',
    )
  })

  it('answers a malformed version with 400 Bad request version', async () => {
    await expectError(
      'GET / HTTP/1\r\nHost: x\r\n\r\n',
      400,
      "Bad request version ('HTTP/1')",
      'Bad request syntax or unsupported method',
    )
  })

  it('answers HTTP/2.0 with 505 Invalid HTTP version and a real HTTP/1.x status line', async () => {
    const response = await expectError(
      'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
      505,
      'Invalid HTTP version (2.0)',
      'Cannot fulfill request',
    )
    expect(response.head.startsWith('HTTP/1.0 505 Invalid HTTP version (2.0)\r\n')).toBe(true)
  })

  it('answers a 70,000-byte request line with 414 URI Too Long', async () => {
    await expectError(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI Too Long', 'URI is too long')
  })

  it('answers a 70,000-byte header line with 431 Line too long', async () => {
    await expectError(
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(70_000)}\r\n\r\n`,
      431,
      'Line too long',
      'got more than 65536 bytes when reading header line',
    )
  })

  it('answers 101 header fields with 431 Too many headers', async () => {
    const fields = Array.from({ length: 101 }, (_, i) => `X-F${i}: ${i}\r\n`).join('')
    await expectError(`GET / HTTP/1.1\r\n${fields}\r\n`, 431, 'Too many headers', 'got more than 100 headers')
  })

  it('accepts exactly 100 header fields', async () => {
    const { port } = await serve(makeHandler())
    const fields = Array.from({ length: 100 }, (_, i) => `X-F${i}: ${i}\r\n`).join('')
    const client = await exchange(port, `GET / HTTP/1.1\r\n${fields}\r\n`)
    const [response] = parseResponses(client.data, [], true)
    expect(response?.status).toBe(200)
    expect(response?.body.toString()).toBe('ok\n')
  })

  it('answers an HTTP/0.9 POST with 400 Bad HTTP/0.9 request type', async () => {
    await expectError('POST /x\r\n', 400, "Bad HTTP/0.9 request type ('POST')", 'Bad request syntax or unsupported method')
  })

  it('answers a method without a do<METHOD> with 501 Unsupported method', async () => {
    await expectError(
      'SPAM / HTTP/1.1\r\nHost: x\r\n\r\n',
      501,
      "Unsupported method ('SPAM')",
      'Server does not support this operation',
    )
  })

  it('refuses Content-Length together with Transfer-Encoding (request smuggling) with 400', async () => {
    await expectError(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'Bad Request',
      'Bad request syntax or unsupported method',
    )
  })

  it('HTML-escapes the message and the explanation on the page', async () => {
    class Escaping extends makeHandler() {
      override doGET(): Promise<void> {
        this.sendError(404, 'No <b> & such', 'a < b > c')
        return Promise.resolve()
      }
    }
    await expectError('GET / HTTP/1.0\r\n\r\n', 404, 'No <b> & such', 'a < b > c', Escaping)
  })
})

describe('sendError without a body', () => {
  it('sends the headers of an error page but no body to HEAD', async () => {
    class Missing extends makeHandler() {
      doHEAD(): void {
        this.sendError(404, 'File not found')
      }
    }
    const { port } = await serve(Missing)
    const client = await exchange(port, 'HEAD /missing HTTP/1.0\r\n\r\n')
    const text = client.text
    expect(text.startsWith('HTTP/1.0 404 File not found\r\n')).toBe(true)
    expect(text.endsWith('\r\n\r\n')).toBe(true)
    const [response] = parseResponses(client.data, ['HEAD'], true)
    expect(response?.header('Content-Type')).toBe('text/html;charset=utf-8')
    // The length of the page a GET would get, as CPython sends it.
    const page = cpythonErrorPage(404, 'File not found', 'Nothing matches the given URI')
    expect(response?.header('Content-Length')).toBe(String(Buffer.byteLength(page)))
  })

  it.each([204, 304])('sends no body and no Content-Type for sendError(%i)', async (code) => {
    class Bodiless extends makeHandler() {
      override doGET(): Promise<void> {
        this.sendError(code)
        return Promise.resolve()
      }
    }
    const { port } = await serve(Bodiless)
    const client = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
    const responses = parseResponses(client.data, [], true)
    expect(responses).toHaveLength(1)
    const response = responses[0] as RawResponse
    expect(response.status).toBe(code)
    expect(response.body).toHaveLength(0)
    expect(client.text.endsWith('\r\n\r\n')).toBe(true)
    expect(response.header('Content-Type')).toBeUndefined()
    expect(response.header('Content-Length')).toBeUndefined()
    expect(response.header('Connection')).toBe('close')
  })
})
