/**
 * The incremental request parser.
 * @module
 */
import { HTTPParseError, type HTTPParseErrorOptions, type ParseErrorCode } from './errors.js'
import { HeaderList } from './headers.js'
import { COLON, CR, HEX, HTAB, LF, SEMICOLON, SP, TOKEN } from './internal/chars.js'
import { pyRepr } from './py-repr.js'

/** Limits and policy. Every limit bounds the memory one connection can make the parser hold. */
export interface ParserOptions {
  /** Longest request line, counting its line ending; longer → 414. Default 65,536 (CPython). */
  maxRequestLineSize?: number
  /** Longest header (or trailer) line, counting its line ending; longer → 431. Default 65,536 (CPython). */
  maxHeaderLineSize?: number
  /** Most header fields (and, separately, trailer fields); one more → 431. Default 100 (CPython). */
  maxHeaders?: number
  /**
   * Most bytes of header lines in one head (and, separately, of trailer lines), line endings
   * included; more → 431. Default 262,144.
   */
  maxHeadersSize?: number
  /** Longest chunk extension (`;name=value…` after a chunk size); longer → 400. Default 4,096. */
  maxChunkExtensionSize?: number
  /** Largest request body, declared or chunked; larger → 413. Default: no limit. */
  maxBodySize?: number
}

/** How the body of a request is delimited (RFC 9112 §6.3). */
export type BodyFraming = 'none' | 'length' | 'chunked'

/** The kind of request-target (RFC 9112 §3.2). */
export type TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk'

/** What the parser yields for each request before its body. */
export interface RequestHead {
  /** The method, case as sent (`GET`, `SPAM`). */
  readonly method: string
  /** The request-target as sent (latin-1 decoded; nothing is percent-decoded). */
  readonly target: string
  /** Which of the four request-target forms `target` is. */
  readonly targetForm: TargetForm
  /** The version as sent: `HTTP/1.1`, `HTTP/1.0`; `HTTP/0.9` for a two-word request line. */
  readonly version: string
  /** The version's major number (`1` for `HTTP/1.1`, `0` for HTTP/0.9). */
  readonly versionMajor: number
  /** The version's minor number (`1` for `HTTP/1.1`, `9` for HTTP/0.9). */
  readonly versionMinor: number
  /** The request line without its line ending, as CPython's `requestline`. */
  readonly requestLine: string
  /** The header fields in arrival order, names as sent, with case-insensitive lookup. */
  readonly headers: HeaderList
  /** `length` for Content-Length, `chunked` for chunked transfer coding, otherwise `none`. */
  readonly framing: BodyFraming
  /** The declared body length; 0 for `none`, `undefined` for `chunked`. */
  readonly contentLength: number | undefined
  /** Whether the client lets the connection stay open (its version and `Connection` tokens). */
  readonly keepAlive: boolean
  /** `Expect: 100-continue` was sent. */
  readonly expectContinue: boolean
}

/** Callbacks that receive what the parser found, in stream order. */
export interface ParserCallbacks {
  /** A request head is complete. */
  onHead(head: RequestHead): void
  /** Decoded body bytes: a view into the chunk passed to `execute`; copy it to keep it. */
  onBody?(chunk: Buffer): void
  /** The request ended; `trailers` holds a chunked body's trailer fields, if it had any. */
  onEnd?(trailers: HeaderList | undefined): void
  /** The stream was refused; nothing more will be parsed. */
  onError?(error: HTTPParseError): void
}

// Parser states. Plain numbers rather than an object so the hot loops compare constants.
// The first three are the line-oriented states (a head, or a chunked body's trailers).
const S_REQUEST_LINE = 0
const S_HEADERS = 1
const S_TRAILERS = 2
const S_BODY_LENGTH = 3
const S_CHUNK_SIZE = 4
const S_CHUNK_EXT = 5
const S_CHUNK_SIZE_LF = 6
const S_CHUNK_DATA = 7
const S_CHUNK_DATA_CR = 8
const S_CHUNK_DATA_LF = 9
/** After an HTTP/0.9 request: the connection ends, later bytes are ignored. */
const S_DONE = 10
const S_FAILED = 11

// Where a chunk extension parse is (RFC 9112 §7.1.1):
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/** Whitespace after the size: only `;` may follow. */
const X_SIZE_BWS = 0
/** After `;`: whitespace, then a name. */
const X_BEFORE_NAME = 1
const X_NAME = 2
/** Whitespace after a name: `=` or `;` must follow. */
const X_NAME_BWS = 3
/** After `=`: whitespace, then a token or a quoted string. */
const X_BEFORE_VALUE = 4
const X_VALUE = 5
const X_QUOTED = 6
const X_QUOTED_PAIR = 7
/** After a closing quote: `;`, whitespace before `;`, or the line end. */
const X_AFTER_QUOTED = 8
/** Whitespace after a value: only `;` may follow. */
const X_VALUE_BWS = 9

/** The first decoded window of a head; it grows when a line runs past it. */
const MIN_WINDOW = 1024

/** A line buffer larger than this is dropped once its line is parsed, not kept per connection. */
const KEEP_LINE_BUFFER = 4096

const EMPTY = Buffer.alloc(0) as Latin1Buffer

/** Views over an ArrayBuffer larger than this are dropped when `execute` returns. */
const MAX_KEPT_VIEW = 65536

interface Latin1Buffer extends Buffer {
  // Buffer's latin1 decoder without toString's encoding lookup (undici uses it the same way).
  latin1Slice(start: number, end: number): string
}

function asBuffer(input: Uint8Array): Latin1Buffer {
  return (
    Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  ) as Latin1Buffer
}

