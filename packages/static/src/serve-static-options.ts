/**
 * The options of `serveStatic()`: serve-static 2.x's names, defaults and checks, plus ours.
 * @module
 */
import type { Stats } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { StaticError } from './errors.js'
import type { LiveReload } from './live-reload.js'
import { resolveOptions, type ArchiveOptions, type CompressOptions, type HeaderPair, type ListingMode, type ResolvedOptions, type StaticOptions } from './options.js'

/** serve-static's `setHeaders(res, path, stat)`: called before the file's own headers are set. */
export type SetHeaders = (res: ServerResponse, path: string, stat: Stats) => void

/**
 * What `serveStatic(root, options)` takes: serve-static 2.x's options, with its names, defaults
 * and meanings, and `@simplehttp/static`'s own (`precompressed`, `followSymlinks`, `extraHeaders`, `compress`,
 * `listing`, `archive`, `single`, `liveReload`).
 */
export interface ServeStaticOptions {
  /** Honour `Range` requests and send `Accept-Ranges: bytes`. Default `true`. */
  readonly acceptRanges?: boolean
  /** Send `Cache-Control: public, max-age=…`. Default `true`. */
  readonly cacheControl?: boolean
  /**
   * Names starting with `.` anywhere in the path: `'allow'` serves them, `'deny'` answers 403,
   * `'ignore'` answers 404 as if they did not exist. Default `'ignore'`. (`true`/`false` mean
   * `'allow'`/`'ignore'`.)
   */
  readonly dotfiles?: 'allow' | 'deny' | 'ignore' | boolean
  /** Send `ETag` (a strong one) and honour `If-None-Match`/`If-Match`. Default `true`. */
  readonly etag?: boolean
  /** Extensions tried, in order, when a name without one is missing (`['html']`: `/about` → `about.html`). Default `false`. */
  readonly extensions?: string | readonly string[] | false
  /**
   * `true`: requests it cannot answer (missing files, other methods, bad paths) go to `next()`.
   * `false`: they go to `next(err)` with `err.status` (400, 403, 404); other methods get 405.
   * Default `true`.
   */
  readonly fallthrough?: boolean
  /** Add `immutable` to `Cache-Control` (with a `maxAge`). Default `false`. */
  readonly immutable?: boolean
  /** File(s) tried for a directory URL, or `false` for none. Default `'index.html'`. */
  readonly index?: string | readonly string[] | false
  /** Send `Last-Modified` and honour `If-Modified-Since`/`If-Unmodified-Since`. Default `true`. */
  readonly lastModified?: boolean
  /** `Cache-Control` max-age in milliseconds, or an `ms`-style string (`'1d'`, `'2 hours'`); at most a year. Default `0`. */
  readonly maxAge?: number | string
  /** serve-static's older spelling of `maxAge`. */
  readonly maxage?: number | string
  /** Redirect a directory URL without its trailing `/` (301). Off: 404. Default `true`. */
  readonly redirect?: boolean
  /** Set your own headers on file responses; the defaults do not replace headers set here. */
  readonly setHeaders?: SetHeaders
  /** Send `file.br` / `file.gz` when `Accept-Encoding` allows (ours). Default `false`. */
  readonly precompressed?: boolean
  /** Serve files behind symlinks that lead outside the root (ours). Default `false`: 404. */
  readonly followSymlinks?: boolean
  /** Headers added to every file response and redirect (ours). Default `[]`. */
  readonly extraHeaders?: readonly HeaderPair[]
  /** Compress compressible files on the fly, cached per file (ours; see the handler's `compress`). Default `false`. */
  readonly compress?: boolean | CompressOptions
  /**
   * List directories without an index page (ours): `'python'` (CPython's page) or `'rich'`.
   * Default `'off'`: serve-static does not list, so such directories are not found.
   */
  readonly listing?: ListingMode
  /** Offer folder downloads as ZIP / tar.gz from listings, optionally with other bounds (ours; see the handler's `archive`). Default `false`. */
  readonly archive?: boolean | ArchiveOptions
  /** A single-page app's page for browser navigations that find nothing (ours; see the handler's `single`). Default: none. */
  readonly single?: boolean | string
  /** Insert the live-reload client into HTML pages and serve its event stream (ours; see the handler's `liveReload`). Default: none. */
  readonly liveReload?: LiveReload | undefined
}

/** {@link ServeStaticOptions} checked, with every default filled in. */
export interface ResolvedServeStaticOptions {
  readonly core: ResolvedOptions
  readonly acceptRanges: boolean
  readonly cacheControl: string | undefined
  readonly dotfiles: 'allow' | 'deny' | 'ignore'
  readonly etag: boolean
  readonly fallthrough: boolean
  readonly lastModified: boolean
  readonly redirect: boolean
  readonly setHeaders: SetHeaders | undefined
}

