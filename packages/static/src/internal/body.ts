/**
 * A response body: bytes in memory, or byte ranges of an open file (with the multipart framing
 * between them), written with back-pressure and exactly as long as announced.
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import { StaticError } from '../errors.js'

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

type Piece = Buffer | FileSpan

/** Bytes read from a file per chunk while streaming (and the most one response holds at once, twice). */
const CHUNK_SIZE = 256 * 1024

/**
 * What `sendHead` returns and `copyFile` writes (CPython returns an open file object). Close it
 * when done, whether or not it was written: it may hold an open file.
 *
 * @example
 * const body = await this.sendHead()
 * if (body) try { await this.copyFile(body, this.wfile) } finally { await body.close() }
 */
export class ResponseBody {
  /** Bytes it will write. */
  readonly length: number
  readonly #pieces: readonly Piece[]
  #file: FileHandle | undefined

  /** @internal Bodies come from `sendHead()`, `listDirectory()` or {@link ResponseBody.fromBuffer}. */
  constructor(pieces: readonly Piece[], file?: FileHandle) {
    this.#pieces = pieces
    this.#file = file
    let length = 0
    for (const piece of pieces) length += piece.length
    this.length = length
  }

  /** A body of bytes in memory. */
  static fromBuffer(data: Uint8Array): ResponseBody {
    return new ResponseBody([Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)])
  }

  /** The whole body when it is one buffer in memory (then it can leave with the head in one write). */
  get buffer(): Buffer | undefined {
    const pieces = this.#pieces
    if (pieces.length === 1 && Buffer.isBuffer(pieces[0])) return pieces[0]
    if (pieces.length === 0) return Buffer.alloc(0)
    return undefined
  }

  /**
   * Write the body to `out`, waiting whenever it asks to. File bytes are read in chunks, one read
   * ahead; never more and never fewer bytes than {@link length} are written: if the file shrank
   * meanwhile this rejects with `SH_ERR_STATIC_FILE_CHANGED` and the caller must cut the
   * connection, since the length was promised.
   */
  async writeTo(out: BodyWriter): Promise<void> {
    for (const piece of this.#pieces) {
      if (Buffer.isBuffer(piece)) {
        if (piece.length > 0) await out.write(piece)
        continue
      }
      let position = piece.offset
      const end = piece.offset + piece.length
      let next = position < end ? this.#read(position, Math.min(CHUNK_SIZE, end - position)) : undefined
      try {
        while (next !== undefined) {
          const chunk = await next
          position += chunk.length
          next = position < end ? this.#read(position, Math.min(CHUNK_SIZE, end - position)) : undefined
          await out.write(chunk)
        }
      } catch (error) {
        // A read already started must not turn into an unhandled rejection.
        next?.catch(() => undefined)
        throw error
      }
    }
  }

  /** Release the open file, if any. Safe to call more than once. */
  async close(): Promise<void> {
    const file = this.#file
    this.#file = undefined
    await file?.close()
  }

  async #read(position: number, length: number): Promise<Buffer> {
    const file = this.#file
    if (file === undefined) throw new Error('ResponseBody: read after close()')
    const buffer = Buffer.allocUnsafe(length)
    const { bytesRead } = await file.read(buffer, 0, length, position)
    if (bytesRead === 0) {
      throw new StaticError(
        'SH_ERR_STATIC_FILE_CHANGED',
        `the file ended at byte ${position} while being sent; ${this.length} bytes were announced`,
      )
    }
    return bytesRead < length ? buffer.subarray(0, bytesRead) : buffer
  }
}
