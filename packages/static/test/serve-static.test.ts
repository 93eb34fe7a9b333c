/**
 * serveStatic(): serve-static 2.x's contract on our core, tested the way serve-static tests
 * itself: a real node:http server whose `next` plays finalhandler (status from `err.status`, else
 * 404 "sorry!"), and a real Express 5 app; one test per option and per behaviour.
 */
import type { Stats } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { mkdtemp, rm, truncate, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import express, { type ErrorRequestHandler } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type NotServedError, type ServeStaticOptions } from '../src/index.js'
import {
  SECRET,
  makeFixture,
  parseMultipart,
  readSlowly,
  request,
  startHTTP,
  type Fixture,
  type RawResponse,
  type RunningServer,
} from './helpers.js'

let fx: Fixture

beforeAll(async () => {
  fx = await makeFixture()
})

afterAll(async () => {
  await fx.cleanup()
})

type Before = (req: IncomingMessage, res: ServerResponse) => void

/**
 * serve-static's test server: the middleware, then a `next` that answers `err.status` (with the
 * error's code and message) or 404 `sorry!` when the request was passed on.
 */
async function withServer(
  options: ServeStaticOptions | undefined,
  run: (get: (target: string, headers?: Record<string, string>, method?: string) => Promise<RawResponse>) => Promise<void>,
  before?: Before,
  root = fx.root,
): Promise<void> {
  const middleware = serveStatic(root, options)
  const server = await startHTTP((req, res) => {
    before?.(req, res)
    middleware(req, res, (err?: unknown) => {
      const error = err as Partial<NotServedError> | undefined
      res.statusCode = error ? (error.status ?? 500) : 404
      for (const [name, value] of Object.entries(error?.headers ?? {})) res.setHeader(name, value)
      res.end(error ? `next(err): ${String(error.status)} ${String(error.code)} ${String(error.message)}` : 'sorry!')
    })
  })
  try {
    await run((target, headers = {}, method = 'GET') => request(server.port, target, { headers, method, version: 'HTTP/1.1' }))
  } finally {
    await server.close()
  }
}

describe('serveStatic: options are checked as serve-static checks them', () => {
  it('requires a root path, as a string', () => {
    expect(() => serveStatic(undefined as unknown as string)).toThrow(new TypeError('root path required'))
    expect(() => serveStatic('')).toThrow(new TypeError('root path required'))
    expect(() => serveStatic(42 as unknown as string)).toThrow(new TypeError('root path must be a string'))
  })

  it('requires setHeaders to be a function', () => {
    expect(() => serveStatic(fx.root, { setHeaders: 'x' as never })).toThrow(new TypeError('option setHeaders must be function'))
    expect(() => serveStatic(fx.root, { setHeaders: null as never })).not.toThrow()
  })

  it('checks dotfiles, index and extensions as send does', () => {
    expect(() => serveStatic(fx.root, { dotfiles: 'hide' as never })).toThrow(new TypeError('dotfiles option must be "allow", "deny", or "ignore"'))
    expect(() => serveStatic(fx.root, { index: 42 as never })).toThrow(new TypeError('index option must be array of strings or false'))
    expect(() => serveStatic(fx.root, { extensions: [1] as never })).toThrow(new TypeError('extensions option must be array of strings or false'))
  })

  it('checks our own options with SH_ERR_STATIC_INVALID_OPTION', () => {
    const invalid = expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }) as unknown
    expect(() => serveStatic(fx.root, { precompressed: 1 as never })).toThrow(invalid)
    expect(() => serveStatic(fx.root, { followSymlinks: 'yes' as never })).toThrow(invalid)
    expect(() => serveStatic(fx.root, { extraHeaders: [['Bad Name', 'x']] })).toThrow(invalid)
    expect(() => serveStatic(fx.root, { index: '../index.html' })).toThrow(invalid)
  })
})