/** ASCII case-insensitive compare of `text[start, end)` with the lower-case `lower`. */
function equalsLower(text: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    // `| 0x20` folds A-Z onto a-z; no other token byte folds onto a letter or `-`.
    if ((text.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false
  }
  return true
}

/**
 * An incremental HTTP/1.x request parser. Feed it socket chunks of any size with `execute`; it
 * calls `onHead`, `onBody`, `onEnd` for each request in order, or `onError` once when the stream
 * must be refused. Memory is bounded by the limits in {@link ParserOptions}, whatever the input.
 *
 * @example
 * const parser = new RequestParser({
 *   onHead: (head) => console.log(head.method, head.target),
 *   onBody: (chunk) => body.push(Buffer.from(chunk)),
 *   onEnd: () => console.log('done'),
 *   onError: (err) => console.log(err.status, err.code),
 * })
 * parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112
 */
export class RequestParser {
  readonly #callbacks: ParserCallbacks
  readonly #maxRequestLine: number
  readonly #maxHeaderLine: number
  readonly #maxHeaders: number
  readonly #maxHeadersSize: number
  readonly #maxChunkExtension: number
  readonly #maxBody: number

  #state = S_REQUEST_LINE
  #error: HTTPParseError | undefined
  #paused = false
  /** How many bytes of a chunk to decode at once for a head; follows the size of recent heads. */
  #window = MIN_WINDOW

  // The bytes behind the text being read, so value checks can read four bytes at a time instead
  // of one character at a time.
  /** Where `text[0]` is in the ArrayBuffer behind it (the views below index from there). */
  #srcOffset = 0
  /** That ArrayBuffer: a callback may parse with another parser, which moves the shared views. */
  #srcBuffer: ArrayBufferLike | undefined
  /** The text being read holds no DEL byte, so the fast value check need not look for one. */
  #srcNoDel = true

  // A line split across chunks is gathered here; lines inside one chunk are read in place.
  #line: Buffer = EMPTY
  #lineLength = 0
  #blankLinesBytes = 0

  // The request being read.
  #method = ''
  #target = ''
  #targetForm: TargetForm = 'origin'
  #version = ''
  #versionMajor = 1
  #versionMinor = 1
  #requestLine = ''
  #bareLF = false
  #raw: string[] = []
  /** Bytes of header (or trailer) lines so far, line endings included. */
  #headersSize = 0
  #contentLength = -1
  #transferCodings: string[] | undefined
  #hostCount = 0
  #connectionClose = false
  #connectionKeepAlive = false
  #expectContinue = false

  // The body being read.
  #remaining = 0
  #bodyTotal = 0
  #chunkSize = 0
  #chunkDigits = 0
  #extState = X_SIZE_BWS
  #extLength = 0
  #trailers: string[] = []

  constructor(callbacks: ParserCallbacks, options: ParserOptions = {}) {
    this.#callbacks = callbacks
    this.#maxRequestLine = options.maxRequestLineSize ?? 65536
    this.#maxHeaderLine = options.maxHeaderLineSize ?? 65536
    this.#maxHeaders = options.maxHeaders ?? 100
    this.#maxHeadersSize = options.maxHeadersSize ?? 262144
    this.#maxChunkExtension = options.maxChunkExtensionSize ?? 4096
    this.#maxBody = options.maxBodySize ?? Infinity
  }

  /** The error that stopped the parser, if any. */
  get error(): HTTPParseError | undefined {
    return this.#error
  }

  /** True between requests: no part of a request has been received. */
  get idle(): boolean {
    return this.#state === S_REQUEST_LINE && this.#lineLength === 0 && this.#blankLinesBytes === 0
  }

  /** True once an HTTP/0.9 request was read (the connection ends after its response) or an error. */
  get finished(): boolean {
    return this.#state >= S_DONE
  }

  /**
   * Stop `execute` right after the callback that calls this returns. `execute` then returns how
   * many bytes it consumed; pass the rest again later. Lets a server read one request at a time.
   */
  pause(): void {
    this.#paused = true
  }

  /**
   * Parse a chunk. Returns the number of bytes consumed: all of them unless `pause()` was called
   * from a callback, the stream failed (see `error`), or an HTTP/0.9 request ended it.
   */
  execute(input: Uint8Array): number {
    const chunk = asBuffer(input)
    const length = chunk.length
    let pos = 0
    this.#paused = false
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- callbacks may call pause()
    while (pos < length && !this.#paused) {
      const state = this.#state
      if (state <= S_TRAILERS) {
        pos = this.#lineLength > 0 ? this.#readSplitLine(chunk, pos, length) : this.#readLines(chunk, pos, length)
      } else if (state === S_BODY_LENGTH || state === S_CHUNK_DATA) {
        const take = Math.min(this.#remaining, length - pos)
        this.#remaining -= take
        const end = pos + take
        this.#callbacks.onBody?.(chunk.subarray(pos, end))
        pos = end
        if (this.#remaining === 0) {
          if (state === S_BODY_LENGTH) this.#endMessage(undefined)
          else this.#state = S_CHUNK_DATA_CR
        }
      } else if (state < S_DONE) {
        pos = this.#readChunkFraming(chunk, pos, length)
      } else {
        break
      }
    }
    // Do not keep a large buffer alive through the shared views once this call is done.
    if (viewSource !== undefined && viewSource.byteLength > MAX_KEPT_VIEW) useViews(EMPTY.buffer)
    return pos
  }

  /**
   * Tell the parser the stream ended. Returns an error when it ended inside a request (which is
   * also reported to `onError`), `undefined` when it ended cleanly between requests.
   */
  finish(): HTTPParseError | undefined {
    if (this.#state === S_FAILED) return this.#error
    if (this.#state === S_DONE || this.idle) return undefined
    this.#fail('SH_ERR_PARSE_INCOMPLETE', 'the stream ended inside a request')
    return this.#error
  }

  // ---- lines: request line, header fields, trailer fields ------------------------------------

  /**
   * The fast path: decode a window of the chunk once and read lines from it in place, for as
   * long as the parser stays in a line state (a pipelined batch of bodiless requests is read
   * without leaving this loop). A line that runs past the chunk goes to the line buffer.
   */
  #readLines(chunk: Latin1Buffer, pos: number, length: number): number {
    let base = pos
    let end = Math.min(length, base + this.#window)
    let text = chunk.latin1Slice(base, end)
    this.#setSource(chunk, base, text)
    let i = 0
    for (;;) {
      if (this.#state === S_HEADERS && !this.#bareLF) {
        // Most header lines: handled whole, or left untouched for the general path below.
        const next = this.#readCommonHeaderLine(text, i)
        if (next !== -1) {
          if (this.#error !== undefined) return base + i
          i = next
          if (i === text.length) return base + i
          continue
        }
      }
      const lf = text.indexOf('\n', i)
      const limit = this.#state === S_REQUEST_LINE ? this.#maxRequestLine : this.#maxHeaderLine
      if (lf === -1) {
        const partial = text.length - i
        // Without its LF the line is already at the limit: refuse now rather than read more.
        if (partial >= limit) {
          this.#failLineTooLong()
          return base + i
        }
        if (end < length) {
          // The window ended mid-line: decode a wider one, starting at this line.
          base += i
          end = Math.min(length, base + Math.max(2 * partial, this.#window))
          text = chunk.latin1Slice(base, end)
          this.#setSource(chunk, base, text)
          i = 0
          continue
        }
        this.#appendLine(chunk, base + i, length)
        return length
      }
      const lineBytes = lf + 1 - i
      if (lineBytes > limit) {
        this.#failLineTooLong()
        return base + i
      }
      const hasCR = lf > i && text.charCodeAt(lf - 1) === CR
      this.#onLine(text, i, hasCR ? lf - 1 : lf, hasCR, lineBytes)
      const state = this.#state
      if (state === S_FAILED) return base + i
      // Callbacks ran if a request ended; they may have parsed other bytes with another parser.
      if (viewSource !== this.#srcBuffer) useViews(this.#srcBuffer as ArrayBufferLike)
      i = lf + 1
      // #paused is set by callbacks that call pause().
      if (state > S_TRAILERS || this.#paused || i === text.length) return base + i
    }
  }

  /** The slow path: the current line began in an earlier chunk. */
  #readSplitLine(chunk: Latin1Buffer, pos: number, length: number): number {
    const limit = this.#state === S_REQUEST_LINE ? this.#maxRequestLine : this.#maxHeaderLine
    const lf = chunk.indexOf(LF, pos)
    if (lf === -1) {
      if (this.#lineLength + (length - pos) >= limit) {
        this.#failLineTooLong()
        return pos
      }
      this.#appendLine(chunk, pos, length)
      return length
    }
    const lineBytes = this.#lineLength + (lf + 1 - pos)
    if (lineBytes > limit) {
      this.#failLineTooLong()
      return pos
    }
    this.#appendLine(chunk, pos, lf)
    const text = (this.#line as Latin1Buffer).latin1Slice(0, this.#lineLength)
    this.#setSource(this.#line, 0, text)
    this.#lineLength = 0
    const hasCR = text.length > 0 && text.charCodeAt(text.length - 1) === CR
    this.#onLine(text, 0, hasCR ? text.length - 1 : text.length, hasCR, lineBytes)
    if (this.#line.length > KEEP_LINE_BUFFER) this.#line = EMPTY
    return this.#state === S_FAILED ? pos : lf + 1
  }

  /** A fresh copy of `text[start, end)` (a slice would keep the whole decoded text alive). */
  #srcCopy(start: number, end: number): string {
    const whole = Buffer.from(this.#srcBuffer as ArrayBufferLike) as Latin1Buffer
    return whole.latin1Slice(this.#srcOffset + start, this.#srcOffset + end)
  }

  #setSource(src: Buffer, base: number, text: string): void {
    this.#srcOffset = src.byteOffset + base
    const source = src.buffer
    this.#srcBuffer = source
    if (source !== viewSource) useViews(source)
    // One native scan per decoded window (memchr speed) instead of a compare per value byte.
    this.#srcNoDel = !text.includes('\x7f')
  }

  #appendLine(chunk: Buffer, start: number, end: number): void {
    const needed = this.#lineLength + (end - start)
    if (needed > this.#line.length) {
      const grown = Buffer.allocUnsafe(Math.max(256, needed, this.#line.length * 2))
      this.#line.copy(grown, 0, 0, this.#lineLength)
      this.#line = grown
    }
    chunk.copy(this.#line, this.#lineLength, start, end)
    this.#lineLength = needed
  }

  #failLineTooLong(): void {
    if (this.#state === S_REQUEST_LINE) {
      // CPython: 414 with no reason or explanation of its own.
      this.#fail('SH_ERR_PARSE_REQUEST_LINE_TOO_LONG', `request line longer than ${this.#maxRequestLine} bytes`)
      return
    }
    this.#fail('SH_ERR_PARSE_HEADER_LINE_TOO_LONG', `header line longer than ${this.#maxHeaderLine} bytes`, {
      reason: 'Line too long',
      explain: `got more than ${this.#maxHeaderLine} bytes when reading header line`,
    })
  }

  /** One complete line, `text[start, end)` without its line ending (`lineBytes` counts it). */
  #onLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    const state = this.#state
    if (state === S_HEADERS) this.#onHeaderLine(text, start, end, hasCR, lineBytes)
    else if (state === S_REQUEST_LINE) this.#onRequestLine(text, start, end, hasCR, lineBytes)
    else this.#onTrailerLine(text, start, end, hasCR, lineBytes)
  }

  // ---- request line -------------------------------------------------------------------------

  #onRequestLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (start === end) {
      // RFC 9112 §2.2: ignore empty lines before a request line (some clients send CRLF after a
      // body), within the request-line budget. CPython instead closes the connection silently.
      this.#blankLinesBytes += lineBytes
      if (this.#blankLinesBytes > this.#maxRequestLine) {
        this.#fail('SH_ERR_PARSE_BAD_REQUEST_LINE', 'too many empty lines before the request line', {
          reason: "Bad request syntax ('')",
        })
      }
      return
    }
    this.#blankLinesBytes = 0
    this.#bareLF = !hasCR
    if (this.#readCommonRequestLine(text, start, end)) return
    // Known before it is judged, so an error can carry it (servers log it, as CPython does).
    this.#requestLine = text.slice(start, end)

    // One pass finds the spaces and the first byte that no request-line word may hold.
    let sp1 = -1
    let lastSp = -1
    let spaces = 0
    let control = -1
    const offset = this.#srcOffset
    const bytes = bytes8
    for (let i = start; i < end; i++) {
      const c = bytes[offset + i] as number
      if (c > SP && c !== 0x7f) continue
      if (c === SP) {
        if (sp1 === -1) sp1 = i
        lastSp = i
        spaces++
      } else if (c === CR) {
        // A bare CR is a line end to some parsers and not to others: request smuggling.
        this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in the request line')
        return
      } else if (control === -1) {
        control = i
      }
    }
    if (sp1 === -1) {
      this.#badRequestLine(text, start, end, 'expected "METHOD target HTTP/x.y"')
      return
    }
    // CPython checks the version (the last word of three or more) before counting words.
    if (spaces > 1 && !this.#readVersion(text, lastSp + 1, end)) return
    if (sp1 === start) {
      this.#badRequestLine(text, start, end, 'the request line starts with a space')
      return
    }
    for (let i = start; i < sp1; i++) {
      if (TOKEN[bytes[offset + i] as number] !== 1) {
        const method = text.slice(start, sp1)
        this.#fail('SH_ERR_PARSE_INVALID_METHOD', `invalid method ${pyRepr(truncate(method))}`, {
          reason: `Bad request syntax (${pyRepr(text.slice(start, end))})`,
        })
        return
      }
    }
    const method = methodName(text, start, sp1)

    let targetEnd = lastSp
    if (spaces === 1) {
      // Two words: an HTTP/0.9 simple request, GET only (CPython's rule).
      if (method !== 'GET') {
        this.#fail('SH_ERR_PARSE_BAD_HTTP09_METHOD', `HTTP/0.9 allows only GET, got ${pyRepr(truncate(method))}`, {
          reason: `Bad HTTP/0.9 request type (${pyRepr(method)})`,
        })
        return
      }
      this.#version = 'HTTP/0.9'
      this.#versionMajor = 0
      this.#versionMinor = 9
      targetEnd = end
    } else if (spaces !== 2) {
      // Stricter than CPython's str.split(): one space between words, so every parser on the
      // path splits the line the same way.
      this.#badRequestLine(text, start, end, 'expected exactly three words separated by single spaces')
      return
    }
    if (targetEnd === sp1 + 1) {
      this.#badRequestLine(text, start, end, 'empty request-target')
      return
    }
    if (control !== -1) {
      // Only the target can still hold it: the method and version were checked above.
      this.#fail(
        'SH_ERR_PARSE_INVALID_TARGET',
        `control character ${pyRepr(text.charAt(control))} in the request-target`,
      )
      return
    }
    const target = text.slice(sp1 + 1, targetEnd)
    const form = targetFormOf(method, target)
    if (typeof form !== 'string') {
      this.#fail('SH_ERR_PARSE_INVALID_TARGET', `${form.why}: ${pyRepr(truncate(target))}`)
      return
    }
    this.#method = method
    this.#target = target
    this.#targetForm = form

    if (spaces === 1) {
      // CPython reads no header lines after a simple request; its response ends the connection.
      this.#emitHead('none')
      if (this.#state === S_FAILED) return
      this.#state = S_DONE
      this.#callbacks.onEnd?.(undefined)
      return
    }
    this.#state = S_HEADERS
  }

  /**
   * The fast path for `TOKEN SP target SP HTTP/1.0|1.1` with nothing unusual in it. Returns
   * false, having changed nothing, for anything else: the general path then decides (and
   * explains any error).
   */
  #readCommonRequestLine(text: string, start: number, end: number): boolean {
    const sp1 = text.indexOf(' ', start)
    if (sp1 <= start || sp1 >= end) return false
    const sp2 = text.indexOf(' ', sp1 + 1)
    if (sp2 !== end - 9 || sp2 === sp1 + 1) return false
    const offset = this.#srcOffset
    const bytes = bytes8
    const v = offset + sp2 + 1
    const minor = bytes[v + 7]
    if (
      bytes[v] !== 0x48 ||
      bytes[v + 1] !== 0x54 ||
      bytes[v + 2] !== 0x54 ||
      bytes[v + 3] !== 0x50 ||
      bytes[v + 4] !== 0x2f ||
      bytes[v + 5] !== 0x31 ||
      bytes[v + 6] !== 0x2e ||
      (minor !== 0x31 && minor !== 0x30)
    ) {
      return false
    }
    for (let i = offset + start; i < offset + sp1; i++) if (TOKEN[bytes[i] as number] !== 1) return false
    // The target: no control byte, no DEL (no space either: sp2 is the next one).
    if (!this.#srcNoDel) return false
    if (sp2 - sp1 > 8) {
      if (!noControlBytes(offset + sp1 + 1, offset + sp2)) return false
    } else {
      for (let i = offset + sp1 + 1; i < offset + sp2; i++) if ((bytes[i] as number) < SP) return false
    }
    const method = methodName(text, start, sp1)
    const target = text.slice(sp1 + 1, sp2)
    const form = targetFormOf(method, target)
    if (typeof form !== 'string') return false
    this.#method = method
    this.#target = target
    this.#targetForm = form
    this.#versionMajor = 1
    this.#versionMinor = minor === 0x31 ? 1 : 0
    this.#version = minor === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0'
    this.#requestLine = text.slice(start, end)
    this.#state = S_HEADERS
    return true
  }

  #badRequestLine(text: string, start: number, end: number, why: string): void {
    const line = text.slice(start, end)
    this.#fail('SH_ERR_PARSE_BAD_REQUEST_LINE', `${why}: ${pyRepr(truncate(line))}`, {
      reason: `Bad request syntax (${pyRepr(line)})`,
    })
  }

  /** CPython's version rule: `HTTP/` then two dot-separated runs of at most ten digits. */
  #readVersion(text: string, start: number, end: number): boolean {
    // Fast path: HTTP/1.1 and HTTP/1.0.
    if (
      end - start === 8 &&
      text.charCodeAt(start) === 0x48 &&
      text.charCodeAt(start + 1) === 0x54 &&
      text.charCodeAt(start + 2) === 0x54 &&
      text.charCodeAt(start + 3) === 0x50 &&
      text.charCodeAt(start + 4) === 0x2f &&
      text.charCodeAt(start + 5) === 0x31 &&
      text.charCodeAt(start + 6) === 0x2e
    ) {
      const minor = text.charCodeAt(start + 7)
      if (minor === 0x31 || minor === 0x30) {
        this.#versionMajor = 1
        this.#versionMinor = minor === 0x31 ? 1 : 0
        this.#version = minor === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0'
        return true
      }
    }
    const version = text.slice(start, end)
    const match = /^HTTP\/([0-9]{1,10})\.([0-9]{1,10})$/.exec(version)
    if (match == null) {
      this.#fail('SH_ERR_PARSE_BAD_VERSION', `expected HTTP/x.y, got ${pyRepr(truncate(version))}`, {
        reason: `Bad request version (${pyRepr(version)})`,
      })
      return false
    }
    const major = Number(match[1])
    const minor = Number(match[2])
    if (major >= 2) {
      const number = version.slice(5)
      this.#fail('SH_ERR_PARSE_VERSION_NOT_SUPPORTED', `HTTP/${number} is not supported over HTTP/1.x`, {
        reason: `Invalid HTTP version (${number})`,
      })
      return false
    }
    this.#version = version
    this.#versionMajor = major
    this.#versionMinor = minor
    return true
  }

  // ---- header fields ------------------------------------------------------------------------

  #onHeaderLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (hasCR === this.#bareLF) {
      // A head is all CRLF or all bare LF; a mix is read differently by different parsers.
      this.#fail(
        'SH_ERR_PARSE_INVALID_LINE_ENDING',
        this.#bareLF ? 'CRLF line in a head that began with bare LF' : 'bare LF in a head that began with CRLF',
      )
      return
    }
    if (start === end) {
      this.#endHead()
      return
    }
    if (!this.#countField(this.#raw, lineBytes, 'header')) return
    const kind = this.#readField(text, start, end, this.#raw)
    if (kind > K_OTHER) this.#noteFramingField(kind)
  }

  /**
   * The fast path for a CRLF header line `Name: value` whose name is in the name cache and whose
   * value has no tab or control byte: the scan of the value finds the CR that ends the line, so
   * the line is read in one pass. Returns the index after the line (having done exactly what
   * #onHeaderLine does), or -1, having changed nothing, for the general path to decide.
   */
  #readCommonHeaderLine(text: string, start: number): number {
    if (!LITTLE_ENDIAN || !this.#srcNoDel) return -1
    const colon = text.indexOf(':', start)
    if (colon <= start) return -1
    const offset = this.#srcOffset
    const slot = findName(offset + start, colon - start)
    const name = slot >= 0 ? NAME_CACHE[slot] : undefined
    if (name === undefined) return -1
    const bytes = bytes8
    let valueStart = offset + colon + 1
    const stop = offset + text.length
    while (valueStart < stop && bytes[valueStart] === SP) valueStart++
    // The first byte below 0x20 must be the CR of this line's CRLF.
    const cr = firstControlByte(valueStart, stop)
    if (cr === -1 || cr + 1 >= stop || bytes[cr] !== CR || bytes[cr + 1] !== LF) return -1
    const lineBytes = cr + 2 - (offset + start)
    if (lineBytes > this.#maxHeaderLine) return -1
    let valueEnd = cr
    while (valueEnd > valueStart && bytes[valueEnd - 1] === SP) valueEnd--
    const next = cr + 2 - offset
    if (!this.#countField(this.#raw, lineBytes, 'header')) return next
    this.#raw.push(name, text.slice(valueStart - offset, valueEnd - offset))
    const kind = NAME_KIND[slot] as number
    if (kind > K_OTHER) this.#noteFramingField(kind)
    return next
  }

  /** Apply the count and size limits before one more header (or trailer) line is kept. */
  #countField(fields: string[], lineBytes: number, kind: 'header' | 'trailer'): boolean {
    this.#headersSize += lineBytes
    if (this.#headersSize > this.#maxHeadersSize) {
      this.#fail('SH_ERR_PARSE_HEADERS_TOO_LARGE', `${kind} lines exceed ${this.#maxHeadersSize} bytes`, {
        reason: 'Headers too large',
        explain: `got more than ${this.#maxHeadersSize} bytes of ${kind} lines`,
      })
      return false
    }
    if (fields.length >> 1 >= this.#maxHeaders) {
      // CPython (http.client._read_headers): 100 fields are fine, the 101st is refused.
      this.#fail('SH_ERR_PARSE_TOO_MANY_HEADERS', `more than ${this.#maxHeaders} ${kind} fields`, {
        reason: 'Too many headers',
        explain: `got more than ${this.#maxHeaders} headers`,
      })
      return false
    }
    return true
  }

  /**
   * Validate one `name: value` line and push both onto `into`. Returns what kind of field it is
   * (`K_*`), or -1 after failing the parse.
   */
  #readField(text: string, start: number, end: number, into: string[]): number {
    // The name: a token, then the colon. Names seen before (by any parser) are recognised by
    // comparing whole words with a cached copy that was validated when first seen.
    const offset = this.#srcOffset
    const colon = text.indexOf(':', start)
    let name: string | undefined
    let kind = K_OTHER
    if (colon > start && colon < end) {
      const slot = LITTLE_ENDIAN ? findName(offset + start, colon - start) : -1
      name = slot >= 0 ? NAME_CACHE[slot] : undefined
      if (name !== undefined) {
        kind = NAME_KIND[slot] as number
      } else {
        const bytes = bytes8
        let at = offset + start
        const stop = offset + colon
        while (at < stop && TOKEN[bytes[at] as number] === 1) at++
        if (at === stop) {
          name = text.slice(start, colon)
          kind = fieldKind(text, start, colon)
          if (LITTLE_ENDIAN) rememberName(offset + start, colon - start, this.#srcCopy(start, colon), kind)
        }
      }
    }
    if (name === undefined) {
      this.#failFieldName(text, start, end)
      return -1
    }

    // The value: optional whitespace around it is not part of it (RFC 9112 §5).
    let valueStart = colon + 1
    let valueEnd = end
    let c = text.charCodeAt(valueStart)
    while (valueStart < valueEnd && (c === SP || c === HTAB)) c = text.charCodeAt(++valueStart)
    c = text.charCodeAt(valueEnd - 1)
    while (valueEnd > valueStart && (c === SP || c === HTAB)) c = text.charCodeAt(--valueEnd - 1)
    if (
      valueEnd - valueStart >= 8 && this.#srcNoDel
        ? !noControlBytes(this.#srcOffset + valueStart, this.#srcOffset + valueEnd)
        : true
    ) {
      for (let i = valueStart; i < valueEnd; i++) {
        c = text.charCodeAt(i)
        // field-vchar, SP, HTAB, obs-text: no NUL, CR, LF, other controls or DEL (RFC 9110 §5.5).
        if ((c < SP && c !== HTAB) || c === 0x7f) {
          if (c === CR) {
            this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header value')
          } else {
            this.#fail(
              'SH_ERR_PARSE_INVALID_HEADER_VALUE',
              `control character ${pyRepr(text.charAt(i))} in the value of ${pyRepr(truncate(name))}`,
            )
          }
          return -1
        }
      }
    }
    into.push(name, text.slice(valueStart, valueEnd))
    return kind
  }

  /** Say precisely what is wrong with a header line whose name part did not validate. */
  #failFieldName(text: string, start: number, end: number): void {
    const first = text.charCodeAt(start)
    if (first === SP || first === HTAB) {
      // obs-fold (RFC 9112 §5.2): a server must reject it or unfold it; unfolding invites desync.
      this.#fail('SH_ERR_PARSE_OBS_FOLD', 'a header line starts with whitespace (obs-fold)')
      return
    }
    let at = start
    while (at < end && TOKEN[text.charCodeAt(at)] === 1) at++
    const c = text.charCodeAt(at)
    if (at > start && (c === SP || c === HTAB)) {
      let after = at
      while (after < end && (text.charCodeAt(after) === SP || text.charCodeAt(after) === HTAB)) after++
      if (text.charCodeAt(after) === COLON) {
        // RFC 9112 §5.1: whitespace before the colon must be rejected (proxies disagree on it).
        this.#fail('SH_ERR_PARSE_SPACE_BEFORE_COLON', 'whitespace between a header name and its colon')
        return
      }
    }
    // At `end` the next byte is this line's own CR (or LF): not a bare CR.
    if (at === end) this.#fail('SH_ERR_PARSE_INVALID_HEADER_NAME', 'a header line has no colon')
    else if (c === CR) this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header line')
    else if (at === start && c === COLON) this.#fail('SH_ERR_PARSE_INVALID_HEADER_NAME', 'empty header name')
    else {
      this.#fail('SH_ERR_PARSE_INVALID_HEADER_NAME', `invalid character ${pyRepr(text.charAt(at))} in a header name`)
    }
  }

  /** Remember the fields that decide framing and connection handling as they arrive. */
  #noteFramingField(kind: number): void {
    const raw = this.#raw
    const value = raw[raw.length - 1] as string
    switch (kind) {
      case K_HOST:
        if (++this.#hostCount > 1) {
          // RFC 9112 §3.2: more than one Host is a 400; two hosts is how caches get poisoned.
          this.#fail('SH_ERR_PARSE_DUPLICATE_HOST', 'more than one Host header field')
        }
        return
      case K_EXPECT:
        if (equalsLower(value, 0, value.length, '100-continue')) this.#expectContinue = true
        return
      case K_CONNECTION:
        this.#noteConnection(value)
        return
      case K_CONTENT_LENGTH:
        this.#noteContentLength(value)
        return
      default:
        this.#noteTransferEncoding(value)
    }
  }

  #noteConnection(value: string): void {
    // The common single-token values without splitting.
    if (equalsLower(value, 0, value.length, 'keep-alive')) this.#connectionKeepAlive = true
    else if (equalsLower(value, 0, value.length, 'close')) this.#connectionClose = true
    else {
      for (const token of value.split(',')) {
        const t = trimOWS(token).toLowerCase()
        if (t === 'close') this.#connectionClose = true
        else if (t === 'keep-alive') this.#connectionKeepAlive = true
      }
    }
  }

  #noteContentLength(value: string): void {
    if (this.#contentLength !== -1) {
      // RFC 9112 §6.3 lets a recipient merge identical values; refusing is simpler and safer.
      this.#fail('SH_ERR_PARSE_INVALID_CONTENT_LENGTH', 'more than one Content-Length field')
      return
    }
    // 1*DIGIT and nothing else: no sign, no hex, no list ("5, 5"), no inner spaces, not empty.
    let digits = value.length > 0
    for (let i = 0; i < value.length && digits; i++) {
      const c = value.charCodeAt(i)
      digits = c >= 0x30 && c <= 0x39
    }
    if (!digits) {
      this.#fail(
        'SH_ERR_PARSE_INVALID_CONTENT_LENGTH',
        `Content-Length must be decimal digits, got ${pyRepr(truncate(value))}`,
      )
      return
    }
    const length = Number(value)
    if (!Number.isSafeInteger(length) || length > this.#maxBody) {
      this.#fail('SH_ERR_PARSE_BODY_TOO_LARGE', `Content-Length ${truncate(value)} is too large`)
      return
    }
    this.#contentLength = length
  }

  #noteTransferEncoding(value: string): void {
    const codings = (this.#transferCodings ??= [])
    for (const element of value.split(',')) {
      // Only SP and HTAB are optional whitespace: String#trim() would also strip NBSP (0xA0),
      // letting `chunked\xa0` pass here while a proxy in front treats it as another coding.
      const coding = trimOWS(element)
      if (coding === '') continue // RFC 9110 §5.6.1: empty list elements are allowed and ignored
      for (let i = 0; i < coding.length; i++) {
        if (TOKEN[coding.charCodeAt(i)] !== 1) {
          // Includes parameters (`chunked;q=1`): no coding we could apply takes any.
          this.#fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', `invalid transfer coding ${pyRepr(truncate(coding))}`)
          return
        }
      }
      codings.push(coding.toLowerCase())
    }
  }

  #endHead(): void {
    const codings = this.#transferCodings
    let framing: BodyFraming = 'none'
    if (codings !== undefined) {
      if (this.#contentLength !== -1) {
        // RFC 9112 §6.1: CL with TE is the classic smuggling vector; refuse rather than pick one.
        this.#fail('SH_ERR_PARSE_CONFLICTING_FRAMING', 'both Content-Length and Transfer-Encoding are present')
        return
      }
      if (this.#versionMajor === 0 || (this.#versionMajor === 1 && this.#versionMinor === 0)) {
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        this.#fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request')
        return
      }
      const last = codings.length - 1
      if (last === -1 || codings[last] !== 'chunked') {
        // RFC 9112 §6.3: if chunked is not the final coding the length cannot be known: 400.
        this.#fail(
          'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING',
          `the final transfer coding must be chunked, got ${pyRepr(truncate(codings.join(', ')))}`,
        )
        return
      }
      if (last > 0) {
        // RFC 9112 §6.1: a coding we do not apply is 501; "chunked, chunked" is malformed.
        const other = codings.find((c) => c !== 'chunked')
        if (other === undefined) {
          this.#fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', 'chunked applied more than once')
        } else {
          this.#fail('SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', `unsupported transfer coding ${pyRepr(truncate(other))}`)
        }
        return
      }
      framing = 'chunked'
    } else if (this.#contentLength > 0) {
      framing = 'length'
    }
    this.#emitHead(framing)
    if (this.#state === S_FAILED) return
    if (framing === 'none') {
      this.#endMessage(undefined)
    } else if (framing === 'length') {
      this.#state = S_BODY_LENGTH
      this.#remaining = this.#contentLength
    } else {
      this.#state = S_CHUNK_SIZE
      this.#bodyTotal = 0
      this.#chunkSize = 0
      this.#chunkDigits = 0
    }
  }

  #emitHead(framing: BodyFraming): void {
    const major = this.#versionMajor
    const minor = this.#versionMinor
    const http11 = major === 1 && minor >= 1
    const head: RequestHead = {
      method: this.#method,
      target: this.#target,
      targetForm: this.#targetForm,
      version: this.#version,
      versionMajor: major,
      versionMinor: minor,
      requestLine: this.#requestLine,
      headers: new HeaderList(this.#raw),
      framing,
      contentLength: framing === 'chunked' ? undefined : Math.max(0, this.#contentLength),
      keepAlive: !this.#connectionClose && (http11 || this.#connectionKeepAlive),
      expectContinue: this.#expectContinue,
    }
    // Size the next head's window after this one (plus slack for a longer cookie or path).
    const size = this.#requestLine.length + this.#headersSize + 64
    this.#window = size > MIN_WINDOW ? size + (size >> 2) : MIN_WINDOW
    this.#callbacks.onHead(head)
  }

  #endMessage(trailers: HeaderList | undefined): void {
    this.#state = S_REQUEST_LINE
    this.#requestLine = ''
    this.#raw = []
    this.#headersSize = 0
    this.#contentLength = -1
    this.#transferCodings = undefined
    this.#hostCount = 0
    this.#connectionClose = false
    this.#connectionKeepAlive = false
    this.#expectContinue = false
    this.#callbacks.onEnd?.(trailers)
  }

  // ---- chunked body ------------------------------------------------------------------------

  /**
   * Chunk-size lines and the CRLF after chunk data, one byte at a time: nothing is buffered, so
   * memory stays flat however the framing is split across chunks.
   * @see https://www.rfc-editor.org/rfc/rfc9112#section-7.1
   */
  #readChunkFraming(chunk: Buffer, pos: number, length: number): number {
    let state = this.#state
    while (pos < length) {
      const c = chunk[pos] as number
      if (state === S_CHUNK_SIZE) {
        const digit = HEX[c] as number
        if (digit !== 255) {
          // Refuse sizes that a double cannot hold exactly, before they lose precision.
          if (this.#chunkSize > (Number.MAX_SAFE_INTEGER - digit) / 16) {
            return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', 'chunk size too large')
          }
          this.#chunkSize = this.#chunkSize * 16 + digit
          this.#chunkDigits++
        } else if (this.#chunkDigits === 0) {
          return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', `expected a hex chunk size, got ${pyRepr(String.fromCharCode(c))}`)
        } else if (c === CR) {
          state = S_CHUNK_SIZE_LF
        } else if (c === SEMICOLON || c === SP || c === HTAB) {
          state = S_CHUNK_EXT
          this.#extState = c === SEMICOLON ? X_BEFORE_NAME : X_SIZE_BWS
          this.#extLength = 1
        } else if (c === LF) {
          return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare LF in chunked framing')
        } else {
          return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', `invalid character ${pyRepr(String.fromCharCode(c))} after a chunk size`)
        }
      } else if (state === S_CHUNK_EXT) {
        if (c === CR) {
          const x = this.#extState
          if (x !== X_NAME && x !== X_VALUE && x !== X_AFTER_QUOTED) {
            return this.#failChunk(
              pos,
              x === X_SIZE_BWS ? 'SH_ERR_PARSE_INVALID_CHUNK_SIZE' : 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION',
              'a chunk-size line ends in the middle of a chunk extension',
            )
          }
          state = S_CHUNK_SIZE_LF
        } else if (++this.#extLength > this.#maxChunkExtension) {
          // An endless extension would otherwise be read forever (no memory, but no progress).
          return this.#failChunk(pos, 'SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG', `chunk extension longer than ${this.#maxChunkExtension} bytes`)
        } else if (!this.#chunkExtByte(c)) {
          return this.#failChunk(
            pos,
            c === LF ? 'SH_ERR_PARSE_INVALID_LINE_ENDING' : 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION',
            c === LF ? 'bare LF in chunked framing' : `invalid character ${pyRepr(String.fromCharCode(c))} in a chunk extension`,
          )
        }
      } else if (state === S_CHUNK_SIZE_LF) {
        if (c !== LF) return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in chunked framing')
        pos++
        const size = this.#chunkSize
        this.#chunkSize = 0
        this.#chunkDigits = 0
        if (size === 0) {
          this.#state = S_TRAILERS
          this.#trailers = []
          this.#headersSize = 0
          return pos
        }
        this.#bodyTotal += size
        if (this.#bodyTotal > this.#maxBody) {
          return this.#failChunk(pos - 1, 'SH_ERR_PARSE_BODY_TOO_LARGE', `chunked body larger than ${this.#maxBody} bytes`)
        }
        this.#remaining = size
        this.#state = S_CHUNK_DATA
        return pos
      } else if (state === S_CHUNK_DATA_CR) {
        // Chunk data must be followed by exactly CRLF, even in a bare-LF head.
        if (c !== CR) return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_CHUNK_END', 'chunk data is not followed by CRLF')
        state = S_CHUNK_DATA_LF
      } else {
        if (c !== LF) return this.#failChunk(pos, 'SH_ERR_PARSE_INVALID_CHUNK_END', 'chunk data is not followed by CRLF')
        state = S_CHUNK_SIZE
      }
      pos++
    }
    this.#state = state
    return pos
  }

  /** Advance the chunk-extension grammar by one byte (not CR); false if the byte is not allowed. */
  #chunkExtByte(c: number): boolean {
    const token = TOKEN[c] === 1
    const ws = c === SP || c === HTAB
    switch (this.#extState) {
      case X_SIZE_BWS:
      case X_VALUE_BWS:
        if (c === SEMICOLON) this.#extState = X_BEFORE_NAME
        return ws || c === SEMICOLON
      case X_BEFORE_NAME:
        if (token) this.#extState = X_NAME
        return ws || token
      case X_NAME:
      case X_NAME_BWS:
        if (c === 0x3d) this.#extState = X_BEFORE_VALUE
        else if (c === SEMICOLON) this.#extState = X_BEFORE_NAME
        else if (ws) this.#extState = X_NAME_BWS
        else return token && this.#extState === X_NAME
        return true
      case X_BEFORE_VALUE:
        if (token) this.#extState = X_VALUE
        else if (c === 0x22) this.#extState = X_QUOTED
        return ws || token || c === 0x22
      case X_VALUE:
      case X_AFTER_QUOTED:
        if (c === SEMICOLON) this.#extState = X_BEFORE_NAME
        else if (ws) this.#extState = X_VALUE_BWS
        else return token && this.#extState === X_VALUE
        return true
      case X_QUOTED:
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
        if (c === 0x22) this.#extState = X_AFTER_QUOTED
        else if (c === 0x5c) this.#extState = X_QUOTED_PAIR
        else return ws || (c >= 0x21 && c !== 0x7f)
        return true
      default:
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        this.#extState = X_QUOTED
        return ws || (c >= 0x21 && c !== 0x7f)
    }
  }

  #failChunk(pos: number, code: ParseErrorCode, message: string): number {
    this.#fail(code, message)
    return pos
  }

  #onTrailerLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (!hasCR) {
      this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare LF in chunked framing')
      return
    }
    if (start === end) {
      const trailers = this.#trailers
      this.#trailers = []
      this.#endMessage(trailers.length > 0 ? new HeaderList(trailers) : undefined)
      return
    }
    if (this.#countField(this.#trailers, lineBytes, 'trailer')) this.#readField(text, start, end, this.#trailers)
  }

  #fail(code: ParseErrorCode, message: string, options: HTTPParseErrorOptions = {}): void {
    if (this.#state === S_FAILED) return
    this.#state = S_FAILED
    // The current request's line, once it was read ('' between requests).
    const requestLine = this.#requestLine === '' ? undefined : this.#requestLine
    const error = new HTTPParseError(code, message, { requestLine, ...options })
    this.#error = error
    this.#callbacks.onError?.(error)
  }
}

