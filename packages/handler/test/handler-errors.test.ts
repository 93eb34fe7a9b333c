import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, cpythonErrorPage, deferred, exchange, MemoryLog, parseResponses, RawClient, serve } from './helpers.js'

afterEach(closeAll)

const RULE = '-'.repeat(40)

function failing(log: MemoryLog, fail: (handler: BaseHTTPRequestHandler) => unknown) {
  return class Failing extends BaseHTTPRequestHandler {
    override logStream = log

    async doGET(): Promise<void> {
      if (this.path === '/fail') {
        await fail(this)
        return
      }
      this.sendResponse(200)
      this.sendHeader('Content-Length', 3)
      this.endHeaders()
      await this.wfile.write('ok\n')
    }
  }
}

async function expect500(log: MemoryLog, fail: (handler: BaseHTTPRequestHandler) => unknown): Promise<void> {
  const { port } = await serve(failing(log, fail))
  const client = await RawClient.connect(port)
  const clientPort = client.socket.localPort as number
  await client.send('GET /fail HTTP/1.0\r\n\r\n')
  await client.untilClosed()
  const responses = parseResponses(client.data, [], true)
  expect(responses.map((r) => [r.status, r.reason])).toEqual([[500, 'Internal Server Error']])
  expect(responses[0]?.body.toString()).toBe(cpythonErrorPage(500, 'Internal Server Error', 'Server got itself in trouble'))
  expect(responses[0]?.header('Connection')).toBe('close')
  // CPython's socketserver.handle_error block.
  expect(log.text).toContain(
    `${RULE}\nException occurred during processing of request from ('127.0.0.1', ${clientPort})\nError: boom\n    at `,
  )
  expect(log.text).toMatch(/\n-{40}\n/)
  expect(log.lines.at(-1)).toMatch(/\] "GET \/fail HTTP\/1.0" 500 -$/)

  const next = await exchange(port, 'GET /fine HTTP/1.0\r\n\r\n')
  expect(parseResponses(next.data, [], true)[0]?.body.toString()).toBe('ok\n')
}

describe('a failing handler', () => {
  it('answers a synchronous throw with 500 and logs the exception', async () => {
    await expect500(new MemoryLog(), () => {
      throw new Error('boom')
    })
  })

  it('answers a rejected promise with 500 and logs the exception', async () => {
    await expect500(new MemoryLog(), async () => {
      await Promise.resolve()
      throw new Error('boom')
    })
  })

  it('drops the failed response’s headers from the error page', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      failing(log, (handler) => {
        handler.sendResponse(200)
        handler.sendHeader('Content-Length', 999)
        handler.sendHeader('X-Half-Done', 'yes')
        handler.endHeaders()
        throw new Error('boom')
      }),
    )
    const client = await exchange(port, 'GET /fail HTTP/1.0\r\n\r\n')
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.status)).toEqual([500])
    expect(client.text).not.toContain('X-Half-Done')
    expect(client.text).not.toContain('999')
  })

  it('resets the connection when it throws after part of the response went out', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      failing(log, async (handler) => {
        handler.sendResponse(200)
        handler.endHeaders()
        await handler.wfile.write('partial')
        throw new Error('boom')
      }),
    )
    const client = await exchange(port, 'GET /fail HTTP/1.0\r\n\r\n')
    expect(client.closed).toBe(true)
    expect(client.text).not.toContain(' 500 ')
    expect(log.text).toContain('Exception occurred during processing of request')
  })

  it('keeps a message’s own `\\x0a` text from forging a log line', async () => {
    const log = new MemoryLog()
    const { port } = await serve(
      failing(log, () => {
        throw new Error('boom\\x0a127.0.0.1 - - [forged] "GET / HTTP/1.0" 200 -')
      }),
    )
    await exchange(port, 'GET /fail HTTP/1.0\r\n\r\n')
    expect(log.text).toContain('Error: boom\\\\x0a127.0.0.1')
    expect(log.lines.some((line) => line.startsWith('127.0.0.1 - - [forged]'))).toBe(false)
  })
})

describe('sendHeader', () => {
  it.each([
    ['X', 'a\r\nSet-Cookie: x'],
    ['X', 'a\nSet-Cookie: x'],
    ['X', 'a\0b'],
    ['Bad Name', 'v'],
    ['X:Y', 'v'],
    ['', 'v'],
  ])('refuses %j: %j with SH_ERR_HANDLER_INVALID_HEADER, and the client gets a 500', async (name, value) => {
    const thrown = deferred<unknown>()
    class Injecting extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

      doGET(): void {
        this.sendResponse(200)
        try {
          this.sendHeader(name, value)
        } catch (error) {
          thrown.resolve(error)
          throw error
        }
        this.endHeaders()
      }
    }
    const { port } = await serve(Injecting)
    const client = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(await thrown.promise).toMatchObject({ code: 'SH_ERR_HANDLER_INVALID_HEADER' })
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([500])
    expect(client.text).not.toContain('Set-Cookie')
  })

  it('sets closeConnection when the handler sends Connection: close', async () => {
    const seen: boolean[] = []
    class Closing extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()
      override protocolVersion = 'HTTP/1.1'

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Length', 2)
        seen.push(this.closeConnection)
        this.sendHeader('Connection', 'close')
        seen.push(this.closeConnection)
        this.endHeaders()
        await this.wfile.write('ok')
      }
    }
    const { port } = await serve(Closing)
    const client = await RawClient.connect(port)
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await client.untilClosed()
    expect(seen).toEqual([false, true])
    expect(parseResponses(client.data, [], true).map((r) => r.status)).toEqual([200])
  })
})
