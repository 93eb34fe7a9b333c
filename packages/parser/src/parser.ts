/**
 * The incremental request parser: the request line and the request's framing rules. Lines,
 * header fields and bodies are read by the engine it shares with the response parser
 * (`internal/message-parser.ts`).
 * @module
 */
import type { HTTPParseErrorOptions } from './errors.js'
import { HeaderList } from './headers.js'
import { CR, SP, TOKEN } from './internal/chars.js'
import { MessageParser, S_DONE, S_FAILED, S_HEADERS } from './internal/message-parser.js'
import { K_HOST, equalsLower, truncate } from './internal/scan.js'
import { pyRepr } from './py-repr.js'
import type { BodyFraming, ParserCallbacks, ParserOptions, RequestHead, TargetForm } from './types.js'

export type { BodyFraming, ParserCallbacks, ParserOptions, RequestHead, TargetForm } from './types.js'

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
export class RequestParser extends MessageParser {
  readonly #callbacks: ParserCallbacks
  protected readonly noun = 'request'

  // The request being read (the engine keeps what both directions share).
  #method = ''
  #target = ''
  #targetForm: TargetForm = 'origin'
  #version = ''
  #hostCount = 0
  #expectContinue = false

  constructor(callbacks: ParserCallbacks, options: ParserOptions = {}) {
    super(callbacks, options.maxRequestLineSize ?? 65536, options)
    this.#callbacks = callbacks
  }

  // ---- request line -------------------------------------------------------------------------

