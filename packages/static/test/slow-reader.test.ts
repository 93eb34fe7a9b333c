/**
 * A client that stops reading a large file: what the server holds for it beyond the kernel's
 * socket buffers is a 64 KiB chunk (two when the stall lands between writes) (issue 13: memory
 * per slow reader is bounded by the socket's buffer and one read-ahead chunk). The kernel takes about a megabyte at once on
 * loopback even from a client that reads nothing, so a chunk size that grew while "the socket
 * took everything" would otherwise be 256 KiB by the time the one write that stalls is made.
 */
import { writeFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import path from 'node:path'
import { RawClient } from '@simplehttp/test-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler } from '../src/index.js'
import { LogCapture, makeFixture, parseResponse, pattern, startHandler, type Fixture, type RunningServer } from './helpers.js'

const MiB = 1024 * 1024
const logs = new LogCapture()
/** The server side of every connection, to look at what Node still holds to send. */
const serverSockets: Socket[] = []
let fx: Fixture
let server: RunningServer

class Watched extends SimpleHTTPRequestHandler {
  override logStream = logs
  override handle(): Promise<void> {
    serverSockets.push(this.connection)
    return super.handle()
  }
}

beforeAll(async () => {
  fx = await makeFixture()
  await writeFile(path.join(fx.root, 'large.bin'), pattern(16 * MiB, 5))
  server = await startHandler(Watched.withOptions({ directory: fx.root }))
})

afterAll(async () => {
  await server.close()
  await fx.cleanup()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a reader that stops reading', () => {
  it('holds at most two 64 KiB chunks in the server beyond the socket buffers, and still gets every byte once it reads', async () => {
    const client = await RawClient.connect(server.port)
    client.socket.pause()
    await client.send('GET /large.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    // Wait (bounded) until the server's writes back up: the kernel buffers are full.
    let socket: Socket | undefined
    for (let i = 0; i < 500 && !(socket !== undefined && socket.writableLength > 0); i++) {
      socket = serverSockets.at(-1)
      await sleep(10)
    }
    if (socket === undefined) throw new Error('no connection reached the handler')
    // It stays backed up while nothing is read; look a few times.
    const held: number[] = []
    for (let i = 0; i < 5; i++) {
      held.push(socket.writableLength)
      await sleep(50)
    }
    expect(Math.min(...held)).toBeGreaterThan(0)
    // One 64 KiB chunk, or two when a stall lands between one write and the next on a loaded
    // machine (seen in CI); before the fix this was a 256 KiB chunk plus a 256 KiB read-ahead.
    expect(Math.max(...held)).toBeLessThanOrEqual(2 * 64 * 1024)
    // Then it reads: the whole file arrives, intact.
    client.socket.resume()
    const response = parseResponse(await client.untilClosed())
    expect(response.body.equals(pattern(16 * MiB, 5))).toBe(true)
  })
})
