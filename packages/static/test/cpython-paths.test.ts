/**
 * Paths exactly as current CPython resolves them (issue 11 §2), and If-None-Match before
 * If-Modified-Since (§4): each case over a real socket, with the exact bytes of the target.
 * Our containment stays on top (dotfiles hidden, symlinks out refused).
 */
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler } from '../src/index.js'
import { LogCapture, request, startHandler, type RunningServer } from './helpers.js'

let base: string
let root: string
let server: RunningServer
const logs = new LogCapture()
/** A name that is not UTF-8: `café.txt` in Latin-1. */
const LATIN1_NAME = Buffer.from('caf\xe9.txt', 'latin1')
/** A directory whose name is the single byte 0xff. */
const BYTE_DIR = Buffer.from([0xff])
/**
 * test_list_dir_escape_filename's names (and TESTFN_NONASCII's kind), with what CPython 3.14
 * makes of them: `urllib.parse.quote(name)`, `urllib.parse.quote(name, safe='&<>\'"')` (how its
 * test requests the directory) and `html.escape(name, quote=False)`. Computed with python3.
 */
const ESCAPED_NAMES: readonly (readonly [name: string, quoted: string, quotedSafe: string, shown: string])[] = [
  ['q?', 'q%3F', 'q%3F', 'q?'],
  ['f#', 'f%23', 'f%23', 'f#'],
  ['&amp;', '%26amp%3B', '&amp%3B', '&amp;amp;'],
  ['&amp', '%26amp', '&amp', '&amp;amp'],
  ['<i>', '%3Ci%3E', '<i>', '&lt;i&gt;'],
  ['"dq"', '%22dq%22', '"dq"', '"dq"'],
  ["'sq'", '%27sq%27', "'sq'", "'sq'"],
  ['%A4', '%25A4', '%25A4', '%A4'],
  ['%E2%82%AC', '%25E2%2582%25AC', '%25E2%2582%25AC', '%E2%82%AC'],
  ['ñandú€', '%C3%B1and%C3%BA%E2%82%AC', '%C3%B1and%C3%BA%E2%82%AC', 'ñandú€'],
]

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-cpython-paths-'))
  root = path.join(base, 'root')
  await mkdir(path.join(root, 'dir'), { recursive: true })
  await mkdir(path.join(root, 'existing_dir'))
  await writeFile(path.join(root, 'test'), 'the test file\n')
  await writeFile(path.join(root, 'dir', 'test'), 'dir/test\n')
  await writeFile(path.join(root, 'file'), 'a file\n')
  await writeFile(path.join(root, '\ufffd'), 'named U+FFFD\n')
  await writeFile(path.join(base, 'secret.txt'), 'SECRET')
  await writeFile(path.join(root, '.env'), 'HIDDEN')
  await symlink(path.join(base, 'secret.txt'), path.join(root, 'out.txt'))
  await mkdir(path.join(root, 'bytes'))
  await writeFile(Buffer.concat([Buffer.from(path.join(root, 'bytes') + '/'), LATIN1_NAME]), 'latin-1 name\n')
  await mkdir(Buffer.concat([Buffer.from(path.join(root, 'bytes') + '/'), BYTE_DIR]))
  await writeFile(Buffer.concat([Buffer.from(path.join(root, 'bytes') + '/'), BYTE_DIR, Buffer.from('/inner.txt')]), 'inner\n')
  await mkdir(path.join(root, 'names'))
  for (const [name] of ESCAPED_NAMES) {
    await writeFile(path.join(root, 'names', `${name}.txt`), `content of ${name}\n`)
    await mkdir(path.join(root, 'names', `${name}.dir`))
  }
  await mkdir(path.join(root, 'names', '\ufffd.dir'))
  // test_get: a directory named index.html is not an index page.
  await mkdir(path.join(root, 'spam', 'index.html'), { recursive: true })
  const Quiet = class extends SimpleHTTPRequestHandler.withOptions({ directory: root }) {
    override logStream = logs
  }
  server = await startHandler(Quiet)
})

afterAll(async () => {
  await server.close()
  await rm(base, { recursive: true, force: true })
})

const get = (target: string, headers: Record<string, string> = {}) => request(server.port, target, { headers })

/** The tree is as it was: nothing was created or removed by any request. */
async function treeIsUnharmed(): Promise<void> {
  expect((await readdir(root)).sort()).toEqual(
    ['.env', 'bytes', 'dir', 'existing_dir', 'file', 'names', 'out.txt', 'spam', 'test', '\ufffd'].sort(),
  )
  expect((await stat(path.join(base, 'secret.txt'))).size).toBe(6)
}

