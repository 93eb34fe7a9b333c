/**
 * The incremental request parser.
 * @module
 */
import { HTTPParseError, type HTTPParseErrorOptions, type ParseErrorCode } from './errors.js'
import { HeaderList } from './headers.js'
import { COLON, CR, FIELD_VALUE, HEX, HTAB, LF, SEMICOLON, SP, TARGET, TOKEN } from './internal/chars.js'
import { pyRepr } from './py-repr.js'

/** Limits and policy. Every limit bounds the memory one connection can make the parser hold. */
export interface ParserOptions {
  /** Longest request line, counting its line ending; longer → 414. Default 65,536 (CPython). */
  maxRequestLineSize?: number
  /** Longest header (or trailer) line, counting its line ending; longer → 431. Default 65,536 (CPython). */
  maxHeaderLineSize?: number
  /** Most header fields (and, separately, trailer fields); one more → 431. Default 100 (CPython). */
  maxHeaders?: number
  /** Most bytes of header lines in one head, line endings included; more → 431. Default 262,144. */
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
  readonly versionMajor: number
  readonly versionMinor: number
  /** The request line without its line ending, as CPython's `requestline`. */
  readonly requestLine: string
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

const State = {
  RequestLine: 0,
  Headers: 1,
  BodyLength: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailers: 6,
  /** After an HTTP/0.9 request: the connection ends, later bytes are ignored. */
  Done: 7,
  Failed: 8,
} as const
type State = (typeof State)[keyof typeof State]

/** Bytes allowed for a chunk-size line besides its extension: the hex size and whitespace. */
const CHUNK_SIZE_LINE_SLACK = 64

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string
}

function asBuffer(input: Uint8Array): Latin1Buffer {
  return (
    Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  ) as Latin1Buffer
}

function isSpaceOrTab(byte: number | undefined): boolean {
  return byte === SP || byte === HTAB
}

