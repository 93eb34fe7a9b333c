/**
 * The core: request in, response plan out. Path checks, lookup and containment, index pages,
 * precompressed siblings, conditional and range requests, listings, caching. It knows nothing
 * about sockets or `node:http`; the two adapters (`SimpleHTTPRequestHandler`, `serveStatic`)
 * only turn a plan into bytes on their kind of connection.
 * @module
 */
import { statSync, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import type { HeaderPair, ResolvedOptions } from '../options.js'
import { ResponseBody, kFromPieces } from '../response-body.js'
import {
  chooseEncoding,
  evaluatePreconditions,
  matchesETag,
  ifRangeMatches,
  type Encoding,
  type RequestHeaders,
  type Validators,
} from './conditional.js'
import {
  chain,
  compression,
  compressStream,
  derivedCache,
  derivedETag,
  isCompressible,
  readIfUnchanged,
  type Derivation,
} from './derived.js'
import { fileChunks, zlibSource } from './file-stream.js'
import { StaticError } from '../errors.js'
import { injectScript } from './html-inject.js'
import { cacheTuning, fileCache, type FileEntry } from './file-cache.js'
import { listItems, renderListing } from './listing.js'
import { Browser, listingETag, validatedListing, wantsArchive } from './browse.js'
import { OpenFile, openFiles } from './open-files.js'
import { guessType } from '../mime.js'
import { parseRange, type ByteRange, type RangeDecision } from './range.js'
import { fsArg, fsEncode, hasLoneSurrogate, isAscii, isInside, realPathSync, resolveUrlPath, Resolver, splitTarget, type ResolveRefusal } from '../resolver.js'
import { redirectLocation, translatePath, unquote } from './url-path.js'

/** One GET or HEAD, as the core needs it. */
export interface StaticRequest {
  readonly method: 'GET' | 'HEAD'
  /** The request-target that locates the file (`/a/b.txt?x`). */
  readonly target: string
  /**
   * The target as the client sent it, when a framework rewrote `target` (Express's
   * `originalUrl` under a mount path): the redirect and the listing title use it. Default `target`.
   */
  readonly publicTarget?: string
  readonly headers: RequestHeaders
}

/** Subclass overrides the core calls instead of its own defaults (CPython's extension points). */
export interface StaticHooks {
  /** `translatePath(target)`: request-target → file-system path. */
  readonly translatePath?: ((target: string) => string) | undefined
  /** `guessType(path)`: file-system path → `Content-type`. */
  readonly guessType?: ((path: string) => string) | undefined
  /** Told the file chosen (after index pages and fallback extensions), before its answer is planned. */
  readonly onFile?: ((path: string) => void) | undefined
}

/** Why a request was refused. */
export type RefusalReason =
  | ResolveRefusal
  | 'not-a-file'
  | 'trailing-slash'
  | 'precondition-failed'
  | 'cannot-list'
  | 'archive-too-large'
  | 'archives-busy'

/** What to answer. */
export type StaticPlan =
  /** Send this status and these headers (after `Server` and `Date`), then the body if any. */
  | {
      readonly kind: 'send'
      readonly status: 200 | 206 | 301 | 304 | 416
      readonly headers: readonly HeaderPair[]
      readonly body: ResponseBody | undefined
    }
  /** Answer with an error page (CPython's `send_error(status, message, explain)`). */
  | {
      readonly kind: 'refuse'
      readonly status: 400 | 403 | 404 | 412 | 503
      readonly message: string | undefined
      readonly explain: string | undefined
      readonly reason: RefusalReason
    }
  /** A directory without an index page: the adapter calls its `listDirectory(path)`. */
  | { readonly kind: 'listing'; readonly path: string }

/** The path check, plus the file-system path it leads to. */
type CheckedPath =
  | { readonly ok: true; readonly fsPath: string; readonly trailingSlash: boolean }
  | { readonly ok: false; readonly status: 400 | 404; readonly reason: ResolveRefusal }

type Lookup = { readonly found: true; readonly entry: FileEntry } | { readonly found: false; readonly reason: RefusalReason }

/** The representation chosen for a file: itself or a precompressed sibling. */
interface Variant {
  readonly fsPath: string
  readonly entry: FileEntry
  readonly encoding: Encoding | undefined
}

/** What the validators, length and coding of a response describe: a file, a sibling, or derived bytes. */
interface Representation {
  readonly etag: string
  readonly size: number
  readonly encoding: Encoding | undefined
}

/** A file or precompressed sibling as a representation (the sibling's ETag names its coding). */
function fileRepresentation(variant: Variant): Representation {
  const { entry, encoding } = variant
  return { etag: encoding === undefined ? entry.etag : derivedETag(entry.etag, encoding), size: entry.size, encoding }
}

/** The framing of a multi-range response. */
interface Multipart {
  readonly boundary: string
  /** Each part's delimiter and head, in range order. */
  readonly heads: readonly Buffer[]
  /** The closing delimiter. */
  readonly tail: Buffer
  /** Bytes of the whole multipart body. */
  readonly length: number
}

/** A 200/206 whose body still has to be produced. */
interface BodyPlan {
  readonly status: 200 | 206
  readonly headers: readonly HeaderPair[]
  readonly ranges: readonly ByteRange[] | undefined
  readonly multipart: Multipart | undefined
}

interface CachedListing {
  readonly dev: number
  readonly ino: number
  readonly mtimeMs: number
  readonly ctimeMs: number
  readonly lines: string
}

const STAT_OPTIONS = { throwIfNoEntry: false } as const

/**
 * `stat` results of this turn of the event loop, by path (`null`: no such file). Requests that
 * arrive together (50 connections' worth of a busy moment, pipelined ones) share one `stat` per
 * file; the map is emptied before the loop turns again (setImmediate), so a result is never
 * older than the batch of requests it answers, and every batch still checks the file.
 */
const statsThisTurn = new Map<string, Stats | null>()
let clearScheduled = false
const clearStatsThisTurn = (): void => {
  statsThisTurn.clear()
  clearScheduled = false
}

function statThisTurn(fsPath: string): Stats | undefined {
  const known = statsThisTurn.get(fsPath)
  if (known !== undefined) return known ?? undefined
  const stats = statSync(fsArg(fsPath), STAT_OPTIONS)
  if (statsThisTurn.size < 1024) statsThisTurn.set(fsPath, stats ?? null)
  if (!clearScheduled) {
    clearScheduled = true
    setImmediate(clearStatsThisTurn)
  }
  return stats
}

const RETRY: unique symbol = Symbol('retry')
const MAX_ATTEMPTS = 3
const PATH_CACHE_LIMIT = 4096
/** Longer paths are checked every time: a client must not fill memory with 64 KiB keys. */
const PATH_CACHE_MAX_KEY = 1024
const LISTING_CACHE_LIMIT = 256

/** Pages larger than this are served without the live-reload script (they are read whole to insert it). */
const LIVE_RELOAD_MAX_PAGE = 8 * 1024 * 1024

/** The live-reload script tag inserted into a page (or the page as it is, if it opted out). */
function liveReloadInjection(scriptTag: string): Derivation {
  return {
    tag: 'lr',
    encoding: undefined,
    make: (content) => Promise.resolve(injectScript(content, scriptTag) ?? content),
  }
}

const NOT_FOUND = 'File not found'
const NO_LISTING = 'No permission to list directory'

function refuse(status: 400 | 404 | 412, reason: RefusalReason): StaticPlan {
  if (status === 400) {
    return {
      kind: 'refuse',
      status,
      message: undefined,
      explain: 'The request target has a malformed percent-escape, a raw non-ASCII byte, or a NUL byte',
      reason,
    }
  }
  return { kind: 'refuse', status, message: status === 404 ? NOT_FOUND : undefined, explain: undefined, reason }
}

/**
 * Whether `Accept` names HTML with a non-zero q-value: what a browser sends when it navigates.
 * `*\/*` alone does not count (scripts, images and `fetch()` send it).
 */
export function acceptsHTML(accept: string | undefined): boolean {
  if (accept === undefined) return false
  for (const item of accept.split(',')) {
    const [range = '', ...params] = item.split(';')
    const type = range.trim().toLowerCase()
    if (type !== 'text/html' && type !== 'application/xhtml+xml') continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) return true
  }
  return false
}

