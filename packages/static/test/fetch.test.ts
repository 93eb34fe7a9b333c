/**
 * createFetchHandler(): direct calls with `new Request(...)`, then end to end through Hono on
 * `@hono/node-server` over a real socket.
 */
import { truncate, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFetchHandler } from '../src/index.js'
import { SECRET, makeFixture, parseMultipart, parseResponse, request, type Fixture } from './helpers.js'

let fx: Fixture

beforeAll(async () => {
  fx = await makeFixture()
})

afterAll(async () => {
  await fx.cleanup()
})

const BASE = 'http://localhost'

/** A Response as the raw client's shape, to reuse parseMultipart. */
async function asRaw(response: Response): Promise<ReturnType<typeof parseResponse>> {
  let head = `HTTP/1.1 ${String(response.status)} ${response.statusText}\r\n`
  response.headers.forEach((value, name) => (head += `${name}: ${value}\r\n`))
  const body = Buffer.from(await response.arrayBuffer())
  return parseResponse(Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]))
}

describe('createFetchHandler, called directly', () => {
  let files: ReturnType<typeof createFetchHandler>
  const get = async (target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> => {
    const response = await files(new Request(BASE + target, { headers, method }))
    if (response === undefined) throw new Error('fell through')
    return response
  }

  beforeAll(() => {
    files = createFetchHandler(fx.root)
  })

  it('serves a file with CPython’s headers and ours', async () => {
    const r = await get('/hello.txt')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/plain')
    expect(r.headers.get('content-length')).toBe('14')
    expect(r.headers.get('accept-ranges')).toBe('bytes')
    expect(r.headers.get('etag')).toMatch(/^"[^"]+"$/)
    expect(r.headers.get('last-modified')).toMatch(/ GMT$/)
    expect(await r.text()).toBe('Hello, world!\n')
  })

  it('HEAD: the same head, no body', async () => {
    const r = await get('/hello.txt', {}, 'HEAD')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-length')).toBe('14')
    expect(r.body).toBeNull()
  })

  it('ranges: one, several (multipart), none satisfiable', async () => {
    const one = await get('/digits.txt', { Range: 'bytes=2-4' })
    expect(one.status).toBe(206)
    expect(one.headers.get('content-range')).toBe('bytes 2-4/10')
    expect(await one.text()).toBe('234')
    const multi = await asRaw(await get('/big.bin', { Range: 'bytes=0-3,1000000-1000003' }))
    expect(multi.status).toBe(206)
    const parts = parseMultipart(multi)
    expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 0-3/2097152', 'bytes 1000000-1000003/2097152'])
    expect(parts[1]?.body.equals(fx.big.subarray(1000000, 1000004))).toBe(true)
    const small = parseMultipart(await asRaw(await get('/digits.txt', { Range: 'bytes=0-0,9-9' })))
    expect(small.map((p) => p.body.toString())).toEqual(['0', '9'])
    const none = await get('/digits.txt', { Range: 'bytes=50-' })
    expect(none.status).toBe(416)
    expect(none.headers.get('content-range')).toBe('bytes */10')
  })

  it('conditionals: 304 on a matching ETag or date, 412 on a failed If-Match', async () => {
    const first = await get('/hello.txt')
    const etag = first.headers.get('etag') as string
    const notModified = await get('/hello.txt', { 'If-None-Match': etag })
    expect(notModified.status).toBe(304)
    expect(notModified.body).toBeNull()
    expect(notModified.headers.get('etag')).toBe(etag)
    expect((await get('/hello.txt', { 'If-Modified-Since': first.headers.get('last-modified') as string })).status).toBe(304)
    expect((await get('/hello.txt', { 'If-Match': '"nope"' })).status).toBe(412)
    const ifRange = await get('/digits.txt', { Range: 'bytes=0-1', 'If-Range': '"stale"' })
    expect(ifRange.status).toBe(200)
  })

  it('streams a large file from disk as a ReadableStream, a chunk at a time', async () => {
    const r = await get('/big.bin')
    expect(r.headers.get('content-length')).toBe(String(fx.big.length))
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    const chunks: Uint8Array[] = []
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // never the whole file at once
      expect(value.length).toBeLessThanOrEqual(256 * 1024)
      chunks.push(value)
    }
    expect(chunks.length).toBeGreaterThan(1)
    expect(Buffer.concat(chunks).equals(fx.big)).toBe(true)
  })

  it('stops reading when the body is cancelled, and serves on', async () => {
    const r = await get('/big.bin')
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(first.value?.length).toBeGreaterThan(0)
    await reader.cancel()
    const again = await get('/big.bin', { Range: 'bytes=-3' })
    expect(Buffer.from(await again.arrayBuffer()).equals(fx.big.subarray(-3))).toBe(true)
  })

  it('errors the stream when the file shrinks while it is sent (the length cannot be met)', async () => {
    const file = path.join(fx.root, 'shrinking-fetch.bin')
    await writeFile(file, Buffer.alloc(8 * 1024 * 1024, 0x61))
    const r = await get('/shrinking-fetch.bin')
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await truncate(file, 10)
    let received = 0
    const outcome = await (async () => {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return 'ended'
        received += value.length
      }
    })().catch((error: unknown) => error)
    expect(outcome).toMatchObject({ code: 'SH_ERR_STATIC_FILE_CHANGED' })
    expect(received).toBeLessThan(8 * 1024 * 1024)
  })

  it('lists directories with CPython’s HTML and redirects without the slash', async () => {
    const listing = await get('/small/')
    expect(listing.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await listing.text()
    expect(html).toContain('<title>Directory listing for /small/</title>')
    expect(html).toContain('<li><a href="ln">ln@</a></li>\n<li><a href="Zeta.txt">Zeta.txt</a></li>')
    const redirect = await get('/small?x=1')
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/small/?x=1')
    expect((await get('/withindex/')).headers.get('content-type')).toBe('text/html')
  })

  it('answers bad paths with CPython’s 400 and 404 pages, and never leaves the root', async () => {
    const bad = await get('/%zz')
    expect(bad.status).toBe(400)
    expect(bad.headers.get('content-type')).toBe('text/html;charset=utf-8')
    expect(await bad.text()).toContain('<p>Error code: 400</p>')
    const missing = await get('/missing.txt')
    expect(missing.status).toBe(404)
    expect(missing.statusText).toBe('File not found')
    // new Request() resolves `..` and `%2e%2e` itself; these reach the handler as sent.
    for (const target of ['/..%2fsecret.txt', '/a/..%2f..%2fsecret.txt', '/%252e%252e/secret.txt', '/..%5csecret.txt', '/%00', '/links/file-out', '/links/dir-out/secret.txt', '/.env']) {
      const r = await get(target)
      expect([400, 404], target).toContain(r.status)
      expect(await r.text(), target).not.toContain(SECRET)
    }
  })

  it('answers other methods with 405 and Allow', async () => {
    const r = await get('/hello.txt', {}, 'POST')
    expect(r.status).toBe(405)
    expect(r.headers.get('allow')).toBe('GET, HEAD')
  })

  it('fallthrough: resolves to undefined for not found and other methods', async () => {
    const through = createFetchHandler(fx.root, { fallthrough: true })
    expect(await through(new Request(`${BASE}/missing.txt`))).toBeUndefined()
    expect(await through(new Request(`${BASE}/hello.txt`, { method: 'DELETE' }))).toBeUndefined()
    expect((await through(new Request(`${BASE}/hello.txt`)))?.status).toBe(200)
    // a bad request is still answered: nothing else should handle it
    expect((await through(new Request(`${BASE}/%zz`)))?.status).toBe(400)
  })

  it('prefix: files under a path, redirects and titles with the full path', async () => {
    const under = createFetchHandler(fx.root, { prefix: '/static/' })
    const at = async (target: string): Promise<Response> => (await under(new Request(BASE + target))) as Response
    expect(await (await at('/static/hello.txt')).text()).toBe('Hello, world!\n')
    expect((await at('/staticx/hello.txt')).status).toBe(404)
    expect((await at('/hello.txt')).status).toBe(404)
    const mountRoot = await at('/static?x=1')
    expect(mountRoot.status).toBe(301)
    expect(mountRoot.headers.get('location')).toBe('/static/?x=1')
    expect(await (await at('/static/small/')).text()).toContain('<title>Directory listing for /static/small/</title>')
  })

  it('precompressed, dotfiles, extraHeaders: the handler class’s options', async () => {
    const custom = createFetchHandler(fx.root, { precompressed: true, dotfiles: true, extraHeaders: [['X-Test', '1']] })
    const r = (await custom(new Request(`${BASE}/app.js`, { headers: { 'Accept-Encoding': 'br' } }))) as Response
    expect(r.headers.get('content-encoding')).toBe('br')
    expect(r.headers.get('vary')).toBe('Accept-Encoding')
    expect(r.headers.get('x-test')).toBe('1')
    expect(await ((await custom(new Request(`${BASE}/.env`))) as Response).text()).toBe('SECRET_TOKEN=1\n')
  })

  it('checks its options', () => {
    expect(() => createFetchHandler('')).toThrow(new TypeError('root path required'))
    expect(() => createFetchHandler(fx.root, { prefix: 'static' })).toThrow(expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }))
    expect(() => createFetchHandler(fx.root, { precompressed: 'yes' as never })).toThrow(expect.objectContaining({ code: 'SH_ERR_STATIC_INVALID_OPTION' }))
  })
})

