// Issue: static files. The simplehttp app (what `npx simplehttp` runs) against sirv, serve-static
// on Express, CPython's http.server, a bare node:http + createReadStream server (the floor, for
// scale) and, when installed, nginx (listing only): the same files, the same run, each server
// pinned to core 0 and wrk to core 1. Every server is asked first what it answers (status, bytes,
// validators); one that cannot do a scenario is listed as such, not measured. Then a warm-up and
// alternating measured runs; a run with non-2xx/3xx answers or socket errors is marked.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compare, cpuTimeOf, fmt, freePort, load, memoryOf, printTable, request, startServer } from './lib.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const app = here('../apps/simplehttp/bin/simplehttp.cjs')
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const warmupSeconds = 1
/** The banner `python -m http.server` prints, and so does ours. */
const BANNER = /^Serving HTTP on \S+ port (\d+) /
const MiB = 1024 ** 2

// ---- the files ------------------------------------------------------------------------------

/** The site every server serves: small, medium, large files and a 1,000-entry directory. */
async function makeSite() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-static-'))
  await chmod(dir, 0o755)
  const files = {
    '1k.html': Buffer.from(randomBytes(768).toString('base64')), // 1,024 bytes of text
    '64k.js': Buffer.from(randomBytes(48 * 1024).toString('base64')), // 65,536 bytes
    '10m.bin': randomBytes(10 * MiB),
    '16m.bin': randomBytes(16 * MiB),
  }
  // A deployed site: nothing changed in the last hour (caches may keep what they read).
  const then = new Date(Date.now() - 3600_000)
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content)
    await utimes(path.join(dir, name), then, then)
  }
  // 1,000 entries: 900 files (every 7th with a space and `&`, to be quoted and escaped), 100 folders.
  const list = path.join(dir, 'list')
  await mkdir(list)
  for (let i = 0; i < 1000; i++) {
    const n = String(i).padStart(4, '0')
    if (i % 10 === 9) {
      await mkdir(path.join(list, `folder-${n}`))
      await utimes(path.join(list, `folder-${n}`), then, then)
    } else {
      const name = i % 7 === 0 ? `Report ${n} & notes.txt` : `entry-${n}.txt`
      await writeFile(path.join(list, name), `entry ${n}\n`)
      await utimes(path.join(list, name), then, then)
    }
  }
  await utimes(list, then, then)
  await utimes(dir, then, then)
  return { dir, files }
}

// ---- the servers ----------------------------------------------------------------------------

const python = spawnSync('python3', ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' })
const pythonVersion = python.status === 0 ? python.stdout.trim() : undefined
export const nginxVersion = /nginx\/([\d.]+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '')?.[1]

/**
 * `node: true` marks the Node peers the goals compare against (the bare server is the floor,
 * not a peer). `only` limits a contender to some scenarios; `rounds` caps its measured runs.
 */
const contenders = [
  {
    id: 'ours',
    name: 'simplehttp (ours)',
    start: (dir) => startServer(process.execPath, [app, '-q', '-b', '127.0.0.1', '-d', dir, '0'], { readyLine: BANNER }),
  },
  { id: 'sirv', name: 'sirv', node: true, start: (dir) => startServer(process.execPath, [here('./servers/static-sirv.js'), dir]) },
  {
    id: 'express',
    name: 'express + serve-static',
    listingName: 'express + serve-index',
    node: true,
    start: (dir) => startServer(process.execPath, [here('./servers/static-express.js'), dir]),
  },
  pythonVersion && {
    id: 'cpython',
    name: `CPython ${pythonVersion} http.server`,
    // HTTP/1.0: it closes every connection after one answer, and wrk reconnects. One measured
    // run per scenario: it is the slowest by far and its run is bounded like everyone's.
    rounds: 1,
    start: (dir) =>
      startServer('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, '0'], {
        readyLine: BANNER,
        stderr: 'ignore', // one access-log line per request
      }),
  },
  { id: 'bare', name: 'node:http + createReadStream (floor)', start: (dir) => startServer(process.execPath, [here('./servers/static-node.js'), dir]) },
  nginxVersion && {
    id: 'nginx',
    name: `nginx ${nginxVersion} (autoindex)`,
    only: ['listing'],
    start: startNginx,
  },
].filter(Boolean)

