// The dev-loop and transport flags (issues 15 and 18), each measured against its own baseline in
// the same run:
// - `--watch`: a 1 KiB HTML page with the live-reload script inserted, against the same page
//   without `--watch` (goal: at most 10% slower);
// - live reload latency: headless Chromium on a page, the file saved, until the new text shows;
//   and a stylesheet saved, until its new rule applies (goal: within 300 ms);
// - 1,000 open live-reload pages: the server's RSS growth per page, against node:net holding the
//   same sockets (goal: a few KiB more at most);
// - `--compress`: a 64 KiB text file gzipped from the cache, against the same file uncompressed
//   (goal: at least 0.8×) and against `serve`, which compresses on every request (goal: 3×);
// - `--http2`: h2load over one HTTP/2 connection for 100 small files, against the same files
//   over our HTTP/1.1 (one connection, and six as browsers open).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compare, cpuTimeOf, fmt, freePort, load, memoryOf, pinned, printTable, startServer } from './lib.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const app = here('../apps/simplehttp/bin/simplehttp.cjs')
const serveBin = here('./node_modules/serve/build/main.js')
const BANNER = /^Serving HTTPS? on \S+ port (\d+) /
const CHROMIUM = '/usr/bin/chromium'
const seconds = Number(process.env.BENCH_SECONDS ?? 8)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)

const startApp = (dir, ...flags) =>
  startServer(process.execPath, [app, '-q', '-b', '127.0.0.1', '-d', dir, ...flags, '0'], { readyLine: BANNER })

/** Run `scenario(contender)` with each contender started fresh, alternating, best of `rounds`. */
async function measureAll(contenders, url, headersFor) {
  return compare(
    contenders,
    async (c) => {
      const server = await c.start()
      try {
        // Warm up first (JIT, caches), as the static bench does; only the run after it counts.
        await load(`http://127.0.0.1:${server.port}${url}`, { seconds: 1, connections: 50, headers: headersFor(c) })
        const cpuBefore = await cpuTimeOf(server.pid)
        const result = await load(`http://127.0.0.1:${server.port}${url}`, { seconds, connections: 50, headers: headersFor(c) })
        // Server CPU per request (ms → µs): steadier than req/s when the machine is not quiet.
        return { ...result, cpuMicros: (((await cpuTimeOf(server.pid)) - cpuBefore) * 1000) / result.requests }
      } finally {
        await server.stop()
      }
    },
    { rounds, reverseOddRounds: true },
  )
}

function table(title, contenders, best) {
  printTable(title, contenders, [
    { label: 'server', format: (c) => c.name },
    { label: 'req/s', format: (c) => fmt.int(best.get(c.name)?.rps) },
    { label: 'p99 ms', format: (c) => fmt.ms(best.get(c.name)?.p99) },
    { label: 'server CPU µs/req', format: (c) => fmt.int(best.get(c.name)?.cpuMicros) },
    { label: 'errors', format: (c) => String(best.get(c.name)?.errors ?? 'n/a') },
  ])
}

const goal = (text, ratio, met) => {
  console.log(`${text}: ${fmt.ratio(ratio)} — ${met ? 'met' : 'NOT met'}`)
  return { goal: text, measured: fmt.ratio(ratio), met }
}

// ---- --watch ----------------------------------------------------------------------------------

async function watchOverhead(dir) {
  const page = `<!doctype html><html><head><title>bench</title></head><body><p>${'x'.repeat(900)}</p></body></html>\n`
  await writeFile(path.join(dir, 'page.html'), page)
  const contenders = [
    { name: 'without --watch', start: () => startApp(dir) },
    { name: 'with --watch', start: () => startApp(dir, '--watch') },
  ]
  const best = await measureAll(contenders, '/page.html', () => ({}))
  table('a 1 KiB HTML page, with and without --watch (the script inserted)', contenders, best)
  const ratio = best.get('with --watch').rps / best.get('without --watch').rps
  const cpu = best.get('with --watch').cpuMicros / best.get('without --watch').cpuMicros
  console.log(`--watch: server CPU per request with / without: ${fmt.ratio(cpu)}`)
  return [goal('--watch: 1 KiB page req/s with / without (goal ≥ 0.90×)', ratio, ratio >= 0.9)]
}

// ---- live reload latency in Chromium -----------------------------------------------------------

