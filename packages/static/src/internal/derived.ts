/**
 * Representations derived from a file's bytes — compressed with brotli or gzip, or an HTML page
 * with the live-reload script — kept in a bounded cache while the file is unchanged. Each has
 * its own strong ETag (the file's plus a tag), so `If-None-Match`, `Range` and `If-Range` work on
 * the derived bytes exactly as on a file, and a resumed download is byte-exact.
 * @module
 */
import { open } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Transform } from 'node:stream'
import { brotliCompress, constants as zlib, createBrotliCompress, createGzip, gzip, type BrotliOptions } from 'node:zlib'
import type { Encoding } from './conditional.js'
import type { FileEntry } from './file-cache.js'
import { fsArg } from '../resolver.js'

/** How to make one derived representation of a file. */
export interface Derivation {
  /** Appended to the file's ETag (`"5a-1f3"` → `"5a-1f3-br"`) and part of the cache key. */
  readonly tag: string
  /** The `Content-Encoding` of the result, if it is an encoding of the file. */
  readonly encoding: Encoding | undefined
  /** The derived bytes. */
  make(content: Buffer): Promise<Buffer>
}

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

/**
 * Brotli at quality 5: within a few percent of 11 on text, and about 30× faster, so the first
 * request for a file does not stall; later ones come from the cache.
 */
function brotliOptions(size: number): BrotliOptions {
  return {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 5,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: size,
    },
  }
}

const BROTLI: Derivation = { tag: 'br', encoding: 'br', make: (content) => brotli(content, brotliOptions(content.length)) }
const GZIP: Derivation = { tag: 'gzip', encoding: 'gzip', make: (content) => gzipAsync(content) }

/** A compressor for a file of `size` bytes compressed while it is sent, with the same settings. */
export function compressStream(encoding: Encoding, size: number): Transform {
  return encoding === 'br' ? createBrotliCompress(brotliOptions(size)) : createGzip()
}

/** The derivation for a negotiated content coding. */
export function compression(encoding: Encoding): Derivation {
  return encoding === 'br' ? BROTLI : GZIP
}

/** One derivation after another (the live-reload script inserted, then the page compressed). */
export function chain(first: Derivation, then: Derivation | undefined): Derivation {
  if (then === undefined) return first
  return {
    tag: `${first.tag}-${then.tag}`,
    encoding: then.encoding ?? first.encoding,
    make: async (content) => then.make(await first.make(content)),
  }
}

/** A derived representation's ETag: the file's, with the tag inside the quotes. */
export function derivedETag(fileETag: string, tag: string): string {
  return `${fileETag.slice(0, -1)}-${tag}"`
}

const COMPRESSIBLE_APPLICATION = new Set([
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/json',
  'application/xml',
  'application/wasm',
  'application/x-sh',
  'application/x-tex',
  'application/x-latex',
  'application/rtf',
  'application/postscript',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'application/x-font-otf',
  'font/ttf',
  'font/otf',
  'image/svg+xml',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
])

/**
 * Whether a `Content-type` is worth compressing: text, JSON, JavaScript, XML and SVG, wasm,
 * uncompressed fonts. Not images, audio, video, archives or fonts that are compressed already.
 */
export function isCompressible(contentType: string): boolean {
  const semi = contentType.indexOf(';')
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  if (type.startsWith('text/')) return true
  if (type.endsWith('+json') || type.endsWith('+xml')) return true
  return COMPRESSIBLE_APPLICATION.has(type)
}

interface Kept {
  readonly dev: number
  readonly ino: number
  readonly etag: string
  readonly bytes: Buffer
  /** The derived representation's own ETag, made once. */
  readonly derivedETag: string
  /** Hits since it last moved to the back of the eviction order. */
  hits: number
}

/**
 * Hits between two moves of an entry to the back of the eviction order: a move (delete and
 * re-insert) on every hit cost a few percent of a cached small page's requests per second, and
 * an order this close to LRU evicts the same entries in practice.
 */
const TOUCH_EVERY = 32

/** Derived bytes by tag and file path, least recently used first out, bounded in total bytes. */
export class DerivedCache {
  /** By tag, then path: no key string to build per request. Each inner Map's order is its eviction order. */
  readonly #byTag = new Map<string, Map<string, Kept>>()
  #bytes = 0
  maxBytes: number

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** The bytes made from this very version of the file (and their ETag), if kept. */
  get(fsPath: string, entry: FileEntry, tag: string): { readonly bytes: Buffer; readonly derivedETag: string } | undefined {
    const kept = this.#byTag.get(tag)?.get(fsPath)
    if (kept === undefined) return undefined
    if (kept.etag !== entry.etag || kept.ino !== entry.ino || kept.dev !== entry.dev) {
      this.#drop(tag, fsPath, kept)
      return undefined
    }
    if (++kept.hits >= TOUCH_EVERY) {
      kept.hits = 0
      const inner = this.#byTag.get(tag) as Map<string, Kept>
      inner.delete(fsPath)
      inner.set(fsPath, kept)
    }
    return kept
  }

  set(fsPath: string, entry: FileEntry, tag: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes / 4) return // one file must not flush everything else
    let inner = this.#byTag.get(tag)
    if (inner === undefined) {
      inner = new Map()
      this.#byTag.set(tag, inner)
    }
    const old = inner.get(fsPath)
    if (old !== undefined) this.#drop(tag, fsPath, old)
    inner.set(fsPath, { dev: entry.dev, ino: entry.ino, etag: entry.etag, bytes, derivedETag: derivedETag(entry.etag, tag), hits: 0 })
    this.#bytes += bytes.length
    // Evict the oldest of each tag in turn until under the bound.
    while (this.#bytes > this.maxBytes) {
      let evicted = false
      for (const [oldTag, entries] of this.#byTag) {
        const first = entries.entries().next()
        if (first.done === true) continue
        const [oldPath, value] = first.value
        this.#drop(oldTag, oldPath, value)
        evicted = true
        if (this.#bytes <= this.maxBytes) break
      }
      if (!evicted) break
    }
  }

  /** Bytes held now. */
  get size(): number {
    return this.#bytes
  }

  #drop(tag: string, fsPath: string, kept: Kept): void {
    this.#byTag.get(tag)?.delete(fsPath)
    this.#bytes -= kept.bytes.length
  }
}

/** Process-wide, like the file cache: 32 MiB of derived bytes. */
export const derivedCache = new DerivedCache(32 * 1024 * 1024)

/**
 * Read the whole file if it is still exactly `entry` (same inode, size and times before and
 * after the read); `undefined` if it changed or went away, so the caller can start over.
 */
export async function readIfUnchanged(fsPath: string, entry: FileEntry): Promise<Buffer | undefined> {
  let file
  try {
    file = await open(fsArg(fsPath), 'r')
  } catch {
    return undefined
  }
  try {
    const before = await file.stat()
    if (before.ino !== entry.ino || before.dev !== entry.dev || !entry.matches(before)) return undefined
    const buffer = Buffer.allocUnsafe(entry.size)
    let filled = 0
    while (filled < entry.size) {
      const { bytesRead } = await file.read(buffer, filled, entry.size - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    const after = await file.stat()
    if (filled !== entry.size || !entry.matches(after)) return undefined
    return buffer
  } finally {
    await file.close()
  }
}