/** A path ends with `/`, `%2f` or `%2F` (CPython's test for "already a directory URL"). */
function endsWithSlash(urlPath: string): boolean {
  if (urlPath.endsWith('/')) return true
  const tail = urlPath.slice(-3)
  return tail === '%2f' || tail === '%2F'
}

/** One root and its options. Cheap to create; the file cache behind it is process-wide. */
export class StaticCore {
  /** The root, absolute. */
  readonly root: string
  readonly options: ResolvedOptions
  /** The path rules and the root's real path (containment verdicts are cached per file entry here). */
  readonly resolver: Resolver
  readonly #paths = new Map<string, CheckedPath>()
  readonly #listings = new Map<string, CachedListing>()
  /** The rich and JSON listings and the archives (`browse.ts`). */
  readonly #browser: Browser

  /** `Cache-Control` for files, from `cacheSeconds`. */
  readonly #cacheControl: string | undefined
  /** The live-reload derivation, made once: its tag and script never change for this core. */
  #liveInjection: Derivation | undefined

  constructor(root: string, options: ResolvedOptions) {
    const seconds = options.cacheSeconds
    this.#cacheControl = seconds === undefined ? undefined : seconds === 0 ? 'no-cache' : `max-age=${String(seconds)}`
    this.root = path.resolve(root)
    this.options = options
    this.resolver = new Resolver(this.root, {
      dotfiles: options.dotfiles,
      followSymlinks: options.followSymlinks,
      aboveRoot: options.aboveRoot,
    })
    this.#browser = new Browser(this.root, options, {
      dotfiles: options.dotfiles,
      followSymlinks: options.followSymlinks,
      isInside: (real) => this.resolver.contains(real),
    })
  }

  /** CPython's `translate_path` against this root. */
  translatePath(target: string): string {
    return translatePath(this.root, target)
  }

  /**
   * Plan the answer to a GET or HEAD. Rejects only on unexpected I/O errors.
   *
   * Returns the plan itself, not a promise, whenever no file has to be opened or read: errors,
   * redirects, 304/412/416, HEAD, and bodies already in memory. Those are most requests, and each
   * promise and `await` between here and the socket costs a trip through the microtask queue.
   */
  plan(request: StaticRequest, hooks?: StaticHooks): StaticPlan | Promise<StaticPlan> {
    const plan = this.#planOnce(request, hooks, false)
    if (plan === RETRY || plan instanceof Promise) return this.#planAgain(request, hooks, plan)
    return plan
  }

  /** The rest of {@link plan} once I/O is involved: wait for it, and start over (a bounded number of times) on RETRY. */
  async #planAgain(
    request: StaticRequest,
    hooks: StaticHooks | undefined,
    first: typeof RETRY | Promise<StaticPlan | typeof RETRY>,
  ): Promise<StaticPlan> {
    let plan = await first
    for (let attempt = 2; plan === RETRY; attempt++) {
      plan = await this.#planOnce(request, hooks, attempt === MAX_ATTEMPTS)
    }
    return plan
  }

  #planOnce(
    request: StaticRequest,
    hooks: StaticHooks | undefined,
    last: boolean,
  ): StaticPlan | typeof RETRY | Promise<StaticPlan | typeof RETRY> {
    const parts = splitTarget(request.target)
    // A raw byte above 0x7f in the query: the target is as invalid as with one in the path.
    if (parts.query !== undefined && !isAscii(parts.query)) return refuse(400, 'raw-non-ascii')
    const checked = this.#check(parts.path)
    if (!checked.ok) return refuse(checked.status, checked.reason)
    let fsPath = checked.fsPath
    let trailingSlash = checked.trailingSlash
    const translate = hooks?.translatePath
    if (translate !== undefined) {
      fsPath = translate(request.target)
      if (fsPath.endsWith('/') || fsPath.endsWith(path.sep)) trailingSlash = true
    }
    let found = this.#lookup(fsPath)
    let filePath = fsPath
    if (!found.found && found.reason === 'missing' && !trailingSlash && this.options.extensions.length > 0) {
      // serve-static's `extensions`: `/about` finds `about.html` when the name has no extension.
      const fallback = this.#withExtension(fsPath)
      if (fallback !== undefined) {
        found = fallback.lookup
        filePath = fallback.path
      }
    }
    if (!found.found && found.reason === 'missing' && this.options.single !== undefined && acceptsHTML(request.headers.get('accept'))) {
      // A single-page app's route: the app's page answers, for browsers navigating only (a
      // missing script or a fetch for JSON keeps its 404).
      fsPath = path.join(this.root, this.options.single)
      filePath = fsPath
      trailingSlash = false
      found = this.#lookup(fsPath)
      if (found.found && found.entry.kind !== 'file') found = { found: false, reason: 'not-a-file' }
    }
    if (!found.found) return refuse(404, found.reason)
    let entry = found.entry
    if (entry.kind === 'directory') {
      const visible = request.publicTarget === undefined ? parts : splitTarget(request.publicTarget)
      if (!endsWithSlash(visible.path)) {
        // CPython: redirect the browser to the directory URL, as Apache does.
        return {
          kind: 'send',
          status: 301,
          headers: [['Location', redirectLocation(visible)], ['Content-Length', '0'], ...this.options.extraHeaders],
          body: undefined,
        }
      }
      // A folder download is asked of the folder, index page or not.
      if (wantsArchive(this.options, parts.query)) return { kind: 'listing', path: fsPath }
      let index: FileEntry | undefined
      for (const name of this.options.indexPages) {
        const candidate = path.join(fsPath, name)
        const result = this.#lookup(candidate)
        if (result.found && result.entry.kind === 'file') {
          index = result.entry
          filePath = candidate
          break
        }
      }
      if (index === undefined) {
        return this.options.listing === 'off' ? refuse(404, 'cannot-list') : { kind: 'listing', path: fsPath }
      }
      entry = index
    } else if (trailingSlash && (request.publicTarget === undefined || endsWithSlash(splitTarget(request.publicTarget).path))) {
      // CPython (bpo-17324): `/file.txt/` is not the file. Under a mount path the client's URL
      // decides: `app.use('/robots.txt', serveStatic('robots.txt'))` sees `/` for `/robots.txt`.
      return refuse(404, 'trailing-slash')
    }
    // FIFOs, sockets and devices: reading a FIFO would hang the response (CPython opens them).
    if (entry.kind !== 'file') return refuse(404, 'not-a-file')

    hooks?.onFile?.(filePath)
    // The default type depends on the path alone, and an entry belongs to one path: keep it there.
    const type = hooks?.guessType !== undefined ? hooks.guessType(filePath) : (entry.type ??= guessType(filePath))
    let variant: Variant = { fsPath: filePath, entry, encoding: undefined }
    let vary = false
    if (this.options.precompressed && !filePath.endsWith('.br') && !filePath.endsWith('.gz')) {
      const br = this.#sibling(filePath + '.br')
      const gzip = this.#sibling(filePath + '.gz')
      if (br !== undefined || gzip !== undefined) {
        // The answer depends on Accept-Encoding whichever file is sent: caches must know.
        vary = true
        const chosen = chooseEncoding(request.headers.get('accept-encoding'), br !== undefined, gzip !== undefined)
        if (chosen === 'br' && br !== undefined) variant = { fsPath: filePath + '.br', entry: br, encoding: 'br' }
        else if (chosen === 'gzip' && gzip !== undefined) variant = { fsPath: filePath + '.gz', entry: gzip, encoding: 'gzip' }
      }
    }
    if (variant.encoding !== undefined) return this.#respond(request, variant, type, vary, last)
    // Derived representations of the file itself: the page with the live-reload script, and/or
    // compressed. Both read the file whole, so both stop at the same size.
    let derivation: Derivation | undefined
    const live = this.options.liveReload
    if (
      live !== undefined &&
      request.method === 'GET' &&
      entry.size <= LIVE_RELOAD_MAX_PAGE &&
      request.headers.get('range') === undefined &&
      type.startsWith('text/html')
    ) {
      derivation = this.#liveInjection ??= liveReloadInjection(live.scriptTag)
    }
    const compress = this.options.compress
    if (compress !== undefined && entry.size >= compress.minSize && isCompressible(type)) {
      // Whichever coding is sent, the answer depended on Accept-Encoding.
      vary = true
      const chosen = chooseEncoding(request.headers.get('accept-encoding'), true, true)
      if (chosen !== undefined && entry.size > compress.maxSize) {
        // Too large to compress whole and keep: compressed while sent. A Range asks for bytes of
        // the file itself, which is what it then gets (the encoded stream has no ranges).
        if (request.headers.get('range') === undefined) return this.#respondCompressedStream(request, variant, type, chosen)
      } else if (chosen !== undefined) {
        derivation = derivation === undefined ? compression(chosen) : chain(derivation, compression(chosen))
      }
    }
    if (derivation !== undefined) return this.#respondDerived(request, variant, type, derivation, vary, last)
    return this.#respond(request, variant, type, vary, last)
  }

  /**
   * A representation made from the file's bytes (compressed, say): 304/412 from its ETag alone,
   * else its bytes from the derived cache, or read, made and kept. Ranges apply to those bytes.
   */
  #respondDerived(
    request: StaticRequest,
    variant: Variant,
    type: string,
    derivation: Derivation,
    vary: boolean,
    last: boolean,
  ): StaticPlan | Promise<StaticPlan | typeof RETRY> {
    const { entry, fsPath } = variant
    const kept = derivedCache.get(fsPath, entry, derivation.tag)
    if (kept !== undefined) return this.#sendDerived(request, entry, type, derivation, kept.derivedETag, kept.bytes, vary)
    const etag = derivedETag(entry.etag, derivation.tag)
    const outcome = evaluatePreconditions(request.headers, { etag, mtimeMs: entry.mtimeMs })
    if (outcome !== 'proceed') {
      // Nothing to make for a 304 or 412: the size is never read on those paths.
      const decided = this.#decide(request, entry, { etag, size: 0, encoding: derivation.encoding }, type, vary)
      if (!('ranges' in decided)) return decided
    }
    return this.#makeDerived(request, variant, type, derivation, etag, vary, last)
  }

  /**
   * A large file compressed while it is sent: no length, so the connection ends the body; a
   * weak ETag (RFC 9110 §8.8.1: the bytes are not kept, so no ranges or `If-Range` on them),
   * which still answers `If-None-Match` with 304.
   */
  #respondCompressedStream(request: StaticRequest, variant: Variant, type: string, encoding: Encoding): StaticPlan {
    const { entry, fsPath } = variant
    const etag = `W/${derivedETag(entry.etag, encoding)}`
    const outcome = evaluatePreconditions(request.headers, { etag, mtimeMs: entry.mtimeMs })
    if (outcome !== 'proceed') return this.#decide(request, entry, { etag, size: 0, encoding }, type, true) as StaticPlan
    const headers: HeaderPair[] = [
      ['Content-type', type],
      ['Last-Modified', entry.lastModified],
      ['ETag', etag],
      ['Vary', 'Accept-Encoding'],
      ['Content-Encoding', encoding],
    ]
    if (this.#cacheControl !== undefined) headers.push(['Cache-Control', this.#cacheControl])
    headers.push(['Connection', 'close'], ...this.options.extraHeaders)
    if (request.method === 'HEAD') return { kind: 'send', status: 200, headers, body: undefined }
    const changed = (why: string): StaticError =>
      new StaticError('SH_ERR_STATIC_FILE_CHANGED', `${fsPath} ${why} while it was being compressed`)
    const source = zlibSource((flushed) => fileChunks(fsPath, entry, changed, flushed), () => compressStream(encoding, entry.size))
    return { kind: 'send', status: 200, headers, body: ResponseBody.fromSource(source) }
  }

  async #makeDerived(
    request: StaticRequest,
    variant: Variant,
    type: string,
    derivation: Derivation,
    etag: string,
    vary: boolean,
    last: boolean,
  ): Promise<StaticPlan | typeof RETRY> {
    const { entry, fsPath } = variant
    const content = entry.body ?? (await readIfUnchanged(fsPath, entry))
    if (content === undefined) return last ? refuse(404, 'missing') : RETRY
    const bytes = await derivation.make(content)
    // As for the file cache: a file written within the racy window may change within its mtime.
    if (Date.now() - Math.max(entry.mtimeMs, entry.ctimeMs) >= cacheTuning.racyWindowMs) {
      derivedCache.set(fsPath, entry, derivation.tag, bytes)
    }
    return this.#sendDerived(request, entry, type, derivation, etag, bytes, vary)
  }

  #sendDerived(
    request: StaticRequest,
    entry: FileEntry,
    type: string,
    derivation: Derivation,
    etag: string,
    bytes: Buffer,
    vary: boolean,
  ): StaticPlan {
    const decided = this.#decide(request, entry, { etag, size: bytes.length, encoding: derivation.encoding }, type, vary)
    if (!('ranges' in decided)) return decided
    if (request.method === 'HEAD') return { kind: 'send', status: decided.status, headers: decided.headers, body: undefined }
    return { kind: 'send', status: decided.status, headers: decided.headers, body: memoryBody(bytes, decided) }
  }

  /**
   * Conditionals, ranges, headers, and the body. Synchronous when the body is in the cache, when
   * there is none, and when a large file is already open (the open-file cache); a promise only
   * when a file has to be opened or read first.
   */
  #respond(
    request: StaticRequest,
    variant: Variant,
    type: string,
    vary: boolean,
    last: boolean,
  ): StaticPlan | Promise<StaticPlan | typeof RETRY> {
    const decided = this.#decide(request, variant.entry, fileRepresentation(variant), type, vary)
    if (!('ranges' in decided)) return decided
    if (request.method === 'HEAD') return { kind: 'send', status: decided.status, headers: decided.headers, body: undefined }
    const { entry } = variant
    const cached = entry.body
    if (cached !== undefined) return { kind: 'send', status: decided.status, headers: decided.headers, body: memoryBody(cached, decided) }
    if (entry.size <= cacheTuning.maxFileSize && !last) return this.#respondFromMemory(request, variant, type, vary, decided)
    // Large (or still changing after retries): stream exactly `size` bytes from the open file.
    const file = openFiles.acquire(variant.fsPath, entry)
    if (file instanceof OpenFile) return streamPlan(file, decided, entry.size)
    return file.then((opened) => {
      if (opened === 'missing') return refuse(404, 'missing')
      // Another file took the name since the stat: look it up (and check containment) again.
      if (opened === 'changed') return last ? refuse(404, 'missing') : RETRY
      return streamPlan(opened, decided, entry.size)
    })
  }

  /** A small file not in the cache yet: read it whole (and keep it when it is stable). */
  async #respondFromMemory(
    request: StaticRequest,
    variant: Variant,
    type: string,
    vary: boolean,
    first: BodyPlan,
  ): Promise<StaticPlan | typeof RETRY> {
    let decided: StaticPlan | BodyPlan = first
    const opened = await this.#readSmall(variant)
    if (opened === RETRY) return RETRY
    if (opened === undefined) return refuse(404, 'missing')
    if (opened.entry !== variant.entry) {
      // Changed since the stat: decide again on what was actually read.
      decided = this.#decide(request, opened.entry, fileRepresentation({ ...variant, entry: opened.entry }), type, vary)
      if (!('ranges' in decided)) return decided
    }
    return { kind: 'send', status: decided.status, headers: decided.headers, body: memoryBody(opened.content, decided) }
  }

  /** Everything that depends on the validators: 304, 412, 416, or the 200/206 head. */
  #decide(
    request: StaticRequest,
    entry: FileEntry,
    representation: Representation,
    type: string,
    vary: boolean,
  ): StaticPlan | BodyPlan {
    const { etag, size, encoding } = representation
    const validators: Validators = { etag, mtimeMs: entry.mtimeMs }
    const headers = request.headers
    const outcome = evaluatePreconditions(headers, validators)
    const extra = this.options.extraHeaders
    if (outcome === 'precondition-failed') return refuse(412, 'precondition-failed')
    if (outcome === 'not-modified') {
      // CPython sends only Server and Date; RFC 9110 §15.4.5 wants ETag and Vary as a 200 would.
      const notModified: HeaderPair[] = [['ETag', etag]]
      if (vary) notModified.push(['Vary', 'Accept-Encoding'])
      // RFC 9110 §15.4.5: a 304 carries the Cache-Control a 200 would.
      if (this.#cacheControl !== undefined) notModified.push(['Cache-Control', this.#cacheControl])
      // serve-static's 304 repeats these too.
      if (this.options.fileHeadersOn304) notModified.push(['Last-Modified', entry.lastModified], ['Accept-Ranges', 'bytes'])
      for (const pair of extra) notModified.push(pair)
      return { kind: 'send', status: 304, headers: notModified, body: undefined }
    }
    let decision: RangeDecision | undefined
    // RFC 9110 §14.2: GET is the only method ranges are defined for; HEAD gets the 200 head.
    if (request.method === 'GET') {
      const range = headers.get('range')
      if (range !== undefined) {
        const ifRange = headers.get('if-range')
        if (ifRange === undefined || ifRangeMatches(ifRange, validators, Date.now())) {
          decision = parseRange(range, size)
        }
      }
    }
    if (decision?.kind === 'unsatisfiable') {
      const unsatisfiable: HeaderPair[] = [
        ['Content-Range', `bytes */${size}`],
        ['Content-Length', '0'],
        ['Accept-Ranges', 'bytes'],
      ]
      return { kind: 'send', status: 416, headers: [...unsatisfiable, ...extra], body: undefined }
    }
    const ranges = decision?.kind === 'ranges' ? decision.ranges : undefined
    let contentType = type
    let length = size
    let contentRange: string | undefined
    let multipart: Multipart | undefined
    if (ranges !== undefined) {
      const only = ranges.length === 1 ? ranges[0] : undefined
      if (only !== undefined) {
        length = only.end - only.start + 1
        contentRange = `bytes ${only.start}-${only.end}/${size}`
      } else {
        multipart = multipartFraming(ranges, type, size)
        contentType = `multipart/byteranges; boundary=${multipart.boundary}`
        length = multipart.length
      }
    }
    // CPython's order and spelling first, then ours.
    const out: HeaderPair[] = [
      ['Content-type', contentType],
      ['Content-Length', String(length)],
      ['Last-Modified', entry.lastModified],
    ]
    if (contentRange !== undefined) out.push(['Content-Range', contentRange])
    out.push(['Accept-Ranges', 'bytes'], ['ETag', etag])
    if (vary) out.push(['Vary', 'Accept-Encoding'])
    if (encoding !== undefined) out.push(['Content-Encoding', encoding])
    if (this.#cacheControl !== undefined) out.push(['Cache-Control', this.#cacheControl])
    for (const pair of extra) out.push(pair)
    return { status: ranges === undefined ? 200 : 206, headers: out, ranges, multipart }
  }

  /**
   * Open the chosen small file, check it is still the one looked up, and read it whole (kept in
   * the cache when stable). RETRY when it changed meanwhile.
   */
  async #readSmall(variant: Variant): Promise<{ entry: FileEntry; content: Buffer } | undefined | typeof RETRY> {
    let file: FileHandle
    try {
      file = await open(fsArg(variant.fsPath), 'r')
    } catch {
      return undefined
    }
    try {
      const stats = await file.stat()
      const known = variant.entry
      if (stats.dev !== known.dev || stats.ino !== known.ino) {
        // Another file took the name since the stat: look it up (and check containment) again.
        return RETRY
      }
      // Grown past the limit since the stat: look again, and stream it.
      if (stats.size > cacheTuning.maxFileSize) return RETRY
      let entry = known
      if (!known.matches(stats)) {
        entry = fileCache.entry(variant.fsPath, stats)
        // Same inode, so the same place in the tree: the containment verdict carries over.
        entry.realPath = known.realPath
        entry.verdictRoot = known.verdictRoot
        entry.verdictInside = known.verdictInside
      }
      const content = await readWhole(file, stats.size)
      const after = await file.stat()
      // A write landed while reading: the bytes may be torn; start over.
      if (content.length !== stats.size || !entry.matches(after)) return RETRY
      fileCache.keep(variant.fsPath, entry, content, Date.now())
      return { entry, content }
    } finally {
      await file.close()
    }
  }

  // ---- lookup and containment ---------------------------------------------------------------

  #check(urlPath: string): CheckedPath {
    const cache = this.#paths
    const known = cache.get(urlPath)
    if (known !== undefined) return known
    // The resolver's rules; containment is checked per file entry below, with its verdict cached.
    const check = resolveUrlPath(urlPath, { dotfiles: this.options.dotfiles, aboveRoot: this.options.aboveRoot })
    let result: CheckedPath = check.ok
      ? { ok: true, fsPath: path.join(this.root, ...check.segments), trailingSlash: check.trailingSlash }
      : check
    // A lone surrogate other than an escaped byte names no file (CPython cannot encode it).
    if (result.ok && hasLoneSurrogate(result.fsPath) && fsEncode(result.fsPath) === undefined) {
      result = { ok: false, status: 404, reason: 'unencodable' }
    }
    if (urlPath.length <= PATH_CACHE_MAX_KEY) {
      if (cache.size >= PATH_CACHE_LIMIT) cache.clear()
      cache.set(urlPath, result)
    }
    return result
  }

  /** `stat` (following links), the cached entry, and unless following symlinks, containment. */
  #lookup(fsPath: string): Lookup {
    let stats: Stats | undefined
    try {
      // Synchronous on purpose: one stat of a local file takes microseconds, far less than a
      // thread-pool round trip. (Reads run on the event loop only while they prove as fast:
      // see OpenFile.read.)
      stats = statThisTurn(fsPath)
    } catch {
      stats = undefined
    }
    if (stats === undefined) {
      // ENOENT, ENOTDIR, EACCES, ENAMETOOLONG, ELOOP (a symlink loop answers at once): CPython's
      // 404. A deleted file kept open would hold on to its disk space: let it go now.
      openFiles.forget(fsPath)
      return { found: false, reason: 'missing' }
    }
    const entry = fileCache.entry(fsPath, stats)
    if (!this.options.followSymlinks && !this.#contains(entry, fsPath)) return { found: false, reason: 'outside-root' }
    return { found: true, entry }
  }

  /** The first `fsPath.<ext>` that is a file, for a last segment without an extension. */
  #withExtension(fsPath: string): { path: string; lookup: Lookup } | undefined {
    if (path.extname(fsPath) !== '') return undefined
    for (const ext of this.options.extensions) {
      const candidate = `${fsPath}.${ext}`
      const lookup = this.#lookup(candidate)
      if (lookup.found && lookup.entry.kind === 'file') return { path: candidate, lookup }
    }
    return undefined
  }

  #sibling(fsPath: string): FileEntry | undefined {
    const result = this.#lookup(fsPath)
    return result.found && result.entry.kind === 'file' ? result.entry : undefined
  }

  /**
   * Whether the entry's real path is inside the root's real path (symlinks resolved on both
   * sides). The verdict is kept on the entry, which is only reused while `stat` sees the same
   * inode, size and times.
   */
  #contains(entry: FileEntry, fsPath: string): boolean {
    const resolver = this.resolver
    let root = resolver.realRoot()
    if (root === undefined) return false
    if (entry.verdictRoot === root) return entry.verdictInside
    if (entry.realPath === undefined) {
      try {
        entry.realPath = realPathSync(fsPath)
      } catch {
        entry.realPath = null
      }
    }
    const real = entry.realPath
    if (real == null) return false
    let inside = isInside(root, real)
    if (!inside) {
      // The root itself may have moved (a `current -> release-N` symlink swapped by a deploy).
      const fresh = resolver.realRoot(true)
      if (fresh !== undefined && fresh !== root) {
        root = fresh
        inside = isInside(root, real)
      }
    }
    entry.verdictRoot = root
    entry.verdictInside = inside
    return inside
  }

  // ---- listings -----------------------------------------------------------------------------

  /**
   * CPython's `list_directory(path)`: the listing of `dirPath` as a 200 plan, or
   * `404 No permission to list directory` when it cannot be read. `publicTarget` gives the title.
   */
  async listDirectory(dirPath: string, publicTarget: string, headers?: RequestHeaders): Promise<StaticPlan> {
    const plan = await this.#listDirectory(dirPath, publicTarget, headers)
    return this.#finishPage(plan, headers)
  }

  /**
   * A generated page (a listing, its JSON): compressed like a file with `compress` (its ETag
   * names the coding, so a cached variant revalidates to 304), and never cached with `-c`.
   */
  async #finishPage(plan: StaticPlan, headers: RequestHeaders | undefined): Promise<StaticPlan> {
    if (plan.kind !== 'send' || (plan.status !== 200 && plan.status !== 304)) return plan
    let out: Extract<StaticPlan, { kind: 'send' }> = plan
    const compress = this.options.compress
    const body = plan.body?.buffer
    const type = plan.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1]
    if (compress !== undefined && plan.status === 200 && body !== undefined && body.length >= compress.minSize && type !== undefined && isCompressible(type)) {
      const vary = plan.headers.map(([name, value]) => (name === 'Vary' ? ([name, `${value}, Accept-Encoding`] as const) : ([name, value] as const)))
      const chosen = chooseEncoding(headers?.get('accept-encoding'), true, true)
      if (chosen === undefined) {
        out = { ...plan, headers: vary }
      } else {
        const etag = plan.headers.find(([name]) => name === 'ETag')?.[1]
        const tagged = etag === undefined ? undefined : derivedETag(etag, chosen)
        const ifNoneMatch = headers?.get('if-none-match')
        if (tagged !== undefined && ifNoneMatch !== undefined && matchesETag(ifNoneMatch, tagged, false)) {
          out = { kind: 'send', status: 304, headers: [['ETag', tagged], ['Vary', 'Accept, Accept-Encoding'], ...this.options.extraHeaders], body: undefined }
        } else {
          const encoded = await compression(chosen).make(body)
          const rewritten: HeaderPair[] = vary.map(([name, value]) => {
            if (name === 'Content-Length') return [name, String(encoded.length)]
            if (name === 'ETag' && tagged !== undefined) return [name, tagged]
            return [name, value]
          })
          rewritten.push(['Content-Encoding', chosen])
          out = { kind: 'send', status: 200, headers: rewritten, body: ResponseBody.fromBuffer(encoded) }
        }
      }
    }
    if (this.options.cacheSeconds !== undefined) out = { ...out, headers: [...out.headers, ['Cache-Control', 'no-cache']] }
    return out
  }

  async #listDirectory(dirPath: string, publicTarget: string, headers?: RequestHeaders): Promise<StaticPlan> {
    let lines: string
    try {
      // The rich and JSON listings and archives; undefined: CPython's listing.
      const browsed = await this.#browser.plan(dirPath, publicTarget, headers)
      if (browsed !== undefined) return browsed
      lines = await this.#listingLines(dirPath)
    } catch {
      return { kind: 'refuse', status: 404, message: NO_LISTING, explain: undefined, reason: 'cannot-list' }
    }
    const visible = splitTarget(publicTarget).path
    const body = renderListing(unquote(visible), lines)
    return validatedListing(body, 'text/html; charset=utf-8', listingETag(body), headers, this.options.extraHeaders)
  }

  /** The `<li>` lines, from the cache while the directory's stat is unchanged. */
  async #listingLines(dirPath: string): Promise<string> {
    const stats = statSync(fsArg(dirPath))
    const cache = this.#listings
    const known = cache.get(dirPath)
    if (
      known?.ino === stats.ino &&
      known.dev === stats.dev &&
      known.mtimeMs === stats.mtimeMs &&
      known.ctimeMs === stats.ctimeMs
    ) {
      return known.lines
    }
    const isRoot = path.resolve(dirPath) === this.root
    const items = await listItems(dirPath, isRoot, {
      dotfiles: this.options.dotfiles,
      followSymlinks: this.options.followSymlinks,
      isInside: (real) => this.resolver.contains(real),
    })
    const stable = Date.now() - Math.max(stats.mtimeMs, stats.ctimeMs) >= cacheTuning.racyWindowMs
    if (items.cacheable && stable) {
      if (cache.size >= LISTING_CACHE_LIMIT) cache.clear()
      cache.set(dirPath, { dev: stats.dev, ino: stats.ino, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, lines: items.lines })
    } else {
      cache.delete(dirPath)
    }
    return items.lines
  }
}