async function reloadLatency(dir) {
  if (!existsSync(CHROMIUM)) {
    console.log(`\nlive reload latency: can't, ${CHROMIUM} is missing`)
    return []
  }
  const { chromium } = await import('playwright-core')
  await writeFile(path.join(dir, 'live.html'), '<!doctype html><link rel="stylesheet" href="live.css"><body><h1 id="v">0</h1></body>')
  await writeFile(path.join(dir, 'live.css'), 'h1 { color: rgb(0, 0, 0) }')
  const server = await startApp(dir, '--watch')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
  const pageTimes = []
  const cssTimes = []
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${server.port}/live.html`)
    await page.waitForFunction(() => document.querySelector('script[src*="simplehttp"]') !== null)
    await page.waitForTimeout(500)
    for (let i = 1; i <= 10; i++) {
      const started = performance.now()
      await writeFile(path.join(dir, 'live.html'), `<!doctype html><link rel="stylesheet" href="live.css"><body><h1 id="v">${i}</h1></body>`)
      await page.waitForFunction((n) => document.getElementById('v')?.textContent === String(n), i, { polling: 'raf', timeout: 10_000 })
      pageTimes.push(performance.now() - started)
      await page.waitForTimeout(200)
      const cssStarted = performance.now()
      await writeFile(path.join(dir, 'live.css'), `h1 { color: rgb(${i}, 0, 0) }`)
      await page.waitForFunction((n) => getComputedStyle(document.getElementById('v')).color === `rgb(${n}, 0, 0)`, i, {
        polling: 'raf',
        timeout: 10_000,
      })
      cssTimes.push(performance.now() - cssStarted)
      await page.waitForTimeout(200)
    }
  } finally {
    await browser.close()
    await server.stop()
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const rows = [
    { name: 'page saved → new text shown', t: pageTimes },
    { name: 'stylesheet saved → new rule applied (no navigation)', t: cssTimes },
  ]
  printTable('live reload latency in headless Chromium, 10 saves each (ms)', rows, [
    { label: 'change', format: (r) => r.name },
    { label: 'median', format: (r) => fmt.ms(median(r.t)) },
    { label: 'min', format: (r) => fmt.ms(Math.min(...r.t)) },
    { label: 'max', format: (r) => fmt.ms(Math.max(...r.t)) },
  ])
  return rows.map((r) => {
    const m = median(r.t)
    console.log(`live reload, ${r.name}: median ${fmt.ms(m)} ms — goal ≤ 300 ms: ${m <= 300 ? 'met' : 'NOT met'}`)
    return { goal: `live reload: ${r.name} ≤ 300 ms (median)`, measured: `${fmt.ms(m)} ms`, met: m <= 300 }
  })
}

// ---- 1,000 open pages ----------------------------------------------------------------------------

async function openPagesMemory(dir) {
  const pages = 1000
  const contenders = [
    {
      name: 'ours --watch',
      start: () => startApp(dir, '--watch', '--max-connections', '2000', '--max-connections-per-address', '2000'),
    },
    { name: 'node:net holding sockets (floor)', start: () => startServer(process.execPath, [here('./servers/hold-sockets.js')]) },
  ]
  const perPage = new Map()
  for (let round = 0; round < rounds; round++) {
    for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const server = await c.start()
      const sockets = []
      try {
        // One page first, so the baseline includes the watcher and a served stream.
        await openPage(server.port, sockets)
        await new Promise((resolve) => setTimeout(resolve, 500))
        const before = await memoryOf(server.pid)
        for (let batch = 0; batch < pages / 100; batch++) {
          await Promise.all(Array.from({ length: 100 }, () => openPage(server.port, sockets)))
        }
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const after = await memoryOf(server.pid)
        const cost = (after.rss - before.rss) / pages
        // RSS moves with the collector's timing: keep each one's lowest.
        if (!(cost >= (perPage.get(c.name) ?? Infinity))) perPage.set(c.name, cost)
      } finally {
        for (const socket of sockets) socket.destroy()
        await server.stop()
      }
    }
  }
  const kib = (bytes) => (bytes / 1024).toFixed(1)
  printTable(`${pages} open live-reload pages (event streams): server RSS growth per page (lowest of ${rounds})`, contenders, [
    { label: 'server', format: (c) => c.name },
    { label: 'KiB per page', format: (c) => kib(perPage.get(c.name)) },
  ])
  const over = perPage.get(contenders[0].name) - perPage.get(contenders[1].name)
  const met = over <= 4 * 1024
  console.log(`open pages: ${kib(over)} KiB each over a bare held socket — goal ≤ 4 KiB: ${met ? 'met' : 'NOT met'}`)
  return [{ goal: '--watch: an open page costs ≤ 4 KiB more than a bare held socket', measured: `${kib(over)} KiB`, met }]
}

/** Open the event stream and resolve once its first event (the retry hint) arrived. */
function openPage(port, sockets) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    sockets.push(socket)
    socket.on('error', reject)
    socket.once('connect', () => socket.write('GET /.simplehttp/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n'))
    let seen = ''
    const onData = (chunk) => {
      seen += chunk.toString('latin1')
      if (!seen.includes('retry:')) return
      socket.off('data', onData)
      socket.on('data', () => {})
      resolve()
    }
    socket.on('data', onData)
  })
}

// ---- --compress -------------------------------------------------------------------------------

async function compression(dir) {
  const text = Array.from({ length: 1600 }, (_, i) => `line ${String(i).padStart(5, '0')}: the quick brown fox jumps\n`).join('')
  await writeFile(path.join(dir, '64k.txt'), text.slice(0, 64 * 1024))
  const serve = existsSync(serveBin)
  const contenders = [
    { name: 'ours --compress, identity', start: () => startApp(dir, '--compress'), gzip: false },
    { name: 'ours --compress, gzip (cached)', start: () => startApp(dir, '--compress'), gzip: true },
    serve && {
      name: 'serve (gzip on every request)',
      gzip: true,
      start: async () => {
        const port = await freePort()
        return startServer(process.execPath, [serveBin, '-L', '-n', '-l', `tcp://127.0.0.1:${port}`, dir], { port, stderr: 'ignore' })
      },
    },
  ].filter(Boolean)
  const best = await measureAll(contenders, '/64k.txt', (c) => (c.gzip ? { 'Accept-Encoding': 'gzip' } : {}))
  table('a 64 KiB text file: gzip from our cache, identity, and serve', contenders, best)
  const ours = best.get('ours --compress, gzip (cached)').rps
  const goals = [goal('--compress: gzip 64 KiB req/s / uncompressed (goal ≥ 0.8×)', ours / best.get('ours --compress, identity').rps, ours / best.get('ours --compress, identity').rps >= 0.8)]
  if (serve) {
    const ratio = ours / best.get('serve (gzip on every request)').rps
    goals.push(goal('--compress: gzip 64 KiB req/s, ours / serve (goal ≥ 3×)', ratio, ratio >= 3))
  } else console.log(`serve: can't, ${serveBin} is missing (pnpm install in bench/)`)
  return goals
}

