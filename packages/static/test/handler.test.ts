/**
 * SimpleHTTPRequestHandler over real sockets: CPython's behaviour byte for byte where it is
 * observable, and everything we do better (ranges, ETags, precompressed, containment).
 */
import { createHash } from 'node:crypto'
import { appendFile, mkdir, readdir, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { RawClient, readResponses } from '@simplehttp/test-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EXTENSIONS_MAP, SimpleHTTPRequestHandler, type ResponseBody } from '../src/index.js'
import { cacheTuning, fileCache } from '../src/internal/file-cache.js'
import {
  LogCapture,
  SECRET,
  TRICKY_NAMES,
  makeFixture,
  parseMultipart,
  readSlowly,
  rawUTF8,
  request,
  startHandler,
  type Fixture,
  type RunningServer,
} from './helpers.js'

let fx: Fixture
let server: RunningServer
let logs: LogCapture

/** The handler under test: quiet, logging into `logs`. */
function quiet<T extends typeof SimpleHTTPRequestHandler>(Base: T): T {
  const Quiet = class extends (Base as typeof SimpleHTTPRequestHandler) {
    override logStream = logs
  }
  return Quiet as unknown as T
}

beforeAll(async () => {
  fx = await makeFixture()
  logs = new LogCapture()
  server = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: fx.root })))
})

afterAll(async () => {
  await server.close()
  await fx.cleanup()
})

const get = (target: string, headers: Record<string, string> = {}) => request(server.port, target, { headers })
const head = (target: string, headers: Record<string, string> = {}) =>
  request(server.port, target, { method: 'HEAD', headers })
const names = (r: { headers: readonly (readonly [string, string])[] }) => r.headers.map(([n]) => n)