describe('serveStatic: what a serve-static user sees', () => {
  it('serves a file with serve-static’s headers: Cache-Control public, max-age=0 and a charset', async () => {
    await withServer(undefined, async (get) => {
      const r = await get('/hello.txt')
      expect(r.status).toBe(200)
      expect(r.header('Content-Type')).toBe('text/plain; charset=utf-8')
      expect(r.header('Cache-Control')).toBe('public, max-age=0')
      expect(r.header('Accept-Ranges')).toBe('bytes')
      expect(r.header('Content-Length')).toBe('14')
      expect(r.header('ETag')).toMatch(/^"[^"]+"$/)
      expect(r.header('Last-Modified')).toMatch(/ GMT$/)
      expect(r.body.toString()).toBe('Hello, world!\n')
    })
  })

  it('gives text types charset=utf-8 and others none', async () => {
    await withServer(undefined, async (get) => {
      expect((await get('/page.html')).header('Content-Type')).toBe('text/html; charset=utf-8')
      expect((await get('/app.js')).header('Content-Type')).toBe('text/javascript; charset=utf-8')
      expect((await get('/data.JSON')).header('Content-Type')).toBe('application/json; charset=utf-8')
      expect((await get('/big.bin', {}, 'HEAD')).header('Content-Type')).toBe('application/octet-stream')
      expect((await get('/noext')).header('Content-Type')).toBe('application/octet-stream')
    })
  })

  it('HEAD: the same head, no body', async () => {
    await withServer(undefined, async (get) => {
      const r = await get('/hello.txt', {}, 'HEAD')
      expect(r.status).toBe(200)
      expect(r.header('Content-Length')).toBe('14')
      expect(r.body.length).toBe(0)
    })
  })

  it('answers conditionals from the same core, with Cache-Control on the 304', async () => {
    await withServer(undefined, async (get) => {
      const first = await get('/hello.txt')
      const notModified = await get('/hello.txt', { 'If-None-Match': first.header('ETag') as string })
      expect(notModified.status).toBe(304)
      expect(notModified.header('Cache-Control')).toBe('public, max-age=0')
      expect(notModified.header('ETag')).toBe(first.header('ETag'))
      expect((await get('/hello.txt', { 'If-Modified-Since': first.header('Last-Modified') as string })).status).toBe(304)
    })
  })

  it('serves single and multipart ranges (serve-static sends the whole file for several)', async () => {
    await withServer(undefined, async (get) => {
      const one = await get('/digits.txt', { Range: 'bytes=-4' })
      expect(one.status).toBe(206)
      expect(one.header('Content-Range')).toBe('bytes 6-9/10')
      expect(one.body.toString()).toBe('6789')
      const multi = await get('/big.bin', { Range: 'bytes=0-3,100000-100003' })
      expect(multi.status).toBe(206)
      const parts = parseMultipart(multi)
      expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 0-3/2097152', 'bytes 100000-100003/2097152'])
      expect(parts[1]?.body.equals(fx.big.subarray(100000, 100004))).toBe(true)
    })
  })

  it('streams large files whole', async () => {
    await withServer(undefined, async (get) => {
      const r = await get('/big.bin')
      expect(r.header('Content-Length')).toBe(String(fx.big.length))
      expect(r.body.equals(fx.big)).toBe(true)
    })
  })

  it('cuts the response when a file shrinks while being sent', async () => {
    const file = path.join(fx.root, 'shrinking-serve-static.bin')
    await writeFile(file, Buffer.alloc(32 * 1024 * 1024, 0x61))
    const server = await startHTTP(serveStatic(fx.root))
    try {
      const { announced, received } = await readSlowly(server.port, '/shrinking-serve-static.bin', () => truncate(file, 10))
      expect(announced).toBe(32 * 1024 * 1024)
      expect(received).toBeLessThan(announced)
    } finally {
      await server.close()
    }
  })
})

