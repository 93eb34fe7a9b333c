/**
 * `run(argv, deps)`: the whole of `python -m http.server` as a function that returns an exit
 * code. The server and handler classes come in as arguments, so this package never imports
 * `@simplehttp/static` or `@simplehttp/cgi` (ARCHITECTURE.md).
 * @module
 */
import type { Cluster } from 'node:cluster'
import { readFile, stat } from 'node:fs/promises'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { createRequire } from 'node:module'
import { networkInterfaces } from 'node:os'
import { join, resolve } from 'node:path'
import type { Socket } from 'node:net'
import { AccessGuard, parseHtpasswd } from '@simplehttp/handler'
import type { BaseHTTPRequestHandler, ClientAddress, Credential, ServerInfo } from '@simplehttp/handler'
import { isSimpleHTTPError } from '@simplehttp/server'
import { formatHelp, formatUsage, parseArgs } from './args.js'
import { routed } from './options.js'
import type { HandlerSettings, OptionsFor, ParsedArgs } from './options.js'
import { formatBanner, formatBannerDetails } from './banner.js'
import { openBrowser } from './internal/open-browser.js'
import { ServeError, UsageError } from './errors.js'
import { describeOSError } from './internal/os-error.js'
import { pyRepr } from '@simplehttp/handler'
import { escapeControls } from './internal/escape-controls.js'

/** A `BaseHTTPRequestHandler` subclass, as `@simplehttp/server` instantiates it per connection. */
export type HandlerClass = new (
  socket: Socket,
  clientAddress: ClientAddress,
  server: ServerInfo,
) => BaseHTTPRequestHandler

/** The TLS part of {@link ServerStartOptions}: certificate files, or one made at start-up. */
export type ServerTLSOptions =
  | {
      /** `--tls-cert`. */
      readonly certFile: string
      /** `--tls-key`; without it the key is read from the certificate file. */
      readonly keyFile?: string
      /** The stripped content of `--tls-password-file`. */
      readonly password?: string
    }
  | {
      /** `--tls-self-signed`. */
      readonly selfSigned: true
    }

/** Answers one HTTP/2 request (`--http2`), as a `node:http2` compatibility-API listener. */
export type HTTP2RequestListener = (request: Http2ServerRequest, response: Http2ServerResponse) => void

/**
 * The options `run()` passes as the third argument of `new deps.Server(...)`: `tls` with
 * `--tls-cert`, then every row of the option table routed to `server` that was given
 * (`workers` with `--workers`).
 */
export type ServerStartOptions = {
  readonly tls?: ServerTLSOptions
  readonly http2?: { readonly onRequest: HTTP2RequestListener }
} & OptionsFor<'server'>

/** The part of `@simplehttp/server`'s `HTTPServer` that `run()` uses. */
export interface ServerLike {
  /** `[host, port]` as bound. */
  readonly serverAddress: readonly [host: string, port: number]
  /** `http://…/` or `https://…/`. */
  readonly url: string
  /** Bind; rejects with a `SH_ERR_SERVER_*` coded error. */
  listen(): Promise<void>
  /** Resolves once the server has stopped. */
  serveForever(): Promise<void>
  /** Stop gracefully. */
  shutdown(): Promise<void>
  /** Stop now. */
  serverClose(): Promise<void>
  /** With `--tls-self-signed`: the certificate made at start-up, whose fingerprint the banner shows. */
  readonly selfSignedCertificate?: { readonly fingerprint256: string } | undefined
}

/** A class like `@simplehttp/server`'s `HTTPServer`. */
export type ServerClass = new (
  address: { readonly host?: string | undefined; readonly port: number },
  HandlerClass: HandlerClass,
  options: ServerStartOptions,
) => ServerLike

/** Where output goes: `process.stdout`, `process.stderr`, or a test buffer. */
export interface TextSink {
  write(text: string): unknown
}

