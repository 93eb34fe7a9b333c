/**
 * From request-target to file-system path: splitting, decoding, the safety checks, CPython's
 * `translate_path`, and the text CPython derives from the path (redirect target, listing title,
 * link quoting).
 * @module
 */
import path from 'node:path'

const SLASH = 0x2f
const BACKSLASH = 0x5c
const PERCENT = 0x25
const IS_WINDOWS = process.platform === 'win32'

/** A request-target split into its (still percent-encoded) path and query. */
export interface TargetParts {
  /** Starts with `/` for origin-form targets; a leading run of slashes is collapsed to one. */
  readonly path: string
  /** Without the `?`; `undefined` when there is no `?`. */
  readonly query: string | undefined
}

/**
 * Split a request-target: fragment and query go (CPython drops `#…` first, then `?…`),
 * absolute-form (`http://host/p`, RFC 9112 §3.2.2) keeps only its path, and a leading `//…` is
 * collapsed to `/…` as CPython's handler does (gh-87389: `//host` must never reach a Location).
 */
export function splitTarget(target: string): TargetParts {
  let rest = target
  if (rest.charCodeAt(0) !== SLASH) rest = absoluteFormPath(rest)
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const mark = rest.indexOf('?')
  const query = mark === -1 ? undefined : rest.slice(mark + 1)
  let urlPath = mark === -1 ? rest : rest.slice(0, mark)
  if (urlPath.charCodeAt(1) === SLASH && urlPath.charCodeAt(0) === SLASH) {
    let i = 2
    while (urlPath.charCodeAt(i) === SLASH) i++
    urlPath = '/' + urlPath.slice(i)
  }
  return { path: urlPath, query }
}

/** `scheme://authority/path?q` → `/path?q`; anything else (`*`, `a/b`) is returned unchanged. */
function absoluteFormPath(target: string): string {
  const sep = target.indexOf('://')
  if (sep <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(target.slice(0, sep))) return target
  let end = sep + 3
  while (end < target.length) {
    const c = target.charCodeAt(end)
    if (c === SLASH || c === 0x3f /* ? */ || c === 0x23 /* # */) break
    end++
  }
  if (end === target.length) return '/'
  return target.charCodeAt(end) === SLASH ? target.slice(end) : '/' + target.slice(end)
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Request lines arrive as bytes and are read as Latin-1 (by our parser and by `node:http`), so
 * a client that sends raw UTF-8 instead of `%XX` escapes gives `fÃ¼nke`. Read such bytes as the
 * UTF-8 they are; `undefined` when they are not valid UTF-8. Strings with characters above
 * U+00FF did not come off the wire and are returned as they are.
 */
export function fromWire(text: string): string | undefined {
  let high = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0xff) return text
    if (c > 0x7f) high = true
  }
  if (!high) return text
  try {
    return UTF8.decode(Buffer.from(text, 'latin1'))
  } catch {
    return undefined
  }
}

/** Why a path was refused before it reached the file system. */
export type PathRefusal =
  | 'not-origin-form'
  | 'bad-escape'
  | 'nul'
  | 'traversal'
  | 'backslash'
  | 'drive'
  | 'dotfile'

/** The outcome of {@link checkUrlPath}. */
export type PathCheck =
  | {
      readonly ok: true
      /** Decoded, normalized segments (no `''`, `.` or `..`). */
      readonly segments: readonly string[]
      /** The path ended with `/` before decoding (as in CPython's `translate_path`, `%2F` does not count). */
      readonly trailingSlash: boolean
    }
  | { readonly ok: false; readonly status: 400 | 404; readonly reason: PathRefusal }

/**
 * The safety checks, in `send`'s order: decode once (a bad escape or invalid UTF-8, which
 * includes over-long forms such as `%c0%ae`, is a 400), refuse NUL (400), normalize `.` and
 * `..`, refuse what climbs above the root, refuse backslashes and drive letters (they mean
 * something else to Windows), then refuse dotfiles unless allowed. Refusals other than 400 are
 * 404s, so a probe learns nothing about what exists.
 */
export function checkUrlPath(urlPath: string, allowDotfiles: boolean): PathCheck {
  if (urlPath.charCodeAt(0) !== SLASH) return { ok: false, status: 404, reason: 'not-origin-form' }
  const text = fromWire(urlPath)
  if (text === undefined) return { ok: false, status: 400, reason: 'bad-escape' }
  let decoded = text
  if (text.includes('%')) {
    try {
      // Decoded exactly once: `%252e` becomes the literal name `%2e`, never `.` (double-decoding attack).
      decoded = decodeURIComponent(text)
    } catch {
      // malicious or broken path: `%zz`, a lone `%`, invalid or over-long UTF-8 (`%c0%ae`)
      return { ok: false, status: 400, reason: 'bad-escape' }
    }
  }
  // NUL truncates paths in C APIs (poison-null-byte attack).
  if (decoded.includes('\0')) return { ok: false, status: 400, reason: 'nul' }
  const segments: string[] = []
  let start = 1
  const length = decoded.length
  for (let i = 1; i <= length; i++) {
    if (i < length && decoded.charCodeAt(i) !== SLASH) continue
    const segment = decoded.slice(start, i)
    start = i + 1
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      // Directory traversal: `..` that would climb above the root (`/../x`, `/a/../../x`).
      if (segments.length === 0) return { ok: false, status: 404, reason: 'traversal' }
      segments.pop()
      continue
    }
    // `..\x` and `%5c`: a separator on Windows, a way around the `/` split everywhere else.
    if (segment.includes('\\')) return { ok: false, status: 404, reason: 'backslash' }
    // `C:` (and on Windows any `:`, which also names alternate data streams): an absolute path there.
    if (isDriveLike(segment)) return { ok: false, status: 404, reason: 'drive' }
    segments.push(segment)
  }
  if (!allowDotfiles) {
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string
      // `.git/`, `.env`: hidden by default; `/.well-known/` (RFC 8615) stays reachable.
      if (segment.charCodeAt(0) === 0x2e && !(i === 0 && segment === '.well-known')) {
        return { ok: false, status: 404, reason: 'dotfile' }
      }
    }
  }
  return { ok: true, segments, trailingSlash: urlPath.charCodeAt(urlPath.length - 1) === SLASH }
}

