import { createHash } from 'node:crypto'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler, type RequestBody } from '../src/index.js'
import { closeAll, deferred, MemoryLog, parseResponses, RawClient, serve, sleep } from './helpers.js'

afterEach(closeAll)

/** A handler whose doPOST runs `readBody` and answers with the JSON it returns. */
function reader(readBody: (rfile: RequestBody) => Promise<unknown>) {
  return class Reader extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()

    async doPOST(): Promise<void> {
      const body = Buffer.from(JSON.stringify(await readBody(this.rfile)))
      this.sendResponse(200)
      this.sendHeader('Content-Length', body.length)
      this.endHeaders()
      await this.wfile.write(body)
    }
  }
}

/** POST `body` (sent in `pieces`, paced) and return the JSON the handler answered with. */
async function post(readBody: (rfile: RequestBody) => Promise<unknown>, head: string, pieces: string[]): Promise<unknown> {
  const { port } = await serve(reader(readBody))
  const client = await RawClient.connect(port)
  await client.send(head)
  for (const piece of pieces) {
    await sleep(10)
    await client.send(piece)
  }
  await client.untilClosed()
  const [response] = parseResponses(client.data, [], true)
  expect(response?.status).toBe(200)
  return JSON.parse(response?.body.toString() ?? '') as unknown
}

const strings = (buffers: Buffer[]): string[] => buffers.map((b) => b.toString('latin1'))