describe('serveStatic: each serve-static option', () => {
  it('acceptRanges: false drops Accept-Ranges and ignores Range', async () => {
    await withServer({ acceptRanges: false }, async (get) => {
      const r = await get('/digits.txt', { Range: 'bytes=0-1' })
      expect(r.status).toBe(200)
      expect(r.header('Accept-Ranges')).toBeUndefined()
      expect(r.body.toString()).toBe('0123456789')
    })
  })

  it('cacheControl: false sends no Cache-Control, even with maxAge', async () => {
    await withServer({ cacheControl: false, maxAge: 60_000 }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBeUndefined()
    })
  })

  it('maxAge: milliseconds become seconds', async () => {
    await withServer({ maxAge: 61_500 }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=61')
    })
  })

  it('maxAge: ms-style strings, capped at a year, unreadable ones count as 0', async () => {
    await withServer({ maxAge: '1d' }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=86400')
    })
    await withServer({ maxAge: '2 hours' }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=7200')
    })
    await withServer({ maxage: '10y' }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=31536000')
    })
    await withServer({ maxAge: 'soon' }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=0')
    })
  })

  it('immutable adds the directive', async () => {
    await withServer({ maxAge: '1y', immutable: true }, async (get) => {
      expect((await get('/hello.txt')).header('Cache-Control')).toBe('public, max-age=31536000, immutable')
    })
  })

  it('etag: false sends no ETag and If-None-Match cannot match', async () => {
    const etag = await new Promise<string>((resolve, reject) => {
      withServer(undefined, async (get) => {
        resolve((await get('/hello.txt')).header('ETag') as string)
      }).catch(reject)
    })
    await withServer({ etag: false }, async (get) => {
      const r = await get('/hello.txt', { 'If-None-Match': etag })
      expect(r.status).toBe(200)
      expect(r.header('ETag')).toBeUndefined()
    })
  })

  it('lastModified: false sends no Last-Modified and If-Modified-Since is ignored', async () => {
    await withServer({ lastModified: false }, async (get) => {
      const r = await get('/hello.txt', { 'If-Modified-Since': new Date(Date.now() + 3600_000).toUTCString() })
      expect(r.status).toBe(200)
      expect(r.header('Last-Modified')).toBeUndefined()
    })
  })

  it('dotfiles: ignore (the default) passes dotfiles on as not found', async () => {
    await withServer(undefined, async (get) => {
      for (const target of ['/.env', '/.git/config']) {
        const r = await get(target)
        expect(r.body.toString(), target).toBe('sorry!')
      }
    })
    await withServer({ fallthrough: false }, async (get) => {
      expect((await get('/.env')).status).toBe(404)
    })
  })

  it('dotfiles: deny answers 403', async () => {
    await withServer({ dotfiles: 'deny', fallthrough: false }, async (get) => {
      const r = await get('/.env')
      expect(r.status).toBe(403)
      expect(r.body.toString()).toBe('next(err): 403 SH_ERR_STATIC_NOT_SERVED Forbidden')
      expect((await get('/.git/config')).status).toBe(403)
    })
  })

  it('dotfiles: allow serves them', async () => {
    await withServer({ dotfiles: 'allow' }, async (get) => {
      expect((await get('/.env')).body.toString()).toBe('SECRET_TOKEN=1\n')
      expect((await get('/.git/config')).body.toString()).toBe('[core]\n')
    })
  })

  it('extensions: a missing name without an extension finds name.ext, in order', async () => {
    await withServer({ extensions: ['html', 'txt'] }, async (get) => {
      const page = await get('/page')
      expect(page.status).toBe(200)
      expect(page.header('Content-Type')).toBe('text/html; charset=utf-8')
      expect(page.body.toString()).toBe('<p>page</p>\n')
      expect((await get('/hello')).body.toString()).toBe('Hello, world!\n')
      expect((await get('/page.html')).status).toBe(200)
      expect((await get('/missing')).body.toString()).toBe('sorry!')
      // Only for names without an extension, and not for directory URLs.
      expect((await get('/hello.x')).body.toString()).toBe('sorry!')
      expect((await get('/page/')).body.toString()).toBe('sorry!')
    })
  })

  it('extensions never lead outside the root', async () => {
    await withServer({ extensions: ['txt'] }, async (get) => {
      for (const target of ['/../secret', '/links/../../secret', '/%2e%2e/secret']) {
        expect((await get(target)).raw, target).not.toContain(SECRET)
      }
    })
  })

  it('fallthrough: true (the default) passes on missing files, other methods and bad paths', async () => {
    await withServer(undefined, async (get) => {
      expect((await get('/missing.txt')).body.toString()).toBe('sorry!')
      expect((await get('/hello.txt', {}, 'POST')).body.toString()).toBe('sorry!')
      expect((await get('/%zz')).body.toString()).toBe('sorry!')
      expect((await get('/../secret.txt')).body.toString()).toBe('sorry!')
      // a directory without an index page
      expect((await get('/small/')).body.toString()).toBe('sorry!')
    })
  })

  it('fallthrough: false hands errors to next(err) with err.status', async () => {
    await withServer({ fallthrough: false }, async (get) => {
      expect((await get('/missing.txt')).body.toString()).toBe('next(err): 404 SH_ERR_STATIC_NOT_SERVED Not Found')
      expect((await get('/%zz')).body.toString()).toBe('next(err): 400 SH_ERR_STATIC_NOT_SERVED Bad Request')
      expect((await get('/%00')).status).toBe(400)
      expect((await get('/../secret.txt')).body.toString()).toBe('next(err): 403 SH_ERR_STATIC_NOT_SERVED Forbidden')
      expect((await get('/a/../../secret.txt')).status).toBe(403)
      expect((await get('/small/')).status).toBe(404)
    })
  })

  it('fallthrough: false answers other methods itself with 405 and Allow, as serve-static does', async () => {
    await withServer({ fallthrough: false }, async (get) => {
      const r = await get('/hello.txt', {}, 'POST')
      expect(r.status).toBe(405)
      expect(r.header('Allow')).toBe('GET, HEAD')
      expect(r.header('Content-Length')).toBe('0')
    })
  })

  it('forwards a 412 and a 416 to next(err) whatever fallthrough says: the file was found', async () => {
    await withServer(undefined, async (get) => {
      expect((await get('/hello.txt', { 'If-Match': '"nope"' })).status).toBe(412)
      const r = await get('/digits.txt', { Range: 'bytes=50-' })
      expect(r.status).toBe(416)
      expect(r.header('Content-Range')).toBe('bytes */10')
    })
  })

  it('index: index.html by default, and only it (CPython also tries index.htm)', async () => {
    await withServer(undefined, async (get) => {
      expect((await get('/withindex/')).body.toString()).toBe('<p>index.html</p>\n')
      expect((await get('/withhtm/')).body.toString()).toBe('sorry!')
    })
  })

  it('index: a string or a list of names, tried in order', async () => {
    await withServer({ index: 'index.htm' }, async (get) => {
      expect((await get('/withindex/')).body.toString()).toBe('<p>index.htm</p>\n')
    })
    await withServer({ index: ['nothing.html', 'index.htm'] }, async (get) => {
      expect((await get('/withhtm/')).body.toString()).toBe('<p>index.htm</p>\n')
    })
  })

  it('index: false serves no index page', async () => {
    await withServer({ index: false }, async (get) => {
      expect((await get('/withindex/')).body.toString()).toBe('sorry!')
    })
  })

  it('redirect: a directory URL without its slash gets serve-static’s 301', async () => {
    await withServer(undefined, async (get) => {
      const r = await get('/withindex?a=1')
      expect(r.status).toBe(301)
      expect(r.header('Location')).toBe('/withindex/?a=1')
      expect(r.header('Content-Type')).toBe('text/html; charset=UTF-8')
      expect(r.header('Content-Security-Policy')).toBe("default-src 'none'")
      expect(r.header('X-Content-Type-Options')).toBe('nosniff')
      const body =
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Redirecting</title>\n</head>\n' +
        '<body>\n<pre>Redirecting to /withindex/?a=1</pre>\n</body>\n</html>\n'
      expect(r.body.toString()).toBe(body)
      expect(r.header('Content-Length')).toBe(String(Buffer.byteLength(body)))
      // a directory without an index page is redirected too, as serve-static does
      expect((await get('/small')).status).toBe(301)
      // never an open redirect
      expect((await get('//evil.com')).header('Location')).toBe('/evil.com/')
    })
  })

  it('redirect: the Location and the page carry the query percent-encoded, as serve-static’s do (CVE-2024-43800)', async () => {
    await withServer(undefined, async (get) => {
      const r = await get('/withindex?q="><script>alert(1)</script>&ok=%41%zz')
      expect(r.status).toBe(301)
      // `"`, `<`, `>` encoded; the valid escape %41 kept, the stray % encoded
      expect(r.header('Location')).toBe('/withindex/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&ok=%41%25zz')
      expect(r.body.toString()).toContain('Redirecting to /withindex/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&amp;ok=%41%25zz</pre>')
      expect(r.body.toString()).not.toContain('<script')
    })
  })

  it('redirect: false answers a directory URL without its slash as not found', async () => {
    await withServer({ redirect: false, fallthrough: false }, async (get) => {
      expect((await get('/withindex')).status).toBe(404)
    })
  })

  it('setHeaders(res, path, stat) runs before the defaults, which do not replace its headers', async () => {
    const calls: { path: string; stat: Stats }[] = []
    const setHeaders = (res: ServerResponse, file: string, stat: Stats): void => {
      calls.push({ path: file, stat })
      res.setHeader('X-Served-By', 'setHeaders')
      res.setHeader('Cache-Control', 'no-store')
      if (file.endsWith('.txt')) res.setHeader('Content-Type', 'text/x-custom')
    }
    await withServer({ setHeaders }, async (get) => {
      const r = await get('/hello.txt')
      expect(r.header('X-Served-By')).toBe('setHeaders')
      expect(r.header('Cache-Control')).toBe('no-store')
      expect(r.header('Content-Type')).toBe('text/x-custom')
      expect(calls[0]?.path).toBe(path.join(fx.root, 'hello.txt'))
      expect(calls[0]?.stat.isFile()).toBe(true)
      expect(calls[0]?.stat.size).toBe(14)
      await get('/withindex/')
      expect(calls[1]?.path).toBe(path.join(fx.root, 'withindex', 'index.html'))
      // not called for what is not a file
      await get('/missing.txt')
      expect(calls).toHaveLength(2)
    })
  })
})

