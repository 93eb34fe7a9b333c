/**
 * What we know about files, validated by one `stat` per request: the stat facts, the derived
 * headers, the real path, and (for small files) the bytes. Shared by every root in the process
 * and bounded in entries and bytes.
 * @module
 */
import type { Stats } from 'node:fs'

/** The kinds of file-system object the server tells apart. */
export type FileKind = 'file' | 'directory' | 'other'

/** Limits of the process-wide cache. Tests may change them; nothing else should. */
export const cacheTuning = {
  /** Files up to this size are kept in memory. */
  maxFileSize: 64 * 1024,
  /** Bytes of file content kept in memory, in total. */
  maxBytes: 16 * 1024 * 1024,
  /** Entries kept (with or without content). */
  maxEntries: 8192,
  /**
   * A file changed less than this long ago is not kept in memory: two writes within one tick of
   * the file system's clock can leave size and mtime unchanged (git's "racy" problem), and only
   * a later stat can tell them apart.
   */
  racyWindowMs: 2000,
}

/** One file-system object as last seen by `stat`, with what was derived from it. */
export class FileEntry {
  readonly dev: number
  readonly ino: number
  readonly size: number
  readonly mtimeMs: number
  readonly ctimeMs: number
  readonly kind: FileKind
  /** The strong entity tag: `"<size hex>-<mtime µs hex>"`. */
  readonly etag: string
  /** `Last-Modified`: the mtime as an IMF-fixdate (whole seconds, as CPython). */
  readonly lastModified: string
  /** `realpath` of the entry: unknown yet (`undefined`) or failed (`null`). */
  realPath: string | null | undefined
  /** The root the last containment verdict was computed for, and the verdict. */
  verdictRoot: string | undefined
  verdictInside = false
  /** The content, for small files read while they were stable. */
  body: Buffer | undefined
  /** `guessType` of the path, when the default one is used. */
  type: string | undefined
  /** Hits since the entry last moved to the back of the eviction order. */
  hits = 0

  constructor(stats: Stats) {
    this.dev = stats.dev
    this.ino = stats.ino
    this.size = stats.size
    this.mtimeMs = stats.mtimeMs
    this.ctimeMs = stats.ctimeMs
    this.kind = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other'
    this.etag = `"${stats.size.toString(16)}-${Math.round(stats.mtimeMs * 1000).toString(16)}"`
    this.lastModified = new Date(stats.mtimeMs).toUTCString()
  }

  /** Whether `stats` describes the same, unchanged object. */
  matches(stats: Stats): boolean {
    return (
      stats.ino === this.ino &&
      stats.size === this.size &&
      stats.mtimeMs === this.mtimeMs &&
      stats.ctimeMs === this.ctimeMs &&
      stats.dev === this.dev
    )
  }
}

/**
 * Hits between two moves of an entry to the back of the eviction order: a move (delete and
 * re-insert) on every hit is a measurable share of a 304's cost, and an order this close to LRU
 * evicts the same entries in practice (as in the derived cache).
 */
const TOUCH_EVERY = 32

/** Least-recently-used map of path → entry (a `Map` keeps insertion order). */
class FileCache {
  readonly #entries = new Map<string, FileEntry>()
  #bytes = 0

  /** The entry for `fsPath` if `stats` still matches it, else a fresh one (replacing the old). */
  entry(fsPath: string, stats: Stats): FileEntry {
    const entries = this.#entries
    const known = entries.get(fsPath)
    if (known !== undefined) {
      if (known.matches(stats)) {
        if (++known.hits >= TOUCH_EVERY) {
          known.hits = 0
          entries.delete(fsPath)
          entries.set(fsPath, known)
        }
        return known
      }
      entries.delete(fsPath)
      if (known.body !== undefined) this.#bytes -= known.body.length
    }
    const fresh = new FileEntry(stats)
    entries.set(fsPath, fresh)
    if (entries.size > cacheTuning.maxEntries) this.#evict()
    return fresh
  }

  /**
   * Keep `body` as the content of `entry` when it is small, was read while the file was stable
   * (the caller checked), and the file did not change within the racy window.
   */
  keep(fsPath: string, entry: FileEntry, body: Buffer, nowMs: number): void {
    if (entry.body !== undefined || body.length > cacheTuning.maxFileSize) return
    if (nowMs - Math.max(entry.mtimeMs, entry.ctimeMs) < cacheTuning.racyWindowMs) return
    // The entry may have been replaced while the file was read.
    if (this.#entries.get(fsPath) !== entry) return
    entry.body = body
    this.#bytes += body.length
    if (this.#bytes > cacheTuning.maxBytes) this.#evict()
  }

  /** Drop least-recently-used entries until both limits hold. */
  #evict(): void {
    for (const [key, old] of this.#entries) {
      if (this.#entries.size <= cacheTuning.maxEntries && this.#bytes <= cacheTuning.maxBytes) break
      this.#entries.delete(key)
      if (old.body !== undefined) this.#bytes -= old.body.length
    }
  }

  /** Bytes of content held (for tests). */
  get bytes(): number {
    return this.#bytes
  }

  /** Forget everything (for tests). */
  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }
}

/** The process-wide cache. */
export const fileCache = new FileCache()
