// Cold start: from spawning the server process to the first `200` for a 1 KiB file, the built
// app (what `npx simplehttp` runs) against a bare node:http server (bench/servers/static-node.js)
// in the same run, and CPython's http.server for scale when python3 is installed. Each start is a
// fresh process on a port chosen beforehand, pinned to core 0; the client polls that port as fast
// as it can (a refused connection is retried at once). The runs alternate, and the medians of ours
// and node:http are compared. Ours runs from its compile cache, as every start after a user's
// first does; the first start, without one, has its own row.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, freePort, pinned, printTable } from './lib.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const app = here('../apps/simplehttp/bin/simplehttp.cjs')
const runs = Number(process.env.BENCH_COLD_RUNS ?? 15)

const hasPython = spawnSync('python3', ['--version']).error === undefined

/** `command` defaults to this Node. CPython is there for scale (the reference); the goal is against node:http. */
const ourArgs = (dir, port) => [app, '-q', '-b', '127.0.0.1', '-d', dir, String(port)]
// Ours starts from its compile cache, which the unmeasured first start saves (in a folder of this
// run); the row without it is what a user's very first start costs.
const contenders = [
  { id: 'ours', name: 'simplehttp (ours)', args: ourArgs, env: (cache) => ({ SIMPLEHTTP_COMPILE_CACHE: cache }) },
  { id: 'bare', name: 'node:http + createReadStream', args: (dir, port) => [here('./servers/static-node.js'), dir, String(port)] },
  { id: 'first', name: 'simplehttp, first start (no compile cache)', args: ourArgs, env: () => ({ NODE_DISABLE_COMPILE_CACHE: '1' }) },
  hasPython && {
    id: 'cpython',
    name: 'CPython http.server',
    command: 'python3',
    args: (dir, port) => ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, String(port)],
  },
].filter(Boolean)

/** One GET; resolves with the status, or rejects (connection refused while the server starts). */
function get(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/1k.html', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', reject)
  })
}

/** ms from spawn to the first 200 for /1k.html. */
async function coldStart(contender, dir, cache) {
  const port = await freePort()
  const [cmd, argv] = pinned(0, contender.command ?? process.execPath, contender.args(dir, port))
  const env = { ...process.env }
  delete env.NODE_DISABLE_COMPILE_CACHE
  Object.assign(env, contender.env?.(cache))
  const started = performance.now()
  const child = spawn(cmd, argv, { stdio: 'ignore', env })
  let ms
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${contender.name} exited with ${child.exitCode}`)
      const status = await get(port).catch(() => undefined)
      if (status === 200) {
        ms = performance.now() - started
        break
      }
      if (status !== undefined) throw new Error(`${contender.name} answered ${status}`)
      if (performance.now() - started > 10_000) throw new Error(`${contender.name} did not answer within 10 s`)
    }
  } finally {
    const gone = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await gone
    clearTimeout(timer)
  }
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

export async function benchColdStart() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-cold-'))
  const cache = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-cold-cache-'))
  await chmod(dir, 0o755)
  await writeFile(path.join(dir, '1k.html'), 'x'.repeat(1024))
  try {
    const times = new Map(contenders.map((c) => [c.id, []]))
    // One unmeasured start each: the first spawn pays for cold disk caches, not for the server.
    for (const c of contenders) await coldStart(c, dir, cache)
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? contenders : [...contenders].reverse()
      for (const c of order) times.get(c.id).push(await coldStart(c, dir, cache))
    }
    const rows = contenders.map((c) => {
      const t = times.get(c.id)
      return { ...c, median: median(t), min: Math.min(...t), max: Math.max(...t) }
    })
    const [ours, bare] = rows
    const ratio = ours.median / bare.median
    printTable(`cold start: spawn to the first 200 for a 1 KiB file, ${runs} starts each (median)`, rows, [
      { label: 'server', format: (r) => r.name },
      { label: 'median ms', format: (r) => fmt.ms(r.median) },
      { label: 'min ms', format: (r) => fmt.ms(r.min) },
      { label: 'max ms', format: (r) => fmt.ms(r.max) },
    ])
    const goal = { goal: 'cold start within 1.2× a bare node:http server', measured: `${fmt.ratio(ratio)} (${fmt.ms(ours.median)} vs ${fmt.ms(bare.median)} ms)`, met: ratio <= 1.2 }
    console.log(`\ncold start ratio (ours / bare node:http): ${ratio.toFixed(2)}× — goal ≤ 1.2×: ${goal.met ? 'met' : 'NOT met'}`)
    return { rows, ratio, goals: [goal] }
  } finally {
    await rm(dir, { recursive: true, force: true })
    await rm(cache, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchColdStart()
