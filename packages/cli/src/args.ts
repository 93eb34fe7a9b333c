/**
 * The command line, parsed the way Python's argparse parses `python -m http.server`'s: the same
 * flags, abbreviations (`--dir`), `--flag=value`, `-b127.0.0.1`, `-qh`, `--`, and the same
 * error messages (`unrecognized arguments: --nope`, `argument port: invalid int value: 'abc'`).
 * The flags themselves are rows of the option table (`options.ts`); nothing here names one.
 * Pure: no file system, no process state, so every message is testable.
 * @module
 */
import { UsageError } from './errors.js'
import { pyRepr } from '@simplehttp/handler'
import { DEFAULT_PORT, InvalidValue, OPTIONS, ROWS, pyInt } from './options.js'
import type { ListRow, OptionRow, ParsedArgs, ValueRow } from './options.js'

/** What the command line asks for: serve, print help, print the version, or a usage error. */
export type ParseArgsResult =
  | { readonly kind: 'serve'; readonly args: ParsedArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly error: UsageError }

/** Options for {@link formatUsage} and {@link formatHelp}. */
export interface FormatOptions {
  /** The program name in messages. Default `'simplehttp'`. */
  readonly prog?: string | undefined
}

const TABLE: readonly OptionRow[] = OPTIONS
const PORT_HELP = `bind to this port (default: ${DEFAULT_PORT})`

/** Every option string, in table order (argparse lists ambiguous matches in this order). */
const BY_FLAG = new Map<string, OptionRow>(TABLE.flatMap((spec) => spec.flags.map((flag) => [flag, spec] as const)))

// argparse's _negative_number_matcher: such strings are values, not options.
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/

/** How one command-line word reads: a value, an option (maybe with `=value`), or an unknown flag. */
type Word =
  | { readonly type: 'value' }
  | { readonly type: 'option'; readonly spec: OptionRow; readonly flag: string; readonly explicit: string | undefined; readonly sep: boolean }
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
function argName(spec: OptionRow): string {
  return spec.flags.join('/')
}

/** The values as they are read: every row's default, then what the command line sets. */
type Draft = Record<string, unknown>

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
export function parseArgs(argv: readonly string[]): ParseArgsResult {
  try {
    return { kind: 'serve', args: parse(argv) }
  } catch (error) {
    if (error instanceof Stop) return { kind: error.kind }
    if (error instanceof UsageError) return { kind: 'error', error }
    throw error
  }
}

function defaults(): Draft {
  const draft: Draft = { port: DEFAULT_PORT, portGiven: false }
  for (const [key, row] of ROWS) draft[key] = row.kind === 'flag' ? false : row.kind === 'list' ? [] : row.default
  return draft
}

function parse(argv: readonly string[]): ParsedArgs {
  const draft = defaults()
  let portSeen = false
  const given = new Set<string>()
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
      if (portSeen) extras.push(arg)
      else {
        draft.port = toPort(arg)
        draft.portGiven = true
        portSeen = true
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
        apply(draft, given, spec, '')
        break
      }
      const nextFlag = '-' + explicit.charAt(0)
      const next = sep || flag.startsWith('--') || explicit === '' ? undefined : BY_FLAG.get(nextFlag)
      if (next === undefined) throw argumentError(spec, `ignored explicit argument ${pyRepr(explicit)}`)
      apply(draft, given, spec, '')
      spec = next
      flag = nextFlag
      explicit = explicit.length > 1 ? explicit.slice(1) : undefined
    }
    if (spec.kind === 'value' || spec.kind === 'list') {
      let value = explicit
      if (value === undefined) {
        const following = argv[i + 1]
        const optional = spec.kind === 'value' && 'const' in spec
        // Ours: after an optional value, a bare number is the port (`simplehttp -s 8000`), not a
        // file named 8000 as argparse would read it.
        const portNext = optional && following !== undefined && /^\d+$/.test(following)
        if (following === undefined || following === '--' || portNext || classify(following).type !== 'value') {
          if (spec.kind === 'value' && 'const' in spec) {
            // An optional value (nargs='?'): the flag alone means its `const`.
            draft[spec.key] = spec.const
            given.add(spec.key)
            continue
          }
          throw argumentError(spec, 'expected one argument')
        }
        value = following
        i++
      }
      apply(draft, given, spec, value)
    }
  }
  if (extras.length > 0) throw new UsageError(`unrecognized arguments: ${extras.join(' ')}`)
  return finish(draft, given)
}