describe('files, as CPython serves them', () => {
  it('sends 200 with Server, Date, Content-type, Content-Length, Last-Modified in that order, then ours', async () => {
    const r = await get('/hello.txt')
    expect(r.statusLine).toBe('HTTP/1.0 200 OK')
    expect(names(r)).toEqual(['Server', 'Date', 'Content-type', 'Content-Length', 'Last-Modified', 'Accept-Ranges', 'ETag'])
    expect(r.header('Server')).toMatch(/^SimpleHTTP\/0\.6 Node\.js\//)
    expect(r.header('Content-type')).toBe('text/plain')
    expect(r.header('Content-Length')).toBe('14')
    expect(r.body.toString()).toBe('Hello, world!\n')
    const mtime = (await stat(path.join(fx.root, 'hello.txt'))).mtimeMs
    expect(r.header('Last-Modified')).toBe(new Date(mtime).toUTCString())
    expect(r.header('Accept-Ranges')).toBe('bytes')
    expect(r.header('ETag')).toMatch(/^"e-[0-9a-f]+"$/)
  })

  it('guesses types like CPython: no charset, overrides, case, unknown', async () => {
    const types: Record<string, string> = {
      '/page.html': 'text/html',
      '/app.js': 'text/javascript',
      '/archive.tar.gz': 'application/gzip',
      '/data.JSON': 'application/json',
      '/noext': 'application/octet-stream',
      '/script.py': 'text/x-python',
      '/style.css': 'text/css',
    }
    for (const [target, type] of Object.entries(types)) {
      const r = await get(target)
      expect(r.header('Content-type'), target).toBe(type)
      expect(r.header('Content-Encoding'), target).toBeUndefined()
    }
  })

  it('serves an empty file', async () => {
    const r = await get('/empty.txt')
    expect(r.status).toBe(200)
    expect(r.header('Content-Length')).toBe('0')
    expect(r.body.length).toBe(0)
  })

  it('answers 404 File not found with CPython error page for a missing file', async () => {
    const r = await get('/missing.txt')
    expect(r.statusLine).toBe('HTTP/1.0 404 File not found')
    expect(r.header('Content-Type')).toBe('text/html;charset=utf-8')
    expect(r.body.toString()).toContain('<p>Message: File not found.</p>')
  })

  it('answers 404 for a file requested with a trailing slash (bpo-17324)', async () => {
    expect((await get('/hello.txt/')).status).toBe(404)
    // After decoding, as current CPython (gh-134098): an encoded slash counts too.
    expect((await get('/hello.txt%2f')).status).toBe(404)
  })

  it('drops the query and the fragment', async () => {
    const r = await get('/hello.txt?download=1#frag')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('Hello, world!\n')
  })

  it('HEAD sends the GET head with no body', async () => {
    const g = await get('/hello.txt')
    const h = await head('/hello.txt')
    expect(h.status).toBe(200)
    expect(names(h)).toEqual(names(g))
    expect(h.header('Content-Length')).toBe('14')
    expect(h.body.length).toBe(0)
    const listing = await head('/dir/')
    expect(listing.status).toBe(200)
    expect(Number(listing.header('Content-Length'))).toBeGreaterThan(0)
    expect(listing.body.length).toBe(0)
    const big = await head('/big.bin')
    expect(big.header('Content-Length')).toBe(String(fx.big.length))
    expect(big.body.length).toBe(0)
  })

  it('streams a file larger than the cache limit, byte for byte', async () => {
    const r = await get('/big.bin')
    expect(r.status).toBe(200)
    expect(r.header('Content-Length')).toBe(String(fx.big.length))
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(createHash('sha256').update(fx.big).digest('hex'))
  })

  it('refuses raw UTF-8 in a request target (400), and serves it percent-encoded', async () => {
    expect((await get(rawUTF8('/dir/fünke.txt'))).status).toBe(400)
    const r = await get('/dir/f%C3%BCnke.txt')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('content of fünke.txt\n')
    expect((await get('/dir/f%FCnke.txt')).status).toBe(404) // Latin-1 escape: U+FFFD, as CPython
  })
})

describe('directories', () => {
  it('redirects a directory without a trailing slash with 301, Content-Length: 0, query kept', async () => {
    const r = await get('/dir')
    expect(r.statusLine).toBe('HTTP/1.0 301 Moved Permanently')
    expect(names(r)).toEqual(['Server', 'Date', 'Location', 'Content-Length'])
    expect(r.header('Location')).toBe('/dir/')
    expect(r.header('Content-Length')).toBe('0')
    expect(r.body.length).toBe(0)
    expect((await get('/dir?a=1&b=%20x')).header('Location')).toBe('/dir/?a=1&b=%20x')
    expect((await get('/dir/sub?')).header('Location')).toBe('/dir/sub/')
  })

  it('never redirects off-site: //host and /\\host collapse to a same-origin path', async () => {
    for (const target of ['//evil.com', '///evil.com', '////evil.com?x=1']) {
      const r = await get(target)
      expect(r.status, target).toBe(301)
      const location = r.header('Location') ?? ''
      expect(location.startsWith('/evil.com/'), `${target} → ${location}`).toBe(true)
      expect(location.startsWith('//')).toBe(false)
    }
    for (const target of ['/\\evil.com', '/%5cevil.com', '/%5C%5Cevil.com', '/\\/evil.com']) {
      const r = await get(target)
      expect(r.status, target).toBe(404)
      expect(r.header('Location')).toBeUndefined()
    }
  })

  it('percent-encodes CR/LF in the Location and never injects a header', async () => {
    if (fx.crlfDir === undefined) return // the file system refused the name
    const r = await get('/crlf%0d%0aSet-Cookie:%20injected=1?q=%0d%0a')
    expect(r.status).toBe(301)
    expect(r.header('Location')).toBe('/crlf%0d%0aSet-Cookie:%20injected=1/?q=%0d%0a')
    expect(r.header('Set-Cookie')).toBeUndefined()
    const listing = await get('/crlf%0d%0aSet-Cookie:%20injected=1/')
    expect(listing.status).toBe(200)
    expect(listing.header('Set-Cookie')).toBeUndefined()
  })

  it('serves index.html before index.htm, and index.htm alone', async () => {
    expect((await get('/withindex/')).body.toString()).toBe('<p>index.html</p>\n')
    const htm = await get('/withhtm/')
    expect(htm.body.toString()).toBe('<p>index.htm</p>\n')
    expect(htm.header('Content-type')).toBe('text/html')
  })

  it("lists a directory with CPython 3.14's exact bytes", async () => {
    const r = await get('/small/')
    const expected =
      '<!DOCTYPE HTML>\n' +
      '<html lang="en">\n' +
      '<head>\n' +
      '<meta charset="utf-8">\n' +
      '<style type="text/css">\n' +
      ':root {\n' +
      'color-scheme: light dark;\n' +
      '}\n' +
      '</style>\n' +
      '<title>Directory listing for /small/</title>\n' +
      '</head>\n' +
      '<body>\n' +
      '<h1>Directory listing for /small/</h1>\n' +
      '<hr>\n' +
      '<ul>\n' +
      '<li><a href="a%20b.txt">a b.txt</a></li>\n' +
      '<li><a href="alpha.txt">alpha.txt</a></li>\n' +
      '<li><a href="dir/">dir/</a></li>\n' +
      '<li><a href="ln">ln@</a></li>\n' +
      '<li><a href="Zeta.txt">Zeta.txt</a></li>\n' +
      '</ul>\n' +
      '<hr>\n' +
      '</body>\n' +
      '</html>\n'
    expect(r.statusLine).toBe('HTTP/1.0 200 OK')
    // CPython's headers, plus a validator and Vary (the same URL also answers JSON).
    expect(names(r)).toEqual(['Server', 'Date', 'Content-type', 'Content-Length', 'ETag', 'Vary'])
    expect(r.header('Content-type')).toBe('text/html; charset=utf-8')
    expect(r.header('Content-Length')).toBe(String(Buffer.byteLength(expected)))
    expect(r.header('Vary')).toBe('Accept')
    expect(r.body.toString('utf8')).toBe(expected)
  })

  it('titles the listing with the unquoted, escaped request path (query dropped)', async () => {
    const r = await get('/dir/?x=<b>')
    expect(r.body.toString()).toContain('<title>Directory listing for /dir/</title>')
    const escaped = await get('/a/%3Cb%3E/../')
    expect(escaped.body.toString()).toContain('<h1>Directory listing for /a/&lt;b&gt;/../</h1>')
  })

  it('escapes HTML-looking and non-ASCII names, and each is fetchable by its href', async () => {
    const r = await get('/dir/')
    const html = r.body.toString('utf8')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
    expect(html).toContain('<li><a href="%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt">&lt;img src=x onerror=alert(1)&gt;.txt</a></li>')
    expect(html).toContain(`<li><a href="a%26b%22c%27.txt">a&amp;b"c'.txt</a></li>`)
    expect(html).toContain('<li><a href="f%C3%BCnke.txt">fünke.txt</a></li>')
    expect(html).toContain('<li><a href="%E6%97%A5%E6%9C%AC.txt">日本.txt</a></li>')
    expect(html).toContain('<li><a href="%3Cscript%3Ealert%281%29%3C%252Fscript%3E.txt">&lt;script&gt;alert(1)&lt;%2Fscript&gt;.txt</a></li>')
    expect(html).toContain('<li><a href="sub/">sub/</a></li>')
    const hrefs = [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1] as string)
    for (const name of TRICKY_NAMES) {
      const href = hrefs.find((h) => decodeURIComponent(h) === name)
      expect(href, name).toBeDefined()
      const file = await get(`/dir/${href as string}`)
      expect(file.status, name).toBe(200)
      expect(file.body.toString('utf8')).toBe(`content of ${name}\n`)
    }
  })

  it('answers 404 No permission to list directory when the directory cannot be read', async () => {
    if (process.getuid?.() === 0) return // root reads everything
    const locked = path.join(fx.root, 'locked')
    await mkdir(locked, { mode: 0o000 })
    try {
      const r = await get('/locked/')
      expect(r.statusLine).toBe('HTTP/1.0 404 No permission to list directory')
    } finally {
      await rm(locked, { recursive: true, force: true })
    }
  })

  it('answers 404 No permission to list directory from listDirectory() when reading fails', async () => {
    const missing = path.join(fx.root, 'no-such-dir')
    class Lister extends SimpleHTTPRequestHandler {
      override logStream = logs
      override sendHead(): Promise<ResponseBody | undefined> {
        return this.listDirectory(missing)
      }
    }
    const s = await startHandler(Lister)
    try {
      const r = await request(s.port, '/')
      expect(r.statusLine).toBe('HTTP/1.0 404 No permission to list directory')
      expect(r.body.toString()).toContain('<p>Message: No permission to list directory.</p>')
    } finally {
      await s.close()
    }
  })

  it('lists a changed directory afresh (the listing cache follows the directory)', async () => {
    const saved = cacheTuning.racyWindowMs
    cacheTuning.racyWindowMs = 0
    try {
      await mkdir(path.join(fx.root, 'changing'))
      await writeFile(path.join(fx.root, 'changing', 'one.txt'), '1')
      expect((await get('/changing/')).body.toString()).toContain('one.txt')
      await writeFile(path.join(fx.root, 'changing', 'two.txt'), '2')
      const again = (await get('/changing/')).body.toString()
      expect(again).toContain('one.txt')
      expect(again).toContain('two.txt')
    } finally {
      cacheTuning.racyWindowMs = saved
    }
  })
})

