/**
 * Live reload: watch the served folder and tell open pages to reload (or, for a stylesheet, to
 * swap it in place) over Server-Sent Events. Two reserved paths under one prefix carry it: the
 * event stream and a small external client script (never inline, so a page whose
 * Content-Security-Policy allows `'self'` scripts keeps working). The script tag is inserted into
 * HTML pages by the core, as one more derived representation of the file (its own ETag and
 * length). The prefix is `/.simplehttp/`, or `/.simplehttp-2/`… when the root holds a name it
 * would shadow, chosen when watching starts.
 * @module
 */
import { existsSync, lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs'
import path from 'node:path'

/** Options for {@link LiveReload}. */
export interface LiveReloadOptions {
  /** Watch (and report) names starting with a dot. Default `false`, as the server hides them. */
  readonly dotfiles?: boolean
  /** ms to wait after a change for more of them, so a burst of saves is one reload. Default `75`. */
  readonly debounceMs?: number
  /** Most directories watched (one inotify watch each); deeper trees are watched partly. Default `8192`. */
  readonly maxDirectories?: number
  /** ms between keep-alive comments on each event stream. Default `15000`. */
  readonly heartbeatMs?: number
}

/** One open page's event stream, written by whatever server holds the connection. */
export interface LiveReloadClient {
  /** Write text to the stream; returns false if it should be dropped (closed, or backed up). */
  write(text: string): boolean
}

/** What changed, as URL paths under the root. */
export interface ChangeEvent {
  readonly kind: 'reload' | 'css'
  readonly paths: readonly string[]
}

const CLIENT_SCRIPT = `// simplehttp live reload: reloads the page when a served file changes, swaps stylesheets in place.
(function () {
  var script = document.currentScript
  var base = script ? script.src.replace(/client\\.js(\\?.*)?$/, '') : '/.simplehttp/'
  if (!window.EventSource) return
  var source = new EventSource(base + 'events')
  source.addEventListener('reload', function () { location.reload() })
  source.addEventListener('css', function (event) {
    var changed = JSON.parse(event.data)
    var links = document.querySelectorAll('link[rel~="stylesheet"]')
    var swapped = false
    for (var i = 0; i < links.length; i++) {
      var link = links[i]
      var url = new URL(link.href, location.href)
      if (url.origin !== location.origin) continue
      var match = false
      for (var j = 0; j < changed.length; j++) if (decodeURIComponent(url.pathname) === changed[j]) match = true
      if (!match) continue
      url.searchParams.set('simplehttp-reload', String(Date.now()))
      var fresh = link.cloneNode()
      fresh.href = url.href
      fresh.addEventListener('load', function () { this.previous && this.previous.remove() })
      fresh.previous = link
      link.after(fresh)
      swapped = true
    }
    if (!swapped) location.reload()
  })
})()
`

/**
 * Watches a root and fans changes out to open pages. One per served root; share it between
 * handler instances (the handler class and `serveStatic()` do).
 *
 * @example
 * const live = new LiveReload('public')
 * live.start()
 * http.createServer(serveStatic('public', { liveReload: live })).listen(8000)
 */
export class LiveReload {
  /** The root watched, absolute. */
  readonly root: string
  readonly #dotfiles: boolean
  readonly #debounceMs: number
  readonly #maxDirectories: number
  readonly #heartbeatMs: number
  readonly #watchers = new Map<string, FSWatcher>()
  readonly #clients = new Set<LiveReloadClient>()
  readonly #pending = new Set<string>()
  readonly #listeners = new Set<(event: ChangeEvent) => void>()
  #timer: NodeJS.Timeout | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #prefix = '/.simplehttp/'
  #started = false

  constructor(root: string, options: LiveReloadOptions = {}) {
    this.root = path.resolve(root)
    this.#dotfiles = options.dotfiles ?? false
    this.#debounceMs = options.debounceMs ?? 75
    this.#maxDirectories = options.maxDirectories ?? 8192
    this.#heartbeatMs = options.heartbeatMs ?? 15_000
  }

  /**
   * The reserved path prefix, `/.simplehttp/` unless the root has an entry of that name (then
   * `/.simplehttp-2/`, …): a real file is never shadowed.
   */
  get prefix(): string {
    return this.#prefix
  }

  /** The event stream's path. */
  get eventsPath(): string {
    return `${this.#prefix}events`
  }

  /** The client script's path. */
  get scriptPath(): string {
    return `${this.#prefix}client.js`
  }

  /** The tag inserted into pages. */
  get scriptTag(): string {
    return `<script src="${this.scriptPath}"></script>`
  }

  /** The client script's source. */
  get clientScript(): string {
    return CLIENT_SCRIPT
  }

  /** Open event streams. */
  get clientCount(): number {
    return this.#clients.size
  }

  /** Directories watched. */
  get watchedDirectories(): number {
    return this.#watchers.size
  }

  /** Start watching (idempotent). */
  start(): this {
    if (this.#started) return this
    this.#started = true
    for (let n = 1; ; n++) {
      const name = n === 1 ? '.simplehttp' : `.simplehttp-${String(n)}`
      if (!existsSync(path.join(this.root, name))) {
        this.#prefix = `/${name}/`
        break
      }
    }
    this.#watchTree(this.root)
    this.#heartbeat = setInterval(() => {
      this.#broadcast(': keep-alive\n\n')
    }, this.#heartbeatMs)
    this.#heartbeat.unref()
    return this
  }

  /** Stop watching and forget every client (their connections are the server's to close). */
  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close()
    this.#watchers.clear()
    clearTimeout(this.#timer)
    clearInterval(this.#heartbeat)
    this.#clients.clear()
    this.#started = false
  }

  /** Whether a decoded URL path is one of ours. */
  isReserved(urlPath: string): boolean {
    return this.#started && urlPath.startsWith(this.#prefix)
  }

  /**
   * Add an open page's stream; returns the bytes to send first (the retry hint). Call
   * `removeClient` when its connection closes.
   */
  addClient(client: LiveReloadClient): string {
    this.#clients.add(client)
    return 'retry: 1000\n\n'
  }

  removeClient(client: LiveReloadClient): void {
    this.#clients.delete(client)
  }

  /** Be told of each change as the clients are (for tests and the CLI's log). */
  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Report changed files by path under the root (the watcher calls this; so may a build tool). */
  notify(fsPaths: readonly string[]): void {
    for (const file of fsPaths) this.#pending.add(file)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#flush()
    }, this.#debounceMs)
  }

  #flush(): void {
    const urls: string[] = []
    for (const file of this.#pending) {
      const rel = path.relative(this.root, file)
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue
      urls.push('/' + rel.split(path.sep).join('/'))
    }
    this.#pending.clear()
    if (urls.length === 0) return
    const kind = urls.every((url) => url.endsWith('.css')) ? 'css' : 'reload'
    const event: ChangeEvent = { kind, paths: urls }
    this.#broadcast(`event: ${kind}\ndata: ${JSON.stringify(urls)}\n\n`)
    for (const listener of this.#listeners) listener(event)
  }

  #broadcast(text: string): void {
    for (const client of this.#clients) {
      if (!client.write(text)) this.#clients.delete(client)
    }
  }

  /**
   * Watch `dir` and its subdirectories, never through a symlink, skipping hidden names; add what
   * they hold to `found` when given.
   */
  #watchTree(dir: string, found?: string[]): void {
    const queue = [dir]
    while (queue.length > 0 && this.#watchers.size < this.#maxDirectories) {
      const current = queue.shift() as string
      if (this.#watchers.has(current)) continue
      let watcher: FSWatcher
      try {
        watcher = watch(current, { persistent: false }, (_event, name) => {
          this.#changed(current, name)
        })
      } catch {
        continue // gone, or not readable: nothing to watch
      }
      watcher.on('error', () => {
        watcher.close()
        this.#watchers.delete(current)
      })
      this.#watchers.set(current, watcher)
      let names: string[]
      try {
        names = readdirSync(current)
      } catch {
        continue
      }
      for (const name of names) {
        if (this.#hidden(name)) continue
        const child = path.join(current, name)
        found?.push(child)
        if (isRealDirectory(child)) queue.push(child)
      }
    }
  }

  #changed(dir: string, name: string | Buffer | null): void {
    if (name == null) {
      this.notify([dir])
      return
    }
    const text = name.toString()
    if (text.split(path.sep).some((part) => this.#hidden(part))) return
    const file = path.join(dir, text)
    // A new directory is watched from now on (lstat: a symlink to a directory is not followed).
    // What was written into it before its watch began (`mkdir -p a/b && cp x a/b/`, as build
    // tools do) is reported too, or that change would be lost.
    const found = [file]
    if (isRealDirectory(file)) this.#watchTree(file, found)
    this.notify(found)
  }

  #hidden(name: string): boolean {
    return !this.#dotfiles && name.startsWith('.')
  }
}

function isRealDirectory(file: string): boolean {
  try {
    return lstatSync(file).isDirectory()
  } catch {
    return false
  }
}

/** The part of `node:http`'s (or `node:http2`'s compatibility) request that {@link serveLiveReload} reads. */
interface PlainRequest {
  readonly url?: string | undefined
  readonly method?: string | undefined
  on(event: 'close', listener: () => void): unknown
}

/** The part of a `node:http`/`node:http2` response that {@link serveLiveReload} writes. */
interface PlainResponse {
  statusCode: number
  readonly destroyed: boolean
  readonly writableLength: number
  setHeader(name: string, value: string): unknown
  write(chunk: string): boolean
  end(chunk?: string): unknown
}

/**
 * Answer a request for one of `live`'s reserved paths on a `node:http` or `node:http2`
 * response (the handler class has its own); returns false when the path is not one of them.
 */
export function serveLiveReload(live: LiveReload, req: PlainRequest, res: PlainResponse): boolean {
  const url = req.url ?? '/'
  // Every request passes here: a URL outside the reserved prefix (whose path is a prefix of the
  // URL) goes on without splitting off its query.
  if (!live.isReserved(url)) return false
  const urlPath = url.split('?', 1)[0] ?? '/'
  if (!live.isReserved(urlPath)) return false
  const head = req.method === 'HEAD'
  if (urlPath === live.scriptPath) {
    const script = live.clientScript
    res.statusCode = 200
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8')
    res.setHeader('Content-Length', String(Buffer.byteLength(script)))
    res.setHeader('Cache-Control', 'no-cache')
    res.end(head ? undefined : script)
    return true
  }
  if (urlPath !== live.eventsPath) {
    res.statusCode = 404
    res.end()
    return true
  }
  res.statusCode = 200
  res.setHeader('Content-Type', 'text/event-stream')
  res.setHeader('Cache-Control', 'no-cache')
  if (head) {
    res.end()
    return true
  }
  const client: LiveReloadClient = {
    write: (text) => {
      if (res.destroyed || res.writableLength > 64 * 1024) return false
      res.write(text)
      return true
    },
  }
  res.write(live.addClient(client))
  req.on('close', () => {
    live.removeClient(client)
  })
  return true
}
