/**
 * Parse errors are values: each has a stable `code`, the HTTP `status` a server should answer
 * with, and CPython's short `reason` where CPython has one (it becomes the status line's reason
 * phrase in `sendError`).
 * @module
 */

/**
 * Every error the parsers can report, with a one-line meaning: the same shape as every other
 * package's registry (`SERVER_ERRORS`, `STATIC_ERRORS`, ...). The status each maps to is in
 * {@link PARSE_ERROR_STATUS}.
 */
export const PARSE_ERRORS = {
  SH_ERR_PARSE_REQUEST_LINE_TOO_LONG: 'the request line is longer than maxRequestLineSize (65,536 bytes with its line end)',
  SH_ERR_PARSE_BAD_REQUEST_LINE: 'not METHOD SP target SP HTTP/x.y (one word, extra or leading spaces, empty target), or too many empty lines before it',
  SH_ERR_PARSE_INVALID_METHOD: 'the method is not a token',
  SH_ERR_PARSE_INVALID_TARGET: 'control characters in the target, or a target form the method does not allow (GET *, CONNECT /x, GET index.html)',
  SH_ERR_PARSE_BAD_VERSION: 'the version is not HTTP/ + two runs of 1–10 digits (HTTP/1, HTTP/1.1.1, http/1.1)',
  SH_ERR_PARSE_VERSION_NOT_SUPPORTED: 'HTTP/2.0 or higher',
  SH_ERR_PARSE_BAD_HTTP09_METHOD: 'a two-word (HTTP/0.9) request line with a method other than GET',
  SH_ERR_PARSE_HEADER_LINE_TOO_LONG: 'a header or trailer line is longer than maxHeaderLineSize (65,536 bytes with its line end)',
  SH_ERR_PARSE_TOO_MANY_HEADERS: 'more than maxHeaders (100) header fields, or trailer fields',
  SH_ERR_PARSE_HEADERS_TOO_LARGE: 'header (or trailer) lines add up to more than maxHeadersSize bytes',
  SH_ERR_PARSE_INVALID_LINE_ENDING: 'a bare CR anywhere, a head mixing CRLF and bare LF, or bare LF in chunked framing',
  SH_ERR_PARSE_OBS_FOLD: 'a header or trailer line starts with a space or tab (obs-fold)',
  SH_ERR_PARSE_SPACE_BEFORE_COLON: 'whitespace between a field name and its colon',
  SH_ERR_PARSE_INVALID_HEADER_NAME: 'a field name that is empty or not a token, or a line without a colon',
  SH_ERR_PARSE_INVALID_HEADER_VALUE: 'a control character (NUL, C0, DEL) in a field value',
  SH_ERR_PARSE_DUPLICATE_HOST: 'more than one Host field',
  SH_ERR_PARSE_CONFLICTING_FRAMING: 'both Content-Length and Transfer-Encoding',
  SH_ERR_PARSE_INVALID_CONTENT_LENGTH: 'Content-Length repeated, or not plain decimal digits',
  SH_ERR_PARSE_INVALID_TRANSFER_ENCODING: 'the last transfer coding is not chunked, chunked twice, an invalid or empty coding list, or Transfer-Encoding in HTTP/1.0',
  SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING: 'a transfer coding other than chunked (gzip, chunked)',
  SH_ERR_PARSE_BODY_TOO_LARGE: 'Content-Length or the chunk sizes exceed maxBodySize, or Content-Length exceeds 2^53−1',
  SH_ERR_PARSE_INVALID_CHUNK_SIZE: 'a chunk size that is not plain hex (0x5, +5, g, empty, 5 ), or above 2^53−1',
  SH_ERR_PARSE_INVALID_CHUNK_EXTENSION: 'a chunk extension that does not follow RFC 9112 §7.1.1 (no name, empty value, control characters, open quote)',
  SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG: 'a chunk extension longer than maxChunkExtensionSize',
  SH_ERR_PARSE_INVALID_CHUNK_END: 'chunk data not followed by CRLF',
  SH_ERR_PARSE_INCOMPLETE: 'finish() was called inside a request or response (the peer went away mid-message)',
  // Responses only (ResponseParser).
  SH_ERR_PARSE_STATUS_LINE_TOO_LONG: 'responses: the status line is longer than maxStatusLineSize',
  SH_ERR_PARSE_BAD_STATUS_LINE: 'responses: not HTTP/x.y SP code … (another protocol, a tab, a two-digit major), a control character in the reason, or too many empty lines before it',
  SH_ERR_PARSE_INVALID_STATUS: 'responses: a status that is not three digits, or below 100',
} as const

/** A stable error code, such as `SH_ERR_PARSE_CONFLICTING_FRAMING`. */
export type ParseErrorCode = keyof typeof PARSE_ERRORS

/**
 * The status each parse error maps to. For the codes both parsers share, it is what a server
 * answers a bad request with; a gateway that gets a malformed response answers 502 whatever the
 * code.
 */
export const PARSE_ERROR_STATUS = {
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
  SH_ERR_PARSE_STATUS_LINE_TOO_LONG: 502,
  SH_ERR_PARSE_BAD_STATUS_LINE: 502,
  SH_ERR_PARSE_INVALID_STATUS: 502,
} as const satisfies Record<ParseErrorCode, number>

/** The statuses a parse error maps to. */
export type ParseErrorStatus = (typeof PARSE_ERROR_STATUS)[ParseErrorCode]

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
    this.status = PARSE_ERROR_STATUS[code]
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
