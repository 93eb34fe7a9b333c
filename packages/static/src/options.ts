/**
 * The options shared by `serveStatic()` and `SimpleHTTPRequestHandler.withOptions()`.
 * @module
 */
import path from 'node:path'
import { StaticError } from './errors.js'
import { LiveReload } from './live-reload.js'

/** A response header as `[name, value]`. */
export type HeaderPair = readonly [name: string, value: string]

/** How files are served; every field is optional. */
export interface StaticOptions {
  /**
   * Serve files and list entries reached through symlinks whose real path is outside the root.
   * Default `false`: such paths answer 404 and such links are left out of listings. (CPython
   * follows every symlink.)
   */
  readonly followSymlinks?: boolean
  /**
   * Serve and list names that start with a dot (`.env`, `.git/`). Default `false`: they answer
   * 404 and are left out of listings, except `/.well-known/` (RFC 8615). (CPython serves them.)
   */
  readonly dotfiles?: boolean
  /**
   * For `file`, send a sibling `file.br` or `file.gz` when `Accept-Encoding` allows it (q-values
   * honoured, `br` preferred), with `Content-Encoding`, the original's `Content-type` and
   * `Vary: Accept-Encoding`. Default `false`.
   */
  readonly precompressed?: boolean
  /**
   * Compress compressible responses (text, JSON, JavaScript, XML, SVG, wasm, uncompressed fonts)
   * with brotli or gzip, chosen by `Accept-Encoding` q-values (brotli on a tie), with
   * `Vary: Accept-Encoding`. Each encoded variant has its own strong ETag (the file's plus
   * `-br`/`-gzip`) and is kept in a bounded cache while the file is unchanged, so 304s, ranges
   * and `If-Range` work on the encoded bytes. A precompressed sibling (`precompressed`) wins.
   * `true` means `{ minSize: 1024, maxSize: 8 MiB }`. Smaller files are sent as they are; larger
   * ones are compressed while they are sent, not kept: no `Content-Length` (the connection ends
   * the body), a weak ETag (304s still work), and a `Range` gets bytes of the file itself.
   * Default `false`, as CPython.
   */
  readonly compress?: boolean | CompressOptions
  /**
   * Insert the live-reload client (`<script src>` to this watcher's reserved path) into HTML
   * pages sent whole to GET, and serve its event stream and script. Give a started
   * {@link LiveReload} for the same root. Default: none.
   */
  readonly liveReload?: LiveReload | undefined
  /**
   * Single-page apps: a GET or HEAD for a path that does not exist, from a browser navigating
   * (`Accept` names `text/html`), gets this file from the root with 200 instead of a 404. A
   * missing `/app.js`, or a `fetch()` that accepts JSON, still gets its 404. `true` means
   * `'index.html'`. Default: off.
   */
  readonly single?: boolean | string
  /**
   * Browser caching, in seconds: files get `Cache-Control: max-age=N` (`no-cache` for 0: always
   * revalidate), listings and error pages `no-cache`. Default: no `Cache-Control`, as CPython.
   */
  readonly cacheSeconds?: number | undefined
  /**
   * Headers appended to every successful response (200, 206, 301, 304, 416 and listings) after
   * the ones CPython sends; the counterpart of CPython 3.15's `-H`/`--header`. Default `[]`.
   * @example [['Cache-Control', 'no-cache'], ['Access-Control-Allow-Origin', '*']]
   */
  readonly extraHeaders?: readonly HeaderPair[]
  /**
   * Files tried, in order, for a directory request (CPython's `index_pages`).
   * Default `['index.html', 'index.htm']`.
   */
  readonly indexPages?: readonly string[]
  /**
   * How a directory without an index page is shown: `'python'` (CPython's listing, byte for
   * byte), `'rich'` (sortable, filterable table; see the README) or `'off'` (404). Every mode
   * but `'off'` also answers JSON (`?json`, or an `Accept` that prefers `application/json`).
   * Default `'python'`.
   */
  readonly listing?: ListingMode
  /**
   * Let `GET /dir/?download=zip` and `?download=tar.gz` stream the folder (recursive, the
   * listing's visibility rules) as an archive. Default `false`. Needs `listing` other than `'off'`.
   * An object turns them on with other bounds than the defaults (see {@link ArchiveOptions}).
   */
  readonly archive?: boolean | ArchiveOptions
  /**
   * The rich listing shows a form that uploads files into the folder (a multipart `POST` to the
   * folder's URL). Only a handler that accepts such a `POST` sets it (`@simplehttp/dav` with
   * `upload`). Default `false`.
   */
  readonly uploadForm?: boolean
}