/** nginx with its own temporary configuration: one process (no master), no logs, autoindex on. */
export async function startNginx(dir) {
  const conf = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-nginx-'))
  const port = await freePort()
  await writeFile(
    path.join(conf, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${conf}/nginx.pid;
error_log ${conf}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${conf}/body;
  proxy_temp_path ${conf}/proxy;
  fastcgi_temp_path ${conf}/fastcgi;
  uwsgi_temp_path ${conf}/uwsgi;
  scgi_temp_path ${conf}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${dir};
    autoindex on;
  }
}
`,
  )
  const server = await startServer('nginx', ['-p', conf, '-c', path.join(conf, 'nginx.conf')], { port })
  const stop = server.stop
  server.stop = async () => {
    await stop()
    await rm(conf, { recursive: true, force: true })
  }
  return server
}

// ---- the scenarios --------------------------------------------------------------------------

/**
 * `prepare(server, site)` asks the server once and returns the headers to load it with, or a
 * string: why it cannot do this scenario (it is then listed, not measured).
 */
const scenarios = [
  {
    id: '1k',
    title: '1 KiB file',
    url: '/1k.html',
    connections: 50,
    prepare: (s, site) => expectBody(s, '/1k.html', {}, 200, site.files['1k.html']),
  },
  {
    id: '64k',
    title: '64 KiB file',
    url: '/64k.js',
    connections: 50,
    prepare: (s, site) => expectBody(s, '/64k.js', {}, 200, site.files['64k.js']),
  },
  {
    id: '10m',
    title: '10 MiB file',
    url: '/10m.bin',
    connections: 8,
    byBytes: true,
    prepare: (s, site) => expectBody(s, '/10m.bin', {}, 200, site.files['10m.bin']),
  },
  {
    id: 'listing',
    title: 'listing of a directory with 1,000 entries',
    url: '/list/',
    connections: 50,
    async prepare(s) {
      const res = await request(`http://127.0.0.1:${s.port}/list/`)
      if (res.status !== 200) return `does not list (answers ${res.status})`
      const links = res.body.toString('latin1').match(/href=/gi)?.length ?? 0
      if (links < 1000) return `answers a page with ${links} links, not 1,000`
      return {}
    },
  },
  {
    id: 'ims',
    title: '304 revalidation of the 1 KiB file with If-Modified-Since',
    url: '/1k.html',
    connections: 50,
    async prepare(s) {
      const first = await request(`http://127.0.0.1:${s.port}/1k.html`)
      const lastModified = first.headers['last-modified']
      if (lastModified === undefined) return 'no Last-Modified'
      const headers = { 'If-Modified-Since': lastModified }
      const res = await request(`http://127.0.0.1:${s.port}/1k.html`, headers)
      if (res.status !== 304) return `ignores If-Modified-Since (answers ${res.status})`
      return headers
    },
  },
  {
    id: 'inm',
    title: '304 revalidation of the 1 KiB file with If-None-Match',
    url: '/1k.html',
    connections: 50,
    async prepare(s) {
      const first = await request(`http://127.0.0.1:${s.port}/1k.html`)
      const etag = first.headers.etag
      if (etag === undefined) return 'no ETag'
      const headers = { 'If-None-Match': etag }
      const res = await request(`http://127.0.0.1:${s.port}/1k.html`, headers)
      if (res.status !== 304) return `ignores If-None-Match (answers ${res.status})`
      return headers
    },
  },
  {
    id: 'range',
    title: '64 KiB range (bytes=1048576-1114111) of a 16 MiB file',
    url: '/16m.bin',
    connections: 50,
    prepare: (s, site) =>
      expectBody(s, '/16m.bin', { Range: 'bytes=1048576-1114111' }, 206, site.files['16m.bin'].subarray(1048576, 1114112)),
  },
]

