import { afterEach, describe, expect, it, vi } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, deferred, MemoryLog, parseResponses, RawClient, serve, sleep, until } from './helpers.js'

afterEach(closeAll)

/** The log line without its `client - - [date] ` prefix. */
const message = (line: string | undefined): string => (line ?? '').replace(/^127\.0\.0\.1 - - \[[^\]]+\] /, '')

describe('slow clients', () => {
  it('logs a head that did not finish within headersTimeout as a whole', async () => {
    const log = new MemoryLog()
    class Hello extends BaseHTTPRequestHandler {
      override logStream = log
      doGET(): void {
        this.sendResponse(200)
        this.endHeaders()
      }
    }
    const { port } = await serve(Hello, { serverInfo: { headersTimeout: 300 } })
    const client = await RawClient.connect(port)
    const timer = setInterval(() => {
      if (client.socket.writable) client.socket.write('a')
    }, 50)
    try {
      await client.send('GET / HTTP/1.1\r\nX-Slow: ')
      await client.untilClosed()
    } finally {
      clearInterval(timer)
    }
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([408])
    expect(log.lines.map(message)).toEqual([
      'Request timed out: the request head was not complete within 300 ms',
      'code 408, message Request Timeout',
      '"" 408 -',
    ])
  })

  it('cuts a body that trickles in below bodyMinRate, although each byte arrives well within bodyTimeout', async () => {
    const log = new MemoryLog()
    const failure = deferred<unknown>()
    class Upload extends BaseHTTPRequestHandler {
      override logStream = log
      async doPOST(): Promise<void> {
        try {
          await this.rfile.read()
        } catch (error) {
          failure.resolve(error)
          throw error
        }
        this.sendResponse(200)
        this.endHeaders()
      }
    }
    // 500 ms of waiting are free, then each second of waiting must bring 1,000 bytes.
    const { port } = await serve(Upload, { serverInfo: { bodyTimeout: 500, bodyMinRate: 1000 } })
    const client = await RawClient.connect(port)
    await client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n')
    // 10 bytes every 100 ms: 100 bytes/s, and never a 500 ms silence.
    const timer = setInterval(() => {
      if (client.socket.writable) client.socket.write('0123456789')
    }, 100)
    try {
      await client.untilClosed()
    } finally {
      clearInterval(timer)
    }
    expect(await failure.promise).toMatchObject({ code: 'SH_ERR_HANDLER_BODY_TIMEOUT' })
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([408])
    expect(message(log.lines[0])).toMatch(/^Request timed out: request body slower than 1000 bytes\/s \(\d+ bytes in \d+ ms of waiting\)$/)
  })

  it('lets a body that keeps up with bodyMinRate through', async () => {
    class Upload extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      async doPOST(): Promise<void> {
        const bytes = await this.rfile.read()
        this.sendResponse(200)
        this.sendHeader('Content-Length', String(bytes.length).length)
        this.endHeaders()
        await this.wfile.write(String(bytes.length))
      }
    }
    const { port } = await serve(Upload, { serverInfo: { bodyTimeout: 500, bodyMinRate: 1000 } })
    const client = await RawClient.connect(port)
    await client.send('POST / HTTP/1.0\r\nContent-Length: 9000\r\n\r\n')
    // 1,500 bytes every 100 ms: 15,000 bytes/s, so a second-long stall of this test process on a
    // loaded machine still keeps above the minimum. The whole body takes longer than bodyTimeout.
    for (let i = 0; i < 6; i++) {
      await sleep(100)
      await client.send('x'.repeat(1500))
    }
    await client.untilClosed()
    const [answer] = parseResponses(client.data, [], true)
    expect([answer?.status, answer?.body.toString()]).toEqual([200, '9000'])
  })

  it('cuts a reader that leaves its socket full for longer than writeTimeout, and logs it', async () => {
    const log = new MemoryLog()
    const outcome = deferred<unknown>()
    class Big extends BaseHTTPRequestHandler {
      override logStream = log
      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.endHeaders()
        const chunk = Buffer.alloc(1024 * 1024, 120)
        try {
          // 64 MiB: far more than the socket buffers of both ends hold.
          for (let i = 0; i < 64; i++) await this.wfile.write(chunk)
          outcome.resolve('all written')
        } catch (error) {
          outcome.resolve(error)
          throw error
        }
      }
    }
    const { port } = await serve(Big, { serverInfo: { writeTimeout: 300 } })
    const client = await RawClient.connect(port)
    client.socket.pause() // read nothing
    await client.send('GET / HTTP/1.0\r\n\r\n')
    expect(await outcome.promise).toMatchObject({ code: 'SH_ERR_HANDLER_CONNECTION_CLOSED' })
    expect(log.lines.map(message)).toContain('Write timed out: the client read nothing for 300 ms')
    client.socket.destroy()
  })

  it('reports what the connection is doing: head, busy, then idle between requests', async () => {
    const seen = deferred<string>()
    class Hello extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'
      doGET(): void {
        seen.resolve(this.activity().state)
        this.sendResponse(200)
        this.sendHeader('Content-Length', 0)
        this.endHeaders()
      }
    }
    const served = await serve(Hello)
    const client = await RawClient.connect(served.port)
    await client.send('GET / HT')
    await until(() => served.handlers[0]?.activity().state === 'head', 'the handler to read the first bytes')
    await client.send('TP/1.1\r\nHost: x\r\n\r\n')
    expect(await seen.promise).toBe('busy')
    await client.responses(1)
    const handler = served.handlers[0] as BaseHTTPRequestHandler
    await until(() => handler.activity().state === 'idle', 'the handler to wait for the next request')
    const idle = handler.activity()
    expect(idle.state).toBe('idle')
    expect(idle.since).toBeGreaterThan(0)
    client.socket.destroy()
  })

  it('leaves no wait timer behind when the client resets a keep-alive connection (a stopping process must not wait for it)', async () => {
    class Hello extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'
      doGET(): void {
        this.sendResponse(200)
        this.sendHeader('Content-Length', 0)
        this.endHeaders()
      }
    }
    // Every timer set for the hour-long waits below, and every timer cleared.
    const HOUR = 3_600_000
    const hourTimers: NodeJS.Timeout[] = []
    const cleared = new Set<unknown>()
    const realSetTimeout = globalThis.setTimeout
    const realClearTimeout = globalThis.clearTimeout
    const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const timer = realSetTimeout(callback, ms)
      if (ms === HOUR) hourTimers.push(timer)
      return timer
    }))
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer) => {
      cleared.add(timer)
      realClearTimeout(timer)
    })
    try {
      const served = await serve(Hello, { serverInfo: { keepAliveTimeout: HOUR, headersTimeout: HOUR } })
      const client = await RawClient.connect(served.port)
      await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await client.responses(1)
      // A reset, not a FIN: the socket closes without the 'end' that starts a graceful close.
      client.socket.resetAndDestroy()
      await served.settled()
    } finally {
      setSpy.mockRestore()
      clearSpy.mockRestore()
    }
    // The handler waited for a second request with an hour-long timer; the close must clear it.
    expect(hourTimers.length).toBeGreaterThan(0)
    expect(hourTimers.filter((timer) => !cleared.has(timer))).toEqual([])
  })
})
