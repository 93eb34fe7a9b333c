import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, MemoryLog, serve } from './helpers.js'

afterEach(closeAll)

/** HTTP/1.1 with lengths on every response, so real clients keep the connection. */
class Counter extends BaseHTTPRequestHandler {
  override logStream = new MemoryLog()
  override protocolVersion = 'HTTP/1.1'

  async doGET(): Promise<void> {
    await this.#answer(`got ${this.path}`)
  }

  async doPOST(): Promise<void> {
    const body = await this.rfile.read()
    await this.#answer(`posted ${body.toString()}`)
  }

  async #answer(text: string): Promise<void> {
    const body = Buffer.from(text)
    this.sendResponse(200)
    this.sendHeader('Content-Type', 'text/plain')
    this.sendHeader('Content-Length', body.length)
    this.endHeaders()
    await this.wfile.write(body)
  }
}

describe('real clients keep one connection', () => {
  it('serves several fetch() requests on one keep-alive connection', async () => {
    const served = await serve(Counter)
    const base = `http://127.0.0.1:${served.port}`
    const results: string[] = []
    // undici hands the connection back to its pool a tick after the body ends; a request made
    // in that same tick opens a second connection (node:http's own server sees the same).
    const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    for (const path of ['/a', '/b']) {
      const response = await fetch(`${base}${path}`)
      results.push(`${response.status} ${await response.text()}`)
      await nextTick()
    }
    const posted = await fetch(`${base}/c`, { method: 'POST', body: 'data' })
    results.push(`${posted.status} ${await posted.text()}`)
    expect(results).toEqual(['200 got /a', '200 got /b', '200 posted data'])
    expect(served.connections).toBe(1)
  })

  it('serves Python’s http.client.HTTPConnection on one connection', async () => {
    const served = await serve(Counter)
    const script = [
      'import http.client, sys',
      'c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)',
      'for method, path, body in [("GET", "/one", None), ("POST", "/two", b"py"), ("GET", "/three", None)]:',
      '    c.request(method, path, body=body)',
      '    r = c.getresponse()',
      '    print(r.status, r.read().decode())',
      'c.close()',
    ].join('\n')
    const { stdout } = await promisify(execFile)('python3', ['-c', script, String(served.port)])
    expect(stdout).toBe('200 got /one\n200 posted py\n200 got /three\n')
    expect(served.connections).toBe(1)
  })
})
