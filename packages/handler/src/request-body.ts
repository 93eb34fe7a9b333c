/**
 * `rfile`: the request body with its framing already removed.
 * @module
 */
import type { BodyFraming, HeaderList } from '@simplehttp/parser'

// The connection feeds the body through these keys. They are not exported from the package, so
// a user's handler cannot push bytes into, end or discard a body it is reading.
/** Add parsed body bytes. */
export const kPush: unique symbol = Symbol('RequestBody.push')
/** The body ended (with its trailers, if chunked). */
export const kEnd: unique symbol = Symbol('RequestBody.end')
/** Drop what is buffered and everything still to come. */
export const kDiscard: unique symbol = Symbol('RequestBody.discard')
/** Whether the handler has asked for body bytes. */
export const kTouched: unique symbol = Symbol('RequestBody.touched')

/** Received pieces smaller than this are joined with their neighbours when iterating. */
const JOIN_BELOW = 16 * 1024
/** The most bytes one joined piece holds. */
const JOIN_LIMIT = 64 * 1024

/** What the body needs from its connection: more bytes, or an error explaining why not. */
export interface BodySource {
  fillBody(): Promise<void>
}

/**
 * The decoded request body (CPython's `rfile`, without the need to count `Content-Length`
 * yourself: reads end where the body ends). Bytes are read from the socket only as you ask for
 * them, so a large upload never sits in memory.
 *
 * @example
 * const data = await this.rfile.read()          // the whole body
 * for await (const chunk of this.rfile) sink(chunk)  // or streamed
 */
export class RequestBody implements AsyncIterable<Buffer> {
  readonly #source: BodySource
  #chunks: Buffer[] = []
  #buffered = 0
  #complete: boolean
  #discarding = false
  #discarded = 0
  #received = 0
  #touched = false
  /** Trailer fields of a chunked body, once it has been read to the end. */
  trailers: HeaderList | undefined

  constructor(source: BodySource, framing: BodyFraming) {
    this.#source = source
    this.#complete = framing === 'none'
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#buffered
  }

  /** True once the whole body has arrived (it may still be buffered). */
  get complete(): boolean {
    return this.#complete
  }

  /** Body bytes received so far. */
  get received(): number {
    return this.#received
  }

  /** Whether the handler has asked for body bytes (read, readline or iteration). */
  get [kTouched](): boolean {
    return this.#touched
  }

  /** Bytes dropped by `discard()`. */
  get discarded(): number {
    return this.#discarded
  }

  /**
   * Read up to `size` bytes; fewer only at the end of the body (an empty buffer means the end).
   * Without `size`, read everything that is left.
   */
  async read(size = Infinity): Promise<Buffer> {
    this.#touched = true
    while (this.#buffered < size && !this.#complete) await this.#source.fillBody()
    return this.#take(Math.min(size, this.#buffered))
  }

  /** Read through the next `\n` (included), or to the end of the body, or `limit` bytes. */
  async readline(limit = Infinity): Promise<Buffer> {
    this.#touched = true
    for (;;) {
      const at = this.#indexOfNewline()
      if (at !== -1 && at < limit) return this.#take(at + 1)
      if (this.#buffered >= limit || this.#complete) return this.#take(Math.min(limit, this.#buffered))
      await this.#source.fillBody()
    }
  }

  /** The body as it arrives, chunk by chunk. */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.#touched = true
    for (;;) {
      if (this.#buffered === 0) {
        if (this.#complete) return
        await this.#source.fillBody()
        continue
      }
      yield this.#take(this.#nextPieceSize())
    }
  }

  /** Called by the connection with parsed body bytes. */
  [kPush](chunk: Buffer): void {
    this.#received += chunk.length
    if (this.#discarding) {
      this.#discarded += chunk.length
      return
    }
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /** The body ended. */
  [kEnd](trailers: HeaderList | undefined): void {
    this.#complete = true
    this.trailers = trailers
  }

  /** Drop what is buffered and everything still to come. */
  [kDiscard](): void {
    this.#discarding = true
    this.#discarded += this.#buffered
    this.#chunks = []
    this.#buffered = 0
  }

  #indexOfNewline(): number {
    let offset = 0
    for (const chunk of this.#chunks) {
      const at = chunk.indexOf(0x0a)
      if (at !== -1) return offset + at
      offset += chunk.length
    }
    return -1
  }

  /**
   * How much the iterator hands out next: a received chunk as it is (a view, no copy), or a run
   * of small ones (tiny chunked-encoding chunks) joined up to JOIN_LIMIT, so a reader is not
   * called for every few bytes. Joining everything buffered would copy every byte of an upload.
   */
  #nextPieceSize(): number {
    const chunks = this.#chunks
    let size = (chunks[0] as Buffer).length
    if (size >= JOIN_BELOW) return size
    for (let i = 1; i < chunks.length; i++) {
      const next = (chunks[i] as Buffer).length
      if (next >= JOIN_BELOW || size + next > JOIN_LIMIT) break
      size += next
    }
    return size
  }

  #take(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0)
    const chunks = this.#chunks
    const first = chunks[0] as Buffer
    let out: Buffer
    if (first.length === size) {
      out = first
      chunks.shift()
    } else if (first.length > size) {
      out = first.subarray(0, size)
      chunks[0] = first.subarray(size)
    } else {
      out = Buffer.allocUnsafe(size)
      let filled = 0
      while (filled < size) {
        const chunk = chunks[0] as Buffer
        const part = Math.min(chunk.length, size - filled)
        chunk.copy(out, filled, 0, part)
        filled += part
        if (part === chunk.length) chunks.shift()
        else chunks[0] = chunk.subarray(part)
      }
    }
    this.#buffered -= size
    // Socket chunks are never reused by Node, so views into them are safe to hand out and keep.
    return out
  }
}
