/**
 * `--cgi`: shell scripts under cgi-bin/ answer GET and POST through the built app, with
 * CPython's `200 Script output follows` and RFC 3875's environment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { App } from './helpers.js'
import { cleanup, header, makeTree, mustRun, pattern, splitResponse, startApp } from './helpers.js'

afterEach(cleanup)

const EXECUTABLE = 0o755

// Prints the CGI variables a script relies on, one per line.
const ENV_SCRIPT = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
for name in GATEWAY_INTERFACE SERVER_PROTOCOL REQUEST_METHOD SCRIPT_NAME PATH_INFO QUERY_STRING CONTENT_LENGTH CONTENT_TYPE REMOTE_ADDR SERVER_PORT; do
  eval "printf '%s=%s\\n' \\"$name\\" \\"\\$$name\\""
done
`

// Echoes the request body back, after saying how long it was told it is.
const ECHO_SCRIPT = `#!/bin/sh
printf 'Content-Type: application/octet-stream\\r\\nX-Length: %s\\r\\n\\r\\n' "$CONTENT_LENGTH"
exec cat
`

let app: App

beforeEach(async () => {
  const root = await makeTree({
    'cgi-bin/env.sh': { data: ENV_SCRIPT, mode: EXECUTABLE },
    'cgi-bin/echo.sh': { data: ECHO_SCRIPT, mode: EXECUTABLE },
    'hello.txt': 'static files are still served\n',
  })
  app = await startApp(root, '--cgi')
})

function variables(body: Buffer): Record<string, string> {
  const lines = body.toString().trimEnd().split('\n')
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

describe('--cgi', () => {
  it('a script in cgi-bin answers a GET, with the CGI environment', async () => {
    const raw = await mustRun('curl', ['-sS', '-i', `${app.origin}/cgi-bin/env.sh/extra/path?name=value&x=1`])
    const { status, headers, body } = splitResponse(raw)
    expect(status).toBe('HTTP/1.1 200 Script output follows')
    expect(header(headers, 'Content-Type')).toBe('text/plain')
    expect(header(headers, 'Server')).toMatch(/^SimpleHTTP\/0\.6 /)
    expect(variables(body)).toEqual({
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/env.sh',
      PATH_INFO: '/extra/path',
      QUERY_STRING: 'name=value&x=1',
      CONTENT_LENGTH: '',
      CONTENT_TYPE: 'text/plain',
      REMOTE_ADDR: '127.0.0.1',
      SERVER_PORT: String(app.port),
    })
    await app.process.waitForStderr('"GET /cgi-bin/env.sh/extra/path?name=value&x=1 HTTP/1.1" 200 -')

    // Outside cgi-bin, files are served as by the plain server.
    expect((await mustRun('curl', ['-sS', `${app.origin}/hello.txt`])).toString()).toBe('static files are still served\n')
  })

  it('POST: a form reaches the script on stdin, with its length and type', async () => {
    const env = splitResponse(await mustRun('curl', ['-sS', '-i', '-d', 'a=1&b=two', `${app.origin}/cgi-bin/env.sh`]))
    expect(variables(env.body)).toMatchObject({
      REQUEST_METHOD: 'POST',
      CONTENT_LENGTH: '9',
      CONTENT_TYPE: 'application/x-www-form-urlencoded',
    })

    const echo = splitResponse(await mustRun('curl', ['-sS', '-i', '-d', 'a=1&b=two', `${app.origin}/cgi-bin/echo.sh`]))
    expect(echo.status).toBe('HTTP/1.1 200 Script output follows')
    expect(header(echo.headers, 'X-Length')).toBe('9')
    expect(echo.body.toString()).toBe('a=1&b=two')
    await app.process.waitForStderr('"POST /cgi-bin/echo.sh HTTP/1.1" 200 -')
  })

  it('POST: a large binary body goes through the script and back byte for byte', async () => {
    const data = pattern(1_000_000, 11)
    const response = await fetch(`${app.origin}/cgi-bin/echo.sh`, { method: 'POST', body: data })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-length')).toBe(String(data.length))
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true)
  })

  it('POST outside cgi-bin: 501 Can only POST to CGI scripts, as CPython', async () => {
    const { status } = splitResponse(await mustRun('curl', ['-sS', '-i', '-d', 'x', `${app.origin}/hello.txt`]))
    expect(status).toBe('HTTP/1.1 501 Can only POST to CGI scripts')
  })
})
