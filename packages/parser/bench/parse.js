// `pnpm --filter @simplehttp/parser bench`: requests parsed per second by @simplehttp/parser and by
// Node's own llhttp (the C parser inside node:http, driven from JS through its binding), on the
// same bytes in the same run, then a memory check over one million pipelined requests.
//
// Both sides do the same work per request: produce method, url and the raw header list, and
// consume the body bytes. Run with `node --no-deprecation --expose-gc bench/parse.js`
// (`process.binding` prints a deprecation warning; `gc` makes the memory samples meaningful).
import { Buffer } from 'node:buffer'
import console from 'node:console'
import process from 'node:process'
import { RequestParser, ResponseParser } from '../dist/index.js'

const { HTTPParser, methods } = process.binding('http_parser')

// ---- corpora ------------------------------------------------------------------------------------

const crlf = (lines) => lines.join('\r\n')

const smallGet = crlf([
  'GET /api/items?id=42 HTTP/1.1',
  'Host: api.example.com',
  'User-Agent: curl/8.5.0',
  'Accept: */*',
  'Accept-Encoding: gzip, deflate, br',
  'Connection: keep-alive',
  'X-Request-Id: 8f14e45f-ceea-467f-a0e6-3a7c1b6e4f0b',
  'Cache-Control: no-cache',
  '',
  '',
])

const browserGet = crlf([
  'GET /dashboard/projects/simplehttp/settings?tab=general&sort=name HTTP/1.1',
  'Host: www.example.com',
  'Connection: keep-alive',
  'Cache-Control: max-age=0',
  'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-mobile: ?0',
  'sec-ch-ua-platform: "Linux"',
  'Upgrade-Insecure-Requests: 1',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  'Sec-Fetch-Site: same-origin',
  'Sec-Fetch-Mode: navigate',
  'Sec-Fetch-User: ?1',
  'Sec-Fetch-Dest: document',
  'Referer: https://www.example.com/dashboard/projects/simplehttp',
  'Accept-Encoding: gzip, deflate, br, zstd',
  'Accept-Language: en-GB,en-US;q=0.9,en;q=0.8,de;q=0.7',
  'Cookie: _ga=GA1.2.1234567890.1700000000; session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRhIn0.c2lnbmF0dXJl; theme=dark; consent=analytics%3Dno%26ads%3Dno; _gid=GA1.2.987654321.1700000000',
  '',
  '',
])

const chunk = (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
const chunkedPost =
  crlf([
    'POST /upload/events HTTP/1.1',
    'Host: ingest.example.com',
    'User-Agent: event-shipper/2.3',
    'Content-Type: application/x-ndjson',
    'Transfer-Encoding: chunked',
    'Accept: application/json',
    '',
    '',
  ]) +
  chunk('{"ts":1700000000123,"type":"click","target":"#save","user":"u-4812"}\n'.repeat(4)) +
  chunk('{"ts":1700000000456,"type":"scroll","target":"main","user":"u-4812","y":640}\n'.repeat(6)) +
  chunk('{"ts":1700000000789,"type":"view","target":"/settings","user":"u-4812"}\n'.repeat(2)) +
  '0\r\n\r\n'

const pipelined = smallGet.replace('Connection: keep-alive\r\n', '').repeat(32)

const corpora = [
  { name: 'small GET (7 headers)', bytes: Buffer.from(smallGet, 'latin1'), requests: 1 },
  { name: 'browser GET (16 headers, cookies)', bytes: Buffer.from(browserGet, 'latin1'), requests: 1 },
  { name: 'chunked POST (3 chunks)', bytes: Buffer.from(chunkedPost, 'latin1'), requests: 1 },
  { name: 'pipelined 32 small GETs', bytes: Buffer.from(pipelined, 'latin1'), requests: 32 },
]

// ---- the two contestants ------------------------------------------------------------------------

/** What each side hands the application per request; both fill it the same way. */
let sink = 0
let seen = 0

// Each side's callbacks are made once, as a server makes them once (the handler passes one class
// for every connection); a new parser is made for every round.
const ourCallbacks = {
  onHead(head) {
    sink += head.method.length + head.target.length + head.headers.raw.length
  },
  onBody(body) {
    sink += body.length
  },
  onEnd() {
    seen++
  },
  onError(error) {
    throw error
  },
}

function ours() {
  const parser = new RequestParser(ourCallbacks)
  return (bytes) => parser.execute(bytes)
}

let extra = []
// Headers beyond 32 fields arrive early through kOnHeaders; node:http joins them the same way.
function llhttpOnHeaders(headers, url) {
  extra = extra.concat(headers)
  sink += url.length
}
function llhttpOnHeadersComplete(major, minor, headers, method, url) {
  const all = extra.length > 0 ? extra.concat(headers) : headers
  extra = []
  const name = methods[method]
  sink += name.length + url.length + all.length
}
function llhttpOnBody(body) {
  sink += body.length
}
function llhttpOnMessageComplete() {
  seen++
}

function llhttp() {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0)
  parser[HTTPParser.kOnHeaders] = llhttpOnHeaders
  parser[HTTPParser.kOnHeadersComplete] = llhttpOnHeadersComplete
  parser[HTTPParser.kOnBody] = llhttpOnBody
  parser[HTTPParser.kOnMessageComplete] = llhttpOnMessageComplete
  return (bytes) => {
    const result = parser.execute(bytes)
    if (result instanceof Error) throw result
    return result
  }
}

