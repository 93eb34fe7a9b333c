/**
 * The core's pure pieces, as tables (the path rules are in resolver.test.ts): ranges, preconditions, content-coding, dates,
 * MIME types, quoting — and, where Python is installed, the same inputs through CPython itself.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { chooseEncoding, evaluatePreconditions, ifRangeMatches, matchesETag } from '../src/internal/conditional.js'
import { parseHTTPDate } from '../src/internal/http-date.js'
import { extensionOf, guessType } from '../src/mime.js'
import { parseRange } from '../src/internal/range.js'
import { quote, redirectLocation, translatePath, unquote } from '../src/internal/url-path.js'
import { splitTarget } from '../src/resolver.js'

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] })

describe('redirectLocation', () => {
  it('always builds a same-origin path with controls encoded', () => {
    const loc = (t: string) => redirectLocation(splitTarget(t))
    expect(loc('/dir')).toBe('/dir/')
    expect(loc('/dir?a=1')).toBe('/dir/?a=1')
    expect(loc('/dir?')).toBe('/dir/')
    expect(loc('//evil.com')).toBe('/evil.com/')
    expect(loc('/\\evil.com')).toBe('/evil.com/')
    expect(loc('/\\/\\evil.com')).toBe('/evil.com/')
    expect(loc('/a b\r\nSet-Cookie: x')).toBe('/a%20b%0D%0ASet-Cookie:%20x/')
    expect(loc('/a\\b')).toBe('/a%5Cb/')
    expect(loc('/x?q=\r\n')).toBe('/x/?q=%0D%0A')
    expect(loc('/f\xc3\xbcnke')).toBe('/f%C3%BCnke/') // raw UTF-8 bytes, read as Latin-1
    expect(loc('/fünke')).toBe('/f%FCnke/') // a Latin-1 byte stays one byte
    expect(loc('/日本')).toBe('/%E6%97%A5%E6%9C%AC/')
    expect(loc('http://evil.com/dir')).toBe('/dir/')
  })
})

describe('translatePath (CPython’s algorithm)', () => {
  const root = path.resolve('/srv/www')
  it.each([
    ['/', root + '/'],
    ['/a/b.txt', path.join(root, 'a/b.txt')],
    ['/a/b/', path.join(root, 'a/b') + '/'],
    ['/a/./b/../c', path.join(root, 'a/c')],
    ['/../../etc/passwd', path.join(root, 'etc/passwd')],
    ['/a%20b?x=1#y', path.join(root, 'a b')],
    ['/%zz', path.join(root, '%zz')],
    ['//x//y', path.join(root, 'x/y')],
  ])('%s', (input, expected) => {
    expect(translatePath(root, input)).toBe(expected)
  })
})

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { kind: 'ranges', ranges: [{ start: 0, end: 0 }] }],
    ['bytes=-3', 10, { kind: 'ranges', ranges: [{ start: 7, end: 9 }] }],
    ['bytes=-30', 10, { kind: 'ranges', ranges: [{ start: 0, end: 9 }] }],
    ['bytes=5-', 10, { kind: 'ranges', ranges: [{ start: 5, end: 9 }] }],
    ['bytes=5-99999999999999999999', 10, { kind: 'ranges', ranges: [{ start: 5, end: 9 }] }],
    ['bytes=0-1,,4-5', 10, { kind: 'ranges', ranges: [{ start: 0, end: 1 }, { start: 4, end: 5 }] }],
    ['bytes=4-5,0-1', 10, { kind: 'ranges', ranges: [{ start: 4, end: 5 }, { start: 0, end: 1 }] }],
    ['bytes=4-5,0-4', 10, { kind: 'ranges', ranges: [{ start: 0, end: 5 }] }],
    ['bytes=0-1,2-3', 10, { kind: 'ranges', ranges: [{ start: 0, end: 3 }] }],
    ['bytes=0-1,100-', 10, { kind: 'ranges', ranges: [{ start: 0, end: 1 }] }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-,0-', 10, { kind: 'ignore', why: 'amplification' }],
    ['bytes=0-5,3-9', 10, { kind: 'ignore', why: 'amplification' }],
    [`bytes=${Array(17).fill('0-0').join(',')}`, 100, { kind: 'ignore', why: 'too-many' }],
    ['bytes=5-4', 10, { kind: 'ignore', why: 'syntax' }],
    ['bytes=a-b', 10, { kind: 'ignore', why: 'syntax' }],
    ['bytes=1', 10, { kind: 'ignore', why: 'syntax' }],
    ['bytes=', 10, { kind: 'ignore', why: 'syntax' }],
    ['bytes=+1-2', 10, { kind: 'ignore', why: 'syntax' }],
    ['items=0-1', 10, { kind: 'ignore', why: 'unit' }],
    ['0-1', 10, { kind: 'ignore', why: 'syntax' }],
  ] as const)('%s of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected)
  })
})

describe('preconditions', () => {
  const file = { etag: '"a-1"', mtimeMs: Date.UTC(2020, 0, 2, 3, 4, 5, 678) }
  const lm = new Date(Date.UTC(2020, 0, 2, 3, 4, 5)).toUTCString()
  it.each([
    [{}, 'proceed'],
    [{ 'if-modified-since': lm }, 'not-modified'],
    [{ 'if-modified-since': 'Thu, 02 Jan 2020 03:04:04 GMT' }, 'proceed'],
    [{ 'if-modified-since': 'nonsense' }, 'proceed'],
    [{ 'if-modified-since': 'Thu, 02 Jan 2020 04:04:05 +0100' }, 'proceed'],
    [{ 'if-none-match': '"a-1"' }, 'not-modified'],
    [{ 'if-none-match': 'W/"a-1"' }, 'not-modified'],
    [{ 'if-none-match': '"b", "a-1"' }, 'not-modified'],
    [{ 'if-none-match': '*' }, 'not-modified'],
    [{ 'if-none-match': '"b"', 'if-modified-since': lm }, 'proceed'],
    [{ 'if-none-match': '', 'if-modified-since': lm }, 'proceed'],
    [{ 'if-match': '"b"' }, 'precondition-failed'],
    [{ 'if-match': 'W/"a-1"' }, 'precondition-failed'],
    [{ 'if-match': '"a-1"', 'if-none-match': '"a-1"' }, 'not-modified'],
    [{ 'if-unmodified-since': 'Thu, 02 Jan 2020 03:04:04 GMT' }, 'precondition-failed'],
    [{ 'if-unmodified-since': lm }, 'proceed'],
    [{ 'if-match': '*', 'if-unmodified-since': 'Thu, 02 Jan 2000 03:04:04 GMT' }, 'proceed'],
  ] as const)('%j → %s', (values, outcome) => {
    expect(evaluatePreconditions(headers(values), file)).toBe(outcome)
  })

  it('matches entity-tag lists with commas inside tags and stops at garbage', () => {
    expect(matchesETag('"a,b", "c"', '"c"', false)).toBe(true)
    expect(matchesETag('"a,b"', '"a,b"', true)).toBe(true)
    expect(matchesETag('garbage, "c"', '"c"', false)).toBe(false)
    expect(matchesETag('"unterminated', '"c"', false)).toBe(false)
  })

  it('If-Range: strong tag or the exact, strong Last-Modified', () => {
    const now = file.mtimeMs + 10_000
    expect(ifRangeMatches('"a-1"', file, now)).toBe(true)
    expect(ifRangeMatches('W/"a-1"', file, now)).toBe(false)
    expect(ifRangeMatches(lm, file, now)).toBe(true)
    expect(ifRangeMatches(lm, file, file.mtimeMs + 500)).toBe(false) // modified within the second: weak
    expect(ifRangeMatches('Thu, 02 Jan 2020 03:04:06 GMT', file, now)).toBe(false)
  })
})

describe('chooseEncoding', () => {
  it.each([
    [undefined, true, true, undefined],
    ['br', true, true, 'br'],
    ['br', false, true, undefined],
    ['gzip, br', true, true, 'br'],
    ['gzip;q=1, br;q=0.9', true, true, 'gzip'],
    ['br;q=0', true, true, undefined],
    ['BR;Q=0.5', true, false, 'br'],
    ['*', false, true, 'gzip'],
    ['gzip;q=2', true, true, undefined],
    ['gzip;q=abc, br', true, true, 'br'],
    ['identity;q=1, *;q=0', true, true, undefined],
  ] as const)('%s (br %s, gzip %s) → %s', (header, br, gz, expected) => {
    expect(chooseEncoding(header, br, gz)).toBe(expected)
  })
})

describe('guessType and extensionOf', () => {
  it('follows posixpath.splitext', () => {
    expect(extensionOf('/a/b.txt')).toBe('.txt')
    expect(extensionOf('/a/.bashrc')).toBe('')
    expect(extensionOf('/a/..x')).toBe('')
    expect(extensionOf('/a/.a.b')).toBe('.b')
    expect(extensionOf('/a.d/b')).toBe('')
    expect(extensionOf('x.tar.gz')).toBe('.gz')
  })

  it('uses CPython’s overrides, exact case then lower case, then the database', () => {
    expect(guessType('a.gz')).toBe('application/gzip')
    expect(guessType('a.Z')).toBe('application/octet-stream')
    expect(guessType('a.z')).toBe('application/octet-stream')
    expect(guessType('a.bz2')).toBe('application/x-bzip2')
    expect(guessType('a.xz')).toBe('application/x-xz')
    expect(guessType('a.js')).toBe('text/javascript')
    expect(guessType('a.mjs')).toBe('text/javascript')
    expect(guessType('a.HTML')).toBe('text/html')
    expect(guessType('a.constructor')).toBe('application/octet-stream')
    expect(guessType('a.txt', { '.TXT': 'x/upper', '.txt': 'x/lower' })).toBe('x/lower')
    expect(guessType('a.TXT', { '.txt': 'x/lower' })).toBe('x/lower')
  })
})

// ---- the same inputs through CPython ------------------------------------------------------------

const python = spawnSync('python3', ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' })
const hasPython = python.status === 0 && python.stdout.trim() === '3'

function runPython(script: string, input: unknown): unknown {
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' })
  if (result.status !== 0) throw new Error(result.stderr)
  return JSON.parse(result.stdout)
}

describe.skipIf(!hasPython)('parity with CPython (python3 on this machine)', () => {
  it('quote and unquote match urllib.parse', () => {
    const inputs = ['a b', 'fünke.txt', '日本', '<x>&"\'', '~-_.!*()+,;=:@$', '%41', '😀', 'a/b', '\x7f\x00']
    const quoted = runPython(
      'import sys, json, urllib.parse as u; print(json.dumps([u.quote(s) for s in json.load(sys.stdin)]))',
      inputs,
    )
    expect(inputs.map(quote)).toEqual(quoted)
    const escaped = ['%41%42', '%e6%97%a5', '%zz', '%', '%c0%ae', 'a+b', '%2', 'x%ffy']
    const unquoted = runPython(
      'import sys, json, urllib.parse as u; print(json.dumps([u.unquote(s) for s in json.load(sys.stdin)]))',
      escaped,
    )
    expect(escaped.map(unquote)).toEqual(unquoted)
  })

  it('translatePath matches SimpleHTTPRequestHandler.translate_path', () => {
    const inputs = ['/', '/a/b', '/a/b/', '/a/./b/../c', '/../../etc/passwd', '/a%20b?x#y', '/%2e%2e/x', '//x//y/', '/.hidden', '/ü/%C3%BC']
    const expected = runPython(
      [
        'import sys, json',
        'from http.server import SimpleHTTPRequestHandler as H',
        'h = H.__new__(H)',
        'h.directory = "/srv/www"',
        'print(json.dumps([h.translate_path(p) for p in json.load(sys.stdin)]))',
      ].join('\n'),
      inputs,
    )
    expect(inputs.map((p) => translatePath('/srv/www', p))).toEqual(expected)
  })

  it('translatePath judges a trailing slash after decoding (gh-134098, newer than some local Pythons)', () => {
    expect(translatePath('/srv/www', '/a/%2F')).toBe(path.join('/srv/www', 'a') + '/')
    expect(translatePath('/srv/www', '/a%2f')).toBe(path.join('/srv/www', 'a') + '/')
  })

  it('If-Modified-Since dates compare as CPython’s parsedate_to_datetime does', () => {
    const mtime = Date.UTC(2024, 2, 10, 12, 0, 0)
    const inputs = [
      'Sun, 10 Mar 2024 12:00:00 GMT',
      'Sun, 10 Mar 2024 11:59:59 GMT',
      'Sun, 10 Mar 2024 12:00:00',
      'Sun, 10 Mar 2024 12:00:00 -0000',
      'Sun, 10 Mar 2024 12:00:00 +0000',
      'Sun, 10 Mar 2024 13:00:00 +0100',
      'Sun, 10 Mar 2024 12:00:00 UT',
      'Sun, 10 Mar 2024 12:00:00 EST',
      'Sunday, 10-Mar-24 12:00:00 GMT',
      'Sun Mar 10 12:00:00 2024',
      '10 Mar 2024 12:00 GMT',
      'Sun, 31 Feb 2024 12:00:00 GMT',
      'Sun, 10 Foo 2024 12:00:00 GMT',
      'garbage',
      '',
      'Sun, 10 Mar 99 12:00:00 GMT',
      'Sun, 10 March 2025 12:00:00 GMT',
      'Sun, 10 Mar 2024 24:00:00 GMT',
    ]
    const script = [
      'import sys, json, datetime, email.utils',
      'mtime = datetime.datetime(2024, 3, 10, 12, 0, 0, tzinfo=datetime.timezone.utc)',
      'out = []',
      'for v in json.load(sys.stdin):',
      '    try:',
      '        ims = email.utils.parsedate_to_datetime(v)',
      '    except (TypeError, IndexError, OverflowError, ValueError):',
      '        out.append(False); continue',
      '    if ims.tzinfo is None: ims = ims.replace(tzinfo=datetime.timezone.utc)',
      '    out.append(ims.tzinfo is datetime.timezone.utc and mtime <= ims)',
      'print(json.dumps(out))',
    ].join('\n')
    const expected = runPython(script, inputs)
    const ours = inputs.map((v) => {
      const date = parseHTTPDate(v)
      return date !== undefined && mtime <= date
    })
    expect(ours).toEqual(expected)
    // Asked again, each value is answered from what was remembered: the same verdicts.
    const again = inputs.map((v) => {
      const date = parseHTTPDate(v)
      return date !== undefined && mtime <= date
    })
    expect(again).toEqual(expected)
  })
})