/** ASCII case-insensitive compare of `buf[start..start+lower.length)` with lower-case `lower`. */
function equalsLower(buf: Buffer, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    if (((buf[start + i] as number) | 0x20) !== lower.charCodeAt(i)) return false
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

  #state: State = State.RequestLine
  #error: HTTPParseError | undefined
  #paused = false

  // A line split across chunks is gathered here; lines inside one chunk are read in place.
  #line: Buffer = Buffer.allocUnsafe(0)
  #lineLength = 0
  #blankLinesBytes = 0

  // The request being read.
  #method = ''
  #target = ''
  #targetForm: TargetForm = 'origin'
  #version = ''
  #versionMajor = 1
  #versionMinor = 1
  #bareLF = false
  /** A two-word (HTTP/0.9) request line. */
  #simple = false
  #raw: string[] = []
  #headersSize = 0
  #contentLength = -1
  #transferCodings: string[] | undefined
  #hostCount = 0
  #connectionClose = false
  #connectionKeepAlive = false
  #expectContinue = false
  #remaining = 0
  #bodyTotal = 0
  #chunkEndIndex = 0
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
    return this.#state === State.RequestLine && this.#lineLength === 0 && this.#blankLinesBytes === 0
  }

  /** True once an HTTP/0.9 request was read (the connection ends after its response) or an error. */
  get finished(): boolean {
    return this.#state === State.Done || this.#state === State.Failed
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
      if (state === State.BodyLength || state === State.ChunkData) {
        const take = Math.min(this.#remaining, length - pos)
        this.#remaining -= take
        this.#callbacks.onBody?.(chunk.subarray(pos, pos + take))
        pos += take
        if (this.#remaining === 0) {
          if (state === State.BodyLength) this.#endMessage(undefined)
          else {
            this.#state = State.ChunkDataEnd
            this.#chunkEndIndex = 0
          }
        }
      } else if (state === State.ChunkDataEnd) {
        // Chunk data must be followed by exactly CRLF, even in a bare-LF head.
        const expected = this.#chunkEndIndex === 0 ? CR : LF
        if (chunk[pos] !== expected) {
          this.#fail('SH_ERR_PARSE_INVALID_CHUNK_END', 'chunk data is not followed by CRLF')
          return pos
        }
        pos++
        if (++this.#chunkEndIndex === 2) this.#state = State.ChunkSize
      } else if (state === State.Done || state === State.Failed) {
        break
      } else {
        pos = this.#readLine(chunk, pos, length)
      }
    }
    return pos
  }

  /**
   * Tell the parser the stream ended. Returns an error when it ended inside a request (which is
   * also reported to `onError`), `undefined` when it ended cleanly between requests.
   */
  finish(): HTTPParseError | undefined {
    if (this.#state === State.Failed) return this.#error
    if (this.#state === State.Done || this.idle) return undefined
    this.#fail('SH_ERR_PARSE_INCOMPLETE', 'the stream ended inside a request')
    return this.#error
  }

  /** Collect one line, then hand it to the current state's line reader. */
  #readLine(chunk: Latin1Buffer, pos: number, length: number): number {
    const limit = this.#lineLimit()
    const lf = chunk.indexOf(LF, pos)
    if (lf === -1) {
      const available = length - pos
      // Without its LF the line is already at the limit: refuse now rather than buffer more.
      if (this.#lineLength + available >= limit) {
        this.#failLineTooLong()
        return pos
      }
      this.#appendLine(chunk, pos, length)
      return length
    }
    if (this.#lineLength + (lf + 1 - pos) > limit) {
      this.#failLineTooLong()
      return pos
    }
    let buf = chunk
    let start = pos
    let end = lf
    if (this.#lineLength > 0) {
      this.#appendLine(chunk, pos, lf)
      buf = this.#line as Latin1Buffer
      start = 0
      end = this.#lineLength
      this.#lineLength = 0
    }
    const hasCR = end > start && buf[end - 1] === CR
    if (hasCR) end--
    this.#onLine(buf, start, end, hasCR, lf + 1)
    return this.#state === State.Failed ? pos : lf + 1
  }

  #lineLimit(): number {
    switch (this.#state) {
      case State.RequestLine:
        return this.#maxRequestLine
      case State.ChunkSize:
        return this.#maxChunkExtension + CHUNK_SIZE_LINE_SLACK
      default:
        return this.#maxHeaderLine
    }
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
    switch (this.#state) {
      case State.RequestLine:
        this.#fail(
          'SH_ERR_PARSE_REQUEST_LINE_TOO_LONG',
          `request line longer than ${this.#maxRequestLine} bytes`,
        )
        return
      case State.ChunkSize:
        this.#fail(
          'SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG',
          `chunk-size line longer than ${this.#maxChunkExtension + CHUNK_SIZE_LINE_SLACK} bytes`,
        )
        return
      default:
        this.#fail(
          'SH_ERR_PARSE_HEADER_LINE_TOO_LONG',
          `header line longer than ${this.#maxHeaderLine} bytes`,
          {
            reason: 'Line too long',
            explain: `got more than ${this.#maxHeaderLine} bytes when reading header line`,
          },
        )
    }
  }

  #onLine(buf: Latin1Buffer, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    switch (this.#state) {
      case State.RequestLine:
        this.#onRequestLine(buf, start, end, hasCR)
        return
      case State.Headers:
        this.#onHeaderLine(buf, start, end, hasCR, lineBytes)
        return
      case State.ChunkSize:
        this.#onChunkSizeLine(buf, start, end, hasCR)
        return
      default:
        this.#onTrailerLine(buf, start, end, hasCR)
    }
  }

  // ---- request line -------------------------------------------------------------------------

  #onRequestLine(buf: Latin1Buffer, start: number, end: number, hasCR: boolean): void {
    if (start === end) {
      // RFC 9112 §2.2: ignore empty lines before a request line (some clients send CRLF after a
      // body), within the request-line budget.
      this.#blankLinesBytes += hasCR ? 2 : 1
      if (this.#blankLinesBytes > this.#maxRequestLine) {
        this.#fail('SH_ERR_PARSE_BAD_REQUEST_LINE', 'too many empty lines before the request line', {
          reason: "Bad request syntax ('')",
        })
      }
      return
    }
    this.#blankLinesBytes = 0
    this.#bareLF = !hasCR
    const lineText = (): string => buf.latin1Slice(start, end)
    const badSyntax = (why: string): void => {
      const line = lineText()
      this.#fail('SH_ERR_PARSE_BAD_REQUEST_LINE', `${why}: ${pyRepr(truncate(line))}`, {
        reason: `Bad request syntax (${pyRepr(line)})`,
      })
    }

    const cr = buf.indexOf(CR, start)
    if (cr !== -1 && cr < end) {
      this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in the request line')
      return
    }
    const sp1 = buf.indexOf(SP, start)
    if (sp1 === -1 || sp1 >= end) {
      badSyntax('expected "METHOD target HTTP/x.y"')
      return
    }
    const lastSp = buf.lastIndexOf(SP, end - 1)
    // CPython checks the version (the last word of three or more) before counting words.
    if (lastSp !== sp1) {
      if (!this.#readVersion(buf, lastSp + 1, end)) return
    }
    if (sp1 === start) {
      badSyntax('the request line starts with a space')
      return
    }
    for (let i = start; i < sp1; i++) {
      if (TOKEN[buf[i] as number] === 0) {
        const method = buf.latin1Slice(start, sp1)
        this.#fail('SH_ERR_PARSE_INVALID_METHOD', `invalid method ${pyRepr(truncate(method))}`, {
          reason: `Bad request syntax (${pyRepr(lineText())})`,
        })
        return
      }
    }
    this.#method = buf.latin1Slice(start, sp1)

    let targetEnd = lastSp
    if (lastSp === sp1) {
      // Two words: an HTTP/0.9 simple request, GET only (CPython's rule).
      if (this.#method !== 'GET') {
        this.#fail(
          'SH_ERR_PARSE_BAD_HTTP09_METHOD',
          `HTTP/0.9 allows only GET, got ${pyRepr(truncate(this.#method))}`,
          { reason: `Bad HTTP/0.9 request type (${pyRepr(this.#method)})` },
        )
        return
      }
      this.#version = 'HTTP/0.9'
      this.#versionMajor = 0
      this.#versionMinor = 9
      this.#simple = true
      targetEnd = end
    } else if (buf.indexOf(SP, sp1 + 1) !== lastSp) {
      badSyntax('expected exactly three words separated by single spaces')
      return
    }
    if (targetEnd === sp1 + 1) {
      badSyntax('empty request-target')
      return
    }
    for (let i = sp1 + 1; i < targetEnd; i++) {
      if (TARGET[buf[i] as number] === 0) {
        this.#fail('SH_ERR_PARSE_INVALID_TARGET', `control character in the request-target`)
        return
      }
    }
    this.#target = buf.latin1Slice(sp1 + 1, targetEnd)
    const form = targetFormOf(this.#method, this.#target)
    if (typeof form !== 'string') {
      this.#fail('SH_ERR_PARSE_INVALID_TARGET', `${form.why}: ${pyRepr(truncate(this.#target))}`)
      return
    }
    this.#targetForm = form

    if (this.#simple) {
      // CPython reads no header lines after a simple request; its response ends the connection.
      this.#emitHead()
      if (this.#state === State.Failed) return
      this.#callbacks.onEnd?.(undefined)
      this.#state = State.Done
      return
    }
    this.#state = State.Headers
  }

  /** CPython's version rule: `HTTP/` then two dot-separated runs of at most ten digits. */
  #readVersion(buf: Latin1Buffer, start: number, end: number): boolean {
    // Fast path: HTTP/1.1 and HTTP/1.0.
    if (
      end - start === 8 &&
      buf[start] === 0x48 &&
      buf[start + 1] === 0x54 &&
      buf[start + 2] === 0x54 &&
      buf[start + 3] === 0x50 &&
      buf[start + 4] === 0x2f &&
      buf[start + 5] === 0x31 &&
      buf[start + 6] === 0x2e &&
      (buf[start + 7] === 0x31 || buf[start + 7] === 0x30)
    ) {
      this.#versionMajor = 1
      this.#versionMinor = buf[start + 7] === 0x31 ? 1 : 0
      this.#version = this.#versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0'
      return true
    }
    const version = buf.latin1Slice(start, end)
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

  #checkLineEnding(hasCR: boolean): boolean {
    if (hasCR === !this.#bareLF) return true
    this.#fail(
      'SH_ERR_PARSE_INVALID_LINE_ENDING',
      this.#bareLF ? 'CRLF line in a head that began with bare LF' : 'bare LF in a head that began with CRLF',
    )
    return false
  }

  #onHeaderLine(buf: Latin1Buffer, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (!this.#checkLineEnding(hasCR)) return
    if (start === end) {
      this.#endHead()
      return
    }
    this.#headersSize += lineBytes
    if (this.#headersSize > this.#maxHeadersSize) {
      this.#fail('SH_ERR_PARSE_HEADERS_TOO_LARGE', `header lines exceed ${this.#maxHeadersSize} bytes`, {
        reason: 'Headers too large',
        explain: `got more than ${this.#maxHeadersSize} bytes of header lines`,
      })
      return
    }
    if (this.#raw.length >> 1 >= this.#maxHeaders) {
      this.#fail('SH_ERR_PARSE_TOO_MANY_HEADERS', `more than ${this.#maxHeaders} header fields`, {
        reason: 'Too many headers',
        explain: `got more than ${this.#maxHeaders} headers`,
      })
      return
    }
    const colon = this.#readField(buf, start, end, this.#raw)
    if (colon === -1) return
    this.#noteFramingField(buf, start, colon)
  }

  /**
   * Validate one `name: value` line and push both onto `into`. Returns the colon's index, or -1
   * after failing the parse.
   */
  #readField(buf: Latin1Buffer, start: number, end: number, into: string[]): number {
    const first = buf[start]
    if (first === SP || first === HTAB) {
      // obs-fold (RFC 9112 §5.2): a server must reject it or unfold it; unfolding invites desync.
      this.#fail('SH_ERR_PARSE_OBS_FOLD', 'a header line starts with whitespace (obs-fold)')
      return -1
    }
    let colon = start
    while (colon < end && TOKEN[buf[colon] as number] === 1) colon++
    if (colon === end || buf[colon] !== COLON || colon === start) {
      const byte = buf[colon]
      if (isSpaceOrTab(byte) && colon > start) {
        let after = colon
        while (after < end && isSpaceOrTab(buf[after])) after++
        if (buf[after] === COLON) {
          // RFC 9112 §5.1: whitespace before the colon must be rejected (proxies disagree on it).
          this.#fail('SH_ERR_PARSE_SPACE_BEFORE_COLON', 'whitespace between a header name and its colon')
          return -1
        }
      }
      if (byte === CR) this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header line')
      else if (colon === end) this.#fail('SH_ERR_PARSE_INVALID_HEADER_NAME', 'a header line has no colon')
      else {
        this.#fail(
          'SH_ERR_PARSE_INVALID_HEADER_NAME',
          `invalid character ${pyRepr(String.fromCharCode(byte ?? 0))} in a header name`,
        )
      }
      return -1
    }
    let valueStart = colon + 1
    let valueEnd = end
    while (valueStart < valueEnd && isSpaceOrTab(buf[valueStart])) valueStart++
    while (valueEnd > valueStart && isSpaceOrTab(buf[valueEnd - 1])) valueEnd--
    for (let i = valueStart; i < valueEnd; i++) {
      const byte = buf[i] as number
      if (FIELD_VALUE[byte] === 0) {
        if (byte === CR) this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header value')
        else {
          this.#fail(
            'SH_ERR_PARSE_INVALID_HEADER_VALUE',
            `control character ${pyRepr(String.fromCharCode(byte))} in the value of ${buf.latin1Slice(start, colon)}`,
          )
        }
        return -1
      }
    }
    into.push(buf.latin1Slice(start, colon), buf.latin1Slice(valueStart, valueEnd))
    return colon
  }

  /** Remember the fields that decide framing and connection handling as they arrive. */
  #noteFramingField(buf: Latin1Buffer, start: number, colon: number): void {
    const value = this.#raw[this.#raw.length - 1] as string
    switch (colon - start) {
      case 4:
        if (equalsLower(buf, start, colon, 'host') && ++this.#hostCount > 1) {
          // RFC 9112 §3.2: more than one Host is a 400; two hosts is how caches get poisoned.
          this.#fail('SH_ERR_PARSE_DUPLICATE_HOST', 'more than one Host header field')
        }
        return
      case 6:
        if (equalsLower(buf, start, colon, 'expect') && value.toLowerCase() === '100-continue') {
          this.#expectContinue = true
        }
        return
      case 10:
        if (equalsLower(buf, start, colon, 'connection')) {
          for (const token of value.split(',')) {
            const t = token.trim().toLowerCase()
            if (t === 'close') this.#connectionClose = true
            else if (t === 'keep-alive') this.#connectionKeepAlive = true
          }
        }
        return
      case 14:
        if (equalsLower(buf, start, colon, 'content-length')) this.#noteContentLength(value)
        return
      case 17:
        if (equalsLower(buf, start, colon, 'transfer-encoding')) this.#noteTransferEncoding(value)
        return
      default:
    }
  }

  #noteContentLength(value: string): void {
    if (this.#contentLength !== -1) {
      // RFC 9112 §6.3 lets a recipient merge identical values; refusing is simpler and safer.
      this.#fail('SH_ERR_PARSE_INVALID_CONTENT_LENGTH', 'more than one Content-Length field')
      return
    }
    if (!/^[0-9]+$/.test(value)) {
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
      const coding = element.trim()
      if (coding === '') continue // RFC 9110 §5.6.1: empty list elements are allowed and ignored
      for (let i = 0; i < coding.length; i++) {
        if (TOKEN[coding.charCodeAt(i)] !== 1) {
          this.#fail(
            'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING',
            `invalid transfer coding ${pyRepr(truncate(coding))}`,
          )
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
        this.#fail(
          'SH_ERR_PARSE_CONFLICTING_FRAMING',
          'both Content-Length and Transfer-Encoding are present',
        )
        return
      }
      if (this.#versionMajor < 1 || (this.#versionMajor === 1 && this.#versionMinor === 0)) {
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        this.#fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request')
        return
      }
      const chunkedAt = codings.indexOf('chunked')
      if (codings.length === 0 || chunkedAt !== codings.length - 1) {
        // RFC 9112 §6.3: if chunked is not the final coding the length cannot be known: 400.
        this.#fail(
          'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING',
          `the final transfer coding must be chunked, got ${pyRepr(codings.join(', '))}`,
        )
        return
      }
      if (codings.length > 1) {
        // RFC 9112 §6.1: a coding we do not apply is 501; "chunked, chunked" is malformed.
        const other = codings.find((c) => c !== 'chunked') ?? 'chunked'
        if (other === 'chunked') {
          this.#fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', 'chunked applied more than once')
        } else {
          this.#fail('SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', `unsupported transfer coding ${pyRepr(other)}`)
        }
        return
      }
      framing = 'chunked'
    } else if (this.#contentLength > 0) {
      framing = 'length'
    }
    this.#emitHead(framing)
    if (this.#state === State.Failed) return
    if (framing === 'none') {
      this.#endMessage(undefined)
    } else if (framing === 'length') {
      this.#state = State.BodyLength
      this.#remaining = this.#contentLength
    } else {
      this.#state = State.ChunkSize
      this.#bodyTotal = 0
    }
  }

  #emitHead(framing: BodyFraming = 'none'): void {
    const http11 = this.#versionMajor === 1 && this.#versionMinor >= 1
    const head: RequestHead = {
      method: this.#method,
      target: this.#target,
      targetForm: this.#targetForm,
      version: this.#version,
      versionMajor: this.#versionMajor,
      versionMinor: this.#versionMinor,
      requestLine: this.#simple
        ? `${this.#method} ${this.#target}`
        : `${this.#method} ${this.#target} ${this.#version}`,
      headers: new HeaderList(this.#raw),
      framing,
      contentLength: framing === 'chunked' ? undefined : Math.max(this.#contentLength),
      keepAlive: http11 ? !this.#connectionClose : this.#connectionKeepAlive && !this.#connectionClose,
      expectContinue: this.#expectContinue,
    }
    this.#callbacks.onHead(head)
  }

  #endMessage(trailers: HeaderList | undefined): void {
    this.#state = State.RequestLine
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

  #onChunkSizeLine(buf: Latin1Buffer, start: number, end: number, hasCR: boolean): void {
    if (!hasCR) {
      this.#fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare LF in chunked framing')
      return
    }
    let size = 0
    let i = start
    for (; i < end; i++) {
      const digit = HEX[buf[i] as number] as number
      if (digit === 255) break
      // Refuse sizes that a double cannot hold exactly, before they lose precision.
      if (size > (Number.MAX_SAFE_INTEGER - digit) / 16) {
        this.#fail('SH_ERR_PARSE_INVALID_CHUNK_SIZE', 'chunk size too large')
        return
      }
      size = size * 16 + digit
    }
    if (i === start) {
      this.#fail('SH_ERR_PARSE_INVALID_CHUNK_SIZE', `expected a hex chunk size, got ${pyRepr(truncate(buf.latin1Slice(start, end)))}`)
      return
    }
    if (i < end) {
      // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] ), RFC 9112 §7.1.1
      let j = i
      while (j < end && isSpaceOrTab(buf[j])) j++
      if (buf[j] !== SEMICOLON) {
        this.#fail('SH_ERR_PARSE_INVALID_CHUNK_SIZE', `invalid chunk size ${pyRepr(truncate(buf.latin1Slice(start, end)))}`)
        return
      }
      if (end - i > this.#maxChunkExtension) {
        this.#fail('SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG', `chunk extension longer than ${this.#maxChunkExtension} bytes`)
        return
      }
      for (; j < end; j++) {
        if (FIELD_VALUE[buf[j] as number] === 0) {
          this.#fail('SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', 'control character in a chunk extension')
          return
        }
      }
    }
    if (size === 0) {
      this.#state = State.Trailers
      this.#trailers = []
      return
    }
    this.#bodyTotal += size
    if (this.#bodyTotal > this.#maxBody) {
      this.#fail('SH_ERR_PARSE_BODY_TOO_LARGE', `chunked body larger than ${this.#maxBody} bytes`)
      return
    }
    this.#remaining = size
    this.#state = State.ChunkData
  }

  #onTrailerLine(buf: Latin1Buffer, start: number, end: number, hasCR: boolean): void {
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
    if (this.#trailers.length >> 1 >= this.#maxHeaders) {
      this.#fail('SH_ERR_PARSE_TOO_MANY_HEADERS', `more than ${this.#maxHeaders} trailer fields`, {
        reason: 'Too many headers',
        explain: `got more than ${this.#maxHeaders} headers`,
      })
      return
    }
    this.#readField(buf, start, end, this.#trailers)
  }

  #fail(code: ParseErrorCode, message: string, options: HTTPParseErrorOptions = {}): void {
    if (this.#state === State.Failed) return
    this.#state = State.Failed
    const error = new HTTPParseError(code, message, options)
    this.#error = error
    this.#callbacks.onError?.(error)
  }
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
