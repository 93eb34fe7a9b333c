/**
 * `CGIHTTPRequestHandler`: CPython's CGI handler (RFC 3875), streaming both ways, bounded.
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import { access, open, realpath, stat } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import path from 'node:path'
import { pyRepr } from '@simplehttp/parser'
import { SimpleHTTPRequestHandler } from '@simplehttp/static'
import crossSpawn from 'cross-spawn'
import { buildCGIEnvironment } from './environment.js'
import { CGIError } from './errors.js'
import { Semaphore } from './internal/semaphore.js'
import { originForm, queryOf, quotePath } from './internal/target.js'
import { readScriptHead } from './script-output.js'
import { urlCollapsePath } from './url-collapse.js'

/** Settings of the CGI handler; set them in a subclass or with `withCGIOptions`. */
export interface CGIOptions {
  /** URL directories whose files are scripts. Default `['/cgi-bin', '/htbin']` (CPython). */
  readonly cgiDirectories?: readonly string[]
  /** Milliseconds a script may run before it and its process group are killed. Default 60,000. */
  readonly scriptTimeout?: number
  /** Scripts running at once per server; the rest wait in line. Default 8. */
  readonly maxConcurrentScripts?: number
  /** Requests that may wait for a free slot; beyond that, 503. Default 64. */
  readonly maxQueuedScripts?: number
  /** Largest header block a script may print, in bytes; beyond that, 502. Default 65,536. */
  readonly maxScriptHeaderSize?: number
}

/** CPython's `nobody_uid()` fallback, and the usual uid and gid of `nobody`/`nogroup`. */
const NOBODY = 65534

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

/** Scripts running per server: one semaphore per server object. */
const slotsByServer = new WeakMap<object, Semaphore>()

/** Where a CGI request points, once the script directories have been walked. */
interface ScriptTarget {
  /** `SCRIPT_NAME`: the script's URL path, decoded. */
  readonly scriptName: string
  /** What follows the script name in the URL path, decoded (`PATH_INFO`). */
  readonly pathInfo: string
  /** `QUERY_STRING`, as sent. */
  readonly query: string
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
 * CPython's `http.server.CGIHTTPRequestHandler`: files under `cgiDirectories` are run as CGI
 * scripts; everything else is served by `SimpleHTTPRequestHandler`.
 *
 * Better than CPython: a script's `Status:` and `Location:` lines are honoured; the body reaches
 * the script streamed, exactly `Content-Length` bytes; the output streams back with
 * back-pressure; scripts are time-limited, capped in number and killed with their process
 * group when the client leaves; the environment carries every request header (bar the ones
 * that leak credentials or enable httpoxy) but not the server's own secrets.
 *
 * @example
 * const Handler = CGIHTTPRequestHandler.withOptions({ directory: 'site' }).withCGIOptions({ scriptTimeout: 10_000 })
 * @see https://www.rfc-editor.org/rfc/rfc3875
 */
export class CGIHTTPRequestHandler extends SimpleHTTPRequestHandler {
  /** URL directories that hold scripts (CPython's `cgi_directories`). Default `['/cgi-bin', '/htbin']`. */
  cgiDirectories: readonly string[] = ['/cgi-bin', '/htbin']
  /** Milliseconds a script may run. Default 60,000. */
  scriptTimeout = 60_000
  /** Scripts running at once per server. Default 8. */
  maxConcurrentScripts = 8
  /** Requests that may wait for a slot before 503. Default 64. */
  maxQueuedScripts = 64
  /** Largest header block a script may print, in bytes. Default 65,536. */
  maxScriptHeaderSize = 65536
  /** `[directory, rest]` found by `isCGI` (CPython's `cgi_info`); `rest` keeps the query. */
  cgiInfo: [dir: string, rest: string] | undefined

  /**
   * A subclass with these settings: the counterpart of `functools.partial`, next to the
   * inherited `withOptions({ directory, … })`. Options are checked now (throws
   * `SH_ERR_CGI_INVALID_OPTION`).
   */
  static withCGIOptions<T extends typeof CGIHTTPRequestHandler>(this: T, options: CGIOptions): T {
    const checked = checkOptions(options)
    const Base = this as typeof CGIHTTPRequestHandler
    class Configured extends Base {
      constructor(...args: ConstructorParameters<typeof CGIHTTPRequestHandler>) {
        super(...args)
        Object.assign(this, checked)
      }
    }
    Object.defineProperty(Configured, 'name', { value: Base.name })
    return Configured as unknown as T
  }

