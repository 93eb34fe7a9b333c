/**
 * Browsing a directory beyond CPython's listing: the rich HTML page, the JSON listing, server-side
 * sorting and filtering (`?sort=`, `?order=`, `?q=`), listing validators, and folder downloads
 * (`?download=zip|tar.gz`). The core hands every directory without an index page here first;
 * `undefined` means "CPython's listing", which the core renders itself.
 * @module
 */
import { statSync, type Stats } from 'node:fs'
import path from 'node:path'
import { htmlEscape } from '@simplehttp/handler'
import type { HeaderPair, ResolvedOptions } from '../options.js'
import {
  archiveBaseName,
  collectMembers,
  contentDisposition,
  tarGzSource,
  zipSource,
  type ArchiveFormat,
} from './archive.js'
import { ResponseBody, type BodySource } from '../response-body.js'
import { matchesETag, type RequestHeaders } from './conditional.js'
import type { StaticPlan } from './core.js'
import { readVisibleEntries, type VisibleEntry } from './entries.js'
import type { ListingPolicy } from './listing.js'
import { splitTarget } from '../resolver.js'
import { quote, unquote } from './url-path.js'

/** Which way to sort. */
export type SortKey = 'name' | 'size' | 'time'
export type SortOrder = 'asc' | 'desc'

/** What a listing request asks for, from its query and `Accept`. */
export interface BrowseRequest {
  readonly format: 'html' | 'json' | ArchiveFormat
  readonly sort: SortKey
  readonly order: SortOrder
  /** The filter, lower-cased; `''` for none. */
  readonly q: string
}

/** Longer filters are cut: a filter is a name fragment, not a place to store data. */
const MAX_FILTER = 256
/**
 * How long a directory's stats are reused. Adding, removing or renaming an entry changes the
 * directory's own stat and is seen at once; a file rewritten in place is seen within this time.
 */
export const ENTRY_TTL_MS = 1000
const DIRECTORY_CACHE_LIMIT = 256
const VARIANT_LIMIT = 32

/** The `download=` values, when archives are on. */
const ARCHIVE_FORMATS: readonly string[] = ['zip', 'tar.gz']

function queryParams(query: string | undefined): URLSearchParams {
  if (query === undefined || query === '') return new URLSearchParams()
  try {
    return new URLSearchParams(query)
  } catch {
    return new URLSearchParams()
  }
}

/** Whether the query asks for a folder download (the core then skips the index page). */
export function wantsArchive(options: ResolvedOptions, query: string | undefined): boolean {
  if (!options.archive || options.listing === 'off' || query === undefined) return false
  const download = queryParams(query).get('download')
  return download != null && ARCHIVE_FORMATS.includes(download)
}

/** The `q` of a media range in `Accept` for `type`, by the most specific matching range (RFC 9110 §12.5.1). */
function acceptQuality(accept: string, type: string): number {
  const slash = type.indexOf('/')
  const major = type.slice(0, slash)
  let best = -1
  let quality = 0
  for (const item of accept.split(',')) {
    const parts = item.split(';')
    const range = (parts[0] ?? '').trim().toLowerCase()
    let specificity: number
    if (range === type) specificity = 2
    else if (range === `${major}/*`) specificity = 1
    else if (range === '*/*') specificity = 0
    else continue
    let q = 1
    for (const param of parts.slice(1)) {
      const [key, value] = param.split('=')
      if (key?.trim().toLowerCase() === 'q') {
        const parsed = Number(value?.trim())
        q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0
      }
    }
    if (specificity > best) {
      best = specificity
      quality = q
    }
  }
  return quality
}

/** JSON when `Accept` names `application/json` and prefers it to `text/html`. */
function prefersJSON(accept: string | undefined): boolean {
  if (!accept?.toLowerCase().includes('application/json')) return false
  const json = acceptQuality(accept, 'application/json')
  return json > 0 && json > acceptQuality(accept, 'text/html')
}

