/**
 * One client connection: socket bytes go into the parser one request at a time, with timeouts
 * and back-pressure. The handler class drives it; nothing here knows about responses.
 * @module
 */
import net, { type Socket } from 'node:net'
import {
  RequestParser,
  type HTTPParseError,
  type HeaderList,
  type ParserCallbacks,
  type ParserOptions,
  type RequestHead,
} from '@simplehttp/parser'
import { HandlerError } from '../errors.js'
import { RequestBody, kDiscard, kEnd, kPush } from '../request-body.js'

/** Timeouts in milliseconds. */
export interface ConnectionTimeouts {
  /** From the first byte of a request head (or from accept) to its end. */
  headers: number
  /** Idle time allowed between requests on a kept-alive connection. */
  keepAlive: number
  /** Longest wait for more body bytes while the handler is reading the body. */
  body: number
  /**
   * Slowest average body rate tolerated, in bytes per second (0: none): the time spent waiting
   * for body bytes may not exceed `body` plus one second per `bodyMinRate` bytes received.
   */
  bodyMinRate: number
}

/** What the connection is doing (for the server's choice of whom to close when it is full). */
export interface Activity {
  readonly state: 'idle' | 'head' | 'busy'
  readonly since: number
}

/** Why the wait for the next request ended without one. */
export type NoRequest = 'closed' | 'timeout' | 'shutdown'

/** What the wait for the next request gives: its head, the parse error to answer, or none. */
export type NextRequest = RequestHead | HTTPParseError | { none: NoRequest; partial: boolean }

/**
 * Body bytes buffered for the handler before the parser stops reading ahead. Together with
 * INPUT_HIGH_WATER_MARK this bounds what one connection holds: under 1 MiB of parsed body plus
 * 1 MiB of unparsed input, each overshooting by at most one socket read (64 KiB), i.e. about
 * 2.1 MiB per connection whatever the body's size. 64 KiB made the socket stop every read
 * while an upload's handler wrote to disk.
 */
const BODY_HIGH_WATER_MARK = 1024 * 1024
/** Unparsed socket bytes held before the socket is paused (while a handler is busy, say). */
const INPUT_HIGH_WATER_MARK = 1024 * 1024
/** After the handler has answered, at most this many unread body bytes are read and dropped. */
const DRAIN_LIMIT = 1024 * 1024

/** How `checkBody` ended: the body is whole and well-formed, or why it could not be judged. */
export type BodyCheck = 'complete' | 'too-large' | 'timeout' | 'closed' | HTTPParseError
/** How long a closing connection keeps reading what the client still sends (lingering close). */
const LINGER_MS = 2000

export class Connection implements ParserCallbacks {
  readonly socket: Socket
  readonly #parser: RequestParser
  readonly #timeouts: ConnectionTimeouts

  /** Socket chunks not parsed yet, oldest first (kept apart: joining them would copy each byte). */
  #pending: Buffer[] = []
  #pendingBytes = 0
  /** Set when a callback paused the parser during the current `execute`. */
  #stopped = false
  #head: RequestHead | undefined
  #body: RequestBody | undefined
  #eof = false
  #closed = false
  #shuttingDown = false
  #paused = false
  /** Resolves the current wait for input (true: something arrived; false: it timed out). */
  #wake: ((arrived: boolean) => void) | undefined
  /** One timer per connection, refreshed for each wait of the same length (keep-alive waits). */
  #timer: NodeJS.Timeout | undefined
  #timerMs = 0
  #requestsSeen = 0
  /** The headers deadline of the head being waited for (0: not started). */
  #deadline = 0
  /** Whether part of that head had arrived when the wait began. */
  #partial = false
  #activity: Activity = { state: 'head', since: Date.now() }
  /** ms spent waiting for the current request's body bytes (the client's share of the time). */
  #bodyWaitMs = 0
  /** Buffered body bytes at which the parser stops reading ahead (raised while `checkBody` runs). */
  #bodyMark = BODY_HIGH_WATER_MARK
  /** The running `checkBody`, if any. */
  #checking: Promise<BodyCheck> | undefined
  /** The socket reads into the shared buffer (see `readIntoSharedBuffer`), not by 'data' events. */
  readonly #sharedReads: boolean

