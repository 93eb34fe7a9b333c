/**
 * The incremental response parser: the status line and the response's framing rules, which
 * depend on the request it answers (RFC 9112 §6.3). Lines, header fields and bodies are read by
 * the engine it shares with the request parser (`internal/message-parser.ts`).
 * @module
 */
import { HeaderList } from './headers.js'
import { CR, HTAB, SP } from './internal/chars.js'
import { MessageParser, S_DONE, S_FAILED, S_HEADERS } from './internal/message-parser.js'
import { truncate } from './internal/scan.js'
import { pyRepr } from './py-repr.js'
import type { ResponseFraming, ResponseHead, ResponseParserCallbacks, ResponseParserOptions } from './types.js'

/**
 * An incremental HTTP/1.x response parser, for proxies, clients and test tools. Feed it socket
 * chunks with `execute`; it calls `onHead`, `onBody`, `onEnd` for each response in order (an
 * interim `1xx` response is a head and an end of its own), or `onError` once when the stream must
 * be refused. Whether a response has a body depends on the request: say which method each
 * response answers with {@link ResponseParser.expect} (default `GET`).
 *
 * @example
 * const parser = new ResponseParser({
 *   onHead: (head) => console.log(head.status, head.reason, head.framing),
 *   onBody: (chunk) => body.push(Buffer.from(chunk)),
 *   onEnd: () => console.log('done'),
 * })
 * parser.expect({ method: 'HEAD' })
 * parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'))
 * socket.on('end', () => parser.finish()) // ends a body delimited by the close
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-4
 */
export class ResponseParser extends MessageParser {
  readonly #callbacks: ResponseParserCallbacks
  readonly #defaultMethod: string
  protected readonly noun = 'response'
  /** Methods of the requests the next final responses answer, oldest first. */
  #methods: string[] = []

  // The response being read (the engine keeps what both directions share).
  #version = ''
  #status = 0
  #reasonStart = 0

  constructor(callbacks: ResponseParserCallbacks, options: ResponseParserOptions = {}) {
    super(callbacks, options.maxStatusLineSize ?? 65536, options)
    this.#callbacks = callbacks
    this.#defaultMethod = options.defaultMethod ?? 'GET'
  }

  /**
   * Say which request the next final response (not counting interim `1xx` ones) answers; call it
   * once per request, in order, for pipelined requests. Without it a response answers the
   * default method (`GET` unless `defaultMethod` says otherwise).
   */
  expect(request: { method: string }): void {
    this.#methods.push(request.method)
  }

  // ---- status line ----------------------------------------------------------------------------

