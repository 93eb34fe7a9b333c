import { describe, expect, it } from 'vitest'
import { formatHelp, formatUsage, parseArgs } from '../src/index.js'
import type { ParsedArgs } from '../src/index.js'

const DEFAULTS: ParsedArgs = {
  port: 8000,
  portGiven: false,
  bind: undefined,
  directory: undefined,
  protocol: 'HTTP/1.1',
  cgi: false,
  tlsCert: undefined,
  tlsKey: undefined,
  tlsPasswordFile: undefined,
  headers: [],
  workers: undefined,
  maxConnections: undefined,
  maxConnectionsPerAddress: undefined,
  firstByteTimeout: undefined,
  followSymlinks: false,
  dotfiles: false,
  precompressed: false,
  compress: false,
  watch: false,
  single: undefined,
  open: undefined,
  cache: undefined,
  qr: false,
  tlsSelfSigned: false,
  http2: false,
  listing: 'python',
  archive: false,
  upload: false,
  delete: false,
  webdav: false,
  maxUpload: undefined,
  onDuplicate: undefined,
  auth: [],
  authFile: undefined,
  authWritesOnly: false,
  allowedHosts: [],
  allowAnonymousWrites: false,
  cors: false,
  quiet: false,
}

function parsed(argv: string[]): ParsedArgs {
  const result = parseArgs(argv)
  if (result.kind !== 'serve') throw new Error(`expected serve, got ${JSON.stringify(result)}`)
  return result.args
}

