/**
 * Issue 11 §1 on the CGI handler: broken chunked framing is CPython's 400 page and a close,
 * whether the target is a script (which is handed the body) or not (where the 501 or the file
 * waits for the body to be judged).
 */
import { describe, expect, it } from 'vitest'
import { parseResponses, RawClient, useCGIServer, type RawResponse } from './helpers.js'

const cgi = useCGIServer()

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

function head(method: string, target: string, framing = 'Transfer-Encoding: chunked'): string {
  return `${method} ${target} HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`
}

/** Send `parts` (paced), optionally half-close; the only response, once the server closed. */
async function only(port: number, method: string, parts: readonly string[], end = false): Promise<RawResponse> {
  const client = await RawClient.connect(port)
  for (const [i, part] of parts.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 30))
    await client.send(part)
  }
  if (end) client.socket.end()
  await client.whenClosed
  const responses = parseResponses(client.data, [method], true)
  expect(responses, client.text.slice(0, 300)).toHaveLength(1)
  return responses[0] as RawResponse
}

for (const protocolVersion of ['HTTP/1.0', 'HTTP/1.1']) {
  describe(`CGIHTTPRequestHandler, protocolVersion ${protocolVersion}`, () => {
    for (const [method, target] of [
      ['POST', '/cgi-bin/echo.sh'], // the script reads its stdin
      ['GET', '/cgi-bin/status.sh'], // the script never reads it
      ['POST', '/index.html'], // not a script: 501 Can only POST to CGI scripts
      ['PUT', '/cgi-bin/echo.sh'], // no doPUT
      ['GET', '/'], // a file or listing, not a script
    ] as const) {
      it(`${method} ${target} with a broken chunked body: 400 and a close`, async () => {
        const { port, log } = await cgi.start({ protocolVersion })
        for (const [title, body] of BROKEN_CHUNKED_BODIES) {
          const response = await only(port, method, [head(method, target) + body])
          expect(response.status, title).toBe(400)
          expect(response.header('Connection')).toBe('close')
          expect(response.header('Content-Type')).toBe('text/html;charset=utf-8')
        }
        // The script never ran on a body that was refused before the answer (or was cut off).
        expect(log.text).not.toContain('Script output follows')
      })
    }

    it('a missing last chunk at EOF is a 400, for a script and for the 501', async () => {
      const { port } = await cgi.start({ protocolVersion })
      for (const [method, target] of [
        ['POST', '/cgi-bin/echo.sh'],
        ['POST', '/index.html'],
      ] as const) {
        const response = await only(port, method, [head(method, target) + '5\r\nhello\r\n'], true)
        expect(response.status, `${method} ${target}`).toBe(400)
      }
    })

    it('POST to a non-script with a well-formed late body: the 501 comes after it', async () => {
      const { port } = await cgi.start({ protocolVersion })
      const response = await only(port, 'POST', [head('POST', '/index.html') + '5\r\nhel', 'lo\r\n0\r\n\r\n'])
      expect(response.status).toBe(501)
      expect(response.reason).toBe('Can only POST to CGI scripts')
    })

    it('POST to a non-script with a Content-Length past the bound: 501 with Connection: close at once', async () => {
      const { port } = await cgi.start({ protocolVersion })
      const response = await only(port, 'POST', [head('POST', '/index.html', `Content-Length: ${4 * 1024 * 1024}`)])
      expect(response.status).toBe(501)
      expect(response.header('Connection')).toBe('close')
    })

    it('a well-formed chunked body to a script: 411 once it has arrived (scripts need a length)', async () => {
      const { port } = await cgi.start({ protocolVersion })
      const response = await only(port, 'POST', [head('POST', '/cgi-bin/echo.sh') + '5\r\nhel', 'lo\r\n0\r\n\r\n'])
      expect(response.status).toBe(411)
    })

    it('a Content-Length body still reaches the script', async () => {
      const { port } = await cgi.start({ protocolVersion })
      const response = await only(port, 'POST', [
        head('POST', '/cgi-bin/echo.sh', 'Content-Length: 5\r\nConnection: close') + 'hel',
        'lo',
      ])
      expect(response.status).toBe(200)
      expect(response.body.toString()).toBe('hello')
    })
  })
}
