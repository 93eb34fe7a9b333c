/**
 * Shared by the app's end-to-end tests: fixture trees in temporary folders, the BUILT app run as
 * a real process (`node bin/simplehttp.cjs -b 127.0.0.1 -d <tree> 0`, the port read from its
 * banner), and the other programs a person would use (curl, wget, python3, openssl), each with
 * a bounded wait. No test here asserts how long anything takes.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { formatUsage } from '@simplehttp/cli'
import { RawClient, finals, readResponses } from '@simplehttp/test-client'

/** `apps/simplehttp`, the folder the package lives in. */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url))

/** The app's bin, exactly what `npx simplehttp` runs. */
export const BIN = path.join(APP_DIR, 'bin', 'simplehttp.cjs')

/** What a test waits for a process (its start, its exit, a command's run) before giving up. */
export const WAIT_MS = 30_000

/** argparse's usage line, as the CLI prints it before every usage error (kept on one line). */
export const USAGE = formatUsage().trimEnd()

/** CPython's start-up line, for a server bound to 127.0.0.1: scheme, port. */
const BANNER = /^Serving (HTTPS?) on 127\.0\.0\.1 port (\d+) \((https?):\/\/127\.0\.0\.1:(\d+)\/\) \.\.\.\n/

/** How a process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A child process whose output is kept as text, with bounded waits on its output and its end. */
export class Spawned {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  /** Resolves when the process has ended and its output streams have closed. */
  readonly closed: Promise<Exit>
  readonly #waiters = new Set<() => void>()
  #ended = false

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    this.closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.#ended = true
        resolve({ code, signal })
        this.#wake()
      })
      this.child.once('error', (error) => {
        this.stderr += `spawn failed: ${error.message}\n`
        this.#ended = true
        resolve({ code: null, signal: null })
        this.#wake()
      })
    })
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk
      this.#wake()
    })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk
      this.#wake()
    })
  }

  /** The process id; spawning always gives one here (a failed spawn has none). */
  get pid(): number {
    const pid = this.child.pid
    if (pid === undefined) throw new Error(`no pid: ${this.stderr}`)
    return pid
  }

  /** True until the process has ended and its output is read. */
  get running(): boolean {
    return !this.#ended
  }

  /** The first match of `pattern` in stdout; rejects if the process ends first or after `ms`. */
  async waitForStdout(pattern: RegExp, ms = WAIT_MS): Promise<RegExpExecArray> {
    return this.#waitFor('stdout', (text) => pattern.exec(text), String(pattern), ms)
  }

  /**
   * Wait (bounded) until stderr — the access log — contains `text`. The log line is written
   * before the response, but reaches this process through a pipe of its own, so a client may
   * finish before the line has been read here.
   */
  async waitForStderr(text: string, ms = WAIT_MS): Promise<void> {
    await this.#waitFor('stderr', (all) => (all.includes(text) ? true : null), JSON.stringify(text), ms)
  }

  #waitFor<T>(stream: 'stdout' | 'stderr', find: (text: string) => T | null, what: string, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`no ${what} on ${stream} after ${ms} ms\n${this.#describe()}`))
      }, ms)
      const check = (): void => {
        const found = find(this[stream])
        if (found == null && this.running) return
        this.#waiters.delete(check)
        clearTimeout(timer)
        if (found == null) reject(new Error(`ended before ${what} appeared on ${stream}\n${this.#describe()}`))
        else resolve(found)
      }
      this.#waiters.add(check)
      check()
    })
  }

  /** How the process ended; rejects if it has not ended after `ms`. */
  async waitForExit(ms = WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`still running after ${ms} ms\n${this.#describe()}`))
      }, ms)
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter()
  }

  #describe(): string {
    return `stdout: ${JSON.stringify(this.stdout)}\nstderr: ${JSON.stringify(this.stderr)}`
  }
}

/** The app, started and serving. */
export interface App {
  readonly process: Spawned
  /** The port from the banner (the app was asked for port 0). */
  readonly port: number
  /** `http://127.0.0.1:<port>` (or `https://…` with TLS), no trailing slash. */
  readonly origin: string
  /** The banner line, without its newline. */
  readonly banner: string
}

