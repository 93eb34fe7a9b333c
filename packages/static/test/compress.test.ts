import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler, serveStatic } from '../src/index.js'
import { parseMultipart, request, startHTTP, startHandler, type RunningServer } from './helpers.js'

/** A quiet handler class: no access log on stderr during tests. */
function quiet<T extends typeof SimpleHTTPRequestHandler>(Base: T): T {
  const Quiet = class extends (Base as typeof SimpleHTTPRequestHandler) {
    override logMessage(): void {
      // quiet: no access log in test output
    }
  }
  return Quiet as unknown as T
}

const text = Array.from({ length: 2000 }, (_, i) => `line ${String(i)}: the quick brown fox\n`).join('')
let root: string
let server: RunningServer
let plain: RunningServer

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-compress-'))
  await writeFile(path.join(root, 'page.txt'), text)
  await writeFile(path.join(root, 'data.json'), JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => i) }))
  await writeFile(path.join(root, 'tiny.txt'), 'short')
  await writeFile(path.join(root, 'photo.png'), Buffer.alloc(4096, 7))
  await writeFile(path.join(root, 'pre.js'), text)
  await writeFile(path.join(root, 'pre.js.gz'), gzipSync(Buffer.from('precompressed!')))
  // Old enough that derived bytes may be cached (outside the racy window).
  const old = new Date(Date.now() - 60_000)
  for (const name of ['page.txt', 'data.json', 'tiny.txt', 'photo.png', 'pre.js', 'pre.js.gz']) await utimes(path.join(root, name), old, old)
  server = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, compress: true, precompressed: true })))
  plain = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root })))
})
afterAll(async () => {
  await server.close()
  await plain.close()
  await rm(root, { recursive: true, force: true })
})

describe('compress', () => {
  it('sends brotli when preferred, gzip by q-value, identity when neither is acceptable, with Vary every time', async () => {
    const br = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } })
    expect(br.status).toBe(200)
    expect(br.header('content-encoding')).toBe('br')
    expect(br.header('vary')).toBe('Accept-Encoding')
    expect(br.header('content-length')).toBe(String(br.body.length))
    expect(br.body.length).toBeLessThan(text.length / 4)
    expect(brotliDecompressSync(br.body).toString()).toBe(text)

    const gz = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'br;q=0.5, gzip;q=0.9' } })
    expect(gz.header('content-encoding')).toBe('gzip')
    expect(gunzipSync(gz.body).toString()).toBe(text)

    const none = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'br;q=0, gzip;q=0' } })
    expect(none.header('content-encoding')).toBeUndefined()
    expect(none.header('vary')).toBe('Accept-Encoding')
    expect(none.body.toString()).toBe(text)

    const absent = await request(server.port, '/page.txt')
    expect(absent.header('content-encoding')).toBeUndefined()
    expect(absent.body.toString()).toBe(text)
  })

  it('gives each encoded variant its own strong ETag, and answers If-None-Match with 304 on it', async () => {
    const identity = await request(server.port, '/page.txt')
    const br = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'br' } })
    const etag = identity.header('etag') ?? ''
    expect(br.header('etag')).toBe(`${etag.slice(0, -1)}-br"`)
    const again = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': br.header('etag') ?? '' } })
    expect(again.status).toBe(304)
    expect(again.header('etag')).toBe(br.header('etag'))
    expect(again.header('vary')).toBe('Accept-Encoding')
    expect(again.body.length).toBe(0)
    // The identity tag does not match the brotli variant: a full answer.
    const other = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': etag } })
    expect(other.status).toBe(200)
  })

  it('serves ranges of the encoded bytes, so a resumed download of a compressed variant is byte-exact', async () => {
    const whole = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip' } })
    const encoded = whole.body
    const etag = whole.header('etag') ?? ''
    const part = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=100-', 'If-Range': etag } })
    expect(part.status).toBe(206)
    expect(part.header('content-range')).toBe(`bytes 100-${String(encoded.length - 1)}/${String(encoded.length)}`)
    expect(part.header('content-encoding')).toBe('gzip')
    expect(Buffer.concat([encoded.subarray(0, 100), part.body]).equals(encoded)).toBe(true)

    const multi = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=0-9,20-29' } })
    expect(multi.status).toBe(206)
    const parts = parseMultipart(multi)
    expect(parts.map((p) => p.body)).toEqual([encoded.subarray(0, 10), encoded.subarray(20, 30)])

    // If-Range with another representation's tag: the whole encoded body, not a mixed-up range.
    const stale = await request(server.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=100-', 'If-Range': '"old"' } })
    expect(stale.status).toBe(200)
    expect(stale.body.equals(encoded)).toBe(true)
  })

  it('gives HEAD the same headers as GET', async () => {
    const get = await request(server.port, '/data.json', { headers: { 'Accept-Encoding': 'br' } })
    const head = await request(server.port, '/data.json', { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } })
    expect(head.body.length).toBe(0)
    const names = (r: typeof get) => r.headers.filter(([n]) => n !== 'Date').map(([n, v]) => `${n}: ${v}`)
    expect(names(head)).toEqual(names(get))
    expect(get.header('content-encoding')).toBe('br')
  })

  it('leaves alone small files, images, and files with a precompressed sibling', async () => {
    const tiny = await request(server.port, '/tiny.txt', { headers: { 'Accept-Encoding': 'br' } })
    expect(tiny.header('content-encoding')).toBeUndefined()
    expect(tiny.body.toString()).toBe('short')
    const png = await request(server.port, '/photo.png', { headers: { 'Accept-Encoding': 'br, gzip' } })
    expect(png.header('content-encoding')).toBeUndefined()
    expect(png.header('vary')).toBeUndefined()
    expect(png.body.length).toBe(4096)
    const pre = await request(server.port, '/pre.js', { headers: { 'Accept-Encoding': 'gzip' } })
    expect(pre.header('content-encoding')).toBe('gzip')
    expect(gunzipSync(pre.body).toString()).toBe('precompressed!')
  })

  it('compresses the new content once the file changes, under a new ETag', async () => {
    const file = path.join(root, 'changing.txt')
    await writeFile(file, text)
    const old = new Date(Date.now() - 60_000)
    await utimes(file, old, old)
    const first = await request(server.port, '/changing.txt', { headers: { 'Accept-Encoding': 'br' } })
    await writeFile(file, text.toUpperCase())
    await utimes(file, new Date(), new Date(Date.now() - 30_000))
    const second = await request(server.port, '/changing.txt', { headers: { 'Accept-Encoding': 'br' } })
    expect(brotliDecompressSync(second.body).toString()).toBe(text.toUpperCase())
    expect(second.header('etag')).not.toBe(first.header('etag'))
  })

  it('is off by default, as in CPython', async () => {
    const response = await request(plain.port, '/page.txt', { headers: { 'Accept-Encoding': 'br, gzip' } })
    expect(response.header('content-encoding')).toBeUndefined()
    expect(response.header('vary')).toBeUndefined()
  })

  it('works the same through serveStatic() on node:http', async () => {
    const http = await startHTTP(serveStatic(root, { compress: true }))
    try {
      const response = await request(http.port, '/page.txt', { headers: { 'Accept-Encoding': 'gzip' } })
      expect(response.header('content-encoding')).toBe('gzip')
      expect(gunzipSync(response.body).toString()).toBe(text)
    } finally {
      await http.close()
    }
  })

  it('refuses a bad compress option', () => {
    expect(() => SimpleHTTPRequestHandler.withOptions({ compress: { minSize: -1 } })).toThrow(/compress\.minSize/)
  })
})