/** The signals `run()` listens for; `process` by default, any `EventEmitter` in tests. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
  removeListener(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
}

/** Everything `run()` needs from the outside world. */
export interface CliDeps {
  /** The server class: `HTTPServer` from `@simplehttp/server`. */
  readonly Server: ServerClass
  /** Returns the handler class for these options (a `SimpleHTTPRequestHandler` or `CGIHTTPRequestHandler` subclass). */
  readonly handlerFor: (settings: HandlerSettings) => HandlerClass | Promise<HandlerClass>
  /** The banner, `--help`, `--version` and the keyboard-interrupt line go here. */
  readonly stdout: TextSink
  /** Usage errors, start-up errors and internal errors go here (the access log is the handler's). */
  readonly stderr: TextSink
  /** Resolves a relative `-d` and is the default directory. Default `process.cwd()`. */
  readonly cwd?: string | undefined
  /** Where SIGINT and SIGTERM come from. Default `process`. */
  readonly signals?: SignalSource | undefined
  /** The program name in messages. Default `'simplehttp'`. */
  readonly prog?: string | undefined
  /** Returns the listener that answers HTTP/2 requests (`--http2`); without it `--http2` is an error. */
  readonly http2For?: ((settings: HandlerSettings, accessGuard?: AccessGuard) => HTTP2RequestListener) | undefined
  /** Opens a URL in the default browser (`--open`); resolves with a reason when it cannot. Default: the platform's opener. */
  readonly openBrowser?: ((url: string) => Promise<string | undefined>) | undefined
  /** What `--version` prints after the program name. Default: this package's version. */
  readonly version?: string | undefined
  /** Called once the server listens and its banner is out (in the primary only, with `--workers`). */
  readonly onServing?: (() => void) | undefined
}

/**
 * Run the command line `argv` (`process.argv.slice(2)`) to the end and return the exit code,
 * as `python -m http.server` would exit:
 *
 * - `0` after `--help`, `--version`, Ctrl+C (SIGINT: `Keyboard interrupt received, exiting.`)
 *   or SIGTERM (a graceful stop);
 * - `2` for a usage error: argparse's usage line and `simplehttp: error: <message>` on stderr;
 * - `1` when the server cannot start (port in use, no permission, bad address, unusable
 *   certificate): one line `simplehttp: error: <message>`; also for an internal error, the
 *   only case that prints a stack trace.
 *
 * Never calls `process.exit` and never rejects.
 *
 * @example
 * import { HTTPServer } from '@simplehttp/server'
 * import { run } from '@simplehttp/cli'
 * process.exitCode = await run(process.argv.slice(2), {
 *   Server: HTTPServer,
 *   handlerFor: () => MyHandler,
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * })
 */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const prog = deps.prog ?? 'simplehttp'
  try {
    const parsed = parseArgs(argv)
    switch (parsed.kind) {
      case 'help':
        deps.stdout.write(formatHelp({ prog }))
        return 0
      case 'version':
        deps.stdout.write(`${prog} ${deps.version ?? ownVersion()}\n`)
        return 0
      case 'error':
        throw parsed.error
      case 'serve':
        return await serve(parsed.args, deps, prog)
    }
  } catch (error) {
    return report(error, deps, prog)
  }
}

function report(error: unknown, deps: CliDeps, prog: string): number {
  if (error instanceof UsageError) {
    deps.stderr.write(formatUsage({ prog }))
    deps.stderr.write(`${prog}: error: ${error.message}\n`)
    return error.exitCode
  }
  if (error instanceof ServeError || isSimpleHTTPError(error)) {
    deps.stderr.write(`${prog}: error: ${oneLine(error.message)}\n`)
    return 1
  }
  // A bug of ours or of the handler: the one case that deserves a stack trace.
  const detail = error instanceof Error ? (error.stack ?? String(error)) : String(error)
  deps.stderr.write(`${detail}\n`)
  return 1
}

