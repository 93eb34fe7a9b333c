/**
 * `@simplehttp/cli`: the command line of `python -m http.server`, as a function that returns an
 * exit code. It parses and validates the flags, starts the server it is given with the handler
 * class it is given, prints CPython's banner and handles Ctrl+C and SIGTERM.
 * @module
 */

// Running the command line
export { run } from './run.js'
export type {
  CliDeps,
  HandlerClass,
  HandlerOptions,
  ServerClass,
  ServerLike,
  ServerStartOptions,
  ServerTLSOptions,
  SignalSource,
  TextSink,
} from './run.js'

// Parsing and help
export { DEFAULT_PORT, DEFAULT_PROTOCOL, PROTOCOLS, formatHelp, formatUsage, parseArgs } from './args.js'
export type { FormatOptions, ParseResult, ParsedArgs, Protocol } from './args.js'

// The banner
export { formatBanner } from './banner.js'
export type { BannerServer } from './banner.js'

// Errors
export { CLI_ERRORS, ServeError, UsageError } from './errors.js'
export type { CliErrorCode } from './errors.js'