describe('compress: files above maxSize', () => {
  // 1.2 MiB of text, over a 64 KiB maxSize: compressed while sent, never read whole.
  const big = Array.from({ length: 30_000 }, (_, i) => `row ${String(i)}: ${'lorem ipsum '.repeat(3)}\n`).join('')
  let streaming: RunningServer

  beforeAll(async () => {
    await writeFile(path.join(root, 'big.txt'), big)
    const old = new Date(Date.now() - 60_000)
    await utimes(path.join(root, 'big.txt'), old, old)
    streaming = await startHandler(
      quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, compress: { maxSize: 64 * 1024 } })),
    )
  })
  afterAll(async () => {
    await streaming.close()
  })

  it('are streamed compressed, without a length, ending with the connection, under a weak ETag', async () => {
    for (const [accept, decode] of [
      ['br', brotliDecompressSync],
      ['gzip', gunzipSync],
    ] as const) {
      const response = await request(streaming.port, '/big.txt', { headers: { 'Accept-Encoding': accept } })
      expect(response.status).toBe(200)
      expect(response.header('content-encoding')).toBe(accept)
      expect(response.header('content-length')).toBeUndefined()
      expect(response.header('connection')).toBe('close')
      expect(response.header('accept-ranges')).toBeUndefined()
      expect(response.header('vary')).toBe('Accept-Encoding')
      expect(response.header('etag')).toMatch(new RegExp(`^W/"[^"]+-${accept}"$`))
      expect(response.body.length).toBeLessThan(big.length / 5)
      expect(decode(response.body).toString()).toBe(big)
    }
  })

  it('answer If-None-Match with 304, HEAD with the same headers, and a Range with bytes of the file', async () => {
    const get = await request(streaming.port, '/big.txt', { headers: { 'Accept-Encoding': 'gzip' } })
    const etag = get.header('etag') ?? ''
    const cached = await request(streaming.port, '/big.txt', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } })
    expect(cached.status).toBe(304)
    expect(cached.header('etag')).toBe(etag)

    const head = await request(streaming.port, '/big.txt', { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } })
    const names = (r: typeof get) => r.headers.filter(([n]) => n !== 'Date').map(([n, v]) => `${n}: ${v}`)
    expect(names(head)).toEqual(names(get))
    expect(head.body.length).toBe(0)

    const range = await request(streaming.port, '/big.txt', { headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=100-199' } })
    expect(range.status).toBe(206)
    expect(range.header('content-encoding')).toBeUndefined()
    expect(range.body.toString()).toBe(big.slice(100, 200))
  })

  it('are streamed the same through serveStatic() on node:http', async () => {
    const http = await startHTTP(serveStatic(root, { compress: { maxSize: 64 * 1024 } }))
    try {
      const response = await request(http.port, '/big.txt', { headers: { 'Accept-Encoding': 'gzip' } })
      expect(response.header('content-encoding')).toBe('gzip')
      expect(response.header('content-length')).toBeUndefined()
      expect(gunzipSync(response.body).toString()).toBe(big)
    } finally {
      await http.close()
    }
  })
})