function errorOf(argv: string[]): string {
  const result = parseArgs(argv)
  if (result.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(result)}`)
  expect(result.error.code).toBe('SH_ERR_CLI_USAGE')
  expect(result.error.exitCode).toBe(2)
  return result.error.message
}

describe('parseArgs: defaults', () => {
  it('gives CPython defaults, except HTTP/1.1', () => {
    expect(parsed([])).toEqual(DEFAULTS)
  })
})

describe('parseArgs: every flag', () => {
  const cases: [string, string[], Partial<ParsedArgs>][] = [
    ['port', ['9000'], { port: 9000, portGiven: true }],
    ['port 0', ['0'], { port: 0, portGiven: true }],
    ['port 65535', ['65535'], { port: 65535, portGiven: true }],
    ['port as Python int() reads it', [' +8_080 '], { port: 8080, portGiven: true }],
    ['-b', ['-b', '127.0.0.1'], { bind: '127.0.0.1' }],
    ['--bind', ['--bind', '::1'], { bind: '::1' }],
    ['--bind=', ['--bind=::'], { bind: '::' }],
    ['-bVALUE', ['-b127.0.0.1'], { bind: '127.0.0.1' }],
    ['-b=VALUE', ['-b=0.0.0.0'], { bind: '0.0.0.0' }],
    ['-d', ['-d', 'site'], { directory: 'site' }],
    ['--directory=', ['--directory=a b'], { directory: 'a b' }],
    ['-p HTTP/1.0', ['-p', 'HTTP/1.0'], { protocol: 'HTTP/1.0' }],
    ['--protocol=HTTP/1.1', ['--protocol=HTTP/1.1'], { protocol: 'HTTP/1.1' }],
    ['--cgi', ['--cgi'], { cgi: true }],
    ['--tls-cert', ['--tls-cert', 'c.pem'], { tlsCert: 'c.pem' }],
    ['--tls-key', ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], { tlsCert: 'c.pem', tlsKey: 'k.pem' }],
    [
      '--tls-password-file',
      ['--tls-cert=c.pem', '--tls-password-file=pw'],
      { tlsCert: 'c.pem', tlsPasswordFile: 'pw' },
    ],
    ['-H', ['-H', 'X-A: b'], { headers: [['X-A', 'b']] }],
    [
      '-H repeated, trimmed, split at the first colon',
      ['-H', 'X-A: b', '--header', '  Link :  <a:b> ', '--header=X-Empty:'],
      {
        headers: [
          ['X-A', 'b'],
          ['Link', '<a:b>'],
          ['X-Empty', ''],
        ],
      },
    ],
    ['-H value with spaces that starts with a dash', ['-H', '-X-Odd: y'], { headers: [['-X-Odd', 'y']] }],
    ['--workers', ['--workers', '4'], { workers: 4 }],
    ['--workers=', ['--workers=2'], { workers: 2 }],
    ['--max-connections', ['--max-connections', '64'], { maxConnections: 64 }],
    ['--max-connections-per-address', ['--max-connections-per-address=8'], { maxConnectionsPerAddress: 8 }],
    ['--first-byte-timeout in seconds, kept as ms', ['--first-byte-timeout', '2.5'], { firstByteTimeout: 2500 }],
    ['--follow-symlinks', ['--follow-symlinks'], { followSymlinks: true }],
    ['--dotfiles', ['--dotfiles'], { dotfiles: true }],
    ['--precompressed', ['--precompressed'], { precompressed: true }],
    ['--cors', ['--cors'], { cors: true }],
    ['-q', ['-q'], { quiet: true }],
    ['--quiet', ['--quiet'], { quiet: true }],
    ['abbreviated long options', ['--dir', 'x', '--prot', 'HTTP/1.0', '--wor=3', '--follow'], {
      directory: 'x',
      protocol: 'HTTP/1.0',
      workers: 3,
      followSymlinks: true,
    }],
    ['bundled short flags', ['-qb127.0.0.1'], { quiet: true, bind: '127.0.0.1' }],
    ['options after the port', ['9000', '-q'], { port: 9000, portGiven: true, quiet: true }],
    ['the last of a repeated option wins', ['-b', 'a', '-b', 'b'], { bind: 'b' }],
    ['-- ends the options', ['-q', '--', '9001'], { quiet: true, port: 9001, portGiven: true }],
    ['a negative-looking value is a value', ['-d', '-1'], { directory: '-1' }],
  ]
  it.each(cases)('%s', (_title, argv, expected) => {
    expect(parsed(argv)).toEqual({ ...DEFAULTS, ...expected })
  })
})

describe('parseArgs: help and version', () => {
  it.each([['-h'], ['--help'], ['--hel'], ['-qh'], ['--nope', '-h'], ['9000', '--help']])(
    '%s asks for help',
    (...argv) => {
      expect(parseArgs(argv)).toEqual({ kind: 'help' })
    },
  )
  it.each([['--version'], ['--vers'], ['-q', '--version']])('%s asks for the version', (...argv) => {
    expect(parseArgs(argv)).toEqual({ kind: 'version' })
  })
})

describe('parseArgs: errors, word for word', () => {
  const cases: [string[], string][] = [
    [['--nope'], 'unrecognized arguments: --nope'],
    [['--nope', '-x', '8000', '9000'], 'unrecognized arguments: --nope -x 9000'],
    [['8000', '9000'], 'unrecognized arguments: 9000'],
    [['abc'], "argument port: invalid int value: 'abc'"],
    [['80.5'], "argument port: invalid int value: '80.5'"],
    [["it's"], `argument port: invalid int value: "it's"`],
    [['70000'], 'argument port: invalid port: 70000 (expected 0 to 65535)'],
    [['65536'], 'argument port: invalid port: 65536 (expected 0 to 65535)'],
    [['-1'], 'argument port: invalid port: -1 (expected 0 to 65535)'],
    [['-b'], 'argument -b/--bind: expected one argument'],
    [['-b', '-q'], 'argument -b/--bind: expected one argument'],
    [['-d'], 'argument -d/--directory: expected one argument'],
    [['--tls-cert'], 'argument --tls-cert: expected one argument'],
    [['-H'], 'argument -H/--header: expected one argument'],
    [['--workers', '--cors'], 'argument --workers: expected one argument'],
    [['-p', 'HTTP/2'], "argument -p/--protocol: invalid choice: 'HTTP/2' (choose from HTTP/1.0, HTTP/1.1)"],
    [
      ['-p', '8000'],
      "argument -p/--protocol: invalid choice: '8000' (choose from HTTP/1.0, HTTP/1.1); to set the port, give it without -p",
    ],
    [['-p', 'http/1.1'], "argument -p/--protocol: invalid choice: 'http/1.1' (choose from HTTP/1.0, HTTP/1.1)"],
    [['--workers', '0'], "argument --workers: invalid positive int value: '0'"],
    [['--workers', '-2'], "argument --workers: invalid positive int value: '-2'"],
    [['--workers', 'many'], "argument --workers: invalid positive int value: 'many'"],
    [['--workers', '1.5'], "argument --workers: invalid positive int value: '1.5'"],
    [['--max-connections', '0'], "argument --max-connections: invalid positive int value: '0'"],
    [['--max-connections-per-address', 'x'], "argument --max-connections-per-address: invalid positive int value: 'x'"],
    [['--first-byte-timeout', '0'], "argument --first-byte-timeout: invalid positive number of seconds: '0'"],
    [['--first-byte-timeout', '-1'], "argument --first-byte-timeout: invalid positive number of seconds: '-1'"],
    [['--first-byte-timeout', 'soon'], "argument --first-byte-timeout: invalid positive number of seconds: 'soon'"],
    [['--cgi=yes'], "argument --cgi: ignored explicit argument 'yes'"],
    [['-qz'], "argument -q/--quiet: ignored explicit argument 'z'"],
    [['--he'], 'ambiguous option: --he could match --help, --header'],
    [['--tls'], 'ambiguous option: --tls could match --tls-cert, --tls-key, --tls-password-file, --tls-self-signed'],
    [['--tls-key', 'k.pem'], '--tls-key requires --tls-cert to be set'],
    [['--cache', '-5'], "argument -c/--cache: invalid non-negative int value: '-5'"],
    [['-c', 'soon'], "argument -c/--cache: invalid non-negative int value: 'soon'"],
    [['--tls-password-file', 'pw'], '--tls-password-file requires --tls-cert to be set'],
    [['-H', 'X-A'], 'Header X-A must be of the form Header: value'],
    [['-H', ''], 'Header  must be of the form Header: value'],
    [['-H', ': b'], 'Header : b must have a non-empty name'],
    [['-H', '  : b'], 'Header   : b must have a non-empty name'],
    [['-H', 'X A: b'], "Header X A: b must have a name made of letters, digits and !#$%&'*+-.^_`|~"],
    [
      ['-H', 'X-A: b\r\nSet-Cookie: x'],
      'Header X-A: b\\r\\nSet-Cookie: x must not contain CR, LF, NUL or characters above U+00FF in its value',
    ],
    [['-H', 'X-A: ☃'], 'Header X-A: ☃ must not contain CR, LF, NUL or characters above U+00FF in its value'],
  ]
  it.each(cases)('%j', (argv, message) => {
    expect(errorOf(argv)).toBe(message)
  })

  it('reports a bad port before later unknown flags, as argparse does', () => {
    expect(errorOf(['abc', '--nope'])).toBe("argument port: invalid int value: 'abc'")
  })

  it('never puts a line break in a message', () => {
    expect(errorOf(['-H', 'a\nb'])).not.toContain('\n')
    expect(errorOf(['x\ny'])).toBe("argument port: invalid int value: 'x\\ny'")
  })
})

