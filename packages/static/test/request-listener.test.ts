/**
 * createRequestListener(): the handler class's behaviour behind `node:http` and Express. A smaller table than the
 * handler's: what the adapter itself decides (next(), 405, mount paths) plus a sample of the
 * core's behaviour to show it is the same core.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRequestListener as serveStatic } from '../src/index.js'
import {
  SECRET,
  makeFixture,
  parseMultipart,
  readSlowly,
  request,
  startHTTP,
  type Fixture,
  type RunningServer,
} from './helpers.js'

let fx: Fixture
let plain: RunningServer
let app: RunningServer

beforeAll(async () => {
  fx = await makeFixture()
  plain = await startHTTP(serveStatic(fx.root))
  const server = express()
  server.use('/static', serveStatic(fx.root, { precompressed: true }))
  server.use(serveStatic(path.join(fx.root, 'dir')))
  server.use((_req, res) => {
    res.status(404).type('text/plain').send('fell through')
  })
  app = await startHTTP(server)
})

afterAll(async () => {
  await plain.close()
  await app.close()
  await fx.cleanup()
})

const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  request(plain.port, target, { headers, method, version: 'HTTP/1.1' })
const viaExpress = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  request(app.port, target, { headers, method, version: 'HTTP/1.1' })

describe('serveStatic on node:http', () => {
  it('serves a file with the same headers (no Server header: node:http adds only Date)', async () => {
    const r = await get('/hello.txt')
    expect(r.statusLine).toBe('HTTP/1.1 200 OK')
    expect(r.headers.map(([n]) => n).slice(0, 6)).toEqual(['Content-type', 'Content-Length', 'Last-Modified', 'Accept-Ranges', 'ETag', 'Date'])
    expect(r.header('Server')).toBeUndefined()
    expect(r.body.toString()).toBe('Hello, world!\n')
  })

  it('lists directories with the same HTML and redirects without the slash', async () => {
    const listing = await get('/small/')
    expect(listing.header('Content-type')).toBe('text/html; charset=utf-8')
    expect(listing.body.toString()).toContain('<li><a href="ln">ln@</a></li>\n<li><a href="Zeta.txt">Zeta.txt</a></li>')
    const redirect = await get('/small?x=1')
    expect(redirect.status).toBe(301)
    expect(redirect.header('Location')).toBe('/small/?x=1')
    expect(redirect.header('Content-Length')).toBe('0')
    expect((await get('//evil.com')).header('Location')).toBe('/evil.com/')
  })

  it('answers 404 itself with CPython’s error page when there is no next()', async () => {
    const r = await get('/missing')
    expect(r.statusLine).toBe('HTTP/1.1 404 File not found')
    expect(r.header('Content-Type')).toBe('text/html;charset=utf-8')
    expect(r.body.toString()).toContain('<p>Error code: 404</p>')
    expect((await get('/%zz')).status).toBe(400)
  })

  it('answers other methods with 405 and Allow when there is no next()', async () => {
    const r = await get('/hello.txt', {}, 'POST')
    expect(r.status).toBe(405)
    expect(r.header('Allow')).toBe('GET, HEAD')
  })

  it('HEAD: the same head, no body', async () => {
    const r = await get('/hello.txt', {}, 'HEAD')
    expect(r.status).toBe(200)
    expect(r.header('Content-Length')).toBe('14')
    expect(r.body.length).toBe(0)
  })

  it('conditional requests and ranges come from the same core', async () => {
    const etag = (await get('/hello.txt')).header('ETag') as string
    expect((await get('/hello.txt', { 'If-None-Match': etag })).status).toBe(304)
    const lm = (await get('/hello.txt')).header('Last-Modified') as string
    expect((await get('/hello.txt', { 'If-Modified-Since': lm })).status).toBe(304)
    expect((await get('/hello.txt', { 'If-None-Match': '"x"', 'If-Modified-Since': lm })).status).toBe(200)
    const one = await get('/digits.txt', { Range: 'bytes=-4' })
    expect(one.status).toBe(206)
    expect(one.header('Content-Range')).toBe('bytes 6-9/10')
    expect(one.body.toString()).toBe('6789')
    const multi = await get('/big.bin', { Range: 'bytes=0-3,100000-100003' })
    expect(multi.status).toBe(206)
    const parts = parseMultipart(multi)
    expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 0-3/2097152', 'bytes 100000-100003/2097152'])
    expect(parts[0]?.body.equals(fx.big.subarray(0, 4))).toBe(true)
    expect(parts[1]?.body.equals(fx.big.subarray(100000, 100004))).toBe(true)
    const unsatisfiable = await get('/digits.txt', { Range: 'bytes=50-' })
    expect(unsatisfiable.status).toBe(416)
    expect(unsatisfiable.header('Content-Range')).toBe('bytes */10')
    expect((await get('/digits.txt', { Range: `bytes=${Array(20).fill('0-').join(',')}` })).status).toBe(200)
    expect((await get('/hello.txt', { 'If-Match': '"nope"' })).status).toBe(412)
  })

  it('streams large files with back-pressure, whole', async () => {
    const r = await get('/big.bin')
    expect(r.header('Content-Length')).toBe(String(fx.big.length))
    expect(r.body.equals(fx.big)).toBe(true)
  })

  it('cuts the response when a file shrinks while being sent', async () => {
    const file = path.join(fx.root, 'shrinking-http.bin')
    await writeFile(file, Buffer.alloc(32 * 1024 * 1024, 0x61))
    const { announced, received } = await readSlowly(plain.port, '/shrinking-http.bin', () => truncate(file, 10))
    expect(announced).toBe(32 * 1024 * 1024)
    expect(received).toBeLessThan(announced)
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
    for (const target of hostile) {
      const r = await get(target)
      expect([400, 404], `${target} → ${r.statusLine}`).toContain(r.status)
      expect(r.raw, target).not.toContain(SECRET)
      expect(r.raw, target).not.toContain('SECRET_TOKEN')
    }
    expect((await get('/links/inside')).body.toString()).toBe('Hello, world!\n')
  })

  it('checks its options', () => {
    expect(() => serveStatic('')).toThrow(expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }))
    expect(() => serveStatic(fx.root, { precompressed: 1 as never })).toThrow(
      expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }),
    )
  })

  it('passes unexpected errors to next(error)', async () => {
    const middleware = serveStatic(fx.root)
    const seen = await new Promise<unknown>((resolve) => {
      const req = { method: 'GET', url: '/hello.txt', headers: {} } as unknown as IncomingMessage
      const res = {
        headersSent: false,
        setHeader() {
          throw new Error('boom')
        },
      } as unknown as ServerResponse
      middleware(req, res, resolve)
    })
    expect(seen).toBeInstanceOf(Error)
  })
})

