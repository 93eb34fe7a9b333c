/**
 * The command line, parsed the way Python's argparse parses `python -m http.server`'s: the same
 * flags, abbreviations (`--dir`), `--flag=value`, `-b127.0.0.1`, `-qh`, `--`, and the same
 * error messages (`unrecognized arguments: --nope`, `argument port: invalid int value: 'abc'`).
 * Pure: no file system, no process state, so every message is testable.
 * @module
 */
import { UsageError } from './errors.js'
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

/** Everything the command line says, with defaults filled in. */
export interface ParsedArgs {
  /** `[port]`: 0 to 65535, 0 lets the system choose. Default 8000. */
  readonly port: number
  /** `-b/--bind`. Default `undefined`: every interface, IPv6 and IPv4 (dual-stack). */
  readonly bind: string | undefined
  /** `-d/--directory`, as typed (relative to the working directory). Default `undefined`: the working directory. */
  readonly directory: string | undefined
  /** `-p/--protocol`. Default `HTTP/1.1` (CPython: `HTTP/1.0`). */
  readonly protocol: Protocol
  /** `--cgi`: run scripts under `cgi-bin/`. Default false. */
  readonly cgi: boolean
  /** `--tls-cert`: serve HTTPS with this certificate chain. Default none. */
  readonly tlsCert: string | undefined
  /** `--tls-key`: the private key, when it is not in the certificate file. Default none. */
  readonly tlsKey: string | undefined
  /** `--tls-password-file`: a file holding the key's password. Default none. */
  readonly tlsPasswordFile: string | undefined
  /** `-H/--header`, each split into name and value (both trimmed), in the order given. */
  readonly headers: readonly (readonly [name: string, value: string])[]
  /** `--workers`: worker processes. Default `undefined`: serve in this process. */
  readonly workers: number | undefined
  /** `--follow-symlinks`. Default false. */
  readonly followSymlinks: boolean
  /** `--dotfiles`. Default false. */
  readonly dotfiles: boolean
  /** `--precompressed`. Default false. */
  readonly precompressed: boolean
  /** `--cors`. Default false. */
  readonly cors: boolean
  /** `-q/--quiet`. Default false. */
  readonly quiet: boolean
}

/** What the command line asks for: serve, print help, print the version, or a usage error. */
export type ParseResult =
  | { readonly kind: 'serve'; readonly args: ParsedArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly error: UsageError }

/** Options for {@link formatUsage} and {@link formatHelp}. */
export interface FormatOptions {
  /** The program name in messages. Default `'simplehttp'`. */
  readonly prog?: string | undefined
}

// ---- the option table: one row per flag, in CPython's order, then ours ---------------------

type ValueKey = 'bind' | 'directory' | 'protocol' | 'tlsCert' | 'tlsKey' | 'tlsPasswordFile' | 'workers'
type FlagKey = 'cgi' | 'followSymlinks' | 'dotfiles' | 'precompressed' | 'cors' | 'quiet'

type OptionSpec =
  | { readonly kind: 'help' | 'version'; readonly flags: readonly string[]; readonly help: string }
  | { readonly kind: 'flag'; readonly key: FlagKey; readonly flags: readonly string[]; readonly help: string }
  | {
      readonly kind: 'value'
      readonly key: ValueKey
      readonly flags: readonly string[]
      readonly metavar: string
      readonly help: string
    }
  | { readonly kind: 'header'; readonly flags: readonly string[]; readonly metavar: string; readonly help: string }

