// Shared pieces of the benchmarks: start a server process pinned to one core, drive it with a
// load generator pinned to the other, and print ratios measured in the same run.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import os from 'node:os'

const cores = os.availableParallelism()
const hasTaskset = spawnSync('taskset', ['-V']).status === 0
/** Server on core 0, load generator on core 1, when the machine has two cores and taskset. */
export function pinned(core, command, args) {
  if (hasTaskset && cores >= 2) return ['taskset', ['-c', String(core), command, ...args]]
  return [command, args]
}

export const hasWrk = spawnSync('wrk', ['--version']).error === undefined

/**
 * Start `node <script> [args]` (or another command) pinned to core 0 and wait for the first line
 * of stdout, which must be JSON with the `port`. Resolves to { port, info, child, stop() }.
 */
export async function startServer(command, args, { env } = {}) {
  const [cmd, argv] = pinned(0, command, args)
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'].slice(0, command === process.execPath ? 4 : 3), env: { ...process.env, ...env } })
  const lines = createInterface({ input: child.stdout })
  const [first] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${command} ${args.join(' ')} exited with ${code} before it listened`)
    }),
  ])
  const info = JSON.parse(first)
  return {
    port: info.port,
    info,
    child,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

/** Ask a server started with an IPC channel for something (it answers on the same channel). */
export async function ask(child, message) {
  child.send(message)
  const [reply] = await once(child, 'message')
  return reply
}

/**
 * Load one URL for `seconds` with `connections` keep-alive connections. Returns requests/s,
 * bytes/s and latency percentiles in ms. wrk when installed, autocannon otherwise.
 */
export async function load(url, { seconds = 8, connections = 50, headers = {} } = {}) {
  if (hasWrk) return wrk(url, seconds, connections, headers)
  return autocannonLoad(url, seconds, connections, headers)
}

async function wrk(url, seconds, connections, headers) {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const [cmd, argv] = pinned(1, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headerArgs, url])
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  await once(child, 'exit')
  const num = (re) => {
    const m = re.exec(out)
    return m ? Number(m[1]) : NaN
  }
  const ms = (re) => {
    const m = re.exec(out)
    if (!m) return NaN
    const unit = m[2]
    return Number(m[1]) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1)
  }
  const transfer = /Transfer\/sec:\s+([\d.]+)(\w+)/.exec(out)
  const scale = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSec: transfer ? Number(transfer[1]) * (scale[transfer[2]] ?? 1) : NaN,
    p50: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99: ms(/99%\s+([\d.]+)(us|ms|s)/),
    errors: num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
    socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? '',
  }
}

async function autocannonLoad(url, seconds, connections, headers) {
  const { default: autocannon } = await import('autocannon')
  const result = await autocannon({ url, connections, duration: seconds, headers })
  return {
    rps: result.requests.average,
    bytesPerSec: result.throughput.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx,
    socketErrors: String(result.errors || ''),
  }
}

/** Run `measure` for each contender, alternating, `rounds` times; keep each one's best run. */
export async function compare(contenders, measure, { rounds = 2 } = {}) {
  const best = new Map()
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) {
      const result = await measure(contender)
      const prev = best.get(contender.name)
      if (!prev || result.rps > prev.rps) best.set(contender.name, result)
    }
  }
  return best
}

export function printTable(title, rows, columns) {
  console.log(`\n## ${title}\n`)
  console.log(`| ${columns.map((c) => c.label).join(' | ')} |`)
  console.log(`| ${columns.map(() => '---').join(' | ')} |`)
  for (const row of rows) console.log(`| ${columns.map((c) => c.format(row)).join(' | ')} |`)
}

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  ms: (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a'),
  ratio: (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a'),
  mb: (n) => (Number.isFinite(n) ? (n / 1024 ** 2).toFixed(1) : 'n/a'),
}
