/**
 * `SimpleHTTPRequestHandler`: CPython's file-serving handler on `@simplehttp/handler`. A thin
 * adapter: the core plans each answer, this class writes it with `sendResponse`/`sendHeader`/
 * `wfile` and keeps CPython's methods as the places to override.
 * @module
 */
import { BaseHTTPRequestHandler, ResponseWriter, isSimpleHTTPError } from '@simplehttp/handler'
import { writeReusingChunks, type BodyWriter, type ResponseBody } from './response-body.js'
import { StaticCore, sharedCore, type StaticHooks, type StaticPlan } from './internal/core.js'
import { EXTENSIONS_MAP, guessType } from './mime.js'
import { translatePath } from './internal/url-path.js'
import type { LiveReload } from './live-reload.js'
import { INDEX_PAGES, resolveDirectory, resolveOptions, type ArchiveOptions, type CompressOptions, type HandlerOptions, type HeaderPair, type ListingMode } from './options.js'

/**
 * CPython's `http.server.SimpleHTTPRequestHandler`: serves files and directory listings from
 * `directory` for GET and HEAD, with CPython's headers, listing HTML and error pages — plus
 * ranges, ETags, precompressed siblings, and no path outside the root.
 *
 * Configure it like CPython: subclass and set fields, or use {@link SimpleHTTPRequestHandler.withOptions}
 * (the counterpart of `functools.partial(SimpleHTTPRequestHandler, directory=...)`).
 *
 * @example
 * import { HTTPServer } from '@simplehttp/server'
 * const Handler = SimpleHTTPRequestHandler.withOptions({ directory: 'public' })
 * const server = new HTTPServer({ host: '127.0.0.1', port: 8000 }, Handler)
 * await server.listen()
 */
export class SimpleHTTPRequestHandler extends BaseHTTPRequestHandler {
  /** CPython's `server_version`. */
  override serverVersion = 'SimpleHTTP/0.6'
  /** The root served (CPython's `directory`). Default: `process.cwd()` when the handler is created. */
  directory: string = process.cwd()
  /** Files tried, in order, for a directory (CPython's `index_pages`). */
  indexPages: readonly string[] = INDEX_PAGES
  /** Extension → type overrides consulted first by `guessType` (CPython's `extensions_map`). */
  extensionsMap: Readonly<Record<string, string>> = EXTENSIONS_MAP
  /** Follow symlinks that leave the root. Default `false` (see `StaticOptions.followSymlinks`). */
  followSymlinks = false
  /** Serve and list dotfiles. Default `false` (see `StaticOptions.dotfiles`). */
  dotfiles = false
  /** Send `file.br` / `file.gz` when accepted. Default `false` (see `StaticOptions.precompressed`). */
  precompressed = false
  /** Compress compressible responses on the fly. Default `false` (see `StaticOptions.compress`). */
  compress: boolean | CompressOptions = false
  /** Live reload: the watcher whose script is put into pages and whose events are served. Default none. */
  liveReload: LiveReload | undefined = undefined
  /** Single-page-app fallback page for browser navigations to missing paths. Default off (see `StaticOptions.single`). */
  single: boolean | string = false
  /** Browser caching of files in seconds; listings and error pages get `no-cache`. Default none (see `StaticOptions.cacheSeconds`). */
  cacheSeconds: number | undefined = undefined
  /** Headers added after CPython's on successful responses. Default `[]`. */
  extraHeaders: readonly HeaderPair[] = []
  /** Directory listing mode. Default `'python'` (see `StaticOptions.listing`). */
  listing: ListingMode = 'python'
  /** Folder downloads (`?download=zip|tar.gz`). Default `false` (see `StaticOptions.archive`). */
  archive: boolean | ArchiveOptions = false
  /** The rich listing shows an upload form. Default `false` (see `StaticOptions.uploadForm`). */
  uploadForm = false

