/**
 * The option table: the one place a command-line flag is declared. Its name and aliases, its
 * value type, default, help line, validation, and where its value goes (an option of the
 * handler class, of the CGI handler, of the server…). The parsed type ({@link ParsedArgs}),
 * `--help`, the usage line and the options the app hands to its classes ({@link HandlerSettings},
 * {@link optionsFor}) are all derived from it. To add a flag, add a row (see CONTRIBUTING.md).
 * @module
 */
import { pyRepr } from '@simplehttp/handler'
import { escapeControls } from './internal/escape-controls.js'

/** The HTTP versions `--protocol` accepts. */
export const PROTOCOLS = ['HTTP/1.0', 'HTTP/1.1'] as const

/** An HTTP version `--protocol` accepts. */
export type Protocol = (typeof PROTOCOLS)[number]

/** The port used when none is given, as `python -m http.server`. */
export const DEFAULT_PORT = 8000

/**
 * Our default `--protocol`. A deliberate difference from CPython, whose default is `HTTP/1.0`
 * (one request per connection): keep-alive makes pages with many files load much faster.
 */
export const DEFAULT_PROTOCOL: Protocol = 'HTTP/1.1'

/**
 * Where a flag's value goes once parsed:
 * - `class`: a setting of the handler class as a whole, read by `run()` or the app (which class,
 *   `protocolVersion`, the access log);
 * - `handler`: an option of every handler class's `withOptions()` (static's options; cgi and
 *   dav inherit them);
 * - `cgi`: an option of `CGIHTTPRequestHandler.withCGIOptions()`, used only with `--cgi`;
 * - `dav`: an option of the dav handler class, used only when the app picks it;
 * - `server`: an option of the server (`new Server(address, Handler, options)`).
 */
export type Target = 'class' | 'handler' | 'cgi' | 'dav' | 'server'

/** A value a row's `parse` refuses; the parser reports it as `argument -x/--xx: <message>`. */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue'
}

interface RowBase {
  /** The property of {@link ParsedArgs} that holds the value. */
  readonly key: string
  /** Option strings, short first (`['-b', '--bind']`); argparse's unique prefixes of the long ones also work. */
  readonly flags: readonly [string, ...string[]]
  /** The `--help` line. */
  readonly help: string
  /** Where the value goes; without it only `run()` reads the value (the port, the address, TLS files). */
  readonly to?: { readonly target: Target; readonly option: string }
  /** Another row's key that must be given too; `--tls-key requires --tls-cert to be set`. */
  readonly requires?: string
  /** Another row's key that must not be given with this one; `argument --archive: not allowed with argument --cgi`. */
  readonly conflicts?: string
}

/** A boolean switch: `false` unless given. Short ones bundle (`-qh`). */
export interface FlagRow extends RowBase {
  readonly kind: 'flag'
}

/** A flag that takes one value (`-b ADDRESS`, `--bind=ADDRESS`, `-bADDRESS`); the last one given wins. */
export interface ValueRow extends RowBase {
  readonly kind: 'value'
  /** The value's name in `--help` and the usage line. */
  readonly metavar: string
  /** The value when the flag is not given. */
  readonly default: unknown
  /** Check and convert the text; throw {@link InvalidValue} to refuse it. Runs as the flag is read. */
  readonly parse: (text: string) => unknown
  /**
   * The value when the flag is given without one (argparse's `nargs='?'` with `const`): the
   * value is optional, `-s` alone means this, `-s FILE` means FILE. Shown as `[METAVAR]`.
   */
  readonly const?: unknown
}

/**
 * A repeatable flag that collects its values in order (`-H`). Its `parse` runs after the whole
 * command line is read (as CPython checks `-H`), and the message of the {@link InvalidValue} it
 * throws is the whole error line.
 */
export interface ListRow extends RowBase {
  readonly kind: 'list'
  readonly metavar: string
  readonly parse: (text: string) => unknown
}

/** `-h` and `--version`: they stop parsing, as in argparse. */
export interface ExitRow {
  readonly kind: 'help' | 'version'
  readonly flags: readonly [string, ...string[]]
  readonly help: string
}

/** One row of the option table. */
export type OptionRow = FlagRow | ValueRow | ListRow | ExitRow

// Python's int() accepts surrounding whitespace, a sign and underscores between digits.
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/
// RFC 9110 §5.6.2 token: what a header name may be.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// What the handler refuses to send (response splitting): CR, LF, NUL, anything above Latin-1.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSENDABLE_VALUE = /[\r\n\0]|[^\x00-\xff]/