/** Ask once; the headers to load with if the server answers `status` and exactly `content`. */
async function expectBody(server, url, headers, status, content) {
  const res = await request(`http://127.0.0.1:${server.port}${url}`, headers)
  if (res.status !== status) {
    if (status === 206 && res.status === 200) return `no Range support (answers 200 with ${fmt.int(res.body.length)} bytes)`
    return `answers ${res.status}, not ${status}`
  }
  if (!res.body.equals(content)) return `wrong body (${fmt.int(res.body.length)} bytes, ${fmt.int(content.length)} expected)`
  return headers
}

/** Total of wrk's "connect 0, read 0, write 0, timeout 0". */
function socketErrorCount(text) {
  return (text.match(/\d+/g) ?? []).reduce((sum, n) => sum + Number(n), 0)
}

// ---- the run --------------------------------------------------------------------------------

export async function benchStatic() {
  const began = Date.now()
  const site = await makeSite()
  const running = new Map()
  const goals = []
  const memory = []
  try {
    for (const c of contenders) running.set(c.id, await c.start(site.dir))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const ours = running.get('ours')
    const idle = await memoryOf(ours.pid)
    console.log(`\nfiles: ${site.dir}; ${seconds}s per measured run, ${rounds} rounds (best kept), ${warmupSeconds}s warm-up; load average at start: ${os.loadavg().map((n) => n.toFixed(2)).join(', ')}`)

    const results = {}
    // BENCH_STATIC_SCENARIOS=1k,inm runs only those (for working on one of them).
    const picked = process.env.BENCH_STATIC_SCENARIOS?.split(',')
    for (const scenario of scenarios.filter((s) => !picked || picked.includes(s.id))) {
      const entrants = contenders.filter((c) => !c.only || c.only.includes(scenario.id))
      const headers = new Map()
      const cannot = new Map()
      for (const c of entrants) {
        const prepared = await scenario.prepare(running.get(c.id), site)
        if (typeof prepared === 'string') cannot.set(c.id, prepared)
        else headers.set(c.id, prepared)
      }
      const measured = entrants.filter((c) => headers.has(c.id))
      const best = await compare(
        measured,
        async (c, round) => {
          if (round >= (c.rounds ?? rounds)) return undefined
          const url = `http://127.0.0.1:${running.get(c.id).port}${scenario.url}`
          const options = { connections: scenario.connections, headers: headers.get(c.id) }
          const { pid } = running.get(c.id)
          if (round === 0) await load(url, { ...options, seconds: warmupSeconds })
          const cpuBefore = await cpuTimeOf(pid)
          const result = await load(url, { ...options, seconds })
          return { ...result, cpuPerRequest: ((await cpuTimeOf(pid)) - cpuBefore) / result.requests }
        },
        { rounds, reverseOddRounds: true },
      )
      results[scenario.id] = report(scenario, entrants, best, cannot)
      goals.push(...goalsFor(scenario, results[scenario.id]))
    }

    for (const c of contenders) {
      const m = await memoryOf(running.get(c.id).pid)
      memory.push({ name: c.name, idle: c.id === 'ours' ? idle : undefined, ...m })
    }
    printTable('memory (VmRSS from /proc/<pid>/status)', memory, [
      { label: 'server', format: (r) => r.name },
      { label: 'idle after start MiB', format: (r) => (r.idle ? fmt.mb(r.idle.rss) : '') },
      { label: 'after the run MiB', format: (r) => fmt.mb(r.rss) },
      { label: 'peak (VmHWM) MiB', format: (r) => fmt.mb(r.hwm) },
    ])
    console.log(`\nRSS after the full run: ${fmt.mb(memory[0].rss)} MiB (goal < 100 MiB)`)
    goals.push({
      goal: 'our RSS after the full bench run under 100 MiB',
      measured: `${fmt.mb(memory[0].rss)} MiB`,
      met: memory[0].rss < 100 * MiB,
    })
    goals.push({
      goal: 'our RSS idle under 64 MiB',
      measured: `${fmt.mb(idle.rss)} MiB idle, ${fmt.mb(memory[0].rss)} MiB after the run`,
      met: idle.rss < 64 * MiB,
    })

    printTable('goals (from the issue)', goals, [
      { label: 'goal', format: (g) => g.goal },
      { label: 'measured', format: (g) => g.measured },
      { label: 'met', format: (g) => (g.met === undefined ? 'n/a' : g.met ? 'yes' : '**no**') },
    ])
    console.log(`\nstatic bench took ${Math.round((Date.now() - began) / 1000)}s; load average now: ${os.loadavg().map((n) => n.toFixed(2)).join(', ')}`)
    return { results, memory, goals }
  } finally {
    for (const server of running.values()) await server.stop()
    await rm(site.dir, { recursive: true, force: true })
  }
}