  #core: StaticCore | undefined
  #hooks: StaticHooks | undefined

  /**
   * A subclass with these settings baked in: the counterpart of CPython's
   * `functools.partial(SimpleHTTPRequestHandler, directory=...)`. Options are checked now
   * (throws `SH_ERR_STATIC_INVALID_OPTION`); a relative `directory` is resolved now.
   *
   * @example
   * const Handler = SimpleHTTPRequestHandler.withOptions({ directory: '/srv/www', precompressed: true })
   */
  static withOptions<T extends typeof SimpleHTTPRequestHandler>(this: T, options: HandlerOptions): T {
    const resolved = resolveOptions(options)
    const directory = resolveDirectory(options.directory)
    const Base = this as typeof SimpleHTTPRequestHandler
    // Set in the constructor, after the base class's field initializers: options not given keep
    // whatever the class being configured says.
    class Configured extends Base {
      constructor(...args: ConstructorParameters<typeof BaseHTTPRequestHandler>) {
        super(...args)
        if (directory !== undefined) this.directory = directory
        if (options.followSymlinks !== undefined) this.followSymlinks = resolved.followSymlinks
        if (options.dotfiles !== undefined) this.dotfiles = resolved.dotfiles
        if (options.precompressed !== undefined) this.precompressed = resolved.precompressed
        if (options.compress !== undefined) this.compress = options.compress
        if (options.liveReload !== undefined) this.liveReload = resolved.liveReload
        if (options.single !== undefined) this.single = options.single
        if (options.cacheSeconds !== undefined) {
          this.cacheSeconds = resolved.cacheSeconds
          this.errorHeaders = [...this.errorHeaders, ['Cache-Control', 'no-cache']]
        }
        if (options.extraHeaders !== undefined) this.extraHeaders = resolved.extraHeaders
        if (options.indexPages !== undefined) this.indexPages = resolved.indexPages
        if (options.listing !== undefined) this.listing = resolved.listing
        if (options.archive !== undefined) this.archive = options.archive
        if (options.uploadForm !== undefined) this.uploadForm = resolved.uploadForm
      }
    }
    Object.defineProperty(Configured, 'name', { value: Base.name })
    return Configured as unknown as T
  }

  // ---- CPython's request methods ----------------------------------------------------------

