/**
 * What reading a request and reading a response have in common: lines (the start line, header
 * fields, trailer fields), header validation, Content-Length and chunked bodies, limits and
 * failure. `RequestParser` and `ResponseParser` extend it with their start line and framing rules.
 * @module
 */
import { HTTPParseError, type HTTPParseErrorOptions, type ParseErrorCode } from '../errors.js'
import { HeaderList } from '../headers.js'
import type { MessageLimits } from '../types.js'
import { COLON, CR, HEX, HTAB, LF, SEMICOLON, SP, TOKEN } from './chars.js'
import { pyRepr } from '../py-repr.js'
import {
  EMPTY,
  K_CONNECTION,
  K_CONTENT_LENGTH,
  K_OTHER,
  K_TRANSFER_ENCODING,
  LITTLE_ENDIAN,
  NAME_CACHE,
  NAME_KIND,
  asBuffer,
  equalsLower,
  fieldKind,
  findName,
  firstControlByte,
  noControlBytes,
  rememberName,
  trimOWS,
  truncate,
  type Latin1Buffer,
} from './scan.js'

// Parser states. Plain numbers rather than an object so the hot loops compare constants.
// The first three are the line-oriented states (a head, or a chunked body's trailers).
export const S_START_LINE = 0
export const S_HEADERS = 1
export const S_TRAILERS = 2
export const S_BODY_LENGTH = 3
export const S_CHUNK_SIZE = 4
const S_CHUNK_EXT = 5
const S_CHUNK_SIZE_LF = 6
export const S_CHUNK_DATA = 7
const S_CHUNK_DATA_CR = 8
const S_CHUNK_DATA_LF = 9
/** A response body delimited by the end of the stream. */
export const S_BODY_CLOSE = 10
/** After an HTTP/0.9 request or an upgrade: the HTTP stream has ended, later bytes are not ours. */
export const S_DONE = 11
export const S_FAILED = 12

/** The body framings both directions share. */
export type SharedFraming = 'none' | 'length' | 'chunked' | 'close'

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

/** Views over an ArrayBuffer larger than this are dropped when `execute` returns. */
const MAX_KEPT_VIEW = 65536

const NO_BYTES = new Uint8Array(0)
const NO_WORDS = new Int32Array(0)

/** The callbacks both parsers share (the head's type is each subclass's own). */
interface MessageCallbacks {
  onBody?(chunk: Buffer): void
  onEnd?(trailers: HeaderList | undefined): void
  onError?(error: HTTPParseError): void
}

/**
 * The engine of both parsers. Members are `protected` for the two subclasses in this package;
 * they are not part of the API.
 */
export abstract class MessageParser {
  protected readonly callbacks: MessageCallbacks
  protected readonly maxStartLine: number
  readonly #maxHeaderLine: number
  readonly #maxHeaders: number
  readonly #maxHeadersSize: number
  readonly #maxChunkExtension: number
  protected readonly maxBody: number

  protected state = S_START_LINE
  #error: HTTPParseError | undefined
  protected paused = false
  /** How many bytes of a chunk to decode at once for a head; follows the size of recent heads. */
  #window = MIN_WINDOW

  // The bytes behind the text being read, so value checks can read four bytes at a time instead
  // of one character at a time. Views are per parser: a callback that parses with another parser
  // cannot move them.
  /** Where `text[0]` is in the ArrayBuffer behind it (the views below index from there). */
  protected srcOffset = 0
  /** That ArrayBuffer. */
  #srcBuffer: ArrayBufferLike | undefined
  protected bytes8: Uint8Array = NO_BYTES
  #words32: Int32Array = NO_WORDS
  /** The text being read holds no DEL byte, so the fast value check need not look for one. */
  protected srcNoDel = true

  // A line split across chunks is gathered here; lines inside one chunk are read in place.
  #line: Buffer = EMPTY
  #lineLength = 0
  #blankLinesBytes = 0

  // The message being read.
  protected versionMajor = 1
  protected versionMinor = 1
  /** The start line, once read: carried by errors about the request it began. */
  protected startLine = ''
  protected bareLF = false
  protected raw: string[] = []
  /** Bytes of header (or trailer) lines so far, line endings included. */
  protected headersSize = 0
  protected contentLength = -1
  protected transferCodings: string[] | undefined
  protected connectionClose = false
  protected connectionKeepAlive = false