describe('dotfiles', () => {
  it('refuses dotfiles and dot-directories with 404 by default (CPython serves them)', async () => {
    for (const target of ['/.env', '/.git/config', '/.git/', '/%2eenv', '/dir/../.env', '/.well-known/.hidden']) {
      const r = await get(target)
      expect(r.status, target).toBe(404)
      expect(r.body.toString()).not.toContain('SECRET_TOKEN')
    }
  })

  it('serves /.well-known/ and keeps it in the root listing, hides other dotfiles', async () => {
    const r = await get('/.well-known/security.txt')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toContain('Contact:')
    const listing = (await get('/')).body.toString()
    expect(listing).toContain('<a href=".well-known/">.well-known/</a>')
    expect(listing).not.toContain('.env')
    expect(listing).not.toContain('.git')
    expect((await get('/.well-known/')).body.toString()).not.toContain('.hidden')
  })

  it('serves and lists them with dotfiles: true', async () => {
    const s = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: fx.root, dotfiles: true })))
    try {
      expect((await request(s.port, '/.env')).body.toString()).toBe('SECRET_TOKEN=1\n')
      expect((await request(s.port, '/.git/config')).status).toBe(200)
      const listing = (await request(s.port, '/')).body.toString()
      expect(listing).toContain('<a href=".env">.env</a>')
      expect(listing).toContain('<a href=".git/">.git/</a>')
    } finally {
      await s.close()
    }
  })
})