  constructor(socket: Socket, timeouts: ConnectionTimeouts, parserOptions: ParserOptions) {
    this.socket = socket
    this.#timeouts = timeouts
    this.#parser = new RequestParser(this, parserOptions)
    // A client that half-closes after its request (`nc -N`, shutdown(SHUT_WR)) still reads the
    // response, and CPython serves it; net.Server's default would end our side on its FIN.
    socket.allowHalfOpen = true
    const receive = (chunk: Buffer): void => {
      this.#pending.push(chunk)
      this.#pendingBytes += chunk.length
      // Nobody may be parsing right now (the handler is busy before reading its body, or a
      // client pipelines ahead): stop reading rather than buffer whatever the client sends.
      if (this.#pendingBytes >= INPUT_HIGH_WATER_MARK && !this.#paused) {
        this.#paused = true
        socket.pause()
      }
      this.#notify()
    }
    this.#sharedReads = readIntoSharedBuffer(socket, receive)
    if (!this.#sharedReads) socket.on('data', receive)
    socket.on('end', () => {
      this.#eof = true
      this.#notify()
    })
    socket.on('close', () => {
      this.#closed = true
      // A pending wait timer would keep a stopping process alive for up to headersTimeout.
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#notify()
    })
    // A reset or broken pipe is this client's problem only; 'close' follows.
    socket.on('error', () => undefined)
  }

  /** The socket is gone (closed, or destroyed). */
  get closed(): boolean {
    return this.#closed || this.socket.destroyed
  }

  // ---- parser callbacks: called synchronously from execute() --------------------------------

  onHead(head: RequestHead): void {
    this.#bodyWaitMs = 0
    this.#head = head
    this.#body = new RequestBody(this, head.framing)
    this.#stop()
  }

  onBody(chunk: Buffer): void {
    const body = this.#body
    if (body === undefined) return
    body[kPush](chunk)
    if (body.buffered >= this.#bodyMark) this.#stop()
  }

  onEnd(trailers: HeaderList | undefined): void {
    this.#body?.[kEnd](trailers)
    // Parse no further: the next request waits until this one has been answered.
    this.#stop()
  }

  // ---- what the handler asks for ------------------------------------------------------------

  /**
   * Start looking for the next request head, and look once: returns the head (its body reader
   * is `body`), the parse error to answer with, or why there is none (client gone, server
   * shutdown); or, when the head is not here yet, how many ms to `waitForInput` before calling
   * `pollRequest` again (or `timedOut` when the wait fails). Synchronous, so that a request
   * already buffered (pipelining) costs no promise.
   */
  beginRequest(): NextRequest | number {
    this.#head = undefined
    this.#body = undefined
    this.#deadline = 0
    return this.pollRequest()
  }

  /** Look again after `waitForInput` (see `beginRequest`). */
  pollRequest(): NextRequest | number {
    this.#feed()
    const error = this.#parser.error
    if (error !== undefined) return error
    const head = this.#head
    if (head !== undefined) {
      this.#requestsSeen++
      if (this.#activity.state !== 'busy') this.#activity = { state: 'busy', since: 0 }
      return head
    }
    const partial = !this.#parser.idle
    this.#partial = partial
    if (this.closed || this.#eof) return { none: 'closed', partial }
    if (this.#shuttingDown && !partial) return { none: 'shutdown', partial }
    if (partial || this.#requestsSeen === 0) {
      // Slowloris: the whole head must arrive within the headers timeout.
      if (this.#deadline === 0) {
        const now = Date.now()
        this.#deadline = now + this.#timeouts.headers
        if (this.#activity.state !== 'head') this.#activity = { state: 'head', since: now }
      }
      return this.#deadline - Date.now()
    }
    if (this.#activity.state !== 'idle') this.#activity = { state: 'idle', since: Date.now() }
    return this.#timeouts.keepAlive
  }

  /** What the connection is doing now, and since when. */
  get activity(): Activity {
    return this.#activity
  }

  /** The wait for a head ended without input (see `beginRequest`). */
  timedOut(): NextRequest {
    return { none: 'timeout', partial: this.#partial }
  }

  /** The current request's body reader (once `beginRequest`/`pollRequest` returned its head). */
  get body(): RequestBody {
    return this.#body as RequestBody
  }

  /** More body bytes for the current request: parse what is buffered, or wait for the client. */
  async fillBody(): Promise<void> {
    // One reader at a time: a handler that reads while its answer waits for the check reads
    // what the check gathered.
    if (this.#checking !== undefined) await this.#checking
    const body = this.#body
    if (body === undefined || body.complete) return
    const before = body.buffered
    this.#feed()
    const error = this.#parser.error
    if (error !== undefined) throw error
    if (hasMore(body, before)) return
    if (this.closed) {
      throw new HandlerError('SH_ERR_HANDLER_CONNECTION_CLOSED', 'the client closed the connection mid-body')
    }
    // A client that half-closed inside the body (a missing last chunk, a short Content-Length)
    // is still reading: it sent a broken request and hears so (400), not silence.
    if (this.#eof) throw this.#parser.finish() ?? new HandlerError('SH_ERR_HANDLER_CONNECTION_CLOSED', 'the client closed the connection mid-body')
    // A body that trickles in (slowloris on the body) is cut once the client has used more
    // waiting time than its bytes pay for, however regularly each byte arrives.
    const { body: idleMs, bodyMinRate } = this.#timeouts
    const allowance =
      bodyMinRate > 0 ? idleMs + (body.received * 1000) / bodyMinRate - this.#bodyWaitMs : Infinity
    if (allowance <= 0) {
      throw new HandlerError(
        'SH_ERR_HANDLER_BODY_TIMEOUT',
        `request body slower than ${bodyMinRate} bytes/s (${body.received} bytes in ${Math.round(this.#bodyWaitMs)} ms of waiting)`,
      )
    }
    const wait = Math.max(1, Math.min(idleMs, Math.ceil(allowance)))
    const started = performance.now()
    const arrived = await this.waitForInput(wait)
    this.#bodyWaitMs += performance.now() - started
    if (!arrived) {
      throw new HandlerError(
        'SH_ERR_HANDLER_BODY_TIMEOUT',
        wait < idleMs
          ? `request body slower than ${bodyMinRate} bytes/s (${body.received} bytes in ${Math.round(this.#bodyWaitMs)} ms of waiting)`
          : `no request body bytes for ${idleMs} ms`,
      )
    }
  }

  /**
   * Before the response: read the rest of a body the handler has not read, keeping it for the
   * handler, and judge its framing. Stops at `limit` body bytes (or the declared length says it
   * would pass it) and at `timeouts.body` in all: past that bound the answer is given without it.
   * Parsing errors, including the stream ending inside the body, come back as the parse error.
   */
  checkBody(limit: number): Promise<BodyCheck> {
    const checking = this.#checkBody(limit).finally(() => {
      this.#checking = undefined
    })
    this.#checking = checking
    return checking
  }

  async #checkBody(limit: number): Promise<BodyCheck> {
    const body = this.#body
    if (body === undefined || body.complete) return 'complete'
    // Waiting for a body that large only to refuse it costs more than closing the connection.
    if ((this.#head?.contentLength ?? 0) - body.received > limit) return 'too-large'
    const deadline = Date.now() + this.#timeouts.body
    this.#bodyMark = limit + 1
    try {
      for (;;) {
        this.#feed()
        const error = this.#parser.error
        if (error !== undefined) return error
        if (hasMore(body, Infinity)) return 'complete'
        if (body.received > limit) return 'too-large'
        if (this.closed) return 'closed'
        if (this.#eof) return this.#parser.finish() ?? 'closed'
        const left = deadline - Date.now()
        if (left <= 0 || !(await this.waitForInput(left))) return 'timeout'
      }
    } finally {
      this.#bodyMark = BODY_HIGH_WATER_MARK
    }
  }

  /**
   * Parse the body bytes that have already arrived, without waiting: true when the body is then
   * complete and well-formed (a small body sent with its head), so no check need wait.
   */
  bodyCompleteNow(): boolean {
    const body = this.#body
    if (body === undefined) return true
    if (!body.complete && this.#pendingBytes > 0) this.#feed()
    return body.complete && this.#parser.error === undefined
  }

  /**
   * After the response: read and drop the body the handler left unread, so it is never taken
   * for the next request. Returns false when that is not worth it (too big, too slow, broken)
   * and the connection must close instead.
   */
  async drainBody(): Promise<boolean> {
    const body = this.#body
    if (body === undefined) return true
    const declared = this.#head?.contentLength ?? 0
    // Reading a large declared remainder only to drop it costs more than a new connection.
    if (!body.complete && declared - body.received > DRAIN_LIMIT) return false
    body[kDiscard]()
    try {
      while (!hasMore(body, Infinity)) {
        if (body.discarded > DRAIN_LIMIT) return false
        await this.fillBody()
      }
      return true
    } catch {
      return false
    }
  }

  /** The server is stopping: an idle wait for the next request ends now (see pollRequest). */
  shutdown(): void {
    this.#shuttingDown = true
    this.#notify()
  }

  /**
   * Close after the last response has been queued: FIN first, keep reading (and dropping) what
   * the client still sends for a moment so it receives the response rather than a reset.
   */
  close(): Promise<void> {
    const socket = this.socket
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      // The linger clock starts once the response has left: started at end(), it would cut
      // a response still queued for a slow reader (a handler need not await its writes).
      socket.once('finish', () => {
        timer = setTimeout(() => socket.destroy(), LINGER_MS)
        timer.unref()
      })
      socket.once('close', () => {
        clearTimeout(timer)
        clearTimeout(this.#timer)
        resolve()
      })
      this.#dropPending()
      if (this.#sharedReads) stopReceiving(socket)
      socket.removeAllListeners('data')
      socket.on('data', () => undefined)
      this.#paused = false
      socket.resume()
      socket.end()
    })
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * Run the parser over buffered chunks, one by one, until it pauses; hold the socket while
   * INPUT_HIGH_WATER_MARK bytes or more wait (below that, reading on while the handler works).
   */
  #feed(): void {
    const parser = this.#parser
    const pending = this.#pending
    while (pending.length > 0 && !parser.finished) {
      const chunk = pending[0] as Buffer
      this.#stopped = false
      const consumed = parser.execute(chunk)
      this.#pendingBytes -= consumed
      if (consumed < chunk.length) {
        pending[0] = chunk.subarray(consumed)
        break
      }
      pending.shift()
      // A callback paused the parser at the chunk's very end: the next request waits.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callbacks
      if (this.#stopped) break
    }
    if (parser.finished) this.#dropPending()
    const hold = this.#pendingBytes >= INPUT_HIGH_WATER_MARK
    if (hold !== this.#paused && !this.closed) {
      this.#paused = hold
      if (hold) this.socket.pause()
      else this.socket.resume()
    }
  }

  /** Stop the parser after the current callback (see `#feed`). */
  #stop(): void {
    this.#stopped = true
    this.#parser.pause()
  }

  #dropPending(): void {
    this.#pending = []
    this.#pendingBytes = 0
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.(true)
  }

  readonly #onTimeout = (): void => {
    const wake = this.#wake
    this.#wake = undefined
    wake?.(false)
  }

  /** Resolve true when bytes, EOF or close arrive, false after `ms` of silence. */
  waitForInput(ms: number): Promise<boolean> {
    // Not `#shuttingDown`: resolving at once would spin a caller that is still waiting for
    // bytes (a body read, a half-received head) in a microtask loop that starves all I/O.
    // shutdown() wakes the current wait instead, and pollRequest checks the flag itself.
    if (this.#pendingBytes > 0 || this.closed || this.#eof) {
      return Promise.resolve(true)
    }
    if (this.#paused) {
      this.#paused = false
      this.socket.resume()
    }
    // A timer that fires after its wait ended finds no #wake and does nothing, so the common
    // case (the next request arrives in time) costs a refresh(), not a new timer per request.
    if (this.#timer !== undefined && this.#timerMs === ms) {
      this.#timer.refresh()
    } else {
      clearTimeout(this.#timer)
      this.#timer = setTimeout(this.#onTimeout, ms)
      this.#timerMs = ms
    }
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }
}

/**
 * Whether the body ended or grew past `before` bytes. A function, not an inline test, because
 * the parser callbacks change the body behind TypeScript's narrowing.
 */
function hasMore(body: RequestBody, before: number): boolean {
  return body.complete || body.buffered > before
}

// ---- reading without a buffer per read ---------------------------------------------------------

/** One read's worth: what Node reads into by default, and the most one read can bring. */
const READ_BUFFER_SIZE = 64 * 1024

/**
 * Node's slots for the documented `onread` option of `net.Socket` (read into the caller's buffer,
 * hand the byte count to a callback): found by making a socket with that option and seeing where
 * it put the buffer and the callback. `null` when this Node keeps them elsewhere.
 */
let onreadSlots: { buffer: symbol; callback: symbol } | null | undefined
let sharedReadBuffer: Buffer | undefined

function findOnreadSlots(): { buffer: symbol; callback: symbol } | null {
  const buffer = Buffer.alloc(1)
  const callback = (): void => undefined
  // The typings list `onread` for connect() only; the constructor takes it too (that is where it is kept).
  const options: net.SocketConstructorOpts & { onread: unknown } = { onread: { buffer, callback } }
  const probe = new net.Socket(options)
  const record = probe as unknown as Record<symbol, unknown>
  const symbols = Object.getOwnPropertySymbols(probe)
  const bufferSlot = symbols.find((key) => record[key] === buffer)
  const callbackSlot = symbols.find((key) => record[key] === callback)
  probe.destroy()
  return bufferSlot !== undefined && callbackSlot !== undefined ? { buffer: bufferSlot, callback: callbackSlot } : null
}

/**
 * Let a plain TCP socket read into one buffer shared by every connection, each read copied out
 * at its size, instead of Node's default of a new 64 KiB allocation per read wrapped in an
 * ArrayBuffer of its own. A request is ~100 bytes: the copy comes from Node's buffer pool, and
 * the garbage collector no longer sweeps one ArrayBuffer per request (its pauses were the tail
 * latency of keep-alive 304s). Sharing is safe: reads are handled one at a time on this thread,
 * each copied out before the next. Accepted sockets cannot be given `onread`, so this sets what
 * that option sets and calls what Node calls for it (`useUserBuffer` on the handle); when any of
 * that is missing (another Node, a TLS socket, a socket someone else reads or paused) it returns
 * false and the caller uses 'data' events.
 */
function readIntoSharedBuffer(socket: Socket, receive: (chunk: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle
  if (
    handle == null ||
    typeof handle.useUserBuffer !== 'function' ||
    (socket as Socket & { encrypted?: boolean }).encrypted === true ||
    socket.readableLength > 0 ||
    socket.isPaused() ||
    socket.listenerCount('data') > 0
  ) {
    return false
  }
  onreadSlots ??= findOnreadSlots()
  if (onreadSlots == null) return false
  const shared = (sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE))
  const record = socket as unknown as Record<symbol, unknown>
  record[onreadSlots.buffer] = shared
  record[onreadSlots.callback] = (length: number, buffer: Buffer): void => {
    const chunk = Buffer.allocUnsafe(length)
    buffer.copy(chunk, 0, 0, length)
    receive(chunk)
  }
  ;(handle.useUserBuffer as (this: unknown, buffer: Uint8Array) => void).call(handle, shared)
  return true
}

/** A closing connection drops what the client still sends (see `close`): no copies for that. */
function stopReceiving(socket: Socket): void {
  if (onreadSlots == null) return
  ;(socket as unknown as Record<symbol, unknown>)[onreadSlots.callback] = (): void => undefined
}