const apps = new Set<Spawned>()

/**
 * Run `node bin/simplehttp.cjs -b 127.0.0.1 -d <directory> <flags…> 0` and wait for its banner.
 * `afterEach(cleanup)` stops it by its pid with SIGTERM and checks that it exits with code 0.
 */
export async function startApp(directory: string, ...flags: string[]): Promise<App> {
  const proc = new Spawned(process.execPath, [BIN, '-b', '127.0.0.1', '-d', directory, ...flags, '0'], {
    cwd: directory,
  })
  apps.add(proc)
  const match = await proc.waitForStdout(BANNER)
  const [line, , port, scheme, urlPort] = match
  expect(urlPort).toBe(port)
  return {
    process: proc,
    port: Number(port),
    origin: `${scheme ?? ''}://127.0.0.1:${port ?? ''}`,
    banner: line.slice(0, -1),
  }
}

/** Run the app with these arguments to its end (a usage error, a failed start): exit and output. */
export async function runApp(args: readonly string[], cwd: string): Promise<{ exit: Exit; stdout: string; stderr: string }> {
  const proc = new Spawned(process.execPath, [BIN, ...args], { cwd })
  apps.add(proc)
  const exit = await proc.waitForExit()
  return { exit, stdout: proc.stdout, stderr: proc.stderr }
}

/** What a finished command left behind. */
export interface CommandResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: Buffer
  readonly stderr: string
}

/**
 * Run a program to its end (killed after `timeout` ms, which then shows as `signal`), with
 * optional stdin. Never rejects: a program that is missing shows as `code: null` and a
 * `spawn failed` line on stderr, so the assertion that follows names the problem.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeout ?? WAIT_MS,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', (error) => {
      resolve({ code: null, signal: null, stdout: Buffer.concat(out), stderr: `${stderr}spawn failed: ${error.message}\n` })
    })
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout: Buffer.concat(out), stderr })
    })
    child.stdin.on('error', () => {
      // The program may exit without reading its input (curl on a bad URL): nothing to do.
    })
    child.stdin.end(options.input)
  })
}

/** Like {@link runCommand}, but the command must succeed; its stdout comes back. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<Buffer> {
  const result = await runCommand(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (code ${String(result.code)}, signal ${String(result.signal)}):\n` +
        `${result.stdout.toString()}\n${result.stderr}`,
    )
  }
  return result.stdout
}

/** A file in a fixture tree: its contents, and its mode when it is not 0644. */
export type Entry = string | Uint8Array | { readonly data: string | Uint8Array; readonly mode: number }

const trees = new Set<string>()

/**
 * Write `files` (paths with `/`, folders made as needed) under a fresh `fs.mkdtemp` folder and
 * return that folder. The folder itself is made 0755 (mkdtemp makes it 0700): CGI scripts run as
 * `nobody` when the tests run as root, and must be able to reach their directory.
 */
export async function makeTree(files: Readonly<Record<string, Entry>>, prefix = 'simplehttp-app-'): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix))
  trees.add(root)
  await chmod(root, 0o755)
  for (const [name, entry] of Object.entries(files)) {
    const file = path.join(root, ...name.split('/'))
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 })
    if (typeof entry === 'string' || entry instanceof Uint8Array) {
      await writeFile(file, entry)
    } else {
      await writeFile(file, entry.data)
      await chmod(file, entry.mode)
    }
  }
  return root
}

/** A fresh empty temporary folder, removed by {@link cleanup}. */
export async function tempDir(prefix = 'simplehttp-app-'): Promise<string> {
  return makeTree({}, prefix)
}

/** Every file under `root`, as `/`-separated relative paths, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

/**
 * For `afterEach`: stop every app still running by its own pid (SIGTERM, a graceful stop) and
 * check that each exits with code 0; then remove the temporary folders.
 */
