/**
 * Differential test against Node's own response parser (llhttp, driven through node:http's
 * parser binding exactly as node:http's client drives it: `HEAD` skips the body, a `2xx` to
 * `CONNECT` is an upgrade). The corpus is every response case of test/response-cases (except
 * the ones that set limits), llhttp's own response specs converted into data
 * (test/response-cases/llhttp.ts), and a few everyday responses.
 *
 * Where both accept, statuses, bodies and the bytes left after an upgrade must agree. Where one
 * accepts and the other refuses, the case must be listed in
 * response-differential-disagreements.md with the reason we are right; a new disagreement fails
 * this test, and so does a listed one that went away.
 */
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { describe, expect, it } from 'vitest'
import { allResponseCases } from './response-cases/index.js'
import { llhttpResponseCases } from './response-cases/llhttp.js'
import { runResponses } from './response-helpers.js'

interface Verdict {
  accepted: boolean
  responses: { status: number; body: string }[]
  rest: string | undefined
  error: string | undefined
}

interface Case {
  title: string
  raw: string
  methods: string[]
}

const everyday: Case[] = [
  {
    title: 'CPython http.server directory listing',
    raw:
      'HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.12.3\r\nDate: Fri, 04 Dec 2026 12:00:00 GMT\r\n' +
      'Content-type: text/html; charset=utf-8\r\nContent-Length: 13\r\n\r\n<html></html>',
    methods: ['GET'],
  },
  {
    title: 'CPython error page, close-delimited',
    raw: 'HTTP/1.0 404 File not found\r\nServer: SimpleHTTP/0.6 Python/3.12.3\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\n\r\n<p>Error code: 404</p>',
    methods: ['GET'],
  },
  {
    title: 'nginx chunked then 304 then HEAD',
    raw:
      'HTTP/1.1 200 OK\r\nServer: nginx\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\nb\r\nhello world\r\n0\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\nServer: nginx\r\nETag: "5f-18c"\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n',
    methods: ['GET', 'GET', 'HEAD'],
  },
  {
    title: 'proxy CONNECT established',
    raw: 'HTTP/1.1 200 Connection established\r\nProxy-Agent: squid\r\n\r\n\x16\x03\x01\x02\x00',
    methods: ['CONNECT'],
  },
  {
    title: 'websocket upgrade',
    raw: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi',
    methods: ['GET'],
  },
]

const corpus: Case[] = [
  ...allResponseCases
    .filter((c) => c.skipDifferential === undefined)
    .map((c) => ({ title: c.title, raw: c.raw, methods: c.methods ?? [] })),
  ...llhttpResponseCases.map((c) => ({ title: `llhttp ${c.source} ${c.title}`, raw: c.raw, methods: [c.method] })),
  ...everyday,
]

// ---- llhttp's side ------------------------------------------------------------------------------

interface Binding {
  HTTPParser: {
    new (): Record<number, unknown> & {
      initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void
      execute(data: Buffer): number | Error
      finish(): undefined | Error
    }
    RESPONSE: number
    kOnHeaders: number
    kOnHeadersComplete: number
    kOnBody: number
    kOnMessageComplete: number
  }
}
const { HTTPParser } = (process as unknown as { binding(name: string): Binding }).binding('http_parser')

function askLlhttp(c: Case): Verdict {
  const responses: Verdict['responses'] = []
  let body: Buffer[] = []
  let status = 0
  let finals = 0
  const seen = { upgraded: false }
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.RESPONSE, {}, 0, 0)
  parser[HTTPParser.kOnHeaders] = () => undefined
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    _headers: string[],
    _method: number,
    _url: string,
    statusCode: number,
  ): number => {
    status = statusCode
    body = []
    if (statusCode >= 100 && statusCode < 200 && statusCode !== 101) return 0
    const method = c.methods[finals++] ?? 'GET'
    // As node:http's client: 1 skips the body, 2 skips it and ends the stream (upgrade).
    if (method === 'CONNECT' && statusCode >= 200 && statusCode < 300) {
      seen.upgraded = true
      return 2
    }
    if (statusCode === 101) seen.upgraded = true
    return method === 'HEAD' ? 1 : 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    body.push(Buffer.from(chunk))
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    responses.push({ status, body: Buffer.concat(body).toString('latin1') })
  }
  const bytes = Buffer.from(c.raw, 'latin1')
  const result = parser.execute(bytes)
  if (result instanceof Error) return { accepted: false, responses, rest: undefined, error: (result as { code?: string }).code }
  if (seen.upgraded) return { accepted: true, responses, rest: bytes.subarray(result).toString('latin1'), error: undefined }
  const end = parser.finish()
  if (end instanceof Error) return { accepted: false, responses, rest: undefined, error: (end as { code?: string }).code }
  return { accepted: true, responses, rest: undefined, error: undefined }
}