// Field kinds the parser acts on.
const K_OTHER = 0
const K_HOST = 1
const K_EXPECT = 2
const K_CONNECTION = 3
const K_CONTENT_LENGTH = 4
const K_TRANSFER_ENCODING = 5

/**
 * Header names already validated, shared by every parser and compared as 32-bit words: a name
 * whose bytes equal a cached one is a valid token of a known kind, and reuses its string.
 * Bounded: 256 slots of names from 4 to 32 bytes; a collision only costs a re-validation.
 */
const NAME_SLOTS = 256
const NAME_WORDS = 8
const NAME_CACHE: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined)
const NAME_KIND = new Uint8Array(NAME_SLOTS)
const NAME_LENGTH = new Uint8Array(NAME_SLOTS)
const NAME_DATA = new Int32Array(NAME_SLOTS * NAME_WORDS)
/** Composing a word from two aligned loads below assumes little-endian words. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** The four bytes at `at` (any alignment) as one int32, or NaN past the end of the view. */
function wordAt(at: number): number {
  const index = at >> 2
  const shift = (at & 3) << 3
  const words = words32
  if (shift === 0) return words[index] ?? NaN
  if (index + 1 >= words.length) return NaN
  return ((words[index] as number) >>> shift) | ((words[index + 1] as number) << (32 - shift))
}