async function serve(args: ParsedArgs, deps: CliDeps, prog: string): Promise<number> {
  const directory = await checkDirectory(args.directory, deps.cwd)
  const password = args.tlsPasswordFile === undefined ? undefined : await readPassword(args.tlsPasswordFile, deps.cwd)

  if (args.tlsSelfSigned && args.tlsCert !== undefined) {
    throw new UsageError('argument --tls-self-signed: not allowed with argument --tls-cert')
  }
  if (args.http2 && args.tlsCert === undefined && !args.tlsSelfSigned) {
    throw new UsageError('argument --http2: needs --tls-cert or --tls-self-signed (browsers speak HTTP/2 only over TLS)')
  }
  if (args.single !== undefined) await checkSingle(args.single, directory)
  const writes = args.upload || args.delete
  if (args.cgi && (writes || args.webdav)) {
    // CGI and WebDAV handlers are siblings over static (single inheritance): no clean mix.
    throw new UsageError('argument --cgi: not allowed with --upload, --delete or --webdav')
  }
  const guard = await accessGuardFor(args, deps.cwd)
  if (args.http2 && (writes || args.webdav || guard.authenticates)) {
    // The HTTP/2 listener serves files only and does not pass through the access guard.
    throw new UsageError('argument --http2: not allowed with --upload, --delete, --webdav or --auth')
  }
  if (writes && !guard.authenticates && !args.allowAnonymousWrites && !isLoopback(args.bind)) {
    // One line, as the issue asks: anyone on the network could write otherwise.
    deps.stderr.write(
      `${prog}: error: --upload/--delete without --auth on ${args.bind ?? 'all interfaces'}: anyone who can reach it could write; add -a USER:PASS, bind to 127.0.0.1, or pass --allow-anonymous-writes\n`,
    )
    return 2
  }

  const settings = handlerSettings(args, directory)
  const Handler = guarded(configureHandler(await deps.handlerFor(settings), settings), args, guard)
  const options: Record<string, unknown> = {}
  if (args.tlsCert !== undefined) {
    const tls: { certFile: string; keyFile?: string; password?: string } = { certFile: inDir(args.tlsCert, deps.cwd) }
    if (args.tlsKey !== undefined) tls.keyFile = inDir(args.tlsKey, deps.cwd)
    if (password !== undefined) tls.password = password
    options.tls = tls
  }
  if (args.tlsSelfSigned) options.tls = { selfSigned: true }
  if (args.http2) {
    if (deps.http2For === undefined) throw new ServeError('--http2 is not available in this program: it gave run() no HTTP/2 handler')
    // The Host check (--watch, --allowed-hosts) holds on HTTP/2 too, with :authority as the Host.
    options.http2 = { onRequest: deps.http2For(settings, guardActive(args, guard) ? guard : undefined) }
  }
  for (const [option, value] of Object.entries(routed(args, ['server']))) {
    if (value !== undefined) options[option] = value
  }

  const { server, movedFrom } = await listenWithFallback(deps, args, Handler, options, prog)

  // With --workers, every worker re-runs this script: only the primary speaks.
  const isWorker = args.workers !== undefined && cluster().isWorker
  const signals = deps.signals ?? process
  let stopping: 'SIGINT' | 'SIGTERM' | undefined
  const stop = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stopping !== undefined) {
      // A second signal while a graceful stop is under way: stop now.
      void server.serverClose()
      return
    }
    stopping = signal
    if (signal === 'SIGINT' && !isWorker) {
      deps.stdout.write('\nKeyboard interrupt received, exiting.\n')
    }
    // Ctrl+C means now, as in CPython (its threads are daemons); SIGTERM lets requests finish.
    void (signal === 'SIGINT' && !isWorker ? server.serverClose() : server.shutdown())
  }
  const onSIGINT = (): void => {
    stop('SIGINT')
  }
  const onSIGTERM = (): void => {
    stop('SIGTERM')
  }
  signals.on('SIGINT', onSIGINT)
  signals.on('SIGTERM', onSIGTERM)
  try {
    // After the handlers are in place: whoever reads the banner may signal at once.
    if (!isWorker) {
      // The QR code renderer only for --qr: start-up time goes to what serving needs.
      const renderQR = args.qr ? (await import('uqr')).renderUnicodeCompact : undefined
      const details = formatBannerDetails(
        server,
        {
          movedFrom,
          fingerprint: server.selfSignedCertificate?.fingerprint256,
          interfaces: networkInterfaces(),
          qr: args.qr,
        },
        renderQR && ((text) => renderQR(text, { border: 1 })),
      )
      deps.stdout.write([formatBanner(server), ...details].join('\n') + '\n')
      if (guard.authenticates && !server.url.startsWith('https:') && !isLoopback(args.bind)) {
        deps.stdout.write('WARNING: passwords travel in clear text without TLS; use --tls-cert or --tls-self-signed on a network.\n')
      }
      if (args.open !== undefined) await openAt(server, args.open, deps, prog)
      deps.onServing?.()
    }
    await server.serveForever()
    await server.serverClose()
  } finally {
    signals.removeListener('SIGINT', onSIGINT)
    signals.removeListener('SIGTERM', onSIGTERM)
  }
  // A worker's IPC channel to the primary keeps its event loop alive: let go of it, so the
  // process ends now instead of being killed when the primary's grace period runs out.
  if (isWorker && process.connected) cluster().worker?.disconnect()
  if (stopping === undefined && args.workers !== undefined && !isWorker) {
    // Nobody asked it to stop: the workers died (the server does not restart them).
    throw new ServeError('the server stopped: every worker process exited')
  }
  return 0
}