describe('rfile', () => {
  it('reads n bytes with read(n), the rest with read(), then an empty buffer', async () => {
    const result = await post(
      async (rfile) => strings([await rfile.read(5), await rfile.read(1), await rfile.read(), await rfile.read()]),
      'POST / HTTP/1.0\r\nContent-Length: 11\r\n\r\n',
      ['hel', 'lo wor', 'ld'],
    )
    expect(result).toEqual(['hello', ' ', 'world', ''])
  })

  it('reads lines with readline, the last one without a newline', async () => {
    const result = await post(
      async (rfile) => strings([await rfile.readline(), await rfile.readline(), await rfile.readline(), await rfile.readline()]),
      'POST / HTTP/1.0\r\nContent-Length: 16\r\n\r\n',
      ['line1\nli', 'ne2\nrest'],
    )
    expect(result).toEqual(['line1\n', 'line2\n', 'rest', ''])
  })

  it('stops readline at its limit', async () => {
    const result = await post(
      async (rfile) => strings([await rfile.readline(4), await rfile.readline(4), await rfile.readline()]),
      'POST / HTTP/1.0\r\nContent-Length: 9\r\n\r\n',
      ['abcdef\ngh'],
    )
    expect(result).toEqual(['abcd', 'ef\n', 'gh'])
  })

  it('yields the body chunk by chunk with for await', async () => {
    const result = await post(
      async (rfile) => {
        const chunks: string[] = []
        for await (const chunk of rfile) chunks.push(chunk.toString('latin1'))
        return chunks.join('')
      },
      'POST / HTTP/1.0\r\nContent-Length: 12\r\n\r\n',
      ['first', '-sec', 'ond'],
    )
    expect(result).toBe('first-second')
  })

  it('decodes a chunked body and keeps its trailers', async () => {
    const result = await post(
      async (rfile) => [(await rfile.read()).toString('latin1'), rfile.trailers?.get('x-checksum')],
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      ['4;ext=1\r\nWiki\r\n', '5\r\npedia\r\n', 'e\r\n in\r\n\r\nchunks.\r\n', '0\r\nX-Checksum: abc\r\n\r\n'],
    )
    expect(result).toEqual(['Wikipedia in\r\n\r\nchunks.', 'abc'])
  })

  it('streams a 10 MiB upload through for await in many chunks', async () => {
    const size = 10 * 1024 * 1024
    const upload = Buffer.alloc(size)
    for (let i = 0; i < size; i += 4) upload.writeUInt32LE((i * 2654435761) >>> 0, i)
    const result = await post(
      async (rfile) => {
        const hash = createHash('sha256')
        let chunks = 0
        let largest = 0
        let total = 0
        for await (const chunk of rfile) {
          chunks++
          total += chunk.length
          largest = Math.max(largest, chunk.length)
          hash.update(chunk)
        }
        return { chunks, largest, total, sha256: hash.digest('hex') }
      },
      `POST / HTTP/1.0\r\nContent-Length: ${size}\r\n\r\n`,
      [upload.toString('latin1')],
    )
    expect(result).toMatchObject({ total: size, sha256: createHash('sha256').update(upload).digest('hex') })
    const { chunks, largest } = result as { chunks: number; largest: number }
    expect(chunks).toBeGreaterThan(10)
    expect(largest).toBeLessThan(size / 4)
  })

  it('keeps each connection\'s bytes apart while many upload at once (reads share one buffer)', async () => {
    // Sockets read into one buffer shared by all connections, each read copied out at its size:
    // interleaved uploads must each arrive whole, and the request after each body must parse.
    const size = 3 * 1024 * 1024
    const uploads = [1, 2, 3, 4].map((seed) => {
      const upload = Buffer.alloc(size)
      for (let i = 0; i < size; i += 4) upload.writeUInt32LE((i * 2654435761 + seed * 40503) >>> 0, i)
      return upload
    })
    const dataListeners: number[] = []
    class Hasher extends BaseHTTPRequestHandler {
      override protocolVersion = 'HTTP/1.1'
      override logStream = new MemoryLog()

      async doPOST(): Promise<void> {
        dataListeners.push(this.connection.listenerCount('data'))
        const hash = createHash('sha256')
        for await (const chunk of this.rfile) hash.update(chunk)
        this.#answer(hash.digest('hex'))
      }

      doGET(): void {
        this.#answer(`GET ${this.path}`)
      }

      #answer(text: string): void {
        this.sendResponse(200)
        this.sendHeader('Content-Length', text.length)
        this.endHeaders()
        void this.wfile.write(text)
      }
    }
    const { port } = await serve(Hasher)
    const clients = await Promise.all(uploads.map(() => RawClient.connect(port)))
    await Promise.all(clients.map((client) => client.send(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`)))
    // Round robin, 48 KiB at a time: the server's reads of the four sockets interleave.
    const piece = 48 * 1024
    for (let offset = 0; offset < size; offset += piece) {
      await Promise.all(clients.map((client, i) => client.send((uploads[i] as Buffer).subarray(offset, offset + piece))))
    }
    await Promise.all(clients.map((client, i) => client.send(`GET /after-${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)))
    const answers = await Promise.all(clients.map(async (client) => parseResponses(await client.untilClosed(), [], true)))
    answers.forEach((responses, i) => {
      expect(responses.map((r) => r.status)).toEqual([200, 200])
      expect(responses[0]?.body.toString()).toBe(createHash('sha256').update(uploads[i] as Buffer).digest('hex'))
      expect(responses[1]?.body.toString()).toBe(`GET /after-${i}`)
    })
    // On this Node the sockets did read through the shared buffer ('data' events are the
    // fallback for a Node that keeps `onread` elsewhere).
    expect(dataListeners).toEqual([0, 0, 0, 0])
  })

  it('stops reading from the socket while the handler has not asked for the body yet', async () => {
    const size = 16 * 1024 * 1024
    const gate = deferred()
    const started = deferred()
    let serverSocket: Socket | undefined
    class Busy extends reader(async (rfile) => {
      started.resolve()
      await gate.promise
      let total = 0
      for await (const chunk of rfile) total += chunk.length
      return total
    }) {}
    const { port } = await serve(Busy, {
      onSocket: (socket) => {
        serverSocket = socket
      },
    })
    const client = await RawClient.connect(port)
    // The head alone first: the parser has nothing left over, so the socket keeps flowing.
    await client.send(`POST / HTTP/1.0\r\nContent-Length: ${size}\r\n\r\n`)
    await started.promise
    const sent = client.send(Buffer.alloc(size, 'u'))
    // Give the client time to push as much as the server would take in.
    await sleep(300)
    // The connection pauses the socket once 1 MiB waits unparsed (plus one read in flight).
    expect(serverSocket?.bytesRead).toBeLessThan(2 * 1024 * 1024)
    gate.resolve()
    await sent
    await client.untilClosed()
    expect(parseResponses(client.data, [], true)[0]?.body.toString()).toBe(String(size))
  })
})

describe('rfile errors', () => {
  it("rejects with the parser's error on a malformed chunk, which answers 400", async () => {
    const failure = deferred<unknown>()
    const { port } = await serve(
      reader(async (rfile) => {
        try {
          return await rfile.read()
        } catch (error) {
          failure.resolve(error)
          throw error
        }
      }),
    )
    const client = await RawClient.connect(port)
    await client.send('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n')
    await client.untilClosed()
    expect(await failure.promise).toMatchObject({ code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 })
    expect(parseResponses(client.data, [], true).map((r) => [r.status, r.header('Connection')])).toEqual([[400, 'close']])
  })
})