describe('never outside the root', () => {
  // Every one of these must answer 400 or 404 and never carry the secret (placed next to the
  // root, in a sibling whose name extends the root's, and behind symlinks).
  const hostile = [
    '/../secret.txt',
    '/../secret',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/.%2e/secret.txt',
    '/%2e./secret.txt',
    '/%252e%252e/secret.txt',
    '/%252e%252e%252fsecret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/..%252fsecret.txt',
    '/..%5csecret.txt',
    '/..%5Csecret.txt',
    '/..\\secret.txt',
    '/%5c..%5csecret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '/%c0%ae%c0%ae%c0%afsecret.txt',
    '/%e0%80%ae%e0%80%ae/secret.txt',
    '/%uff0e%uff0e/secret.txt',
    '/%%32%65%%32%65/secret.txt',
    '/%00',
    '/hello.txt%00.html',
    '/..%00/secret.txt',
    '/C:/Windows',
    '/C:%5c..%5csecret.txt',
    '/c:/../secret.txt',
    '/\\\\server\\share',
    '//etc/passwd',
    '/etc/passwd',
    '/a/../../secret.txt',
    '/dir/sub/../../../secret.txt',
    '/./../secret.txt',
    '/..',
    '/../',
    '/%2e%2e',
    '/../root-evil/secret.txt',
    '/..;/secret.txt',
    'http://localhost/../secret.txt',
    '/links/file-out',
    '/links/file-out-abs',
    '/links/passwd',
    '/links/dir-out/secret.txt',
    '/links/dir-out/',
    '/links/dir-out-abs/secret.txt',
    '/links/nested/deeper/up',
    '/links/loop-a',
    '/links/self',
    '/links/broken',
  ]

  it(`refuses ${hostile.length} hostile targets without ever sending the secret`, async () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30)
    for (const target of hostile) {
      const r = await get(target)
      // `..` clamps at the root as in CPython, so some land on the root (301, or its listing).
      expect([200, 301, 400, 404], `${target} → ${r.statusLine}`).toContain(r.status)
      expect(r.raw, target).not.toContain(SECRET)
      expect(r.raw, target).not.toContain('root:x:0:0')
    }
  })

  it('answers 400 for bad escapes and NUL; invalid or over-long UTF-8 decodes with U+FFFD (404)', async () => {
    for (const target of ['/%zz', '/%', '/a%2', '/%00', '/a%00b']) {
      expect((await get(target)).status, target).toBe(400)
    }
    for (const target of ['/%c0%ae%c0%ae/secret.txt', '/%ff']) {
      expect((await get(target)).status, target).toBe(404)
    }
  })

  it('treats a double-encoded dot as a literal name after one decode', async () => {
    await writeFile(path.join(fx.root, '%2e%2e'), 'a file literally named %2e%2e\n')
    try {
      const r = await get('/%252e%252e')
      expect(r.status).toBe(200)
      expect(r.body.toString()).toBe('a file literally named %2e%2e\n')
    } finally {
      await rm(path.join(fx.root, '%2e%2e'))
    }
  })

  it('resolves harmless .. inside the root as CPython does', async () => {
    expect((await get('/dir/../hello.txt')).body.toString()).toBe('Hello, world!\n')
    expect((await get('/dir/%2e%2e/hello.txt')).body.toString()).toBe('Hello, world!\n')
  })

  it('answers a symlink loop promptly with 404', async () => {
    const r = await get('/links/loop-a')
    expect(r.statusLine).toBe('HTTP/1.0 404 File not found')
  })

  it('serves symlinks that stay inside the root (file, directory, chain)', async () => {
    expect((await get('/links/inside')).body.toString()).toBe('Hello, world!\n')
    expect((await get('/links/chain')).body.toString()).toBe('Hello, world!\n')
    expect((await get('/links/inside-dir/sub/inner.txt')).body.toString()).toBe('inner\n')
    expect((await get('/links/inside-dir')).header('Location')).toBe('/links/inside-dir/')
  })

  it('leaves links that leave the root (or go nowhere) out of listings', async () => {
    const html = (await get('/links/')).body.toString()
    expect(html).toContain('<li><a href="inside">inside@</a></li>')
    expect(html).toContain('<li><a href="inside-dir/">inside-dir@</a></li>')
    expect(html).toContain('<li><a href="chain">chain@</a></li>')
    expect(html).toContain('<li><a href="nested/">nested/</a></li>')
    for (const hidden of ['file-out', 'passwd', 'dir-out', 'loop-a', 'loop-b', 'self', 'broken']) {
      expect(html, hidden).not.toContain(`>${hidden}`)
    }
  })

  it('follows links out of the root only when followSymlinks is on', async () => {
    const s = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: fx.root, followSymlinks: true })))
    try {
      expect((await request(s.port, '/links/file-out')).body.toString()).toBe(SECRET)
      expect((await request(s.port, '/links/dir-out/secret.txt')).body.toString()).toBe(SECRET)
      const html = (await request(s.port, '/links/')).body.toString()
      expect(html).toContain('<a href="file-out">file-out@</a>')
      expect(html).toContain('<a href="dir-out/">dir-out@</a>')
      expect((await request(s.port, '/links/loop-a')).status).toBe(404)
      // URL traversal stays refused whatever the symlink policy.
      expect((await request(s.port, '/../secret.txt')).status).toBe(404)
    } finally {
      await s.close()
    }
  })

  it('refuses everything under a root reached through a symlink that leaves it later', async () => {
    // A directory that is a symlink into the root is a fine root; the file checks use real paths.
    const alias = path.join(fx.base, 'alias')
    await symlink(fx.root, alias)
    const s = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: alias })))
    try {
      expect((await request(s.port, '/hello.txt')).status).toBe(200)
      expect((await request(s.port, '/links/file-out')).status).toBe(404)
    } finally {
      await s.close()
      await rm(alias)
    }
  })
})

