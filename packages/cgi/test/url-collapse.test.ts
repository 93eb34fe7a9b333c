import { describe, expect, it } from 'vitest'
import { urlCollapsePath } from '../src/index.js'

// CPython's Lib/test/test_httpservers.py, CGIHTTPServerTestCase.test_url_collapse_path: every
// vector, with `undefined` where CPython raises IndexError.
const CPYTHON_VECTORS: readonly (readonly [string, string | undefined])[] = [
  ['', '//'],
  ['..', undefined],
  ['/.//..', undefined],
  ['/', '//'],
  ['//', '//'],
  ['/\\', '//\\'],
  ['/.//', '//'],
  ['cgi-bin/file1.py', '/cgi-bin/file1.py'],
  ['/cgi-bin/file1.py', '/cgi-bin/file1.py'],
  ['a', '//a'],
  ['/a', '//a'],
  ['//a', '//a'],
  ['./a', '//a'],
  ['./C:/', '/C:/'],
  ['/a/b', '/a/b'],
  ['/a/b/', '/a/b/'],
  ['/a/b/.', '/a/b/'],
  ['/a/b/c/..', '/a/b/'],
  ['/a/b/c/../d', '/a/b/d'],
  ['/a/b/c/../d/e/../f', '/a/b/d/f'],
  ['/a/b/c/../d/e/../../f', '/a/b/f'],
  ['/a/b/c/../d/e/.././././..//f', '/a/b/f'],
  ['../a/b/c/../d/e/.././././..//f', undefined],
  ['/a/b/c/../d/e/../../../f', '/a/f'],
  ['/a/b/c/../d/e/../../../../f', '//f'],
  ['/a/b/c/../d/e/../../../../../f', undefined],
  ['/a/b/c/../d/e/../../../../f/..', '//'],
  ['/a/b/c/../d/e/../../../../f/../.', '//'],
]

describe('urlCollapsePath (CPython _url_collapse_path)', () => {
  it.each(CPYTHON_VECTORS)('%j → %j', (input, expected) => {
    expect(urlCollapsePath(input)).toBe(expected)
  })

  it('decodes the path once and keeps the query as sent', () => {
    expect(urlCollapsePath('/cgi-bin%2ffile1.py')).toBe('/cgi-bin/file1.py')
    expect(urlCollapsePath('/cgi-bin/../cgi-bin/x?a=%2F..%2F&b=/../')).toBe('/cgi-bin/x?a=%2F..%2F&b=/../')
    expect(urlCollapsePath('/cgi-bin/file4.py?k=aa%2F%2Fbb&//q//p//=//a//b//')).toBe(
      '/cgi-bin/file4.py?k=aa%2F%2Fbb&//q//p//=//a//b//',
    )
    // `%252e` is the name `%2e`, never `.`.
    expect(urlCollapsePath('/cgi-bin/%252e%252e/x')).toBe('/cgi-bin/%2e%2e/x')
  })

  it('gives up (like CPython raising) on escapes that do not decode', () => {
    expect(urlCollapsePath('/cgi-bin/%zz')).toBeUndefined()
    expect(urlCollapsePath('/cgi-bin/%c0%ae')).toBeUndefined()
  })
})