/** Python's `int()` (maybe beyond the safe integers), or `undefined` when it would raise. */
export function pyInt(text: string): number | undefined {
  return PY_INT.test(text) ? Number(text.replaceAll('_', '')) : undefined
}

const asText = (text: string): string => text

function protocol(text: string): Protocol {
  if (!(PROTOCOLS as readonly string[]).includes(text)) {
    // Ours: `-p 8000` is a common slip (other servers' -p is the port); CPython takes it silently.
    const hint = /^\d+$/.test(text) ? '; to set the port, give it without -p' : ''
    throw new InvalidValue(`invalid choice: ${pyRepr(text)} (choose from ${PROTOCOLS.join(', ')})${hint}`)
  }
  return text as Protocol
}

/** The `--listing` modes (static's `listing` option). */
export const LISTING_MODES = ['python', 'rich', 'off'] as const

function listingMode(text: string): (typeof LISTING_MODES)[number] {
  if (!(LISTING_MODES as readonly string[]).includes(text)) {
    throw new InvalidValue(`invalid choice: ${pyRepr(text)} (choose from ${LISTING_MODES.join(', ')})`)
  }
  return text as (typeof LISTING_MODES)[number]
}

/** A whole number of seconds >= 0 (`-c 0` means something: revalidate every time). */
function wholeSeconds(text: string): number {
  const n = pyInt(text)
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw new InvalidValue(`invalid non-negative int value: ${pyRepr(text)}`)
  return n
}

function positiveInt(text: string): number {
  const n = pyInt(text)
  if (n === undefined || !Number.isSafeInteger(n) || n < 1) throw new InvalidValue(`invalid positive int value: ${pyRepr(text)}`)
  return n
}

/** A positive number of seconds (`5`, `0.5`), as milliseconds. */
function seconds(text: string): number {
  const trimmed = text.trim()
  const n = /^\d+(?:\.\d*)?$|^\.\d+$/.test(trimmed) ? Number(trimmed) : NaN
  if (!(n > 0) || n * 1000 > 2 ** 31 - 1) throw new InvalidValue(`invalid positive number of seconds: ${pyRepr(text)}`)
  return Math.round(n * 1000)
}

/** CPython 3.15's `-H` rule (split at the first colon, strip both sides), plus what the handler can send. */
function header(arg: string): readonly [name: string, value: string] {
  const shown = escapeControls(arg)
  const colon = arg.indexOf(':')
  if (colon < 0) throw new InvalidValue(`Header ${shown} must be of the form Header: value`)
  const name = arg.slice(0, colon).trim()
  const value = arg.slice(colon + 1).trim()
  if (name === '') throw new InvalidValue(`Header ${shown} must have a non-empty name`)
  // Ours: CPython would accept these, then fail (or split the response) on every request.
  if (!TOKEN.test(name)) {
    throw new InvalidValue(`Header ${shown} must have a name made of letters, digits and !#$%&'*+-.^_\`|~`)
  }
  if (UNSENDABLE_VALUE.test(value)) {
    throw new InvalidValue(`Header ${shown} must not contain CR, LF, NUL or characters above U+00FF in its value`)
  }
  return [name, value]
}

/**
 * Every flag, in `--help` order: CPython's, then ours. The positional `[port]` is not a row: it
 * is parsed by `parseArgs` itself.
 */
const SIZE = /^(\d+)([KMG]?)$/i
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

/** `--max-upload`: bytes, or a whole number with K, M or G (binary units). */
function size(text: string): number {
  const match = SIZE.exec(text.trim())
  const value = match == null ? NaN : Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toUpperCase()] ?? NaN)
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidValue(`invalid size: ${pyRepr(text)} (a number of bytes, or with K, M or G: 500K, 100M, 2G)`)
  return value
}

const ON_DUPLICATE = ['error', 'overwrite', 'rename'] as const

function onDuplicate(text: string): (typeof ON_DUPLICATE)[number] {
  if (!(ON_DUPLICATE as readonly string[]).includes(text)) {
    throw new InvalidValue(`invalid choice: ${pyRepr(text)} (choose from ${ON_DUPLICATE.join(', ')})`)
  }
  return text as (typeof ON_DUPLICATE)[number]
}

/** `-a USER:PASS`: the user name may not hold a colon; the password may. */
function userPass(text: string): { readonly user: string; readonly password: string } {
  const colon = text.indexOf(':')
  if (colon < 1) throw new InvalidValue('expected USER:PASS with a non-empty user name')
  return { user: text.slice(0, colon), password: text.slice(colon + 1) }
}