  // The body being read.
  #remaining = 0
  #bodyTotal = 0
  #chunkSize = 0
  #chunkDigits = 0
  #extState = X_SIZE_BWS
  #extLength = 0
  #trailers: string[] = []

  constructor(callbacks: MessageCallbacks, maxStartLine: number, options: MessageLimits) {
    this.callbacks = callbacks
    this.maxStartLine = maxStartLine
    this.#maxHeaderLine = options.maxHeaderLineSize ?? 65536
    this.#maxHeaders = options.maxHeaders ?? 100
    this.#maxHeadersSize = options.maxHeadersSize ?? 262144
    this.#maxChunkExtension = options.maxChunkExtensionSize ?? 4096
    this.maxBody = options.maxBodySize ?? Infinity
  }

  // ---- what each direction supplies --------------------------------------------------------

  /** One complete, non-empty start line (request line or status line). */
  protected abstract onStartLine(text: string, start: number, end: number, hasCR: boolean): void
  /** The empty line after the header fields: decide the framing and report the head. */
  protected abstract endHead(): void
  /** A field the engine does not act on itself (Host, Expect); `value` is already stored. */
  protected abstract noteField(kind: number, value: string): void
  /** Reset what the subclass keeps per message. */
  protected abstract resetMessage(): void
  /** The start line is longer than `maxStartLine`. */
  protected abstract failStartLineTooLong(): void
  /** More empty lines before a start line than its budget. */
  protected abstract failBlankLines(): void
  /** `request` or `response`, for messages. */
  protected abstract readonly noun: string

  // ---- the API both share --------------------------------------------------------------------

  /** The error that stopped the parser, if any. */
  get error(): HTTPParseError | undefined {
    return this.#error
  }

  /** True between messages: no part of a message has been received. */
  get idle(): boolean {
    return this.state === S_START_LINE && this.#lineLength === 0 && this.#blankLinesBytes === 0
  }

  /** True once the HTTP stream ended (HTTP/0.9 request, upgrade, close-delimited body) or an error. */
  get finished(): boolean {
    return this.state >= S_DONE
  }

  /**
   * Stop `execute` right after the callback that calls this returns. `execute` then returns how
   * many bytes it consumed; pass the rest again later. Lets a caller read one message at a time.
   */
  pause(): void {
    this.paused = true
  }