/** Read the query and `Accept`; values that are not understood are ignored. */
export function parseBrowseRequest(options: ResolvedOptions, query: string | undefined, headers: RequestHeaders | undefined): BrowseRequest {
  const params = queryParams(query)
  const sortParam = params.get('sort')
  const sort: SortKey = sortParam === 'size' || sortParam === 'time' ? sortParam : 'name'
  const order: SortOrder = params.get('order') === 'desc' ? 'desc' : 'asc'
  const q = (params.get('q') ?? '').slice(0, MAX_FILTER).toLowerCase()
  let format: BrowseRequest['format'] = 'html'
  const download = params.get('download')
  if (wantsArchive(options, query) && download != null) format = download as ArchiveFormat
  else if (params.has('json') || prefersJSON(headers?.get('accept'))) format = 'json'
  return { format, sort, order, q }
}

// Made on the first sort, not at load: building a collator costs about 10 ms of start-up.
let collator: Intl.Collator | undefined

function byName(a: VisibleEntry, b: VisibleEntry): number {
  // Natural and case-insensitive (`file2` before `file10`), then code points so the order is total.
  collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' })
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/** The entries to show: filtered, directories first, sorted. */
export function arrange(entries: readonly VisibleEntry[], request: BrowseRequest): VisibleEntry[] {
  const q = request.q
  const shown = q === '' ? [...entries] : entries.filter((e) => e.name.toLowerCase().includes(q))
  const sign = request.order === 'desc' ? -1 : 1
  const compare =
    request.sort === 'size'
      ? (a: VisibleEntry, b: VisibleEntry) => a.size - b.size || byName(a, b)
      : request.sort === 'time'
        ? (a: VisibleEntry, b: VisibleEntry) => a.mtimeMs - b.mtimeMs || byName(a, b)
        : byName
  shown.sort((a, b) => (a.isDirectory !== b.isDirectory ? (a.isDirectory ? -1 : 1) : sign * compare(a, b)))
  return shown
}

/** `1.5 KiB`: binary units, one decimal below 10. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit] as string}`
}

/** ISO 8601 in UTC to the second: `2026-12-04T12:00:00Z`. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function href(entry: VisibleEntry): string {
  return quote(entry.name) + (entry.isDirectory ? '/' : '')
}

/** JSON's `\uXXXX` for the characters that start markup: the same parsed values, no HTML in the bytes. */
const MARKUP_IN_JSON = /[<>&]/g
const jsonEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * The stable JSON listing (documented in the README). `<`, `>` and `&` in names are written as
 * `\u003c`, `\u003e`, `\u0026`: a client that sniffs the type, or a page that inlines the JSON,
 * finds no markup in it.
 */
export function renderJSON(title: string, entries: readonly VisibleEntry[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      path: title,
      entries: entries.map((e) => ({
        name: e.name,
        type: e.type,
        size: e.isDirectory ? null : e.size,
        mtime: new Date(e.mtimeMs).toISOString(),
        href: href(e),
      })),
    }).replace(MARKUP_IN_JSON, jsonEscape),
    'utf8',
  )
}

const STYLE = `:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#6b6b70;--line:#e2e2e6;--link:#0b57d0;--hover:#f3f5f9}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8ea;--bg:#16171a;--muted:#9a9aa2;--line:#30323a;--link:#8ab4f8;--hover:#22252c}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:64rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.3rem;font-weight:600;margin:.25rem 0 1rem;overflow-wrap:anywhere}
h1 .sep{color:var(--muted);padding:0 .15rem}
.bar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin-bottom:.75rem}
.bar form{display:flex;gap:.4rem;flex:1 1 16rem}
.bar input[type=search]{flex:1;min-width:0;padding:.4rem .6rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px}
.bar button{padding:.4rem .8rem;font:inherit;color:inherit;background:var(--hover);border:1px solid var(--line);border-radius:6px}
table{width:100%;border-collapse:collapse;table-layout:auto}
th,td{padding:.45rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;font-size:.9rem;color:var(--muted);white-space:nowrap}
th a{color:inherit}
td.name{overflow-wrap:anywhere;width:100%}
.size{text-align:right;white-space:nowrap}
.time{white-space:nowrap;color:var(--muted);font-variant-numeric:tabular-nums}
tbody tr:hover{background:var(--hover)}
.mark{display:inline-block;min-width:2.6rem;margin-right:.4rem;font-size:.7rem;text-align:center;color:var(--muted);border:1px solid var(--line);border-radius:4px}
.count{color:var(--muted);font-size:.9rem}
@media (max-width:40rem){body{padding:.6rem}.time{display:none}th,td{padding:.6rem .35rem}}`

