/**
 * From a request-target (or a `Destination` URL) to a path under the root that may be written.
 * The decoding and the lexical rules are static's {@link Resolver} (one set of rules for reads
 * and writes); on top, what only a write needs: stricter names, and an `lstat` walk that
 * refuses any symlink on the way, because a write that lands in the wrong place cannot be
 * taken back.
 * @module
 */
import { lstat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import path from 'node:path'
import { isInside, isReservedName, Resolver } from '@simplehttp/static'

/** Temporary files of uploads in progress start with this; they are never served, listed or written by name. */
export const TEMP_PREFIX = '.simplehttp-upload-'

/**
 * Names of the server's own files (upload temporaries, the dead-property store) start with
 * this: never served, listed, or read or written by name, even with dotfiles on.
 */
export const RESERVED_PREFIX = '.simplehttp-'

/** Whether a file name is one of the server's own (see {@link RESERVED_PREFIX}). */
export function isServerName(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX)
}

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
  /** URL paths the server answers itself (live reload's); never written. */
  readonly isReserved?: ((urlPath: string) => boolean) | undefined
  /**
   * The target is only read (PROPFIND, PROPPATCH, a COPY source): names Windows cannot hold
   * ({@link isReservedName}) are still found, since they exist already.
   */
  readonly reading?: boolean
}

function refuse(status: 400 | 403 | 409, reason: string): WriteTarget {
  return { ok: false, status, reason }
}

/** The resolver for writes under `root`: a `..` that would climb above the root is refused, not clamped. */
export function writeResolver(root: string, dotfiles: boolean): Resolver {
  return new Resolver(root, { dotfiles, aboveRoot: 'refuse' })
}

/**
 * Decode and check a target for writing. First the shared resolver's lexical step (path only,
 * absolute URL reduced to its path, decoded once, malformed escapes, raw bytes above 0x7f and
 * NUL → 400; a `..` above the root, a backslash, a drive letter, a dotfile unless allowed → 403).
 * Then the write-only rules (403): bytes that are not UTF-8 (400), a dot name even
 * `/.well-known/` unless `--dotfiles`, an upload temporary name, a reserved path of ours, a
 * name Windows could not hold. Then every existing component is `lstat`ed from the root down:
 * a symlink anywhere on the way is a 403 (a write through a link could land outside the root),
 * a file where a directory should be is a 409.
 */
export async function resolveForWriting(resolver: Resolver, target: string, options: WritePathOptions = {}): Promise<WriteTarget> {
  const resolved = resolver.resolve(target)
  // Reads answer 404 for what they refuse (a probe learns nothing); a write says 403.
  if (!resolved.ok) return refuse(resolved.status === 400 ? 400 : 403, resolved.reason)
  const { segments } = resolved
  if (resolved.fsBytes !== undefined) return refuse(400, 'not UTF-8')
  for (const segment of segments) {
    // `%ff`, overlong `%c0%ae`: the resolver reads them as U+FFFD (as CPython does); a name
    // that is not UTF-8, or an encoded lone surrogate, is never created.
    if (segment.includes('\uFFFD')) return refuse(400, 'not UTF-8')
    if (isServerName(segment)) return refuse(403, "the server's own name (upload temporary, property store)")
    // Reads let `/.well-known/` through; writing there (ACME challenges) needs --dotfiles.
    if (segment.startsWith('.') && !resolver.dotfiles) return refuse(403, 'dotfile')
    if (options.reading !== true && isReservedName(segment)) return refuse(403, 'reserved name')
  }
  if (options.isReserved?.('/' + segments.join('/')) === true) return refuse(403, 'reserved path')
  const { fsPath } = resolved
  if (!isInside(resolver.root, fsPath)) return refuse(403, 'outside the root')

  let current = resolver.root
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
  if (segments.length === 0) stats = await lstat(resolver.root)
  return { ok: true, fsPath, segments, trailingSlash: resolved.trailingSlash, stats, parentIsDirectory }
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