describe('dot segments resolve and clamp at the root (posixpath.normpath)', () => {
  it.each(['/../test', '/%2e%2e/test', '/%2E%2E/test', '/dir/../test', '/./test', '/dir/%2e%2e/test', '/..%2ftest', '/../../../test'])(
    'GET %s serves /test',
    async (target) => {
      const res = await get(target)
      expect(res.status).toBe(200)
      expect(res.body.toString()).toBe('the test file\n')
    },
  )

  it('GET /../../dir/test serves /dir/test; %2F segments collapse too', async () => {
    expect((await get('/../../dir/test')).body.toString()).toBe('dir/test\n')
    expect((await get('/dir/..%2F..%2F..%2Fdir/test')).body.toString()).toBe('dir/test\n')
    expect((await get('/dir%2Ftest')).body.toString()).toBe('dir/test\n')
  })

  it('climbing never leaves the root: the file next to it stays out of reach', async () => {
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2f..%2fsecret.txt', '/dir/../../secret.txt']) {
      const res = await get(target)
      expect(res.status, target).toBe(404)
      expect(res.raw).not.toContain('SECRET')
    }
    // Our containment on top of CPython's rules: symlinks out and dotfiles stay refused.
    expect((await get('/dir/../out.txt')).status).toBe(404)
    expect((await get('/dir/%2e%2e/.env')).status).toBe(404)
    await treeIsUnharmed()
  })
})

describe('a trailing slash is judged after decoding (gh-134098)', () => {
  it('/file%2f is 404, /file/ too', async () => {
    expect((await get('/file%2f')).status).toBe(404)
    expect((await get('/file%2F')).status).toBe(404)
    expect((await get('/file/')).status).toBe(404)
    expect((await get('/file')).status).toBe(200)
  })

  it('/existing_dir%2f serves the directory (no redirect)', async () => {
    const res = await get('/existing_dir%2f')
    expect(res.status).toBe(200)
    expect(res.body.toString()).toContain('<title>Directory listing for /existing_dir/</title>')
  })
})

describe('the directory redirect: the path as sent plus "/" (gh-87389)', () => {
  it('keeps the target as sent, encoded controls and dot segments included', async () => {
    const target = '/python.org/..%2f..%2f..%2f../%0a%0d/../existing_dir'
    const res = await get(target)
    expect(res.status).toBe(301)
    expect(res.header('Location')).toBe(`${target}/`)
  })

  it('never starts the Location with //, whatever the number of leading slashes', async () => {
    for (const target of ['//python.org/..%2f..%2f..%2f../%0a%0d/../existing_dir', '///python.org/../existing_dir']) {
      const res = await get(target)
      expect(res.status, target).toBe(301)
      const location = res.header('Location') ?? ''
      expect(location.startsWith('//'), location).toBe(false)
      expect(location).toBe(`/${target.replace(/^\/+/, '')}/`)
    }
  })

  it('keeps the query after the slash', async () => {
    expect((await get('/existing_dir?a=1')).header('Location')).toBe('/existing_dir/?a=1')
  })
})

describe('listing names that need escaping (test_list_dir_escape_filename, _dirname, _nonascii_*)', () => {
  it('the listing quotes each href and HTML-escapes each text, as CPython does', async () => {
    const res = await get('/names/')
    expect(res.status).toBe(200)
    const body = res.body.toString('utf8')
    for (const [, quoted, , shown] of ESCAPED_NAMES) {
      expect(body).toContain(`<li><a href="${quoted}.txt">${shown}.txt</a></li>\n`)
      expect(body).toContain(`<li><a href="${quoted}.dir/">${shown}.dir/</a></li>\n`)
    }
  })

  it.each(ESCAPED_NAMES)('following the href of %j serves the file', async (name, quoted) => {
    const res = await get(`/names/${quoted}.txt`)
    expect(res.status).toBe(200)
    expect(res.body.toString('utf8')).toBe(`content of ${name}\n`)
  })

  it.each(ESCAPED_NAMES)('the directory %j lists under its own title, requested as CPython’s test does', async (_name, _quoted, quotedSafe, shown) => {
    const res = await get(`/names/${quotedSafe}.dir/`)
    expect(res.status).toBe(200)
    const body = res.body.toString('utf8')
    expect(body).toContain(`<title>Directory listing for /names/${shown}.dir/</title>`)
    expect(body).toContain(`<h1>Directory listing for /names/${shown}.dir/</h1>`)
  })

  it('test_list_dir_undecodable_dirname2: /%ff.dir/ lists the directory named U+FFFD.dir', async () => {
    const res = await get('/names/%ff.dir/')
    expect(res.status).toBe(200)
    expect(res.body.toString('utf8')).toContain('<title>Directory listing for /names/\ufffd.dir/</title>')
  })

  it('test_list_dir_with_query_and_fragment: the title is the path alone', async () => {
    for (const target of ['/names/#123', '/names/?x=123']) {
      const body = (await get(target)).body.toString('utf8')
      expect(body, target).toContain('listing for /names/</title>')
      expect(body, target).toContain('listing for /names/</h1>')
    }
  })
})

