/**
 * Running a CGI script: spawn it in its own process group, feed it the request body, turn its
 * header block into the response head, relay its body with back-pressure, and kill it (with
 * everything it started) on timeout or when the client leaves. The handler decides what to run;
 * this module runs it.
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { open } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import path from 'node:path'
import type { SimpleHTTPRequestHandler } from '@simplehttp/static'
import crossSpawn from 'cross-spawn'
import { readScriptHead } from '../script-output.js'

/** What of the handler running a script is used: its connection, body, writer and log. */
export type ScriptHost = Pick<
  SimpleHTTPRequestHandler,
  'connection' | 'rfile' | 'wfile' | 'command' | 'closeConnection' | 'sendResponse' | 'sendHeader' | 'endHeaders' | 'sendError' | 'logError'
>

/** The bounds a script runs within (the handler's settings). */
export interface ScriptLimits {
  /** Milliseconds before the script and its process group are killed. */
  readonly scriptTimeout: number
  /** Largest header block the script may print, in bytes. */
  readonly maxScriptHeaderSize: number
}

/** What to run. */
export interface ScriptCommand {
  /** The script's real path. */
  readonly file: string
  /** Its argv after the script (CPython's ISINDEX argument, or nothing). */
  readonly args: readonly string[]
  /** The CGI environment (RFC 3875). */
  readonly env: Record<string, string>
  /** Run as `nobody` (the server runs as root). */
  readonly asNobody: boolean
}

/** CPython's `nobody_uid()` fallback, and the usual uid and gid of `nobody`/`nogroup`. */
export const NOBODY = 65534

/**
 * Script header fields about the connection rather than the answer (RFC 9110 §7.6.1). The
 * handler frames the response itself: a script's `Transfer-Encoding: chunked` over a body that
 * is not chunked would desynchronise a kept-alive connection.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/**
 * Scripts run by an interpreter rather than by their `#!` line. CPython runs `.py` with its
 * own interpreter; we use `python3` (unbuffered, as CPython's `-u`), and Node for JavaScript.
 */
const INTERPRETERS: Readonly<Record<string, readonly [string, ...string[]]>> = {
  '.py': ['python3', '-u'],
  '.js': [process.execPath],
  '.mjs': [process.execPath],
}

/** What happened while a script ran. */
interface ScriptRun {
  timedOut: boolean
  /** The client went away (or its body could not be read): the script was killed for it. */
  abandoned: boolean
  /** The first error from feeding the body or relaying the output; rethrown to the handler. */
  failure: Error | undefined
  /** Set when the script could not be started. */
  spawnError: Error | undefined
}

/**
 * Run `script` for `host`'s request and answer with its output (CPython's `run_cgi` from the
 * fork on). `release` is called once the script is gone (its slot in the semaphore). `bodyRead`
 * is the start of the body already taken from `host.rfile`: it goes to the script's stdin first.
 * Rejects with the first error from feeding the body or relaying the output, after killing the
 * script.
 */