// ---- bodies ---------------------------------------------------------------------------------

/**
 * The `multipart/byteranges` framing (RFC 9110 §14.6): a random boundary, each part's head
 * (`Content-Type`, `Content-Range`), the closing delimiter, and the total length.
 */
function multipartFraming(ranges: readonly ByteRange[], type: string, size: number): Multipart {
  // node:crypto fetched here, not imported at the top: only multi-range answers need it (start-up time).
  const boundary = process.getBuiltinModule('node:crypto').randomBytes(12).toString('hex')
  const heads: Buffer[] = []
  let length = 0
  ranges.forEach((range, i) => {
    const head = Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
      'latin1',
    )
    heads.push(head)
    length += head.length + (range.end - range.start + 1)
  })
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1')
  return { boundary, heads, tail, length: length + tail.length }
}

/** The body of a 200/206 from the file's bytes in memory: one buffer, so it can leave with the head. */
function memoryBody(content: Buffer, plan: BodyPlan): ResponseBody {
  const { ranges, multipart } = plan
  if (ranges === undefined) return ResponseBody.fromBuffer(content)
  if (multipart === undefined) {
    const only = ranges[0] as ByteRange
    return ResponseBody.fromBuffer(content.subarray(only.start, only.end + 1))
  }
  const pieces: Buffer[] = []
  ranges.forEach((range, i) => {
    pieces.push(multipart.heads[i] as Buffer, content.subarray(range.start, range.end + 1))
  })
  pieces.push(multipart.tail)
  return ResponseBody.fromBuffer(Buffer.concat(pieces))
}

