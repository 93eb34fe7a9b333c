/**
 * Errors raised by `@simplehttp/cgi`. Requests are answered (403, 404, 411, 502, 503, 504),
 * never thrown; these codes are for misuse.
 * @module
 */

/** Every `@simplehttp/cgi` error code and what it means. */
export const CGI_ERRORS = {
  /** An option passed to `CGIHTTPRequestHandler.withCGIOptions()` has the wrong type or value. */
  SH_ERR_CGI_INVALID_OPTION: 'invalid option',
  /** `runCGI()` was called without a successful `isCGI()` before it (no `cgiInfo`). */
  SH_ERR_CGI_NO_SCRIPT: 'no CGI script selected',
} as const

/** One of the codes in {@link CGI_ERRORS}. */
export type CGIErrorCode = keyof typeof CGI_ERRORS

const kSimpleHTTPError: unique symbol = Symbol.for('simplehttp.error') as never

/** An error from `@simplehttp/cgi`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class CGIError extends Error {
  override readonly name = 'CGIError'
  readonly code: CGIErrorCode
  readonly [kSimpleHTTPError] = true

  constructor(code: CGIErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