export async function runScript(
  host: ScriptHost,
  script: ScriptCommand,
  limits: ScriptLimits,
  release: () => void,
  bodyRead?: Buffer,
): Promise<void> {
  let child: ChildProcess
  try {
    child = spawnScript(script)
  } catch (error) {
    // E2BIG, EPERM and the like are thrown by spawn (only ENOENT, EACCES, … come as events).
    release()
    host.logError('CGI script could not be started: %s', (error as Error).message)
    host.sendError(500, 'CGI script could not be started')
    return
  }

  const run: ScriptRun = { timedOut: false, abandoned: false, failure: undefined, spawnError: undefined }
  let finished = false
  // Never after `finish`: the group's id could by then belong to someone else.
  const kill = (): void => {
    if (!finished) killGroup(child)
  }
  const timer = setTimeout(() => {
    run.timedOut = true
    kill()
  }, limits.scriptTimeout)
  const abandon = (): void => {
    run.abandoned = true
    kill()
  }
  // The exit is awaited apart from the response: a script that closes its output and lingers
  // does not hold the response back, but keeps its slot and its timer until it is gone.
  const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (finished) return
    // Background processes it left behind share its process group: they end with it.
    kill()
    finished = true
    clearTimeout(timer)
    host.connection.off('close', abandon)
    release()
    logExit(host, limits, code, signal, run)
  }
  host.connection.once('close', abandon)
  logStderr(host, child)
  child.once('exit', finish)
  child.once('error', (error) => {
    run.spawnError = error
    // Spawning failed (ENOENT, EACCES): there will be no 'exit'.
    if (child.pid === undefined) finish(null, null)
  })

  const fail = (error: unknown): void => {
    run.failure ??= error instanceof Error ? error : new Error(String(error))
    if (host.connection.destroyed) run.abandoned = true
    kill()
  }
  await Promise.all([feedStdin(host, child, bodyRead).catch(fail), relayOutput(host, limits, child, run, kill).catch(fail)])
  // The response is complete: the connection closing from now on is the normal end of it, not
  // a client that gave up (a script still exiting must not be killed for it).
  host.connection.off('close', abandon)
  if (run.failure !== undefined) throw run.failure
}

function spawnScript(script: ScriptCommand): ChildProcess {
  const { file: scriptFile, env } = script
  const args = [...script.args]
  const interpreter = INTERPRETERS[path.extname(scriptFile).toLowerCase()]
  const [command, argv] =
    interpreter === undefined ? [scriptFile, args] : [interpreter[0], [...interpreter.slice(1), scriptFile, ...args]]
  return crossSpawn(command, argv, {
    cwd: path.dirname(scriptFile),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so a timeout or a vanished client kills what it started too.
    detached: process.platform !== 'win32',
    windowsHide: true,
    // CPython setuid()s to nobody when it can; so do we, when running as root.
    ...(script.asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  })
}

/** Exactly the request body (Content-Length bytes, already de-framed) to the script's stdin. */
async function feedStdin(host: ScriptHost, child: ChildProcess, bodyRead: Buffer | undefined): Promise<void> {
  const stdin = child.stdin
  if (stdin == null) return
  stdin.on('error', () => undefined) // the script may exit without reading its input (EPIPE)
  try {
    if (bodyRead !== undefined && bodyRead.length > 0 && !stdin.write(bodyRead)) await waitDrain(stdin)
    for await (const chunk of host.rfile) {
      if (stdin.destroyed) break
      if (!stdin.write(chunk)) await waitDrain(stdin)
    }
  } finally {
    stdin.end()
  }
}

/** The script's header block → status line and headers; then its body, with back-pressure. */
async function relayOutput(
  host: ScriptHost,
  limits: ScriptLimits,
  child: ChildProcess,
  run: ScriptRun,
  kill: () => void,
): Promise<void> {
  const stdout = child.stdout
  if (stdout == null) return
  const chunks = stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const head = await readScriptHead(chunks, limits.maxScriptHeaderSize)
  // The body could not be read: the handler answers that (408), or the client is gone.
  if (run.failure !== undefined) return
  if (typeof head === 'string') {
    // Nothing of it can be sent; do not let it block on a full pipe until the timeout.
    kill()
    if (run.timedOut) host.sendError(504, 'CGI script timed out')
    else if (run.spawnError !== undefined) {
      host.logError('CGI script could not be started: %s', run.spawnError.message)
      host.sendError(500, 'CGI script could not be started')
    } else if (head === 'no-header-block') host.sendError(502, 'CGI script sent no headers')
    else host.sendError(502, 'CGI script sent malformed headers')
    return
  }

  const location = head.headers.find(([name]) => name.toLowerCase() === 'location')
  // RFC 3875 §6.3.3: a Location without a Status is a redirect. Unlike CPython, which sends
  // `200 Script output follows` before the script has said anything.
  const status = head.status ?? (location === undefined ? 200 : 302)
  const reason = head.status === undefined && location === undefined ? 'Script output follows' : head.reason
  host.sendResponse(status, reason)
  let declaredLength: number | undefined
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower)) continue
    if (lower === 'content-length') {
      // One valid length or none: two would let the client pick (response splitting).
      if (declaredLength !== undefined || !/^[0-9]{1,15}$/.test(value)) continue
      declaredLength = Number(value)
    }
    host.sendHeader(name, value)
  }
  host.endHeaders()

  const sendBody = host.command !== 'HEAD' && status !== 204 && status !== 304
  let sent = 0
  const forward = async (chunk: Buffer): Promise<void> => {
    const room = declaredLength === undefined ? chunk.length : Math.min(chunk.length, declaredLength - sent)
    if (!sendBody || room <= 0 || run.failure !== undefined) return // read on, so the script never blocks
    sent += room
    await host.wfile.write(room === chunk.length ? chunk : chunk.subarray(0, room))
  }
  await forward(head.rest)
  for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
    await forward(next.value)
  }
  host.wfile.flush()
  if (run.timedOut && sendBody && (declaredLength === undefined || sent < declaredLength)) {
    // Killed mid-body: the only honest end of a response that cannot be completed is a cut.
    host.closeConnection = true
    host.connection.resetAndDestroy()
  } else if (declaredLength !== undefined && sendBody && sent !== declaredLength) {
    // A length the script got wrong can only be fixed by closing.
    host.closeConnection = true
  }
}