function askUs(c: Case): Verdict {
  const outcome = runResponses(Buffer.from(c.raw, 'latin1'), c.methods, undefined, 'whole')
  return {
    accepted: outcome.error === undefined,
    responses: outcome.responses.map((r) => ({ status: r.status, body: r.body })),
    rest: outcome.rest,
    error: outcome.error?.code,
  }
}

// ---- the list of known disagreements ------------------------------------------------------------

interface Listed {
  title: string
  ours: 'accepts' | 'rejects'
  node: 'accepts' | 'rejects'
}

function listedDisagreements(): Map<string, Listed> {
  const text = readFileSync(new URL('./response-differential-disagreements.md', import.meta.url), 'utf8')
  const rows = new Map<string, Listed>()
  for (const line of text.split('\n')) {
    const match = /^\|\s*`([^`]+)`\s*\|\s*(accepts|rejects)\b[^|]*\|\s*(accepts|rejects)\b[^|]*\|/.exec(line)
    if (match == null) continue
    const [, title, ours, node] = match as unknown as [string, string, Listed['ours'], Listed['node']]
    rows.set(title, { title, ours, node })
  }
  return rows
}

describe('response differential: @simplehttp/parser vs llhttp (node:http)', () => {
  it('has a corpus of valid and invalid responses, llhttp’s own specs included', () => {
    expect(llhttpResponseCases.length).toBeGreaterThanOrEqual(60)
    expect(corpus.length).toBeGreaterThanOrEqual(120)
    expect(new Set(corpus.map((c) => c.title)).size).toBe(corpus.length)
    const verdicts = corpus.map(askUs)
    expect(verdicts.filter((v) => v.accepted).length).toBeGreaterThanOrEqual(40)
    expect(verdicts.filter((v) => !v.accepted).length).toBeGreaterThanOrEqual(30)
  })

  it('agrees with llhttp, or the disagreement is listed with its reason', () => {
    const listed = listedDisagreements()
    const found = new Map<string, Listed>()
    const mismatches: string[] = []
    for (const c of corpus) {
      const ours = askUs(c)
      const node = askLlhttp(c)
      if (ours.accepted && node.accepted) {
        if (JSON.stringify([ours.responses, ours.rest]) !== JSON.stringify([node.responses, node.rest])) {
          mismatches.push(`${c.title}\n  ours: ${JSON.stringify([ours.responses, ours.rest])}\n  node: ${JSON.stringify([node.responses, node.rest])}`)
        }
      } else if (ours.accepted !== node.accepted) {
        found.set(c.title, { title: c.title, ours: ours.accepted ? 'accepts' : 'rejects', node: node.accepted ? 'accepts' : 'rejects' })
      }
    }
    expect(mismatches, 'both accept but parse differently').toEqual([])
    const unlisted = [...found.values()].filter((d) => {
      const row = listed.get(d.title)
      return row?.ours !== d.ours || row.node !== d.node
    })
    expect(
      unlisted.map((d) => `| \`${d.title}\` | ${d.ours} | ${d.node} | … |`),
      'new disagreements: add them to test/response-differential-disagreements.md with the reason we are right',
    ).toEqual([])
    const stale = [...listed.keys()].filter((title) => !found.has(title))
    expect(stale, 'listed in response-differential-disagreements.md but no longer disagreeing').toEqual([])
  })
})