/** argparse's `take_action`: store the value (flags get `''`), after the row's type and choices check. */
function apply(draft: Draft, given: Set<string>, spec: OptionRow, value: string): void {
  switch (spec.kind) {
    case 'help':
    case 'version':
      throw new Stop(spec.kind)
    case 'flag':
      draft[spec.key] = true
      break
    case 'list':
      ;(draft[spec.key] as string[]).push(value)
      break
    case 'value':
      draft[spec.key] = parseValue(spec, value)
      break
  }
  given.add(spec.key)
}

function parseValue(spec: ValueRow, value: string): unknown {
  try {
    return spec.parse(value)
  } catch (error) {
    if (error instanceof InvalidValue) throw argumentError(spec, error.message)
    throw error
  }
}

function argumentError(spec: OptionRow, message: string): UsageError {
  return new UsageError(`argument ${argName(spec)}: ${message}`)
}

function toPort(text: string): number {
  const port = pyInt(text)
  if (port === undefined) throw new UsageError(`argument port: invalid int value: ${pyRepr(text)}`)
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`argument port: invalid port: ${text.trim()} (expected 0 to 65535)`)
  }
  return port
}

/**
 * The checks CPython makes after argparse, in its order: rows that require another
 * (`--tls-key requires --tls-cert to be set`), then list values (`-H`).
 */
function finish(draft: Draft, given: ReadonlySet<string>): ParsedArgs {
  for (const row of ROWS.values()) {
    if (row.requires === undefined || !given.has(row.key) || given.has(row.requires)) continue
    const required = ROWS.get(row.requires)?.flags ?? [row.requires]
    throw new UsageError(`${row.flags.join('/')} requires ${required.join('/')} to be set`)
  }
  for (const row of ROWS.values()) {
    if (row.conflicts === undefined || !given.has(row.key) || !given.has(row.conflicts)) continue
    // argparse's wording for a mutually exclusive group.
    const other = ROWS.get(row.conflicts)?.flags ?? [row.conflicts]
    throw new UsageError(`argument ${row.flags.join('/')}: not allowed with argument ${other.join('/')}`)
  }
  for (const row of ROWS.values()) {
    if (row.kind === 'list') draft[row.key] = (draft[row.key] as string[]).map((text) => parseListValue(row, text))
  }
  return draft as ParsedArgs
}

function parseListValue(row: ListRow, text: string): unknown {
  try {
    return row.parse(text)
  } catch (error) {
    if (error instanceof InvalidValue) throw new UsageError(error.message)
    throw error
  }
}

// ---- usage and help, formatted as argparse's HelpFormatter does at 80 columns ---------------

/** argparse wraps at the terminal width minus 2; without a terminal that is 80 - 2. */
const WIDTH = 78
/** Where help text starts (argparse's `max_help_position`). */
const HELP_POSITION = 24

/** `FILE`, or `[FILE]` when the value is optional. */
function metavar(spec: ValueRow | ListRow): string {
  return 'const' in spec ? `[${spec.metavar}]` : spec.metavar
}

function usageParts(): string[] {
  return TABLE.map((spec) =>
    spec.kind === 'value' || spec.kind === 'list' ? `[${spec.flags[0]} ${metavar(spec)}]` : `[${spec.flags[0]}]`,
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
  const entries = TABLE.map((spec) => {
    const flags = spec.flags.join(', ')
    const invocation = spec.kind === 'value' || spec.kind === 'list' ? `${flags} ${metavar(spec)}` : flags
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