const OPTIONS: readonly OptionSpec[] = [
  { kind: 'help', flags: ['-h', '--help'], help: 'show this help message and exit' },
  { kind: 'flag', key: 'cgi', flags: ['--cgi'], help: 'run as CGI server' },
  {
    kind: 'value',
    key: 'bind',
    flags: ['-b', '--bind'],
    metavar: 'ADDRESS',
    help: 'bind to this address (default: all interfaces)',
  },
  {
    kind: 'value',
    key: 'directory',
    flags: ['-d', '--directory'],
    metavar: 'DIRECTORY',
    help: 'serve this directory (default: current directory)',
  },
  {
    kind: 'value',
    key: 'protocol',
    flags: ['-p', '--protocol'],
    metavar: 'VERSION',
    help: `conform to this HTTP version, ${PROTOCOLS.join(' or ')} (default: ${DEFAULT_PROTOCOL})`,
  },
  {
    kind: 'value',
    key: 'tlsCert',
    flags: ['--tls-cert'],
    metavar: 'PATH',
    help: 'path to the TLS certificate chain file',
  },
  { kind: 'value', key: 'tlsKey', flags: ['--tls-key'], metavar: 'PATH', help: 'path to the TLS key file' },
  {
    kind: 'value',
    key: 'tlsPasswordFile',
    flags: ['--tls-password-file'],
    metavar: 'PATH',
    help: 'path to the password file for the TLS key',
  },
  {
    kind: 'header',
    flags: ['-H', '--header'],
    metavar: 'HEADER',
    help: 'add a header to every response, as "Name: value" (repeatable)',
  },
  {
    kind: 'value',
    key: 'workers',
    flags: ['--workers'],
    metavar: 'N',
    help: 'serve from N worker processes sharing the port (default: this process only)',
  },
  {
    kind: 'flag',
    key: 'followSymlinks',
    flags: ['--follow-symlinks'],
    help: 'serve symlinks that lead outside the directory (default: refused)',
  },
  {
    kind: 'flag',
    key: 'dotfiles',
    flags: ['--dotfiles'],
    help: 'serve and list names that start with a dot (default: hidden)',
  },
  {
    kind: 'flag',
    key: 'precompressed',
    flags: ['--precompressed'],
    help: 'serve file.br or file.gz in place of file when the client accepts it',
  },
  {
    kind: 'flag',
    key: 'cors',
    flags: ['--cors'],
    help: 'send Access-Control-Allow-Origin: * with every response',
  },
  { kind: 'flag', key: 'quiet', flags: ['-q', '--quiet'], help: 'do not log requests' },
  { kind: 'version', flags: ['--version'], help: "show program's version number and exit" },
]

const PORT_HELP = `bind to this port (default: ${DEFAULT_PORT})`

/** Every option string, in table order (argparse lists ambiguous matches in this order). */
const BY_FLAG = new Map<string, OptionSpec>(OPTIONS.flatMap((spec) => spec.flags.map((flag) => [flag, spec] as const)))

// argparse's _negative_number_matcher: such strings are values, not options.
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/
// Python's int() accepts surrounding whitespace, a sign and underscores between digits.
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/
// RFC 9110 §5.6.2 token: what a header name may be.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// What the handler refuses to send (response splitting): CR, LF, NUL, anything above Latin-1.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSENDABLE_VALUE = /[\r\n\0]|[^\x00-\xff]/

/** How one command-line word reads: a value, an option (maybe with `=value`), or an unknown flag. */
type Word =
  | { readonly type: 'value' }
  | { readonly type: 'option'; readonly spec: OptionSpec; readonly flag: string; readonly explicit: string | undefined; readonly sep: boolean }
  | { readonly type: 'unknown' }

const VALUE: Word = { type: 'value' }

/** argparse's `_parse_optional`: decide what `arg` is. */
function classify(arg: string): Word {
  if (!arg.startsWith('-') || arg === '-') return VALUE
  const exact = BY_FLAG.get(arg)
  if (exact !== undefined) return { type: 'option', spec: exact, flag: arg, explicit: undefined, sep: false }
  const eq = arg.indexOf('=')
  if (eq > 0) {
    const spec = BY_FLAG.get(arg.slice(0, eq))
    if (spec !== undefined) return { type: 'option', spec, flag: arg.slice(0, eq), explicit: arg.slice(eq + 1), sep: true }
  }
  const matches = prefixMatches(arg)
  if (matches.length > 1) {
    const names = matches.map((m) => (m.type === 'option' ? m.flag : '')).join(', ')
    throw new UsageError(`ambiguous option: ${arg} could match ${names}`)
  }
  const [match] = matches
  if (match !== undefined) return match
  if (NEGATIVE_NUMBER.test(arg) || arg.includes(' ')) return VALUE
  return { type: 'unknown' }
}