  /**
   * Parse a chunk. Returns the number of bytes consumed: all of them unless `pause()` was called
   * from a callback, the stream failed (see `error`), or the HTTP stream ended (HTTP/0.9, upgrade).
   */
  execute(input: Uint8Array): number {
    const chunk = asBuffer(input)
    const length = chunk.length
    let pos = 0
    this.paused = false
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- callbacks may call pause()
    while (pos < length && !this.paused) {
      const state = this.state
      if (state <= S_TRAILERS) {
        pos = this.#lineLength > 0 ? this.#readSplitLine(chunk, pos, length) : this.#readLines(chunk, pos, length)
      } else if (state === S_BODY_LENGTH || state === S_CHUNK_DATA) {
        const take = Math.min(this.#remaining, length - pos)
        this.#remaining -= take
        const end = pos + take
        this.callbacks.onBody?.(chunk.subarray(pos, end))
        pos = end
        if (this.#remaining === 0) {
          if (state === S_BODY_LENGTH) this.endMessage(undefined)
          else this.state = S_CHUNK_DATA_CR
        }
      } else if (state < S_BODY_CLOSE) {
        pos = this.#readChunkFraming(chunk, pos, length)
      } else if (state === S_BODY_CLOSE) {
        this.callbacks.onBody?.(chunk.subarray(pos, length))
        pos = length
      } else {
        break
      }
    }
    // Do not keep a large buffer alive through the views once this call is done.
    if (this.#srcBuffer !== undefined && this.#srcBuffer.byteLength > MAX_KEPT_VIEW) {
      this.#srcBuffer = undefined
      this.bytes8 = NO_BYTES
      this.#words32 = NO_WORDS
    }
    return pos
  }

  /**
   * Tell the parser the stream ended. Returns an error when it ended inside a message (which is
   * also reported to `onError`), `undefined` when it ended cleanly between messages or it ended
   * a body delimited by the close.
   */
  finish(): HTTPParseError | undefined {
    if (this.state === S_FAILED) return this.#error
    if (this.state === S_BODY_CLOSE) {
      this.state = S_DONE
      this.callbacks.onEnd?.(undefined)
      return undefined
    }
    if (this.state === S_DONE || this.idle) return undefined
    this.fail('SH_ERR_PARSE_INCOMPLETE', `the stream ended inside a ${this.noun}`)
    return this.#error
  }

  // ---- lines: start line, header fields, trailer fields --------------------------------------

  /**
   * The fast path: decode a window of the chunk once and read lines from it in place, for as
   * long as the parser stays in a line state (a pipelined batch of bodiless messages is read
   * without leaving this loop). A line that runs past the chunk goes to the line buffer.
   */
  #readLines(chunk: Latin1Buffer, pos: number, length: number): number {
    let base = pos
    let end = Math.min(length, base + this.#window)
    let text = chunk.latin1Slice(base, end)
    this.#setSource(chunk, base, text)
    let i = 0
    for (;;) {
      if (this.state === S_HEADERS && !this.bareLF) {
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
      const limit = this.state === S_START_LINE ? this.maxStartLine : this.#maxHeaderLine
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
      const state = this.state
      if (state === S_FAILED) return base + i
      i = lf + 1
      // paused is set by callbacks that call pause().
      if (state > S_TRAILERS || this.paused || i === text.length) return base + i
    }
  }

  /** The slow path: the current line began in an earlier chunk. */
  #readSplitLine(chunk: Latin1Buffer, pos: number, length: number): number {
    const limit = this.state === S_START_LINE ? this.maxStartLine : this.#maxHeaderLine
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
    return this.state === S_FAILED ? pos : lf + 1
  }

  /** A fresh copy of `text[start, end)` (a slice would keep the whole decoded text alive). */
  #srcCopy(start: number, end: number): string {
    const whole = Buffer.from(this.#srcBuffer as ArrayBufferLike) as Latin1Buffer
    return whole.latin1Slice(this.srcOffset + start, this.srcOffset + end)
  }

  #setSource(src: Buffer, base: number, text: string): void {
    this.srcOffset = src.byteOffset + base
    const source = src.buffer
    if (source !== this.#srcBuffer) {
      this.#srcBuffer = source
      this.bytes8 = new Uint8Array(source)
      this.#words32 = new Int32Array(source, 0, source.byteLength >>> 2)
    }
    // One native scan per decoded window (memchr speed) instead of a compare per value byte.
    this.srcNoDel = !text.includes('\x7f')
  }

  /** True when `[from, to)` of the text being read holds no byte below 0x20 (see scan.ts). */
  protected noControlBytes(from: number, to: number): boolean {
    return noControlBytes(this.bytes8, this.#words32, this.srcOffset + from, this.srcOffset + to)
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
    if (this.state === S_START_LINE) {
      this.failStartLineTooLong()
      return
    }
    this.fail('SH_ERR_PARSE_HEADER_LINE_TOO_LONG', `header line longer than ${this.#maxHeaderLine} bytes`, {
      reason: 'Line too long',
      explain: `got more than ${this.#maxHeaderLine} bytes when reading header line`,
    })
  }

  /** One complete line, `text[start, end)` without its line ending (`lineBytes` counts it). */
  #onLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    const state = this.state
    if (state === S_HEADERS) this.#onHeaderLine(text, start, end, hasCR, lineBytes)
    else if (state === S_START_LINE) {
      if (start === end) {
        // RFC 9112 §2.2: ignore empty lines before a start line (some peers send CRLF after a
        // body), within the start-line budget.
        this.#blankLinesBytes += lineBytes
        if (this.#blankLinesBytes > this.maxStartLine) this.failBlankLines()
        return
      }
      this.#blankLinesBytes = 0
      this.bareLF = !hasCR
      this.onStartLine(text, start, end, hasCR)
    } else this.#onTrailerLine(text, start, end, hasCR, lineBytes)
  }

  // ---- header fields ------------------------------------------------------------------------

  #onHeaderLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (hasCR === this.bareLF) {
      // A head is all CRLF or all bare LF; a mix is read differently by different parsers.
      this.fail(
        'SH_ERR_PARSE_INVALID_LINE_ENDING',
        this.bareLF ? 'CRLF line in a head that began with bare LF' : 'bare LF in a head that began with CRLF',
      )
      return
    }
    if (start === end) {
      this.endHead()
      return
    }
    if (!this.#countField(this.raw, lineBytes, 'header')) return
    const kind = this.#readField(text, start, end, this.raw)
    if (kind > K_OTHER) this.#noteFramingField(kind)
  }