function nameSlot(first: number, last: number, length: number): number {
  return ((first ^ Math.imul(last, 0x9e3779b1) ^ length) >>> 24) & (NAME_SLOTS - 1)
}

/** The cache slot holding exactly the `length` bytes at `at`, or -1. */
function findName(at: number, length: number): number {
  if (length < 4 || length > NAME_WORDS * 4) return -1
  const first = wordAt(at)
  const last = wordAt(at + length - 4)
  const slot = nameSlot(first, last, length)
  if (NAME_LENGTH[slot] !== length) return -1
  const base = slot * NAME_WORDS
  if (NAME_DATA[base] !== first || NAME_DATA[base + NAME_WORDS - 1] !== last) return -1
  // The words in between; the last one overlaps the one before it when length % 4 !== 0.
  for (let i = 4, j = 1; i < length - 4; i += 4, j++) {
    if (NAME_DATA[base + j] !== wordAt(at + i)) return -1
  }
  return slot
}

function rememberName(at: number, length: number, name: string, kind: number): void {
  if (length < 4 || length > NAME_WORDS * 4) return
  const first = wordAt(at)
  const last = wordAt(at + length - 4)
  // NaN (a name at the very end of its buffer) never compares equal: do not cache it.
  if (Number.isNaN(first) || Number.isNaN(last)) return
  const slot = nameSlot(first, last, length)
  const base = slot * NAME_WORDS
  NAME_DATA[base] = first
  NAME_DATA[base + NAME_WORDS - 1] = last
  for (let i = 4, j = 1; i < length - 4; i += 4, j++) {
    const word = wordAt(at + i)
    if (Number.isNaN(word)) {
      NAME_LENGTH[slot] = 0
      return
    }
    NAME_DATA[base + j] = word
  }
  NAME_LENGTH[slot] = length
  NAME_CACHE[slot] = name
  NAME_KIND[slot] = kind
}

