// Shared pieces of the benchmarks: start a server process pinned to one core, drive it with a
// load generator pinned to the other, and print ratios measured in the same run.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
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
 * Start `node <script> [args]` (or another command) pinned to core 0 and wait until it listens.
 * By default the first line of stdout must be JSON with the `port`. Other servers:
 * `readyLine: /regex with the port as group 1/` waits for a matching stdout line (a banner);
 * `port: n` polls until n accepts connections (servers that print nothing, e.g. nginx).
 * `stderr: 'ignore'` silences a server that logs every request there (CPython's http.server).
 * Resolves to { port, info, child, pid, stop() }.
 */
export async function startServer(command, args, { env, readyLine, port, stderr = 'inherit', ipc } = {}) {
  const [cmd, argv] = pinned(0, command, args)
  const withIpc = ipc ?? (command === process.execPath && readyLine === undefined && port === undefined)
  const stdio = ['ignore', 'pipe', stderr, ...(withIpc ? ['ipc'] : [])]
  const child = spawn(cmd, argv, { stdio, env: { ...process.env, ...env } })
  const lines = createInterface({ input: child.stdout })
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`${command} ${args.join(' ')} exited with ${code ?? signal} before it listened`)
  })
  exited.catch(() => {})
  let info
  try {
    if (port !== undefined) {
      await Promise.race([waitForPort(port), exited])
      info = { port }
    } else if (readyLine !== undefined) {
      info = await Promise.race([
        new Promise((resolve) => {
          const onLine = (line) => {
            const m = readyLine.exec(line)
            if (!m) return
            lines.off('line', onLine)
            resolve({ port: Number(m[1]), banner: line })
          }
          lines.on('line', onLine)
        }),
        exited,
      ])
    } else {
      const [first] = await Promise.race([once(lines, 'line'), exited])
      info = JSON.parse(first)
    }
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL')
    throw error
  }
  return {
    port: info.port,
    info,
    child,
    // taskset execs the command: the pid is the server's own.
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(timer)
    },
  }
}

/** Resolve once something accepts connections on 127.0.0.1:port (10 s at most). */
export async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A port that was free a moment ago (for servers that cannot listen on port 0 and tell). */
export async function freePort() {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** VmRSS and VmHWM (peak) of a process, in bytes, from /proc/<pid>/status. */
export async function memoryOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'latin1')
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/**
 * CPU time a process has used so far (all its threads, user + system), in ms, from
 * /proc/<pid>/stat. Per request, it is a check on throughput that other load on the machine
 * disturbs much less.
 */
export async function cpuTimeOf(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1')
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/** One request on a fresh connection: { status, headers, body }. For checking what a server answers. */
export function request(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} in 10 s`)))
    req.on('error', reject)
  })
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
  // Bounded: wrk stops itself after `seconds`; this only guards against a wedged run.
  const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000)
  await once(child, 'exit')
  clearTimeout(guard)
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
    requests: num(/(\d+) requests in/),
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
    requests: result.requests.total,
  }
}

/**
 * Run `measure(contender, round)` for each contender, alternating, `rounds` times; keep each
 * one's best run. A `measure` that returns undefined sits that round out. `reverseOddRounds`
 * runs every other round in reverse order, so no contender always goes first or last.
 */
export async function compare(contenders, measure, { rounds = 2, reverseOddRounds = false } = {}) {
  const best = new Map()
  for (let round = 0; round < rounds; round++) {
    const order = reverseOddRounds && round % 2 === 1 ? [...contenders].reverse() : contenders
    for (const contender of order) {
      const result = await measure(contender, round)
      if (result === undefined) continue
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
