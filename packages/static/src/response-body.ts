/**
 * A response body: bytes in memory, or byte ranges of an open file (with the multipart framing
 * between them), written with back-pressure and exactly as long as announced.
 * @module
 */
import { StaticError } from './errors.js'
import type { OpenFile } from './internal/open-files.js'

/**
 * The key of the factory the core makes file bodies with. It is not exported from the package,
 * so users make bodies with {@link ResponseBody.fromBuffer} and {@link ResponseBody.fromSource}
 * and never hand it a file they do not own.
 */
export const kFromPieces: unique symbol = Symbol('ResponseBody.fromPieces')

/** Where a body is written: `wfile` of a handler, or an adapter around a `ServerResponse`. */
export interface BodyWriter {
  /** Take a chunk; a returned promise resolves when more may be written. */
  write(chunk: Buffer): Promise<void> | void
}

/** A run of bytes of the open file. */
interface FileSpan {
  readonly offset: number
  readonly length: number
}

/**
 * Bytes made while they are written (an archive): `length` of them, or `NaN` when that is not
 * known in advance. `produce` rejects with `SH_ERR_STATIC_FILE_CHANGED` when it cannot finish.
 */
export interface BodySource {
  readonly length: number
  produce(out: BodyWriter, flushed: Flushed | undefined): Promise<void>
  /** Release what it holds (open files). */
  close?(): void
}

type Piece = Buffer | FileSpan | BodySource

/** Bytes read from a file per chunk while streaming to a client that keeps up (and the most one response holds at once, twice). */
const CHUNK_SIZE = 256 * 1024
/** The first chunk of a response: enough for most clients at once, small enough to leave with a slow one. */
const FIRST_CHUNK_SIZE = 64 * 1024
/**
 * The chunk size once the socket could not take a chunk at once (a slow reader): what a
 * response holds beyond the kernel's socket buffer is then this much, not a 256 KiB chunk.
 */
const SLOW_CHUNK_SIZE = 16 * 1024
/**
 * Chunks grow past FIRST_CHUNK_SIZE only for a client seen reading: past the first
 * KERNEL_TAKES_BYTES of the body, a write the kernel could not take whole drained within
 * FAST_DRAIN_MS; or more than KERNEL_TAKES_BYTES were taken whole in a row. The kernel takes
 * about a megabyte at once on loopback (up to tcp_wmem's 4 MiB elsewhere) even from a client
 * that reads nothing, so "taken at once" alone would grow a slow reader's chunk to 256 KiB just
 * before the one write it then holds for minutes.
 */
const FAST_DRAIN_MS = 100
const KERNEL_TAKES_BYTES = 4 * 1024 * 1024

/**
 * Says whether every byte written so far has been handed to the kernel, so the writer holds no
 * reference to any chunk it was given and the chunk's memory may be read into again.
 */
export type Flushed = () => boolean

/**
 * Chunk memory known to be free (see {@link Flushed}), by size (16 KiB to 256 KiB, doubling),
 * for the next read. Allocating a fresh chunk per read costs, at thousands of reads a second, a
 * garbage collector busy with full collections, and dead chunks that wait outside the JS heap
 * for a collection that a server sending large files (little JS garbage) seldom runs: its RSS
 * stayed ~40 MiB higher after a burst of large downloads. A chunk goes back as soon as the
 * socket has taken it. At most `keep` of each size are kept (10.3 MiB in all): enough for the
 * chunks and read-aheads of 8 fast downloads, or of 64 range requests, at once; the sizes in
 * between are used for one write each while a chunk grows.
 */
const spare = new Map<number, { readonly free: ArrayBuffer[]; readonly keep: number }>([
  [SLOW_CHUNK_SIZE, { free: [], keep: 64 }],
  [2 * SLOW_CHUNK_SIZE, { free: [], keep: 8 }],
  [FIRST_CHUNK_SIZE, { free: [], keep: 64 }],
  [2 * FIRST_CHUNK_SIZE, { free: [], keep: 8 }],
  [CHUNK_SIZE, { free: [], keep: 16 }],
])

