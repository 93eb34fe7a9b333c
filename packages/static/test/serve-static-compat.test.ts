/**
 * The drop-in claim, checked against the real thing: the same requests through serve-static 2.x
 * and through our serveStatic, each in a node:http server with the same `next`, must give the
 * same status, the same user-visible headers and (for files and redirects) the same bytes.
 * Where we differ on purpose (strong ETags, multipart ranges) the case is left out and the
 * README says so.
 */
import { lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import serveStaticUpstream from 'serve-static'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type ServeStaticOptions } from '../src/index.js'
import { makeFixture, request, startHTTP, type Fixture, type RawResponse } from './helpers.js'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

let fx: Fixture

beforeAll(async () => {
  fx = await makeFixture()
  // The names serve-static's own tests use.
  await mkdir(path.join(fx.root, 'users'))
  await writeFile(path.join(fx.root, 'users', 'tobi.txt'), 'ferret')
  await writeFile(path.join(fx.root, 'foo bar'), 'baz')
  await writeFile(path.join(fx.root, 'empty.txt'), '')
  await mkdir(path.join(fx.root, 'snow ☃'))
  // Whole-second mtimes. Last-Modified is the mtime truncated to the second (CPython's rule, and
  // ours); serve-static's Node Date rounds to the millisecond first, so a file written in the last
  // half millisecond of a second gets a date one second later there (README, "Compared with
  // serve-static"). Left to chance, about one fixture in a hundred hits that.
  for (const entry of await readdir(fx.root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name)
    const { mtimeMs } = await lstat(full)
    if (!entry.isSymbolicLink()) await utimes(full, Math.floor(mtimeMs / 1000), Math.floor(mtimeMs / 1000))
  }
})

afterAll(async () => {
  await fx.cleanup()
})

/** Headers a user of serve-static notices; ETag is compared by presence only (ours are strong). */
const COMPARED = [
  'content-type',
  'content-length',
  'cache-control',
  'accept-ranges',
  'last-modified',
  'content-range',
  'location',
  'allow',
  'content-security-policy',
  'x-content-type-options',
  'x-set-headers',
]

interface Case {
  readonly target: string
  readonly method?: string
  readonly headers?: Record<string, string>
}