function isDriveLike(segment: string): boolean {
  if (IS_WINDOWS) return segment.includes(':')
  if (segment.charCodeAt(1) !== 0x3a /* : */) return false
  const c = segment.charCodeAt(0) | 0x20
  return c >= 0x61 && c <= 0x7a
}

/**
 * Python's `urllib.parse.unquote`: `%XX` escapes become bytes, the bytes are read as UTF-8 with
 * replacement characters for invalid sequences, and malformed escapes stay as they are.
 */
export function unquote(text: string): string {
  if (!text.includes('%')) return text
  const bytes: number[] = []
  const utf8 = Buffer.from(text, 'utf8')
  for (let i = 0; i < utf8.length; i++) {
    const byte = utf8[i] as number
    if (byte === PERCENT && i + 2 < utf8.length && isHex(utf8[i + 1]) && isHex(utf8[i + 2])) {
      bytes.push(parseInt(String.fromCharCode(utf8[i + 1] as number, utf8[i + 2] as number), 16))
      i += 2
    } else {
      bytes.push(byte)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function isHex(byte: number | undefined): boolean {
  if (byte === undefined) return false
  return (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)
}

/**
 * CPython's `SimpleHTTPRequestHandler.translate_path`: drop `?…` and `#…`, remember a trailing
 * `/`, percent-decode, normalize, keep only components that are plain names (not `.`/`..`,
 * no separator or drive), join them to `directory`, re-append the `/`.
 *
 * This is the public, CPython-compatible mapping. Requests go through {@link checkUrlPath}
 * first, which refuses what this function would silently rewrite (`/../x` → `x`).
 */
export function translatePath(directory: string, target: string): string {
  let p = target
  const mark = p.indexOf('?')
  if (mark !== -1) p = p.slice(0, mark)
  const hash = p.indexOf('#')
  if (hash !== -1) p = p.slice(0, hash)
  // Before decoding, as CPython: `%2F` at the end does not count here.
  const trailingSlash = p.trimEnd().endsWith('/')
  p = unquote(p)
  const words: string[] = []
  for (const word of p.split('/')) {
    if (word === '' || word === '.') continue
    if (word === '..') {
      // posixpath.normpath: `..` removes the previous component, and is dropped at the root.
      words.pop()
      continue
    }
    // os.path.dirname(word) is non-empty only for Windows separators and drives.
    if (IS_WINDOWS && (word.includes('\\') || word.includes(':'))) continue
    words.push(word)
  }
  let result = path.join(directory, ...words)
  if (trailingSlash && !result.endsWith(path.sep)) result += '/'
  return result
}

// ---- text derived from the path -----------------------------------------------------------

/** Bytes `urllib.parse.quote(s, safe='/')` keeps as they are: letters, digits, `_.-~/`. */
const QUOTE_SAFE = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/') {
  QUOTE_SAFE[c.charCodeAt(0)] = 1
}
const HEX = '0123456789ABCDEF'

/** Python's `urllib.parse.quote(text)` (safe `/`, UTF-8, upper-case hex): listing hrefs. */
export function quote(text: string): string {
  let plain = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f || QUOTE_SAFE[c] === 0) {
      plain = false
      break
    }
  }
  if (plain) return text
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    out += QUOTE_SAFE[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4] as string}${HEX[byte & 15] as string}`
  }
  return out
}

/**
 * The `Location` of the trailing-slash redirect: the path as the client sent it plus `/`, and
 * the query if there was one. Always a same-origin path: a leading run of `/` and `\` becomes
 * one `/` (`//evil.com` and `/\evil.com` would be protocol-relative URLs: open redirect), and
 * controls, spaces, backslashes and non-ASCII are percent-encoded (CR/LF: header injection).
 */
export function redirectLocation(parts: TargetParts): string {
  let p = parts.path
  let i = 0
  while (i < p.length && (p.charCodeAt(i) === SLASH || p.charCodeAt(i) === BACKSLASH)) i++
  p = '/' + p.slice(i)
  let location = encodeUnsafe(p) + '/'
  if (parts.query !== undefined && parts.query !== '') location += '?' + encodeUnsafe(parts.query)
  return location
}

/**
 * Percent-encode controls, space, DEL, backslash and non-ASCII. A target read off the wire holds
 * one character per byte (Latin-1), so those characters are encoded as the bytes they were;
 * a string with characters above U+00FF is encoded as UTF-8.
 */
function encodeUnsafe(text: string): string {
  let clean = true
  let wide = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f || c === BACKSLASH) clean = false
    if (c > 0xff) wide = true
  }
  if (clean) return text
  let out = ''
  for (const byte of Buffer.from(text, wide ? 'utf8' : 'latin1')) {
    out +=
      byte <= 0x20 || byte >= 0x7f || byte === BACKSLASH
        ? `%${HEX[byte >> 4] as string}${HEX[byte & 15] as string}`
        : String.fromCharCode(byte)
  }
  return out
}
