/**
 * `BaseHTTPRequestHandler`: CPython's per-connection protocol loop and response writer.
 * @module
 */
import type { Socket } from 'node:net'
import {
  HeaderList,
  isSimpleHTTPError,
  pyRepr,
  type HTTPParseError,
  type ParseErrorCode,
  type ParserOptions,
  type RequestHead,
} from '@simplehttp/parser'
import { HandlerError } from './errors.js'
import type { AccessGuard, Refusal } from './guard.js'
import { Connection, type BodyCheck, type NextRequest } from './internal/connection.js'
import {
  escapeLogText,
  htmlEscape,
  httpDate,
  logDateTime,
  mappingFormat,
  percentFormat,
  safeReasonPhrase,
} from './internal/format.js'
import { RequestBody, kTouched } from './request-body.js'
import { READY, ResponseWriter, kCheckBeforeSending, kDiscardHead, kInterimSent, kQueueHead, kReleaseHeld, kReplaceHeld } from './response-writer.js'
import { RESPONSES, type ResponseTable } from './status.js'

/** `[host, port]` of the client, as CPython's `client_address`. */
export type ClientAddress = readonly [host: string, port: number]

/**
 * What the handler reads from its server (CPython's `self.server`). `@simplehttp/server`'s
 * `HTTPServer` provides all of it; any object with these fields will do.
 */
export interface ServerInfo {
  readonly serverName?: string
  readonly serverPort?: number
  /** ms from the first byte of a request head to its end. Default 30,000. */
  readonly headersTimeout?: number
  /** ms a kept-alive connection may sit idle between requests. Default 5,000. */
  readonly keepAliveTimeout?: number
  /** ms to wait for more request body bytes. Default 30,000. */
  readonly bodyTimeout?: number
  /**
   * Slowest request body tolerated, in bytes per second on average: the time spent waiting for
   * body bytes may not exceed `bodyTimeout` plus one second per `bodyMinRate` bytes. Default 500.
   * 0: no rate, only `bodyTimeout` per wait.
   */
  readonly bodyMinRate?: number
  /** ms a response may wait on a client that reads nothing (its socket full) before it is cut. Default 30,000. */
  readonly writeTimeout?: number
}

/** CPython 3.14's `DEFAULT_ERROR_MESSAGE`, placeholders and all. */
export const DEFAULT_ERROR_MESSAGE = `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <style type="text/css">
            :root {
                color-scheme: light dark;
            }
        </style>
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %(code)d</p>
        <p>Message: %(message)s.</p>
        <p>Error code explanation: %(code)s - %(explain)s.</p>
    </body>
</html>
`

/** CPython's `DEFAULT_ERROR_CONTENT_TYPE`. */
export const DEFAULT_ERROR_CONTENT_TYPE = 'text/html;charset=utf-8'

/** Something with a `write(text)` method: `process.stderr`, a file stream, a test buffer. */
export interface LogStream {
  write(text: string): unknown
}

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Parse errors about the request line itself: the method in it is not to be trusted. */
const REQUEST_LINE_ERRORS: ReadonlySet<ParseErrorCode> = new Set<ParseErrorCode>([
  'SH_ERR_PARSE_REQUEST_LINE_TOO_LONG',
  'SH_ERR_PARSE_BAD_REQUEST_LINE',
  'SH_ERR_PARSE_INVALID_METHOD',
  'SH_ERR_PARSE_INVALID_TARGET',
  'SH_ERR_PARSE_BAD_VERSION',
  'SH_ERR_PARSE_VERSION_NOT_SUPPORTED',
  'SH_ERR_PARSE_BAD_HTTP09_METHOD',
  'SH_ERR_PARSE_INVALID_LINE_ENDING',
])

/** Printable ASCII: what `Server` and `Date` hold unless a subclass makes them odd. */
const SAFE_TEXT_RE = /^[\x20-\x7e]*$/
// eslint-disable-next-line no-control-regex -- CR, LF and NUL are how headers get injected
const UNSAFE_VALUE_RE = /[\r\n\0]|[^\x00-\xff]/

