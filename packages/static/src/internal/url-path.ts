/**
 * CPython's `translate_path`, and the text CPython derives from the path (redirect target,
 * listing title, link quoting). The safety checks live in the resolver (`../resolver.ts`).
 * @module
 */
import path from 'node:path'
import { decodeUTF8SurrogatePass, wtf8, type TargetParts } from '../resolver.js'

const SLASH = 0x2f
const BACKSLASH = 0x5c
const PERCENT = 0x25
const IS_WINDOWS = process.platform === 'win32'

/**
 * Python's `urllib.parse.unquote(text, errors='surrogatepass')`, falling back to
 * `errors='replace'` as CPython's handler does: `%XX` escapes become bytes, the bytes are read as
 * UTF-8 (encoded surrogates kept as lone surrogates, other invalid sequences replaced), and
 * malformed escapes stay as they are.
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
  return decodeUTF8SurrogatePass(Uint8Array.from(bytes))
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
 * This is the public, CPython-compatible mapping. Requests go through the resolver
 * first, which refuses what this function would silently rewrite (`/../x` → `x`).
 */
export function translatePath(directory: string, target: string): string {
  let p = target
  const mark = p.indexOf('?')
  if (mark !== -1) p = p.slice(0, mark)
  const hash = p.indexOf('#')
  if (hash !== -1) p = p.slice(0, hash)
  p = unquote(p)
  // After decoding (gh-134098): `%2F` at the end counts.
  const trailingSlash = p.endsWith('/')
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

/** Python's `urllib.parse.quote(text, errors='surrogatepass')` (safe `/`, UTF-8, upper-case hex): listing hrefs. */
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
  for (const byte of wtf8(text)) {
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