  /**
   * Serve a GET request (CPython's `do_GET`). When the answer is written at once (a 304, an error
   * page, a body in memory the socket has room for) it returns `undefined` or `wfile.write`'s
   * settled promise, and the request loop goes on without an `await`; a pending promise only when
   * there is something to wait for (a file to open or stream, a full socket). Awaiting the result
   * works either way.
   */
  doGET(): Promise<void> | undefined {
    const live = this.liveReload
    if (live?.isReserved(this.path)) return this.#serveLiveReload(live)
    const body = this.#head()
    return body instanceof Promise ? body.then((b) => this.#writeBody(b)) : this.#writeBody(body)
  }

  /**
   * Serve a HEAD request: the same head as GET, no body (CPython's `do_HEAD`). Returns a promise
   * only when there is something to wait for, as {@link doGET}.
   */
  doHEAD(): Promise<void> | undefined {
    const live = this.liveReload
    if (live?.isReserved(this.path)) return this.#serveLiveReload(live)
    const body = this.#head()
    if (body instanceof Promise) return body.then((b) => b?.close())
    return body?.close()
  }

  /**
   * Send the status line and headers for the current request and return the body to write, or
   * `undefined` when there is none (errors, redirects, 304, HEAD). The caller closes the body.
   * CPython's `send_head`.
   */
  async sendHead(): Promise<ResponseBody | undefined> {
    return this.#sendHeadNow()
  }

  /**
   * Send the listing of the directory at `path` (a file-system path) and return its body, or
   * send `404 No permission to list directory` and return `undefined` (CPython's `list_directory`).
   * The title is the request path.
   */
  async listDirectory(path: string): Promise<ResponseBody | undefined> {
    return this.#send(await this.#staticCore().listDirectory(path, this.path, this.headers))
  }

  /**
   * Map a request path to a file-system path under `directory` with CPython's algorithm: query
   * and fragment dropped, percent-decoded, `.`/`..` resolved, components that are not plain
   * names skipped (CPython's `translate_path`). Requests are checked more strictly before this
   * is called: climbing `..`, backslashes, drive letters and bad escapes are refused.
   */
  translatePath(path: string): string {
    return translatePath(this.directory, path)
  }

  /** The `Content-type` for a file: `extensionsMap`, then the MIME database (CPython's `guess_type`). */
  guessType(path: string): string {
    return guessType(path, this.extensionsMap)
  }

  /** Write `source` to `outputFile` with back-pressure (CPython's `copyfile`). */
  copyFile(source: ResponseBody, outputFile: BodyWriter): Promise<void> {
    return source.writeTo(outputFile)
  }

  // ---- the adapter --------------------------------------------------------------------------

  /** The live-reload script, or its event stream: held open until the page goes away. */
  async #serveLiveReload(live: LiveReload): Promise<void> {
    const urlPath = this.path.split('?', 1)[0]
    if (urlPath === live.scriptPath) {
      const script = Buffer.from(live.clientScript)
      this.sendResponse(200)
      this.sendHeader('Content-type', 'text/javascript; charset=utf-8')
      this.sendHeader('Content-Length', String(script.length))
      this.sendHeader('Cache-Control', 'no-cache')
      this.endHeaders()
      if (this.command === 'GET') await this.wfile.write(script)
      return
    }
    if (urlPath !== live.eventsPath) {
      this.sendError(404, 'File not found')
      return
    }
    // Close-delimited: the stream has no length, and ends the connection when it ends.
    this.closeConnection = true
    this.sendResponse(200)
    this.sendHeader('Content-type', 'text/event-stream')
    this.sendHeader('Cache-Control', 'no-cache')
    this.sendHeader('Connection', 'close')
    this.endHeaders()
    if (this.command !== 'GET') return
    const socket = this.connection
    const wfile = this.wfile
    const client = {
      // A page that stops reading (its socket buffer full) is dropped rather than buffered for.
      write: (text: string): boolean => {
        if (socket.destroyed || socket.writableLength > 64 * 1024) return false
        void wfile.write(Buffer.from(text)).catch(() => undefined)
        return true
      },
    }
    await wfile.write(Buffer.from(live.addClient(client)))
    await new Promise<void>((resolve) => {
      // With allowHalfOpen a closed tab shows as 'end'; a reset as 'close'.
      socket.once('end', resolve)
      socket.once('close', resolve)
    })
    live.removeClient(client)
  }