/** `length` bytes of chunk memory: a view of a spare chunk of `size` when `reuse`, else fresh. */
function chunkBuffer(length: number, size: number, reuse: boolean): Buffer {
  if (!reuse) return Buffer.allocUnsafe(length)
  const memory = spare.get(size)?.free.pop() ?? Buffer.allocUnsafeSlow(size).buffer
  return Buffer.from(memory, 0, length)
}

/** Keep `chunk`'s memory for a later read if it is a pooled chunk, there is room, and the writer let go of it. */
function recycle(chunk: Buffer, flushed: Flushed): void {
  const memory = chunk.buffer as ArrayBuffer
  const sized = spare.get(memory.byteLength)
  if (sized !== undefined && sized.free.length < sized.keep && flushed()) sized.free.push(memory)
}

/** A chunk to read file bytes into: from the spare ones when `flushed` can tell when it is free again. */
export function takeChunk(length: number, flushed: Flushed | undefined): Buffer {
  return chunkBuffer(length, CHUNK_SIZE, flushed !== undefined)
}

/** Give a chunk from {@link takeChunk} back once written, if the writer has let go of it. */
export function recycleChunk(chunk: Buffer, flushed: Flushed | undefined): void {
  if (flushed !== undefined) recycle(chunk, flushed)
}

/**
 * The most chunk bytes that responses waiting for their turn (see {@link nextTurn}) may write in
 * one event-loop turn; the others wait for the next turn, first come first served. libuv accepts
 * one connection per loop turn (since 1.45: "don't accept() connections in a loop"), so the
 * length of a turn paces how fast newcomers leave the kernel's accept queue. Unbounded, a
 * crowd of responses being pushed at once (hundreds of new slow readers on loopback, each
 * taking about a megabyte into its socket buffer at once) made turns of ~10 ms: 100 accepts a
 * second against 200 new connections a second, and a well-behaved client waited over a second
 * in that queue.
 */
const TURN_BUDGET = 256 * 1024

/** Responses waiting for a turn, with the bytes each is about to write; served from `turnHead`. */
const turnQueue: { readonly resolve: () => void; readonly bytes: number }[] = []
let turnHead = 0
let turnScheduled = false

/**
 * Resolves in a coming check phase of the event loop, after the I/O that is ready now: the next
 * one, unless responses ahead of this one already use that turn's {@link TURN_BUDGET}.
 */
function nextTurn(bytes: number): Promise<void> {
  return new Promise((resolve) => {
    turnQueue.push({ resolve, bytes })
    if (!turnScheduled) {
      turnScheduled = true
      setImmediate(runTurn)
    }
  })
}

function runTurn(): void {
  // At least one goes each turn, however large its chunk.
  let budget = TURN_BUDGET
  let end = turnHead
  while (end < turnQueue.length && (end === turnHead || budget > 0)) {
    budget -= (turnQueue[end] as { bytes: number }).bytes
    end++
  }
  const going = turnQueue.slice(turnHead, end)
  turnHead = end
  if (turnHead === turnQueue.length) {
    turnQueue.length = 0
    turnHead = 0
    turnScheduled = false
  } else {
    if (turnHead > 1024) {
      turnQueue.splice(0, turnHead)
      turnHead = 0
    }
    // Scheduled from the check phase, this runs in the next loop turn.
    setImmediate(runTurn)
  }
  for (const waiter of going) waiter.resolve()
}

/** Bytes per chunk read from a file while streaming. */
export const READ_CHUNK_SIZE = CHUNK_SIZE

let writeWith: (body: ResponseBody, out: BodyWriter, flushed: Flushed) => Promise<void>

/**
 * `body.writeTo(out)`, reusing chunk memory once `flushed()` says the writer let go of it. Only
 * for writers whose `flushed` is exact (a socket's `writableLength === 0`): a writer that keeps
 * chunks after saying so (a compressor, a test collecting chunks) would see them overwritten.
 */
export function writeReusingChunks(body: ResponseBody, out: BodyWriter, flushed: Flushed): Promise<void> {
  return writeWith(body, out, flushed)
}

