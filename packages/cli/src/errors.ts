/**
 * The CLI's errors. A {@link UsageError} is the user's mistake on the command line: `run()`
 * prints argparse's usage line and `simplehttp: error: <message>`, then returns exit code 2.
 * @module
 */
import { SimpleHTTPError } from '@simplehttp/server'

/** Every code `@simplehttp/cli` reports, with a one-line meaning. */
export const CLI_ERRORS = {
  SH_ERR_CLI_USAGE:
    'the command line is wrong: an unknown flag, a bad value, a missing directory or password file (exit code 2)',
  SH_ERR_CLI_SERVE:
    'the server could not start (port in use, no permission, bad bind address, unusable certificate) or stopped on its own (every worker exited) (exit code 1)',
} as const

/** A stable error code, such as `SH_ERR_CLI_USAGE`. */
export type CliErrorCode = keyof typeof CLI_ERRORS

/**
 * A mistake on the command line, reported as argparse reports it: the usage line, then
 * `<prog>: error: <message>`, exit code 2 (what `python -m http.server` users see).
 */
export class UsageError extends SimpleHTTPError<'SH_ERR_CLI_USAGE'> {
  override readonly name = 'UsageError'
  /** The exit code argparse uses for usage errors. */
  readonly exitCode = 2

  constructor(message: string, options?: ErrorOptions) {
    super('SH_ERR_CLI_USAGE', message, options)
  }
}

/**
 * The server could not start for a reason the user can fix (port in use, no permission, a bad
 * bind address, a certificate that does not load), or stopped without being asked (every
 * worker process died): one line, exit code 1, no stack trace.
 */
export class ServeError extends SimpleHTTPError<'SH_ERR_CLI_SERVE'> {
  override readonly name = 'ServeError'
  /** Exit code 1: the command line was fine, the world was not. */
  readonly exitCode = 1

  constructor(message: string, options?: ErrorOptions) {
    super('SH_ERR_CLI_SERVE', message, options)
  }
}