  protected onStartLine(text: string, start: number, end: number): void {
    if (this.#readCommonRequestLine(text, start, end)) return
    // Known before it is judged, so an error can carry it (servers log it, as CPython does).
    this.startLine = text.slice(start, end)

    // One pass finds the spaces and the first byte that no request-line word may hold.
    let sp1 = -1
    let lastSp = -1
    let spaces = 0
    let doubled = false
    let control = -1
    const offset = this.srcOffset
    const bytes = this.bytes8
    for (let i = start; i < end; i++) {
      const c = bytes[offset + i] as number
      if (c > SP && c !== 0x7f) continue
      if (c === SP) {
        if (sp1 === -1) sp1 = i
        else if (lastSp === i - 1) doubled = true
        lastSp = i
        spaces++
      } else if (c === CR) {
        // A bare CR is a line end to some parsers and not to others: request smuggling.
        this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in the request line')
        return
      } else if (control === -1) {
        control = i
      }
    }
    if (sp1 === -1) {
      this.#badRequestLine(text, start, end, 'expected "METHOD target HTTP/x.y"')
      return
    }
    if (doubled || sp1 === start || lastSp === end - 1) {
      // CPython would split this line on runs of whitespace into other words than ours.
      const simpleEnd = this.#splitAsCPython(text, start, end)
      if (simpleEnd === -1) return
      // `GET /target ` (trailing spaces): CPython's two words, an HTTP/0.9 GET.
      end = simpleEnd
      spaces = 1
      lastSp = sp1
    }
    // CPython checks the version (the last word of three or more) before counting words.
    if (spaces > 1 && !this.#readVersion(text, lastSp + 1, end)) return
    for (let i = start; i < sp1; i++) {
      if (TOKEN[bytes[offset + i] as number] !== 1) {
        const method = text.slice(start, sp1)
        this.fail('SH_ERR_PARSE_INVALID_METHOD', `invalid method ${pyRepr(truncate(method))}`, {
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
        this.fail('SH_ERR_PARSE_BAD_HTTP09_METHOD', `HTTP/0.9 allows only GET, got ${pyRepr(truncate(method))}`, {
          reason: `Bad HTTP/0.9 request type (${pyRepr(method)})`,
        })
        return
      }
      this.#version = 'HTTP/0.9'
      this.versionMajor = 0
      this.versionMinor = 9
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
      this.fail(
        'SH_ERR_PARSE_INVALID_TARGET',
        `control character ${pyRepr(text.charAt(control))} in the request-target`,
      )
      return
    }
    const target = text.slice(sp1 + 1, targetEnd)
    const form = targetFormOf(method, target)
    if (typeof form !== 'string') {
      this.fail('SH_ERR_PARSE_INVALID_TARGET', `${form.why}: ${pyRepr(truncate(target))}`)
      return
    }
    this.#method = method
    this.#target = target
    this.#targetForm = form

    if (spaces === 1) {
      // CPython reads no header lines after a simple request; its response ends the connection.
      this.#emitHead('none')
      if (this.state === S_FAILED) return
      this.state = S_DONE
      this.callbacks.onEnd?.(undefined)
      return
    }
    this.state = S_HEADERS
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
    const offset = this.srcOffset
    const bytes = this.bytes8
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
    if (!this.srcNoDel) return false
    if (sp2 - sp1 > 8) {
      if (!this.noControlBytes(sp1 + 1, sp2)) return false
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
    this.versionMajor = 1
    this.versionMinor = minor === 0x31 ? 1 : 0
    this.#version = minor === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0'
    this.startLine = text.slice(start, end)
    this.state = S_HEADERS
    return true
  }

  /**
   * A request line with a space at either end or two in a row. CPython splits it on runs of
   * whitespace; we keep refusing what it would serve as HTTP/1.x (every parser on the path must
   * split the line alike), but word each refusal as CPython words it for those words. Returns the
   * end of `GET target` when the line is that followed by spaces (CPython's HTTP/0.9 GET), else
   * fails and returns -1.
   */
  #splitAsCPython(text: string, start: number, end: number): number {
    const words = [...text.slice(start, end).matchAll(PYTHON_WORD)]
    if (words.length >= 3) {
      const last = words[words.length - 1] as RegExpExecArray
      const versionStart = start + last.index
      // CPython judges the last word as a version first: its wording for a bad one.
      if (!this.#readVersion(text, versionStart, versionStart + last[0].length)) return -1
      this.#badRequestLine(text, start, end, 'expected exactly three words separated by single spaces')
      return -1
    }
    if (words.length === 2) {
      const method = (words[0] as RegExpExecArray)[0]
      if (method !== 'GET') {
        this.fail('SH_ERR_PARSE_BAD_HTTP09_METHOD', `HTTP/0.9 allows only GET, got ${pyRepr(truncate(method))}`, {
          reason: `Bad HTTP/0.9 request type (${pyRepr(method)})`,
        })
        return -1
      }
      const target = words[1] as RegExpExecArray
      const targetEnd = start + target.index + target[0].length
      let onlySpacesAfter = true
      for (let i = targetEnd; i < end; i++) if (text.charCodeAt(i) !== SP) onlySpacesAfter = false
      if (words[0]?.index === 0 && text.charCodeAt(start + 3) === SP && target.index === 4 && onlySpacesAfter) {
        return targetEnd
      }
    }
    // No words (CPython closes without an answer), one word, or a GET spaced oddly.
    this.#badRequestLine(text, start, end, 'expected "METHOD target HTTP/x.y" separated by single spaces')
    return -1
  }

  #badRequestLine(text: string, start: number, end: number, why: string): void {
    const line = text.slice(start, end)
    this.fail('SH_ERR_PARSE_BAD_REQUEST_LINE', `${why}: ${pyRepr(truncate(line))}`, {
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
        this.versionMajor = 1
        this.versionMinor = minor === 0x31 ? 1 : 0
        this.#version = minor === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0'
        return true
      }
    }
    const version = text.slice(start, end)
    const match = /^HTTP\/([0-9]{1,10})\.([0-9]{1,10})$/.exec(version)
    if (match == null) {
      this.fail('SH_ERR_PARSE_BAD_VERSION', `expected HTTP/x.y, got ${pyRepr(truncate(version))}`, {
        reason: `Bad request version (${pyRepr(version)})`,
      })
      return false
    }
    const major = Number(match[1])
    const minor = Number(match[2])
    if (major >= 2) {
      const number = version.slice(5)
      this.fail('SH_ERR_PARSE_VERSION_NOT_SUPPORTED', `HTTP/${number} is not supported over HTTP/1.x`, {
        reason: `Invalid HTTP version (${number})`,
      })
      return false
    }
    this.#version = version
    this.versionMajor = major
    this.versionMinor = minor
    return true
  }

  // ---- framing --------------------------------------------------------------------------------

  protected noteField(kind: number, value: string): void {
    if (kind === K_HOST) {
      if (++this.#hostCount > 1) {
        // RFC 9112 §3.2: more than one Host is a 400; two hosts is how caches get poisoned.
        this.fail('SH_ERR_PARSE_DUPLICATE_HOST', 'more than one Host header field')
      }
    } else if (equalsLower(value, 0, value.length, '100-continue')) {
      // The only other kind left is K_EXPECT.
      this.#expectContinue = true
    }
  }

  protected endHead(): void {
    const codings = this.transferCodings
    let framing: BodyFraming = 'none'
    if (codings !== undefined) {
      const verdict = this.checkTransferCodings(codings)
      if (verdict === 'failed') return
      if (verdict === 'unframed') {
        // RFC 9112 §6.3: if chunked is not the final coding the length cannot be known: 400.
        this.fail(
          'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING',
          `the final transfer coding must be chunked, got ${pyRepr(truncate(codings.join(', ')))}`,
        )
        return
      }
      framing = 'chunked'
    } else if (this.contentLength > 0) {
      framing = 'length'
    }
    this.#emitHead(framing)
    if (this.state === S_FAILED) return
    this.beginBody(framing)
  }

  #emitHead(framing: BodyFraming): void {
    const major = this.versionMajor
    const minor = this.versionMinor
    const http11 = major === 1 && minor >= 1
    const head: RequestHead = {
      method: this.#method,
      target: this.#target,
      targetForm: this.#targetForm,
      version: this.#version,
      versionMajor: major,
      versionMinor: minor,
      requestLine: this.startLine,
      headers: new HeaderList(this.raw),
      framing,
      contentLength: framing === 'chunked' ? undefined : Math.max(0, this.contentLength),
      keepAlive: !this.connectionClose && (http11 || this.connectionKeepAlive),
      expectContinue: this.#expectContinue,
    }
    this.sizeWindow()
    this.#callbacks.onHead(head)
  }

  protected resetMessage(): void {
    this.#hostCount = 0
    this.#expectContinue = false
  }

  protected failStartLineTooLong(): void {
    // CPython: 414 with no reason or explanation of its own.
    this.fail('SH_ERR_PARSE_REQUEST_LINE_TOO_LONG', `request line longer than ${this.maxStartLine} bytes`)
  }

  protected failBlankLines(): void {
    // CPython instead closes the connection silently on an empty line.
    this.fail('SH_ERR_PARSE_BAD_REQUEST_LINE', 'too many empty lines before the request line', {
      reason: "Bad request syntax ('')",
    })
  }

  protected override errorOptions(options: HTTPParseErrorOptions): HTTPParseErrorOptions {
    // The current request's line, once it was read ('' between requests): servers log it.
    return this.startLine === '' ? options : { requestLine: this.startLine, ...options }
  }
}

/** A word of Python's `str.split()` over a Latin-1 line: a run of anything but its whitespace. */
// eslint-disable-next-line no-control-regex -- Python's whitespace includes the separators \x1c-\x1f
const PYTHON_WORD = /[^\t\n\v\f\r\x1c-\x1f \x85\xa0]+/g

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