const contestants = { '@simplehttp/parser': ours, 'llhttp (node:http)': llhttp }

// ---- measuring ----------------------------------------------------------------------------------

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 600)

/**
 * 64 copies of the corpus, each in an ArrayBuffer of its own, fed in turn: socket reads arrive
 * in fresh ArrayBuffers, so neither side may profit from seeing the same memory again.
 */
function copies(bytes) {
  return Array.from({ length: 64 }, () => {
    const buffer = new ArrayBuffer(bytes.length)
    new Uint8Array(buffer).set(bytes)
    return Buffer.from(buffer)
  })
}

/** Parse the corpus over and over for about `ms`; returns requests per second. */
function measure(make, corpus, ms) {
  const execute = make()
  const { requests } = corpus
  const inputs = (corpus.inputs ??= copies(corpus.bytes))
  seen = 0
  let iterations = 0
  const start = process.hrtime.bigint()
  const budget = BigInt(ms) * 1_000_000n
  let elapsed = 0n
  while (elapsed < budget) {
    for (let i = 0; i < 256; i++) execute(inputs[i & 63])
    iterations += 256
    elapsed = process.hrtime.bigint() - start
  }
  if (seen !== iterations * requests) throw new Error(`${corpus.name}: saw ${seen} requests, expected ${iterations * requests}`)
  return (iterations * requests) / (Number(elapsed) / 1e9)
}

