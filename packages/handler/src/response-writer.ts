/**
 * `wfile`: the response stream. The status line and headers wait for the first body write, so
 * head and body leave together in one writev (or the head alone when the handler is done).
 * @module
 */
import type { Socket } from 'node:net'
import { HandlerError } from './errors.js'

/** Bodies up to this size are copied behind the head into one buffer; larger ones go by writev. */
const SMALL_BODY = 16 * 1024
/** Bodies up to this size go out as a latin-1 string together with the head. */
const TINY_BODY = 1024
/** `Buffer#latin1Slice` (not in the typings), which works on any Uint8Array. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string })
  .latin1Slice

/**
 * What `write` returns when the socket can take more: one settled promise for every such write.
 * The connection loop knows it, and does not spend a microtask awaiting it when a handler
 * returns it.
 */
// The handler drives the head of a response through these keys. They are not exported from the
// package, so a user's code writes bodies with write()/flush() and heads with sendResponse().
/** Queue a finished status line and header block, sent with the next write or flush. */
export const kQueueHead: unique symbol = Symbol('ResponseWriter.queueHead')
/** What went out so far was an interim response (`100 Continue`). */
export const kInterimSent: unique symbol = Symbol('ResponseWriter.interimSent')
/** Forget a head that was never sent (an error page replaces it). */
export const kDiscardHead: unique symbol = Symbol('ResponseWriter.discardHead')
/** Hold the final response until a check (of an unread request body) passes or fails. */
export const kCheckBeforeSending: unique symbol = Symbol('ResponseWriter.checkBeforeSending')
/** The check passed: send what was held. */
export const kReleaseHeld: unique symbol = Symbol('ResponseWriter.releaseHeld')
/** The check failed: replace what was held. */
export const kReplaceHeld: unique symbol = Symbol('ResponseWriter.replaceHeld')

export const READY: Promise<void> = Promise.resolve()

/**
 * Where the response goes (CPython's `wfile`). `write` resolves when the socket can take more,
 * so a handler that awaits it never buffers more than the socket's high-water mark.
 *
 * @example
 * await this.wfile.write('hello\n')
 */
export class ResponseWriter {
  readonly #socket: Socket
  #head: string | undefined
  #bytesWritten = 0
  #drain: Promise<void> | undefined
  readonly #writeTimeout: number
  readonly #onWriteTimeout: (() => void) | undefined
  /** Runs once before the final response's first bytes leave; a promise holds them until it settles. */
  #check: (() => Promise<void> | undefined) | undefined
  /** While that check runs: body bytes written meanwhile (copies), and whether a flush was asked. */
  #held: Buffer[] | undefined
  #heldFlush = false
  #heldUntil: Promise<void> | undefined
  /** The response was replaced (see `kReplaceHeld`): nothing more of it may go out. */
  #refused = false

  /**
   * @param writeTimeout ms a full socket may stay full (the client reads nothing) before the
   *   connection is destroyed; 0 or Infinity: never.
   * @param onWriteTimeout called just before that destroy (to log it).
   */
  constructor(socket: Socket, writeTimeout = 0, onWriteTimeout?: () => void) {
    this.#socket = socket
    this.#writeTimeout = writeTimeout > 0 && writeTimeout < 2 ** 31 ? writeTimeout : 0
    this.#onWriteTimeout = onWriteTimeout
  }

  /** Body bytes written so far (the head not included). */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  /** True once any part of the final response, head or body, has been handed to the socket. */
  get started(): boolean {
    return this.#started
  }

  #started = false