/** send's ceiling on `maxAge`: one year. */
const MAX_MAX_AGE = 365 * 24 * 60 * 60 * 1000

/**
 * Check the options as serve-static (and send, underneath it) does: the same `TypeError`s for
 * the same mistakes, then ours for our own options.
 */
export function resolveServeStaticOptions(options: ServeStaticOptions | undefined): ResolvedServeStaticOptions {
  const raw = (options ?? {}) as Readonly<Record<string, unknown>>
  const setHeaders = raw.setHeaders
  // serve-static checks truthiness first: `setHeaders: null` is "none", `setHeaders: 'x'` throws.
  if (setHeaders && typeof setHeaders !== 'function') throw new TypeError('option setHeaders must be function')
  const dotfiles = dotfilesMode(raw.dotfiles)
  const index = list(raw.index ?? 'index.html', 'index option')
  const extensions = list(raw.extensions ?? false, 'extensions option').map((ext) => (ext.startsWith('.') ? ext.slice(1) : ext))
  // Ours are checked by the shared resolver (it reads only the names it knows).
  const core = resolveOptions({
    followSymlinks: raw.followSymlinks,
    dotfiles: dotfiles === 'allow',
    precompressed: raw.precompressed,
    extraHeaders: raw.extraHeaders,
    compress: raw.compress,
    listing: raw.listing ?? 'off',
    archive: raw.archive,
    single: raw.single,
    liveReload: raw.liveReload,
    indexPages: index,
  } as unknown as StaticOptions)
  for (const ext of extensions) {
    if (ext === '' || /[/\\\0]/.test(ext)) {
      throw new StaticError('SH_ERR_STATIC_INVALID_OPTION', `invalid option extensions.\nExpected extensions without slashes, but got: ${JSON.stringify(ext)}`)
    }
  }
  const maxAge = maxAgeMs(raw.maxAge ?? raw.maxage)
  const cacheControl = raw.cacheControl !== false
    ? `public, max-age=${String(Math.floor(maxAge / 1000))}${raw.immutable ? ', immutable' : ''}`
    : undefined
  return {
    core: { ...core, extensions: Object.freeze(extensions), fileHeadersOn304: true, aboveRoot: 'refuse' },
    acceptRanges: raw.acceptRanges !== false,
    cacheControl,
    dotfiles,
    etag: raw.etag !== false,
    fallthrough: raw.fallthrough !== false,
    lastModified: raw.lastModified !== false,
    redirect: raw.redirect !== false,
    setHeaders: setHeaders ? (setHeaders as SetHeaders) : undefined,
  }
}

function dotfilesMode(value: unknown): 'allow' | 'deny' | 'ignore' {
  if (value === undefined || value === false) return 'ignore'
  if (value === true) return 'allow'
  if (value !== 'allow' && value !== 'deny' && value !== 'ignore') {
    throw new TypeError('dotfiles option must be "allow", "deny", or "ignore"')
  }
  return value
}

/** send's `normalizeList`: `false` is none, a string is one, an array must hold strings. */
function list(value: unknown, name: string): string[] {
  if (value === false) return []
  const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value]
  for (const item of items) {
    if (typeof item !== 'string') throw new TypeError(`${name} must be array of strings or false`)
  }
  return items as string[]
}

/** Milliseconds from a number or an `ms`-style string; what cannot be read counts as 0, as in send. */
export function maxAgeMs(value: unknown): number {
  if (value == null || value === false || value === 0 || value === '') return 0
  const ms = typeof value === 'string' ? parseDuration(value) : Number(value)
  if (Number.isNaN(ms)) return 0
  return Math.min(Math.max(0, ms), MAX_MAX_AGE)
}

const UNITS: Readonly<Record<string, number>> = (() => {
  const s = 1000
  const m = 60 * s
  const h = 60 * m
  const d = 24 * h
  const table: Record<string, number> = {}
  const add = (names: string, value: number): void => {
    for (const name of names.split(' ')) table[name] = value
  }
  add('years year yrs yr y', 365.25 * d)
  add('weeks week w', 7 * d)
  add('days day d', d)
  add('hours hour hrs hr h', h)
  add('minutes minute mins min m', m)
  add('seconds second secs sec s', s)
  add('milliseconds millisecond msecs msec ms', 1)
  return table
})()

/** The `ms` package's grammar: a number, optional spaces, an optional unit; `NaN` otherwise. */
export function parseDuration(text: string): number {
  if (text.length > 100) return NaN
  const match = /^(-?(?:\d+)?\.?\d+) *([a-z]+)?$/i.exec(text)
  if (match == null) return NaN
  const amount = Number.parseFloat(match[1] as string)
  const unit = match[2]?.toLowerCase() ?? 'ms'
  const factor = UNITS[unit]
  return factor == null ? NaN : amount * factor
}