/**
 * Bind; when no port was given and the default one is taken, try the next ones (as `serve` and
 * `vite` do) and report where it went. A port given explicitly that is taken stays an error.
 */
async function listenWithFallback(
  deps: CliDeps,
  args: ParsedArgs,
  Handler: HandlerClass,
  options: Record<string, unknown>,
  prog: string,
): Promise<{ server: ServerLike; movedFrom: number | undefined }> {
  const attempts = args.portGiven || args.workers !== undefined ? 1 : 20
  for (let attempt = 0; ; attempt++) {
    const port = args.port + attempt
    const server = new deps.Server({ host: args.bind, port }, Handler, options)
    try {
      await server.listen()
      return { server, movedFrom: attempt === 0 ? undefined : args.port }
    } catch (error) {
      const taken = isSimpleHTTPError(error) && error.code === 'SH_ERR_SERVER_ADDRESS_IN_USE'
      if (!taken || attempt + 1 >= attempts || port >= 65535) throw startupError(error, { ...args, port }, prog)
    }
  }
}

/** `--open [PATH]`: the browser at the served URL (localhost for a wildcard bind); a warning if it cannot. */
async function openAt(server: ServerLike, path: string, deps: CliDeps, prog: string): Promise<void> {
  const [host, port] = server.serverAddress
  const scheme = server.url.startsWith('https:') ? 'https' : 'http'
  const wildcard = host === '' || host === '::' || host === '0.0.0.0'
  const authority = wildcard ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const suffix = path === '' ? '' : path.startsWith('/') ? path.slice(1) : path
  const url = `${scheme}://${authority}:${port}/${suffix}`
  const problem = await (deps.openBrowser ?? openBrowser)(url)
  if (problem !== undefined) deps.stderr.write(`${prog}: warning: cannot open a browser (${problem}); open ${url} yourself\n`)
}

/** `-s FILE`: the page must exist in the directory, or every deep link would be a 404 anyway. */
async function checkSingle(single: string | true, directory: string): Promise<void> {
  const name = single === true ? 'index.html' : single
  const shown = pyRepr(name)
  if (name.split(/[\\/]/).includes('..') || resolve(directory, name) !== join(directory, name)) {
    throw new UsageError(`argument -s/--single: the page must be inside the directory, got ${shown}`)
  }
  try {
    if ((await stat(join(directory, name))).isFile()) return
  } catch {
    // reported below
  }
  throw new UsageError(`argument -s/--single: no such file in the directory: ${shown}`)
}