const COMMON: readonly Case[] = [
  { target: '/hello.txt' },
  { target: '/hello.txt', method: 'HEAD' },
  { target: '/hello.txt', method: 'POST' },
  { target: '/page.html' },
  { target: '/app.js' },
  { target: '/data.JSON' },
  { target: '/noext' },
  { target: '/archive.tar.gz' },
  { target: '/missing.txt' },
  { target: '/.env' },
  { target: '/.git/config' },
  { target: '/%zz' },
  { target: '/%00' },
  { target: '/../secret.txt' },
  { target: '/a/../../secret.txt' },
  { target: '/a/../hello.txt' },
  { target: '/withindex' },
  { target: '/withindex?a=1&b=%20' },
  { target: '/withindex?q="><script>alert(1)</script>&ok=%41%zz' },
  { target: '/withindex/' },
  { target: '/withhtm/' },
  { target: '/small' },
  { target: '/small/' },
  { target: '/hello.txt/' },
  { target: '/digits.txt', headers: { Range: 'bytes=0-3' } },
  { target: '/digits.txt', headers: { Range: 'bytes=-4' } },
  { target: '/digits.txt', headers: { Range: 'bytes=50-' } },
  { target: '/hello.txt', headers: { 'If-Match': '"nope"' } },
  { target: '/hello.txt', headers: { 'If-Modified-Since': new Date(Date.now() + 3600_000).toUTCString() } },
  { target: '/hello.txt', headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' } },
]

const OPTION_SETS: readonly { name: string; options: ServeStaticOptions; cases?: readonly Case[] }[] = [
  { name: 'defaults', options: {} },
  { name: 'fallthrough: false', options: { fallthrough: false } },
  { name: 'dotfiles: deny', options: { dotfiles: 'deny', fallthrough: false }, cases: [{ target: '/.env' }, { target: '/.git/config' }] },
  { name: 'dotfiles: allow', options: { dotfiles: 'allow' }, cases: [{ target: '/.env' }, { target: '/.git/config' }] },
  {
    name: 'extensions',
    options: { extensions: ['html', 'txt'] },
    cases: [{ target: '/page' }, { target: '/hello' }, { target: '/hello.x' }, { target: '/page/' }, { target: '/withindex' }],
  },
  { name: 'index: false', options: { index: false }, cases: [{ target: '/withindex/' }, { target: '/withindex' }] },
  { name: 'index: list', options: { index: ['nope.html', 'index.htm'] }, cases: [{ target: '/withindex/' }, { target: '/withhtm/' }] },
  { name: 'redirect: false', options: { redirect: false }, cases: [{ target: '/withindex' }, { target: '/withindex/' }] },
  { name: 'maxAge + immutable', options: { maxAge: '1d', immutable: true }, cases: [{ target: '/hello.txt' }] },
  { name: 'maxAge number', options: { maxAge: 90_500 }, cases: [{ target: '/hello.txt' }] },
  { name: 'cacheControl: false', options: { cacheControl: false, maxAge: 1000 }, cases: [{ target: '/hello.txt' }] },
  { name: 'lastModified: false', options: { lastModified: false }, cases: [{ target: '/hello.txt' }] },
  { name: 'etag: false', options: { etag: false }, cases: [{ target: '/hello.txt' }] },
  {
    name: 'acceptRanges: false',
    options: { acceptRanges: false },
    cases: [{ target: '/digits.txt', headers: { Range: 'bytes=0-3' } }],
  },
  {
    name: 'setHeaders',
    options: {
      setHeaders: (res) => {
        res.setHeader('Cache-Control', 'no-store')
        res.setHeader('Content-Type', 'text/x-mine')
      },
    },
    cases: [{ target: '/hello.txt' }, { target: '/withindex/' }],
  },
]

/** Runs before the middleware, as serve-static's tests' `createServer(dir, opts, fn)` does. */
type Before = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => void

async function answers(middleware: Middleware, cases: readonly Case[], before?: Before): Promise<RawResponse[]> {
  const server = await startHTTP((req, res) => {
    before?.(req, res)
    middleware(req, res, (err?: unknown) => {
      const error = err as { status?: number; headers?: Record<string, string> } | undefined
      res.statusCode = error ? (error.status ?? 500) : 404
      for (const [name, value] of Object.entries(error?.headers ?? {})) res.setHeader(name, value)
      res.end(error ? `error ${String(error.status)}` : 'sorry!')
    })
  })
  try {
    const out: RawResponse[] = []
    for (const c of cases) out.push(await request(server.port, c.target, { method: c.method ?? 'GET', headers: c.headers ?? {}, version: 'HTTP/1.1' }))
    return out
  } finally {
    await server.close()
  }
}

function visible(r: RawResponse): Record<string, unknown> {
  const headers: Record<string, string | undefined> = {}
  for (const name of COMPARED) headers[name] = r.header(name)
  return { status: r.status, headers, etag: r.header('etag') !== undefined, body: r.body.toString('latin1') }
}

describe('serveStatic against serve-static 2.x, request for request', () => {
  for (const set of OPTION_SETS) {
    it(set.name, async () => {
      const cases = set.cases ?? COMMON
      const theirs = await answers(serveStaticUpstream(fx.root, set.options as serveStaticUpstream.ServeStaticOptions) as Middleware, cases)
      const ours = await answers(serveStatic(fx.root, set.options), cases)
      cases.forEach((c, i) => {
        const label = `${c.method ?? 'GET'} ${c.target} ${JSON.stringify(c.headers ?? {})}`
        expect(visible(ours[i] as RawResponse), label).toEqual(visible(theirs[i] as RawResponse))
      })
    })
  }
})

/** Express/Connect's mount: `req.url` loses its first `depth - 1` segments, `originalUrl` keeps them. */
function mounted(depth: number): Before {
  return (req) => {
    req.originalUrl = req.url ?? '/'
    req.url = `/${(req.url ?? '/').split('/').slice(depth).join('/')}`
  }
}

/**
 * serve-static's own test suite (test/test.js), scenario by scenario, with real serve-static as
 * the oracle instead of its expected values: roots that are missing, too long, `.`-relative or
 * a file; mounts; an index at the mount point; earlier non-2xx statuses; setHeaders' calls.
 */
const SUITE: readonly { name: string; root?: () => string; options?: ServeStaticOptions; before?: Before; cases: readonly Case[] }[] = [
  {
    name: 'basic operations',
    cases: [
      { target: '/users/tobi.txt' },
      { target: '/foo%20bar' },
      { target: '//todo@txt' },
      { target: '/empty.txt' },
      { target: '/users/' },
      { target: '/hello.txt', method: 'OPTIONS' },
      { target: '/digits.txt', headers: { Range: 'asdf' } },
      { target: '/digits.txt', headers: { Range: 'bytes=2-1000' } },
      { target: '/digits.txt', headers: { Range: 'bytes=1000-' } },
      { target: '/digits.txt', headers: { Range: 'bytes=0-0' } },
      { target: '/digits.txt', headers: { Range: 'bytes=3-' } },
    ],
  },
  {
    name: 'redirect',
    cases: [{ target: '/users' }, { target: '/users?name=john' }, { target: '//users' }, { target: '/snow%20%E2%98%83' }, { target: '/' }],
  },
  { name: 'fallthrough: false, traversing past the root', options: { fallthrough: false }, cases: [{ target: '/users/%2e%2e/%2e%2e/todo.txt' }, { target: '/users/../../root/hello.txt' }, { target: '/users/' }, { target: '/users' }] },
  { name: 'fallthrough: false, redirect: false', options: { fallthrough: false, redirect: false }, cases: [{ target: '/users/' }, { target: '/users' }] },
  { name: 'redirect: false', options: { redirect: false }, cases: [{ target: '/users/' }, { target: '/users' }] },
  { name: 'maxAge: Infinity is a year', options: { maxAge: Infinity }, cases: [{ target: '/hello.txt' }] },
  { name: 'maxAge: a string', options: { maxAge: '30d' }, cases: [{ target: '/hello.txt' }] },
  { name: 'a root that does not exist', root: () => path.join(fx.root, 'does_not_exist'), cases: [{ target: '/hello.txt' }, { target: '/../hello.txt' }, { target: '/' }] },
  { name: 'a root too long for the file system', root: () => fx.root + '/foobar'.repeat(1500), cases: [{ target: '/' }, { target: '/hello.txt' }] },
  {
    name: 'a root too long, fallthrough: false',
    root: () => fx.root + '/foobar'.repeat(1500),
    options: { fallthrough: false },
    cases: [{ target: '/' }],
  },
  { name: 'a relative root', root: () => path.relative(process.cwd(), fx.root) || '.', cases: [{ target: '/users/tobi.txt' }, { target: '/users' }] },
  { name: 'an index at the mount point', root: () => path.join(fx.root, 'users'), before: mounted(2), cases: [{ target: '/users' }, { target: '/users/' }] },
  { name: 'mounted at /static', before: mounted(2), cases: [{ target: '/static/users' }, { target: '/static/users/tobi.txt' }, { target: '//todo@txt' }, { target: '/static' }] },
  { name: 'a root that is a file, mounted', root: () => path.join(fx.root, 'hello.txt'), before: mounted(2), cases: [{ target: '/hello' }, { target: '/hello/' }, { target: '/hello/x' }] },
  {
    name: 'index: false, mounted',
    options: { index: false },
    before: mounted(2),
    cases: [{ target: '/static/users/' }, { target: '/static/users' }, { target: '/static/' }, { target: '/static' }],
  },
  {
    name: 'a non-2xx status set earlier is sent as it is, with the file',
    before: (req, res) => {
      if (req.headers['x-status'] !== undefined) res.statusCode = Number(req.headers['x-status'])
    },
    cases: [
      { target: '/hello.txt', headers: { 'x-status': '500' } },
      { target: '/hello.txt', headers: { 'x-status': '500', 'If-Modified-Since': new Date(Date.now() + 3600_000).toUTCString() } },
      { target: '/hello.txt', headers: { 'x-status': '404', Range: 'bytes=0-1' } },
    ],
  },
  {
    name: 'setHeaders: called for files, not for 404s or redirects',
    options: {
      setHeaders: (res) => {
        res.setHeader('X-Set-Headers', 'yes')
      },
    },
    cases: [{ target: '/hello.txt' }, { target: '/missing.txt' }, { target: '/users' }, { target: '/digits.txt', headers: { Range: 'bytes=0-1' } }],
  },
]

describe('serve-static’s own test suite, through serve-static and through serveStatic', () => {
  for (const scenario of SUITE) {
    it(scenario.name, async () => {
      const root = scenario.root?.() ?? fx.root
      const options = scenario.options ?? {}
      const theirs = await answers(serveStaticUpstream(root, options as serveStaticUpstream.ServeStaticOptions) as Middleware, scenario.cases, scenario.before)
      const ours = await answers(serveStatic(root, options), scenario.cases, scenario.before)
      scenario.cases.forEach((c, i) => {
        const label = `${c.method ?? 'GET'} ${c.target} ${JSON.stringify(c.headers ?? {})}`
        expect(visible(ours[i] as RawResponse), label).toEqual(visible(theirs[i] as RawResponse))
      })
    })
  }
})
