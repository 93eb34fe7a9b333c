/**
 * Server errors are values with a stable `code`. `listen()` rejects with them, and the
 * constructor throws them for a bad port or option, so a CLI can print one clear line instead
 * of an `OSError` traceback (which is what `python -m http.server` shows on a bind failure).
 * @module
 */
import { SimpleHTTPError } from '@simplehttp/parser'

/** Every code `@simplehttp/server` can report, with a one-line meaning. */
export const SERVER_ERRORS = {
  SH_ERR_SERVER_ADDRESS_IN_USE: 'another socket is already listening on the address (EADDRINUSE)',
  SH_ERR_SERVER_PERMISSION_DENIED: 'the process may not bind the address, usually a port below 1024 (EACCES, EPERM)',
  SH_ERR_SERVER_BAD_ADDRESS: 'the port is not an integer from 0 to 65535, or the host is not a string',
  SH_ERR_SERVER_ADDRESS_NOT_AVAILABLE: 'no network interface of this machine has the address (EADDRNOTAVAIL)',
  SH_ERR_SERVER_HOST_NOT_FOUND: 'the host name does not resolve to an address (ENOTFOUND, EAI_*)',
  SH_ERR_SERVER_TLS: 'the certificate or key is missing or unreadable, does not match, or the password is wrong',
  SH_ERR_SERVER_INVALID_OPTION: 'an option other than the address has an impossible value (a negative timeout, say)',
  SH_ERR_SERVER_WORKER_EXITED: 'a worker process exited before it was listening',
  SH_ERR_SERVER_CLOSED: 'listen() was called after shutdown() or serverClose(); a server is not reusable',
} as const

/** A stable error code, such as `SH_ERR_SERVER_ADDRESS_IN_USE`. */
export type ServerErrorCode = keyof typeof SERVER_ERRORS

/**
 * Something stopped the server from starting. `code` never changes between releases; the
 * system error, if any, is the `cause`. Check `code` (or `isSimpleHTTPError`) rather than
 * `instanceof`, which fails when two copies of the package are installed.
 */
export class ServerError extends SimpleHTTPError<ServerErrorCode> {
  override readonly name = 'ServerError'
}