  /** Write body bytes (a string is UTF-8). Rejects if the client has gone away. */
  write(data: Uint8Array | string): Promise<void> {
    const socket = this.#socket
    if (socket.destroyed || socket.writableEnded || this.#refused) {
      return Promise.reject(
        new HandlerError('SH_ERR_HANDLER_CONNECTION_CLOSED', 'the client closed the connection'),
      )
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    if (this.#check !== undefined && this.#mustHold()) {
      // A copy: callers may reuse their buffer once the socket has let go of what it was given.
      ;(this.#held as Buffer[]).push(Buffer.from(bytes))
      return this.#heldUntil as Promise<void>
    }
    this.#bytesWritten += bytes.length
    this.#started = true
    let ready: boolean
    const head = this.#head
    if (head === undefined) {
      ready = socket.write(bytes)
    } else if (bytes.length <= TINY_BODY) {
      // One latin-1 string: the socket writes it from C++ without a JS buffer in between.
      this.#head = undefined
      ready = socket.write(head + latin1Slice.call(bytes, 0, bytes.length), 'latin1')
    } else if (bytes.length <= SMALL_BODY) {
      // One buffer, one write(2): cheaper than a two-buffer writev for the typical response.
      this.#head = undefined
      const out = Buffer.allocUnsafe(head.length + bytes.length)
      out.write(head, 0, 'latin1')
      out.set(bytes, head.length)
      ready = socket.write(out)
    } else {
      this.#head = undefined
      socket.cork()
      socket.write(head, 'latin1')
      ready = socket.write(bytes)
      socket.uncork()
    }
    return ready ? READY : this.#drained()
  }

  /** Send anything still held back (CPython's `wfile.flush()`). */
  flush(): void {
    const head = this.#head
    if (head === undefined || this.#refused) return
    if (this.#check !== undefined && this.#mustHold()) {
      this.#heldFlush = true
      return
    }
    this.#head = undefined
    const socket = this.#socket
    if (socket.destroyed || socket.writableEnded) return
    this.#started = true
    socket.write(head, 'latin1')
  }

  /** A finished status line and header block, sent with the next write or flush. */
  [kQueueHead](head: string): void {
    if (this.#refused) return
    this.#head = this.#head === undefined ? head : this.#head + head
  }

  /**
   * What has gone out so far was an interim response (`100 Continue`): the final
   * response has not started, so a failing handler can still be answered with a 500.
   */
  [kInterimSent](): void {
    if (this.#head === undefined && this.#bytesWritten === 0) this.#started = false
  }

  /** Forget a head that was never sent (an error page replaces it). */
  [kDiscardHead](): void {
    this.#head = undefined
    if (this.#held !== undefined) {
      this.#held = []
      this.#heldFlush = false
    }
  }

  /**
   * Run `check` before the first bytes of the final response leave (the handler's
   * look at an unread request body). If it returns a promise, the head and body writes wait,
   * copied, until the check calls `kReleaseHeld` or `kReplaceHeld`. `undefined` disarms.
   */
  [kCheckBeforeSending](check: (() => Promise<void> | undefined) | undefined): void {
    this.#check = check
    this.#refused = false
  }

  /**
   * The check passed: send what was held, with `Connection: close` added to the head
   * when `closing` (the body was not waited for, so the connection cannot be reused).
   */
  [kReleaseHeld](closing: boolean): void {
    const held = this.#held ?? []
    const flush = this.#heldFlush
    this.#endHold()
    if (closing && this.#head !== undefined) this.#head = withConnectionClose(this.#head)
    if (held.length > 0) {
      const socket = this.#socket
      socket.cork()
      for (const bytes of held) void this.write(bytes).catch(() => undefined)
      socket.uncork()
    } else if (flush) {
      this.flush()
    }
  }

  /**
   * The check failed: drop what was held; `answer` writes the response that replaces
   * it, and nothing the handler writes afterwards goes out.
   */
  [kReplaceHeld](answer: () => void): void {
    this.#endHold()
    this.#head = undefined
    answer()
    this.flush()
    this.#refused = true
  }

  #endHold(): void {
    this.#check = undefined
    this.#held = undefined
    this.#heldFlush = false
    this.#heldUntil = undefined
  }

  /** Whether bytes must wait for the check (starting it on the first call). */
  #mustHold(): boolean {
    if (this.#held !== undefined) return true
    const check = this.#check as () => Promise<void> | undefined
    this.#held = []
    const until = check()
    if (until === undefined) {
      // Nothing to wait for (it never settles synchronously otherwise).
      this.#endHold()
      return false
    }
    this.#heldUntil = until
    return true
  }

  #drained(): Promise<void> {
    const socket = this.#socket
    // One wait shared by every write that finds the socket full: a handler that does not await
    // its writes must not add three listeners per write.
    this.#drain ??= new Promise((resolve, reject) => {
      // 'finish' too: once the socket is ending, Node emits no 'drain', so a write that was
      // queued before the connection closed would otherwise be reported as lost after it
      // was in fact delivered.
      // A reader that stalls with the socket full holds our buffers: cut it after writeTimeout.
      const timer =
        this.#writeTimeout > 0
          ? setTimeout(() => {
              this.#onWriteTimeout?.()
              socket.destroy()
            }, this.#writeTimeout)
          : undefined
      const done = (): void => {
        clearTimeout(timer)
        this.#drain = undefined
        socket.off('drain', done)
        socket.off('finish', done)
        socket.off('close', done)
        if (socket.destroyed && !socket.writableFinished) {
          reject(new HandlerError('SH_ERR_HANDLER_CONNECTION_CLOSED', 'the client closed the connection'))
        } else resolve()
      }
      socket.on('drain', done)
      socket.on('finish', done)
      socket.on('close', done)
    })
    return this.#drain
  }
}

/** The head with `Connection: close` in place of any Connection field. */
function withConnectionClose(head: string): string {
  const lines = head.slice(0, -4).split('\r\n')
  const kept = lines.filter((line, i) => i === 0 || !/^connection:/i.test(line))
  return `${kept.join('\r\n')}\r\nConnection: close\r\n\r\n`
}