/**
 * The offset of the first byte below 0x20 in `[from, to)` of the current source buffer, or -1;
 * four bytes at a time, as in noControlBytes.
 */
function firstControlByte(from: number, to: number): number {
  const bytes = bytes8
  let i = from
  for (; (i & 3) !== 0 && i < to; i++) if ((bytes[i] as number) < SP) return i
  const words = words32
  for (; i + 4 <= to; i += 4) {
    const a = words[i >> 2] as number
    if (((a - 0x20202020) & ~a) & 0x80808080) break
  }
  for (; i < to; i++) if ((bytes[i] as number) < SP) return i
  return -1
}

/** Which of the fields the parser acts on `text[start, end)` names, if any. */
function fieldKind(text: string, start: number, end: number): number {
  switch (end - start) {
    case 4:
      return equalsLower(text, start, end, 'host') ? K_HOST : K_OTHER
    case 6:
      return equalsLower(text, start, end, 'expect') ? K_EXPECT : K_OTHER
    case 10:
      return equalsLower(text, start, end, 'connection') ? K_CONNECTION : K_OTHER
    case 14:
      return equalsLower(text, start, end, 'content-length') ? K_CONTENT_LENGTH : K_OTHER
    case 17:
      return equalsLower(text, start, end, 'transfer-encoding') ? K_TRANSFER_ENCODING : K_OTHER
    default:
      return K_OTHER
  }
}