/** argparse's `_get_option_tuples`: unique prefixes of long options, and `-bVALUE` short forms. */
function prefixMatches(arg: string): Word[] {
  const matches: Word[] = []
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=')
    const prefix = eq < 0 ? arg : arg.slice(0, eq)
    const explicit = eq < 0 ? undefined : arg.slice(eq + 1)
    for (const [flag, spec] of BY_FLAG) {
      if (flag.startsWith(prefix)) matches.push({ type: 'option', spec, flag, explicit, sep: eq >= 0 })
    }
  } else {
    const short = arg.slice(0, 2)
    for (const [flag, spec] of BY_FLAG) {
      if (flag === short) matches.push({ type: 'option', spec, flag, explicit: arg.slice(2), sep: false })
      else if (flag.startsWith(arg)) matches.push({ type: 'option', spec, flag, explicit: undefined, sep: false })
    }
  }
  return matches
}

/** `-b/--bind`, `port`: how argparse names an argument in its messages. */
function argName(spec: OptionSpec): string {
  return spec.flags.join('/')
}

interface Draft {
  port: number
  portSeen: boolean
  bind: string | undefined
  directory: string | undefined
  protocol: string
  tlsCert: string | undefined
  tlsKey: string | undefined
  tlsPasswordFile: string | undefined
  workers: string | undefined
  headers: string[]
  cgi: boolean
  followSymlinks: boolean
  dotfiles: boolean
  precompressed: boolean
  cors: boolean
  quiet: boolean
}

/** Thrown inside the parser to stop at `-h` or `--version`, as argparse exits there. Never escapes. */
class Stop extends Error {
  readonly kind: 'help' | 'version'
  constructor(kind: 'help' | 'version') {
    super(kind)
    this.kind = kind
  }
}

/**
 * Parse the command line (without `node` and the script: `process.argv.slice(2)`), the way
 * argparse parses `python -m http.server`'s, plus our flags. Never throws for bad input: a
 * mistake comes back as `{ kind: 'error', error }` whose message is argparse's
 * (`unrecognized arguments: --nope`). Reads no files: the directory and the password file are
 * checked by `run()`.
 *
 * @example
 * parseArgs(['-b', '127.0.0.1', '9000'])
 * // { kind: 'serve', args: { port: 9000, bind: '127.0.0.1', protocol: 'HTTP/1.1', … } }
 */
export function parseArgs(argv: readonly string[]): ParseResult {
  try {
    return { kind: 'serve', args: parse(argv) }
  } catch (error) {
    if (error instanceof Stop) return { kind: error.kind }
    if (error instanceof UsageError) return { kind: 'error', error }
    throw error
  }
}

function parse(argv: readonly string[]): ParsedArgs {
  const draft: Draft = {
    port: DEFAULT_PORT,
    portSeen: false,
    bind: undefined,
    directory: undefined,
    protocol: DEFAULT_PROTOCOL,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsPasswordFile: undefined,
    workers: undefined,
    headers: [],
    cgi: false,
    followSymlinks: false,
    dotfiles: false,
    precompressed: false,
    cors: false,
    quiet: false,
  }
  const extras: string[] = []
  let onlyValues = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!onlyValues && arg === '--') {
      onlyValues = true
      continue
    }
    const word = onlyValues ? VALUE : classify(arg)
    if (word.type === 'value') {
      if (draft.portSeen) extras.push(arg)
      else {
        draft.port = toPort(arg)
        draft.portSeen = true
      }
      continue
    }
    if (word.type === 'unknown') {
      extras.push(arg)
      continue
    }
    let { spec, flag, explicit } = word
    const { sep } = word
    // Short flags may be bundled (`-qh`, `-qb127.0.0.1`): a flag without a value hands the rest
    // of the word to the next short flag, as argparse does.
    while (spec.kind === 'flag' || spec.kind === 'help' || spec.kind === 'version') {
      if (explicit === undefined) {
        apply(draft, spec, '')
        break
      }
      const nextFlag = '-' + explicit.charAt(0)
      const next = sep || flag.startsWith('--') || explicit === '' ? undefined : BY_FLAG.get(nextFlag)
      if (next === undefined) throw argumentError(spec, `ignored explicit argument ${pyRepr(explicit)}`)
      apply(draft, spec, '')
      spec = next
      flag = nextFlag
      explicit = explicit.length > 1 ? explicit.slice(1) : undefined
    }
    if (spec.kind === 'value' || spec.kind === 'header') {
      let value = explicit
      if (value === undefined) {
        const following = argv[i + 1]
        if (following === undefined || following === '--' || classify(following).type !== 'value') {
          throw argumentError(spec, 'expected one argument')
        }
        value = following
        i++
      }
      apply(draft, spec, value)
    }
  }
  if (extras.length > 0) throw new UsageError(`unrecognized arguments: ${extras.join(' ')}`)
  return finish(draft)
}