describe('conditional requests', () => {
  let lastModified: string
  let etag: string
  beforeAll(async () => {
    const r = await get('/hello.txt')
    lastModified = r.header('Last-Modified') as string
    etag = r.header('ETag') as string
  })

  it('If-Modified-Since at or after Last-Modified → 304 with only Server, Date and ETag', async () => {
    const r = await get('/hello.txt', { 'If-Modified-Since': lastModified })
    expect(r.statusLine).toBe('HTTP/1.0 304 Not Modified')
    expect(names(r)).toEqual(['Server', 'Date', 'ETag'])
    expect(r.header('ETag')).toBe(etag)
    expect(r.body.length).toBe(0)
    const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString()
    expect((await get('/hello.txt', { 'If-Modified-Since': later })).status).toBe(304)
    expect((await head('/hello.txt', { 'If-Modified-Since': later })).status).toBe(304)
  })

  it('If-Modified-Since before Last-Modified, unparsable, or not UTC → 200 (CPython)', async () => {
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString()
    const future = new Date(Date.parse(lastModified) + 86_400_000)
    const offset = future.toUTCString().replace('GMT', '+0100')
    for (const value of [earlier, 'garbage', 'Sun, 32 Nov 2026 08:49:37 GMT', offset]) {
      expect((await get('/hello.txt', { 'If-Modified-Since': value })).status, value).toBe(200)
    }
  })

  it('accepts the other date forms CPython accepts (no zone means UTC; RFC 850; asctime)', async () => {
    const d = new Date(Date.parse(lastModified) + 86_400_000)
    const [wd, dd, mon, yyyy, time] = d.toUTCString().split(' ') as [string, string, string, string, string]
    for (const value of [
      `${wd} ${dd} ${mon} ${yyyy} ${time}`,
      d.toUTCString().replace('GMT', '-0000'),
      `Sunday, ${dd}-${mon}-${yyyy.slice(2)} ${time} GMT`,
      `${wd} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${yyyy}`,
    ]) {
      expect((await get('/hello.txt', { 'If-Modified-Since': value })).status, value).toBe(304)
    }
  })

  it('If-None-Match with the ETag, *, a list or a weak form → 304', async () => {
    for (const value of [etag, '*', `"nope", ${etag}`, `W/${etag}`, ` "a" ,W/"b",${etag} `]) {
      const r = await get('/hello.txt', { 'If-None-Match': value })
      expect(r.status, value).toBe(304)
      expect(r.header('ETag')).toBe(etag)
    }
  })

  it('If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2)', async () => {
    const r = await get('/hello.txt', { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('Hello, world!\n')
  })

  it('If-Match and If-Unmodified-Since fail with 412', async () => {
    expect((await get('/hello.txt', { 'If-Match': '"other"' })).status).toBe(412)
    expect((await get('/hello.txt', { 'If-Match': `W/${etag}` })).status).toBe(412)
    expect((await get('/hello.txt', { 'If-Match': etag })).status).toBe(200)
    expect((await get('/hello.txt', { 'If-Match': '*' })).status).toBe(200)
    expect((await get('/hello.txt', { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status).toBe(412)
    expect((await get('/hello.txt', { 'If-Unmodified-Since': lastModified })).status).toBe(200)
  })
})

describe('ranges (RFC 9110 §14)', () => {
  const range = (value: string, extra: Record<string, string> = {}) => get('/digits.txt', { Range: value, ...extra })

  it('serves one range with 206 and Content-Range', async () => {
    const r = await range('bytes=2-5')
    expect(r.statusLine).toBe('HTTP/1.0 206 Partial Content')
    expect(names(r)).toEqual([
      'Server', 'Date', 'Content-type', 'Content-Length', 'Last-Modified', 'Content-Range', 'Accept-Ranges', 'ETag',
    ])
    expect(r.header('Content-Range')).toBe('bytes 2-5/10')
    expect(r.header('Content-Length')).toBe('4')
    expect(r.body.toString()).toBe('2345')
  })

  it('serves suffix, open and clamped ranges', async () => {
    expect((await range('bytes=-3')).body.toString()).toBe('789')
    expect((await range('bytes=-30')).body.toString()).toBe('0123456789')
    expect((await range('bytes=7-')).body.toString()).toBe('789')
    const clamped = await range('bytes=8-100')
    expect(clamped.header('Content-Range')).toBe('bytes 8-9/10')
    expect(clamped.body.toString()).toBe('89')
    expect((await range('BYTES = 0-0')).body.toString()).toBe('0')
  })

  it('serves several ranges as multipart/byteranges', async () => {
    const r = await range('bytes=0-1, 5-6,-1')
    expect(r.status).toBe(206)
    expect(r.header('Content-type')).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]+$/)
    expect(r.header('Content-Range')).toBeUndefined()
    expect(Number(r.header('Content-Length'))).toBe(r.body.length)
    const parts = parseMultipart(r)
    expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 0-1/10', 'bytes 5-6/10', 'bytes 9-9/10'])
    expect(parts.map((p) => p.headers['content-type'])).toEqual(['text/plain', 'text/plain', 'text/plain'])
    expect(parts.map((p) => p.body.toString())).toEqual(['01', '56', '9'])
  })

  it('serves ranges and multipart from a streamed file', async () => {
    const one = await get('/big.bin', { Range: 'bytes=1000000-1999999' })
    expect(one.status).toBe(206)
    expect(one.body.equals(fx.big.subarray(1_000_000, 2_000_000))).toBe(true)
    const multi = await get('/big.bin', { Range: 'bytes=0-9,1048576-1048585,-10' })
    const parts = parseMultipart(multi)
    expect(Number(multi.header('Content-Length'))).toBe(multi.body.length)
    expect(parts[0]?.body.equals(fx.big.subarray(0, 10))).toBe(true)
    expect(parts[1]?.body.equals(fx.big.subarray(1048576, 1048586))).toBe(true)
    expect(parts[2]?.body.equals(fx.big.subarray(fx.big.length - 10))).toBe(true)
  })

  it('coalesces overlapping ranges', async () => {
    const r = await range('bytes=0-3,2-5')
    expect(r.status).toBe(206)
    expect(r.header('Content-Range')).toBe('bytes 0-5/10')
    expect(r.body.toString()).toBe('012345')
  })

  it('refuses amplification: overlapping ranges adding up past the size, or too many ranges → 200 full', async () => {
    const r = await get('/big.bin', { Range: `bytes=${Array(50).fill('0-').join(',')}` })
    expect(r.status).toBe(200)
    expect(r.body.length).toBe(fx.big.length)
    const many = await range(`bytes=${Array.from({ length: 17 }, (_, i) => `${i % 10}-${i % 10}`).join(',')}`)
    expect(many.status).toBe(200)
    expect(many.body.toString()).toBe('0123456789')
  })

  it('answers 416 with Content-Range: bytes */size when nothing is satisfiable', async () => {
    for (const value of ['bytes=10-', 'bytes=100-200', 'bytes=-0', 'bytes=20-30,40-']) {
      const r = await range(value)
      expect(r.statusLine, value).toBe('HTTP/1.0 416 Range Not Satisfiable')
      expect(r.header('Content-Range')).toBe('bytes */10')
      expect(r.body.length).toBe(0)
    }
    expect((await get('/empty.txt', { Range: 'bytes=0-' })).status).toBe(416)
  })

  it('ignores invalid Range syntax and other units (200)', async () => {
    for (const value of ['bytes=5-2', 'bytes=abc', 'bytes=1-2-3', 'items=0-1', 'bytes', 'bytes=', 'bytes=--1', 'bytes=0x1-2']) {
      const r = await range(value)
      expect(r.status, value).toBe(200)
      expect(r.body.toString()).toBe('0123456789')
    }
  })

  it('ignores Range on HEAD (only GET has ranges)', async () => {
    const r = await head('/digits.txt', { Range: 'bytes=0-1' })
    expect(r.status).toBe(200)
    expect(r.header('Content-Length')).toBe('10')
    expect(r.body.length).toBe(0)
  })

  it('If-Range: matching ETag → 206; other or weak ETag → 200', async () => {
    const etag = (await get('/digits.txt')).header('ETag') as string
    expect((await range('bytes=0-0', { 'If-Range': etag })).status).toBe(206)
    expect((await range('bytes=0-0', { 'If-Range': '"stale"' })).status).toBe(200)
    expect((await range('bytes=0-0', { 'If-Range': `W/${etag}` })).status).toBe(200)
  })

  it('If-Range: exactly Last-Modified (a strong date) → 206; another date → 200', async () => {
    const file = path.join(fx.root, 'old.txt')
    await writeFile(file, 'abcdef')
    const then = new Date('2020-01-02T03:04:05Z')
    await utimes(file, then, then)
    expect((await get('/old.txt', { Range: 'bytes=1-2', 'If-Range': then.toUTCString() })).body.toString()).toBe('bc')
    const other = new Date('2020-01-02T03:04:06Z').toUTCString()
    const r = await get('/old.txt', { Range: 'bytes=1-2', 'If-Range': other })
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('abcdef')
    expect((await get('/old.txt', { Range: 'bytes=1-2', 'If-Range': 'garbage' })).status).toBe(200)
  })
})

describe('precompressed siblings', () => {
  let pre: RunningServer
  beforeAll(async () => {
    pre = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: fx.root, precompressed: true })))
  })
  afterAll(() => pre.close())
  const fetchPre = (target: string, acceptEncoding?: string, extra: Record<string, string> = {}) =>
    request(pre.port, target, { headers: acceptEncoding === undefined ? extra : { 'Accept-Encoding': acceptEncoding, ...extra } })

  it('sends file.br when br is accepted, with the original type and the sibling length', async () => {
    const r = await fetchPre('/app.js', 'gzip, deflate, br')
    expect(r.status).toBe(200)
    expect(names(r)).toEqual([
      'Server', 'Date', 'Content-type', 'Content-Length', 'Last-Modified', 'Accept-Ranges', 'ETag', 'Vary', 'Content-Encoding',
    ])
    expect(r.header('Content-type')).toBe('text/javascript')
    expect(r.header('Content-Encoding')).toBe('br')
    expect(r.header('Vary')).toBe('Accept-Encoding')
    const br = (await stat(path.join(fx.root, 'app.js.br'))).size
    expect(r.header('Content-Length')).toBe(String(br))
    expect(r.body.length).toBe(br)
  })

  it('honours q-values and prefers br on a tie', async () => {
    const cases: [string | undefined, string | undefined][] = [
      ['gzip', 'gzip'],
      ['br;q=0.5, gzip;q=0.8', 'gzip'],
      ['gzip;q=0.5, br;q=0.5', 'br'],
      ['br;q=0, gzip', 'gzip'],
      ['*', 'br'],
      ['*;q=0.1, br;q=0', 'gzip'],
      ['x-gzip', 'gzip'],
      ['identity', undefined],
      ['br;q=0, gzip;q=0', undefined],
      [undefined, undefined],
    ]
    for (const [accept, encoding] of cases) {
      const r = await fetchPre('/app.js', accept)
      expect(r.header('Content-Encoding'), String(accept)).toBe(encoding)
      expect(r.header('Vary'), String(accept)).toBe('Accept-Encoding')
    }
  })

  it('sends Vary even when the plain file is chosen, and none for files without siblings', async () => {
    expect((await fetchPre('/style.css', 'br')).header('Vary')).toBe('Accept-Encoding')
    expect((await fetchPre('/style.css', 'br')).header('Content-Encoding')).toBeUndefined()
    expect((await fetchPre('/style.css', 'gzip')).header('Content-Encoding')).toBe('gzip')
    expect((await fetchPre('/hello.txt', 'gzip, br')).header('Vary')).toBeUndefined()
  })

  it('gives each encoding its own ETag, and 304 only for the matching one', async () => {
    const br = await fetchPre('/app.js', 'br')
    const gz = await fetchPre('/app.js', 'gzip')
    const plain = await fetchPre('/app.js')
    const tags = [br.header('ETag'), gz.header('ETag'), plain.header('ETag')]
    expect(new Set(tags).size).toBe(3)
    const nm = await fetchPre('/app.js', 'br', { 'If-None-Match': br.header('ETag') as string })
    expect(nm.status).toBe(304)
    expect(nm.header('Vary')).toBe('Accept-Encoding')
    expect((await fetchPre('/app.js', 'gzip', { 'If-None-Match': br.header('ETag') as string })).status).toBe(200)
  })

  it('serves a .gz requested by name as application/gzip, and nothing compressed when the option is off', async () => {
    const r = await fetchPre('/app.js.gz', 'gzip')
    expect(r.header('Content-type')).toBe('application/gzip')
    expect(r.header('Content-Encoding')).toBeUndefined()
    const off = await get('/app.js', { 'Accept-Encoding': 'br, gzip' })
    expect(off.header('Content-Encoding')).toBeUndefined()
    expect(off.header('Vary')).toBeUndefined()
    expect(off.body.toString()).toBe('console.log("plain")\n')
  })
})

