import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, deferred, exchange, MemoryLog, parseResponses, RawClient, serve, sleep } from './helpers.js'

afterEach(closeAll)

const BLOCK = 64 * 1024

/** Block `i` of a large body: every byte is `i % 251`, so reordering or loss shows. */
function block(i: number): Buffer {
  return Buffer.alloc(BLOCK, i % 251)
}

function checkBlocks(body: Buffer, blocks: number): void {
  expect(body.length).toBe(blocks * BLOCK)
  for (let i = 0; i < blocks; i++) {
    const at = i * BLOCK
    if (body[at] !== i % 251 || body[at + BLOCK - 1] !== i % 251) {
      throw new Error(`block ${i} is out of place`)
    }
  }
}

describe('wfile back-pressure', () => {
  it('delivers 64 MiB written in 64 KiB pieces to a slow reader, in order', async () => {
    const blocks = 1024
    let largestBacklog = 0
    class Big extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Length', blocks * BLOCK)
        this.endHeaders()
        for (let i = 0; i < blocks; i++) {
          await this.wfile.write(block(i))
          largestBacklog = Math.max(largestBacklog, this.connection.writableLength)
        }
      }
    }
    const { port } = await serve(Big)
    const client = await RawClient.connect(port)
    await client.send('GET / HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.received > 0, 'the first bytes')
    client.socket.pause()
    await sleep(200)
    client.socket.resume()
    await client.untilClosed()
    const [response] = parseResponses(client.data, [], true)
    checkBlocks(response?.body ?? Buffer.alloc(0), blocks)
    // Awaited writes never pile up in memory: the socket's backlog stays near its high-water mark.
    expect(largestBacklog).toBeLessThan(1024 * 1024)
  })

  it('lets a response written without awaiting reach a slow reader before the socket closes', async () => {
    const blocks = 256
    class Unawaited extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

      doGET(): void {
        this.sendResponse(200)
        this.sendHeader('Content-Length', blocks * BLOCK)
        this.endHeaders()
        for (let i = 0; i < blocks; i++) void this.wfile.write(block(i))
      }
    }
    const { port } = await serve(Unawaited)
    const client = await RawClient.connect(port)
    await client.send('GET / HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.received > 0, 'the first bytes')
    client.socket.pause()
    // Longer than the lingering close: the response must still be queued, not cut.
    await sleep(2500)
    client.socket.resume()
    await client.untilClosed()
    const [response] = parseResponses(client.data, [], true)
    checkBlocks(response?.body ?? Buffer.alloc(0), blocks)
  })

  it('rejects writes with SH_ERR_HANDLER_CONNECTION_CLOSED when the client goes away, quietly', async () => {
    const log = new MemoryLog()
    const failure = deferred<unknown>()
    class Endless extends BaseHTTPRequestHandler {
      override logStream = log

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Length', 1024 * BLOCK)
        this.endHeaders()
        try {
          for (let i = 0; i < 1024; i++) await this.wfile.write(block(i))
        } catch (error) {
          failure.resolve(error)
          throw error
        }
      }
    }
    const { port } = await serve(Endless)
    const client = await RawClient.connect(port)
    await client.send('GET /big HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.received > 0, 'the first bytes')
    client.socket.destroy()
    expect(await failure.promise).toMatchObject({ code: 'SH_ERR_HANDLER_CONNECTION_CLOSED' })

    const second = await exchange(port, 'GET /small HTTP/1.0\r\n\r\n')
    expect(parseResponses(second.data, [], true)[0]?.status).toBe(200)
    expect(log.text).not.toContain('Exception')
    expect(log.text).not.toContain('Traceback')
  })
})

describe('the response head', () => {
  it('leaves in one socket write, with Server and an IMF-fixdate Date', async () => {
    const writes: string[] = []
    let writesAtFlush = -1
    class Headers extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Type', 'text/plain')
        this.sendHeader('Content-Length', 5)
        this.sendHeader('X-One', '1')
        this.sendHeader('X-Two', '2')
        this.endHeaders()
        expect(writes).toHaveLength(0)
        this.flushHeaders()
        writesAtFlush = writes.length
        await this.wfile.write('hello')
      }
    }
    const { port } = await serve(Headers, {
      onSocket: (socket) => {
        spyOnWrites(socket, writes)
      },
    })
    const client = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(writesAtFlush).toBe(1)
    const [response] = parseResponses(client.data, [], true)
    expect(writes[0]).toBe(response?.head)
    expect(response?.headers.map(([name]) => name)).toEqual([
      'Server',
      'Date',
      'Content-Type',
      'Content-Length',
      'X-One',
      'X-Two',
    ])
    expect(response?.header('Server')).toBe(`BaseHTTP/0.6 Node.js/${process.versions.node}`)
    expect(response?.header('Date')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/)
  })

  it('goes out together with the first body write when not flushed (one writev)', async () => {
    const batches: string[][] = []
    class Held extends BaseHTTPRequestHandler {
      override logStream = new MemoryLog()

      async doGET(): Promise<void> {
        this.sendResponse(200)
        this.sendHeader('Content-Length', 5)
        this.endHeaders()
        await this.wfile.write('hello')
      }
    }
    const { port } = await serve(Held, {
      onSocket: (socket) => {
        spyOnBatches(socket, batches)
      },
    })
    const client = await exchange(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(batches).toHaveLength(1)
    expect(batches[0]?.join('')).toBe(client.text)
  })
})

/** Record each `socket.write` call's data. */
function spyOnWrites(socket: Socket, writes: string[]): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  const spy = (...args: unknown[]): boolean => {
    const [data, encoding] = args
    writes.push(
      typeof data === 'string'
        ? Buffer.from(data, encoding as BufferEncoding).toString('latin1')
        : Buffer.from(data as Uint8Array).toString('latin1'),
    )
    return write(...args)
  }
  socket.write = spy
}

interface StreamInternals {
  _write(chunk: Buffer, encoding: string, callback: (error?: Error | null) => void): void
  _writev(chunks: { chunk: Buffer | string; encoding: string }[], callback: (error?: Error | null) => void): void
}

/** Record what reaches the socket's handle at once: one `_write` or one `_writev` each. */
function spyOnBatches(socket: Socket, batches: string[][]): void {
  const internals = socket as unknown as StreamInternals
  const toText = (chunk: Buffer | string, encoding: string): string =>
    typeof chunk === 'string' ? Buffer.from(chunk, encoding as BufferEncoding).toString('latin1') : chunk.toString('latin1')
  const write = internals._write.bind(socket)
  const writev = internals._writev.bind(socket)
  internals._write = (chunk, encoding, callback) => {
    batches.push([toText(chunk, encoding)])
    write(chunk, encoding, callback)
  }
  internals._writev = (chunks, callback) => {
    batches.push(chunks.map(({ chunk, encoding }) => toText(chunk, encoding)))
    writev(chunks, callback)
  }
}