function attr(text: string): string {
  return htmlEscape(text, true)
}

/** A relative query-only link that keeps the other parameters. */
function queryLink(params: Record<string, string>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== '') search.set(key, value)
  const text = search.toString()
  return text === '' ? './' : `?${text}`
}

/** The rich page. `title` is the decoded request path (`/a/b/`); `rawQ` the filter as typed. */
export function renderRich(
  title: string,
  entries: readonly VisibleEntry[],
  request: BrowseRequest,
  rawQ: string,
  archives: boolean,
  total: number,
  uploadForm = false,
): Buffer {
  const segments = title.split('/').filter((s) => s !== '')
  let crumbs = '<a href="/">/</a>'
  let prefix = '/'
  segments.forEach((segment, i) => {
    prefix += quote(segment) + '/'
    crumbs += `${i === 0 ? '' : '<span class="sep">/</span>'}<a href="${attr(prefix)}">${htmlEscape(segment, true)}</a>`
  })
  const keep = { q: rawQ }
  const header = (key: SortKey, label: string, cls: string): string => {
    const active = request.sort === key
    const order = active && request.order === 'asc' ? 'desc' : 'asc'
    const link = queryLink({ sort: key, order, ...keep })
    const arrow = active ? (request.order === 'asc' ? ' ▲' : ' ▼') : ''
    const sorted = active ? ` aria-sort="${request.order === 'asc' ? 'ascending' : 'descending'}"` : ''
    return `<th class="${cls}"${sorted}><a href="${attr(link)}">${label}</a>${arrow}</th>`
  }
  let rows = ''
  if (segments.length > 0) {
    rows += '<tr class="up"><td class="name"><a href="../">../</a> <span class="count">(parent directory)</span></td><td class="size"></td><td class="time"></td></tr>\n'
  }
  for (const entry of entries) {
    const mark =
      entry.type === 'symlink'
        ? `<span class="mark" title="symbolic link">${entry.isDirectory ? 'LINK/' : 'LINK'}</span>`
        : entry.isDirectory
          ? '<span class="mark" title="directory">DIR</span>'
          : ''
    const display = entry.name + (entry.isDirectory ? '/' : '')
    const size = entry.isDirectory ? '<td class="size">—</td>' : `<td class="size" title="${entry.size} bytes">${humanSize(entry.size)}</td>`
    const iso = isoSeconds(entry.mtimeMs)
    rows +=
      `<tr class="${entry.isDirectory ? 'dir' : 'file'}"><td class="name">${mark}<a href="${attr(href(entry))}">${htmlEscape(display, true)}</a></td>` +
      `${size}<td class="time"><time datetime="${iso}">${iso.replace('T', ' ').replace('Z', ' UTC')}</time></td></tr>\n`
  }
  if (entries.length === 0) {
    rows += `<tr><td class="name" colspan="3">${request.q === '' ? 'This folder is empty.' : 'No names match the filter.'}</td></tr>\n`
  }
  const hidden = (name: string, value: string): string => `<input type="hidden" name="${name}" value="${attr(value)}">`
  const downloads = archives
    ? '<span>Download: <a href="?download=zip" download>ZIP</a> · <a href="?download=tar.gz" download>tar.gz</a></span>'
    : ''
  // A same-origin form (the access guard refuses cross-site posts); the answer is a 303 back here.
  const upload = uploadForm
    ? '<form method="post" enctype="multipart/form-data" action="./" class="upload"><input type="file" name="file" multiple aria-label="Files to upload"><button type="submit">Upload</button></form>\n'
    : ''
  const count = request.q === '' ? `${total} ${total === 1 ? 'entry' : 'entries'}` : `${entries.length} of ${total} entries`
  const heading = `Index of ${htmlEscape(title, false)}`
  return Buffer.from(
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<meta name="color-scheme" content="light dark">\n' +
      `<title>${heading}</title>\n<style>\n${STYLE}\n</style>\n</head>\n<body>\n` +
      `<h1><nav aria-label="Breadcrumbs">${crumbs}</nav></h1>\n` +
      '<div class="bar">\n' +
      `<form method="get" role="search"><input type="search" name="q" value="${attr(rawQ)}" placeholder="Filter names" aria-label="Filter names">` +
      (request.sort === 'name' ? '' : hidden('sort', request.sort)) +
      (request.order === 'asc' ? '' : hidden('order', request.order)) +
      '<button type="submit">Filter</button></form>\n' +
      `${downloads}<span class="count">${count}</span>\n</div>\n` +
      upload +
      '<table>\n<thead><tr>' +
      header('name', 'Name', 'name') +
      header('size', 'Size', 'size') +
      header('time', 'Modified', 'time') +
      '</tr></thead>\n<tbody>\n' +
      rows +
      '</tbody>\n</table>\n</body>\n</html>\n',
    'utf8',
  )
}

