// The server under attack, as a child process: simplehttp's built app, or CPython's http.server.
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { clearTimeout, setTimeout } from 'node:timers'
import { fileURLToPath } from 'node:url'
import { exchange, sleep } from './http.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const APP = path.join(REPO, 'apps/simplehttp/bin/simplehttp.cjs')
/**
 * A second app with its own flags (the cases that need a feature the main target lacks), on port
 * 0: resolves with the process and the port from its banner. `what` names it in failures.
 */
export function startExtraApp(args, what) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [APP, ...args, '-q', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const timer = setTimeout(() => reject(new Error(`no banner from ${what} in 10 s: ${out}`)), 10_000)
    proc.stdout.on('data', (chunk) => {
      out += chunk.toString('latin1')
      const m = /port (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ proc, port: Number(m[1]) })
      }
    })
    proc.stderr.resume()
    proc.on('exit', (code) => reject(new Error(`${what} exited (code ${code}) before its banner`)))
  })
}

/** `--target serve-static`: Express 5 with @simplehttp/static's serveStatic() (lib/serve-static-server.mjs). */
const SERVE_STATIC_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serve-static-server.mjs')

/** The command line for each target; port 0, the real port is read from the banner. */
export function commandFor(kind, root) {
  if (kind === 'python') {
    return ['python3', ['-u', '-m', 'http.server', '--cgi', '-b', '127.0.0.1', '-d', root, '0']]
  }
  if (kind === 'serve-static') return [process.execPath, [SERVE_STATIC_SERVER, root]]
  return [process.execPath, [APP, '-b', '127.0.0.1', '-d', root, '--cgi', '0']]
}

/** The environment the server starts with: ours, minus proxy settings (httpoxy is about requests). */
function serverEnv() {
  // ATTACK_SUITE_SECRET stands for the credentials a server's environment holds: no CGI script
  // should see it.
  const inherited = Object.entries(process.env).filter(([key]) => !/^(https?|no|all|ftp)_proxy$/i.test(key))
  return { ...Object.fromEntries(inherited), PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ATTACK_SUITE_SECRET: 'server-secret' }
}

export class Target {
  constructor(kind, fixture) {
    this.kind = kind
    this.fixture = fixture
    /** stderr of every process started so far, in order (restarts append). */
    this.stderrChunks = []
    this.stderrLength = 0
    this.starts = 0
    this.proc = undefined
    this.port = 0
    this.exit = undefined
  }

  get label() {
    return this.kind
  }

  get pid() {
    return this.proc?.pid
  }

  /** Start the server and wait for its banner (10 s at most). */
  async start() {
    const [cmd, args] = commandFor(this.kind, this.fixture.root)
    this.starts += 1
    this.exit = undefined
    const proc = spawn(cmd, args, { cwd: this.fixture.tmp, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    proc.stderr.on('data', (chunk) => {
      this.stderrChunks.push(chunk)
      this.stderrLength += chunk.length
    })
    proc.on('exit', (code, signal) => {
      this.exit = { code, signal }
    })
    let stdout = ''
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 10 s; stdout ${JSON.stringify(stdout)}`)), 10_000)
      proc.stdout.on('data', (chunk) => {
        stdout += chunk.toString('latin1')
        const m = /port (\d+)/.exec(stdout)
        if (m) {
          clearTimeout(timer)
          resolve(Number(m[1]))
        }
      })
      proc.on('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`exited before the banner (code ${code}, signal ${signal}): ${this.stderr().toString('latin1').slice(-500)}`))
      })
    })
    proc.stdout.resume()
    this.port = port
    return port
  }

  /** Everything the server(s) wrote to stderr, from byte `from` on. */
  stderr(from = 0) {
    return Buffer.concat(this.stderrChunks).subarray(from)
  }

  get running() {
    return this.proc !== undefined && this.exit === undefined
  }

  /** VmRSS of the server process, in KiB (undefined if unreadable). */
  rss() {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'latin1')
      const m = /VmRSS:\s+(\d+) kB/.exec(status)
      return m ? Number(m[1]) : undefined
    } catch {
      return undefined
    }
  }

  /**
   * The liveness probe: a normal GET of a known file, on a new connection, answered correctly
   * within `timeout` ms.
   */
  async probe(timeout = 5000) {
    const res = await exchange(
      this.port,
      `GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nConnection: close\r\n\r\n`,
      { timeout, want: 1, settle: 0 },
    )
    const first = res.responses[0]
    const ok = first?.status === 200 && first.body.toString('latin1') === this.fixture.hello
    const detail = ok
      ? `ok in ${res.elapsed} ms`
      : `probe GET /hello.txt failed after ${res.elapsed} ms: ${first ? `${first.statusLine} body ${JSON.stringify(first.body.toString('latin1').slice(0, 80))}` : `no response (${res.why}${res.error ? ` ${res.error}` : ''})`}`
    return { ok, detail, ms: res.elapsed }
  }

  async stop() {
    const proc = this.proc
    if (proc === undefined || this.exit !== undefined) return
    proc.kill('SIGTERM')
    for (let i = 0; i < 30 && this.exit === undefined; i += 1) await sleep(100)
    if (this.exit === undefined) proc.kill('SIGKILL')
    for (let i = 0; i < 20 && this.exit === undefined; i += 1) await sleep(50)
  }
}
