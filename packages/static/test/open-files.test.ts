/**
 * Large files stay open between requests, are read on the event loop while that is fast, and
 * stream through reused chunk memory: none of it may ever show a client the wrong bytes.
 */
import { rename, rm, statSync, utimes, writeFile } from 'node:fs'
import { readdir, readlink } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { RawClient } from '@simplehttp/test-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ResponseBody, SimpleHTTPRequestHandler, type BodyWriter } from '../src/index.js'
import { kFromPieces, writeReusingChunks } from '../src/response-body.js'
import { FileEntry } from '../src/internal/file-cache.js'
import { OpenFile, openFiles, openFilesTuning } from '../src/internal/open-files.js'
import { LogCapture, makeFixture, parseMultipart, parseResponse, pattern, request, startHandler, type Fixture, type RunningServer } from './helpers.js'

// Short, so the idle-sweep tests run quickly; a changed value takes effect at the next open.
openFilesTuning.idleMs = 100
const saved = { ...openFilesTuning }

const MiB = 1024 * 1024
let fx: Fixture
let server: RunningServer
const logs = new LogCapture()

class Quiet extends SimpleHTTPRequestHandler {
  override logStream = logs
}

beforeAll(async () => {
  fx = await makeFixture()
  server = await startHandler(Quiet.withOptions({ directory: fx.root }))
})

afterAll(async () => {
  await server.close()
  openFiles.clear()
  await fx.cleanup()
})

afterEach(() => {
  Object.assign(openFilesTuning, saved)
})