// Views over the ArrayBuffer behind the text being read, for the four-bytes-at-a-time check. Set
// by #setSource before any line of that text is read; `from`/`to` are offsets in that buffer.
let viewSource: ArrayBufferLike | undefined
let bytes8: Uint8Array = new Uint8Array(0)
let words32: Int32Array = new Int32Array(0)

/**
 * True when bytes `[from, to)` of the current source buffer hold no byte below 0x20 (a tab counts as one: the caller then looks
 * closer). DEL is ruled out by the caller. Reads aligned 32-bit words and tests all four bytes
 * at once: `(x - 0x20202020) & ~x & 0x80808080` is non-zero iff some byte of x is below 0x20.
 */
function useViews(source: ArrayBufferLike): void {
  viewSource = source
  bytes8 = new Uint8Array(source)
  words32 = new Int32Array(source, 0, source.byteLength >>> 2)
}

function noControlBytes(from: number, to: number): boolean {
  let i = from
  const end = to
  for (; (i & 3) !== 0 && i < end; i++) if ((bytes8[i] as number) < SP) return false
  const words = words32
  for (; i + 16 <= end; i += 16) {
    const w = i >> 2
    const a = words[w] as number
    const b = words[w + 1] as number
    const c = words[w + 2] as number
    const d = words[w + 3] as number
    if ((((a - 0x20202020) & ~a) | ((b - 0x20202020) & ~b) | ((c - 0x20202020) & ~c) | ((d - 0x20202020) & ~d)) & 0x80808080) {
      return false
    }
  }
  for (; i + 4 <= end; i += 4) {
    const a = words[i >> 2] as number
    if (((a - 0x20202020) & ~a) & 0x80808080) return false
  }
  for (; i < end; i++) if ((bytes8[i] as number) < SP) return false
  return true
}

