/**
 * Errors raised by the handler itself (parse errors come from `@simplehttp/parser`).
 * @module
 */
import { SimpleHTTPError } from '@simplehttp/parser'

/** Every handler error code and what it means. */
export const HANDLER_ERRORS = {
  /** `sendHeader` got a name that is not a token, or a value with CR, LF, NUL or a non-Latin-1 character. */
  SH_ERR_HANDLER_INVALID_HEADER: 'invalid response header',
  /** The client went away: writing to `wfile` or reading `rfile` after the connection closed. */
  SH_ERR_HANDLER_CONNECTION_CLOSED: 'connection closed',
  /** The client stopped sending the request body for longer than the body timeout. */
  SH_ERR_HANDLER_BODY_TIMEOUT: 'request body timed out',
  /** An `AccessGuard` option (credentials, realm) or an htpasswd line is not usable. */
  SH_ERR_HANDLER_INVALID_OPTION: 'invalid option',
} as const

export type HandlerErrorCode = keyof typeof HANDLER_ERRORS

/** An error from `@simplehttp/handler`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class HandlerError extends SimpleHTTPError<HandlerErrorCode> {
  override readonly name = 'HandlerError'
}
