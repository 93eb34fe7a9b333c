import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AccessGuard, BaseHTTPRequestHandler, parseHtpasswd } from '../src/index.js'
import { closeAll, serve } from './helpers.js'

afterEach(closeAll)

/** A handler that counts what reached dispatch: the guard must stop refused requests before it. */
function guarded(guard: AccessGuard): { Handler: typeof BaseHTTPRequestHandler; dispatched: string[] } {
  const dispatched: string[] = []
  class Handler extends BaseHTTPRequestHandler {
    override accessGuard = guard
    override logStream = { write: () => undefined }
    async answer(): Promise<void> {
      dispatched.push(`${this.command} ${this.path}`)
      await this.rfile.read()
      this.sendResponse(200)
      this.sendHeader('Content-Length', '2')
      this.endHeaders()
      if (this.command !== 'HEAD') await this.wfile.write('ok')
    }
    doGET(): Promise<void> {
      return this.answer()
    }
    doPUT(): Promise<void> {
      return this.answer()
    }
    doPOST(): Promise<void> {
      return this.answer()
    }
  }
  return { Handler, dispatched }
}

/** curl, asynchronously: the server under test runs in this process. */
function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', args, { encoding: 'latin1' }, (error, stdout) => {
      if (error != null) reject(new Error(`curl failed: ${error.message}`))
      else resolve(stdout)
    })
  })
}

/** GET / with a given Host header (fetch does not let a caller set it). */
function withHost(port: number, host: string): Promise<{ status: number; text: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: () => Promise.resolve(body) })
      })
    })
    req.on('error', reject)
  })
}

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

describe('Host check (DNS rebinding)', () => {
  it('keeps each Host verdict through repeats, many distinct names and long names (the verdicts are remembered)', async () => {
    const { Handler, dispatched } = guarded(new AccessGuard({ allowedHosts: ['files.example'] }))
    const { port } = await serve(Handler)
    const long = `${'a'.repeat(300)}.example`
    for (let round = 0; round < 3; round++) {
      expect((await withHost(port, 'files.example')).status).toBe(200)
      expect((await withHost(port, 'evil.example')).status).toBe(403)
      expect((await withHost(port, long)).status).toBe(403)
    }
    // More distinct names than are remembered: the verdicts stay right once the memory is full.
    for (let i = 0; i < 300; i++) expect((await withHost(port, `n${i}.evil`)).status).toBe(403)
    expect((await withHost(port, 'files.example')).status).toBe(200)
    expect((await withHost(port, 'evil.example')).status).toBe(403)
    expect(dispatched.length).toBe(4)
  })

  it('allows IP literals, localhost, *.localhost, this host name and listed names; refuses the rest with a hint', async () => {
    const { Handler, dispatched } = guarded(new AccessGuard({ allowedHosts: ['files.example', '.lan'] }))
    const { port } = await serve(Handler)
    const get = (host: string): Promise<{ status: number; text: () => Promise<string> }> => withHost(port, host)
    for (const host of ['127.0.0.1', `127.0.0.1:${port}`, '[::1]:80', 'localhost', 'LOCALHOST:1', 'app.localhost', os.hostname(), 'files.example', 'nas.lan', 'lan']) {
      expect((await get(host)).status, host).toBe(200)
    }
    for (const host of ['evil.example', 'files.example.evil', 'localhost.evil', 'xlan', 'a b']) {
      const res = await get(host)
      expect(res.status, host).toBe(403)
      if (host === 'evil.example') expect(await res.text()).toContain('--allowed-hosts evil.example')
    }
    expect(dispatched.length).toBe(10)
  })

  it('is off without allowedHosts, and with "any"', async () => {
    for (const guard of [new AccessGuard({}), new AccessGuard({ allowedHosts: 'any' })]) {
      const { Handler } = guarded(guard)
      const { port } = await serve(Handler)
      expect((await withHost(port, 'evil.example')).status).toBe(200)
    }
  })
})

