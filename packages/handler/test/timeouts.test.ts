import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, cpythonErrorPage, deferred, MemoryLog, parseResponses, RawClient, serve } from './helpers.js'

afterEach(closeAll)

class Hello extends BaseHTTPRequestHandler {
  override logStream = new MemoryLog()
  override protocolVersion = 'HTTP/1.1'

  async doGET(): Promise<void> {
    this.sendResponse(200)
    this.sendHeader('Content-Length', 3)
    this.endHeaders()
    await this.wfile.write('ok\n')
  }
}

describe('timeouts', () => {
  it('answers a head trickled slower than headersTimeout with 408 and closes (slowloris)', async () => {
    const { port } = await serve(Hello, { serverInfo: { headersTimeout: 300 } })
    const client = await RawClient.connect(port)
    // One byte every 100 ms, forever: each byte alone is well inside any idle timeout.
    const bytes = 'GET / HTTP/1.1\r\nX-Slow: ' + 'a'.repeat(10_000)
    let next = 0
    const timer = setInterval(() => {
      if (!client.socket.writable) return
      client.socket.write(bytes[next++ % bytes.length] as string)
    }, 100)
    try {
      await client.untilClosed()
    } finally {
      clearInterval(timer)
    }
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => [r.status, r.reason])).toEqual([[408, 'Request Timeout']])
    expect(responses[0]?.body.toString()).toBe(cpythonErrorPage(408, 'Request Timeout', 'Request timed out; try again later'))
  })

  it('closes an idle keep-alive connection after keepAliveTimeout, without a response', async () => {
    const { port } = await serve(Hello, { serverInfo: { keepAliveTimeout: 200 } })
    const client = await RawClient.connect(port)
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await client.responses(1)
    await client.untilClosed()
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([200])
  })

  it('closes a fresh connection that sends nothing after headersTimeout, without a response', async () => {
    const { port } = await serve(Hello, { serverInfo: { headersTimeout: 200 } })
    const client = await RawClient.connect(port)
    await client.untilClosed()
    expect(client.received).toBe(0)
  })

  it('rejects rfile.read with SH_ERR_HANDLER_BODY_TIMEOUT when the body stops, and answers 408', async () => {
    const failure = deferred<unknown>()
    class Upload extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

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
    const { port } = await serve(Upload, { serverInfo: { bodyTimeout: 300 } })
    const client = await RawClient.connect(port)
    await client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf!')
    await client.untilClosed()
    expect(await failure.promise).toMatchObject({ code: 'SH_ERR_HANDLER_BODY_TIMEOUT' })
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => [r.status, r.header('Connection')])).toEqual([[408, 'close']])
  })
})
