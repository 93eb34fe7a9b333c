/**
 * `CGIHTTPRequestHandler`: CPython's CGI handler (RFC 3875), streaming both ways, bounded.
 * @module
 */
import { constants as fsConstants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { pyRepr } from '@simplehttp/parser'
import { isInside, Resolver, resolveTarget, resolveUrlPath, SimpleHTTPRequestHandler, splitTarget } from '@simplehttp/static'
import { buildCGIEnvironment } from './environment.js'
import { CGIError } from './errors.js'
import { NOBODY, runnable, runScript } from './internal/script-process.js'
import { Semaphore } from './internal/semaphore.js'
import { quotePath } from './internal/target.js'

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
  #pathResolver: Resolver | undefined

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
   * Whether `path` names something under a CGI directory, on the path the resolver gives the
   * static handler too (decoded once, `.` and `..` resolved: `/cgi-bin/../cgi-bin/x`,
   * `/cgi-bin%2Fx`), so the two can never disagree about what a target is. Sets `cgiInfo`
   * (CPython's `is_cgi`). A target the resolver refuses is not a CGI request: the static
   * handler answers it (400 or 404).
   */
  isCGI(): boolean {
    // CPython's is_cgi takes `cgi-bin/x` as `/cgi-bin/x` (bpo-2254); on the wire the parser
    // refuses such targets before they get here.
    const target = this.path.startsWith('/') || this.path.includes('://') ? this.path : `/${this.path}`
    // Dotfiles are judged by #findScript, with the same rule, so that the answer names the script.
    const resolved = resolveTarget(this.directory, target, { dotfiles: true })
    if (!resolved.ok) return false
    const collapsed = resolved.path
    let sep = collapsed.indexOf('/', 1)
    while (sep > 0 && !this.cgiDirectories.includes(collapsed.slice(0, sep))) {
      sep = collapsed.indexOf('/', sep + 1)
    }
    if (sep <= 0) return false
    const query = resolved.query === undefined || resolved.query === '' ? '' : `?${resolved.query}`
    this.cgiInfo = [collapsed.slice(0, sep), collapsed.slice(sep + 1) + query]
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
    let bodyRead: Buffer | undefined
    if (this.connection.readableEnded && !this.rfile.complete) {
      // The client has stopped sending (half-closed, or left: a socket kept half-open looks the
      // same): its body is all here or will never be. Take it before a process is started, so a
      // crowd of departed clients (a slow-body flood ending) costs no fork each, only the 400.
      try {
        bodyRead = await this.rfile.read()
      } catch (error) {
        release()
        throw error
      }
    }
    await this.#run(scriptFile, target, release, bodyRead)
  }

  // ---- finding and checking the script ------------------------------------------------------

  /** CPython's walk: nested script directories, then script name, PATH_INFO and query. */
  async #locate(): Promise<ScriptTarget> {
    const info = this.cgiInfo
    if (info === undefined) throw new CGIError('SH_ERR_CGI_NO_SCRIPT', 'runCGI() needs isCGI() to have returned true')
    let [dir, rest] = info
    // The query is taken from the target as sent: a `%3F` decoded into the path is part of a
    // name, never the start of the query (CPython splits the decoded path at it).
    const query = splitTarget(this.path).query ?? ''
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
    // The resolver's rules again (`cgiInfo` may have been set by a subclass): no dotfiles
    // (`/cgi-bin/.env`) unless allowed, nothing that climbs out.
    if (!resolveUrlPath(quotePath(scriptName), { dotfiles: this.dotfiles }).ok) return undefined
    // A symlink out of the served tree: as if it were not there (never run, never shown).
    return this.#resolver().realPathInside(this.#fsPath(scriptName))
  }

  /**
   * Whether a GET or HEAD that is not a CGI request would serve a file from a script directory
   * (through a symlink elsewhere in the tree that points into `cgi-bin`): that would show a
   * script's source. CPython serves it.
   */
  async #reachesScriptDirectory(): Promise<boolean> {
    const resolver = this.#resolver()
    // A target the resolver refuses is the static handler's to answer (400 or 404).
    if (!resolver.resolve(this.path).ok) return false
    const urlPath = splitTarget(this.path).path
    // Outside the root, the static handler refuses it anyway.
    const real = await resolver.realPathInside(this.translatePath(urlPath))
    if (real === undefined) return false
    for (const dir of this.cgiDirectories) {
      const realDir = await resolver.realPathInside(this.#fsPath(dir))
      if (realDir === undefined) continue
      // The directory itself without a trailing slash only gets the static handler's 301.
      if (isInside(realDir, real) && (real !== realDir || urlPath.endsWith('/'))) return true
    }
    return false
  }

  /** A decoded URL path on disk, through `translatePath`, decoded by it exactly once. */
  #fsPath(decodedPath: string): string {
    return this.translatePath(quotePath(decodedPath))
  }

  /** The path rules for this handler's root and settings (shared with the static handler). */
  #resolver(): Resolver {
    this.#pathResolver ??= new Resolver(this.directory, { dotfiles: this.dotfiles, followSymlinks: this.followSymlinks })
    return this.#pathResolver
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

  async #run(scriptFile: string, target: ScriptTarget, release: () => void, bodyRead: Buffer | undefined): Promise<void> {
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
    const limits = { scriptTimeout: this.scriptTimeout, maxScriptHeaderSize: this.maxScriptHeaderSize }
    await runScript(this, { file: scriptFile, args, env, asNobody: runsAsNobody() }, limits, release, bodyRead)
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

function runsAsNobody(): boolean {
  return process.getuid?.() === 0
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory()
  } catch {
    return false
  }
}