/** `--allowed-hosts a,b` (repeatable): names, or `any` to turn the Host check off. */
function hostList(text: string): readonly string[] {
  const names = text.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '')
  if (names.length === 0 || names.some((n) => !/^\.?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/.test(n))) {
    throw new InvalidValue(`invalid host names: ${pyRepr(text)} (comma-separated names, or any)`)
  }
  return names
}

export const OPTIONS = [
  { kind: 'help', flags: ['-h', '--help'], help: 'show this help message and exit' },
  { kind: 'flag', key: 'cgi', flags: ['--cgi'], help: 'run as CGI server', to: { target: 'class', option: 'cgi' } },
  {
    kind: 'value',
    key: 'bind',
    flags: ['-b', '--bind'],
    metavar: 'ADDRESS',
    help: 'bind to this address (default: all interfaces)',
    default: undefined,
    parse: asText,
  },
  {
    kind: 'value',
    key: 'directory',
    flags: ['-d', '--directory'],
    metavar: 'DIRECTORY',
    help: 'serve this directory (default: current directory)',
    default: undefined,
    parse: asText,
  },
  {
    kind: 'value',
    key: 'protocol',
    flags: ['-p', '--protocol'],
    metavar: 'VERSION',
    help: `conform to this HTTP version, ${PROTOCOLS.join(' or ')} (default: ${DEFAULT_PROTOCOL})`,
    default: DEFAULT_PROTOCOL,
    parse: protocol,
    to: { target: 'class', option: 'protocolVersion' },
  },
  {
    kind: 'value',
    key: 'tlsCert',
    flags: ['--tls-cert'],
    metavar: 'PATH',
    help: 'path to the TLS certificate chain file',
    default: undefined,
    parse: asText,
  },
  {
    kind: 'value',
    key: 'tlsKey',
    flags: ['--tls-key'],
    metavar: 'PATH',
    help: 'path to the TLS key file',
    default: undefined,
    parse: asText,
    requires: 'tlsCert',
  },
  {
    kind: 'value',
    key: 'tlsPasswordFile',
    flags: ['--tls-password-file'],
    metavar: 'PATH',
    help: 'path to the password file for the TLS key',
    default: undefined,
    parse: asText,
    requires: 'tlsCert',
  },
  {
    kind: 'list',
    key: 'headers',
    flags: ['-H', '--header'],
    metavar: 'HEADER',
    help: 'add a header to every response, as "Name: value" (repeatable)',
    parse: header,
    to: { target: 'handler', option: 'extraHeaders' },
  },
  {
    kind: 'value',
    key: 'workers',
    flags: ['--workers'],
    metavar: 'N',
    help: 'serve from N worker processes sharing the port (default: this process only)',
    default: undefined,
    parse: positiveInt,
    to: { target: 'server', option: 'workers' },
  },
  {
    kind: 'value',
    key: 'maxConnections',
    flags: ['--max-connections'],
    metavar: 'N',
    help: 'connections served at once; when full, the least busy one makes room (default: 1024)',
    default: undefined,
    parse: positiveInt,
    to: { target: 'server', option: 'maxConnections' },
  },
  {
    kind: 'value',
    key: 'maxConnectionsPerAddress',
    flags: ['--max-connections-per-address'],
    metavar: 'N',
    help: 'connections one client address may hold (default: 256)',
    default: undefined,
    parse: positiveInt,
    to: { target: 'server', option: 'maxConnectionsPerAddress' },
  },
  {
    kind: 'value',
    key: 'firstByteTimeout',
    flags: ['--first-byte-timeout'],
    metavar: 'SECONDS',
    help: 'close a connection that sends nothing, or does not finish its TLS handshake, after this long (default: 5)',
    default: undefined,
    parse: seconds,
    to: { target: 'server', option: 'firstByteTimeout' },
  },
  {
    kind: 'flag',
    key: 'followSymlinks',
    flags: ['--follow-symlinks'],
    help: 'serve symlinks that lead outside the directory (default: refused)',
    to: { target: 'handler', option: 'followSymlinks' },
  },
  {
    kind: 'flag',
    key: 'dotfiles',
    flags: ['--dotfiles'],
    help: 'serve and list names that start with a dot (default: hidden)',
    to: { target: 'handler', option: 'dotfiles' },
  },
  {
    kind: 'flag',
    key: 'precompressed',
    flags: ['--precompressed'],
    help: 'serve file.br or file.gz in place of file when the client accepts it',
    to: { target: 'handler', option: 'precompressed' },
  },
  {
    kind: 'flag',
    key: 'compress',
    flags: ['--compress'],
    help: 'compress text, JSON, JavaScript, SVG and the like with brotli or gzip when the client accepts it',
    to: { target: 'handler', option: 'compress' },
  },
  {
    kind: 'flag',
    key: 'watch',
    flags: ['--watch'],
    help: 'reload open pages when a served file changes (stylesheets are swapped in place)',
    to: { target: 'class', option: 'watch' },
  },
  {
    kind: 'value',
    key: 'single',
    flags: ['-s', '--single'],
    metavar: 'FILE',
    help: 'single-page app: browsers asking for a missing path get FILE (default: index.html) instead of a 404',
    default: undefined,
    const: true,
    parse: asText,
    to: { target: 'handler', option: 'single' },
  },
  {
    kind: 'value',
    key: 'open',
    flags: ['-o', '--open'],
    metavar: 'PATH',
    help: 'open the default browser at the served URL (plus PATH) once listening',
    default: undefined,
    const: '',
    parse: asText,
  },
  {
    kind: 'value',
    key: 'cache',
    flags: ['-c', '--cache'],
    metavar: 'SECONDS',
    help: 'let browsers cache files for SECONDS (Cache-Control: max-age; 0: revalidate every time); listings and errors are never cached',
    default: undefined,
    parse: wholeSeconds,
    to: { target: 'handler', option: 'cacheSeconds' },
  },
  { kind: 'flag', key: 'qr', flags: ['--qr'], help: 'print a QR code of the first network URL, for a phone on the same network' },
  {
    kind: 'flag',
    key: 'tlsSelfSigned',
    flags: ['--tls-self-signed'],
    help: 'serve HTTPS with a certificate made in memory at start-up (its fingerprint is printed)',
  },
  {
    kind: 'flag',
    key: 'http2',
    flags: ['--http2'],
    help: 'also speak HTTP/2 to clients that ask for it (needs --tls-cert or --tls-self-signed)',
  },
  {
    kind: 'value',
    key: 'listing',
    flags: ['--listing'],
    metavar: 'MODE',
    help: "directory listings: python (CPython's), rich (sortable, filterable) or off (default: python)",
    default: 'python',
    parse: listingMode,
    to: { target: 'handler', option: 'listing' },
  },
  {
    kind: 'flag',
    key: 'archive',
    flags: ['--archive'],
    help: 'let folders be downloaded as ?download=zip or ?download=tar.gz',
    to: { target: 'handler', option: 'archive' },
    // An archive reads files directly: with --cgi it would hand out the scripts' source.
    conflicts: 'cgi',
  },
  {
    kind: 'flag',
    key: 'upload',
    flags: ['--upload'],
    help: 'accept uploads: PUT, multipart POST to a directory, MKCOL (writes are atomic)',
    to: { target: 'dav', option: 'upload' },
  },
  { kind: 'flag', key: 'delete', flags: ['--delete'], help: 'accept DELETE of files and empty directories', to: { target: 'dav', option: 'delete' } },
  {
    kind: 'flag',
    key: 'webdav',
    flags: ['--webdav'],
    help: 'answer WebDAV class 1 (PROPFIND, PROPPATCH; COPY/MOVE with --upload/--delete)',
    to: { target: 'dav', option: 'webdav' },
  },
  {
    kind: 'value',
    key: 'maxUpload',
    flags: ['--max-upload'],
    metavar: 'SIZE',
    help: 'largest upload accepted, with K, M or G (default: 1G)',
    default: undefined,
    parse: size,
    to: { target: 'dav', option: 'maxUpload' },
  },
  {
    kind: 'value',
    key: 'onDuplicate',
    flags: ['--on-duplicate'],
    metavar: 'ACTION',
    help: `a form upload over an existing file: ${ON_DUPLICATE.join(', ')} (default: error, answered 409)`,
    default: undefined,
    parse: onDuplicate,
    to: { target: 'dav', option: 'onDuplicate' },
  },
  { kind: 'list', key: 'auth', flags: ['-a', '--auth'], metavar: 'USER:PASS', help: 'require HTTP Basic auth with this user (repeatable)', parse: userPass },
  {
    kind: 'value',
    key: 'authFile',
    flags: ['--auth-file'],
    metavar: 'FILE',
    help: 'require HTTP Basic auth with the users of this htpasswd file (bcrypt or {SHA})',
    default: undefined,
    parse: asText,
  },
  { kind: 'flag', key: 'authWritesOnly', flags: ['--auth-writes-only'], help: 'ask for a password only for writes; reads stay public' },
  {
    kind: 'list',
    key: 'allowedHosts',
    flags: ['--allowed-hosts'],
    metavar: 'NAMES',
    help: 'with writes, auth or --watch, also accept these Host names (comma-separated; any: no Host check)',
    parse: hostList,
  },
  {
    kind: 'flag',
    key: 'allowAnonymousWrites',
    flags: ['--allow-anonymous-writes'],
    help: 'allow --upload/--delete without --auth on an address other than loopback',
  },
  // No `to`: run() turns it into an extraHeaders entry, unless -H already sets that header.
  { kind: 'flag', key: 'cors', flags: ['--cors'], help: 'send Access-Control-Allow-Origin: * with every response' },
  {
    kind: 'flag',
    key: 'quiet',
    flags: ['-q', '--quiet'],
    help: 'do not log requests',
    to: { target: 'class', option: 'quiet' },
  },
  { kind: 'version', flags: ['--version'], help: "show program's version number and exit" },
] as const satisfies readonly OptionRow[]

