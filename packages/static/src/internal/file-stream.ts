/**
 * Streaming a file's bytes through a compressor: for folder downloads (a gzipped tar) and for
 * files too large to compress whole and cache. Memory stays at a few chunks whatever the size:
 * each chunk goes into the compressor only after the previous one was consumed, and the
 * compressor's output waits for the writer.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { Transform } from 'node:stream'
import { READ_CHUNK_SIZE, recycleChunk, takeChunk, type BodySource, type Flushed } from '../response-body.js'

/** What a file was when it was looked up: it must still be that while it is read. */
export interface FileSnapshot {
  readonly dev: number
  readonly ino: number
  readonly size: number
  readonly mtimeMs: number
}

/**
 * A file's bytes, chunk by chunk: exactly `snapshot.size` of them from a file that is still the
 * one looked up, and still unchanged after the last byte; otherwise `changed(why)` is thrown.
 * With `flushed`, a chunk's memory is reused once the consumer has let go of it.
 */
export async function* fileChunks(
  fsPath: string,
  snapshot: FileSnapshot,
  changed: (why: string) => Error,
  flushed: Flushed | undefined,
): AsyncGenerator<Buffer> {
  let file: FileHandle
  try {
    file = await open(fsPath, 'r')
  } catch {
    throw changed('disappeared')
  }
  try {
    const before = await file.stat()
    if (
      before.ino !== snapshot.ino ||
      before.dev !== snapshot.dev ||
      before.size !== snapshot.size ||
      before.mtimeMs !== snapshot.mtimeMs
    ) {
      throw changed('changed')
    }
    let position = 0
    while (position < snapshot.size) {
      const length = Math.min(READ_CHUNK_SIZE, snapshot.size - position)
      const buffer = takeChunk(length, flushed)
      const { bytesRead } = await file.read(buffer, 0, length, position)
      if (bytesRead === 0) throw changed('shrank')
      const chunk = bytesRead < length ? buffer.subarray(0, bytesRead) : buffer
      position += bytesRead
      yield chunk
      recycleChunk(chunk, flushed)
    }
    const after = await file.stat()
    if (after.size !== snapshot.size || after.mtimeMs !== snapshot.mtimeMs) throw changed('changed')
  } finally {
    await file.close()
  }
}

/** A chunk handed to zlib is free again once its write callback ran: zlib has consumed it. */
const consumed: Flushed = () => true

/**
 * A body of unknown length (`NaN`): `chunks` put through the zlib stream `makeStream()` makes.
 * `chunks` gets the {@link Flushed} that says when a chunk it gave may be reused. A failure on
 * either side (a changed file, a closed client) rejects `produce`, so the adapter cuts the
 * connection rather than end a truncated stream as if it were whole.
 */
export function zlibSource(chunks: (flushed: Flushed) => AsyncIterable<Buffer>, makeStream: () => Transform): BodySource {
  return {
    length: Number.NaN,
    async produce(out) {
      const zlib = makeStream()
      let failure: unknown
      const pump = (async () => {
        for await (const chunk of zlib as AsyncIterable<Buffer>) {
          const wait = out.write(chunk)
          if (wait !== undefined) await wait
        }
      })().catch((error: unknown) => {
        failure ??= error
        zlib.destroy()
      })
      const write = (chunk: Buffer): Promise<void> =>
        new Promise((resolve, reject) => {
          zlib.write(chunk, (error) => {
            if (error == null) resolve()
            else reject(error)
          })
        })
      try {
        for await (const chunk of chunks(consumed)) {
          await write(chunk)
          if (failure !== undefined) break
        }
        zlib.end()
      } catch (error) {
        failure ??= error
        zlib.destroy()
      }
      await pump
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the stream could not be written', { cause: failure })
    },
  }
}