describe('files that change', () => {
  afterEach(() => {
    cacheTuning.racyWindowMs = 2000
  })

  it('never serves stale content from the cache after a rewrite (new content and length)', async () => {
    cacheTuning.racyWindowMs = 0
    const file = path.join(fx.root, 'changing.txt')
    await writeFile(file, 'version one')
    const first = await get('/changing.txt')
    expect(first.body.toString()).toBe('version one')
    expect(fileCache.bytes).toBeGreaterThan(0)
    // Served again from memory...
    expect((await get('/changing.txt')).body.toString()).toBe('version one')
    // ...until the file changes.
    await writeFile(file, 'version two, longer')
    const second = await get('/changing.txt')
    expect(second.header('Content-Length')).toBe('19')
    expect(second.body.toString()).toBe('version two, longer')
    expect(second.header('ETag')).not.toBe(first.header('ETag'))
  })

  it('never serves stale content after a same-length rewrite (recent files are not cached)', async () => {
    const file = path.join(fx.root, 'same-length.txt')
    await writeFile(file, 'AAAA')
    expect((await get('/same-length.txt')).body.toString()).toBe('AAAA')
    await writeFile(file, 'BBBB')
    expect((await get('/same-length.txt')).body.toString()).toBe('BBBB')
    await writeFile(file, 'CCCC')
    expect((await get('/same-length.txt')).body.toString()).toBe('CCCC')
  })

  it('cuts the connection when a file shrinks while being sent (never fewer bytes as if complete)', async () => {
    const file = path.join(fx.root, 'shrinking.bin')
    await writeFile(file, Buffer.alloc(32 * 1024 * 1024, 0x61))
    const { announced, received } = await readSlowly(server.port, '/shrinking.bin', () => truncate(file, 1024))
    expect(announced).toBe(32 * 1024 * 1024)
    expect(received).toBeLessThan(announced)
    expect(logs.lines.join('')).toContain('while being sent')
    await rm(file)
  })

  it('sends exactly the announced length when a file grows while being sent', async () => {
    const file = path.join(fx.root, 'growing.bin')
    await writeFile(file, Buffer.alloc(16 * 1024 * 1024, 0x61))
    const { announced, received } = await readSlowly(server.port, '/growing.bin', () =>
      appendFile(file, Buffer.alloc(1024 * 1024, 0x62)),
    )
    expect(announced).toBe(16 * 1024 * 1024)
    expect(received).toBe(announced)
    await rm(file)
  })
})

