import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler } from '../src/index.js'
import { request, startHandler, type RunningServer } from './helpers.js'

function quiet<T extends typeof SimpleHTTPRequestHandler>(Base: T): T {
  const Quiet = class extends (Base as typeof SimpleHTTPRequestHandler) {
    override logMessage(): void {
      // quiet: no access log in test output
    }
  }
  return Quiet as unknown as T
}

let root: string
const servers: RunningServer[] = []
const start = async (options: Parameters<typeof SimpleHTTPRequestHandler.withOptions>[0]) => {
  const server = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, ...options })))
  servers.push(server)
  return server
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-cache-'))
  await writeFile(path.join(root, 'a.css'), 'body{}')
  await mkdir(path.join(root, 'many'))
  for (let i = 0; i < 60; i++) await writeFile(path.join(root, 'many', `file-number-${String(i)}.txt`), 'x')
})
afterAll(async () => {
  for (const server of servers) await server.close()
  await rm(root, { recursive: true, force: true })
})

describe('cacheSeconds (-c)', () => {
  it('gives files max-age, 304s the same, and listings and error pages no-cache', async () => {
    const server = await start({ cacheSeconds: 3600 })
    const file = await request(server.port, '/a.css')
    expect(file.header('cache-control')).toBe('max-age=3600')
    const again = await request(server.port, '/a.css', { headers: { 'If-None-Match': file.header('etag') ?? '' } })
    expect(again.status).toBe(304)
    expect(again.header('cache-control')).toBe('max-age=3600')
    expect((await request(server.port, '/many/')).header('cache-control')).toBe('no-cache')
    const missing = await request(server.port, '/nope')
    expect(missing.status).toBe(404)
    expect(missing.header('cache-control')).toBe('no-cache')
  })

  it('sends no-cache on files with 0, and no Cache-Control at all without the option (as CPython)', async () => {
    const zero = await start({ cacheSeconds: 0 })
    expect((await request(zero.port, '/a.css')).header('cache-control')).toBe('no-cache')
    const plain = await start({})
    expect((await request(plain.port, '/a.css')).header('cache-control')).toBeUndefined()
    expect((await request(plain.port, '/nope')).header('cache-control')).toBeUndefined()
  })

  it('refuses a negative or fractional value', () => {
    expect(() => SimpleHTTPRequestHandler.withOptions({ cacheSeconds: -5 })).toThrow(/cacheSeconds/)
    expect(() => SimpleHTTPRequestHandler.withOptions({ cacheSeconds: 1.5 })).toThrow(/cacheSeconds/)
  })
})

describe('compressed listings', () => {
  it('compresses a listing like a file, with its own ETag that revalidates to 304', async () => {
    const server = await start({ compress: true })
    const plain = await request(server.port, '/many/')
    const br = await request(server.port, '/many/', { headers: { 'Accept-Encoding': 'br' } })
    expect(br.header('content-encoding')).toBe('br')
    expect(br.header('vary')).toBe('Accept, Accept-Encoding')
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
    expect(br.header('content-length')).toBe(String(br.body.length))
    expect(br.header('etag')).toBe(`${(plain.header('etag') ?? '').slice(0, -1)}-br"`)
    const revalidated = await request(server.port, '/many/', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': br.header('etag') ?? '' } })
    expect(revalidated.status).toBe(304)
  })
})
