/**
 * Errors raised by `@simplehttp/dav`. Requests that cannot be honoured are answered (400, 403,
 * 409, 412, 413), never thrown; these codes are for misuse.
 * @module
 */
import { SimpleHTTPError } from '@simplehttp/handler'

/** Every `@simplehttp/dav` error code and what it means. */
export const DAV_ERRORS = {
  /** An option passed to `DAVRequestHandler.withOptions()` or `parseSize()` has the wrong type or value. */
  SH_ERR_DAV_INVALID_OPTION: 'invalid option',
} as const

/** One of the codes in {@link DAV_ERRORS}. */
export type DAVErrorCode = keyof typeof DAV_ERRORS

/** An error from `@simplehttp/dav`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class DAVError extends SimpleHTTPError<DAVErrorCode> {
  override readonly name = 'DAVError'
}