/** A strong validator for a listing body: the body's own digest. */
export function listingETag(body: Buffer): string {
  return `"l-${process.getBuiltinModule('node:crypto').createHash('sha1').update(body).digest('base64url')}"`
}

/**
 * A listing's 200 with `ETag` and `Vary: Accept`, or its 304 when `If-None-Match` matches
 * (the CPython-style listing goes through here too).
 */
export function validatedListing(
  body: Buffer,
  contentType: string,
  etag: string,
  headers: RequestHeaders | undefined,
  extra: readonly HeaderPair[],
): StaticPlan {
  const ifNoneMatch = headers?.get('if-none-match')
  if (ifNoneMatch !== undefined && matchesETag(ifNoneMatch, etag, false)) {
    return { kind: 'send', status: 304, headers: [['ETag', etag], ['Vary', 'Accept'], ...extra], body: undefined }
  }
  return {
    kind: 'send',
    status: 200,
    headers: [
      ['Content-type', contentType],
      ['Content-Length', String(body.length)],
      ['ETag', etag],
      ['Vary', 'Accept'],
      ...extra,
    ],
    body: ResponseBody.fromBuffer(body),
  }
}

interface DirectoryState {
  readonly dev: number
  readonly ino: number
  readonly mtimeMs: number
  readonly ctimeMs: number
  readonly readAt: number
  readonly entries: readonly VisibleEntry[]
  /** Rendered pages by variant (format, sort, order, filter, title). */
  readonly variants: Map<string, { readonly body: Buffer; readonly etag: string }>
}

/** The listing modes beyond CPython's, for one root. */
export class Browser {
  readonly #root: string
  readonly #options: ResolvedOptions
  readonly #policy: ListingPolicy
  readonly #directories = new Map<string, DirectoryState>()
  /** Reads in progress: concurrent requests for one directory share one read. */
  readonly #reading = new Map<string, Promise<DirectoryState>>()
  /** Folder downloads walking or being written now. */
  #archives = 0

  constructor(root: string, options: ResolvedOptions, policy: ListingPolicy) {
    this.#root = root
    this.#options = options
    this.#policy = policy
  }