/** The method as a string; the common ones without allocating. */
function methodName(text: string, start: number, end: number): string {
  const c = text.charCodeAt(start)
  switch (end - start) {
    case 3:
      if (c === 0x47 && text.charCodeAt(start + 1) === 0x45 && text.charCodeAt(start + 2) === 0x54) return 'GET'
      if (c === 0x50 && text.charCodeAt(start + 1) === 0x55 && text.charCodeAt(start + 2) === 0x54) return 'PUT'
      break
    case 4:
      if (c === 0x50 && text.startsWith('POST', start)) return 'POST'
      if (c === 0x48 && text.startsWith('HEAD', start)) return 'HEAD'
      break
    default:
  }
  return text.slice(start, end)
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+):[0-9]{1,5}$/

/** Which request-target form `target` takes for `method`, or why it is not allowed. */
function targetFormOf(method: string, target: string): TargetForm | { why: string } {
  if (method === 'CONNECT') {
    return AUTHORITY.test(target) ? 'authority' : { why: 'CONNECT needs host:port' }
  }
  if (target.charCodeAt(0) === 0x2f) return 'origin'
  if (target === '*') return method === 'OPTIONS' ? 'asterisk' : { why: '"*" is only for OPTIONS' }
  if (SCHEME.test(target)) return 'absolute'
  return { why: 'expected a path, an absolute URI, host:port or *' }
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text
}

/** Strip optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) from both ends. */
function trimOWS(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text.charCodeAt(start) === SP || text.charCodeAt(start) === HTAB)) start++
  while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}