describe('Origin check (CSRF)', () => {
  it('refuses unsafe methods from another origin or a cross-site fetch, before the handler runs', async () => {
    const { Handler, dispatched } = guarded(new AccessGuard({}))
    const { port } = await serve(Handler)
    const url = `http://127.0.0.1:${port}/x`
    expect((await fetch(url, { method: 'PUT', body: 'a', headers: { Origin: 'http://evil.example' } })).status).toBe(403)
    expect((await fetch(url, { method: 'POST', body: 'a', headers: { Origin: 'null' } })).status).toBe(403)
    expect((await fetch(url, { method: 'POST', body: 'a', headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403)
    expect((await fetch(url, { method: 'PUT', body: 'a', headers: { Origin: `http://127.0.0.1:${port + 1}` } })).status).toBe(403)
    expect(dispatched).toEqual([])
    expect((await fetch(url, { method: 'PUT', body: 'a', headers: { Origin: `http://127.0.0.1:${port}` } })).status).toBe(200)
    expect((await fetch(url, { method: 'PUT', body: 'a', headers: { 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(200)
    expect((await fetch(url, { method: 'PUT', body: 'a' })).status).toBe(200)
    // Reads from anywhere stay allowed (a page may link to a file).
    expect((await fetch(url, { headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(200)
  })
})

describe('HTTP Basic', () => {
  it('401 with the challenge; the right password in; wrong ones and unknown users out', async () => {
    const { Handler, dispatched } = guarded(new AccessGuard({ credentials: [{ user: 'ann', password: 'pä55:word' }] }))
    const { port } = await serve(Handler)
    const url = `http://127.0.0.1:${port}/`
    const none = await fetch(url)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="simplehttp", charset="UTF-8"')
    expect((await fetch(url, { headers: { Authorization: basic('ann', 'wrong') } })).status).toBe(401)
    expect((await fetch(url, { headers: { Authorization: basic('bob', 'pä55:word') } })).status).toBe(401)
    expect((await fetch(url, { headers: { Authorization: 'Basic !!!' } })).status).toBe(401)
    expect((await fetch(url, { headers: { Authorization: 'Bearer x' } })).status).toBe(401)
    expect(dispatched).toEqual([])
    expect((await fetch(url, { headers: { Authorization: basic('ann', 'pä55:word') } })).status).toBe(200)
    expect(dispatched).toEqual(['GET /'])
  })

  it('a refused upload is never read and never reaches the handler (no 100 Continue either)', async () => {
    const { Handler, dispatched } = guarded(new AccessGuard({ credentials: [{ user: 'ann', password: 'x' }] }))
    const { port } = await serve(Handler)
    const out = await curl(['-s', '-i', '-X', 'PUT', '--data-binary', 'x'.repeat(10_000), '-H', 'Expect: 100-continue', `http://127.0.0.1:${port}/up`])
    expect(out).toMatch(/^HTTP\/1\.0 401 /)
    expect(out).not.toContain('100 Continue')
    expect(dispatched).toEqual([])
  })

  it('authWritesOnly leaves reads public', async () => {
    const { Handler } = guarded(new AccessGuard({ credentials: [{ user: 'ann', password: 'x' }], authWritesOnly: true }))
    const { port } = await serve(Handler)
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'PUT', body: 'a' })).status).toBe(401)
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'PUT', body: 'a', headers: { Authorization: basic('ann', 'x') } })).status).toBe(200)
  })

  it('reads htpasswd files made by htpasswd -B (bcrypt $2y$) and -s ({SHA}); refuses MD5 lines', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'simplehttp-guard-'))
    try {
      const file = path.join(dir, 'users')
      execFileSync('htpasswd', ['-c', '-b', '-B', '-C', '4', file, 'ann', 'bcrypt-pass'])
      execFileSync('htpasswd', ['-b', '-s', file, 'bob', 'sha-pass'])
      const text = readFileSync(file, 'utf8')
      expect(text).toMatch(/^ann:\$2y\$04\$/m)
      expect(text).toMatch(/^bob:\{SHA\}/m)
      const { Handler } = guarded(new AccessGuard({ credentials: parseHtpasswd(text) }))
      const { port } = await serve(Handler)
      const url = `http://127.0.0.1:${port}/`
      expect((await fetch(url, { headers: { Authorization: basic('ann', 'bcrypt-pass') } })).status).toBe(200)
      expect((await fetch(url, { headers: { Authorization: basic('bob', 'sha-pass') } })).status).toBe(200)
      expect((await fetch(url, { headers: { Authorization: basic('ann', 'sha-pass') } })).status).toBe(401)
      expect((await fetch(url, { headers: { Authorization: basic('bob', 'bcrypt-pass') } })).status).toBe(401)
      execFileSync('htpasswd', ['-b', '-m', file, 'carl', 'md5'])
      expect(() => parseHtpasswd(readFileSync(file, 'utf8'))).toThrow(expect.objectContaining({ code: 'SH_ERR_HANDLER_INVALID_OPTION' }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('bad options are refused', () => {
    expect(() => new AccessGuard({ credentials: [{ user: 'a:b', password: 'x' }] })).toThrow(expect.objectContaining({ code: 'SH_ERR_HANDLER_INVALID_OPTION' }))
    expect(() => new AccessGuard({ credentials: [{ user: 'a', hash: '$apr1$xyz' }] })).toThrow(expect.objectContaining({ code: 'SH_ERR_HANDLER_INVALID_OPTION' }))
    expect(() => new AccessGuard({ realm: 'a"b' })).toThrow(expect.objectContaining({ code: 'SH_ERR_HANDLER_INVALID_OPTION' }))
  })

  it('repeated failures from one address are slowed, and a second address is not', async () => {
    // A delay far longer than the test: the order of answers shows the slowing, without timing.
    const { Handler } = guarded(new AccessGuard({ credentials: [{ user: 'ann', password: 'x' }], failureDelayMs: 60_000 }))
    const { port } = await serve(Handler)
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${port}/`, { headers: { Authorization: basic('ann', 'bad') } })).status).toBe(401)
    let slowedAnswered = false
    const slowed = http.get({ host: '127.0.0.1', port, path: '/', headers: { Authorization: basic('ann', 'bad') }, agent: false }, () => {
      slowedAnswered = true
    })
    slowed.on('error', () => undefined)
    const other = Number(await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', '127.0.0.2', '-u', 'ann:bad', `http://127.0.0.1:${port}/`]))
    expect(other).toBe(401)
    // The right password from the slowed address itself is not held back either.
    expect((await fetch(`http://127.0.0.1:${port}/`, { headers: { Authorization: basic('ann', 'x') } })).status).toBe(200)
    expect(slowedAnswered).toBe(false)
    slowed.destroy()
  })
})