  /** POST runs a script; anywhere else it is `501 Can only POST to CGI scripts` (CPython). */
  async doPOST(): Promise<void> {
    if (this.isCGI()) await this.runCGI()
    else this.sendError(501, 'Can only POST to CGI scripts')
  }

  /** Run the script, or serve the file (CPython's `send_head`). */
  override async doGET(): Promise<void> {
    if (this.isCGI()) await this.runCGI()
    else if (await this.#reachesScriptDirectory()) this.sendError(404, 'File not found')
    else await super.doGET()
  }

  /** As `doGET`; a script runs for HEAD too (CPython), and its body is dropped. */
  override async doHEAD(): Promise<void> {
    if (this.isCGI()) await this.runCGI()
    else if (await this.#reachesScriptDirectory()) this.sendError(404, 'File not found')
    else await super.doHEAD()
  }

  /**
   * Whether `path` names something under a CGI directory, after CPython's URL collapsing
   * (`/cgi-bin/../cgi-bin/x`, `/cgi-bin%2Fx`). Sets `cgiInfo` (CPython's `is_cgi`).
   */
  isCGI(): boolean {
    const collapsed = urlCollapsePath(originForm(this.path))
    // CPython raises on more `..` than segments; the static handler answers such paths (404).
    if (collapsed === undefined) return false
    let sep = collapsed.indexOf('/', 1)
    while (sep > 0 && !this.cgiDirectories.includes(collapsed.slice(0, sep))) {
      sep = collapsed.indexOf('/', sep + 1)
    }
    if (sep <= 0) return false
    this.cgiInfo = [collapsed.slice(0, sep), collapsed.slice(sep + 1)]
    return true
  }

  /**
   * Whether the file may be executed (CPython's `is_executable`). When the server runs as root,
   * scripts run as `nobody`, so the question is whether `nobody` may execute it.
   */
  async isExecutable(file: string): Promise<boolean> {
    try {
      if (runsAsNobody()) {
        const info = await stat(file)
        const bit = info.uid === NOBODY ? 0o100 : info.gid === NOBODY ? 0o010 : 0o001
        return (info.mode & bit) !== 0
      }
      await access(file, fsConstants.X_OK)
      return true
    } catch {
      return false
    }
  }

  /** Run the script `cgiInfo` names and stream its answer (CPython's `run_cgi`). */
  async runCGI(): Promise<void> {
    const target = await this.#locate()
    const { scriptName, pathInfo } = target
    const scriptFile = await this.#checkScript(scriptName)
    if (scriptFile === undefined) return
    if (pathInfo.includes('\0')) {
      // NUL cannot be put in an environment (poison-null-byte).
      this.sendError(400, 'Bad request path')
      return
    }
    if (this.headers.has('transfer-encoding')) {
      // A script learns its body's size from CONTENT_LENGTH, so a chunked body would have to
      // be buffered whole first; RFC 3875 §4.1.2 lets the server refuse it instead.
      this.sendError(411, 'CGI scripts need a Content-Length')
      return
    }
    const slots = this.#slots()
    const slot = slots.acquire(this.maxQueuedScripts)
    if (slot === undefined) {
      this.sendError(503, 'Too many CGI scripts running')
      return
    }
    const release = await slot
    if (this.connection.destroyed) {
      // The client gave up while waiting in line.
      release()
      return
    }
    await this.#run(scriptFile, target, release)
  }

  // ---- finding and checking the script ------------------------------------------------------

  /** CPython's walk: nested script directories, then script name, PATH_INFO and query. */
  async #locate(): Promise<ScriptTarget> {
    const info = this.cgiInfo
    if (info === undefined) throw new CGIError('SH_ERR_CGI_NO_SCRIPT', 'runCGI() needs isCGI() to have returned true')
    let [dir, rest] = info
    // The query is taken from the target as sent: a `%3F` decoded into the path is part of a
    // name, never the start of the query (CPython splits the decoded path at it).
    const query = queryOf(originForm(this.path))
    if (query !== '' && rest.endsWith(`?${query}`)) rest = rest.slice(0, rest.length - query.length - 1)
    const whole = `${dir}/${rest}`
    // Nested script directories (bpo-21323): walk down while the next segment is a directory.
    for (let i = whole.indexOf('/', dir.length + 1); i >= 0; i = whole.indexOf('/', dir.length + 1)) {
      if (!(await isDirectory(this.#fsPath(whole.slice(0, i))))) break
      dir = whole.slice(0, i)
      rest = whole.slice(i + 1)
    }
    const slash = rest.indexOf('/')
    const script = slash === -1 ? rest : rest.slice(0, slash)
    return { scriptName: `${dir}/${script}`, pathInfo: slash === -1 ? '' : rest.slice(slash), query }
  }

  /**
   * The file to run, or `undefined` after answering: 404 for a missing script (or one hidden or
   * outside the root), 403 for a directory, a non-file or a non-executable file. Neither is run
   * nor shown.
   */
  async #checkScript(scriptName: string): Promise<string | undefined> {
    const real = await this.#findScript(scriptName)
    if (real === undefined) {
      this.sendError(404, `No such CGI script (${pyRepr(scriptName)})`)
      return undefined
    }
    if (!(await stat(real)).isFile()) {
      this.sendError(403, `CGI script is not a plain file (${pyRepr(scriptName)})`)
      return undefined
    }
    if (!(await this.isExecutable(real)) || !(await runnable(real))) {
      this.sendError(403, `CGI script is not executable (${pyRepr(scriptName)})`)
      return undefined
    }
    return real
  }

  /** The script's real path; `undefined` when missing, hidden or outside the root. */
  async #findScript(scriptName: string): Promise<string | undefined> {
    const inside = scriptName.slice((this.cgiInfo?.[0] ?? '').length)
    // Dotfiles stay hidden as the static handler hides them (`/cgi-bin/.env`).
    if (!this.dotfiles && inside.split('/').some((s) => s.startsWith('.'))) return undefined
    let real: string
    try {
      real = await realpath(this.#fsPath(scriptName))
    } catch {
      return undefined
    }
    // A symlink out of the served tree: as if it were not there (never run, never shown).
    if (!this.followSymlinks && !isInside(await realpath(this.directory), real)) return undefined
    return real
  }

  /**
   * Whether a GET or HEAD that is not a CGI request would serve a file from a script directory
   * (through a symlink elsewhere in the tree that points into `cgi-bin`): that would show a
   * script's source. CPython serves it.
   */
  async #reachesScriptDirectory(): Promise<boolean> {
    const target = originForm(this.path)
    const mark = target.indexOf('?')
    const urlPath = mark === -1 ? target : target.slice(0, mark)
    let real: string
    try {
      real = await realpath(this.translatePath(urlPath))
    } catch {
      return false
    }
    for (const dir of this.cgiDirectories) {
      let realDir: string
      try {
        realDir = await realpath(this.#fsPath(dir))
      } catch {
        continue
      }
      // The directory itself without a trailing slash only gets the static handler's 301.
      if (isInside(realDir, real) && (real !== realDir || urlPath.endsWith('/'))) return true
    }
    return false
  }

  /** A decoded URL path on disk, through `translatePath`, decoded by it exactly once. */
  #fsPath(decodedPath: string): string {
    return this.translatePath(quotePath(decodedPath))
  }

  #slots(): Semaphore {
    let slots = slotsByServer.get(this.server)
    if (slots === undefined) {
      slots = new Semaphore(this.maxConcurrentScripts)
      slotsByServer.set(this.server, slots)
    }
    return slots
  }

  // ---- running it ---------------------------------------------------------------------------

  async #run(scriptFile: string, target: ScriptTarget, release: () => void): Promise<void> {
    const env = buildCGIEnvironment({
      serverSoftware: this.versionString(),
      serverName: this.server.serverName ?? 'localhost',
      serverPort: this.server.serverPort ?? 0,
      serverAddress: this.connection.localAddress ?? '',
      protocolVersion: this.protocolVersion,
      method: this.command,
      requestURI: this.path,
      scriptName: target.scriptName,
      scriptFilename: scriptFile,
      pathInfo: target.pathInfo,
      // translatePath drops `..` at the root, so PATH_TRANSLATED stays inside it (CPython's
      // translate_path(PATH_INFO), decoding it once only).
      pathTranslated: this.#fsPath(target.pathInfo),
      query: target.query,
      remoteAddress: this.clientAddress[0],
      remotePort: this.clientAddress[1],
      headers: this.headers,
      baseEnvironment: process.env,
    })
    // CPython's ISINDEX rule: a query without `=` is also the script's argument. It is an argv
    // entry, never shell text: no shell is involved anywhere.
    const decodedQuery = target.query.replaceAll('+', ' ')
    const args = decodedQuery === '' || decodedQuery.includes('=') ? [] : [decodedQuery]

    let child: ChildProcess
    try {
      child = this.#spawn(scriptFile, args, env)
    } catch (error) {
      // E2BIG, EPERM and the like are thrown by spawn (only ENOENT, EACCES, … come as events).
      release()
      this.logError('CGI script could not be started: %s', (error as Error).message)
      this.sendError(500, 'CGI script could not be started')
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
    }, this.scriptTimeout)
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
      this.connection.off('close', abandon)
      release()
      this.#logExit(code, signal, run)
    }
    this.connection.once('close', abandon)
    this.#logStderr(child)
    child.once('exit', finish)
    child.once('error', (error) => {
      run.spawnError = error
      // Spawning failed (ENOENT, EACCES): there will be no 'exit'.
      if (child.pid === undefined) finish(null, null)
    })