/**
 * What `sendHead` returns and `copyFile` writes (CPython returns an open file object). Close it
 * when done, whether or not it was written: it may hold an open file.
 *
 * @example
 * const body = await this.sendHead()
 * if (body) try { await this.copyFile(body, this.wfile) } finally { await body.close() }
 */
export class ResponseBody {
  /** Bytes it will write; `NaN` when not known in advance (a gzipped archive). */
  readonly length: number
  readonly #pieces: readonly Piece[]
  #file: OpenFile | undefined

  /**
   * Bodies come from `sendHead()`, `listDirectory()`, {@link ResponseBody.fromBuffer} or
   * {@link ResponseBody.fromSource}. A body with file pieces owns one reference to `file`,
   * released by {@link close}.
   */
  private constructor(pieces: readonly Piece[], file?: OpenFile) {
    this.#pieces = pieces
    this.#file = file
    let length = 0
    for (const piece of pieces) length += piece.length
    this.length = length
  }

  /** Spans of an open file (and framing between them); the body takes over one reference to `file`. */
  static [kFromPieces](pieces: readonly Piece[], file?: OpenFile): ResponseBody {
    return new ResponseBody(pieces, file)
  }

  /** A body of bytes in memory. */
  static fromBuffer(data: Uint8Array): ResponseBody {
    return new ResponseBody([Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)])
  }

  /** A body made by `source` while it is written (`length` is `NaN` when unknown in advance). */
  static fromSource(source: BodySource): ResponseBody {
    return new ResponseBody([source])
  }

  /** The whole body when it is one buffer in memory (then it can leave with the head in one write). */
  get buffer(): Buffer | undefined {
    const pieces = this.#pieces
    if (pieces.length === 1 && Buffer.isBuffer(pieces[0])) return pieces[0]
    if (pieces.length === 0) return Buffer.alloc(0)
    return undefined
  }

  /**
   * Write the body to `out`, waiting whenever it asks to. File bytes are read in chunks; never
   * more and never fewer bytes than {@link length} are written: if the file shrank meanwhile this
   * rejects with `SH_ERR_STATIC_FILE_CHANGED` and the caller must cut the connection, since the
   * length was promised.
   */
  writeTo(out: BodyWriter): Promise<void> {
    return this.#write(out, undefined)
  }

  /** Release the open file, if any. Safe to call more than once. */
  close(): Promise<void> {
    const file = this.#file
    this.#file = undefined
    file?.release()
    for (const piece of this.#pieces) if ('produce' in piece) piece.close?.()
    return Promise.resolve()
  }

  static {
    writeWith = (body, out, flushed) => body.#write(out, flushed)
  }

  async #write(out: BodyWriter, flushed: Flushed | undefined): Promise<void> {
    for (const piece of this.#pieces) {
      if (Buffer.isBuffer(piece)) {
        if (piece.length > 0) await out.write(piece)
      } else if ('produce' in piece) {
        await piece.produce(out, flushed)
      } else {
        await this.#copy(piece, out, flushed)
      }
    }
  }

  /** One span of the file (see {@link copyFileSpan}). */
  #copy(span: FileSpan, out: BodyWriter, flushed: Flushed | undefined): Promise<void> {
    const file = this.#file
    if (file === undefined) throw new Error('ResponseBody: read after close()')
    return copyFileSpan(file, span.offset, span.length, out, flushed, (position) => {
      return new StaticError('SH_ERR_STATIC_FILE_CHANGED', `the file ended at byte ${position} while being sent; ${this.length} bytes were announced`)
    })
  }
}

/**
 * Write `length` bytes of `file` from `offset` to `out`: the one copy loop for file bytes, used
 * by response bodies and by archive members. Reads the page cache serves go straight to the
 * socket (see `OpenFile.read`); while reads go to the thread pool, the next chunk is read while
 * the current one is written — never more than two chunks in memory, and for a reader that
 * stalls, one chunk of at most 64 KiB plus a 16 KiB read-ahead. `endedAt(position)` is the error
 * thrown when the file ends early; `onChunk` sees each chunk while it is in memory anyway (an
 * archive's CRC-32), after its write has started.
 *
 * Before each chunk after one the socket took at once, the loop waits for its turn (see
 * {@link nextTurn}): a socket that takes every write at once (loopback, a fast client)
 * otherwise has its whole body written in one turn, since a write taken whole signals "drain"
 * on the next tick, and every other response waits meanwhile (the 10 MiB p99 was 2.7 times
 * sirv's); and read-aheads finishing together in the thread pool would all be written in one
 * turn, while newcomers wait to be accepted. A chunk that had to wait for the client needs no
 * turn: the client paced it.
 */