/** A 200/206 streamed from the open file; the body owns the reference taken on `file`. */
function streamPlan(file: OpenFile, plan: BodyPlan, size: number): StaticPlan {
  const { ranges, multipart } = plan
  let pieces: (Buffer | { offset: number; length: number })[]
  if (ranges === undefined) {
    pieces = [{ offset: 0, length: size }]
  } else if (multipart === undefined) {
    const only = ranges[0] as ByteRange
    pieces = [{ offset: only.start, length: only.end - only.start + 1 }]
  } else {
    pieces = []
    ranges.forEach((range, i) => {
      pieces.push(multipart.heads[i] as Buffer, { offset: range.start, length: range.end - range.start + 1 })
    })
    pieces.push(multipart.tail)
  }
  return { kind: 'send', status: plan.status, headers: plan.headers, body: ResponseBody[kFromPieces](pieces, file) }
}

/** Read up to `size` bytes from the start of the file (fewer if it ends sooner). */
async function readWhole(file: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const { bytesRead } = await file.read(buffer, filled, size - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled === size ? buffer : buffer.subarray(0, filled)
}

// ---- cores shared by handler classes ------------------------------------------------------------

const sharedCores = new Map<string, StaticCore>()

/**
 * The core for a root and options, shared by every handler instance (one per connection) that
 * has the same settings, so caches outlive connections.
 */
export function sharedCore(key: string, create: () => StaticCore): StaticCore {
  let core = sharedCores.get(key)
  if (core === undefined) {
    core = create()
    if (sharedCores.size >= 64) sharedCores.clear()
    sharedCores.set(key, core)
  }
  return core
}
