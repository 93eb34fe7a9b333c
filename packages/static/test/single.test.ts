import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler, serveStatic } from '../src/index.js'
import { acceptsHTML } from '../src/internal/core.js'
import { request, startHTTP, startHandler, type RunningServer } from './helpers.js'

function quiet<T extends typeof SimpleHTTPRequestHandler>(Base: T): T {
  const Quiet = class extends (Base as typeof SimpleHTTPRequestHandler) {
    override logMessage(): void {
      // quiet: no access log in test output
    }
  }
  return Quiet as unknown as T
}

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
let root: string
let server: RunningServer

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-single-'))
  await writeFile(path.join(root, 'index.html'), '<h1>app</h1>')
  await writeFile(path.join(root, 'app.js'), 'boot()')
  await mkdir(path.join(root, 'shell'))
  await writeFile(path.join(root, 'shell', 'main.html'), '<h1>shell</h1>')
  server = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, single: true })))
})
afterAll(async () => {
  await server.close()
  await rm(root, { recursive: true, force: true })
})

describe('single-page app fallback', () => {
  it('answers a browser navigating to a missing path with the app page and 200', async () => {
    for (const target of ['/dashboard', '/users/42/edit', '/deep/route/', '/x?tab=2']) {
      const response = await request(server.port, target, { headers: { Accept: BROWSER } })
      expect(response.status, target).toBe(200)
      expect(response.body.toString()).toBe('<h1>app</h1>')
      expect(response.header('content-type')).toBe('text/html')
    }
    const head = await request(server.port, '/dashboard', { method: 'HEAD', headers: { Accept: BROWSER } })
    expect(head.status).toBe(200)
    expect(head.header('content-length')).toBe('12')
  })

  it('keeps the 404 for a missing asset, a fetch for JSON, and anything without text/html in Accept', async () => {
    expect((await request(server.port, '/missing.js', { headers: { Accept: '*/*' } })).status).toBe(404)
    expect((await request(server.port, '/api/users', { headers: { Accept: 'application/json' } })).status).toBe(404)
    expect((await request(server.port, '/dashboard')).status).toBe(404)
    expect((await request(server.port, '/dashboard', { headers: { Accept: 'text/html;q=0' } })).status).toBe(404)
  })

  it('serves real files and refuses bad paths as before', async () => {
    expect((await request(server.port, '/app.js', { headers: { Accept: BROWSER } })).body.toString()).toBe('boot()')
    expect((await request(server.port, '/%00', { headers: { Accept: BROWSER } })).status).toBe(400)
    // A refused path (a hidden name) stays refused: the fallback is only for paths that do not exist.
    expect((await request(server.port, '/.env', { headers: { Accept: BROWSER } })).status).toBe(404)
  })

  it('takes another page, and works through serveStatic()', async () => {
    const http = await startHTTP(serveStatic(root, { single: 'shell/main.html' }))
    try {
      const response = await request(http.port, '/route', { headers: { Accept: BROWSER } })
      expect(response.status).toBe(200)
      expect(response.body.toString()).toBe('<h1>shell</h1>')
    } finally {
      await http.close()
    }
  })

  it('refuses a fallback outside the root', () => {
    for (const single of ['../etc/passwd', '/etc/passwd', '']) {
      expect(() => SimpleHTTPRequestHandler.withOptions({ single }), single).toThrow(/single/)
    }
  })

  it('reads Accept as browsers send it', () => {
    expect(acceptsHTML(BROWSER)).toBe(true)
    expect(acceptsHTML('TEXT/HTML')).toBe(true)
    expect(acceptsHTML('*/*')).toBe(false)
    expect(acceptsHTML('application/json, text/plain, */*')).toBe(false)
    expect(acceptsHTML('text/html; q=0.0')).toBe(false)
    expect(acceptsHTML(undefined)).toBe(false)
  })
})
