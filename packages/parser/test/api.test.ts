/**
 * The public surface: the error registry (and its README table, fastify's check), the error
 * class and brand, HeaderList, pyRepr.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as api from '../src/index.js'
import { HTTPParseError, HeaderList, PARSE_ERRORS, PARSE_ERROR_STATUS, isSimpleHTTPError, pyRepr } from '../src/index.js'

describe('error registry', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Errors'))
  /** `| \`CODE\` | status | when |` rows of the README's Errors table. */
  const rows = new Map<string, number>(
    [...section.matchAll(/^\|\s*`(SH_ERR_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1] ?? '', Number(m[2])]),
  )

  it('lists every code in the README with its status', () => {
    expect(rows.size).toBeGreaterThan(0)
    for (const [code, status] of Object.entries(PARSE_ERROR_STATUS)) {
      expect(rows.get(code), `${code} in README.md's Errors table`).toBe(status)
    }
    expect(Object.keys(PARSE_ERROR_STATUS)).toEqual(Object.keys(PARSE_ERRORS))
  })

  it('lists no code that does not exist', () => {
    expect([...rows.keys()].filter((code) => !(code in PARSE_ERRORS))).toEqual([])
  })

  it('uses stable SH_ERR_PARSE_ codes and only the documented statuses', () => {
    for (const [code, status] of Object.entries(PARSE_ERROR_STATUS)) {
      expect(code).toMatch(/^SH_ERR_PARSE_[A-Z0-9_]+$/)
      expect([400, 413, 414, 431, 501, 502, 505]).toContain(status)
    }
  })
})

describe('README', () => {
  it('shows examples/parse.js as its example', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = readFileSync(new URL('../examples/parse.js', import.meta.url), 'utf8')
    const block = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1]
    // The file opens with two comment lines about how to run it; the rest is the same code.
    expect(block).toBe(example.split('\n').slice(2).join('\n'))
  })
})

describe('HTTPParseError', () => {
  it('takes its status from the registry and keeps reason, explain and cause', () => {
    const cause = new Error('inner')
    const error = new HTTPParseError('SH_ERR_PARSE_HEADER_LINE_TOO_LONG', 'header line longer than 10 bytes', {
      reason: 'Line too long',
      explain: 'got more than 10 bytes when reading header line',
      cause,
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('HTTPParseError')
    expect(error.code).toBe('SH_ERR_PARSE_HEADER_LINE_TOO_LONG')
    expect(error.status).toBe(431)
    expect(error.reason).toBe('Line too long')
    expect(error.explain).toBe('got more than 10 bytes when reading header line')
    expect(error.cause).toBe(cause)
  })

  it('is recognised by its brand, not by instanceof', () => {
    const error = new HTTPParseError('SH_ERR_PARSE_BAD_VERSION', 'x')
    expect(isSimpleHTTPError(error)).toBe(true)
    // A copy of the class from another install carries the same Symbol.for brand.
    const foreign = Object.assign(new Error('x'), { code: 'SH_ERR_PARSE_BAD_VERSION', [Symbol.for('simplehttp.error')]: true })
    expect(isSimpleHTTPError(foreign)).toBe(true)
    expect(isSimpleHTTPError(new Error('x'))).toBe(false)
    expect(isSimpleHTTPError(null)).toBe(false)
    expect(isSimpleHTTPError('SH_ERR_PARSE_BAD_VERSION')).toBe(false)
  })

  it('escapes client bytes in messages', () => {
    const { error } = api.parseRequests(Buffer.from('GET / HTTP/\x1b[31m1\r\n\r\n', 'latin1'))
    expect(Array.from(error?.message ?? '').filter((c) => c.charCodeAt(0) < 0x20)).toEqual([])
    expect(error?.reason).toBe("Bad request version ('HTTP/\\x1b[31m1')")
  })
})

describe('HeaderList', () => {
  const headers = new HeaderList(['Host', 'a', 'Accept', 'text/html', 'accept', 'text/plain', 'X-Empty', ''])

  it('looks names up case-insensitively', () => {
    expect(headers.get('HOST')).toBe('a')
    expect(headers.has('x-empty')).toBe(true)
    expect(headers.get('x-empty')).toBe('')
    expect(headers.get('missing')).toBeUndefined()
    expect(headers.has('missing')).toBe(false)
  })

  it('joins repeated fields with ", " and lists them with getAll', () => {
    expect(headers.get('Accept')).toBe('text/html, text/plain')
    expect(headers.getAll('ACCEPT')).toEqual(['text/html', 'text/plain'])
    expect(headers.getAll('missing')).toEqual([])
  })

  it('keeps raw order and spelling', () => {
    expect(headers.size).toBe(4)
    expect([...headers]).toEqual([
      ['Host', 'a'],
      ['Accept', 'text/html'],
      ['accept', 'text/plain'],
      ['X-Empty', ''],
    ])
    expect(headers.toObject()).toEqual({ host: 'a', accept: 'text/html, text/plain', 'x-empty': '' })
  })

  it('does not let callers change it through getAll', () => {
    headers.getAll('accept').push('evil')
    expect(headers.getAll('accept')).toEqual(['text/html', 'text/plain'])
  })

  it('is empty by default', () => {
    const empty = new HeaderList()
    expect(empty.size).toBe(0)
    expect(empty.toObject()).toEqual({})
  })
})

describe('pyRepr', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash', "'back\\\\slash'"],
    ['line\r\nend\t', "'line\\r\\nend\\t'"],
    ['\x00\x1b\x7f\x85\xa0\xad', "'\\x00\\x1b\\x7f\\x85\\xa0\\xad'"],
    ['caf\xe9 \u20ac', "'caf\xe9 \u20ac'"],
    ['', "''"],
  ])('%j → %s', (input, output) => {
    expect(pyRepr(input)).toBe(output)
  })
})

describe('exports', () => {
  it('keeps the names the handler relies on', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'HTTPParseError',
        'HeaderList',
        'PARSE_ERRORS',
        'PARSE_ERROR_STATUS',
        'RequestParser',
        'ResponseParser',
        'SimpleHTTPError',
        'isSimpleHTTPError',
        'parseRequests',
        'parseResponses',
        'pyRepr',
      ].sort(),
    )
  })
})