/** argparse's `take_action`: store the value (flags get `''`), after the type and choices checks. */
function apply(draft: Draft, spec: OptionSpec, value: string): void {
  switch (spec.kind) {
    case 'help':
    case 'version':
      throw new Stop(spec.kind)
    case 'flag':
      draft[spec.key] = true
      return
    case 'header':
      draft.headers.push(value)
      return
    case 'value':
      if (spec.key === 'protocol' && !(PROTOCOLS as readonly string[]).includes(value)) {
        // Ours: `-p 8000` is a common slip (other servers' -p is the port); CPython takes it silently.
        const hint = /^\d+$/.test(value) ? '; to set the port, give it without -p' : ''
        throw argumentError(spec, `invalid choice: ${pyRepr(value)} (choose from ${PROTOCOLS.join(', ')})${hint}`)
      }
      if (spec.key === 'workers') {
        const n = PY_INT.test(value) ? Number(value.replaceAll('_', '')) : NaN
        if (!Number.isSafeInteger(n) || n < 1) throw argumentError(spec, `invalid positive int value: ${pyRepr(value)}`)
      }
      draft[spec.key] = value
      return
  }
}

function argumentError(spec: OptionSpec, message: string): UsageError {
  return new UsageError(`argument ${argName(spec)}: ${message}`)
}

function toPort(text: string): number {
  if (!PY_INT.test(text)) throw new UsageError(`argument port: invalid int value: ${pyRepr(text)}`)
  const port = Number(text.replaceAll('_', ''))
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`argument port: invalid port: ${text.trim()} (expected 0 to 65535)`)
  }
  return port
}

/** The checks CPython makes after argparse, in its order, then ours. */
function finish(draft: Draft): ParsedArgs {
  if (draft.tlsCert === undefined && draft.tlsKey !== undefined) {
    throw new UsageError('--tls-key requires --tls-cert to be set')
  }
  if (draft.tlsPasswordFile !== undefined && draft.tlsCert === undefined) {
    throw new UsageError('--tls-password-file requires --tls-cert to be set')
  }
  const headers = draft.headers.map(parseHeader)
  return {
    port: draft.port,
    bind: draft.bind,
    directory: draft.directory,
    protocol: draft.protocol as Protocol,
    cgi: draft.cgi,
    tlsCert: draft.tlsCert,
    tlsKey: draft.tlsKey,
    tlsPasswordFile: draft.tlsPasswordFile,
    headers,
    workers: draft.workers === undefined ? undefined : Number(draft.workers.replaceAll('_', '')),
    followSymlinks: draft.followSymlinks,
    dotfiles: draft.dotfiles,
    precompressed: draft.precompressed,
    cors: draft.cors,
    quiet: draft.quiet,
  }
}

