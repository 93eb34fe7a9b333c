import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, deferred, MemoryLog, parseResponses, RawClient, serve } from './helpers.js'

afterEach(closeAll)

function echo(reading = deferred()) {
  return class Echo extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()
    override protocolVersion = 'HTTP/1.1'

    async doPOST(): Promise<void> {
      reading.resolve()
      const body = await this.rfile.read()
      this.sendResponse(200)
      this.sendHeader('Content-Length', body.length)
      this.endHeaders()
      await this.wfile.write(body)
    }
  }
}

// Keep-alive and header timeouts far beyond the test's own timeout: only shutdown() can end these.
const serverInfo = { keepAliveTimeout: 600_000, headersTimeout: 600_000, bodyTimeout: 600_000 }

describe('shutdown()', () => {
  it('closes an idle kept-alive connection at once', { timeout: 5000 }, async () => {
    const served = await serve(echo(), { serverInfo })
    const client = await RawClient.connect(served.port)
    await client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi')
    await client.responses(1)
    served.handlers[0]?.shutdown()
    await client.untilClosed()
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([200])
    await served.settled()
  })

  it('lets a request in flight finish its response, then closes', { timeout: 5000 }, async () => {
    const reading = deferred()
    const served = await serve(echo(reading), { serverInfo })
    const client = await RawClient.connect(served.port)
    await client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello')
    await reading.promise
    // The handler is waiting for the rest of the body when the server starts to stop.
    served.handlers[0]?.shutdown()
    await client.send('world')
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['helloworld'])
    // A keep-alive client learns not to send another request on this connection.
    expect(responses[0]?.header('Connection')).toBe('close')
    await served.settled()
  })

  it('closes a connection that was never used', { timeout: 5000 }, async () => {
    const served = await serve(echo(), { serverInfo })
    const client = await RawClient.connect(served.port)
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (served.handlers.length > 0) resolve()
        else setImmediate(wait)
      }
      wait()
    })
    served.handlers[0]?.shutdown()
    await client.untilClosed()
    expect(client.received).toBe(0)
  })
})
