/**
 * The CLI's errors. A {@link UsageError} is the user's mistake on the command line: `run()`
 * prints argparse's usage line and `simplehttp: error: <message>`, then returns exit code 2.
 * @module
 */

/** Every code `@simplehttp/cli` reports, with a one-line meaning. */
export const CLI_ERRORS = {
  SH_ERR_CLI_USAGE:
    'the command line is wrong: an unknown flag, a bad value, a missing directory or password file (exit code 2)',
  SH_ERR_CLI_SERVE:
    'the server could not start (port in use, no permission, bad bind address, unusable certificate) or stopped on its own (every worker exited) (exit code 1)',
} as const

/** A stable error code, such as `SH_ERR_CLI_USAGE`. */
export type CliErrorCode = keyof typeof CLI_ERRORS

// The same key in every @simplehttp package, so isSimpleHTTPError works across installed copies.
const kSimpleHTTPError: unique symbol = Symbol.for('simplehttp.error') as never

/**
 * A mistake on the command line, reported as argparse reports it: the usage line, then
 * `<prog>: error: <message>`, exit code 2 (what `python -m http.server` users see).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly code = 'SH_ERR_CLI_USAGE' satisfies CliErrorCode
  /** The exit code argparse uses for usage errors. */
  readonly exitCode = 2
  readonly [kSimpleHTTPError] = true
}

/**
 * The server could not start for a reason the user can fix (port in use, no permission, a bad
 * bind address, a certificate that does not load), or stopped without being asked (every
 * worker process died): one line, exit code 1, no stack trace.
 */
export class ServeError extends Error {
  override readonly name = 'ServeError'
  readonly code = 'SH_ERR_CLI_SERVE' satisfies CliErrorCode
  /** Exit code 1: the command line was fine, the world was not. */
  readonly exitCode = 1
  readonly [kSimpleHTTPError] = true
}