describe('options and subclassing', () => {
  it('appends extraHeaders after CPython headers on 200, 206, 301, 304 and listings', async () => {
    const extra: [string, string][] = [['Cache-Control', 'no-cache'], ['X-Frame-Options', 'DENY']]
    const s = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: fx.root, extraHeaders: extra })))
    try {
      const ok = await request(s.port, '/hello.txt')
      expect(names(ok).slice(-2)).toEqual(['Cache-Control', 'X-Frame-Options'])
      expect(names(ok).slice(0, 5)).toEqual(['Server', 'Date', 'Content-type', 'Content-Length', 'Last-Modified'])
      const etag = ok.header('ETag') as string
      expect(names(await request(s.port, '/hello.txt', { headers: { 'If-None-Match': etag } })).slice(-2)).toEqual(['Cache-Control', 'X-Frame-Options'])
      expect(names(await request(s.port, '/hello.txt', { headers: { Range: 'bytes=0-0' } })).slice(-2)).toEqual(['Cache-Control', 'X-Frame-Options'])
      expect(names(await request(s.port, '/dir')).slice(-2)).toEqual(['Cache-Control', 'X-Frame-Options'])
      expect(names(await request(s.port, '/dir/')).slice(-2)).toEqual(['Cache-Control', 'X-Frame-Options'])
    } finally {
      await s.close()
    }
  })

  it('withOptions checks options and resolves a relative directory now', () => {
    const bad = [{ dotfiles: 'yes' }, { extraHeaders: [['Bad Name', 'x']] }, { extraHeaders: [['X', 'a\r\nb']] }, { directory: '' }, { indexPages: ['../x'] }]
    for (const options of bad) {
      expect(() => SimpleHTTPRequestHandler.withOptions(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }),
      )
    }
    const Handler = SimpleHTTPRequestHandler.withOptions({ directory: 'relative/dir' })
    const instance = new Handler(new net.Socket(), ['127.0.0.1', 1], {})
    expect(instance.directory).toBe(path.resolve('relative/dir'))
    expect(instance.serverVersion).toBe('SimpleHTTP/0.6')
    expect(instance.indexPages).toEqual(['index.html', 'index.htm'])
    expect(Handler.name).toBe('SimpleHTTPRequestHandler')
  })

  it('defaults directory to the current directory, like CPython', () => {
    const instance = new SimpleHTTPRequestHandler(new net.Socket(), ['127.0.0.1', 1], {})
    expect(instance.directory).toBe(process.cwd())
    expect(instance.translatePath('/a/./b/../c%20d?q#f')).toBe(path.join(process.cwd(), 'a', 'c d'))
    expect(instance.translatePath('/../../etc/passwd')).toBe(path.join(process.cwd(), 'etc', 'passwd'))
    expect(instance.translatePath('/dir/')).toBe(path.join(process.cwd(), 'dir') + '/')
    expect(instance.guessType('x.tar.gz')).toBe('application/gzip')
    expect(instance.guessType('X.Z')).toBe('application/octet-stream')
    expect(instance.guessType('x.bz2')).toBe('application/x-bzip2')
    expect(instance.guessType('x.XZ')).toBe('application/x-xz')
    expect(instance.guessType('x.unknownext')).toBe('application/octet-stream')
  })

  it('honours subclass fields and overrides: directory, indexPages, extensionsMap, translatePath, guessType, listDirectory', async () => {
    const root = fx.root
    class Custom extends SimpleHTTPRequestHandler {
      override directory = root
      override logStream = logs
      override indexPages = ['hello.txt']
      override extensionsMap = { ...EXTENSIONS_MAP, '.txt': 'text/x-custom' }
    }
    const s1 = await startHandler(Custom)
    try {
      const r = await request(s1.port, '/')
      expect(r.body.toString()).toBe('Hello, world!\n')
      expect(r.header('Content-type')).toBe('text/x-custom')
    } finally {
      await s1.close()
    }
    class Mapped extends SimpleHTTPRequestHandler {
      override directory = root
      override logStream = logs
      override translatePath(p: string): string {
        return super.translatePath(p.replace(/^\/files/, '/dir'))
      }
      override guessType(p: string): string {
        return p.endsWith('.txt') ? 'text/plain; charset=utf-8' : super.guessType(p)
      }
      override async listDirectory(p: string): Promise<ResponseBody | undefined> {
        const body = await super.listDirectory(p)
        this.logMessage('listed %s', path.relative(root, p))
        return body
      }
    }
    const s2 = await startHandler(Mapped)
    try {
      const r = await request(s2.port, '/files/sub/inner.txt')
      expect(r.body.toString()).toBe('inner\n')
      expect(r.header('Content-type')).toBe('text/plain; charset=utf-8')
      expect((await request(s2.port, '/files/sub/')).status).toBe(200)
      expect(logs.lines.join('')).toContain('listed dir/sub')
      // The overridden translatePath still cannot leave the root.
      expect((await request(s2.port, '/files/../../secret.txt')).status).toBe(404)
    } finally {
      await s2.close()
    }
  })

  it('works as HTTP/1.1 with keep-alive: several responses on one connection', async () => {
    class KeepAlive extends SimpleHTTPRequestHandler {
      override protocolVersion = 'HTTP/1.1'
      override directory = fx.root
      override logStream = logs
    }
    const s = await startHandler(KeepAlive)
    try {
      const client = await RawClient.connect(s.port)
      await client.send(
        'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /digits.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\nHEAD /dir/ HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n',
      )
      await client.untilClosed()
      const { responses, partial, error, rest } = readResponses(client.data, { methods: ['GET', 'GET', 'HEAD', 'GET'], closed: true })
      expect(responses.map((r) => r.statusLine)).toEqual([
        'HTTP/1.1 200 OK',
        'HTTP/1.1 206 Partial Content',
        'HTTP/1.1 200 OK',
        'HTTP/1.1 404 File not found',
      ])
      expect(responses.slice(0, 3).map((r) => r.body.toString('latin1'))).toEqual(['Hello, world!\n', '01', ''])
      expect([partial, error, rest.length]).toEqual([undefined, undefined, 0])
    } finally {
      await s.close()
    }
  })
})

describe('file handles', () => {
  it('closes what it opens (HEAD, 304 and cut responses included)', async () => {
    const before = await openDescriptors()
    for (let i = 0; i < 20; i++) {
      await get('/big.bin', { Range: 'bytes=0-0' })
      await head('/big.bin')
      await get('/big.bin', { 'If-None-Match': '*' })
    }
    const after = await openDescriptors()
    if (before !== undefined && after !== undefined) expect(after).toBeLessThanOrEqual(before + 2)
  })
})

async function openDescriptors(): Promise<number | undefined> {
  try {
    return (await readdir('/proc/self/fd')).length
  } catch {
    return undefined
  }
}