export async function cleanup(): Promise<void> {
  const running = [...apps].filter((proc) => proc.running)
  apps.clear()
  const exits = await Promise.all(
    running.map(async (proc) => {
      try {
        process.kill(proc.pid, 'SIGTERM')
      } catch {
        // It ended on its own just now (ESRCH): its exit is checked all the same.
      }
      const exit = await proc.waitForExit().catch((error: unknown) => {
        proc.child.kill('SIGKILL')
        throw error
      })
      return { exit, stderr: proc.stderr }
    }),
  )
  await Promise.all([...trees].map((tree) => rm(tree, { recursive: true, force: true })))
  trees.clear()
  for (const { exit, stderr } of exits) {
    // No stack trace either: a crash on the way out would show here.
    expect({ ...exit, trace: /\n\s+at /.test(stderr) }).toEqual({ code: 0, signal: null, trace: false })
  }
}

/**
 * Split what `curl -i`/`curl -I` (or a raw socket) received into the status line, the header lines
 * as sent, and the body, read by the shared test client's ResponseParser (`method` is the request's:
 * a response to HEAD has no body). Throws unless it is exactly one final response.
 */
export function splitResponse(raw: Buffer, method = 'GET'): { status: string; headers: string[]; body: Buffer } {
  const { responses, partial, error, rest } = readResponses(raw, { methods: [method], closed: true })
  const [response, ...more] = finals(responses)
  const what = JSON.stringify(raw.toString('latin1').slice(0, 2000))
  if (response === undefined || partial !== undefined || error !== undefined) {
    throw new Error(`not one complete response${error ? ` (${error.code}: ${error.message})` : ''}: ${what}`)
  }
  if (more.length > 0 || rest.length > 0) throw new Error(`bytes after the response: ${what}`)
  const headers = response.head.split('\r\n').slice(1).filter((line) => line !== '')
  return { status: response.statusLine, headers, body: response.body }
}

/** The value of the first header called `name` (any case) in `headers`, or undefined. */
export function header(headers: readonly string[], name: string): string | undefined {
  const prefix = `${name.toLowerCase()}:`
  const line = headers.find((h) => h.toLowerCase().startsWith(prefix))
  return line?.slice(prefix.length).trim()
}

/** Send `request` on a fresh TCP connection (the shared test client) and collect everything until the server closes it. */
export async function rawExchange(port: number, request: string, ms = WAIT_MS): Promise<Buffer> {
  const client = await RawClient.connect(port)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      client.destroy()
      reject(new Error(`the server kept the connection open for ${ms} ms; got ${JSON.stringify(client.text)}`))
    }, ms)
  })
  try {
    await client.send(request)
    return await Promise.race([client.untilClosed(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
export function isListening(port: number): Promise<boolean> {
  return RawClient.connect(port).then(
    (client) => {
      client.destroy()
      return true
    },
    () => false,
  )
}

/** The error page CPython 3.14 sends (`send_error`), byte for byte. */
export function errorPage(code: number, message: string, explain: string): string {
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <style type="text/css">
            :root {
                color-scheme: light dark;
            }
        </style>
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: ${code}</p>
        <p>Message: ${message}.</p>
        <p>Error code explanation: ${code} - ${explain}.</p>
    </body>
</html>
`
}

/** The directory listing CPython 3.14 sends for `urlPath`, with `items` as `[href, text]`, byte for byte. */
export function listingPage(urlPath: string, items: readonly (readonly [href: string, text: string])[]): string {
  const lines = [
    '<!DOCTYPE HTML>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<style type="text/css">',
    ':root {',
    'color-scheme: light dark;',
    '}',
    '</style>',
    `<title>Directory listing for ${urlPath}</title>`,
    '</head>',
    '<body>',
    `<h1>Directory listing for ${urlPath}</h1>`,
    '<hr>',
    '<ul>',
    ...items.map(([href, text]) => `<li><a href="${href}">${text}</a></li>`),
    '</ul>',
    '<hr>',
    '</body>',
    '</html>',
    '',
  ]
  return lines.join('\n')
}

/** A deterministic pseudo-random buffer (xorshift): binary content that survives no text mangling. */
export function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt8(x & 0xff, i)
  }
  return out
}