describe('serveStatic: 304s', () => {
  it('checks the file on every request: a 304 never outlives a change, and setHeaders content headers leave a 304', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-serve-static-304-'))
    const file = path.join(root, 'revalidate.txt')
    const old = new Date(Date.now() - 3_600_000)
    await writeFile(file, 'first version\n')
    await utimes(file, old, old)
    const setHeaders = (res: ServerResponse): void => {
      res.setHeader('Content-Language', 'en')
    }
    await withServer({ setHeaders }, async (get) => {
      const first = await get('/revalidate.txt')
      expect(first.status).toBe(200)
      const etag = first.header('ETag') as string
      const lastModified = first.header('Last-Modified') as string
      for (let i = 0; i < 3; i++) {
        const inm = await get('/revalidate.txt', { 'If-None-Match': etag })
        expect(inm.status).toBe(304)
        expect(inm.header('ETag')).toBe(etag)
        expect(inm.header('Content-Language')).toBeUndefined()
        expect(inm.header('Cache-Control')).toBe('public, max-age=0')
        expect((await get('/revalidate.txt', { 'If-Modified-Since': lastModified })).status).toBe(304)
      }
      // A new version (another length, a later mtime): the old validators no longer match.
      const later = new Date(old.getTime() + 60_000)
      await writeFile(file, 'second, longer version\n')
      await utimes(file, later, later)
      const changed = await get('/revalidate.txt', { 'If-None-Match': etag })
      expect(changed.status).toBe(200)
      expect(changed.body.toString()).toBe('second, longer version\n')
      expect(changed.header('ETag')).not.toBe(etag)
      expect((await get('/revalidate.txt', { 'If-Modified-Since': lastModified })).status).toBe(200)
    }, undefined, root).finally(() => rm(root, { recursive: true, force: true }))
  })
})