/** Bounds of folder downloads, for {@link StaticOptions.archive}. */
export interface ArchiveOptions {
  /** The most files and folders one archive holds; a larger folder is answered 403. Default 50,000. */
  readonly maxMembers?: number
  /** Folder downloads in progress at once; one more is answered 503. Default 4. */
  readonly atOnce?: number
}

/** Sizes for {@link StaticOptions.compress}. */
export interface CompressOptions {
  /** Smaller files are sent as they are: compressing them gains less than the header costs. Default `1024`. */
  readonly minSize?: number
  /** Larger files are compressed while sent (not read whole, not cached, no ranges on the encoded form). Default 8 MiB. */
  readonly maxSize?: number
}

/** The directory listing modes (see {@link StaticOptions.listing}). */
export type ListingMode = 'python' | 'rich' | 'off'

/** The accepted values of {@link StaticOptions.listing}. */
export const LISTING_MODES: readonly ListingMode[] = Object.freeze(['python', 'rich', 'off'])

/** {@link StaticOptions} plus the directory to serve, for `SimpleHTTPRequestHandler.withOptions()`. */
export interface HandlerOptions extends StaticOptions {
  /** The root to serve (CPython's `directory=`). Default: `process.cwd()` when the handler is created. */
  readonly directory?: string
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly followSymlinks: boolean
  readonly dotfiles: boolean
  readonly precompressed: boolean
  readonly compress: Required<CompressOptions> | undefined
  readonly liveReload: LiveReload | undefined
  readonly single: string | undefined
  readonly cacheSeconds: number | undefined
  readonly extraHeaders: readonly HeaderPair[]
  readonly indexPages: readonly string[]
  readonly listing: ListingMode
  /** Folder downloads with their bounds (defaults filled in), or `false`. */
  readonly archive: Required<ArchiveOptions> | false
  /** The rich listing shows an upload form. */
  readonly uploadForm: boolean
  /** Extensions tried, in order, for a missing name without one (serve-static's `extensions`). */
  readonly extensions: readonly string[]
  /** A 304 also carries `Last-Modified` and `Accept-Ranges`, as serve-static's does (CPython's carries neither). */
  readonly fileHeadersOn304: boolean
  /** `..` above the root: stays at the root as CPython's does, or is refused as serve-static's `send` does (403). */
  readonly aboveRoot: 'clamp' | 'refuse'
}

/** CPython's `index_pages`. */
export const INDEX_PAGES: readonly string[] = Object.freeze(['index.html', 'index.htm'])

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// eslint-disable-next-line no-control-regex -- CR, LF and NUL in a value are header injection
const UNSAFE_VALUE_RE = /[\r\n\0]|[^\x00-\xff]/