describe('test_get: directories, index pages and the redirect', () => {
  it('a directory without its slash: 301 to the path plus /, Content-Length: 0 and no body', async () => {
    const res = await get('/existing_dir')
    expect(res.status).toBe(301)
    expect(res.header('Location')).toBe('/existing_dir/')
    expect(res.header('Content-Length')).toBe('0')
    expect(res.body.length).toBe(0)
    expect((await get('/existing_dir?hi=1')).header('Location')).toBe('/existing_dir/?hi=1')
    expect((await get('/existing_dir/?hi=2')).status).toBe(200)
  })

  it('a directory named index.html is not an index page: the listing', async () => {
    const res = await get('/spam/')
    expect(res.status).toBe(200)
    expect(res.body.toString()).toContain('<li><a href="index.html/">index.html/</a></li>')
  })

  it('what does not exist is 404, with or without a slash', async () => {
    expect((await get('/ThisDoesNotExist')).status).toBe(404)
    expect((await get('/ThisDoesNotExist/')).status).toBe(404)
    expect((await get('/test/')).status).toBe(404)
  })
})

describe('escapes that are not UTF-8 decode with replacement, as CPython does', () => {
  it('/%ff is the file named U+FFFD', async () => {
    const res = await get('/%ff')
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('named U+FFFD\n')
  })

  it('over-long and other invalid sequences are names that do not exist: 404, not 400', async () => {
    expect((await get('/%c0%ae%c0%ae/secret.txt')).status).toBe(404)
    expect((await get('/%ed%a0%80')).status).toBe(404)
  })
})

describe('names that are not UTF-8 on disk (surrogateescape round trip)', () => {
  it('lists them as CPython does: href percent-encodes the escaped bytes, the text is the raw bytes', async () => {
    const res = await get('/bytes/')
    expect(res.status).toBe(200)
    // U+DCE9 (the byte 0xe9) quoted with errors='surrogatepass': %ED%B3%A9; U+DCFF: %ED%B3%BF.
    expect(res.body.includes(Buffer.from('<li><a href="caf%ED%B3%A9.txt">caf\xe9.txt</a></li>', 'latin1'))).toBe(true)
    expect(res.body.includes(Buffer.from('<li><a href="%ED%B3%BF/">\xff/</a></li>', 'latin1'))).toBe(true)
  })

  it('following the href serves the file, and the directory', async () => {
    const file = await get('/bytes/caf%ED%B3%A9.txt')
    expect(file.status).toBe(200)
    expect(file.body.toString()).toBe('latin-1 name\n')
    expect((await get('/bytes/%ED%B3%BF')).status).toBe(301)
    const dir = await get('/bytes/%ED%B3%BF/')
    expect(dir.status).toBe(200)
    expect(dir.body.toString()).toContain('<a href="inner.txt">inner.txt</a>')
    expect((await get('/bytes/%ED%B3%BF/inner.txt')).body.toString()).toBe('inner\n')
  })

  it('the UTF-8 spelling (%C3%A9) is another name: 404', async () => {
    expect((await get('/bytes/caf%C3%A9.txt')).status).toBe(404)
  })
})

describe('raw bytes above 0x7f in the request-target are refused, never served', () => {
  it.each([
    ['/f\xc3\xbcnke', 'raw UTF-8'],
    ['/caf\xe9.txt', 'a raw Latin-1 byte'],
    ['/test?q=\xff', 'a raw byte in the query'],
    ['/\xff', 'a lone raw byte'],
  ])('GET %j (%s) is 400', async (target) => {
    const res = await get(target)
    expect(res.status).toBe(400)
    await treeIsUnharmed()
  })
})

describe('a target without a leading "/" is refused (RFC 9112 origin-form; CPython serves it)', () => {
  it('GET dir/test is 400', async () => {
    expect((await get('dir/test')).status).toBe(400)
  })
})

describe('If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2)', () => {
  it('a tag that does not match with a date that does: 200', async () => {
    const first = await get('/test')
    const lastModified = first.header('Last-Modified') as string
    const res = await get('/test', { 'If-None-Match': '"not-the-tag"', 'If-Modified-Since': lastModified })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('the test file\n')
  })

  it('If-None-Match: * on an existing file: 304', async () => {
    const res = await get('/test', { 'If-None-Match': '*' })
    expect(res.status).toBe(304)
    expect(res.body.length).toBe(0)
  })

  it('test_browser_cache: If-Modified-Since alone still decides, to the second', async () => {
    const lastModified = (await get('/test')).header('Last-Modified') as string
    expect((await get('/test', { 'If-Modified-Since': lastModified })).status).toBe(304)
    const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString()
    expect((await get('/test', { 'If-Modified-Since': later })).status).toBe(304)
    const earlier = new Date(Date.parse(lastModified) - 365 * 86400_000).toUTCString()
    expect((await get('/test', { 'If-Modified-Since': earlier })).status).toBe(200)
  })

  it('If-None-Match: * with a matching date: 304 (CPython, which has no ETags, ignores both and sends 200)', async () => {
    const lastModified = (await get('/test')).header('Last-Modified') as string
    const res = await get('/test', { 'If-None-Match': '*', 'If-Modified-Since': lastModified })
    expect(res.status).toBe(304)
  })

  it('a matching tag with a date before the file: 304 (the date is not looked at)', async () => {
    const etag = (await get('/test')).header('ETag') as string
    const res = await get('/test', { 'If-None-Match': etag, 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' })
    expect(res.status).toBe(304)
  })
})