describe('serveStatic: our options beside serve-static’s', () => {
  it('precompressed sends a .br or .gz sibling', async () => {
    await withServer({ precompressed: true }, async (get) => {
      const r = await get('/app.js', { 'Accept-Encoding': 'gzip, br' })
      expect(r.header('Content-Encoding')).toBe('br')
      expect(r.header('Content-Type')).toBe('text/javascript; charset=utf-8')
      expect(r.header('Vary')).toBe('Accept-Encoding')
    })
  })

  it('followSymlinks: off, links out of the root are not found; on, they are served', async () => {
    await withServer({ fallthrough: false }, async (get) => {
      expect((await get('/links/file-out')).status).toBe(404)
      expect((await get('/links/inside')).body.toString()).toBe('Hello, world!\n')
    })
    await withServer({ followSymlinks: true }, async (get) => {
      expect((await get('/links/file-out')).body.toString()).toBe(SECRET)
    })
  })

  it('extraHeaders are added to file responses and redirects', async () => {
    await withServer({ extraHeaders: [['X-Frame-Options', 'DENY']] }, async (get) => {
      expect((await get('/hello.txt')).header('X-Frame-Options')).toBe('DENY')
      expect((await get('/withindex')).header('X-Frame-Options')).toBe('DENY')
    })
  })
})