function invalid(what: string, expected: string, got: unknown): StaticError {
  let shown: string
  try {
    // JSON.stringify returns undefined (despite its type) for these.
    shown = got === undefined || typeof got === 'function' || typeof got === 'symbol' ? String(got) : JSON.stringify(got)
  } catch {
    shown = String(got)
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`
  return new StaticError('SH_ERR_STATIC_INVALID_OPTION', `invalid option ${what}.\nExpected ${expected}, but got: ${shown}`)
}

function flag(options: Readonly<Record<string, unknown>>, name: string): boolean {
  const value = options[name]
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid(name, 'true or false', value)
  return value
}

/** Check option types and fill in defaults; throws `SH_ERR_STATIC_INVALID_OPTION`. */
export function resolveOptions(options: StaticOptions | undefined): ResolvedOptions {
  const raw = (options ?? {}) as Readonly<Record<string, unknown>>
  if (typeof raw !== 'object') throw invalid('object', 'an options object', raw)
  const extraHeaders: HeaderPair[] = []
  const extra = raw.extraHeaders
  if (extra !== undefined) {
    if (!Array.isArray(extra)) throw invalid('extraHeaders', 'an array of [name, value] pairs', extra)
    for (const pair of extra as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalid('extraHeaders', 'a [name, value] pair', pair)
      const [name, value] = pair as [unknown, unknown]
      if (typeof name !== 'string' || !TOKEN_RE.test(name)) {
        throw invalid('extraHeaders', 'a header name made of token characters', name)
      }
      if (typeof value !== 'string' || UNSAFE_VALUE_RE.test(value)) {
        throw invalid('extraHeaders', `a value for ${name} without CR, LF, NUL or characters above U+00FF`, value)
      }
      extraHeaders.push([name, value.trim()])
    }
  }
  let indexPages = INDEX_PAGES
  const index = raw.indexPages
  if (index !== undefined) {
    if (!Array.isArray(index) || !(index as unknown[]).every((p) => typeof p === 'string' && isPlainName(p))) {
      throw invalid('indexPages', 'an array of file names (no slashes, not "." or "..")', index)
    }
    indexPages = Object.freeze([...(index as string[])])
  }
  const listing = raw.listing ?? 'python'
  if (!LISTING_MODES.includes(listing as ListingMode)) throw invalid('listing', `one of ${LISTING_MODES.join(', ')}`, listing)
  return {
    listing: listing as ListingMode,
    archive: archiveOption(raw.archive),
    uploadForm: flag(raw, 'uploadForm'),
    followSymlinks: flag(raw, 'followSymlinks'),
    dotfiles: flag(raw, 'dotfiles'),
    precompressed: flag(raw, 'precompressed'),
    compress: compressOption(raw.compress),
    liveReload: liveReloadOption(raw.liveReload),
    single: singleOption(raw.single),
    cacheSeconds: cacheSecondsOption(raw.cacheSeconds),
    extraHeaders: Object.freeze(extraHeaders),
    indexPages,
    extensions: Object.freeze([]),
    fileHeadersOn304: false,
    aboveRoot: 'clamp',
  }
}

function cacheSecondsOption(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid('cacheSeconds', 'a whole number of seconds >= 0', value)
  }
  return value
}

function singleOption(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return 'index.html'
  if (typeof value !== 'string' || value === '' || value.includes('\0') || path.isAbsolute(value) || value.split(/[\\/]/).includes('..')) {
    throw invalid('single', 'true, or a file path inside the root (no "..", not absolute)', value)
  }
  return path.normalize(value)
}

function liveReloadOption(value: unknown): LiveReload | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof LiveReload)) throw invalid('liveReload', 'a LiveReload instance', value)
  return value
}

/** Defaults of {@link ArchiveOptions}: one archive's member list stays near 20 MiB, four at once. */
export const ARCHIVE_DEFAULTS: Required<ArchiveOptions> = Object.freeze({ maxMembers: 50_000, atOnce: 4 })

function archiveOption(value: unknown): Required<ArchiveOptions> | false {
  if (value === undefined || value === false) return false
  if (value === true) return ARCHIVE_DEFAULTS
  if (typeof value !== 'object' || value == null) throw invalid('archive', 'true, false or { maxMembers, atOnce }', value)
  const { maxMembers = ARCHIVE_DEFAULTS.maxMembers, atOnce = ARCHIVE_DEFAULTS.atOnce } = value as Record<string, unknown>
  for (const [name, count] of [['maxMembers', maxMembers], ['atOnce', atOnce]] as const) {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw invalid(`archive.${name}`, 'a whole number >= 1', count)
    }
  }
  return { maxMembers: maxMembers as number, atOnce: atOnce as number }
}

function compressOption(value: unknown): Required<CompressOptions> | undefined {
  if (value === undefined || value === false) return undefined
  const defaults = { minSize: 1024, maxSize: 8 * 1024 * 1024 }
  if (value === true) return defaults
  if (typeof value !== 'object' || value == null) throw invalid('compress', 'true, false or { minSize, maxSize }', value)
  const { minSize = defaults.minSize, maxSize = defaults.maxSize } = value as Record<string, unknown>
  for (const [name, size] of [['minSize', minSize], ['maxSize', maxSize]] as const) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid(`compress.${name}`, 'a whole number of bytes >= 0', size)
    }
  }
  return { minSize: minSize as number, maxSize: maxSize as number }
}

/** A root directory option: a non-empty string, resolved against the current directory now. */
export function resolveDirectory(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw invalid('directory', 'a non-empty path string', value)
  }
  return path.resolve(value)
}

function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0')
}