/** Print one scenario's table; returns its rows with the ratios. */
function report(scenario, entrants, best, cannot) {
  const metric = (r) => (scenario.byBytes ? r.bytesPerSec : r.rps)
  const rows = entrants.map((c) => {
    const r = best.get(c.name)
    const name = scenario.id === 'listing' && c.listingName ? c.listingName : c.name
    if (!r) return { id: c.id, name, node: c.node, cannot: cannot.get(c.id) ?? 'not measured' }
    const sockets = socketErrorCount(r.socketErrors)
    return { id: c.id, name, node: c.node, ...r, sockets, clean: r.errors === 0 && sockets === 0 }
  })
  // The best Node peer: the fastest of sirv and serve-static (or serve-index) among clean runs.
  const peers = rows.filter((r) => r.node && r.cannot === undefined && r.clean)
  const bestPeer = peers.reduce((a, b) => (a && metric(a) >= metric(b) ? a : b), undefined)
  const cpython = rows.find((r) => r.id === 'cpython' && r.cannot === undefined)
  for (const r of rows) {
    if (r.cannot !== undefined) continue
    r.vsPeer = bestPeer ? metric(r) / metric(bestPeer) : NaN
    r.vsPython = cpython ? metric(r) / metric(cpython) : NaN
  }
  const unit = scenario.byBytes ? 'MB/s' : 'req/s'
  printTable(
    `${scenario.title}: ${scenario.connections} connections, ${seconds}s, ratios by ${unit}`,
    rows,
    [
      { label: 'server', format: (r) => (r.cannot === undefined && !r.clean ? `${r.name} ⚠` : r.name) },
      { label: 'req/s', format: (r) => (r.cannot !== undefined ? '—' : fmt.int(r.rps)) },
      { label: 'MB/s', format: (r) => (r.cannot !== undefined ? '—' : fmt.mb(r.bytesPerSec)) },
      { label: 'p99 ms', format: (r) => (r.cannot !== undefined ? '—' : fmt.ms(r.p99)) },
      { label: 'server CPU µs/req', format: (r) => (r.cannot !== undefined ? '—' : fmt.int(r.cpuPerRequest * 1000)) },
      { label: 'vs best Node peer', format: (r) => (r.cannot !== undefined ? '—' : fmt.ratio(r.vsPeer)) },
      { label: 'vs CPython', format: (r) => (r.cannot !== undefined ? '—' : fmt.ratio(r.vsPython)) },
      {
        label: 'errors / notes',
        format: (r) => {
          if (r.cannot !== undefined) return `can't: ${r.cannot}`
          if (r.clean) return '0'
          const parts = []
          if (r.errors) parts.push(`${fmt.int(r.errors)} non-2xx/3xx`)
          if (r.sockets) parts.push(`socket errors: ${r.socketErrors}`)
          return `⚠ ${parts.join('; ')} (of ${fmt.int(r.requests)})`
        },
      },
    ],
  )
  console.log(`\nbest Node peer: ${bestPeer ? bestPeer.name : 'none'}`)
  return { rows, bestPeer, cpython }
}

