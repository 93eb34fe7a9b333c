// Issue 14: @simplehttp/static inside other people's apps. Our serveStatic() in Express 5 against
// express.static (serve-static), and createFetchHandler() in Hono on @hono/node-server against
// Hono's own serveStatic, in the same run: a 1 KiB file and a 304 (If-None-Match, and
// If-Modified-Since). Each server is asked first what it answers; one that cannot do a scenario
// is listed as such, not measured. Servers on core 0, the load generator on core 1.
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compare, cpuTimeOf, fmt, load, printTable, request, startServer } from './lib.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
const connections = 50

/** Each pair: ours, and the peer it must beat by `goal` on requests per second. */
const pairs = [
  // floor: Express answering from constants with no static middleware, the most any middleware can
  // reach there; measured beside the pair so the goal can be read against it.
  { framework: 'Express 5', ours: 'express-ours', peer: 'express-static', floor: 'express-floor', oursName: 'serveStatic (ours)', peerName: 'express.static (serve-static)', floorName: 'no middleware: headers from constants (floor)', goal: 1.5 },
  { framework: 'Hono on @hono/node-server', ours: 'hono-ours', peer: 'hono-static', oursName: 'createFetchHandler (ours)', peerName: 'Hono serveStatic', goal: 1.2 },
]

const scenarios = [
  {
    id: '1k',
    title: '1 KiB file',
    async prepare(port, content) {
      const res = await request(`http://127.0.0.1:${port}/1k.html`)
      if (res.status !== 200) return `answers ${res.status}, not 200`
      if (!res.body.equals(content)) return `wrong body (${fmt.int(res.body.length)} bytes)`
      return {}
    },
  },
  { id: 'inm', title: '304 with If-None-Match', prepare: (port) => revalidate(port, 'etag', 'If-None-Match') },
  { id: 'ims', title: '304 with If-Modified-Since', prepare: (port) => revalidate(port, 'last-modified', 'If-Modified-Since') },
]

async function revalidate(port, validator, header) {
  const first = await request(`http://127.0.0.1:${port}/1k.html`)
  const value = first.headers[validator]
  if (value === undefined) return `sends no ${validator}`
  const headers = { [header]: value }
  const res = await request(`http://127.0.0.1:${port}/1k.html`, headers)
  if (res.status !== 304) return `ignores ${header} (answers ${res.status})`
  return headers
}

export async function benchAdapters() {
  const began = Date.now()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-adapters-'))
  await chmod(dir, 0o755)
  const content = Buffer.from(randomBytes(768).toString('base64'))
  const then = new Date(Date.now() - 3600_000)
  await writeFile(path.join(dir, '1k.html'), content)
  await utimes(path.join(dir, '1k.html'), then, then)
  const goals = []
  try {
    console.log(`\nadapters: ${seconds}s per measured run, ${rounds} rounds (best kept), ${warmupSeconds}s warm-up, ${connections} connections; load average at start: ${os.loadavg().map((n) => n.toFixed(2)).join(', ')}`)
    for (const pair of pairs) {
      const running = new Map()
      try {
        const kinds = [pair.ours, pair.peer, ...(pair.floor ? [pair.floor] : [])]
        for (const kind of kinds) running.set(kind, await startServer(process.execPath, [here('./servers/adapter.js'), kind, dir]))
        for (const scenario of scenarios) {
          const headers = new Map()
          const cannot = new Map()
          for (const kind of kinds) {
            const prepared = await scenario.prepare(running.get(kind).port, content)
            if (typeof prepared === 'string') cannot.set(kind, prepared)
            else headers.set(kind, prepared)
          }
          const entrants = kinds.map((kind) => ({ name: kind }))
          const best = await compare(
            entrants.filter((c) => headers.has(c.name)),
            async (c, round) => {
              const url = `http://127.0.0.1:${running.get(c.name).port}/1k.html`
              const options = { connections, headers: headers.get(c.name) }
              const { pid } = running.get(c.name)
              if (round === 0 && warmupSeconds > 0) await load(url, { ...options, seconds: warmupSeconds })
              // Server CPU per request: steadier than req/s when the machine is shared.
              const cpuBefore = await cpuTimeOf(pid)
              const result = await load(url, { ...options, seconds })
              return { ...result, cpuPerRequest: ((await cpuTimeOf(pid)) - cpuBefore) / result.requests }
            },
            { rounds, reverseOddRounds: true },
          )
          const ours = best.get(pair.ours)
          const peer = best.get(pair.peer)
          const floor = pair.floor === undefined ? undefined : best.get(pair.floor)
          const nameOf = (kind) => (kind === pair.ours ? pair.oursName : kind === pair.peer ? pair.peerName : pair.floorName)
          const rows = entrants.map((c) => ({ kind: c.name, name: nameOf(c.name), r: best.get(c.name), cannot: cannot.get(c.name) }))
          printTable(`${pair.framework}: ${scenario.title}, ${connections} connections, ${seconds}s`, rows, [
            { label: 'middleware', format: (row) => row.name },
            { label: 'req/s', format: (row) => (row.r ? fmt.int(row.r.rps) : '—') },
            { label: 'p99 ms', format: (row) => (row.r ? fmt.ms(row.r.p99) : '—') },
            { label: 'server CPU µs/req', format: (row) => (row.r ? fmt.int(row.r.cpuPerRequest * 1000) : '—') },
            { label: 'vs peer', format: (row) => (row.r && peer ? fmt.ratio(row.r.rps / peer.rps) : '—') },
            {
              label: 'errors / notes',
              format: (row) => {
                if (row.cannot !== undefined) return `can't: ${row.cannot}`
                if (!row.r) return 'not measured'
                return row.r.errors === 0 && row.r.socketErrors.replace(/[^1-9]/g, '') === '' ? '0' : `⚠ ${fmt.int(row.r.errors)} non-2xx/3xx; ${row.r.socketErrors}`
              },
            },
          ])
          const clean = (r) => r !== undefined && r.errors === 0
          goals.push({
            goal: `${pair.framework}, ${scenario.title}: ${pair.oursName} ≥ ${pair.goal}× ${pair.peerName}`,
            measured:
              ours === undefined
                ? `ours can't: ${cannot.get(pair.ours)}`
                : peer === undefined
                  ? `peer can't: ${cannot.get(pair.peer)}`
                  : `${fmt.ratio(ours.rps / peer.rps)} req/s (server CPU per request: ${fmt.ratio(peer.cpuPerRequest / ours.cpuPerRequest)} less)` +
                    (floor === undefined ? '' : `; the floor, with no file work at all: ${fmt.ratio(floor.rps / peer.rps)}`),
            met: !clean(ours) ? false : peer === undefined ? undefined : ours.rps / peer.rps >= pair.goal,
          })
        }
      } finally {
        for (const server of running.values()) await server.stop()
      }
    }
    printTable('goals (issue 14)', goals, [
      { label: 'goal', format: (g) => g.goal },
      { label: 'measured', format: (g) => g.measured },
      { label: 'met', format: (g) => (g.met === undefined ? 'n/a' : g.met ? 'yes' : '**no**') },
    ])
    console.log(`\nadapters bench took ${Math.round((Date.now() - began) / 1000)}s; load average now: ${os.loadavg().map((n) => n.toFixed(2)).join(', ')}`)
    return { goals }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchAdapters()