export async function copyFileSpan(
  file: OpenFile,
  offset: number,
  length: number,
  out: BodyWriter,
  flushed: Flushed | undefined,
  endedAt: (position: number) => Error,
  onChunk?: (chunk: Buffer) => void,
): Promise<void> {
  const reuse = flushed !== undefined
  // Chunks grow while the socket takes each one at once, and shrink when it does not; past
  // FIRST_CHUNK_SIZE only for a client seen reading (see FAST_DRAIN_MS).
  let chunkSize = reuse ? FIRST_CHUNK_SIZE : CHUNK_SIZE
  let largest = chunkSize
  let takenInARow = 0
  let position = offset
  const end = offset + length
  /** The bytes a read gave, or `endedAt` when the file ended early. */
  const checked = (buffer: Buffer, wanted: number, at: number, count: number): Buffer => {
    if (count === 0) throw endedAt(at)
    return count < wanted ? buffer.subarray(0, count) : buffer
  }
  const readAhead = async (at: number, wanted: number, size: number): Promise<Buffer> => {
    const buffer = chunkBuffer(wanted, size, reuse)
    return checked(buffer, wanted, at, await file.readAsync(buffer, wanted, at))
  }
  let ahead: Promise<Buffer> | undefined
  // Whether the last write was taken at once (so the next would be too, in this same turn).
  let giveWay = false
  while (position < end) {
    let chunk: Buffer
    if (ahead !== undefined) {
      chunk = await ahead
      ahead = undefined
      if (giveWay) await nextTurn(chunk.length)
    } else {
      const wanted = Math.min(chunkSize, end - position)
      // A read on the event loop is made in the turn too; one that went to the thread pool
      // after all (the file turned slow meanwhile) waits for a turn of its own once done.
      const turned = giveWay && file.readsFast
      if (turned) await nextTurn(wanted)
      const buffer = chunkBuffer(wanted, chunkSize, reuse)
      const read = file.read(buffer, wanted, position)
      chunk = checked(buffer, wanted, position, typeof read === 'number' ? read : await read)
      if (giveWay && (!turned || typeof read !== 'number')) await nextTurn(chunk.length)
    }
    position += chunk.length
    const wait = out.write(chunk)
    onChunk?.(chunk)
    const tookAll = flushed === undefined || flushed()
    takenInARow = tookAll ? takenInARow + chunk.length : 0
    if (takenInARow > KERNEL_TAKES_BYTES) largest = CHUNK_SIZE
    if (reuse) chunkSize = tookAll ? Math.min(largest, chunkSize * 2) : SLOW_CHUNK_SIZE
    // Read ahead at the size just decided: a reader that did not take this chunk at once
    // holds it plus a small read-ahead, not two large chunks, while it stalls.
    if (position < end && !file.readsFast) {
      ahead = readAhead(position, Math.min(chunkSize, end - position), chunkSize)
      // Handled from the start: it may fail (the file shrank) while this loop awaits the
      // write or its turn, and an unhandled rejection would end the process. The await at
      // the top of the loop still gets the error.
      ahead.catch(ignore)
    }
    giveWay = true
    if (wait !== undefined) {
      const started = performance.now()
      await wait
      // A write the kernel took whole also waits (for 'drain' on the next tick): only one
      // it had to queue tells how fast the client reads, and only past what the kernel
      // absorbs from a client that reads nothing (while its buffers are still growing, a
      // queued write drains fast without the client reading).
      if (!tookAll) {
        giveWay = false
        if (performance.now() - started < FAST_DRAIN_MS && position - offset > KERNEL_TAKES_BYTES) largest = CHUNK_SIZE
      }
    }
    if (reuse) recycle(chunk, flushed)
  }
}

function ignore(): void {
  // The write failed first; that is the error reported.
}
