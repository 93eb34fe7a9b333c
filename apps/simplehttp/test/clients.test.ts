/**
 * Program clients against the built app: Python's `urllib.request` (what Python scripts use to
 * download from a `python -m http.server`) and Node's own `fetch`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { App } from './helpers.js'
import { cleanup, listingPage, makeTree, mustRun, startApp } from './helpers.js'

afterEach(cleanup)

const HELLO = 'hello, clients\n'
const UNICODE = 'ünïcødé ✓\n'

let app: App

beforeEach(async () => {
  const root = await makeTree({
    'hello.txt': HELLO,
    'page.html': '<!doctype html><title>t</title><p>page</p>\n',
    'docs/ünï.txt': UNICODE,
  })
  app = await startApp(root)
})

// Prints one JSON object: for each fetch, the status, a few headers and the body.
const PYTHON = String.raw`
import json, sys, urllib.error, urllib.request
base = sys.argv[1]
out = {}
def get(name, path):
    with urllib.request.urlopen(base + path, timeout=20) as r:
        out[name] = {'status': r.status, 'url': r.url, 'type': r.headers['Content-Type'],
                     'length': r.headers['Content-Length'], 'body': r.read().decode('utf-8')}
get('file', '/hello.txt')
get('listing', '/docs/')
get('redirected', '/docs')
get('unicode', '/docs/%C3%BCn%C3%AF.txt')
try:
    urllib.request.urlopen(base + '/missing.txt', timeout=20)
except urllib.error.HTTPError as e:
    out['missing'] = {'status': e.code, 'reason': e.reason, 'type': e.headers['Content-Type']}
print(json.dumps(out))
`

interface PyResponse {
  status: number
  url: string
  type: string
  length: string
  body: string
}

/** What the Python script prints. */
interface PyResults {
  file: PyResponse
  listing: PyResponse
  redirected: PyResponse
  unicode: PyResponse
  missing: { status: number; reason: string; type: string }
}

describe("Python's urllib.request", () => {
  it('fetches a file and a listing, follows the 301, and sees the 404', async () => {
    const stdout = await mustRun('python3', ['-c', PYTHON, app.origin])
    const out = JSON.parse(stdout.toString()) as PyResults
    expect(out.file).toEqual({
      status: 200,
      url: `${app.origin}/hello.txt`,
      type: 'text/plain',
      length: String(Buffer.byteLength(HELLO)),
      body: HELLO,
    })
    const listing = listingPage('/docs/', [['%C3%BCn%C3%AF.txt', 'ünï.txt']])
    expect(out.listing).toEqual({
      status: 200,
      url: `${app.origin}/docs/`,
      type: 'text/html; charset=utf-8',
      length: String(Buffer.byteLength(listing)),
      body: listing,
    })
    expect(out.redirected).toMatchObject({ status: 200, url: `${app.origin}/docs/`, body: listing })
    expect(out.unicode).toMatchObject({ status: 200, body: UNICODE })
    expect(out.missing).toEqual({ status: 404, reason: 'File not found', type: 'text/html;charset=utf-8' })
    await app.process.waitForStderr('"GET /docs HTTP/1.1" 301 -')
  })
})

describe("Node's fetch", () => {
  it('fetches a file', async () => {
    const response = await fetch(`${app.origin}/hello.txt`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain')
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(HELLO)))
    expect(response.headers.get('accept-ranges')).toBe('bytes')
    expect(await response.text()).toBe(HELLO)

    const html = await fetch(`${app.origin}/page.html`)
    expect(html.headers.get('content-type')).toBe('text/html')
    expect(await html.text()).toContain('<p>page</p>')
  })

  it('fetches a listing, and follows the trailing-slash redirect', async () => {
    const response = await fetch(`${app.origin}/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await response.text()).toBe(
      listingPage('/', [
        ['docs/', 'docs/'],
        ['hello.txt', 'hello.txt'],
        ['page.html', 'page.html'],
      ]),
    )

    const manual = await fetch(`${app.origin}/docs`, { redirect: 'manual' })
    expect(manual.status).toBe(301)
    expect(manual.headers.get('location')).toBe('/docs/')
    const followed = await fetch(`${app.origin}/docs`)
    expect(followed.url).toBe(`${app.origin}/docs/`)
    expect(await followed.text()).toContain('<a href="%C3%BCn%C3%AF.txt">ünï.txt</a>')
  })

  it('a conditional request with the ETag gets 304 and no body; a stale ETag gets the file', async () => {
    const first = await fetch(`${app.origin}/hello.txt`)
    await first.arrayBuffer()
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)

    const again = await fetch(`${app.origin}/hello.txt`, { headers: { 'If-None-Match': etag ?? '' } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    expect(await again.text()).toBe('')

    const stale = await fetch(`${app.origin}/hello.txt`, { headers: { 'If-None-Match': '"0-0"' } })
    expect(stale.status).toBe(200)
    expect(await stale.text()).toBe(HELLO)

    // CPython's own conditional request works too.
    const lastModified = first.headers.get('last-modified') ?? ''
    const since = await fetch(`${app.origin}/hello.txt`, { headers: { 'If-Modified-Since': lastModified } })
    expect(since.status).toBe(304)
    await since.arrayBuffer()
    await app.process.waitForStderr('"GET /hello.txt HTTP/1.1" 304 -')
  })

  it('HEAD: the same status and headers as GET, no body', async () => {
    const get = await fetch(`${app.origin}/hello.txt`)
    await get.arrayBuffer()
    const head = await fetch(`${app.origin}/hello.txt`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    for (const name of ['content-type', 'content-length', 'last-modified', 'etag', 'accept-ranges']) {
      expect(head.headers.get(name), name).toBe(get.headers.get(name))
    }
    expect(await head.text()).toBe('')

    const listing = await fetch(`${app.origin}/docs/`, { method: 'HEAD' })
    expect(listing.status).toBe(200)
    expect(Number(listing.headers.get('content-length'))).toBeGreaterThan(0)
    expect(await listing.text()).toBe('')
    await app.process.waitForStderr('"HEAD /docs/ HTTP/1.1" 200 -')
  })
})
