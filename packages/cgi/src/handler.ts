/**
 * `CGIHTTPRequestHandler`: CPython's CGI handler (RFC 3875), streaming both ways, bounded.
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import { access, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { pyRepr } from '@simplehttp/parser'
import { SimpleHTTPRequestHandler } from '@simplehttp/static'
import crossSpawn from 'cross-spawn'
import { buildCGIEnvironment } from './environment.js'
import { Semaphore } from './internal/semaphore.js'
import { readScriptHead } from './script-output.js'
import { urlCollapsePath } from './url-collapse.js'

/** Settings of the CGI handler; override them in a subclass or with `withCGIOptions`. */
export interface CGIOptions {
  /** URL directories whose files are scripts. Default `['/cgi-bin', '/htbin']` (CPython). */
  cgiDirectories?: string[]
  /** Milliseconds a script may run before it (and its process group) is killed. Default 60,000. */
  scriptTimeout?: number
  /** Scripts running at once per server; the rest wait in line. Default 8. */
  maxConcurrentScripts?: number
  /** Requests that may wait for a free slot; beyond it → 503. Default 64. */
  maxQueuedScripts?: number
  /** Largest header block a script may print. Default 65,536 bytes. */
  maxScriptHeaderSize?: number
}

/** Scripts run per server at once: one semaphore per server object. */
const slotsByServer = new WeakMap<object, Semaphore>()

/**
 * CPython's `http.server.CGIHTTPRequestHandler`: files under `cgiDirectories` are run as CGI
 * scripts; everything else is served by `SimpleHTTPRequestHandler`.
 *
 * Better than CPython: a script's `Status:` and `Location:` lines are honoured; the body reaches
 * the script streamed, exactly `Content-Length` bytes; the output streams back with
 * back-pressure; scripts are time-limited, capped in number and killed with their process
 * group when the client leaves; the environment carries every request header (bar the ones
 * that leak credentials or enable httpoxy) but not the server's own secrets.
 */
export class CGIHTTPRequestHandler extends SimpleHTTPRequestHandler {
  /** URL directories that hold scripts (CPython's `cgi_directories`). */
  cgiDirectories: string[] = ['/cgi-bin', '/htbin']
  /** Milliseconds a script may run. */
  scriptTimeout = 60_000
  /** Scripts running at once per server. */
  maxConcurrentScripts = 8
  /** Requests that may wait for a slot before 503. */
  maxQueuedScripts = 64
  /** Largest header block a script may print. */
  maxScriptHeaderSize = 65536
  /** `[directory, rest]` found by `isCGI` (CPython's `cgi_info`). */
  cgiInfo: [dir: string, rest: string] | undefined

  /** A subclass with these settings (the counterpart of `functools.partial`). */
  static withCGIOptions<T extends typeof CGIHTTPRequestHandler>(this: T, options: CGIOptions): T {
    const Base = this as typeof CGIHTTPRequestHandler
    class Configured extends Base {
      constructor(...args: ConstructorParameters<typeof CGIHTTPRequestHandler>) {
        super(...args)
        if (options.cgiDirectories !== undefined) this.cgiDirectories = options.cgiDirectories
        if (options.scriptTimeout !== undefined) this.scriptTimeout = options.scriptTimeout
        if (options.maxConcurrentScripts !== undefined) this.maxConcurrentScripts = options.maxConcurrentScripts
        if (options.maxQueuedScripts !== undefined) this.maxQueuedScripts = options.maxQueuedScripts
        if (options.maxScriptHeaderSize !== undefined) this.maxScriptHeaderSize = options.maxScriptHeaderSize
      }
    }
    return Configured as unknown as T
  }

  /** POST runs a script; anywhere else it is 501, as CPython. */
  async doPOST(): Promise<void> {
    if (this.isCGI()) {
      await this.runCGI()
      return
    }
    this.sendError(501, 'Can only POST to CGI scripts')
  }

  override async doGET(): Promise<void> {
    if (this.isCGI()) await this.runCGI()
    else await super.doGET()
  }

  override async doHEAD(): Promise<void> {
    if (this.isCGI()) await this.runCGI()
    else await super.doHEAD()
  }

  /**
   * Whether `path` names something under a CGI directory, after CPython's URL collapsing
   * (`/cgi-bin/../cgi-bin/x`, `//cgi-bin/x`). Sets `cgiInfo`.
   */
  isCGI(): boolean {
    const collapsed = urlCollapsePath(this.path)
    if (collapsed === undefined) return false
    let sep = collapsed.indexOf('/', 1)
    while (sep > 0 && !this.cgiDirectories.includes(collapsed.slice(0, sep))) {
      sep = collapsed.indexOf('/', sep + 1)
    }
    if (sep > 0) {
      this.cgiInfo = [collapsed.slice(0, sep), collapsed.slice(sep + 1)]
      return true
    }
    return false
  }