describe('usage and help', () => {
  const flags = [
    '-h, --help',
    '--cgi',
    '-b, --bind ADDRESS',
    '-d, --directory DIRECTORY',
    '-p, --protocol VERSION',
    '--tls-cert PATH',
    '--tls-key PATH',
    '--tls-password-file PATH',
    '-H, --header HEADER',
    '--workers N',
    '--max-connections N',
    '--max-connections-per-address N',
    '--first-byte-timeout SECONDS',
    '--follow-symlinks',
    '--dotfiles',
    '--precompressed',
    '--cors',
    '-q, --quiet',
    '--version',
  ]

  it('the help lists every flag and the port, argparse style', () => {
    const help = formatHelp()
    expect(help.startsWith('usage: simplehttp [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION]\n')).toBe(true)
    expect(help).toContain('\npositional arguments:\n  port                  bind to this port (default: 8000)\n')
    expect(help).toContain('\noptions:\n  -h, --help            show this help message and exit\n')
    for (const flag of flags) expect(help).toContain(`\n  ${flag}`)
    expect(help).toContain('(default: HTTP/1.1)')
    expect(help.endsWith('\n')).toBe(true)
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(78)
  })

  it('the usage line is one line with every flag', () => {
    const usage = formatUsage({ prog: 'sh' })
    expect(usage).toBe(
      'usage: sh [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [--tls-cert PATH] [--tls-key PATH] ' +
        '[--tls-password-file PATH] [-H HEADER] [--workers N] [--max-connections N] [--max-connections-per-address N] ' +
        '[--first-byte-timeout SECONDS] [--follow-symlinks] [--dotfiles] ' +
        '[--precompressed] [--compress] [--watch] [-s [FILE]] [-o [PATH]] [-c SECONDS] [--qr] [--tls-self-signed] [--http2] ' +
        '[--listing MODE] [--archive] [--upload] [--delete] [--webdav] [--max-upload SIZE] [--on-duplicate ACTION] [-a USER:PASS] [--auth-file FILE] ' +
        '[--auth-writes-only] [--allowed-hosts NAMES] [--allow-anonymous-writes] ' +
        '[--cors] [-q] [--version] [port]\n',
    )
  })

  it('the help names the program it is given', () => {
    expect(formatHelp({ prog: 'serve-it' }).startsWith('usage: serve-it [-h]')).toBe(true)
  })
})

