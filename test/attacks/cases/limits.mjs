// Limits and availability: oversized requests get their 414/431, hostile sizes and slow or many
// clients cost bounded memory, and a normal client is served while the attack goes on.
import { Buffer } from 'node:buffer'
import { RawClient } from '@simplehttp/test-client'
import { finals, openMany, sleep } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

const RSS_LIMIT_KIB = 200 * 1024

function memory(ctx, before) {
  const after = ctx.rss()
  if (after === undefined) return 'rss n/a'
  check(after < RSS_LIMIT_KIB, `VmRSS ${Math.round(after / 1024)} MiB after the attack (limit ${RSS_LIMIT_KIB / 1024} MiB; before ${Math.round((before ?? 0) / 1024)} MiB)`)
  return `rss ${Math.round((before ?? 0) / 1024)}→${Math.round(after / 1024)} MiB`
}

/** The normal GET from another client, during the attack. */
async function probeDuring(ctx, delay = 300) {
  await sleep(delay)
  const p = await ctx.probe(5000)
  return p
}

/** Run `attack` and, `delay` ms in, a normal GET; both must go well and memory stay bounded. */
async function during(ctx, attack, delay = 300) {
  const before = ctx.rss()
  const [result, probe] = await Promise.all([attack(), probeDuring(ctx, delay)])
  check(probe.ok, `during the attack: ${probe.detail}`)
  return { result, probe, mem: memory(ctx, before) }
}

function oversized(name, raw, statuses) {
  return {
    family: 'limits',
    name,
    timeout: 20_000,
    run: async (ctx) => {
      const { result: res, mem } = await during(ctx, () => ctx.send(raw, { timeout: 8000, stopOnData: true }))
      const r = finals(res)[0]
      check(r !== undefined && statuses.includes(r.status), `want ${statuses.join('/')}, got ${summary(res)} after writing ${res.written} of ${raw.length} bytes`)
      return `${r.statusLine}; ${mem}`
    },
  }
}

/** A body the server must not buffer: `head`, then `size` bytes of filler, with a probe meanwhile. */
function hugeBody(name, head, size, filler = 'x') {
  return {
    family: 'limits',
    name,
    timeout: 20_000,
    run: async (ctx) => {
      const chunk = Buffer.alloc(64 * 1024, filler)
      const parts = [head]
      for (let sent = 0; sent < size; sent += chunk.length) parts.push(chunk)
      const { result: res, mem } = await during(ctx, () => ctx.send(parts, { timeout: 4000 }), 500)
      return `${summary(res)}; wrote ${res.written} bytes; ${mem}`
    },
  }
}

const MiB = 1024 * 1024