  /**
   * `HTTP/1.x SP 3DIGIT SP reason`, where the reason may be empty. A status line that ends right
   * after the code (no SP) is accepted with an empty reason: RFC 9112 §4 asks servers to send
   * the SP but the line still reads only one way.
   */
  protected onStartLine(text: string, start: number, end: number): void {
    const line = text.slice(start, end)
    this.startLine = line
    const length = end - start
    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3)
    if (
      length < 9 ||
      text.charCodeAt(start) !== 0x48 ||
      text.charCodeAt(start + 1) !== 0x54 ||
      text.charCodeAt(start + 2) !== 0x54 ||
      text.charCodeAt(start + 3) !== 0x50 ||
      text.charCodeAt(start + 4) !== 0x2f ||
      !isDigit(text.charCodeAt(start + 5)) ||
      text.charCodeAt(start + 6) !== 0x2e ||
      !isDigit(text.charCodeAt(start + 7)) ||
      text.charCodeAt(start + 8) !== SP
    ) {
      this.#badStatusLine(line, start, end, text)
      return
    }
    const major = text.charCodeAt(start + 5) - 0x30
    const minor = text.charCodeAt(start + 7) - 0x30
    if (major !== 1) {
      this.fail('SH_ERR_PARSE_VERSION_NOT_SUPPORTED', `HTTP/${major}.${minor} is not HTTP/1.x`)
      return
    }
    const d1 = text.charCodeAt(start + 9) - 0x30
    const d2 = text.charCodeAt(start + 10) - 0x30
    const d3 = text.charCodeAt(start + 11) - 0x30
    const after = length === 12 ? SP : text.charCodeAt(start + 12)
    if (length < 12 || !(d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9) || after !== SP) {
      this.fail('SH_ERR_PARSE_INVALID_STATUS', `expected a three-digit status code, got ${pyRepr(truncate(line.slice(9)))}`)
      return
    }
    const status = d1 * 100 + d2 * 10 + d3
    if (status < 100) {
      this.fail('SH_ERR_PARSE_INVALID_STATUS', `status code ${status} is below 100`)
      return
    }
    // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no CR, no other control byte, no DEL.
    const reasonStart = Math.min(start + 13, end)
    if (reasonStart < end && (end - reasonStart < 8 || !this.srcNoDel || !this.noControlBytes(reasonStart, end))) {
      for (let i = reasonStart; i < end; i++) {
        const c = text.charCodeAt(i)
        if ((c < SP && c !== HTAB) || c === 0x7f) {
          if (c === CR) this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in the status line')
          else this.fail('SH_ERR_PARSE_BAD_STATUS_LINE', `control character ${pyRepr(text.charAt(i))} in the reason phrase`)
          return
        }
      }
    }
    this.versionMajor = major
    this.versionMinor = minor
    this.#version = minor === 1 ? 'HTTP/1.1' : minor === 0 ? 'HTTP/1.0' : `HTTP/1.${minor}`
    this.#status = status
    this.#reasonStart = reasonStart - start
    this.state = S_HEADERS
  }

  #badStatusLine(line: string, start: number, end: number, text: string): void {
    for (let i = start; i < end; i++) {
      if (text.charCodeAt(i) === CR) {
        // A bare CR is a line end to some parsers and not to others.
        this.fail('SH_ERR_PARSE_INVALID_LINE_ENDING', 'bare CR in the status line')
        return
      }
    }
    this.fail('SH_ERR_PARSE_BAD_STATUS_LINE', `expected "HTTP/1.x NNN reason", got ${pyRepr(truncate(line))}`)
  }

  // ---- framing --------------------------------------------------------------------------------

  protected noteField(): void {
    // Host and Expect mean nothing in a response.
  }

  /** RFC 9112 §6.3, in its order; the request's method is the first thing that decides. */
  protected endHead(): void {
    const status = this.#status
    const interim = status < 200
    // An interim response does not answer the request: the method stays for the final one.
    const method = interim && status !== 101 ? (this.#methods[0] ?? this.#defaultMethod) : (this.#methods.shift() ?? this.#defaultMethod)
    const upgrade = status === 101 || (method === 'CONNECT' && status >= 200 && status < 300)
    let framing: ResponseFraming
    const codings = this.transferCodings
    if (codings !== undefined) {
      // Checked whatever the status: a response with CL and TE is suspect even if it has no body.
      const verdict = this.checkTransferCodings(codings)
      if (verdict === 'failed') return
      // RFC 9112 §6.3 (4): a final coding other than chunked is read until the close.
      framing = verdict === 'chunked' ? 'chunked' : 'close'
    } else if (this.contentLength !== -1) {
      framing = this.contentLength > 0 ? 'length' : 'none'
    } else {
      // RFC 9112 §6.3 (8): no length at all: the body runs until the server closes.
      framing = 'close'
    }
    // RFC 9112 §6.3 (1, 2): these responses have no body, whatever their headers say.
    if (interim || status === 204 || status === 304 || method === 'HEAD' || upgrade) framing = 'none'
    const major = this.versionMajor
    const minor = this.versionMinor
    const http11 = major === 1 && minor >= 1
    const head: ResponseHead = {
      version: this.#version,
      versionMajor: major,
      versionMinor: minor,
      status,
      reason: this.startLine.slice(this.#reasonStart),
      statusLine: this.startLine,
      headers: new HeaderList(this.raw),
      framing,
      contentLength: framing === 'chunked' || framing === 'close' ? undefined : framing === 'none' ? 0 : this.contentLength,
      keepAlive: framing !== 'close' && !upgrade && !this.connectionClose && (http11 || this.connectionKeepAlive),
      upgrade,
      method,
    }
    this.sizeWindow()
    this.#callbacks.onHead(head)
    if (this.state === S_FAILED) return
    if (upgrade) {
      // The HTTP stream is over: what follows belongs to the tunnel or the new protocol.
      this.endMessage(undefined)
      if (this.state !== S_FAILED) this.state = S_DONE
      return
    }
    this.beginBody(framing)
  }

  protected resetMessage(): void {
    this.#status = 0
  }

  protected failStartLineTooLong(): void {
    this.fail('SH_ERR_PARSE_STATUS_LINE_TOO_LONG', `status line longer than ${this.maxStartLine} bytes`)
  }

  protected failBlankLines(): void {
    this.fail('SH_ERR_PARSE_BAD_STATUS_LINE', 'too many empty lines before the status line')
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}
