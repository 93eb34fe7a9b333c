/**
 * Issue 11 §3: a counterpart for every request-line test of CPython's `test_httpservers.py`
 * (BaseHTTPServerTestCase and BaseHTTPRequestHandlerTestCase), sent as the exact bytes its
 * `http.client` puts on the wire (`putrequest` joins method, target and version with single
 * spaces, so an empty version leaves a trailing space). Where we are stricter than CPython the
 * test says so; the wording of every refusal is CPython's.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, cpythonErrorPage, exchange, MemoryLog, parseResponses, serve, type HandlerClass, type RawResponse } from './helpers.js'

afterEach(closeAll)

/** The request `http.client` sends for `putrequest(method, '/')` with `_http_vsn_str = version`. */
function clientRequest(method: string, version: string, extra = ''): string {
  return `${method} / ${version}\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n${extra}\r\n`
}

/** BaseHTTPServerTestCase's handler: HTTP/1.1, no doGET, a doTEST. */
function cpythonTestHandler(calls: string[] = []) {
  return class RequestHandler extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()
    override protocolVersion = 'HTTP/1.1'

    doTEST(): void {
      calls.push('TEST')
      this.sendResponse(204)
      this.sendHeader('Content-Type', 'text/html')
      this.sendHeader('Connection', 'close')
      this.endHeaders()
    }
  }
}

/** Send `bytes`, read until the server closes, return the one response. */
async function answer(bytes: string, Handler: HandlerClass = cpythonTestHandler(), method = 'GET'): Promise<RawResponse> {
  const { port } = await serve(Handler)
  const client = await exchange(port, bytes)
  const responses = parseResponses(client.data, [method], true)
  expect(responses).toHaveLength(1)
  return responses[0] as RawResponse
}

async function expectRefusal(bytes: string, status: number, reason: string): Promise<void> {
  const response = await answer(bytes)
  expect(response.status).toBe(status)
  expect(response.reason).toBe(reason)
  expect(response.header('Connection')).toBe('close')
}

describe("CPython's BaseHTTPServerTestCase, request line", () => {
  it('test_command: GET without doGET is 501', async () => {
    const response = await answer(clientRequest('GET', 'HTTP/1.1'))
    expect(response.status).toBe(501)
    expect(response.reason).toBe("Unsupported method ('GET')")
  })

  it('test_request_line_trimming: a line end of bare LF is stripped (501 for XYZBOGUS); mixed with CRLF we refuse', async () => {
    // A head all in bare LF reads one way only: the method is XYZBOGUS, as in CPython.
    const trimmed = await answer('XYZBOGUS / HTTP/1.1\nHost: 127.0.0.1\n\n', cpythonTestHandler(), 'XYZBOGUS')
    expect(trimmed.status).toBe(501)
    expect(trimmed.reason).toBe("Unsupported method ('XYZBOGUS')")
    // Stricter than CPython: http.client's exact bytes (`HTTP/1.1\n` then CRLF lines) mix line
    // ends in one head, which parsers read differently: 400 and a close, never a 501.
    await expectRefusal(clientRequest('XYZBOGUS', 'HTTP/1.1\n'), 400, 'Bad Request')
  })

  it('test_version_bogus: GET / FUBAR is 400 Bad request version', async () => {
    await expectRefusal(clientRequest('GET', 'FUBAR'), 400, "Bad request version ('FUBAR')")
  })

  it('test_version_digits: HTTP/9.9.9 is 400', async () => {
    await expectRefusal(clientRequest('GET', 'HTTP/9.9.9'), 400, "Bad request version ('HTTP/9.9.9')")
  })

  it('test_version_signs_and_underscores: HTTP/-9_9_9.+9_9_9 is 400', async () => {
    await expectRefusal(clientRequest('GET', 'HTTP/-9_9_9.+9_9_9'), 400, "Bad request version ('HTTP/-9_9_9.+9_9_9')")
  })

  it('test_major_version_number_too_long: 400', async () => {
    await expectRefusal(clientRequest('GET', 'HTTP/909876543210.0'), 400, "Bad request version ('HTTP/909876543210.0')")
  })

  it('test_minor_version_number_too_long: 400', async () => {
    await expectRefusal(clientRequest('GET', 'HTTP/1.909876543210'), 400, "Bad request version ('HTTP/1.909876543210')")
  })

  it('test_version_none_get: `GET / ` (trailing space) is an HTTP/0.9 GET, so 501 without doGET', async () => {
    // CPython's test class sets default_request_version = 'HTTP/1.1', so its 501 has a status
    // line; we have no such setting, and an HTTP/0.9 answer is the page alone, then a close.
    const { port } = await serve(cpythonTestHandler())
    const client = await exchange(port, clientRequest('GET', ''))
    expect(client.closed).toBe(true)
    expect(client.text).toBe(
      cpythonErrorPage(501, "Unsupported method ('GET')", 'Server does not support this operation'),
    )
  })

  it('test_version_none: `CUSTOM / ` is 400 Bad HTTP/0.9 request type', async () => {
    await expectRefusal(clientRequest('CUSTOM', ''), 400, "Bad HTTP/0.9 request type ('CUSTOM')")
  })

  it('test_version_invalid: HTTP/9.9 is 505', async () => {
    await expectRefusal(clientRequest('GET', 'HTTP/9.9'), 505, 'Invalid HTTP version (9.9)')
  })

  it("test_send_blank: ` / ` is 400 Bad request syntax (' / ')", async () => {
    // putrequest('', '') sends the target '/' between two empty words.
    await expectRefusal(clientRequest('', ''), 400, "Bad request syntax (' / ')")
  })

  it('test_header_close: GET with Connection: close is 501', async () => {
    const response = await answer(clientRequest('GET', 'HTTP/1.1', 'Connection: close\r\n'))
    expect(response.status).toBe(501)
  })

  it('test_head_keep_alive: GET with Connection: keep-alive is 501', async () => {
    const response = await answer(clientRequest('GET', 'HTTP/1.1', 'Connection: keep-alive\r\n'))
    expect(response.status).toBe(501)
  })

  it('test_handler: TEST reaches doTEST (204)', async () => {
    const calls: string[] = []
    const response = await answer(clientRequest('TEST', 'HTTP/1.1'), cpythonTestHandler(calls), 'TEST')
    expect(response.status).toBe(204)
    expect(calls).toEqual(['TEST'])
  })
})