describe('serveStatic in Express', () => {
  it('serves under a mount path and redirects to the mounted URL', async () => {
    expect((await viaExpress('/static/hello.txt')).body.toString()).toBe('Hello, world!\n')
    const r = await viaExpress('/static/dir?x=1')
    expect(r.status).toBe(301)
    expect(r.header('Location')).toBe('/static/dir/?x=1')
    const mountRoot = await viaExpress('/static')
    expect(mountRoot.status).toBe(301)
    expect(mountRoot.header('Location')).toBe('/static/')
    const listing = await viaExpress('/static/dir/')
    expect(listing.body.toString()).toContain('<title>Directory listing for /static/dir/</title>')
    expect(listing.body.toString()).toContain('<a href="sub/">sub/</a>')
  })

  it('falls through to the next middleware for 404s, 400s and other methods', async () => {
    const missing = await viaExpress('/static/missing.txt')
    expect(missing.body.toString()).toBe('fell through')
    expect((await viaExpress('/static/.env')).body.toString()).toBe('fell through')
    expect((await viaExpress('/static/%zz')).body.toString()).toBe('fell through')
    expect((await viaExpress('/static/hello.txt', {}, 'POST')).body.toString()).toBe('fell through')
    // The second middleware serves another root for what the first did not have.
    expect((await viaExpress('/sub/inner.txt')).body.toString()).toBe('inner\n')
  })

  it('sends precompressed siblings when asked', async () => {
    const r = await viaExpress('/static/app.js', { 'Accept-Encoding': 'gzip, br' })
    expect(r.header('Content-Encoding')).toBe('br')
    expect(r.header('Content-type')).toBe('text/javascript')
    expect(r.header('Vary')).toBe('Accept-Encoding')
  })

  it('never leaves the root through a mount path', async () => {
    for (const target of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/links/file-out', '/static/..%2f..%2fsecret.txt']) {
      const r = await viaExpress(target)
      expect(r.raw, target).not.toContain(SECRET)
    }
  })
})
