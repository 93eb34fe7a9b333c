/**
 * `guess_type` and `extensions_map`: CPython's lookup order on top of the `mime-types` database.
 * @module
 */
import { createRequire } from 'node:module'

/**
 * CPython's `SimpleHTTPRequestHandler.extensions_map` (3.9+): only the overrides; everything else
 * comes from the MIME database. `.gz` and friends are served as archives, never as
 * `Content-Encoding` (the file is what the client asked for).
 */
export const EXTENSIONS_MAP: Readonly<Record<string, string>> = Object.freeze({
  '.gz': 'application/gzip',
  '.Z': 'application/octet-stream',
  '.bz2': 'application/x-bzip2',
  '.xz': 'application/x-xz',
})

/**
 * Where Python's built-in `mimetypes` table and `mime-types` disagree on names a Python user
 * serves often, Python wins (`.py` shows as text in the browser rather than downloading).
 */
const PYTHON_TYPES = new Map([
  ['py', 'text/x-python'],
  ['c', 'text/plain'],
  ['h', 'text/plain'],
  ['xml', 'text/xml'],
])

/**
 * The extensions a site is mostly made of, with `mime-types`' answer for each (a test checks they
 * agree): the first requests need no MIME database. The database (mime-db, a 200 KB JSON file
 * parsed at load) is read the first time another extension is asked for — not at start-up.
 */
const COMMON_TYPES = new Map([
  ['html', 'text/html'],
  ['htm', 'text/html'],
  ['css', 'text/css'],
  ['js', 'text/javascript'],
  ['mjs', 'text/javascript'],
  ['json', 'application/json'],
  ['txt', 'text/plain'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['svg', 'image/svg+xml'],
  ['webp', 'image/webp'],
  ['ico', 'image/vnd.microsoft.icon'],
  ['woff2', 'font/woff2'],
  ['wasm', 'application/wasm'],
  ['pdf', 'application/pdf'],
  ['md', 'text/markdown'],
  ['map', 'application/json'],
])

let database: Readonly<Record<string, string | undefined>> | undefined

/** `mime-types`' extension table, loaded on first use. */
export function mimeDatabase(): Readonly<Record<string, string | undefined>> {
  if (database === undefined) {
    const mimeTypes = createRequire(import.meta.url)('mime-types') as { types: Record<string, string | undefined> }
    database = mimeTypes.types
  }
  return database
}

/**
 * `posixpath.splitext(p)[1]`: the last `.suffix` of the last path component, ignoring leading
 * dots (`.bashrc` has none). Windows separators count as separators too.
 */
export function extensionOf(p: string): string {
  const dot = p.lastIndexOf('.')
  if (dot <= 0) return ''
  const sep = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'))
  if (dot < sep) return ''
  for (let i = sep + 1; i < dot; i++) {
    if (p.charCodeAt(i) !== 0x2e) return p.slice(dot)
  }
  return ''
}

/**
 * CPython's `guess_type`: the exact-case extension in `extensionsMap`, then lower-case, then the
 * MIME database, else `application/octet-stream`. Text types carry no `charset`, as in CPython
 * (`text/html`, `text/javascript`).
 */
export function guessType(p: string, extensionsMap: Readonly<Record<string, string>> = EXTENSIONS_MAP): string {
  const ext = extensionOf(p)
  if (Object.hasOwn(extensionsMap, ext)) return extensionsMap[ext] as string
  const lower = ext.toLowerCase()
  if (Object.hasOwn(extensionsMap, lower)) return extensionsMap[lower] as string
  if (lower === '') return 'application/octet-stream'
  const bare = lower.slice(1)
  return PYTHON_TYPES.get(bare) ?? COMMON_TYPES.get(bare) ?? mimeDatabase()[bare] ?? 'application/octet-stream'
}