  #writeBody(body: ResponseBody | undefined): Promise<void> | undefined {
    if (body === undefined) return undefined
    const whole = body.buffer
    if (whole !== undefined && this.copyFile === SimpleHTTPRequestHandler.prototype.copyFile) {
      // Bytes in memory (what copyFile would do, minus its promises): nothing to close, and
      // nothing that can change while it is sent. Small bodies leave with the head in one write.
      return whole.length > 0 ? this.wfile.write(whole) : undefined
    }
    return this.#copyAndClose(body)
  }

  async #copyAndClose(body: ResponseBody): Promise<void> {
    try {
      await this.#copyFile(body)
    } catch (error) {
      if (!isSimpleHTTPError(error) || error.code !== 'SH_ERR_STATIC_FILE_CHANGED') throw error
      // The length is promised: the only honest end of a body that cannot be completed is a cut.
      this.logError('%s', (error as Error).message)
      this.closeConnection = true
      this.connection.destroy()
    } finally {
      await body.close()
    }
  }

  /**
   * `copyFile(body, wfile)`. When neither is replaced, the socket behind `wfile` can tell when
   * it has taken every byte given so far, and the body may then read its next chunk into the
   * memory of the last one instead of allocating.
   */
  #copyFile(body: ResponseBody): Promise<void> {
    const wfile = this.wfile
    const replaced =
      this.copyFile !== SimpleHTTPRequestHandler.prototype.copyFile || Object.getPrototypeOf(wfile) !== ResponseWriter.prototype
    if (replaced) return this.copyFile(body, wfile)
    const socket = this.connection
    return writeReusingChunks(body, wfile, () => socket.writableLength === 0)
  }

  /**
   * `sendHead()`, but without a promise when it is not overridden and the answer needs no I/O
   * (a 304, an error, a body in memory): most requests then reach the socket with no `await`.
   */
  #head(): ResponseBody | undefined | Promise<ResponseBody | undefined> {
    if (this.sendHead !== SimpleHTTPRequestHandler.prototype.sendHead) return this.sendHead()
    return this.#sendHeadNow()
  }

  #sendHeadNow(): ResponseBody | undefined | Promise<ResponseBody | undefined> {
    const plan = this.#staticCore().plan(
      { method: this.command === 'HEAD' ? 'HEAD' : 'GET', target: this.path, headers: this.headers },
      this.#staticHooks(),
    )
    if (plan instanceof Promise) return plan.then((p) => this.#answer(p))
    return this.#answer(plan)
  }

  #answer(plan: StaticPlan): ResponseBody | undefined | Promise<ResponseBody | undefined> {
    if (plan.kind === 'listing') return this.listDirectory(plan.path)
    return this.#send(plan)
  }

  #send(plan: StaticPlan): ResponseBody | undefined {
    if (plan.kind === 'listing') throw new Error('a listing plan is answered by listDirectory()')
    if (plan.kind === 'refuse') {
      this.sendError(plan.status, plan.message, plan.explain)
      return undefined
    }
    this.sendResponse(plan.status)
    for (const [name, value] of plan.headers) this.sendHeader(name, value)
    this.endHeaders()
    return plan.body
  }

  #staticCore(): StaticCore {
    if (this.#core !== undefined) return this.#core
    const directory = this.directory
    const settings = {
      followSymlinks: this.followSymlinks,
      dotfiles: this.dotfiles,
      precompressed: this.precompressed,
      compress: this.compress,
      liveReload: this.liveReload,
      single: this.single,
      cacheSeconds: this.cacheSeconds,
      extraHeaders: this.extraHeaders,
      indexPages: this.indexPages,
      listing: this.listing,
      archive: this.archive,
      uploadForm: this.uploadForm,
    }
    const key = JSON.stringify([directory, { ...settings, liveReload: instanceId(this.liveReload) }])
    this.#core = sharedCore(key, () => new StaticCore(directory, resolveOptions(settings)))
    return this.#core
  }

  /** Overridden `translatePath`/`guessType` are honoured; the defaults take the core's fast path. */
  #staticHooks(): StaticHooks {
    if (this.#hooks !== undefined) return this.#hooks
    const proto = SimpleHTTPRequestHandler.prototype
    const customTranslate = this.translatePath !== proto.translatePath
    const customType = this.guessType !== proto.guessType || this.extensionsMap !== EXTENSIONS_MAP
    this.#hooks = {
      translatePath: customTranslate ? (target) => this.translatePath(target) : undefined,
      guessType: customType ? (p) => this.guessType(p) : undefined,
    }
    return this.#hooks
  }
}

const instanceIds = new WeakMap<object, number>()
let lastInstanceId = 0

/** A stable number per object, for cache keys built with JSON. */
function instanceId(value: object | undefined): number | undefined {
  if (value === undefined) return undefined
  let id = instanceIds.get(value)
  if (id === undefined) {
    id = ++lastInstanceId
    instanceIds.set(value, id)
  }
  return id
}