// Per-response strings, remembered from the last response (all connections share them): most
// responses repeat the previous one's status line, Server and Date.
let versionFor: readonly [string, string] = ['', '']
let versionText = ' '
let serverDateFor: readonly [string, string] = ['', '']
let serverDateLines = ''
let lastStatusLine = { code: -1, text: '', protocol: '', line: '' }
/** The last request method and the name of its `do` method (one string per method, not per request). */
let lastCommand = ''
let lastMethodName = 'do'

/** Header names that passed the token check (bounded: names are mostly the program's literals). */
const validNames = new Set<string>()
function isNewToken(name: string): boolean {
  if (!TOKEN_RE.test(name)) return false
  if (validNames.size < 256) validNames.add(name)
  return true
}

/** The body of a request that has none (before the first request, and for errors). */
const NO_BODY = { fillBody: () => Promise.resolve() }

/** A method that handles one request method: `doGET`, `doPOST`, `doSPAM`. */
type DoMethod = (this: BaseHTTPRequestHandler) => unknown

/**
 * CPython's `http.server.BaseHTTPRequestHandler`, on a `node:net` socket.
 *
 * Subclass it and add `doGET`, `doPOST`, … (`do` + the method, verbatim). They may be async: the
 * connection waits for each before reading the next request, so pipelined responses stay in
 * order. The request body is `this.rfile` (framing already decoded); the response goes through
 * `sendResponse`, `sendHeader`, `endHeaders` and `this.wfile`.
 *
 * @example
 * class Hello extends BaseHTTPRequestHandler {
 *   override protocolVersion = 'HTTP/1.1'
 *   async doGET() {
 *     const body = Buffer.from('hello\n')
 *     this.sendResponse(200)
 *     this.sendHeader('Content-Type', 'text/plain')
 *     this.sendHeader('Content-Length', String(body.length))
 *     this.endHeaders()
 *     await this.wfile.write(body)
 *   }
 * }
 */
export class BaseHTTPRequestHandler {
  // ---- class-level settings (CPython's class attributes); override in a subclass ---------

  /** The `Server` header's first word. CPython: `BaseHTTP/0.6`. */
  serverVersion = 'BaseHTTP/0.6'
  /** The `Server` header's second word. CPython: `Python/3.x.y`; here the Node.js version. */
  sysVersion = `Node.js/${process.versions.node}`
  /** `HTTP/1.0` (CPython's default: one request per connection) or `HTTP/1.1` (keep-alive). */
  protocolVersion = 'HTTP/1.0'
  /** The error page template, with `%(code)d`, `%(message)s` and `%(explain)s`. */
  errorMessageFormat = DEFAULT_ERROR_MESSAGE
  /** The error page's `Content-Type`. */
  errorContentType = DEFAULT_ERROR_CONTENT_TYPE
  /** Headers added to every error page `sendError` writes (a subclass's `Cache-Control: no-cache`, say). Default none. */
  errorHeaders: readonly (readonly [name: string, value: string])[] = []
  /** `code → [phrase, description]`, for reason phrases and error pages. */
  responses: ResponseTable = RESPONSES
  /** Limits handed to the request parser (request line, header lines, header count, …). */
  parserOptions: ParserOptions = {}
  /** Where `logMessage` writes. Default: standard error, as CPython. */
  logStream: LogStream = process.stderr
  /**
   * Before answering a request whose body the handler has not read, up to this many body bytes
   * are read (and kept for `rfile`) to check the body's framing; a broken body turns the answer
   * into a 400. A larger body (or one slower than `server.bodyTimeout` in all) is not waited
   * for: the answer goes out with `Connection: close`. Default 1 MiB.
   */
  bodyCheckLimit = 1024 * 1024

