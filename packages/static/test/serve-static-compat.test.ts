/**
 * The drop-in claim, checked against the real thing: the same requests through serve-static 2.x
 * and through our serveStatic, each in a node:http server with the same `next`, must give the
 * same status, the same user-visible headers and (for files and redirects) the same bytes.
 * Where we differ on purpose (strong ETags, multipart ranges) the case is left out and the
 * README says so.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import serveStaticUpstream from 'serve-static'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type ServeStaticOptions } from '../src/index.js'
import { makeFixture, request, startHTTP, type Fixture, type RawResponse } from './helpers.js'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

let fx: Fixture

beforeAll(async () => {
  fx = await makeFixture()
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

async function answers(middleware: Middleware, cases: readonly Case[]): Promise<RawResponse[]> {
  const server = await startHTTP((req, res) => {
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