/** The table's rows routed to the handler classes, with the directory resolved and `--cors` applied. */
function handlerSettings(args: ParsedArgs, directory: string): HandlerSettings {
  const settings = { ...routed(args, ['class', 'handler', 'cgi', 'dav']), directory } as HandlerSettings
  // --cors, unless -H already set the header (the explicit value wins).
  if (args.cors && !args.headers.some(([name]) => name.toLowerCase() === 'access-control-allow-origin')) {
    return { ...settings, extraHeaders: [...settings.extraHeaders, ['Access-Control-Allow-Origin', '*']] }
  }
  return settings
}

/**
 * Apply `--protocol` and `--quiet` by subclassing, so they work with any handler class
 * `handlerFor` returns (CPython sets `HandlerClass.protocol_version` the same way).
 */
function configureHandler(Base: HandlerClass, settings: HandlerSettings): HandlerClass {
  const { protocolVersion } = settings
  if (!settings.quiet) {
    return class SimpleHTTPCLIHandler extends Base {
      override protocolVersion = protocolVersion
    }
  }
  return class QuietSimpleHTTPCLIHandler extends Base {
    override protocolVersion = protocolVersion
    override logMessage(): void {
      // --quiet: no access log. Handler crashes still reach logStream through handleError.
    }
  }
}

/** Whether the bind address only takes connections from this machine. */
function isLoopback(bind: string | undefined): boolean {
  if (bind === undefined) return false
  const host = bind.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::ffff:127.0.0.1'
}

/** The access rules the flags ask for: `-a`, `--auth-file`, `--auth-writes-only`, `--allowed-hosts`. */
async function accessGuardFor(args: ParsedArgs, cwd: string | undefined): Promise<AccessGuard> {
  const credentials: Credential[] = [...args.auth]
  if (args.authFile !== undefined) {
    let text: string
    try {
      text = await readFile(inDir(args.authFile, cwd), 'utf8')
    } catch (error) {
      throw new UsageError(`argument --auth-file: ${describeOSError(error, args.authFile)}`, { cause: error })
    }
    try {
      credentials.push(...parseHtpasswd(text))
    } catch (error) {
      throw new UsageError(`argument --auth-file: ${oneLine((error as Error).message)}`, { cause: error })
    }
  }
  if (args.authWritesOnly && credentials.length === 0) throw new UsageError('argument --auth-writes-only: needs -a/--auth or --auth-file')
  const hosts = args.allowedHosts.flat()
  // The Host check (DNS rebinding) is on whenever writes, auth or live reload are.
  const needsHostCheck = args.upload || args.delete || args.webdav || args.watch || credentials.length > 0
  const options = { credentials, authWritesOnly: args.authWritesOnly }
  if (hosts.includes('any')) return new AccessGuard({ ...options, allowedHosts: 'any' })
  return new AccessGuard(needsHostCheck ? { ...options, allowedHosts: hosts } : options)
}

/** Whether any access rule is on (else nothing is checked, as CPython). */
function guardActive(args: ParsedArgs, guard: AccessGuard): boolean {
  return guard.authenticates || args.upload || args.delete || args.webdav || args.watch || args.allowedHosts.length > 0
}

/** Put the guard on the handler class when any rule is on; plain serving stays as CPython's. */
function guarded(Base: HandlerClass, args: ParsedArgs, guard: AccessGuard): HandlerClass {
  if (!guardActive(args, guard)) return Base
  return class GuardedHandler extends Base {
    override accessGuard = guard
  }
}

/** `node:cluster` (its module object is the `cluster` default export), only fetched with --workers. */
function cluster(): Cluster {
  return process.getBuiltinModule('node:cluster') as unknown as Cluster
}