export const limits = [
  oversized('70 KiB request line → 414', `GET /${'a'.repeat(70 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, [414]),
  oversized('1 MiB request line → 414', `GET /${'a'.repeat(MiB)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, [414]),
  oversized('1 MiB request line without a space → 414', `${'A'.repeat(MiB)}`, [414, 400]),
  oversized('70 KiB header line → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ${'a'.repeat(70 * 1024)}\r\n\r\n`, [431]),
  oversized('1 MiB header line → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ${'a'.repeat(MiB)}\r\n\r\n`, [431]),
  oversized('1 MiB header name → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X'.repeat(MiB)}: v\r\n\r\n`, [431]),
  oversized('101 headers → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-H: v\r\n'.repeat(101)}\r\n`, [431]),
  oversized('20,000 headers → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 20_000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, [431]),
  oversized('20,000 empty-valued headers → 431', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${'A:\r\n'.repeat(20_000)}\r\n`, [431]),
  oversized('60 headers of 60 KiB (3.6 MB head)', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${`X-Big: ${'b'.repeat(60 * 1024)}\r\n`.repeat(60)}\r\n`, [431, 400, 413, 200]),
  hugeBody('Content-Length 10^12 on GET, 4 MiB sent', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n', 4 * MiB),
  hugeBody('Content-Length 10^9 on GET, 4 MiB sent', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n', 4 * MiB),
  hugeBody('Content-Length 10^12 on PUT', 'PUT /victim.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n', 4 * MiB),
  hugeBody('Content-Length 10^9 to a CGI script, 4 MiB sent', 'POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n', 4 * MiB),
  hugeBody('Content-Length 10^12 to a CGI script', 'POST /cgi-bin/slow.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n', 4 * MiB),
  hugeBody('chunk size ffffffffffff (281 TB), 4 MiB sent', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n', 4 * MiB),
  hugeBody('chunk size 7fffffffffffffff', 'POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n', 4 * MiB),
  hugeBody('1 MiB chunk extension', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n1;', MiB, 'e'),
  hugeBody('4 MiB of chunk-size leading zeros', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', 4 * MiB, '0'),
  hugeBody('4 MiB of trailer fields', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n', 4 * MiB, 'T'),
  {
    family: 'limits',
    name: '200,000 one-byte chunks',
    timeout: 20_000,
    run: async (ctx) => {
      const body = Buffer.from('1\r\na\r\n'.repeat(200_000) + '0\r\n\r\n')
      const head = 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
      const { result: res, mem } = await during(ctx, () => ctx.send([head, body], { timeout: 8000 }))
      return `${summary(res)}; ${mem}`
    },
  },
  {
    family: 'limits',
    name: '500 idle connections',
    timeout: 30_000,
    run: async (ctx) => {
      const before = ctx.rss()
      const held = await openMany(ctx.port, 500)
      await sleep(300)
      const probe = await ctx.probe(5000)
      const alive = held.alive()
      held.closeAll()
      check(probe.ok, `with 500 idle connections open (${alive} still open): ${probe.detail}`)
      return `${held.connected} connected; ${probe.detail}; ${memory(ctx, before)}`
    },
  },
  {
    family: 'limits',
    name: 'slowloris: 100 connections trickling headers',
    timeout: 30_000,
    run: async (ctx) => {
      const before = ctx.rss()
      const held = await openMany(ctx.port, 100, { initial: 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n' })
      let stop = false
      const trickle = (async () => {
        for (let i = 0; !stop && i < 20; i += 1) {
          for (const s of held.sockets) if (!s.destroyed) s.write(`X-${i}: a\r\n`)
          await sleep(250)
        }
      })()
      await sleep(2000)
      const probe = await ctx.probe(5000)
      stop = true
      await trickle
      const alive = held.alive()
      held.closeAll()
      check(probe.ok, `during slowloris: ${probe.detail}`)
      return `${probe.detail}; ${alive}/100 still open after ${(2000 + probe.ms) / 1000} s; ${memory(ctx, before)}`
    },
  },
  {
    family: 'limits',
    name: 'slow bodies: 30 CGI uploads at a byte per 250 ms',
    timeout: 30_000,
    run: async (ctx) => {
      const before = ctx.rss()
      const held = await openMany(ctx.port, 30, { initial: 'POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n' })
      let stop = false
      const trickle = (async () => {
        while (!stop) {
          for (const s of held.sockets) if (!s.destroyed) s.write('b')
          await sleep(250)
        }
      })()
      await sleep(1500)
      const probe = await ctx.probe(5000)
      stop = true
      await trickle
      held.closeAll()
      check(probe.ok, `during slow bodies: ${probe.detail}`)
      return `${probe.detail}; ${memory(ctx, before)}`
    },
  },
  {
    family: 'limits',
    name: '2,000 pipelined requests in one write',
    timeout: 30_000,
    run: async (ctx) => {
      const count = 2000
      const reqs = Array.from({ length: count }, (_, i) => `GET /n${i % 10}.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n${i === count - 1 ? 'Connection: close\r\n' : ''}\r\n`).join('')
      const { result: res, mem } = await during(ctx, () => ctx.send(reqs, { timeout: 15_000, want: count, settle: 50 }))
      const all = finals(res)
      const wrong = all.findIndex((r, i) => r.status !== 200 || r.body.toString('latin1') !== ctx.fx.nContent(i % 10))
      check(all.length > 0, `no response: ${summary(res)}`)
      check(wrong < 0, `response ${wrong} out of order or wrong: ${all[wrong]?.statusLine} ${JSON.stringify(all[wrong]?.body.toString('latin1'))}`)
      check(all.length === count || (res.closed && res.rest.length === 0 && !all.some((r) => r.partial)), `stopped after ${all.length} responses without a clean close: ${summary(res)}`)
      return `${all.length}/${count} answered in order; ${res.closed ? 'closed' : 'open'}; ${mem}`
    },
  },
  {
    family: 'limits',
    name: '500 pipelined GET /big.bin, responses never read',
    timeout: 30_000,
    run: async (ctx) => {
      const before = ctx.rss()
      const { socket } = await RawClient.connect(ctx.port)
      socket.pause()
      socket.write('GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(500))
      await sleep(2500)
      const mem = memory(ctx, before)
      const probe = await ctx.probe(5000)
      socket.destroy()
      check(probe.ok, `while 500 MiB of responses wait to be read: ${probe.detail}`)
      return `${mem}; ${probe.detail}`
    },
  },
  {
    family: 'limits',
    name: '300 connect/close cycles, 100 resets',
    timeout: 30_000,
    run: async (ctx) => {
      const before = ctx.rss()
      for (let batch = 0; batch < 10; batch += 1) {
        const held = await openMany(ctx.port, 30)
        held.closeAll()
      }
      for (let batch = 0; batch < 4; batch += 1) {
        const held = await openMany(ctx.port, 25, { initial: 'GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' })
        await sleep(20)
        for (const s of held.sockets) s.resetAndDestroy()
      }
      await sleep(200)
      const probe = await ctx.probe(5000)
      check(probe.ok, `after the cycles: ${probe.detail}`)
      return `${probe.detail}; ${memory(ctx, before)}`
    },
  },
  ...[
    ['Range bytes=0-,0-,… ×200', Array.from({ length: 200 }, () => '0-').join(',')],
    ['Range bytes=-1048576 ×200', Array.from({ length: 200 }, () => '-1048576').join(',')],
    ['Range overlapping n-end ×200', Array.from({ length: 200 }, (_, i) => `${i}-1048575`).join(',')],
    ['Range 2,000 one-byte ranges', Array.from({ length: 2000 }, (_, i) => `${i * 2}-${i * 2}`).join(',')],
  ].map(([name, ranges]) => ({
    family: 'limits',
    name: `${name}: response at most ~2× the file`,
    timeout: 20_000,
    run: async (ctx) => {
      const limit = 2 * ctx.fx.bigSize + 64 * 1024
      const { result: res, mem } = await during(ctx, () =>
        ctx.send(ctx.req('GET', '/big.bin', { headers: [`Range: bytes=${ranges}`] }), { timeout: 8000, maxBytes: limit + 1 }),
      )
      check(!res.truncated && res.buf.length <= limit, `the response exceeded ${limit} bytes (${res.buf.length}+ received; ${res.responses[0]?.statusLine})`)
      const r = finals(res)[0]
      return `${r?.statusLine ?? summary(res)}, ${res.buf.length} bytes; ${mem}`
    },
  })),
  {
    family: 'limits',
    name: '20 concurrent CGI requests',
    timeout: 40_000,
    run: async (ctx) => {
      const before = ctx.rss()
      const jobs = Array.from({ length: 20 }, () => ctx.send(ctx.req('GET', '/cgi-bin/slow.sh'), { timeout: 20_000 }))
      const probe = await probeDuring(ctx, 300)
      const results = await Promise.all(jobs)
      const statuses = results.map((res) => finals(res)[0]?.status ?? 0)
      const done = results.filter((res) => res.buf.toString('latin1').includes('SLOW-DONE')).length
      check(probe.ok, `during 20 CGI requests: ${probe.detail}`)
      check(statuses.every((s) => s > 0), `some CGI requests got no answer: ${statuses.join(',')}`)
      return `${done}/20 ran, statuses ${[...new Set(statuses)].join(',')}; ${probe.detail}; ${memory(ctx, before)}`
    },
  },
]