    const fail = (error: unknown): void => {
      run.failure ??= error instanceof Error ? error : new Error(String(error))
      if (this.connection.destroyed) run.abandoned = true
      kill()
    }
    await Promise.all([this.#feedStdin(child).catch(fail), this.#relayOutput(child, run, kill).catch(fail)])
    // The response is complete: the connection closing from now on is the normal end of it, not
    // a client that gave up (a script still exiting must not be killed for it).
    this.connection.off('close', abandon)
    if (run.failure !== undefined) throw run.failure
  }

  #spawn(scriptFile: string, args: string[], env: Record<string, string>): ChildProcess {
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
      ...(runsAsNobody() ? { uid: NOBODY, gid: NOBODY } : {}),
    })
  }

  /** Exactly the request body (Content-Length bytes, already de-framed) to the script's stdin. */
  async #feedStdin(child: ChildProcess): Promise<void> {
    const stdin = child.stdin
    if (stdin == null) return
    stdin.on('error', () => undefined) // the script may exit without reading its input (EPIPE)
    try {
      for await (const chunk of this.rfile) {
        if (stdin.destroyed) break
        if (!stdin.write(chunk)) await waitDrain(stdin)
      }
    } finally {
      stdin.end()
    }
  }

  /** The script's header block → status line and headers; then its body, with back-pressure. */
  async #relayOutput(child: ChildProcess, run: ScriptRun, kill: () => void): Promise<void> {
    const stdout = child.stdout
    if (stdout == null) return
    const chunks = stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    const head = await readScriptHead(chunks, this.maxScriptHeaderSize)
    // The body could not be read: the handler answers that (408), or the client is gone.
    if (run.failure !== undefined) return
    if (typeof head === 'string') {
      // Nothing of it can be sent; do not let it block on a full pipe until the timeout.
      kill()
      if (run.timedOut) this.sendError(504, 'CGI script timed out')
      else if (run.spawnError !== undefined) {
        this.logError('CGI script could not be started: %s', run.spawnError.message)
        this.sendError(500, 'CGI script could not be started')
      } else if (head === 'no-header-block') this.sendError(502, 'CGI script sent no headers')
      else this.sendError(502, 'CGI script sent malformed headers')
      return
    }

    const location = head.headers.find(([name]) => name.toLowerCase() === 'location')
    // RFC 3875 §6.3.3: a Location without a Status is a redirect. Unlike CPython, which sends
    // `200 Script output follows` before the script has said anything.
    const status = head.status ?? (location === undefined ? 200 : 302)
    const reason = head.status === undefined && location === undefined ? 'Script output follows' : head.reason
    this.sendResponse(status, reason)
    let declaredLength: number | undefined
    for (const [name, value] of head.headers) {
      const lower = name.toLowerCase()
      if (HOP_BY_HOP.has(lower)) continue
      if (lower === 'content-length') {
        // One valid length or none: two would let the client pick (response splitting).
        if (declaredLength !== undefined || !/^[0-9]{1,15}$/.test(value)) continue
        declaredLength = Number(value)
      }
      this.sendHeader(name, value)
    }
    this.endHeaders()

    const sendBody = this.command !== 'HEAD' && status !== 204 && status !== 304
    let sent = 0
    const forward = async (chunk: Buffer): Promise<void> => {
      const room = declaredLength === undefined ? chunk.length : Math.min(chunk.length, declaredLength - sent)
      if (!sendBody || room <= 0 || run.failure !== undefined) return // read on, so the script never blocks
      sent += room
      await this.wfile.write(room === chunk.length ? chunk : chunk.subarray(0, room))
    }
    await forward(head.rest)
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
      await forward(next.value)
    }
    this.wfile.flush()
    if (run.timedOut && sendBody && (declaredLength === undefined || sent < declaredLength)) {
      // Killed mid-body: the only honest end of a response that cannot be completed is a cut.
      this.closeConnection = true
      this.connection.resetAndDestroy()
    } else if (declaredLength !== undefined && sendBody && sent !== declaredLength) {
      // A length the script got wrong can only be fixed by closing.
      this.closeConnection = true
    }
  }

  /** The script's stderr goes to the server log, line by line (CPython logs it too). */
  #logStderr(child: ChildProcess): void {
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
      for (const line of lines) if (line !== '') this.logError('%s', line)
    })
    stderr.on('end', () => {
      if (partial !== '') this.logError('%s', partial)
    })
  }

  #logExit(code: number | null, signal: NodeJS.Signals | null, run: ScriptRun): void {
    if (run.timedOut) this.logError('CGI script timed out after %d ms and was killed', this.scriptTimeout)
    else if (run.abandoned) this.logError('CGI script killed: the client went away')
    // CPython's wording, and its negative number for a signal (os.waitstatus_to_exitcode).
    else if (signal != null) this.logError('CGI script exit code %d', -osConstants.signals[signal])
    else if (code != null && code !== 0) this.logError('CGI script exit code %d', code)
  }
}

