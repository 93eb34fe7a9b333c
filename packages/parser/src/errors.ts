/**
 * Parse errors are values: each has a stable `code`, the HTTP `status` a server should answer
 * with, and CPython's short `reason` where CPython has one (it becomes the status line's reason
 * phrase in `sendError`).
 * @module
 */

/**
 * Every error the parsers can report, with the status it maps to. For the codes both parsers
 * share, `status` is what a server answers a bad request with; a gateway that gets a bad
 * response answers 502 whatever the code.
 */
export const PARSE_ERRORS = {
  SH_ERR_PARSE_REQUEST_LINE_TOO_LONG: 414,
  SH_ERR_PARSE_BAD_REQUEST_LINE: 400,
  SH_ERR_PARSE_INVALID_METHOD: 400,
  SH_ERR_PARSE_INVALID_TARGET: 400,
  SH_ERR_PARSE_BAD_VERSION: 400,
  SH_ERR_PARSE_VERSION_NOT_SUPPORTED: 505,
  SH_ERR_PARSE_BAD_HTTP09_METHOD: 400,
  SH_ERR_PARSE_HEADER_LINE_TOO_LONG: 431,
  SH_ERR_PARSE_TOO_MANY_HEADERS: 431,
  SH_ERR_PARSE_HEADERS_TOO_LARGE: 431,
  SH_ERR_PARSE_INVALID_LINE_ENDING: 400,
  SH_ERR_PARSE_OBS_FOLD: 400,
  SH_ERR_PARSE_SPACE_BEFORE_COLON: 400,
  SH_ERR_PARSE_INVALID_HEADER_NAME: 400,
  SH_ERR_PARSE_INVALID_HEADER_VALUE: 400,
  SH_ERR_PARSE_DUPLICATE_HOST: 400,
  SH_ERR_PARSE_CONFLICTING_FRAMING: 400,
  SH_ERR_PARSE_INVALID_CONTENT_LENGTH: 400,
  SH_ERR_PARSE_INVALID_TRANSFER_ENCODING: 400,
  SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING: 501,
  SH_ERR_PARSE_BODY_TOO_LARGE: 413,
  SH_ERR_PARSE_INVALID_CHUNK_SIZE: 400,
  SH_ERR_PARSE_INVALID_CHUNK_EXTENSION: 400,
  SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG: 400,
  SH_ERR_PARSE_INVALID_CHUNK_END: 400,
  SH_ERR_PARSE_INCOMPLETE: 400,
  // Responses only (ResponseParser): a gateway answers a malformed upstream response with 502.
  SH_ERR_PARSE_STATUS_LINE_TOO_LONG: 502,
  SH_ERR_PARSE_BAD_STATUS_LINE: 502,
  SH_ERR_PARSE_INVALID_STATUS: 502,
} as const

/** A stable error code, such as `SH_ERR_PARSE_CONFLICTING_FRAMING`. */
export type ParseErrorCode = keyof typeof PARSE_ERRORS
/** The statuses a parse error maps to. */
export type ParseErrorStatus = (typeof PARSE_ERRORS)[ParseErrorCode]

// The same key in every installed copy of every @simplehttp package: Symbol.for, not Symbol().
const kSimpleHTTPError: unique symbol = Symbol.for('simplehttp.error') as never

/**
 * The one shape of every error a `@simplehttp/*` package throws: an `Error` with a stable `code`
 * from that package's registry (`PARSE_ERRORS`, `SERVER_ERRORS`, ...) and the shared brand that
 * {@link isSimpleHTTPError} looks for. Each package subclasses it once (`HTTPParseError`,
 * `ServerError`, ...) and sets `name`; it is defined here, at the bottom of the dependency
 * graph, and re-exported by every package.
 */
export class SimpleHTTPError<Code extends string = string> extends Error {
  override readonly name: string = 'SimpleHTTPError'
  readonly code: Code
  readonly [kSimpleHTTPError] = true

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Options for {@link HTTPParseError}. */
export interface HTTPParseErrorOptions extends ErrorOptions {
  /** CPython's short message, used as the status line's reason phrase. */
  reason?: string
  /** CPython's longer explanation, shown on the error page. */
  explain?: string | undefined
  /** The request line of the refused request, when one was read before the problem. */
  requestLine?: string | undefined
}

/**
 * A request the parser refused. `status` is what to answer with; `code` never changes between
 * releases. Check `code` (or {@link isSimpleHTTPError}) rather than `instanceof`, which fails
 * when two copies of the package are installed.
 */
export class HTTPParseError extends SimpleHTTPError<ParseErrorCode> {
  override readonly name = 'HTTPParseError'
  readonly status: ParseErrorStatus
  readonly reason: string | undefined
  readonly explain: string | undefined
  /**
   * The refused request's line (without its line ending) when it had been read, so a server
   * can log `"GET / HTTP/2.0" 505 -` as CPython does; `undefined` for a request line that was
   * too long or a stream that failed between requests.
   */
  readonly requestLine: string | undefined

  constructor(code: ParseErrorCode, message: string, options: HTTPParseErrorOptions = {}) {
    super(code, message, options)
    this.status = PARSE_ERRORS[code]
    this.reason = options.reason
    this.explain = options.explain
    this.requestLine = options.requestLine
  }
}

/** True for any error thrown by a `@simplehttp/*` package, whichever copy made it. */
export function isSimpleHTTPError(value: unknown): value is SimpleHTTPError {
  return (
    typeof value === 'object' &&
    value != null &&
    (value as Record<symbol, unknown>)[kSimpleHTTPError] === true
  )
}