  /**
   * The answer for a directory listing request, or `undefined` for CPython's listing (python
   * mode, HTML). Throws what reading the directory throws.
   */
  async plan(dirPath: string, publicTarget: string, headers: RequestHeaders | undefined): Promise<StaticPlan | undefined> {
    const options = this.#options
    if (options.listing === 'off') {
      return { kind: 'refuse', status: 404, message: 'File not found', explain: undefined, reason: 'cannot-list' }
    }
    const parts = splitTarget(publicTarget)
    const request = parseBrowseRequest(options, parts.query, headers)
    if (request.format === 'html' && options.listing === 'python') return undefined
    const title = unquote(parts.path)
    const isRoot = path.resolve(dirPath) === this.#root
    if ((request.format === 'zip' || request.format === 'tar.gz') && options.archive !== false) {
      // Each download holds its folder's member list and an open file until it ends: a flood of
      // downloads of a big folder is turned away instead of filling memory.
      const limits = options.archive
      if (this.#archives >= limits.atOnce) {
        return { kind: 'refuse', status: 503, message: 'Too many folder downloads at once', explain: 'Try again when one has finished.', reason: 'archives-busy' }
      }
      this.#archives++
      let source: BodySource
      try {
        const members = await collectMembers(dirPath, isRoot, this.#policy, limits.maxMembers)
        if (members === undefined) {
          this.#archives--
          const explain = `A folder download holds at most ${limits.maxMembers} files and folders.`
          return { kind: 'refuse', status: 403, message: 'Folder too large to download as an archive', explain, reason: 'archive-too-large' }
        }
        source = this.#counted(request.format === 'zip' ? zipSource(members) : tarGzSource(members))
      } catch (error) {
        this.#archives--
        throw error
      }
      const name = `${archiveBaseName(title)}.${request.format}`
      const head: HeaderPair[] = [
        ['Content-type', request.format === 'zip' ? 'application/zip' : 'application/gzip'],
        ['Content-Disposition', contentDisposition(name)],
      ]
      // A gzipped stream's length is unknown: it ends when the connection does.
      if (Number.isNaN(source.length)) head.push(['Connection', 'close'])
      else head.push(['Content-Length', String(source.length)])
      return { kind: 'send', status: 200, headers: [...head, ...options.extraHeaders], body: ResponseBody.fromSource(source) }
    }
    const state = await this.#state(dirPath, isRoot)
    const rawQ = (new URLSearchParams(parts.query ?? '').get('q') ?? '').slice(0, MAX_FILTER)
    const key = JSON.stringify([request.format, request.sort, request.order, rawQ, title])
    let variant = state.variants.get(key)
    if (variant === undefined) {
      const shown = arrange(state.entries, request)
      const body =
        request.format === 'json'
          ? renderJSON(title, shown)
          : renderRich(title, shown, request, rawQ, options.archive !== false, state.entries.length, options.uploadForm)
      variant = { body, etag: listingETag(body) }
      if (state.variants.size >= VARIANT_LIMIT) state.variants.clear()
      state.variants.set(key, variant)
    }
    const type = request.format === 'json' ? 'application/json' : 'text/html; charset=utf-8'
    return validatedListing(variant.body, type, variant.etag, headers, options.extraHeaders)
  }

  /** `source`, counted among the downloads in progress until it is written or closed (whichever comes first). */
  #counted(source: BodySource): BodySource {
    let done = false
    const release = (): void => {
      if (done) return
      done = true
      this.#archives--
    }
    return {
      length: source.length,
      async produce(out, flushed) {
        try {
          await source.produce(out, flushed)
        } finally {
          release()
        }
      },
      close() {
        source.close?.()
        release()
      },
    }
  }

  /** The directory's entries, reused while its stat is unchanged and for at most {@link ENTRY_TTL_MS}. */
  async #state(dirPath: string, isRoot: boolean): Promise<DirectoryState> {
    const stats = statSync(dirPath)
    const now = Date.now()
    const known = this.#directories.get(dirPath)
    if (
      known?.ino === stats.ino &&
      known.dev === stats.dev &&
      known.mtimeMs === stats.mtimeMs &&
      known.ctimeMs === stats.ctimeMs &&
      now - known.readAt < ENTRY_TTL_MS
    ) {
      return known
    }
    let reading = this.#reading.get(dirPath)
    if (reading === undefined) {
      reading = this.#read(dirPath, isRoot, stats).finally(() => this.#reading.delete(dirPath))
      this.#reading.set(dirPath, reading)
    }
    return reading
  }

  async #read(dirPath: string, isRoot: boolean, stats: Stats): Promise<DirectoryState> {
    const { entries } = await readVisibleEntries(dirPath, isRoot, this.#policy)
    const state: DirectoryState = {
      dev: stats.dev,
      ino: stats.ino,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      // From the end of the read: a slow read (a busy machine) must still be reused for a while.
      readAt: Date.now(),
      entries,
      variants: new Map(),
    }
    if (this.#directories.size >= DIRECTORY_CACHE_LIMIT) this.#directories.clear()
    this.#directories.set(dirPath, state)
    return state
  }
}
