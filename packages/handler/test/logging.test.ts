import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, exchange, MemoryLog, serve } from './helpers.js'

afterEach(closeAll)

const PREFIX = String.raw`^127\.0\.0\.1 - - \[\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4} \d{2}:\d{2}:\d{2}\] `

function logged(line: string): RegExp {
  return new RegExp(PREFIX + line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') + '$')
}

function handler(log: MemoryLog, doGET: (this: BaseHTTPRequestHandler) => void) {
  return class Logging extends BaseHTTPRequestHandler {
    override logStream = log
    doGET = doGET
  }
}

function ok(this: BaseHTTPRequestHandler): void {
  this.sendResponse(200)
  this.sendHeader('Content-Length', 0)
  this.endHeaders()
}

describe('the access log', () => {
  it('writes CPython’s line for a request', async () => {
    const log = new MemoryLog()
    const { port } = await serve(handler(log, ok))
    await exchange(port, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(log.text).toMatch(new RegExp(PREFIX + String.raw`"GET /x HTTP/1\.1" 200 -\n$`))
    expect(log.lines).toHaveLength(1)
  })

  it('logs `code 404, message File not found` before the access line of sendError', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      handler(log, function (this: BaseHTTPRequestHandler) {
        this.sendError(404, 'File not found')
      }),
    )
    await exchange(port, 'GET /missing HTTP/1.0\r\n\r\n')
    expect(log.lines).toHaveLength(2)
    expect(log.lines[0]).toMatch(logged('code 404, message File not found'))
    expect(log.lines[1]).toMatch(logged('"GET /missing HTTP/1.0" 404 -'))
  })

  it('escapes control characters and backslashes from the request line and headers', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      handler(log, function (this: BaseHTTPRequestHandler) {
        this.logMessage('agent %s', this.headers.get('User-Agent'))
        this.logMessage('decoded %s', decodeURIComponent(this.path))
        ok.call(this)
      }),
    )
    // Raw \x85 (a C1 control in Latin-1) and a backslash in the target; \x85 in a header value.
    await exchange(port, 'GET /%1b[31m\x85\\x HTTP/1.0\r\nUser-Agent: evil\x85\\agent\x9b\r\n\r\n')
    expect(log.lines).toHaveLength(3)
    expect(log.lines[0]).toMatch(logged(String.raw`agent evil\x85\\agent\x9b`))
    expect(log.lines[1]).toMatch(logged(String.raw`decoded /\x1b[31m\x85\\x`))
    expect(log.lines[2]).toMatch(logged(String.raw`"GET /%1b[31m\x85\\x HTTP/1.0" 200 -`))
  })

  it('logs a size given to logRequest', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      handler(log, function (this: BaseHTTPRequestHandler) {
        this.logRequest(200, 1234)
        this.sendResponseOnly(200)
        this.endHeaders()
      }),
    )
    await exchange(port, 'GET /x HTTP/1.0\r\n\r\n')
    expect(log.lines).toEqual([expect.stringMatching(logged('"GET /x HTTP/1.0" 200 1234'))])
  })
})

describe('refused requests in the log', () => {
  it('logs the refused request line, as CPython does: "GET / HTTP/2.0" 505 -', async () => {
    const log = new MemoryLog()
    const { port } = await serve(handler(log, ok))
    const response = (await exchange(port, 'GET / HTTP/2.0\r\n\r\n')).data
    expect(response.toString('latin1')).toMatch(/^HTTP\/1\.0 505 Invalid HTTP version \(2\.0\)\r\n/)
    expect(log.lines).toHaveLength(2)
    expect(log.lines[0]).toMatch(logged('code 505, message Invalid HTTP version (2.0)'))
    expect(log.lines[1]).toMatch(logged('"GET / HTTP/2.0" 505 -'))
  })

  it('logs an empty request line for a 414, whose line was never read whole', async () => {
    const log = new MemoryLog()
    const { port } = await serve(handler(log, ok))
    await exchange(port, `GET /${'a'.repeat(70_000)} HTTP/1.1\r\n\r\n`)
    expect(log.lines.at(-1)).toMatch(logged('"" 414 -'))
  })

  it('answers a HEAD refused for its headers without a body', async () => {
    const log = new MemoryLog()
    const { port } = await serve(handler(log, ok))
    const response = (await exchange(port, 'HEAD /x HTTP/1.1\r\nBad Name: x\r\n\r\n')).data.toString('latin1')
    expect(response).toMatch(/^HTTP\/1\.0 400 /)
    expect(response).toMatch(/\r\nContent-Length: \d+\r\n/)
    expect(response.endsWith('\r\n\r\n')).toBe(true)
    expect(log.lines.at(-1)).toMatch(logged('"HEAD /x HTTP/1.1" 400 -'))
  })
})