  /** Whether the file may be executed by the server's user (CPython's `is_executable`). */
  async isExecutable(file: string): Promise<boolean> {
    try {
      await access(file, fsConstants.X_OK)
      return true
    } catch {
      return false
    }
  }

  /** Run the script `cgiInfo` names and stream its answer (CPython's `run_cgi`). */
  async runCGI(): Promise<void> {
    const info = this.cgiInfo
    if (info === undefined) throw new Error('runCGI() needs isCGI() to have returned true')
    let [dir, rest] = info
    // Nested script directories: walk down while the next segment is a directory (CPython).
    const whole = `${dir}/${rest}`
    for (let i = whole.indexOf('/', dir.length + 1); i >= 0; i = whole.indexOf('/', dir.length + 1)) {
      const nextDir = whole.slice(0, i)
      if (!(await isDirectory(this.translatePath(nextDir)))) break
      dir = nextDir
      rest = whole.slice(i + 1)
    }
    const q = rest.indexOf('?')
    const query = q === -1 ? '' : rest.slice(q + 1)
    if (q !== -1) rest = rest.slice(0, q)
    const slash = rest.indexOf('/')
    const script = slash === -1 ? rest : rest.slice(0, slash)
    const extraPath = slash === -1 ? '' : rest.slice(slash)

    const scriptName = `${dir}/${script}`
    const scriptFile = this.translatePath(scriptName)
    const checked = await this.#checkScript(scriptName, scriptFile)
    if (checked === undefined) return

    if (this.headers.has('transfer-encoding')) {
      // A script learns its body's size from CONTENT_LENGTH; a chunked body would have to be
      // buffered whole first.
      this.sendError(411, 'CGI scripts need a Content-Length')
      return
    }

    const slot = this.#slots().acquire(this.maxQueuedScripts)
    if (slot === undefined) {
      this.sendError(503, 'Too many CGI scripts running')
      return
    }
    const release = await slot
    try {
      await this.#run(checked, scriptName, extraPath, query)
    } finally {
      release()
    }
  }