describe('createFetchHandler in Hono on @hono/node-server, over a socket', () => {
  let server: ServerType
  let port: number

  beforeAll(async () => {
    const app = new Hono()
    const files = createFetchHandler(fx.root, { prefix: '/static' })
    app.get('/static/*', (c) => files(c.req.raw) as Promise<Response>)
    const assets = createFetchHandler(path.join(fx.root, 'dir'), { fallthrough: true })
    app.use('*', async (c, next) => (await assets(c.req.raw)) ?? next())
    app.get('/api/hello', (c) => c.text('hello from a route'))
    app.notFound((c) => c.text('hono not found', 404))
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
        resolve(s)
      })
    })
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections()
      server.close(() => {
        resolve()
      })
    })
  })

  const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
    request(port, target, { headers, method, version: 'HTTP/1.1' })

  it('serves files, ranges and 304s through the route', async () => {
    const r = await get('/static/hello.txt')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('Hello, world!\n')
    const etag = r.header('etag') as string
    expect((await get('/static/hello.txt', { 'If-None-Match': etag })).status).toBe(304)
    const range = await get('/static/digits.txt', { Range: 'bytes=-2' })
    expect(range.status).toBe(206)
    expect(range.body.toString()).toBe('89')
  })

  it('streams a large file whole, with its Content-Length', async () => {
    const r = await get('/static/big.bin')
    expect(r.header('content-length')).toBe(String(fx.big.length))
    expect(r.body.equals(fx.big)).toBe(true)
  })

  it('lists and redirects with the mounted path', async () => {
    expect((await get('/static/small')).header('location')).toBe('/static/small/')
    expect((await get('/static/small/')).body.toString()).toContain('Directory listing for /static/small/')
  })

  it('as middleware, lets the next routes answer what it does not have', async () => {
    expect((await get('/sub/inner.txt')).body.toString()).toBe('inner\n')
    expect((await get('/api/hello')).body.toString()).toBe('hello from a route')
    const missing = await get('/nothing-here')
    expect(missing.status).toBe(404)
    expect(missing.body.toString()).toBe('hono not found')
  })

  it('never leaves the root over the socket', async () => {
    for (const target of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/..%2fsecret.txt', '/static/links/file-out', '/../secret.txt', '/%2e%2e/%2e%2e/secret.txt']) {
      const r = await get(target)
      expect(r.raw, target).not.toContain(SECRET)
    }
  })
})