// ---- --http2 ----------------------------------------------------------------------------------

async function http2(dir) {
  if (spawnSync('h2load', ['--version']).error !== undefined) {
    console.log('\nh2load: can\'t, it is missing (apt-get install nghttp2-client)')
    return []
  }
  const files = Array.from({ length: 100 }, (_, i) => `f${String(i)}.css`)
  for (const name of files) await writeFile(path.join(dir, name), `.c${name} { color: red }\n`.repeat(40))
  const server = await startApp(dir, '--tls-self-signed', '--http2')
  const urls = files.map((name) => `https://127.0.0.1:${server.port}/${name}`)
  const requests = Number(process.env.BENCH_H2_REQUESTS ?? 30_000)
  const runs = [
    { name: 'HTTP/2, 1 connection, 32 streams', args: ['-c', '1', '-m', '32'] },
    { name: 'HTTP/1.1, 1 connection', args: ['--h1', '-c', '1', '-m', '1'] },
    { name: 'HTTP/1.1, 6 connections', args: ['--h1', '-c', '6', '-m', '1'] },
  ]
  const results = new Map()
  try {
    for (let round = 0; round < rounds; round++) {
      for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
        const [cmd, argv] = pinned(1, 'h2load', ['-n', String(requests), ...run.args, ...urls])
        const out = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 })
        const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out.stdout ?? '')?.[1])
        const failed = Number(/(\d+) failed/.exec(out.stdout ?? '')?.[1])
        if (!(rps > (results.get(run.name)?.rps ?? 0))) continue
        results.set(run.name, { rps, failed })
      }
    }
  } finally {
    await server.stop()
  }
  printTable(`h2load: ${requests} requests for 100 small files over TLS (best of ${rounds})`, runs, [
    { label: 'protocol', format: (r) => r.name },
    { label: 'req/s', format: (r) => fmt.int(results.get(r.name)?.rps) },
    { label: 'failed', format: (r) => String(results.get(r.name)?.failed ?? 'n/a') },
  ])
  const h2 = results.get(runs[0].name)?.rps
  const h1 = results.get(runs[1].name)?.rps
  const ratio = h2 / h1
  console.log(`HTTP/2 over one connection / HTTP/1.1 over one connection: ${fmt.ratio(ratio)}`)
  return [{ goal: '--http2: h2load req/s, HTTP/2 / HTTP/1.1 on one connection (reported)', measured: fmt.ratio(ratio), met: undefined }]
}

export async function benchFeatures() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-features-'))
  await chmod(dir, 0o755)
  const picked = process.env.BENCH_FEATURES?.split(',')
  const parts = { watch: watchOverhead, reload: reloadLatency, pages: openPagesMemory, compress: compression, http2 }
  const goals = []
  try {
    for (const [id, run] of Object.entries(parts)) {
      if (picked && !picked.includes(id)) continue
      goals.push(...(await run(dir)))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  printTable('goals: dev loop and transport', goals, [
    { label: 'goal', format: (g) => g.goal },
    { label: 'measured', format: (g) => g.measured },
    { label: 'met', format: (g) => (g.met === undefined ? '—' : g.met ? 'yes' : 'no') },
  ])
  return goals
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchFeatures()
