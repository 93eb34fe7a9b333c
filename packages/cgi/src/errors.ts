/**
 * Errors raised by `@simplehttp/cgi`. Requests are answered (403, 404, 411, 502, 503, 504),
 * never thrown; these codes are for misuse.
 * @module
 */
import { SimpleHTTPError } from '@simplehttp/parser'

/** Every `@simplehttp/cgi` error code and what it means. */
export const CGI_ERRORS = {
  /** An option passed to `CGIHTTPRequestHandler.withCGIOptions()` has the wrong type or value. */
  SH_ERR_CGI_INVALID_OPTION: 'invalid option',
  /** `runCGI()` was called without a successful `isCGI()` before it (no `cgiInfo`). */
  SH_ERR_CGI_NO_SCRIPT: 'no CGI script selected',
} as const

/** One of the codes in {@link CGI_ERRORS}. */
export type CGIErrorCode = keyof typeof CGI_ERRORS

/** An error from `@simplehttp/cgi`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class CGIError extends SimpleHTTPError<CGIErrorCode> {
  override readonly name = 'CGIError'
}