// ---- types derived from the table -------------------------------------------------------------

type Row = Extract<(typeof OPTIONS)[number], { readonly key: string }>

/** The parsed value of one row. */
type ValueOf<R> = R extends { readonly kind: 'flag' }
  ? boolean
  : R extends { readonly kind: 'value'; readonly parse: (text: string) => infer T; readonly default: infer D }
    ? T | D | (R extends { readonly const: infer C } ? C : never)
    : R extends { readonly kind: 'list'; readonly parse: (text: string) => infer T }
      ? readonly T[]
      : never

type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** Everything the command line says, with defaults filled in: one property per row of the table, plus the port. */
export type ParsedArgs = Simplify<
  {
    /** `[port]`: 0 to 65535, 0 lets the system choose. Default 8000. */
    readonly port: number
    /** Whether `[port]` was given (a taken default port moves to the next free one; a given one does not). */
    readonly portGiven: boolean
  } & { readonly [R in Row as R['key']]: ValueOf<R> }
>

type RowTo<T extends Target> = Extract<Row, { readonly to: { readonly target: T } }>

/** The options the table routes to `target`, named as that target names them; absent when not given. */
export type OptionsFor<T extends Target> = Simplify<{
  readonly [R in RowTo<T> as R['to']['option']]?: Exclude<ValueOf<R>, undefined>
}>

