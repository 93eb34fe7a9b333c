/**
 * The README's Express and Hono examples, run as written (only the port becomes 0 and is
 * printed): each is saved inside this package, so `@simplehttp/static` resolves to this
 * package's built dist/, spawned with `node`, asked over a socket, and stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from './helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const readme = await readFile(path.join(here, '../README.md'), 'utf8')

/** The ```js block that holds `marker`, or with `after` the first one after it (a heading). */
function block(marker: string, after = false): string {
  const at = readme.indexOf(marker)
  expect(at, marker).toBeGreaterThan(-1)
  const start = after ? readme.indexOf('```js\n', at) : readme.lastIndexOf('```js\n', at)
  const end = readme.indexOf('\n```', start + 6)
  return readme.slice(start + 6, end + 1)
}

let cwd: string
const scripts: string[] = []

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-readme-'))
  await mkdir(path.join(cwd, 'public'))
  await mkdir(path.join(cwd, 'assets'))
  await writeFile(path.join(cwd, 'public', 'about.html'), '<p>about</p>\n')
  await writeFile(path.join(cwd, 'public', 'hello.txt'), 'hello\n')
  await writeFile(path.join(cwd, 'assets', 'logo.txt'), 'logo\n')
})

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true })
  for (const script of scripts) await rm(script, { force: true })
})

/** Save `code` in this package, run it in `cwd`, and resolve to its child and the port it printed. */
async function run(name: string, code: string): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(here, `.readme-${name}-${String(process.pid)}.mjs`)
  scripts.push(script)
  await writeFile(script, code)
  const child = spawn(process.execPath, [script], { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the example exited with ${String(code)} before it listened`)
  })
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout }), 'line'), exited])) as [string]
  return { child, port: Number(line) }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.pid === undefined) return
  const exited = once(child, 'exit')
  process.kill(child.pid, 'SIGTERM')
  await exited
}

describe('README examples', () => {
  it('Express: serveStatic mounted at /static with maxAge and extensions, then the app’s 404', async () => {
    const code = block('### Express (or Connect)', true)
    expect(code).toContain('app.listen(8000)')
    const { child, port } = await run('express', code.replace('app.listen(8000)', 'const server = app.listen(0, () => console.log(server.address().port))'))
    try {
      const about = await request(port, '/static/about', { version: 'HTTP/1.1' })
      expect(about.status).toBe(200)
      expect(about.body.toString()).toBe('<p>about</p>\n')
      expect(about.header('Cache-Control')).toBe('public, max-age=86400')
      expect(about.header('Content-Type')).toBe('text/html; charset=utf-8')
      const missing = await request(port, '/static/nope.txt', { version: 'HTTP/1.1' })
      expect(missing.status).toBe(404)
      expect(missing.body.toString()).toBe('not here')
    } finally {
      await stop(child)
    }
  })

  it('Hono on @hono/node-server: a route under /static, middleware that falls through, an API route', async () => {
    const hono = block('// Hono: as a route')
    const node = block('// Node, through @hono/node-server')
    expect(node).toContain('serve({ fetch: app.fetch, port: 8000 })')
    const code = `${hono}\n${node.replace('serve({ fetch: app.fetch, port: 8000 })', 'serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(info.port))')}`
    const { child, port } = await run('hono', code)
    try {
      const hello = await request(port, '/static/hello.txt', { version: 'HTTP/1.1', headers: { Range: 'bytes=0-3' } })
      expect(hello.status).toBe(206)
      expect(hello.body.toString()).toBe('hell')
      const logo = await request(port, '/logo.txt', { version: 'HTTP/1.1' })
      expect(logo.status).toBe(200)
      expect(logo.body.toString()).toBe('logo\n')
      const api = await request(port, '/api/hello', { version: 'HTTP/1.1' })
      expect(api.status).toBe(200)
      expect(JSON.parse(api.body.toString())).toEqual({ hello: 'world' })
    } finally {
      await stop(child)
    }
  })
})