/** The script's stderr goes to the server log, line by line (CPython logs it too). */
function logStderr(host: ScriptHost, child: ChildProcess): void {
  const stderr = child.stderr
  if (stderr == null) return
  let partial = ''
  stderr.on('error', () => undefined) // a broken pipe is no reason to take the server down
  stderr.setEncoding('utf8')
  stderr.on('data', (text: string) => {
    const lines = (partial + text).split('\n')
    partial = lines.pop() ?? ''
    // One endless line must not grow without bound.
    if (partial.length > 8192) lines.push(partial.slice(0, 8192))
    if (partial.length > 8192) partial = ''
    for (const line of lines) if (line !== '') host.logError('%s', line)
  })
  stderr.on('end', () => {
    if (partial !== '') host.logError('%s', partial)
  })
}

function logExit(
  host: ScriptHost,
  limits: ScriptLimits,
  code: number | null,
  signal: NodeJS.Signals | null,
  run: ScriptRun,
): void {
  if (run.timedOut) host.logError('CGI script timed out after %d ms and was killed', limits.scriptTimeout)
  else if (run.abandoned) host.logError('CGI script killed: the client went away')
  // CPython's wording, and its negative number for a signal (os.waitstatus_to_exitcode).
  else if (signal != null) host.logError('CGI script exit code %d', -osConstants.signals[signal])
  else if (code != null && code !== 0) host.logError('CGI script exit code %d', code)
}

/**
 * Whether exec(2) runs the file itself: a `#!` line or a native executable (ELF, Mach-O), or a
 * file we hand to an interpreter. For anything else execvp (and libuv) fall back to `/bin/sh`,
 * which would run any executable text file as shell commands; CPython's execve refuses it.
 */
export async function runnable(file: string): Promise<boolean> {
  if (process.platform === 'win32' || INTERPRETERS[path.extname(file).toLowerCase()] !== undefined) return true
  let handle
  try {
    handle = await open(file, 'r')
  } catch {
    return false // unreadable: what would run it cannot be told
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    const magic = buffer.subarray(0, bytesRead)
    return (
      magic.subarray(0, 2).toString('latin1') === '#!' ||
      magic.equals(Buffer.from('\x7fELF', 'latin1')) ||
      [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(bytesRead === 4 ? magic.readUInt32BE(0) : 0)
    )
  } finally {
    await handle.close()
  }
}

/** SIGKILL the script's process group: the script and everything it started. */
function killGroup(child: ChildProcess): void {
  const pid = child.pid
  if (pid === undefined) return
  try {
    if (process.platform === 'win32') child.kill('SIGKILL')
    else process.kill(-pid, 'SIGKILL')
  } catch {
    // ESRCH: the group is gone already.
  }
}

function waitDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      stream.off('error', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
    stream.on('error', done)
  })
}