function goalsFor(scenario, { rows, bestPeer, cpython }) {
  const ours = rows.find((r) => r.id === 'ours')
  const goals = []
  const mark = (met) => (ours.cannot !== undefined || !ours.clean ? false : met)
  if (ours.cannot !== undefined) {
    return [{ goal: `${scenario.title}: served by ours`, measured: `can't: ${ours.cannot}`, met: false }]
  }
  const sirv = rows.find((r) => r.id === 'sirv' && r.cannot === undefined)
  if (sirv !== undefined) {
    // p99 no worse than sirv's wherever both serve (issue 13).
    goals.push({
      goal: `${scenario.title}: p99 ≤ sirv's`,
      measured: `${fmt.ms(ours.p99)} vs ${fmt.ms(sirv.p99)} ms`,
      met: mark(ours.p99 <= sirv.p99),
    })
  }
  if ((scenario.id === 'ims' || scenario.id === 'inm') && sirv === undefined) {
    // Say so rather than drop the goal: sirv answers 200 to If-Modified-Since, with no ratio to give.
    const why = rows.find((r) => r.id === 'sirv')?.cannot ?? 'not run'
    goals.push({ goal: `${scenario.title}: ≥ 1.2× sirv's req/s`, measured: `sirv can't: ${why}`, met: undefined })
  }
  if ((scenario.id === 'ims' || scenario.id === 'inm') && sirv !== undefined) {
    const ratio = ours.rps / sirv.rps
    console.log(`304 ratio (${scenario.id === 'ims' ? 'If-Modified-Since' : 'If-None-Match'}), ours / sirv req/s: ${ratio.toFixed(2)}×`)
    goals.push({ goal: `${scenario.title}: ≥ 1.2× sirv's req/s`, measured: fmt.ratio(ratio), met: mark(ratio >= 1.2) })
  }
  const peerGoal = scenario.id === '1k' ? 2 : 1
  goals.push({
    goal: `${scenario.title}: ${peerGoal === 2 ? '≥ 2×' : 'ahead of'} the best Node peer`,
    measured: bestPeer ? `${fmt.ratio(ours.vsPeer)} ${bestPeer.name}` : 'no Node peer can',
    met: bestPeer ? mark(peerGoal === 2 ? ours.vsPeer >= 2 : ours.vsPeer > 1) : undefined,
  })
  if (scenario.id === '1k') {
    goals.push({ goal: `${scenario.title}: ≥ 10× CPython`, measured: fmt.ratio(ours.vsPython), met: cpython ? mark(ours.vsPython >= 10) : undefined })
  }
  if (scenario.id === '10m') {
    goals.push({
      goal: `${scenario.title}: ≥ CPython's MB/s`,
      measured: `${fmt.mb(ours.bytesPerSec)} vs ${cpython ? fmt.mb(cpython.bytesPerSec) : 'n/a'} MB/s`,
      met: cpython ? mark(ours.bytesPerSec >= cpython.bytesPerSec) : undefined,
    })
  }
  if (scenario.id === 'listing') {
    const nginx = rows.find((r) => r.id === 'nginx' && r.cannot === undefined)
    goals.push({
      goal: `${scenario.title}: ≥ nginx (~1.2k/s reference${nginx ? ', and nginx measured here' : ''})`,
      measured: `${fmt.int(ours.rps)}/s${nginx ? ` vs nginx ${fmt.int(nginx.rps)}/s` : ''}`,
      met: mark(ours.rps >= 1200 && (!nginx || ours.rps >= nginx.rps)),
    })
  }
  return goals
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchStatic()
