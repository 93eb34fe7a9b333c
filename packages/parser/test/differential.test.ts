/**
 * Differential test against Node's own parser (llhttp inside node:http): every case from
 * test/cases/*.ts (except the ones that set limits through options) plus a few everyday
 * requests is sent over a raw socket to a real node:http server, and parsed by parseRequests.
 *
 * Where both accept, method, target, raw headers and body must agree. Where one accepts and the
 * other refuses, the case must be listed in differential-disagreements.md with the reason we are
 * right; a new disagreement fails this test, and so does a listed one that went away.
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allCases, type ParseCase } from './cases/index.js'
import { run } from './helpers.js'

interface Verdict {
  accepted: boolean
  requests: { method: string; target: string; headers: string[]; body: string }[]
  /** Node's error code, or ours. */
  error: string | undefined
}

/** Everyday requests on top of the rule cases. */
const everyday: ParseCase[] = [
  {
    title: 'curl GET',
    why: 'What most tests send.',
    raw: 'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n',
  },
  {
    title: 'browser GET with cookies',
    why: 'A real browser head.',
    raw:
      'GET /static/app.js?v=3 HTTP/1.1\r\nHost: localhost:8000\r\nConnection: keep-alive\r\n' +
      'sec-ch-ua: "Chromium";v="124", "Not-A.Brand";v="99"\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n' +
      'Accept: */*\r\nSec-Fetch-Site: same-origin\r\nReferer: http://localhost:8000/\r\n' +
      'Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-GB,en;q=0.9\r\nCookie: a=1; b=two; c="three"\r\n' +
      'If-None-Match: W/"5f-18c"\r\n\r\n',
  },
  {
    title: 'form POST',
    why: 'A urlencoded body.',
    raw: 'POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\nuser=ada&password=hunter%21',
  },
  {
    title: 'chunked upload with trailers, then a pipelined GET',
    why: 'Both parsers must find the second request at the same byte.',
    raw:
      'PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n' +
      '4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Sum: 42\r\n\r\n' +
      'GET /after HTTP/1.1\r\nHost: a\r\n\r\n',
  },
  {
    title: 'keep-alive pipeline of three',
    why: 'Plain pipelining.',
    raw: 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\nDELETE /3 HTTP/1.1\r\nHost: a\r\n\r\n',
  },
]

const corpus = [...allCases.filter((c) => c.skipDifferential === undefined), ...everyday]

// ---- Node's side --------------------------------------------------------------------------------

let server: http.Server
let port = 0
/** What the server saw, by the client's port. */
const seen = new Map<number, Verdict>()

function verdictFor(socket: net.Socket): Verdict {
  const key = socket.remotePort ?? -1
  let verdict = seen.get(key)
  if (verdict === undefined) {
    verdict = { accepted: true, requests: [], error: undefined }
    seen.set(key, verdict)
  }
  return verdict
}

beforeAll(async () => {
  server = http.createServer({
    insecureHTTPParser: false,
    requireHostHeader: false,
    maxHeaderSize: 4 * 1024 * 1024,
  })
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      verdictFor(req.socket).requests.push({
        method: req.method ?? '',
        target: req.url ?? '',
        headers: req.rawHeaders,
        body: Buffer.concat(chunks).toString('latin1'),
      })
      res.end()
    })
  })
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    verdictFor(socket).requests.push({
      method: req.method ?? '',
      target: req.url ?? '',
      headers: req.rawHeaders,
      body: head.toString('latin1'),
    })
    socket.end('HTTP/1.1 200 Connection Established\r\n\r\n')
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
    const verdict = verdictFor(socket)
    verdict.accepted = false
    verdict.error = error.code
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

/** Send the bytes on a fresh connection, half-close, and wait until the server closes it. */
async function askNode(raw: string): Promise<Verdict> {
  const socket = net.connect(port, '127.0.0.1')
  socket.resume() // responses are not looked at
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const local = socket.localPort ?? -1
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      resolve()
    })
  })
  socket.on('error', () => undefined) // a reset after a 400 is fine
  socket.end(Buffer.from(raw, 'latin1'))
  await closed
  return seen.get(local) ?? { accepted: true, requests: [], error: undefined }
}

function askUs(c: ParseCase): Verdict {
  const outcome = run(Buffer.from(c.raw, 'latin1'), undefined, 'whole')
  return {
    accepted: outcome.error === undefined,
    requests: outcome.requests.map((r) => ({ method: r.method, target: r.target, headers: r.headers, body: r.body })),
    error: outcome.error?.code,
  }
}

// ---- the list of known disagreements ------------------------------------------------------------

interface Listed {
  title: string
  ours: 'accepts' | 'rejects'
  node: 'accepts' | 'rejects'
}

/** Rows of the table in differential-disagreements.md: | `title` | ours | node | why |. */
function listedDisagreements(): Map<string, Listed> {
  const text = readFileSync(new URL('./differential-disagreements.md', import.meta.url), 'utf8')
  const rows = new Map<string, Listed>()
  for (const line of text.split('\n')) {
    const match = /^\|\s*`([^`]+)`\s*\|\s*(accepts|rejects)\b[^|]*\|\s*(accepts|rejects)\b[^|]*\|/.exec(line)
    if (match == null) continue
    const [, title, ours, node] = match as unknown as [string, string, Listed['ours'], Listed['node']]
    rows.set(title, { title, ours, node })
  }
  return rows
}

describe('differential: @simplehttp/parser vs node:http (llhttp)', () => {
  it('has a corpus of valid and invalid requests', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60)
    expect(corpus.filter((c) => c.error === undefined).length).toBeGreaterThanOrEqual(20)
    expect(corpus.filter((c) => c.error !== undefined).length).toBeGreaterThanOrEqual(20)
    expect(new Set(corpus.map((c) => c.title)).size).toBe(corpus.length)
  })

  it('agrees with llhttp, or the disagreement is listed with its reason', async () => {
    const listed = listedDisagreements()
    const found = new Map<string, Listed>()
    const mismatches: string[] = []
    for (const c of corpus) {
      const ours = askUs(c)
      const node = await askNode(c.raw)
      if (ours.accepted && node.accepted) {
        // Both accept: they must have read the same requests.
        if (JSON.stringify(ours.requests) !== JSON.stringify(node.requests)) {
          mismatches.push(`${c.title}\n  ours: ${JSON.stringify(ours.requests)}\n  node: ${JSON.stringify(node.requests)}`)
        }
      } else if (ours.accepted !== node.accepted) {
        found.set(c.title, {
          title: c.title,
          ours: ours.accepted ? 'accepts' : 'rejects',
          node: node.accepted ? 'accepts' : 'rejects',
        })
      }
    }
    expect(mismatches, 'both accept but parse differently').toEqual([])

    const unlisted = [...found.values()].filter((d) => {
      const row = listed.get(d.title)
      return row?.ours !== d.ours || row.node !== d.node
    })
    expect(
      unlisted.map((d) => `| \`${d.title}\` | ${d.ours} | ${d.node} | … |`),
      'new disagreements: add them to test/differential-disagreements.md with the reason we are right',
    ).toEqual([])
    const stale = [...listed.keys()].filter((title) => !found.has(title))
    expect(stale, 'listed in differential-disagreements.md but no longer disagreeing').toEqual([])
  })
})