const fmt = (n) => Math.round(n).toLocaleString('en-US')
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Measure every corpus with both contestants and print the table. */
function compare(title, unit, corporaList, contestantsMap) {
  console.log(`## parser: ${title} (node ${process.version}, llhttp ${process.versions.llhttp}; median of ${ROUNDS} rounds of ${ROUND_MS} ms)\n`)
  const rows = []
  // BENCH_ONLY=browser runs the corpora whose name contains "browser".
  const only = process.env.BENCH_ONLY
  for (const corpus of corporaList.filter((c) => only === undefined || c.name.includes(only))) {
    // Warm up both, so each is optimised before it is measured.
    for (const make of Object.values(contestantsMap)) measure(make, corpus, 300)
    const results = Object.fromEntries(Object.keys(contestantsMap).map((name) => [name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order every round so neither side always runs on a freshly collected heap.
      const names = Object.keys(contestantsMap)
      if (round % 2 === 1) names.reverse()
      for (const name of names) results[name].push(measure(contestantsMap[name], corpus, ROUND_MS))
    }
    const ourRate = median(results['@simplehttp/parser'])
    const theirRate = median(results['llhttp (node:http)'])
    rows.push([corpus.name, fmt(ourRate), fmt(theirRate), `${(ourRate / theirRate).toFixed(2)}×`])
  }
  if (rows.length === 0) return
  const header = ['corpus', `@simplehttp/parser ${unit}`, `llhttp ${unit}`, 'ours/llhttp']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`)
  for (const row of rows) console.log(line(row))
  console.log('')
}

// BENCH_RESPONSES=only skips the request corpora, BENCH_RESPONSES=0 the response ones.
if (process.env.BENCH_RESPONSES !== 'only') compare('requests/s', 'req/s', corpora, contestants)

// ---- responses ----------------------------------------------------------------------------------
// The same method for responses: ResponseParser against llhttp's response parser, both producing
// status, reason and the raw header list and consuming the body.

const small200 = crlf([
  'HTTP/1.1 200 OK',
  'Date: Fri, 04 Dec 2026 12:00:00 GMT',
  'Server: simplehttp/0.1',
  'Content-Type: application/json; charset=utf-8',
  'Content-Length: 27',
  'Cache-Control: no-store',
  'ETag: W/"1b-5f3a1c"',
  'X-Request-Id: 8f14e45f-ceea-467f-a0e6-3a7c1b6e4f0b',
  'Connection: keep-alive',
  '',
  '{"id":42,"name":"answer"}\r\n',
])

const chunkedResponse =
  crlf([
    'HTTP/1.1 200 OK',
    'Date: Fri, 04 Dec 2026 12:00:00 GMT',
    'Server: simplehttp/0.1',
    'Content-Type: text/html; charset=utf-8',
    'Transfer-Encoding: chunked',
    'Vary: Accept-Encoding',
    '',
    '',
  ]) +
  chunk('<!DOCTYPE html><html><head><title>Directory listing for /</title></head><body>\n'.repeat(3)) +
  chunk('<li><a href="file.txt">file.txt</a></li>\n'.repeat(12)) +
  chunk('</ul><hr></body></html>\n') +
  '0\r\n\r\n'

const notModified = crlf([
  'HTTP/1.1 304 Not Modified',
  'Date: Fri, 04 Dec 2026 12:00:00 GMT',
  'Server: simplehttp/0.1',
  'ETag: "5f-18c"',
  'Last-Modified: Thu, 03 Dec 2026 09:30:00 GMT',
  '',
  '',
]).repeat(32)

const responseCorpora = [
  { name: 'small 200 (8 headers)', bytes: Buffer.from(small200, 'latin1'), requests: 1 },
  { name: 'chunked 200 (3 chunks)', bytes: Buffer.from(chunkedResponse, 'latin1'), requests: 1 },
  { name: 'pipelined 32 304s', bytes: Buffer.from(notModified, 'latin1'), requests: 32 },
]

const ourResponseCallbacks = {
  onHead(head) {
    sink += head.status + head.reason.length + head.headers.raw.length
  },
  onBody(body) {
    sink += body.length
  },
  onEnd() {
    seen++
  },
  onError(error) {
    throw error
  },
}

function oursResponse() {
  const parser = new ResponseParser(ourResponseCallbacks)
  return (bytes) => parser.execute(bytes)
}

function llhttpResponseOnHeadersComplete(major, minor, headers, method, url, statusCode, statusMessage) {
  const all = extra.length > 0 ? extra.concat(headers) : headers
  extra = []
  sink += statusCode + statusMessage.length + all.length
  return 0
}

function llhttpResponse() {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.RESPONSE, {}, 0, 0)
  parser[HTTPParser.kOnHeaders] = llhttpOnHeaders
  parser[HTTPParser.kOnHeadersComplete] = llhttpResponseOnHeadersComplete
  parser[HTTPParser.kOnBody] = llhttpOnBody
  parser[HTTPParser.kOnMessageComplete] = llhttpOnMessageComplete
  return (bytes) => {
    const result = parser.execute(bytes)
    if (result instanceof Error) throw result
    return result
  }
}

const responseContestants = { '@simplehttp/parser': oursResponse, 'llhttp (node:http)': llhttpResponse }

if (process.env.BENCH_RESPONSES !== '0') compare('responses/s', 'res/s', responseCorpora, responseContestants)

// ---- memory: one million pipelined requests in 64 KiB chunks ------------------------------------

if (process.env.BENCH_MEMORY !== '0') {
  const TOTAL = 1_000_000
  const mix = [smallGet, browserGet, chunkedPost, 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world']
  const pattern = Buffer.from(Array.from({ length: 400 }, (_, i) => mix[i % mix.length]).join(''), 'latin1')
  const perPattern = 400
  const CHUNK = 64 * 1024
  const gc = globalThis.gc ?? (() => undefined)
  const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`
  const sample = (count) => {
    gc()
    const { heapUsed, rss } = process.memoryUsage()
    return [fmt(count), mb(heapUsed), mb(rss)]
  }

  let done = 0
  const parser = new RequestParser({
    onHead(head) {
      sink += head.headers.raw.length
    },
    onBody(body) {
      sink += body.length
    },
    onEnd() {
      done++
    },
    onError(error) {
      throw error
    },
  })
  const samples = [sample(0)]
  let next = 250_000
  // Walk an endless repetition of `pattern` in 64 KiB windows: chunk edges fall anywhere,
  // mid-line, mid-body, mid-chunk-size, like socket reads.
  const ring = Buffer.concat([pattern, pattern.subarray(0, CHUNK)])
  let offset = 0
  while (done < TOTAL) {
    parser.execute(ring.subarray(offset, offset + CHUNK))
    offset = (offset + CHUNK) % pattern.length
    if (done >= next) {
      samples.push(sample(done))
      next += 250_000
    }
  }
  console.log(`\n## memory: ${fmt(TOTAL)} pipelined requests fed in 64 KiB chunks (${perPattern}-request pattern of GET/browser GET/chunked POST/CL POST)${globalThis.gc ? '' : ' — run with --expose-gc for exact numbers'}\n`)
  const mheader = ['requests parsed', 'heapUsed', 'rss']
  console.log(`| ${mheader.join(' | ')} |`)
  console.log(`|${mheader.map(() => '---:').join('|')}|`)
  for (const s of samples) console.log(`| ${s.join(' | ')} |`)
}

if (sink === 0) console.log('(nothing parsed?)')