function inDir(path: string, cwd: string | undefined): string {
  return cwd === undefined ? resolve(path) : resolve(cwd, path)
}

/**
 * Ours: CPython serves a missing directory anyway and answers 404 to everything. We say so
 * before binding.
 */
async function checkDirectory(given: string | undefined, cwd: string | undefined): Promise<string> {
  let directory: string
  try {
    directory = inDir(given ?? '.', cwd)
  } catch (error) {
    // process.cwd() fails when the working directory has been deleted.
    throw new ServeError(`cannot find the current directory (${describeOSError(error)}); pass -d DIRECTORY`, {
      cause: error,
    })
  }
  const shown = pyRepr(given ?? directory)
  let isDirectory: boolean
  try {
    isDirectory = (await stat(directory)).isDirectory()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UsageError(`argument -d/--directory: no such directory: ${shown}`, { cause: error })
    }
    throw new UsageError(`argument -d/--directory: cannot use directory ${shown}: ${describeOSError(error)}`, {
      cause: error,
    })
  }
  if (!isDirectory) throw new UsageError(`argument -d/--directory: not a directory: ${shown}`)
  return directory
}

/** CPython: the file is read as UTF-8 and `.strip()`ped; an error is a usage error. */
async function readPassword(path: string, cwd: string | undefined): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(inDir(path, cwd))
  } catch (error) {
    throw new UsageError(`Failed to read TLS password file: ${describeOSError(error, path)}`, { cause: error })
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim()
  } catch (error) {
    throw new UsageError(`Failed to read TLS password file: ${pyRepr(path)} is not valid UTF-8`, { cause: error })
  }
}

/** Turn a failed `listen()` into the one line a user can act on. */
function startupError(error: unknown, args: ParsedArgs, prog: string): unknown {
  const where = args.bind === undefined || args.bind === '' ? 'all interfaces' : escapeControls(args.bind)
  const port = args.port
  const code = isSimpleHTTPError(error) ? error.code : undefined
  switch (code) {
    case 'SH_ERR_SERVER_ADDRESS_IN_USE':
      return new ServeError(
        `port ${port} is already in use on ${where}; try a different port, e.g. ${prog} ${port < 65535 ? port + 1 : port - 1}`,
        { cause: error },
      )
    case 'SH_ERR_SERVER_PERMISSION_DENIED':
      return new ServeError(
        port > 0 && port < 1024
          ? `permission denied binding port ${port}; ports below 1024 need privileges, try 8000`
          : `permission denied binding port ${port} on ${where}`,
        { cause: error },
      )
    case 'SH_ERR_SERVER_ADDRESS_NOT_AVAILABLE':
      return new ServeError(`cannot bind to ${pyRepr(args.bind ?? '::')}: no network interface of this machine has that address`, {
        cause: error,
      })
    case 'SH_ERR_SERVER_HOST_NOT_FOUND':
      return new ServeError(`cannot bind to ${pyRepr(args.bind ?? '::')}: the name does not resolve to an address`, {
        cause: error,
      })
    case undefined: {
      // A system error the server had no words for (EINVAL for an odd address, say).
      const system = (error as { code?: unknown; syscall?: unknown } | null) ?? {}
      if (typeof system.code === 'string' && typeof system.syscall === 'string') {
        return new ServeError(`cannot listen on ${where} port ${port}: ${describeOSError(error)}`, { cause: error })
      }
      return error
    }
    default:
      // SH_ERR_SERVER_TLS and the rest: the server's message already says what and why.
      return error
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ')
}

let cachedVersion: string | undefined

/** This package's own version, for `--version` when the app does not pass one. */
function ownVersion(): string {
  if (cachedVersion === undefined) {
    const pkg: unknown = createRequire(import.meta.url)('../package.json')
    const version = (pkg as { version?: unknown } | null)?.version
    cachedVersion = typeof version === 'string' ? version : 'unknown'
  }
  return cachedVersion
}