const get = (target: string, headers: Record<string, string> = {}) => request(server.port, target, { headers })
const put = async (name: string, data: Buffer): Promise<string> => {
  const file = path.join(fx.root, name)
  await promisify(writeFile)(file, data)
  return file
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** GET `target`, stop reading after the first bytes, run `meanwhile`, then read the whole body. */
async function getSlowly(target: string, meanwhile: () => Promise<unknown>): Promise<{ announced: number; body: Buffer }> {
  const client = await RawClient.connect(server.port)
  const first = client.waitFor(() => client.received > 0, 'the first bytes')
  await client.send(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
  await first
  client.socket.pause()
  await meanwhile()
  client.socket.resume()
  const response = parseResponse(await client.untilClosed())
  return { announced: Number(response.header('Content-Length')), body: response.body }
}

describe('the open-file cache', () => {
  it('serves the new file when another one is renamed over the name, never the one it holds open', async () => {
    const first = pattern(MiB + 1, 11)
    const second = pattern(MiB + 1, 12)
    const file = await put('swap.bin', first)
    expect((await get('/swap.bin')).body.equals(first)).toBe(true)
    // Same size and mtime: only the inode tells them apart.
    const temp = await put('swap.tmp', second)
    const { mtime } = statSync(file)
    await promisify(utimes)(temp, mtime, mtime)
    await promisify(rename)(temp, file)
    const r = await get('/swap.bin')
    expect(r.body.equals(second)).toBe(true)
    expect((await get('/swap.bin', { Range: 'bytes=5-9' })).body.equals(second.subarray(5, 10))).toBe(true)
  })

  it('sees a file rewritten in place through the descriptor it keeps', async () => {
    await put('rewrite.bin', pattern(MiB + 5, 21))
    expect((await get('/rewrite.bin')).body.length).toBe(MiB + 5)
    const longer = pattern(2 * MiB, 22)
    await put('rewrite.bin', longer)
    const r = await get('/rewrite.bin')
    expect(r.header('Content-Length')).toBe(String(2 * MiB))
    expect(r.body.equals(longer)).toBe(true)
  })

  it('answers 404 once the file is gone, and closes the descriptor it kept', async () => {
    // Only the deletion may close it here: on a loaded machine 100 ms idle could come first.
    openFilesTuning.idleMs = 60_000
    const file = await put('gone.bin', pattern(MiB, 31))
    expect((await get('/gone.bin')).status).toBe(200)
    // Descriptors open on this very file: other tests in the process open and close their own.
    const before = await descriptorsOn(file)
    const kept = openFiles.size
    await promisify(rm)(file)
    expect((await get('/gone.bin')).status).toBe(404)
    expect(openFiles.size).toBe(kept - 1)
    if (before === undefined) return
    expect(before).toBeGreaterThan(0)
    // The close itself is asynchronous.
    for (let i = 0; i < 200 && ((await descriptorsOn(file)) as number) > 0; i++) await sleep(10)
    expect(await descriptorsOn(file)).toBe(0)
  })

  it('keeps at most maxFiles descriptors, and closes those left unused', async () => {
    openFilesTuning.maxFiles = 2
    for (let i = 0; i < 5; i++) {
      const data = pattern(MiB, 40 + i)
      await put(`many-${i}.bin`, data)
      expect((await get(`/many-${i}.bin`)).body.equals(data)).toBe(true)
      expect(openFiles.size).toBeLessThanOrEqual(2)
    }
    // Two sweeps close an unused file; a loaded machine may run them late, so wait up to 5 s.
    for (let i = 0; i < 50 && openFiles.size > 0; i++) await sleep(openFilesTuning.idleMs)
    expect(openFiles.size).toBe(0)
  })

  it('never closes a descriptor a response is still reading from: not when evicted, not when idle', async () => {
    const data = pattern(24 * MiB, 51)
    await put('held.bin', data)
    await put('other-1.bin', pattern(MiB, 52))
    await put('other-2.bin', pattern(MiB, 53))
    // Idle sweeps pass while the response waits for its client.
    const idle = await getSlowly('/held.bin', () => sleep(5 * openFilesTuning.idleMs))
    expect(idle.announced).toBe(data.length)
    expect(idle.body.equals(data)).toBe(true)
    // Pushed out of the cache while the response waits.
    openFilesTuning.maxFiles = 1
    const evicted = await getSlowly('/held.bin', async () => {
      await get('/other-1.bin')
      await get('/other-2.bin')
    })
    expect(evicted.announced).toBe(data.length)
    expect(evicted.body.equals(data)).toBe(true)
  })
})

describe('reading on the event loop or in the thread pool', () => {
  // Past 4 MiB taken at once, chunks grow to the reused 256 KiB size (before, they stay small in
  // case the client is a slow reader the kernel is buffering for).
  const data = pattern(6 * MiB + 7, 61)
  beforeAll(async () => {
    await put('modes.bin', data)
  })

  // slowReadMs -1: every read counts as slow, so all of them go to the thread pool (with one
  // chunk read ahead); Infinity: after the first, all of them run on the event loop.
  it.each([
    ['the thread pool', -1],
    ['the event loop', Number.POSITIVE_INFINITY],
  ])('sends the same bytes when reading in %s', async (_, slowReadMs) => {
    openFilesTuning.slowReadMs = slowReadMs
    openFiles.clear()
    for (let i = 0; i < 3; i++) {
      expect((await get('/modes.bin')).body.equals(data)).toBe(true)
      const parts = parseMultipart(await get('/modes.bin', { Range: 'bytes=0-9,1048576-1310719,-300000' }))
      expect(parts.map((p) => p.body.length)).toEqual([10, 262144, 300000])
      expect(parts[1]?.body.equals(data.subarray(1048576, 1310720))).toBe(true)
      expect(parts[2]?.body.equals(data.subarray(data.length - 300000))).toBe(true)
    }
  })

  it('sends every client its own bytes when many ranges are read at once (chunk memory is reused)', async () => {
    const ranges = Array.from({ length: 40 }, (_, i) => [i * 65536 + i, i * 65536 + i + 70000] as const)
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(ranges.map(([from, to]) => get('/modes.bin', { Range: `bytes=${from}-${to}` })))
      responses.forEach((r, i) => {
        const [from, to] = ranges[i] as readonly [number, number]
        expect(r.status).toBe(206)
        expect(r.body.equals(data.subarray(from, to + 1)), `bytes=${from}-${to}`).toBe(true)
      })
    }
  })

  it('never reuses chunk memory a custom copyFile may still hold', async () => {
    class Hoarding extends Quiet {
      override async copyFile(source: ResponseBody, outputFile: BodyWriter): Promise<void> {
        // Keeps every chunk it is given, and writes them all at the end.
        const kept: Buffer[] = []
        await source.writeTo({ write: (chunk) => void kept.push(chunk) })
        for (const chunk of kept) await outputFile.write(chunk)
      }
    }
    const hoarding = await startHandler(Hoarding.withOptions({ directory: fx.root }))
    try {
      openFilesTuning.slowReadMs = Number.POSITIVE_INFINITY
      for (let i = 0; i < 3; i++) {
        const r = await request(hoarding.port, '/modes.bin')
        expect(r.body.equals(data)).toBe(true)
      }
    } finally {
      await hoarding.close()
    }
  })

  it('reads into a chunk again only once the writer says it let go of it', async () => {
    openFilesTuning.slowReadMs = Number.POSITIVE_INFINITY
    const file = await openModes()
    try {
      // A writer that keeps every chunk (and says so): each must stay intact.
      file.retain()
      const kept: Buffer[] = []
      await writeReusingChunks(ResponseBody[kFromPieces]([{ offset: 0, length: data.length }], file), { write: (c) => void kept.push(c) }, () => false)
      expect(Buffer.concat(kept).equals(data)).toBe(true)
      // A writer that is done with each chunk at once: the same memory comes back.
      file.retain()
      const copies: Buffer[] = []
      const memory = new Set<ArrayBufferLike>()
      const write = (c: Buffer): void => {
        copies.push(Buffer.from(c))
        memory.add(c.buffer)
      }
      await writeReusingChunks(ResponseBody[kFromPieces]([{ offset: 0, length: data.length }], file), { write }, () => true)
      expect(Buffer.concat(copies).equals(data)).toBe(true)
      expect(memory.size).toBeLessThan(copies.length)
    } finally {
      file.release()
    }
  })

  it('gives way to other work between chunks when the writer takes every chunk at once', async () => {
    // A socket that takes each write whole (loopback, a fast client) signals 'drain' on the next
    // tick, before any I/O: without a turn of the event loop between chunks, one response would
    // be written whole while every other connection waits.
    openFilesTuning.slowReadMs = Number.POSITIVE_INFINITY
    const file = await openModes()
    try {
      // One quick read in the thread pool: from now on reads run on the event loop, no I/O waits.
      await file.readAsync(Buffer.alloc(16), 16, 0)
      expect(file.readsFast).toBe(true)
      file.retain()
      let written = 0
      let seenMeanwhile: number | undefined
      setImmediate(() => {
        seenMeanwhile = written
      })
      const copies: Buffer[] = []
      const write = (c: Buffer): void => {
        copies.push(Buffer.from(c))
        written += c.length
      }
      await writeReusingChunks(ResponseBody[kFromPieces]([{ offset: 0, length: data.length }], file), { write }, () => true)
      expect(Buffer.concat(copies).equals(data)).toBe(true)
      expect(seenMeanwhile).toBeGreaterThan(0)
      expect(seenMeanwhile).toBeLessThan(data.length)
    } finally {
      file.release()
    }
  })

  it('goes to the thread pool after a slow read, and back only after quick ones there', async () => {
    const open = await openModes()
    try {
      const buffer = Buffer.alloc(4096)
      expect(open.readsFast).toBe(false)
      // Every read counts as quick (not left to the clock: a busy CI machine can take over a
      // millisecond for a thread-pool read). A fresh file's first read is still in the thread
      // pool; after it, the next one is not.
      openFilesTuning.slowReadMs = Number.POSITIVE_INFINITY
      expect(open.read(buffer, 4096, 0)).toBeInstanceOf(Promise)
      await open.readAsync(buffer, 4096, 0)
      expect(open.readsFast).toBe(true)
      expect(open.read(buffer, 10, 100)).toBe(10)
      expect(buffer.subarray(0, 10).equals(data.subarray(100, 110))).toBe(true)
      // Slow on the event loop: back to the pool, and two quick reads there before trusting it again.
      openFilesTuning.slowReadMs = -1
      expect(open.read(buffer, 10, 0)).toBe(10)
      expect(open.readsFast).toBe(false)
      openFilesTuning.slowReadMs = Number.POSITIVE_INFINITY
      expect(await open.read(buffer, 10, 0)).toBe(10)
      expect(open.readsFast).toBe(false)
      expect(await open.read(buffer, 10, 0)).toBe(10)
      expect(open.readsFast).toBe(true)
    } finally {
      open.release()
    }
  })
})

/** modes.bin, freshly opened, with a reference for the caller. */
async function openModes(): Promise<OpenFile> {
  const file = path.join(fx.root, 'modes.bin')
  openFiles.clear()
  const acquired = openFiles.acquire(file, new FileEntry(statSync(file)))
  const open = acquired instanceof OpenFile ? acquired : await acquired
  if (!(open instanceof OpenFile)) throw new Error(`could not open: ${open}`)
  return open
}

/** How many of this process's descriptors are open on `file` (deleted or not); undefined without /proc. */
async function descriptorsOn(file: string): Promise<number | undefined> {
  let fds: string[]
  try {
    fds = await readdir('/proc/self/fd')
  } catch {
    return undefined
  }
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))
  return targets.filter((target) => target === file || target === `${file} (deleted)`).length
}