describe('flags whose value is optional (argparse nargs="?")', () => {
  it('take the value that follows, or their default meaning alone', () => {
    expect(parsed(['-s']).single).toBe(true)
    expect(parsed(['--single', 'app.html']).single).toBe('app.html')
    expect(parsed(['--single=shell.html']).single).toBe('shell.html')
    expect(parsed(['-s', '--dotfiles']).single).toBe(true)
    expect(parsed(['-o']).open).toBe('')
    expect(parsed(['-o', '/docs/']).open).toBe('/docs/')
    expect(parsed(['--open', '--', '9000'])).toMatchObject({ open: '', port: 9000 })
    // A bare number after them is the port, not a file named 8000 (argparse would take it).
    expect(parsed(['-s', '8000'])).toMatchObject({ single: true, port: 8000 })
    expect(parsed(['-o', '0'])).toMatchObject({ open: '', port: 0 })
    expect(parsed(['--single=8000'])).toMatchObject({ single: '8000', port: 8000 })
  })

  it('show the value in brackets in the usage line and --help', () => {
    expect(formatUsage()).toContain('[-s [FILE]]')
    expect(formatHelp()).toContain('  -s, --single [FILE]')
  })
})

describe('parseArgs: --listing and --archive', () => {
  it('takes a listing mode and refuses others', () => {
    expect(parsed(['--listing', 'rich']).listing).toBe('rich')
    expect(parsed(['--listing=off', '--archive']).archive).toBe(true)
    expect(errorOf(['--listing', 'fancy'])).toBe("argument --listing: invalid choice: 'fancy' (choose from python, rich, off)")
  })

  it('refuses --archive with --cgi, in either order', () => {
    expect(errorOf(['--archive', '--cgi'])).toBe('argument --archive: not allowed with argument --cgi')
    expect(errorOf(['--cgi', '--archive'])).toBe('argument --archive: not allowed with argument --cgi')
  })
})