describe('serveStatic: around other middleware', () => {
  it('respects a non-2xx status set earlier (a custom 404 page), and then never answers 304', async () => {
    const before: Before = (req, res) => {
      if (req.url?.startsWith('/page.html') === true) res.statusCode = 404
    }
    await withServer(
      undefined,
      async (get) => {
        const r = await get('/page.html')
        expect(r.status).toBe(404)
        expect(r.body.toString()).toBe('<p>page</p>\n')
        const again = await get('/page.html', { 'If-None-Match': r.header('ETag') as string })
        expect(again.status).toBe(404)
        expect(again.body.toString()).toBe('<p>page</p>\n')
      },
      before,
    )
  })

  it('answers itself, with send’s error page, when there is no next()', async () => {
    const server = await startHTTP(serveStatic(fx.root))
    try {
      const r = await request(server.port, '/missing.txt', { version: 'HTTP/1.1' })
      expect(r.status).toBe(404)
      expect(r.header('Content-Type')).toBe('text/html; charset=UTF-8')
      expect(r.header('Content-Security-Policy')).toBe("default-src 'none'")
      expect(r.body.toString()).toContain('<pre>Not Found</pre>')
      const post = await request(server.port, '/hello.txt', { method: 'POST', version: 'HTTP/1.1' })
      expect(post.status).toBe(405)
      expect(post.header('Allow')).toBe('GET, HEAD')
    } finally {
      await server.close()
    }
  })

  it('never leaves the root', async () => {
    const hostile = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%252e%252e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/%c0%ae%c0%ae/secret.txt',
      '/%00',
      '/C:/Windows',
      '//etc/passwd',
      '/a/../../secret.txt',
      '/../root-evil/secret.txt',
      '/links/file-out',
      '/links/file-out-abs',
      '/links/passwd',
      '/links/dir-out/secret.txt',
      '/links/nested/deeper/up',
      '/links/loop-a',
      '/.env',
    ]
    await withServer({ fallthrough: false }, async (get) => {
      for (const target of hostile) {
        const r = await get(target)
        expect([400, 403, 404], `${target} → ${r.statusLine}`).toContain(r.status)
        expect(r.raw, target).not.toContain(SECRET)
        expect(r.raw, target).not.toContain('SECRET_TOKEN')
      }
    })
  })

  it('passes unexpected errors to next(error)', async () => {
    const middleware = serveStatic(fx.root)
    const seen = await new Promise<unknown>((resolve) => {
      const req = { method: 'GET', url: '/hello.txt', headers: {} } as unknown as IncomingMessage
      const res = {
        statusCode: 200,
        headersSent: false,
        hasHeader: () => false,
        setHeader() {
          throw new Error('boom')
        },
      } as unknown as ServerResponse
      middleware(req, res, resolve)
    })
    expect(seen).toEqual(new Error('boom'))
  })
})