describe("CPython's BaseHTTPRequestHandlerTestCase, request line", () => {
  function getHandler(calls: string[]) {
    return class GetHandler extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'

      async doGET(): Promise<void> {
        calls.push(this.path)
        this.sendResponse(200)
        this.sendHeader('Connection', 'close')
        this.endHeaders()
        await this.wfile.write('<html><body>Data</body></html>\r\n')
      }
    }
  }

  it('test_http_1_1 and test_http_1_0: served with a status line', async () => {
    for (const version of ['HTTP/1.1', 'HTTP/1.0']) {
      const calls: string[] = []
      const response = await answer(`GET / ${version}\r\n\r\n`, getHandler(calls))
      expect(response.status).toBe(200)
      expect(response.body.toString()).toBe('<html><body>Data</body></html>\r\n')
      expect(calls).toEqual(['/'])
    }
  })

  it('test_http_0_9: `GET /` is answered with the body alone', async () => {
    const calls: string[] = []
    const { port } = await serve(getHandler(calls))
    const client = await exchange(port, 'GET / \r\n')
    expect(client.text).toBe('<html><body>Data</body></html>\r\n')
    const plain = await exchange(port, 'GET /\r\n')
    expect(plain.text).toBe('<html><body>Data</body></html>\r\n')
    expect(calls).toEqual(['/', '/'])
  })

  it('test_extra_space: a space inside the target is 400, and doGET is not called', async () => {
    const calls: string[] = []
    const response = await answer('GET /spaced out HTTP/1.1\r\nHost: dummy\r\n\r\n', getHandler(calls))
    expect(response.status).toBe(400)
    expect(response.reason).toBe("Bad request syntax ('GET /spaced out HTTP/1.1')")
    expect(calls).toEqual([])
  })

  it('stricter than CPython: a 1.x line with a trailing space is refused, worded as bad syntax', async () => {
    const calls: string[] = []
    const response = await answer('GET / HTTP/1.1 \r\nHost: dummy\r\n\r\n', getHandler(calls))
    expect(response.status).toBe(400)
    expect(response.reason).toBe("Bad request syntax ('GET / HTTP/1.1 ')")
    expect(calls).toEqual([])
  })

  it('test_request_length: a request line past 65536 bytes is 414', async () => {
    const response = await answer(`GET ${'x'.repeat(65537)}\r\n\r\n`, getHandler([]))
    expect(response.status).toBe(414)
  })
})