/** CPython 3.15's `-H` rule (split at the first colon, strip both sides), plus what the handler can send. */
function parseHeader(arg: string): readonly [string, string] {
  const shown = escapeControls(arg)
  const colon = arg.indexOf(':')
  if (colon < 0) throw new UsageError(`Header ${shown} must be of the form Header: value`)
  const name = arg.slice(0, colon).trim()
  const value = arg.slice(colon + 1).trim()
  if (name === '') throw new UsageError(`Header ${shown} must have a non-empty name`)
  // Ours: CPython would accept these, then fail (or split the response) on every request.
  if (!TOKEN.test(name)) {
    throw new UsageError(`Header ${shown} must have a name made of letters, digits and !#$%&'*+-.^_\`|~`)
  }
  if (UNSENDABLE_VALUE.test(value)) {
    throw new UsageError(`Header ${shown} must not contain CR, LF, NUL or characters above U+00FF in its value`)
  }
  return [name, value]
}

// ---- usage and help, formatted as argparse's HelpFormatter does at 80 columns ---------------

/** argparse wraps at the terminal width minus 2; without a terminal that is 80 - 2. */
const WIDTH = 78
/** Where help text starts (argparse's `max_help_position`). */
const HELP_POSITION = 24

function usageParts(): string[] {
  return OPTIONS.map((spec) =>
    spec.kind === 'value' || spec.kind === 'header' ? `[${spec.flags[0] ?? ''} ${spec.metavar}]` : `[${spec.flags[0] ?? ''}]`,
  )
}

/** argparse's `_format_usage` wrapping: options after the program name, positionals on their own line. */
function usageLines(prog: string): string[] {
  const prefix = 'usage: '
  const optionParts = usageParts()
  const positionalParts = ['[port]']
  const oneLine = [prog, ...optionParts, ...positionalParts].join(' ')
  if (prefix.length + oneLine.length <= WIDTH) return [prefix + oneLine]
  const indent = ' '.repeat(prefix.length + prog.length + 1)
  const fill = (parts: string[], start: number): string[][] => {
    const lines: string[][] = []
    let line: string[] = []
    let length = start - 1
    for (const part of parts) {
      if (length + 1 + part.length > WIDTH && line.length > 0) {
        lines.push(line)
        line = []
        length = indent.length - 1
      }
      line.push(part)
      length += part.length + 1
    }
    if (line.length > 0) lines.push(line)
    return lines
  }
  const first = fill([prog, ...optionParts], prefix.length)
  const rest = fill(positionalParts, indent.length)
  return [
    ...first.map((parts, n) => (n === 0 ? prefix : indent) + parts.join(' ')),
    ...rest.map((parts) => indent + parts.join(' ')),
  ]
}

/**
 * The usage line printed above every usage error, on one line so that an error is always
 * exactly two lines (argparse would wrap it at the terminal's width):
 * `usage: simplehttp [-h] [--cgi] [-b ADDRESS] … [port]`, with a final newline.
 */
export function formatUsage(options: FormatOptions = {}): string {
  return `usage: ${[options.prog ?? 'simplehttp', ...usageParts(), '[port]'].join(' ')}\n`
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

function helpEntry(invocation: string, help: string): string {
  const lines = wrap(help, WIDTH - HELP_POSITION)
  const pad = ' '.repeat(HELP_POSITION)
  const [first = '', ...more] = lines
  const head =
    invocation.length <= HELP_POSITION - 4
      ? `  ${invocation.padEnd(HELP_POSITION - 4)}  ${first}`
      : `  ${invocation}\n${pad}${first}`
  return [head, ...more.map((line) => pad + line)].join('\n')
}

/**
 * The `--help` text, laid out as argparse lays out `python -m http.server --help` (Python
 * 3.13+ style: `-b, --bind ADDRESS`), listing every flag, ours included.
 */
export function formatHelp(options: FormatOptions = {}): string {
  const prog = options.prog ?? 'simplehttp'
  const entries = OPTIONS.map((spec) => {
    const flags = spec.flags.join(', ')
    const invocation = spec.kind === 'value' || spec.kind === 'header' ? `${flags} ${spec.metavar}` : flags
    return helpEntry(invocation, spec.help)
  })
  return [
    ...usageLines(prog),
    '',
    'Serve a directory over HTTP: python -m http.server, for Node.js.',
    '',
    'positional arguments:',
    helpEntry('port', PORT_HELP),
    '',
    'options:',
    ...entries,
    '',
  ].join('\n')
}