  /** 404 for a missing script, 403 for a directory, a non-file or a non-executable file. */
  async #checkScript(scriptName: string, scriptFile: string): Promise<string | undefined> {
    let real: string
    try {
      real = await realpath(scriptFile)
    } catch {
      this.sendError(404, `No such CGI script (${pyRepr(scriptName)})`)
      return undefined
    }
    if (!this.followSymlinks && !isInside(await realpath(this.directory), real)) {
      // A link out of the served tree: as if it were not there (never run, never shown).
      this.sendError(404, `No such CGI script (${pyRepr(scriptName)})`)
      return undefined
    }
    const info = await stat(real)
    if (!info.isFile()) {
      this.sendError(403, `CGI script is not a plain file (${pyRepr(scriptName)})`)
      return undefined
    }
    if (!(await this.isExecutable(real))) {
      this.sendError(403, `CGI script is not executable (${pyRepr(scriptName)})`)
      return undefined
    }
    return real
  }

  #slots(): Semaphore {
    let slots = slotsByServer.get(this.server)
    if (slots === undefined) {
      slots = new Semaphore(this.maxConcurrentScripts)
      slotsByServer.set(this.server, slots)
    }
    return slots
  }

  async #run(scriptFile: string, scriptName: string, extraPath: string, query: string): Promise<void> {
    let pathInfo: string
    try {
      pathInfo = decodeURIComponent(extraPath)
    } catch {
      this.sendError(400, 'Bad percent-encoding in PATH_INFO')
      return
    }
    const env = buildCGIEnvironment({
      serverSoftware: this.versionString(),
      serverName: this.server.serverName ?? 'localhost',
      serverPort: this.server.serverPort ?? 0,
      serverAddress: this.connection.localAddress ?? '',
      protocolVersion: this.protocolVersion,
      method: this.command,
      requestURI: this.path,
      scriptName,
      scriptFilename: scriptFile,
      pathInfo,
      // translatePath drops `..`, so PATH_TRANSLATED stays inside the root.
      pathTranslated: this.translatePath(pathInfo === '' ? '/' : pathInfo),
      query,
      remoteAddress: this.clientAddress[0],
      remotePort: this.clientAddress[1],
      headers: this.headers,
      baseEnvironment: process.env,
    })

    // CPython's ISINDEX rule: a query without `=` is also the script's argument (no shell sees it).
    const decodedQuery = query.replaceAll('+', ' ')
    const args = decodedQuery.includes('=') || decodedQuery === '' ? [] : [decodedQuery]
    const child = this.#spawn(scriptFile, args, env)

    const kill = (): void => {
      killGroup(child)
    }
    const deadline = { passed: false }
    const timer = setTimeout(() => {
      deadline.passed = true
      kill()
    }, this.scriptTimeout)
    const exited = new Promise<number | null>((resolve) => {
      child.once('close', (code, signal) => {
        resolve(signal == null ? code : null)
      })
      child.once('error', () => {
        resolve(127)
      })
    })
    this.connection.once('close', kill)
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line !== '') this.logError('%s', line)
    })
    try {
      await Promise.all([this.#feedStdin(child), this.#relayOutput(child, () => deadline.passed)])
    } catch (error) {
      kill()
      throw error
    } finally {
      this.connection.off('close', kill)
    }
    // The timer stays armed until the script exits: one that closes stdout and lingers is
    // still killed in time, and its exit is always waited for (no zombies).
    const code = await exited
    clearTimeout(timer)
    if (code == null) this.logError(deadline.passed ? 'CGI script timed out and was killed' : 'CGI script was killed')
    else if (code !== 0) this.logError('CGI script exit code %d', code)
    else this.logMessage('CGI script exited OK')
  }

  #spawn(scriptFile: string, args: string[], env: Record<string, string>): ChildProcess {
    const ext = path.extname(scriptFile).toLowerCase()
    const [command, argv] =
      ext === '.py'
        ? ['python3', ['-u', scriptFile, ...args]]
        : ext === '.js' || ext === '.mjs'
          ? [process.execPath, [scriptFile, ...args]]
          : [scriptFile, args]
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    return crossSpawn(command, argv, {
      cwd: path.dirname(scriptFile),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout or a vanished client kills what it started too.
      detached: process.platform !== 'win32',
      windowsHide: true,
      // CPython setuid()s to nobody when it runs as root; so do we.
      ...asNobody,
    })
  }

  /** Exactly the request body (Content-Length bytes, already de-framed) to the script's stdin. */
  async #feedStdin(child: ChildProcess): Promise<void> {
    const stdin = child.stdin
    if (stdin == null) return
    stdin.on('error', () => undefined) // the script may exit without reading its input
    try {
      for await (const chunk of this.rfile) {
        if (stdin.destroyed) break
        if (!stdin.write(chunk)) await waitDrain(stdin)
      }
    } finally {
      stdin.end()
    }
  }

  async #relayOutput(child: ChildProcess, timedOut: () => boolean): Promise<void> {
    const stdout = child.stdout
    if (stdout == null) return
    const chunks = stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    const head = await readScriptHead(chunks, this.maxScriptHeaderSize)
    if (typeof head === 'string') {
      if (timedOut()) this.sendError(504, 'CGI script timed out')
      else if (head === 'no-header-block') this.sendError(502, 'CGI script sent no headers')
      else this.sendError(502, 'CGI script sent malformed headers')
      // Drain the rest so the script is not blocked on a full pipe.
      stdout.resume()
      return
    }
    const location = head.headers.find(([name]) => name.toLowerCase() === 'location')
    const status = head.status ?? (location === undefined ? 200 : 302)
    const reason = head.status === undefined && location === undefined ? 'Script output follows' : head.reason
    this.sendResponse(status, reason)
    let declaredLength: number | undefined
    for (const [name, value] of head.headers) {
      if (name.toLowerCase() === 'content-length') {
        if (!/^[0-9]+$/.test(value)) continue
        declaredLength = Number(value)
      }
      this.sendHeader(name, value)
    }
    this.endHeaders()

    const sendBody = this.command !== 'HEAD'
    let sent = 0
    const forward = async (chunk: Buffer): Promise<void> => {
      if (!sendBody || chunk.length === 0) return
      let part = chunk
      if (declaredLength !== undefined && sent + part.length > declaredLength) {
        part = part.subarray(0, declaredLength - sent)
      }
      sent += part.length
      if (part.length > 0) await this.wfile.write(part)
    }
    await forward(head.rest)
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
      await forward(next.value)
    }
    this.wfile.flush()
    // A length the script got wrong can only be fixed by closing.
    if (declaredLength !== undefined && sendBody && sent !== declaredLength) this.closeConnection = true
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target)
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel))
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory()
  } catch {
    return false
  }
}

function killGroup(child: ChildProcess): void {
  if (child.exitCode != null || child.signalCode != null || child.pid === undefined) return
  try {
    if (process.platform === 'win32') child.kill('SIGKILL')
    else process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone.
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
