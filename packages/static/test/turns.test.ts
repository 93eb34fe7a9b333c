/**
 * Responses whose sockets take every write at once (loopback, fast clients) share the event
 * loop's turns: past each one's first chunk, at most about 256 KiB of their chunks are written
 * per turn, the rest wait for the next. libuv accepts one connection per loop turn, so a turn
 * that writes a chunk for every such response at once (hundreds of new slow readers on
 * loopback: each takes about a megabyte into its socket buffer at once) keeps newcomers waiting
 * in the kernel's accept queue; issue 13's slowhttptest -X run had probe fetches over 1 s.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { RawClient } from '@simplehttp/test-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler, type BodyWriter, type ResponseBody } from '../src/index.js'
import { LogCapture, makeFixture, parseResponse, pattern, startHandler, type Fixture, type RunningServer } from './helpers.js'

const MiB = 1024 * 1024
const CLIENTS = 8
const logs = new LogCapture()
let fx: Fixture
let server: RunningServer

/** The loop turn we are in: counted by a chain of setImmediate callbacks while the test runs. */
let turn = 0
/** Bytes written per turn, not counting each response's first chunk (written as it is asked for). */
const pacedBytes = new Map<number, number>()

class Counted extends SimpleHTTPRequestHandler {
  override logStream = logs
  override copyFile(source: ResponseBody, outputFile: BodyWriter): Promise<void> {
    let first = true
    return super.copyFile(source, {
      write(chunk) {
        if (!first) pacedBytes.set(turn, (pacedBytes.get(turn) ?? 0) + chunk.length)
        first = false
        return outputFile.write(chunk)
      },
    })
  }
}

beforeAll(async () => {
  fx = await makeFixture()
  await writeFile(path.join(fx.root, 'large.bin'), pattern(4 * MiB, 7))
  server = await startHandler(Counted.withOptions({ directory: fx.root }))
})

afterAll(async () => {
  await server.close()
  await fx.cleanup()
})

describe('responses pushed at once', () => {
  it(`${CLIENTS} downloads at once write at most ~256 KiB of later chunks per loop turn, and every byte arrives`, async () => {
    let counting = true
    const tick = (): void => {
      turn++
      if (counting) setImmediate(tick)
    }
    setImmediate(tick)
    try {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(server.port)))
      await Promise.all(clients.map((client) => client.send('GET /large.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')))
      const responses = await Promise.all(clients.map(async (client) => parseResponse(await client.untilClosed())))
      for (const response of responses) expect(response.body.equals(pattern(4 * MiB, 7))).toBe(true)
    } finally {
      counting = false
    }
    const total = [...pacedBytes.values()].reduce((a, b) => a + b, 0)
    expect(total).toBe(CLIENTS * (4 * MiB - 256 * 1024))
    // One 256 KiB chunk a turn (two when a turn's count straddles the counter's tick); without
    // the shared budget each of the eight wrote a chunk in the same turn.
    expect(Math.max(...pacedBytes.values())).toBeLessThanOrEqual(512 * 1024)
  })
})
