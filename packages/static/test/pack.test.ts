/**
 * The published shape: pack @simplehttp/static and its workspace dependencies (pnpm rewrites
 * `workspace:^` while packing), install the tarballs with npm into a fresh project together
 * with Express from the registry, and serve a folder from node:http, Express and the
 * CPython-style handler.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
const packages = path.resolve(here, '..', '..')
const order = ['parser', 'handler', 'static'] as const

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${String(result.status)}:\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}

/** What check.mjs prints. */
interface CheckResults {
  http: unknown
  express: unknown
  redirect: unknown
  handler: unknown
  codes: unknown
  fetch: unknown
  fetchListing: unknown
  fetchMissing: unknown
}

const SCRIPT = `
import http from 'node:http'
import net from 'node:net'
import express from 'express'
import { createFetchHandler, serveStatic, SimpleHTTPRequestHandler, STATIC_ERRORS } from '@simplehttp/static'

const root = process.argv[2]
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
const results = {}

const plain = http.createServer(serveStatic(root))
const plainPort = await listen(plain)
let res = await fetch('http://127.0.0.1:' + plainPort + '/hello.txt')
results.http = { status: res.status, type: res.headers.get('content-type'), body: await res.text() }

const app = express()
app.use('/files', serveStatic(root))
const appServer = app.listen(0, '127.0.0.1')
await new Promise((resolve) => appServer.once('listening', resolve))
res = await fetch('http://127.0.0.1:' + appServer.address().port + '/files/hello.txt', { headers: { Range: 'bytes=0-4' } })
results.express = { status: res.status, range: res.headers.get('content-range'), body: await res.text() }
res = await fetch('http://127.0.0.1:' + appServer.address().port + '/files', { redirect: 'manual' })
results.redirect = res.headers.get('location')

const Handler = class extends SimpleHTTPRequestHandler.withOptions({ directory: root }) {
  logStream = { write() { return true } }
}
const raw = net.createServer((socket) => { void new Handler(socket, [socket.remoteAddress, socket.remotePort], {}).handle() })
const rawPort = await listen(raw)
res = await fetch('http://127.0.0.1:' + rawPort + '/')
results.handler = { status: res.status, server: res.headers.get('server'), listing: (await res.text()).includes('<a href="hello.txt">hello.txt</a>') }
results.codes = Object.keys(STATIC_ERRORS)

const handle = createFetchHandler(root)
res = await handle(new Request('http://localhost/hello.txt', { headers: { Range: 'bytes=6-9' } }))
results.fetch = { status: res.status, range: res.headers.get('content-range'), body: await res.text() }
res = await handle(new Request('http://localhost/'))
results.fetchListing = (await res.text()).includes('<a href="hello.txt">hello.txt</a>')
results.fetchMissing = (await handle(new Request('http://localhost/missing'))).status

plain.close(); appServer.close(); raw.close()
process.stdout.write(JSON.stringify(results))
`

describe('the packed package', () => {
  let work: string
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-pack-'))
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('installs from tarballs with npm and serves from node:http, Express, the handler and the fetch handler', async () => {
    const tarballs = path.join(work, 'tarballs')
    await mkdir(tarballs)
    for (const name of order) {
      const dir = path.join(packages, name)
      if (!existsSync(path.join(dir, 'dist', 'index.js'))) run('pnpm', ['run', 'build'], dir)
      run('pnpm', ['pack', '--pack-destination', tarballs], dir)
    }
    const files = await readdir(tarballs)
    const tarball = (name: string): string => {
      const file = files.find((f) => f.startsWith(`simplehttp-${name}-`) && f.endsWith('.tgz'))
      if (file === undefined) throw new Error(`no tarball for ${name} in ${files.join(', ')}`)
      return `file:${path.join(tarballs, file)}`
    }
    const project = path.join(work, 'project')
    await mkdir(path.join(project, 'site'), { recursive: true })
    await writeFile(path.join(project, 'site', 'hello.txt'), 'hello from the tarball\n')
    await writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'pack-check',
        private: true,
        type: 'module',
        dependencies: {
          '@simplehttp/parser': tarball('parser'),
          '@simplehttp/handler': tarball('handler'),
          '@simplehttp/static': tarball('static'),
          express: '^5.1.0',
        },
      }),
    )
    run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], project)
    await writeFile(path.join(project, 'check.mjs'), SCRIPT)
    const results = JSON.parse(run(process.execPath, ['check.mjs', path.join(project, 'site')], project)) as CheckResults
    expect(results.http).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'hello from the tarball\n' })
    expect(results.express).toEqual({ status: 206, range: 'bytes 0-4/23', body: 'hello' })
    expect(results.redirect).toBe('/files/')
    expect(results.handler).toEqual({ status: 200, server: expect.stringMatching(/^SimpleHTTP\/0\.6 /) as unknown, listing: true })
    expect(results.codes).toContain('SH_ERR_STATIC_INVALID_OPTION')
    expect(results.fetch).toEqual({ status: 206, range: 'bytes 6-9/23', body: 'from' })
    expect(results.fetchListing).toBe(true)
    expect(results.fetchMissing).toBe(404)
  }, 180_000)
})
