/**
 * From a request-target (or a `Destination` URL) to a path under the root that may be written:
 * stricter than reads, because a write that lands in the wrong place cannot be taken back.
 * @module
 */
import { lstat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import path from 'node:path'

/** Temporary files of uploads in progress start with this; they are never served, listed or written by name. */
export const TEMP_PREFIX = '.simplehttp-upload-'

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** A path that may be written, or why not. */
export type WriteTarget =
  | {
      readonly ok: true
      /** Absolute file-system path under the root (the root itself when `segments` is empty). */
      readonly fsPath: string
      /** Decoded segments, each a plain name. */
      readonly segments: readonly string[]
      /** The target ended with `/`. */
      readonly trailingSlash: boolean
      /** `lstat` of the target; `undefined` when it does not exist. */
      readonly stats: Stats | undefined
      /** Whether the parent exists and is a directory. */
      readonly parentIsDirectory: boolean
    }
  | { readonly ok: false; readonly status: 400 | 403 | 409; readonly reason: string }

export interface WritePathOptions {
  /** Allow names that start with a dot. */
  readonly dotfiles: boolean
  /** URL paths the server answers itself (live reload's); never written. */
  readonly isReserved?: ((urlPath: string) => boolean) | undefined
}

function refuse(status: 400 | 403 | 409, reason: string): WriteTarget {
  return { ok: false, status, reason }
}

/**
 * Decode and check a target for writing, in `send`'s order: path only (query and fragment
 * dropped; an absolute URL keeps its path), decode once (bad escapes and invalid UTF-8 → 400),
 * no NUL (400), and then — unlike reads, which normalize — any `..`, backslash, drive letter,
 * dotfile (unless allowed), upload temp name or reserved path is a 403. Then every existing
 * component is `lstat`ed from the root down: a symlink anywhere on the way is a 403 (a write
 * through a link could land outside the root), a file where a directory should be is a 409.
 */
export async function resolveForWriting(root: string, target: string, options: WritePathOptions): Promise<WriteTarget> {
  let urlPath = target
  if (urlPath.charCodeAt(0) !== 0x2f) {
    // absolute-form, or a Destination header: only the path counts, taken as sent (URL parsing
    // would quietly resolve `..`, which writes refuse instead).
    const match = /^https?:\/\/[^/?#]*(.*)$/i.exec(target)
    if (match == null) return refuse(400, 'not an http URL or a path')
    urlPath = match[1] ?? ''
    if (urlPath.charCodeAt(0) !== 0x2f) urlPath = '/' + urlPath
  }
  for (const mark of ['#', '?']) {
    const at = urlPath.indexOf(mark)
    if (at !== -1) urlPath = urlPath.slice(0, at)
  }
  // Raw UTF-8 on the wire arrives as Latin-1 characters (the parser reads bytes as Latin-1).
  // eslint-disable-next-line no-control-regex -- the Latin-1 range is exactly what is being tested
  if (/[\x80-\xff]/.test(urlPath) && !/[^\x00-\xff]/.test(urlPath)) {
    try {
      urlPath = UTF8.decode(Buffer.from(urlPath, 'latin1'))
    } catch {
      return refuse(400, 'invalid UTF-8')
    }
  }
  let decoded: string
  try {
    // Decoded exactly once: `%252e%252e` stays the literal name `%2e%2e` (double-decoding attack).
    decoded = decodeURIComponent(urlPath)
  } catch {
    return refuse(400, 'bad percent-escape')
  }
  // NUL truncates paths in C APIs (poison-null-byte attack).
  if (decoded.includes('\0')) return refuse(400, 'NUL in path')
  const trailingSlash = decoded.endsWith('/')
  const segments: string[] = []
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue
    // Directory traversal (miniserve #518): never normalized away for writes, simply refused.
    if (segment === '..') return refuse(403, 'path contains ..')
    // `..\x`, `C:`: separators and absolute paths on Windows, a way around the `/` split anywhere.
    if (segment.includes('\\') || /^[A-Za-z]:/.test(segment)) return refuse(403, 'backslash or drive letter')
    if (segment.startsWith(TEMP_PREFIX)) return refuse(403, 'upload temporary name')
    // `.git/hooks/…`, `.env`, `.htpasswd`: hidden by default, so never written by default either.
    if (segment.startsWith('.') && !options.dotfiles) return refuse(403, 'dotfile')
    segments.push(segment)
  }
  if (options.isReserved?.('/' + segments.join('/')) === true) return refuse(403, 'reserved path')
  const fsPath = path.join(root, ...segments)
  // Containment by path.relative, never by string prefix (`/www2` is not inside `/www`).
  const rel = path.relative(root, fsPath)
  if (rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return refuse(403, 'outside the root')

  let current = root
  let parentIsDirectory = true
  let stats: Stats | undefined
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i] as string)
    let entry: Stats
    try {
      entry = await lstat(current)
    } catch {
      // Missing from here on: nothing below can be a link.
      parentIsDirectory = i === segments.length - 1
      stats = undefined
      break
    }
    // A symlink on the way (or as the target): the write would follow it, possibly out of the root.
    if (entry.isSymbolicLink()) return refuse(403, 'path through a symlink')
    if (i < segments.length - 1 && !entry.isDirectory()) return refuse(409, 'a file where a directory should be')
    if (i === segments.length - 1) stats = entry
  }
  if (segments.length === 0) stats = await lstat(root)
  return { ok: true, fsPath, segments, trailingSlash, stats, parentIsDirectory }
}

/**
 * A multipart file name reduced to its base name: whatever a browser or a hostile client
 * sends (`../../etc/x`, `C:\\Users\\x`), only the part after the last `/` or `\\` is kept.
 * `undefined` when nothing usable is left.
 */
export function baseName(filename: string): string | undefined {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1).trim()
  if (base === '' || base === '.' || base === '..' || base.includes('\0')) return undefined
  return base
}

/** The strong ETag static sends for a file (size and mtime), so a PUT's ETag matches the next GET's. */
export function fileETag(stats: Stats): string {
  return `"${stats.size.toString(16)}-${Math.round(stats.mtimeMs * 1000).toString(16)}"`
}

/** The percent-encoded URL path of a segment list (RFC 3986 path characters kept). */
export function hrefOf(segments: readonly string[], directory: boolean): string {
  const href = '/' + segments.map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/')
  return directory && segments.length > 0 ? href + '/' : href
}