describe('serveStatic in Express 5', () => {
  let app: RunningServer
  const errors: unknown[] = []

  beforeAll(async () => {
    const server = express()
    server.use('/static', serveStatic(fx.root, { precompressed: true }))
    server.use('/strict', serveStatic(fx.root, { fallthrough: false }))
    // A root that is a file, mounted at its URL.
    server.use('/robots.txt', serveStatic(path.join(fx.root, 'hello.txt')))
    server.use(serveStatic(path.join(fx.root, 'dir')))
    server.use((_req, res) => {
      res.status(404).type('text/plain').send('fell through')
    })
    // Express knows an error handler by its four parameters.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const onError: ErrorRequestHandler = (err: NotServedError, _req, res, _next) => {
      errors.push(err)
      res.status(err.status).type('text/plain').send(`express error handler: ${String(err.status)}`)
    }
    server.use(onError)
    app = await startHTTP(server)
  })

  afterAll(async () => {
    await app.close()
  })

  const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
    request(app.port, target, { headers, method, version: 'HTTP/1.1' })

  it('serves under a mount path and redirects to the mounted URL', async () => {
    expect((await get('/static/hello.txt')).body.toString()).toBe('Hello, world!\n')
    const r = await get('/static/withindex?x=1')
    expect(r.status).toBe(301)
    expect(r.header('Location')).toBe('/static/withindex/?x=1')
    expect(r.body.toString()).toContain('Redirecting to /static/withindex/?x=1')
    const mountRoot = await get('/static')
    expect(mountRoot.status).toBe(301)
    expect(mountRoot.header('Location')).toBe('/static/')
    expect((await get('/static/withindex/')).body.toString()).toBe('<p>index.html</p>\n')
  })

  it('falls through to the next middleware for 404s, 400s and other methods', async () => {
    expect((await get('/static/missing.txt')).body.toString()).toBe('fell through')
    expect((await get('/static/.env')).body.toString()).toBe('fell through')
    expect((await get('/static/%zz')).body.toString()).toBe('fell through')
    expect((await get('/static/hello.txt', {}, 'POST')).body.toString()).toBe('fell through')
    // The last serveStatic serves another root for what the first did not have.
    expect((await get('/sub/inner.txt')).body.toString()).toBe('inner\n')
  })

  it('with fallthrough: false, Express’s error handler gets err.status', async () => {
    const r = await get('/strict/missing.txt')
    expect(r.status).toBe(404)
    expect(r.body.toString()).toBe('express error handler: 404')
    expect((await get('/strict/../secret.txt')).status).toBe(403)
    expect((await get('/strict/%2e%2e/secret.txt')).raw).not.toContain(SECRET)
    expect(errors.at(-1)).toMatchObject({ code: 'SH_ERR_STATIC_NOT_SERVED', expose: true })
  })

  it('serves a root that is a file at its mount path, and 404s below it', async () => {
    const r = await get('/robots.txt')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('Hello, world!\n')
    expect((await get('/robots.txt/')).body.toString()).toBe('fell through')
    expect((await get('/robots.txt/x')).body.toString()).toBe('fell through')
  })

  it('sends precompressed siblings when asked', async () => {
    const r = await get('/static/app.js', { 'Accept-Encoding': 'gzip, br' })
    expect(r.header('Content-Encoding')).toBe('br')
    expect(r.header('Vary')).toBe('Accept-Encoding')
  })

  it('never leaves the root through a mount path', async () => {
    for (const target of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/links/file-out', '/static/..%2f..%2fsecret.txt']) {
      expect((await get(target)).raw, target).not.toContain(SECRET)
    }
  })
})