  // ---- the connection ---------------------------------------------------------------------

  /** The client's socket (CPython's `request`/`connection`). */
  readonly connection: Socket
  /** `[host, port]` of the client. */
  readonly clientAddress: ClientAddress
  /** The server that accepted the connection. */
  readonly server: ServerInfo
  /** When true, the connection closes after the current request. */
  closeConnection = true

  // ---- the current request ----------------------------------------------------------------

  /** The method, as sent (`GET`). Empty before a request line was read. */
  command = ''
  /** The request-target, with a leading `//` collapsed to `/` (as CPython does). */
  path = ''
  /** The request's version (`HTTP/1.1`); `HTTP/0.9` for a two-word request line. */
  requestVersion = 'HTTP/0.9'
  /** The request line, without its line ending. */
  requestline = ''
  /** The request's header fields (case-insensitive lookup, names as sent). */
  headers: HeaderList = new HeaderList()
  /** The request body. */
  rfile: RequestBody
  /** The response stream. */
  readonly wfile: ResponseWriter
  /**
   * Access rules (Host, Origin, HTTP Basic) checked before every request is dispatched.
   * Default `undefined`: none, as CPython.
   */
  accessGuard: AccessGuard | undefined = undefined

  #conn: Connection | undefined
  #shutdownRequested = false
  #headerBlock = ''
  #responseStatus = 0
  #sentLength = false
  #sentChunked = false
  #sentConnection = false
  /** The check of an unread body running before this response may leave (see `bodyCheckLimit`). */
  #bodyCheck: Promise<void> | undefined
  readonly #checkUnreadBody = (): Promise<void> | undefined => {
    const conn = this.#conn
    const body = this.rfile
    // A body the handler reads is its own: a framing error reaches it from `rfile`.
    if (conn === undefined || body.complete || body[kTouched] || conn.bodyCompleteNow()) return undefined
    this.#bodyCheck = conn.checkBody(this.bodyCheckLimit).then((result) => {
      this.#answerBodyCheck(result)
    })
    return this.#bodyCheck
  }

  constructor(socket: Socket, clientAddress: ClientAddress, server: ServerInfo) {
    this.connection = socket
    this.clientAddress = clientAddress
    this.server = server
    const writeTimeout = server.writeTimeout ?? 30_000
    this.wfile = new ResponseWriter(socket, writeTimeout, () => {
      this.logError('Write timed out: the client read nothing for %d ms', writeTimeout)
    })
    this.rfile = new RequestBody(NO_BODY, 'none')
  }

  // ---- the protocol loop --------------------------------------------------------------------

  /** Serve requests until the connection closes (CPython's `handle`). Never rejects. */
  async handle(): Promise<void> {
    // Built here, not in the constructor: a subclass's field initializers (parserOptions) run
    // after the base constructor.
    const conn = new Connection(
      this.connection,
      {
        headers: this.server.headersTimeout ?? 30_000,
        keepAlive: this.server.keepAliveTimeout ?? 5_000,
        body: this.server.bodyTimeout ?? 30_000,
        bodyMinRate: this.server.bodyMinRate ?? 500,
      },
      this.parserOptions,
    )
    this.#conn = conn
    if (this.#shutdownRequested) conn.shutdown()
    try {
      do {
        // A subclass that overrides handleOneRequest gets it called; otherwise its body runs
        // here, the wait for the next head included: no async call (a generator and a promise
        // that live as long as the wait) per request.
        let pending: Promise<void> | undefined
        if (this.handleOneRequest === baseHandleOneRequest) {
          this.#resetResponse()
          let next = conn.beginRequest()
          while (typeof next === 'number') {
            next = next > 0 && (await conn.waitForInput(next)) ? conn.pollRequest() : conn.timedOut()
          }
          pending = this.#serveRequest(conn, next)
        } else {
          pending = this.handleOneRequest()
        }
        if (pending !== undefined) await pending
        // A handler that failed (or gave up) while its response waited for the body check.
        if (this.#bodyCheck !== undefined) await this.#bodyCheck
      } while (!this.closeConnection && !conn.closed)
    } catch (error) {
      // handleOneRequest catches what handlers throw; anything here is a bug of ours.
      this.handleError(error)
    }
    await conn.close()
  }

  /**
   * What this connection is doing, for the server's choice of whom to close when its table is
   * full: `'idle'` between requests, `'head'` while a request head arrives, `'busy'` otherwise.
   */
  activity(): { readonly state: 'idle' | 'head' | 'busy'; readonly since: number } {
    return this.#conn?.activity ?? { state: 'head', since: 0 }
  }

  /** The server is stopping: finish the current request, then close; close now if idle. */
  shutdown(): void {
    this.#shutdownRequested = true
    this.closeConnection = true
    this.#conn?.shutdown()
  }

  /**
   * Read one request, dispatch it to `do<METHOD>`, finish its response (CPython's
   * `handle_one_request`). `handle()` runs these same steps inline unless a subclass replaces
   * this method: there they cost no async call per request.
   */
  async handleOneRequest(): Promise<void> {
    const conn = this.#conn
    if (conn === undefined) throw new Error('handleOneRequest() runs inside handle()')
    this.#resetResponse()
    let next = conn.beginRequest()
    while (typeof next === 'number') {
      next = next > 0 && (await conn.waitForInput(next)) ? conn.pollRequest() : conn.timedOut()
    }
    await this.#serveRequest(conn, next)
  }

  /**
   * Answer one request (or the lack of one). Synchronous while the handler is: returns a
   * promise only when something is left to wait for (an async handler, back-pressure, a body
   * to drain).
   */
  #serveRequest(conn: Connection, next: NextRequest): Promise<void> | undefined {
    if ('none' in next) {
      // A head that never completed gets a 408; an idle or vanished client gets nothing.
      if (next.none === 'timeout' && next.partial) {
        this.#clearRequest()
        this.logError('Request timed out: the request head was not complete within %d ms', this.server.headersTimeout ?? 30_000)
        this.sendError(408)
        this.wfile.flush()
      }
      return undefined
    }
    if (next instanceof Error) {
      this.#answerParseError(next)
      return undefined
    }
    const body = conn.body
    this.#startRequest(next, body)
    // The access rules run once, before anything else answers (even a 100 Continue).
    const guard = this.accessGuard
    if (guard !== undefined) {
      const verdict = guard.check(this)
      if (verdict instanceof Promise) {
        return verdict.then((refusal) => {
          if (refusal === undefined) return this.#dispatch(conn, next, body)
          this.#refuse(refusal)
          return undefined
        })
      }
      if (verdict !== undefined) {
        this.#refuse(verdict)
        return undefined
      }
    }
    return this.#dispatch(conn, next, body)
  }

  /** Answer a request the guard refused; its body is never read, so the connection closes. */
  #refuse(refusal: Refusal): void {
    this.closeConnection = true
    const page = Buffer.from(
      mappingFormat(this.errorMessageFormat, {
        code: refusal.status,
        message: htmlEscape(refusal.message, false),
        explain: htmlEscape(refusal.explain, false),
      }),
      'utf8',
    )
    this.logError('code %d, message %s', refusal.status, refusal.message)
    this.sendResponse(refusal.status, refusal.message)
    for (const [name, value] of refusal.headers) this.sendHeader(name, value)
    this.sendHeader('Connection', 'close')
    this.sendHeader('Content-Type', this.errorContentType)
    this.sendHeader('Content-Length', String(page.length))
    this.endHeaders()
    if (this.command !== 'HEAD') this.wfile.write(page).catch(() => undefined)
    this.wfile.flush()
  }

  /** Dispatch an accepted request to `do<METHOD>`. */
  #dispatch(conn: Connection, next: RequestHead, body: RequestBody): Promise<void> | undefined {
    const { expectContinue, versionMajor, versionMinor } = next
    // The request's version as numbers (CPython compares a tuple): 'HTTP/01.1' is 1.1 too.
    if (expectContinue && this.protocolVersion >= 'HTTP/1.1' && versionMajor === 1 && versionMinor >= 1) {
      if (!this.handleExpect100()) {
        // The client was refused its 100 and may send the body anyway or never: either way
        // the next bytes on this connection cannot be trusted to start a request.
        this.closeConnection = true
        this.wfile.flush()
        return undefined
      }
      this.wfile.flush()
      this.wfile[kInterimSent]()
    }
    // The fast path: a request without a body arms nothing.
    if (!body.complete) this.wfile[kCheckBeforeSending](this.#checkUnreadBody)

    const command = this.command
    if (command !== lastCommand) {
      lastCommand = command
      lastMethodName = `do${command}`
    }
    const method = (this as unknown as Record<string, unknown>)[lastMethodName]
    try {
      if (typeof method !== 'function') {
        this.sendError(501, `Unsupported method (${pyRepr(this.command)})`)
      } else {
        const result = (method as DoMethod).call(this)
        // What a handler returns is awaited, but `wfile.write`'s settled promise needs no
        // microtask, and neither does a plain value.
        if (result !== READY && isThenable(result)) return this.#finishAfter(conn, body, result)
      }
      this.wfile.flush()
    } catch (error) {
      this.#answerHandlerError(error)
      return undefined
    }
    return this.#afterResponse(conn, body)
  }

  /** The rest of `#serveRequest` once an async handler has settled. */
  async #finishAfter(conn: Connection, body: RequestBody, result: PromiseLike<unknown>): Promise<void> {
    try {
      await result
      this.wfile.flush()
    } catch (error) {
      this.#answerHandlerError(error)
      return
    }
    await this.#afterResponse(conn, body)
  }

  /** After a response: close after HTTP/0.9; drop an unread body before the next request. */
  #afterResponse(conn: Connection, body: RequestBody): Promise<void> | undefined {
    const check = this.#bodyCheck
    if (check !== undefined) return check.then(() => this.#afterResponse(conn, body))
    if (!body.complete) this.wfile[kCheckBeforeSending](undefined)
    if (this.requestVersion === 'HTTP/0.9') this.closeConnection = true
    if (this.closeConnection || body.complete) return undefined
    return conn.drainBody().then((drained) => {
      if (!drained) this.closeConnection = true
    })
  }

  /**
   * The unread body has been read up to the bound: let the held response go, with
   * `Connection: close` when the body was not (or could not be) read to its end, or replace it
   * with the 400 its broken framing deserves.
   */
  #answerBodyCheck(result: BodyCheck): void {
    this.#bodyCheck = undefined
    if (result === 'complete') {
      this.wfile[kReleaseHeld](false)
      return
    }
    this.closeConnection = true
    if (result === 'too-large' || result === 'timeout') {
      this.wfile[kReleaseHeld](true)
      return
    }
    if (result === 'closed') {
      this.wfile[kReplaceHeld](() => undefined)
      return
    }
    // CPython reads no body, so it has no such error; its 400 page is the answer here.
    this.wfile[kReplaceHeld](() => {
      this.#resetResponse()
      this.closeConnection = true
      this.sendError(result.status, result.reason, result.explain)
    })
  }

  #startRequest(head: RequestHead, body: RequestBody): void {
    this.command = head.method
    this.requestVersion = head.version
    this.requestline = head.requestLine
    this.headers = head.headers
    this.rfile = body
    // CPython (gh-87389): `//host/x` must not become an open redirect in subclasses.
    this.path = head.target.startsWith('//') ? '/' + head.target.replace(/^\/+/, '') : head.target
    // CPython's rule: keep-alive only under an HTTP/1.1 protocolVersion, for a client that
    // wants it (HTTP/1.1 without `Connection: close`, or `Connection: keep-alive`). The parser
    // has read the Connection tokens already.
    this.closeConnection = !(this.protocolVersion >= 'HTTP/1.1' && head.keepAlive)
    // A request that was already on its way when the server began to stop.
    if (this.#shutdownRequested) this.closeConnection = true
  }

  #answerParseError(error: HTTPParseError): void {
    this.#clearRequest()
    // CPython logs the refused request's line (`"GET / HTTP/2.0" 505 -`), and once the line
    // itself was accepted it knows the method too, so a refused HEAD gets no body.
    const line = error.requestLine
    if (line !== undefined) {
      this.requestline = line
      if (!REQUEST_LINE_ERRORS.has(error.code)) this.command = line.slice(0, line.indexOf(' '))
    }
    this.sendError(error.status, error.reason, error.explain)
    this.wfile.flush()
  }

  /** No usable request (a parse error, a timed-out head): forget the previous one's fields. */
  #clearRequest(): void {
    this.command = ''
    this.path = ''
    this.requestline = ''
    this.headers = new HeaderList()
    // Unlike CPython, a bad request line still gets a real status line (never an HTTP/0.9 page).
    this.requestVersion = this.protocolVersion
  }

  #answerHandlerError(error: unknown): void {
    this.closeConnection = true
    const code = isSimpleHTTPError(error) ? error.code : ''
    if (code === 'SH_ERR_HANDLER_CONNECTION_CLOSED') return
    if (this.wfile.started) {
      // Part of a response is out; the only honest signal left is to cut the connection. A
      // reset, not a FIN (CPython's close): after a FIN, a body delimited by the close would
      // look complete to the client.
      this.handleError(error)
      this.connection.resetAndDestroy()
      return
    }
    this.wfile[kDiscardHead]()
    // The failed response's Content-Length/Transfer-Encoding must not shape the error page's.
    this.#resetResponse()
    this.closeConnection = true
    if (code === 'SH_ERR_HANDLER_BODY_TIMEOUT') {
      this.logError('Request timed out: %s', (error as Error).message)
      this.sendError(408)
    } else if (code.startsWith('SH_ERR_PARSE_')) {
      const parseError = error as HTTPParseError
      this.sendError(parseError.status, parseError.reason, parseError.explain)
    } else {
      this.handleError(error)
      this.sendError(500)
    }
    this.wfile.flush()
  }

  /**
   * Answer `Expect: 100-continue` (CPython's `handle_expect_100`). Return false after sending a
   * final response (say 417) to refuse the body.
   */
  handleExpect100(): boolean {
    this.sendResponseOnly(100)
    this.endHeaders()
    this.wfile.flush()
    return true
  }

  // ---- writing the response -----------------------------------------------------------------

  /** Log the request, then add the status line, `Server` and `Date` (CPython's `send_response`). */
  sendResponse(code: number, message?: string): void {
    this.logRequest(code)
    this.sendResponseOnly(code, message)
    const server = this.versionString()
    const date = this.dateTimeString()
    if (this.requestVersion === 'HTTP/0.9') {
      // Validated, then left out (no headers in HTTP/0.9).
      this.sendHeader('Server', server)
      this.sendHeader('Date', date)
    } else if (server === serverDateFor[0] && date === serverDateFor[1]) {
      // The same strings as the last time (the date changes once a second): checked already.
      this.#headerBlock += serverDateLines
    } else if (SAFE_TEXT_RE.test(server) && SAFE_TEXT_RE.test(date)) {
      // Printable ASCII needs no injection check.
      serverDateFor = [server, date]
      serverDateLines = `Server: ${server}\r\nDate: ${date}\r\n`
      this.#headerBlock += serverDateLines
    } else {
      this.sendHeader('Server', server)
      this.sendHeader('Date', date)
    }
  }

  /** Add only the status line (CPython's `send_response_only`). Nothing is sent for HTTP/0.9. */
  sendResponseOnly(code: number, message?: string): void {
    if (this.requestVersion === 'HTTP/0.9') return
    const text = message ?? this.responses[code]?.[0] ?? ''
    if (code >= 200) this.#responseStatus = code
    const protocol = this.protocolVersion
    const last = lastStatusLine
    if (code === last.code && text === last.text && protocol === last.protocol) {
      this.#headerBlock += last.line
      return
    }
    const line = `${protocol} ${code} ${safeReasonPhrase(text)}\r\n`
    lastStatusLine = { code, text, protocol, line }
    this.#headerBlock += line
  }

  /**
   * Add a header line (CPython's `send_header`). `Connection: close` / `keep-alive` also set
   * `closeConnection`. Throws on a name that is not a token or a value with CR, LF or NUL:
   * response splitting is refused, never written.
   */
  sendHeader(keyword: string, value: string | number): void {
    const text = String(value)
    if (!(validNames.has(keyword) || isNewToken(keyword)) || UNSAFE_VALUE_RE.test(text)) {
      throw new HandlerError(
        'SH_ERR_HANDLER_INVALID_HEADER',
        `refusing to send header ${pyRepr(keyword)}: ${pyRepr(text.slice(0, 64))} (names are tokens; values have no CR, LF, NUL or characters above U+00FF)`,
      )
    }
    if (this.requestVersion !== 'HTTP/0.9') this.#headerBlock += `${keyword}: ${text}\r\n`
    // Only names as long as the three that matter are worth lowercasing.
    const length = keyword.length
    if (length !== 10 && length !== 14 && length !== 17) return
    const name = keyword.toLowerCase()
    if (name === 'connection') {
      this.#sentConnection = true
      const lower = text.toLowerCase()
      if (lower === 'close') this.closeConnection = true
      else if (lower === 'keep-alive') this.closeConnection = false
    } else if (name === 'content-length') {
      this.#sentLength = true
    } else if (name === 'transfer-encoding') {
      this.#sentChunked = true
    }
  }

  /** Finish the header block (CPython's `end_headers`); it goes out with the first body write. */
  endHeaders(): void {
    if (this.requestVersion === 'HTTP/0.9') return
    const status = this.#responseStatus
    if (
      status >= 200 &&
      !this.closeConnection &&
      !this.#sentLength &&
      !this.#sentChunked &&
      status !== 204 &&
      status !== 205 &&
      status !== 304 &&
      this.command !== 'HEAD'
    ) {
      // Without a length the client can only find the end of this body by the connection
      // closing; CPython would leave it waiting on a kept-alive socket.
      this.#headerBlock += 'Connection: close\r\n'
      this.closeConnection = true
    } else if (
      status >= 200 &&
      this.closeConnection &&
      !this.#sentConnection &&
      this.protocolVersion >= 'HTTP/1.1'
    ) {
      // An HTTP/1.1 status line promises a persistent connection unless it says otherwise
      // (RFC 9112 §9.3): an HTTP/1.0 client, `Connection: close` or a stopping server must
      // hear that this one closes. CPython leaves the header out.
      this.#headerBlock += 'Connection: close\r\n'
    }
    this.#headerBlock += '\r\n'
    this.wfile[kQueueHead](this.#headerBlock)
    this.#headerBlock = ''
  }

  /** Send the header block now (CPython's `flush_headers`). */
  flushHeaders(): void {
    this.wfile.flush()
  }

  /**
   * Send an error page and log it (CPython's `send_error`). `message` becomes the reason
   * phrase; both it and `explain` are HTML-escaped. The connection closes afterwards. No body
   * for HEAD, 1xx, 204, 205 or 304.
   */
  sendError(code: number, message?: string, explain?: string): void {
    const [phrase, description] = this.responses[code] ?? ['???', '???']
    const shortMessage = message ?? phrase
    const longMessage = explain ?? description
    this.logError('code %d, message %s', code, shortMessage)
    this.sendResponse(code, shortMessage)
    this.sendHeader('Connection', 'close')
    for (const [name, value] of this.errorHeaders) this.sendHeader(name, value)
    let body: Buffer | undefined
    if (code >= 200 && code !== 204 && code !== 205 && code !== 304) {
      const page = mappingFormat(this.errorMessageFormat, {
        code,
        message: htmlEscape(shortMessage, false),
        explain: htmlEscape(longMessage, false),
      })
      body = Buffer.from(page, 'utf8')
      this.sendHeader('Content-Type', this.errorContentType)
      this.sendHeader('Content-Length', String(body.length))
    }
    this.endHeaders()
    if (this.command !== 'HEAD' && body !== undefined) {
      // The socket takes it whole; the connection is closing, so nobody awaits back-pressure.
      this.wfile.write(body).catch(() => undefined)
    }
  }

  // ---- logging ------------------------------------------------------------------------------

  /** Log an accepted request: `"GET / HTTP/1.1" 200 -` (CPython's `log_request`). */
  logRequest(code: number | string = '-', size: number | string = '-'): void {
    this.logMessage('"%s" %s %s', this.requestline, String(code), String(size))
  }

  /** Log an error; by default the same as `logMessage` (CPython's `log_error`). */
  logError(format: string, ...args: unknown[]): void {
    this.logMessage(format, ...args)
  }

  /**
   * Write `client - - [date] message` to `logStream` (CPython's `log_message`), with control
   * characters in the message escaped so a request cannot forge log lines.
   */
  logMessage(format: string, ...args: unknown[]): void {
    const message = escapeLogText(percentFormat(format, args))
    this.logStream.write(`${this.addressString()} - - [${this.logDateTimeString()}] ${message}\n`)
  }

  /**
   * Report an exception a handler threw (CPython's `server.handle_error`): a framed block with
   * the stack on `logStream`.
   */
  handleError(error: unknown): void {
    const rule = '-'.repeat(40)
    const detail = error instanceof Error ? (error.stack ?? String(error)) : String(error)
    const [host, port] = this.clientAddress
    // Escaped line by line: a message that itself contains the text `\x0a` must not become a
    // line break (log forgery) when the stack's own newlines are kept.
    const lines = detail.split('\n').map(escapeLogText).join('\n')
    this.logStream.write(
      `${rule}\nException occurred during processing of request from (${pyRepr(host)}, ${port})\n${lines}\n${rule}\n`,
    )
  }

  // ---- small helpers CPython exposes --------------------------------------------------------

  /** `serverVersion + ' ' + sysVersion`: the `Server` header. */
  versionString(): string {
    const { serverVersion, sysVersion } = this
    if (serverVersion !== versionFor[0] || sysVersion !== versionFor[1]) {
      versionFor = [serverVersion, sysVersion]
      versionText = `${serverVersion} ${sysVersion}`
    }
    return versionText
  }

  /** An IMF-fixdate for `timestampMs` (default: now), as the `Date` header. */
  dateTimeString(timestampMs?: number): string {
    return httpDate(timestampMs)
  }

  /** Local time as `25/Nov/2026 11:23:53`, for the log. */
  logDateTimeString(): string {
    return logDateTime(new Date())
  }

  /** The client's address for the log: its IP (CPython does no DNS lookup either). */
  addressString(): string {
    return this.clientAddress[0]
  }

  /** Before each request: closing is the default until the request line says otherwise (CPython). */
  #resetResponse(): void {
    this.closeConnection = true
    this.#headerBlock = ''
    this.#responseStatus = 0
    this.#sentLength = false
    this.#sentChunked = false
    this.#sentConnection = false
  }
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
const baseHandleOneRequest = BaseHTTPRequestHandler.prototype.handleOneRequest

/** Whether `await` would call a `then` on it (a promise, or any thenable a handler returns). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value != null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