/**
 * What the command line asks of the request handler: `run()` gives it to the app's
 * `handlerFor`, which returns the configured handler class. The directory (absolute), then every
 * row routed to `class`, `handler`, `cgi` or `dav`, under its option name. Split it per class
 * with {@link optionsFor}.
 */
export type HandlerSettings = Simplify<
  {
    /** The directory to serve, absolute (`-d`, resolved against the working directory). */
    readonly directory: string
  } & { readonly [R in RowTo<'class' | 'handler' | 'cgi' | 'dav'> as R['to']['option']]: ValueOf<R> }
>

/** The rows that carry a value, keyed by {@link ParsedArgs} key. */
export const ROWS: ReadonlyMap<string, FlagRow | ValueRow | ListRow> = new Map(
  (OPTIONS as readonly OptionRow[]).flatMap((row) => ('key' in row ? [[row.key, row] as const] : [])),
)

/**
 * The options of `settings` that the table routes to `target`, ready for that class:
 * `Handler.withOptions(optionsFor(settings, 'handler'))` (with the directory),
 * `.withCGIOptions(optionsFor(settings, 'cgi'))`. Values that were not given are left out.
 *
 * @example
 * optionsFor({ directory: '/srv', dotfiles: true, … }, 'handler')
 * // { directory: '/srv', dotfiles: true, followSymlinks: false, extraHeaders: [], precompressed: false }
 */
export function optionsFor<T extends Exclude<Target, 'server'>>(
  settings: HandlerSettings,
  target: T,
): T extends 'handler' ? OptionsFor<'handler'> & { readonly directory: string } : OptionsFor<T> {
  const picked: Record<string, unknown> = target === 'handler' ? { directory: settings.directory } : {}
  const values = settings as unknown as Readonly<Record<string, unknown>>
  for (const row of ROWS.values()) {
    if (row.to?.target !== target) continue
    const value = values[row.to.option]
    if (value !== undefined) picked[row.to.option] = value
  }
  return picked as never
}

/** The rows routed to `target`, as `{ option: value }` taken from parsed arguments; values not given are left out. */
export function routed(args: ParsedArgs, targets: readonly Target[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  const values = args as unknown as Readonly<Record<string, unknown>>
  for (const row of ROWS.values()) {
    if (row.to === undefined || !targets.includes(row.to.target)) continue
    picked[row.to.option] = values[row.key]
  }
  return picked
}
