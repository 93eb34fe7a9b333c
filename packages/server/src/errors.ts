/**
 * Server errors are values with a stable `code`. `listen()` rejects with them, and the
 * constructor throws them for a bad port or option, so a CLI can print one clear line instead
 * of an `OSError` traceback (which is what `python -m http.server` shows on a bind failure).
 * @module
 */

/** Every code `@simplehttp/server` can report, with a one-line meaning. */
export const SERVER_ERRORS = {
  SH_ERR_SERVER_ADDRESS_IN_USE: 'another socket is already listening on the address (EADDRINUSE)',
  SH_ERR_SERVER_PERMISSION_DENIED: 'the process may not bind the address, usually a port below 1024 (EACCES, EPERM)',
  SH_ERR_SERVER_BAD_ADDRESS:
    'the port is not an integer from 0 to 65535, the host does not resolve, or no interface has the address (EADDRNOTAVAIL, ENOTFOUND, EAI_*)',
  SH_ERR_SERVER_TLS: 'the certificate or key is missing or unreadable, does not match, or the password is wrong',
  SH_ERR_SERVER_INVALID_OPTION: 'an option other than the address has an impossible value (a negative timeout, say)',
  SH_ERR_SERVER_WORKER_EXITED: 'a worker process exited before it was listening',
  SH_ERR_SERVER_CLOSED: 'listen() was called after shutdown() or serverClose(); a server is not reusable',
} as const

/** A stable error code, such as `SH_ERR_SERVER_ADDRESS_IN_USE`. */
export type ServerErrorCode = keyof typeof SERVER_ERRORS

// The same key in every @simplehttp package, so isSimpleHTTPError works across installed copies.
const kSimpleHTTPError: unique symbol = Symbol.for('simplehttp.error') as never

/**
 * Something stopped the server from starting. `code` never changes between releases; the
 * system error, if any, is the `cause`. Check `code` (or {@link isSimpleHTTPError}) rather
 * than `instanceof`, which fails when two copies of the package are installed.
 */
export class ServerError extends Error {
  override readonly name = 'ServerError'
  readonly code: ServerErrorCode
  readonly [kSimpleHTTPError] = true

  constructor(code: ServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** True for any error thrown by a `@simplehttp/*` package, whichever copy made it. */
export function isSimpleHTTPError(value: unknown): value is Error & { code: string } {
  return (
    typeof value === 'object' &&
    value != null &&
    (value as Record<symbol, unknown>)[kSimpleHTTPError] === true
  )
}