  /**
   * The fast path for a CRLF header line `Name: value` whose name is in the name cache and whose
   * value has no tab or control byte: the scan of the value finds the CR that ends the line, so
   * the line is read in one pass. Returns the index after the line (having done exactly what
   * #onHeaderLine does), or -1, having changed nothing, for the general path to decide.
   */
  #readCommonHeaderLine(text: string, start: number): number {
    if (!LITTLE_ENDIAN || !this.srcNoDel) return -1
    const colon = text.indexOf(':', start)
    if (colon <= start) return -1
    const offset = this.srcOffset
    const words = this.#words32
    const slot = findName(words, offset + start, colon - start)
    const name = slot >= 0 ? NAME_CACHE[slot] : undefined
    if (name === undefined) return -1
    const bytes = this.bytes8
    let valueStart = offset + colon + 1
    const stop = offset + text.length
    while (valueStart < stop && bytes[valueStart] === SP) valueStart++
    // The first byte below 0x20 must be the CR of this line's CRLF.
    const cr = firstControlByte(bytes, words, valueStart, stop)
    if (cr === -1 || cr + 1 >= stop || bytes[cr] !== CR || bytes[cr + 1] !== LF) return -1
    const lineBytes = cr + 2 - (offset + start)
    if (lineBytes > this.#maxHeaderLine) return -1
    let valueEnd = cr
    while (valueEnd > valueStart && bytes[valueEnd - 1] === SP) valueEnd--
    const next = cr + 2 - offset
    if (!this.#countField(this.raw, lineBytes, 'header')) return next
    this.raw.push(name, text.slice(valueStart - offset, valueEnd - offset))
    const kind = NAME_KIND[slot] as number
    if (kind > K_OTHER) this.#noteFramingField(kind)
    return next
  }

  /** Apply the count and size limits before one more header (or trailer) line is kept. */
  #countField(fields: string[], lineBytes: number, kind: 'header' | 'trailer'): boolean {
    this.headersSize += lineBytes
    if (this.headersSize > this.#maxHeadersSize) {
      this.fail('SH_ERR_PARSE_HEADERS_TOO_LARGE', `${kind} lines exceed ${this.#maxHeadersSize} bytes`, {
        reason: 'Headers too large',
        explain: `got more than ${this.#maxHeadersSize} bytes of ${kind} lines`,
      })
      return false
    }
    if (fields.length >> 1 >= this.#maxHeaders) {
      // CPython (http.client._read_headers): 100 fields are fine, the 101st is refused.
      this.fail('SH_ERR_PARSE_TOO_MANY_HEADERS', `more than ${this.#maxHeaders} ${kind} fields`, {
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
    const offset = this.srcOffset
    const colon = text.indexOf(':', start)
    let name: string | undefined
    let kind = K_OTHER
    if (colon > start && colon < end) {
      const slot = LITTLE_ENDIAN ? findName(this.#words32, offset + start, colon - start) : -1
      name = slot >= 0 ? NAME_CACHE[slot] : undefined
      if (name !== undefined) {
        kind = NAME_KIND[slot] as number
      } else {
        const bytes = this.bytes8
        let at = offset + start
        const stop = offset + colon
        while (at < stop && TOKEN[bytes[at] as number] === 1) at++
        if (at === stop) {
          name = text.slice(start, colon)
          kind = fieldKind(text, start, colon)
          if (LITTLE_ENDIAN) rememberName(this.#words32, offset + start, colon - start, this.#srcCopy(start, colon), kind)
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
    if (valueEnd - valueStart >= 8 && this.srcNoDel ? !this.noControlBytes(valueStart, valueEnd) : true) {
      for (let i = valueStart; i < valueEnd; i++) {
        c = text.charCodeAt(i)
        // field-vchar, SP, HTAB, obs-text: no NUL, CR, LF, other controls or DEL (RFC 9110 §5.5).
        if ((c < SP && c !== HTAB) || c === 0x7f) {
          if (c === CR) {
            this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header value')
          } else {
            this.fail(
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
      // obs-fold (RFC 9112 §5.2): a recipient must reject it or unfold it; unfolding invites desync.
      this.fail('SH_ERR_PARSE_OBS_FOLD', 'a header line starts with whitespace (obs-fold)')
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
        this.fail('SH_ERR_PARSE_SPACE_BEFORE_COLON', 'whitespace between a header name and its colon')
        return
      }
    }
    // At `end` the next byte is this line's own CR (or LF): not a bare CR.
    if (at === end) this.fail('SH_ERR_PARSE_INVALID_HEADER_NAME', 'a header line has no colon')
    else if (c === CR) this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in a header line')
    else if (at === start && c === COLON) this.fail('SH_ERR_PARSE_INVALID_HEADER_NAME', 'empty header name')
    else {
      this.fail('SH_ERR_PARSE_INVALID_HEADER_NAME', `invalid character ${pyRepr(text.charAt(at))} in a header name`)
    }
  }

  /** Remember the fields that decide framing and connection handling as they arrive. */
  #noteFramingField(kind: number): void {
    const raw = this.raw
    const value = raw[raw.length - 1] as string
    switch (kind) {
      case K_CONNECTION:
        this.#noteConnection(value)
        return
      case K_CONTENT_LENGTH:
        this.#noteContentLength(value)
        return
      case K_TRANSFER_ENCODING:
        this.#noteTransferEncoding(value)
        return
      default:
        this.noteField(kind, value)
    }
  }

  #noteConnection(value: string): void {
    // The common single-token values without splitting.
    if (equalsLower(value, 0, value.length, 'keep-alive')) this.connectionKeepAlive = true
    else if (equalsLower(value, 0, value.length, 'close')) this.connectionClose = true
    else {
      for (const token of value.split(',')) {
        const t = trimOWS(token).toLowerCase()
        if (t === 'close') this.connectionClose = true
        else if (t === 'keep-alive') this.connectionKeepAlive = true
      }
    }
  }

  #noteContentLength(value: string): void {
    if (this.contentLength !== -1) {
      // RFC 9112 §6.3 lets a recipient merge identical values; refusing is simpler and safer.
      this.fail('SH_ERR_PARSE_INVALID_CONTENT_LENGTH', 'more than one Content-Length field')
      return
    }
    // 1*DIGIT and nothing else: no sign, no hex, no list ("5, 5"), no inner spaces, not empty.
    let digits = value.length > 0
    for (let i = 0; i < value.length && digits; i++) {
      const c = value.charCodeAt(i)
      digits = c >= 0x30 && c <= 0x39
    }
    if (!digits) {
      this.fail(
        'SH_ERR_PARSE_INVALID_CONTENT_LENGTH',
        `Content-Length must be decimal digits, got ${pyRepr(truncate(value))}`,
      )
      return
    }
    const length = Number(value)
    if (!Number.isSafeInteger(length) || length > this.maxBody) {
      this.fail('SH_ERR_PARSE_BODY_TOO_LARGE', `Content-Length ${truncate(value)} is too large`)
      return
    }
    this.contentLength = length
  }

  #noteTransferEncoding(value: string): void {
    const codings = (this.transferCodings ??= [])
    for (const element of value.split(',')) {
      // Only SP and HTAB are optional whitespace: String#trim() would also strip NBSP (0xA0),
      // letting `chunked\xa0` pass here while a proxy in front treats it as another coding.
      const coding = trimOWS(element)
      if (coding === '') continue // RFC 9110 §5.6.1: empty list elements are allowed and ignored
      for (let i = 0; i < coding.length; i++) {
        if (TOKEN[coding.charCodeAt(i)] !== 1) {
          // Includes parameters (`chunked;q=1`): no coding we could apply takes any.
          this.fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', `invalid transfer coding ${pyRepr(truncate(coding))}`)
          return
        }
      }
      codings.push(coding.toLowerCase())
    }
  }

  /**
   * The Transfer-Encoding checks both directions make. Returns `chunked` for a valid chunked
   * coding, `unframed` when the final coding is not chunked (requests refuse it, responses read
   * until the close), or `failed` (having failed) for CL with TE, TE in HTTP/1.0, `chunked` twice
   * or a coding before `chunked` that we do not apply.
   */
  protected checkTransferCodings(codings: string[]): 'chunked' | 'unframed' | 'failed' {
    if (this.contentLength !== -1) {
      // RFC 9112 §6.1: CL with TE is the classic smuggling vector; refuse rather than pick one.
      this.fail('SH_ERR_PARSE_CONFLICTING_FRAMING', 'both Content-Length and Transfer-Encoding are present')
      return 'failed'
    }
    if (this.versionMajor === 0 || (this.versionMajor === 1 && this.versionMinor === 0)) {
      // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      this.fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', `Transfer-Encoding in an HTTP/1.0 ${this.noun}`)
      return 'failed'
    }
    const last = codings.length - 1
    if (last === -1 || codings[last] !== 'chunked') return 'unframed'
    if (last > 0) {
      // RFC 9112 §6.1: a coding we do not apply is 501; "chunked, chunked" is malformed.
      const other = codings.find((c) => c !== 'chunked')
      if (other === undefined) {
        this.fail('SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', 'chunked applied more than once')
      } else {
        this.fail('SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', `unsupported transfer coding ${pyRepr(truncate(other))}`)
      }
      return 'failed'
    }
    return 'chunked'
  }

  /** Size the next head's window after this one (plus slack for a longer cookie or path). */
  protected sizeWindow(): void {
    const size = this.startLine.length + this.headersSize + 64
    this.#window = size > MIN_WINDOW ? size + (size >> 2) : MIN_WINDOW
  }

  /** After the head was reported: read the body its framing says (`none` ends the message). */
  protected beginBody(framing: SharedFraming): void {
    if (framing === 'none') {
      this.endMessage(undefined)
    } else if (framing === 'length') {
      this.state = S_BODY_LENGTH
      this.#remaining = this.contentLength
    } else if (framing === 'chunked') {
      this.state = S_CHUNK_SIZE
      this.#bodyTotal = 0
      this.#chunkSize = 0
      this.#chunkDigits = 0
    } else {
      this.state = S_BODY_CLOSE
    }
  }

  protected endMessage(trailers: HeaderList | undefined): void {
    this.state = S_START_LINE
    this.startLine = ''
    this.raw = []
    this.headersSize = 0
    this.contentLength = -1
    this.transferCodings = undefined
    this.connectionClose = false
    this.connectionKeepAlive = false
    this.resetMessage()
    this.callbacks.onEnd?.(trailers)
  }

  // ---- chunked body ------------------------------------------------------------------------

  /**
   * Chunk-size lines and the CRLF after chunk data, one byte at a time: nothing is buffered, so
   * memory stays flat however the framing is split across chunks.
   * @see https://www.rfc-editor.org/rfc/rfc9112#section-7.1
   */
  #readChunkFraming(chunk: Buffer, pos: number, length: number): number {
    let state = this.state
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
          this.state = S_TRAILERS
          this.#trailers = []
          this.headersSize = 0
          return pos
        }
        this.#bodyTotal += size
        if (this.#bodyTotal > this.maxBody) {
          return this.#failChunk(pos - 1, 'SH_ERR_PARSE_BODY_TOO_LARGE', `chunked body larger than ${this.maxBody} bytes`)
        }
        this.#remaining = size
        this.state = S_CHUNK_DATA
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
    this.state = state
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
    this.fail(code, message)
    return pos
  }

  #onTrailerLine(text: string, start: number, end: number, hasCR: boolean, lineBytes: number): void {
    if (!hasCR) {
      this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare LF in chunked framing')
      return
    }
    if (start === end) {
      const trailers = this.#trailers
      this.#trailers = []
      this.endMessage(trailers.length > 0 ? new HeaderList(trailers) : undefined)
      return
    }
    if (this.#countField(this.#trailers, lineBytes, 'trailer')) this.#readField(text, start, end, this.#trailers)
  }

  protected fail(code: ParseErrorCode, message: string, options: HTTPParseErrorOptions = {}): void {
    if (this.state === S_FAILED) return
    this.state = S_FAILED
    const error = new HTTPParseError(code, message, this.errorOptions(options))
    this.#error = error
    this.callbacks.onError?.(error)
  }

  /** What an error carries besides its code and message (the request side adds its request line). */
  protected errorOptions(options: HTTPParseErrorOptions): HTTPParseErrorOptions {
    return options
  }
}
