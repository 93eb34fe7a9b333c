/**
 * Errors raised by `@simplehttp/static`. Requests that cannot be served are answered (404, 400,
 * 412, 416), never thrown; these codes are for misuse and for responses that had to be cut.
 * @module
 */
import { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/handler'

/** Every `@simplehttp/static` error code and what it means. */
export const STATIC_ERRORS = {
  /** An option passed to `serveStatic()` or `SimpleHTTPRequestHandler.withOptions()` has the wrong type or value. */
  SH_ERR_STATIC_INVALID_OPTION: 'invalid option',
  /** A file shrank while it was being sent: fewer bytes remain than the `Content-Length` announced, so the connection is cut. */
  SH_ERR_STATIC_FILE_CHANGED: 'file changed while being sent',
  /**
   * `serveStatic()` did not answer with a file; `err.status` says why (400 bad path, 403 `..` or
   * a denied dotfile, 404, 412, 416). Handed to `next(err)` as serve-static does.
   */
  SH_ERR_STATIC_NOT_SERVED: 'not served',
  /** The `node:http` response closed (client gone) before the body was written. */
  SH_ERR_STATIC_RESPONSE_CLOSED: 'response closed',
} as const

/** One of the codes in {@link STATIC_ERRORS}. */
export type StaticErrorCode = keyof typeof STATIC_ERRORS

/** An error from `@simplehttp/static`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class StaticError extends SimpleHTTPError<StaticErrorCode> {
  override readonly name = 'StaticError'
}

/** The `code` of a `@simplehttp/*` error, or `undefined` for anything else. */
export function simpleHTTPErrorCode(error: unknown): string | undefined {
  return isSimpleHTTPError(error) ? error.code : undefined
}
