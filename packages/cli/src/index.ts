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
  HTTP2RequestListener,
  HandlerClass,
  ServerClass,
  ServerLike,
  ServerStartOptions,
  ServerTLSOptions,
  SignalSource,
  TextSink,
} from './run.js'

// The option table, and the types and options derived from it
export { DEFAULT_PORT, DEFAULT_PROTOCOL, OPTIONS, PROTOCOLS, optionsFor } from './options.js'
export type { HandlerSettings, OptionRow, OptionsFor, ParsedArgs, Protocol, Target } from './options.js'

// Parsing and help
export { formatHelp, formatUsage, parseArgs } from './args.js'
export type { FormatOptions, ParseArgsResult } from './args.js'

// The banner
export { formatBanner, formatBannerDetails, networkURLs } from './banner.js'
export type { BannerDetails, BannerServer } from './banner.js'

// Errors
export { CLI_ERRORS, ServeError, UsageError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/server'
export type { CliErrorCode } from './errors.js'