/** Check `withCGIOptions`' options; returns only the ones given. */
function checkOptions(options: CGIOptions): CGIOptions {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    if (value === undefined) continue
    if (key === 'cgiDirectories') {
      if (
        !Array.isArray(value) ||
        !value.every((d) => typeof d === 'string' && /^\/[^?#]*[^/?#]$/.test(d) && !d.includes('//'))
      ) {
        throw invalid(key, "an array of URL paths such as '/cgi-bin' (leading '/', no trailing '/')", value)
      }
      out[key] = Object.freeze([...(value as string[])])
    } else if (key === 'scriptTimeout') {
      // setTimeout fires at once for anything above 2^31 - 1 ms.
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
        throw invalid(key, 'an integer from 1 to 2147483647 (ms)', value)
      }
      out[key] = value
    } else if (key === 'maxConcurrentScripts' || key === 'maxScriptHeaderSize') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw invalid(key, 'a positive integer', value)
      out[key] = value
    } else if (key === 'maxQueuedScripts') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(key, 'an integer ≥ 0', value)
      out[key] = value
    } else {
      throw invalid(key, 'one of cgiDirectories, scriptTimeout, maxConcurrentScripts, maxQueuedScripts, maxScriptHeaderSize', key)
    }
  }
  return out
}

function invalid(what: string, expected: string, got: unknown): CGIError {
  let shown = typeof got === 'string' ? JSON.stringify(got) : String(got)
  if (Array.isArray(got)) shown = JSON.stringify(got)
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`
  return new CGIError('SH_ERR_CGI_INVALID_OPTION', `invalid option ${what}.\nExpected ${expected}, but got: ${shown}`)
}

/**
 * Whether exec(2) runs the file itself: a `#!` line or a native executable (ELF, Mach-O), or a
 * file we hand to an interpreter. For anything else execvp (and libuv) fall back to `/bin/sh`,
 * which would run any executable text file as shell commands; CPython's execve refuses it.
 */
async function runnable(file: string): Promise<boolean> {
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

function runsAsNobody(): boolean {
  return process.getuid?.() === 0
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory()
  } catch {
    return false
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
