/**
 * The resolver: request-target → decoded URL path → file-system path → inside the root?
 *
 * Every handler that maps a URL to a file goes through here — the static core, the CGI handler,
 * and later writers (uploads, WebDAV) — so a fix to the path rules reaches all of them at once.
 * Three steps, each usable alone:
 *
 * - {@link splitTarget}: the target's path and query (absolute-form and leading `//` handled);
 * - {@link resolveTarget}: lexical only, no file system — decode once, refuse what is hostile,
 *   normalize, map to a path under the root;
 * - {@link Resolver}: the same plus the file system — real paths, symlinks, containment —
 *   for reading ({@link Resolver.forRead}) and for writing ({@link Resolver.forWrite}).
 *
 * Refusals are values, never exceptions: `{ ok: false, status, reason }`, where `status` is what
 * to answer (400 for a malformed target, 404 for everything else, so a probe learns nothing
 * about what exists) and `reason` is for logs and tests.
 * @module
 */
import { realpathSync, type Stats } from 'node:fs'
import { lstat, realpath, stat } from 'node:fs/promises'
import path from 'node:path'

const SLASH = 0x2f
const IS_WINDOWS = process.platform === 'win32'

// ---- splitting the target -------------------------------------------------------------------

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

// ---- the lexical step -----------------------------------------------------------------------

/** Why a target was refused. */
export type ResolveRefusal =
  /** Not `/…` after absolute-form was taken apart (`*`, `dir/file`). 404. */
  | 'not-origin-form'
  /** A byte above 0x7f sent raw in the target rather than percent-encoded. 400. */
  | 'raw-non-ascii'
  /** A malformed `%` escape (`%zz`, a lone `%`). 400. */
  | 'bad-escape'
  /** A NUL after decoding: it truncates paths in C APIs. 400. */
  | 'nul'
  /** `..` that would climb above the root, when {@link ResolveOptions.aboveRoot} is `'refuse'`. 404. */
  | 'traversal'
  /** A lone surrogate that names no bytes (only U+DC80–U+DCFF stand for bytes). 404. */
  | 'unencodable'
  /** A `\` in a name: a separator on Windows. 404. */
  | 'backslash'
  /** A drive (`C:`), or on Windows any `:` (alternate data streams). 404. */
  | 'drive'
  /** A name that starts with `.`, while dotfiles are not allowed. 404. */
  | 'dotfile'
  /** Nothing there (or not reachable): 404. */
  | 'missing'
  /** Its real path is outside the root's (a symlink out), while symlinks are not followed. 404. */
  | 'outside-root'
  /** Writing: a symlink on the way to, or at, the target. 404. */
  | 'symlink'
  /** Writing: the parent directory does not exist, or is not a directory. 404. */
  | 'no-parent'
  /** Writing: a name no file should have (`CON`, `nul.txt`, `a.`, `a<b`, controls). 404. */
  | 'reserved-name'
  /** Writing: the root itself. 404. */
  | 'root'

/** A refused target: answer `status`; `reason` says why. */
export interface TargetRefusal {
  readonly ok: false
  readonly status: 400 | 404
  readonly reason: ResolveRefusal
}

/** A target that passed the lexical checks. */
export interface ResolvedTarget {
  readonly ok: true
  /** Decoded, normalized names under the root (no `''`, `.` or `..`). */
  readonly segments: readonly string[]
  /** The decoded URL path: `/` + the segments joined, plus `/` when {@link trailingSlash}. */
  readonly path: string
  /** The decoded path ended with `/` (gh-134098: `%2F` counts). */
  readonly trailingSlash: boolean
  /** The query, still encoded; `undefined` when there was no `?`. */
  readonly query: string | undefined
  /** Where the segments lead under the root. Nothing has been looked up yet. */
  readonly fsPath: string
  /**
   * The bytes of `fsPath` when a name is not UTF-8 (it holds U+DC80–U+DCFF for those bytes,
   * as Python's `surrogateescape`): pass these to `node:fs`, which would turn the string's
   * lone surrogates into U+FFFD. `undefined` for the usual, UTF-8 path.
   */
  readonly fsBytes: Buffer | undefined
}

/** What the lexical rules may allow. */
export interface ResolveOptions {
  /** Let names that start with `.` through. Default `false` (`/.well-known/` is always allowed). */
  readonly dotfiles?: boolean
  /**
   * What `..` above the root does: `'clamp'` (default) stays at the root as CPython's
   * `posixpath.normpath` does (`/../x` is `/x`); `'refuse'` refuses the target with
   * `'traversal'`, as serve-static's `send` does (it answers 403).
   */
  readonly aboveRoot?: 'clamp' | 'refuse'
}

function refusal(status: 400 | 404, reason: ResolveRefusal): TargetRefusal {
  return { ok: false, status, reason }
}

/**
 * The lexical step, for a URL path already split off its query ({@link splitTarget}), with
 * CPython's `translate_path` rules and our refusals on top:
 *
 * - a raw byte above 0x7f (not percent-encoded) is not a valid target: 400;
 * - decode once, as CPython's `unquote(path, errors='surrogatepass')`: `%XX` → bytes → UTF-8,
 *   where bytes that are not UTF-8 (`%ff`) decode with U+FFFD as CPython falls back to, and an
 *   encoded surrogate (`%ED%B3%BF`, CPython's link to a file named with the byte `0xff`) stays a
 *   lone surrogate; a malformed escape (`%zz`, a lone `%`) is a 400 (CPython keeps it as text);
 * - NUL: 400; a trailing `/` is judged after decoding (gh-134098: `/file%2f` is not the file);
 * - `.` and `..` resolve and clamp at the root (`/../x`, `/%2e%2e/x`, `..%2f..` are `/x`), or
 *   refuse with `'traversal'` when `aboveRoot` is `'refuse'`;
 * - a `\` or a drive (`C:`) in a name: 404 (they mean something else to Windows);
 * - dotfiles: 404 unless allowed (`/.well-known/` always is).
 */
export function resolveUrlPath(
  urlPath: string,
  options?: ResolveOptions,
): { readonly ok: true; readonly segments: string[]; readonly trailingSlash: boolean } | TargetRefusal {
  if (urlPath.charCodeAt(0) !== SLASH) return refusal(404, 'not-origin-form')
  let decoded = urlPath
  let escaped = false
  for (let i = 0; i < urlPath.length; i++) {
    const c = urlPath.charCodeAt(i)
    // Request lines are bytes read as Latin-1: anything above 0x7f was sent raw, not encoded.
    if (c > 0x7f) return refusal(400, 'raw-non-ascii')
    if (c === 0x25 /* % */) escaped = true
  }
  if (escaped) {
    const bytes = percentDecode(urlPath)
    // `%zz`, a lone `%`: malformed, refused rather than taken as text.
    if (bytes === undefined) return refusal(400, 'bad-escape')
    // Decoded exactly once: `%252e` becomes the literal name `%2e`, never `.` (double-decoding attack).
    decoded = decodeUTF8SurrogatePass(bytes)
  }
  // NUL truncates paths in C APIs (poison-null-byte attack).
  if (decoded.includes('\0')) return refusal(400, 'nul')
  const segments: string[] = []
  let start = 1
  const length = decoded.length
  for (let i = 1; i <= length; i++) {
    if (i < length && decoded.charCodeAt(i) !== SLASH) continue
    const segment = decoded.slice(start, i)
    start = i + 1
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      // posixpath.normpath: `..` removes the name before it, and stays at the root (`/../x` is `/x`).
      if (segments.length === 0 && options?.aboveRoot === 'refuse') return refusal(404, 'traversal')
      segments.pop()
      continue
    }
    // `..\x` and `%5c`: a separator on Windows, a way around the `/` split everywhere else.
    if (segment.includes('\\')) return refusal(404, 'backslash')
    // `C:` (and on Windows any `:`, which also names alternate data streams): an absolute path there.
    if (isDriveLike(segment)) return refusal(404, 'drive')
    segments.push(segment)
  }
  if (options?.dotfiles !== true) {
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string
      // `.git/`, `.env`: hidden by default; `/.well-known/` (RFC 8615) stays reachable.
      if (segment.charCodeAt(0) === 0x2e && !(i === 0 && segment === '.well-known')) return refusal(404, 'dotfile')
    }
  }
  // gh-134098: after decoding, so `/dir%2f` is the directory and `/file%2f` is not the file.
  return { ok: true, segments, trailingSlash: decoded.charCodeAt(decoded.length - 1) === SLASH }
}

/** `%XX` escapes → bytes (the rest is ASCII); `undefined` for a malformed escape. */
function percentDecode(text: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(text.length)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x25) {
      out[n++] = c
      continue
    }
    const hi = hexValue(text.charCodeAt(i + 1))
    const lo = hexValue(text.charCodeAt(i + 2))
    if (hi < 0 || lo < 0) return undefined
    out[n++] = (hi << 4) | lo
    i += 2
  }
  return out.subarray(0, n)
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57
  return -1
}

/**
 * Python's `bytes.decode('utf-8', 'surrogatepass')`, falling back as CPython's `translate_path`
 * does to `errors='replace'` when the bytes are not UTF-8 even with encoded surrogates allowed.
 */
export function decodeUTF8SurrogatePass(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    // Not UTF-8 as the WHATWG decoder knows it: maybe encoded surrogates (ED A0–BF xx).
  }
  let out = ''
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number
    const length = sequenceLength(bytes, i, true)
    if (length === 0) return Buffer.from(bytes).toString('utf8')
    if (length === 1) out += String.fromCharCode(b)
    else if (b === 0xed && ((bytes[i + 1] as number) & 0xe0) === 0xa0) {
      out += String.fromCharCode(0xd000 | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f))
    } else out += Buffer.from(bytes.subarray(i, i + length)).toString('utf8')
    i += length
  }
  return out
}

/**
 * The length of the UTF-8 sequence at `i` (1–4), or 0 when it is not valid. Encoded surrogates
 * (ED A0–BF xx) count as valid only when `surrogates` is set.
 */
function sequenceLength(bytes: Uint8Array, i: number, surrogates: boolean): number {
  const b = bytes[i] as number
  if (b < 0x80) return 1
  const cont = (k: number): boolean => ((bytes[i + k] ?? 0) & 0xc0) === 0x80
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0
  if (b >= 0xe0 && b <= 0xef) {
    const b1 = bytes[i + 1] ?? 0
    if (b === 0xe0 && b1 < 0xa0) return 0
    if (b === 0xed && b1 >= 0xa0 && !surrogates) return 0
    return cont(1) && cont(2) ? 3 : 0
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const b1 = bytes[i + 1] ?? 0
    if ((b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return 0
    return cont(1) && cont(2) && cont(3) ? 4 : 0
  }
  return 0
}

/**
 * A file name read as bytes, as Python's `os.fsdecode` shows it (`surrogateescape`): UTF-8
 * where it is UTF-8, and each other byte `b` as the lone surrogate U+DC00+b.
 */
export function fsDecode(name: Uint8Array): string {
  try {
    return UTF8.decode(name)
  } catch {
    // some bytes are not UTF-8
  }
  let out = ''
  for (let i = 0; i < name.length; ) {
    const length = sequenceLength(name, i, false)
    if (length === 0) {
      out += String.fromCharCode(0xdc00 | (name[i] as number))
      i++
    } else {
      out += Buffer.from(name.subarray(i, i + length)).toString('utf8')
      i += length
    }
  }
  return out
}

/**
 * What to hand `node:fs` for a path: the string itself, or its bytes when it holds escaped
 * bytes (U+DC80–U+DCFF, see {@link fsDecode}), which a string would turn into U+FFFD.
 */
export function fsArg(fsPath: string): string | Buffer {
  for (let i = 0; i < fsPath.length; i++) {
    const c = fsPath.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) return fsEncode(fsPath) ?? fsPath
  }
  return fsPath
}

/** `realpath` of a path that may hold escaped bytes; the result is escaped the same way. */
export function realPathSync(fsPath: string): string {
  const arg = fsArg(fsPath)
  if (typeof arg === 'string') return realpathSync.native(arg)
  return fsDecode(realpathSync.native(arg, { encoding: 'buffer' }))
}

/**
 * Python's `urllib.parse.quote(text, safe='/', errors='surrogatepass')`: what CPython's listing
 * puts in an href. A lone surrogate (a byte of a name that is not UTF-8) is encoded as the three
 * bytes of its code point, and CPython's `translate_path` decodes it back the same way.
 */
export function wtf8(text: string): Buffer {
  if (!hasLoneSurrogate(text)) return Buffer.from(text, 'utf8')
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i) as number
    if (c > 0xffff) i++
    if (c < 0xd800 || c > 0xdfff) {
      for (const b of Buffer.from(String.fromCodePoint(c), 'utf8')) bytes.push(b)
    } else {
      bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
    }
  }
  return Buffer.from(bytes)
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `text` holds a surrogate that is not half of a pair (Python's escaped bytes). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text)
}

/**
 * The bytes of a name as Python's `os.fsencode` gives them (`surrogateescape`): U+DC80–U+DCFF
 * become the single bytes 0x80–0xFF, the rest is UTF-8; `undefined` for another lone
 * surrogate, which names no file (CPython fails to encode it).
 */
export function fsEncode(text: string): Buffer | undefined {
  if (!hasLoneSurrogate(text)) return Buffer.from(text, 'utf8')
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    const next = text.charCodeAt(i + 1)
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++
      continue
    }
    if (c < 0xdc80 || c > 0xdcff) return undefined
    parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.of(c & 0xff))
    start = i + 1
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'))
  return Buffer.concat(parts)
}

function isDriveLike(segment: string): boolean {
  if (IS_WINDOWS) return segment.includes(':')
  if (segment.charCodeAt(1) !== 0x3a /* : */) return false
  const c = segment.charCodeAt(0) | 0x20
  return c >= 0x61 && c <= 0x7a
}

/**
 * Resolve a request-target against `root` without touching the file system: split it
 * ({@link splitTarget}), apply the lexical rules ({@link resolveUrlPath}), and join the
 * segments to the root. The result is inside `root` by construction, but symlinks are not
 * looked at: use a {@link Resolver} before opening anything.
 *
 * @example
 * resolveTarget('/srv/www', '/docs/../a%20b.txt?x=1')
 * // { ok: true, segments: ['a b.txt'], path: '/a b.txt', fsPath: '/srv/www/a b.txt', query: 'x=1', … }
 * resolveTarget('/srv/www', '/.env') // { ok: false, status: 404, reason: 'dotfile' }
 */
export function resolveTarget(root: string, target: string, options?: ResolveOptions): ResolvedTarget | TargetRefusal {
  const parts = splitTarget(target)
  if (parts.query !== undefined && !isAscii(parts.query)) return refusal(400, 'raw-non-ascii')
  const checked = resolveUrlPath(parts.path, options)
  if (!checked.ok) return checked
  const { segments, trailingSlash } = checked
  const fsPath = path.join(path.resolve(root), ...segments)
  let fsBytes: Buffer | undefined
  if (hasLoneSurrogate(fsPath)) {
    fsBytes = fsEncode(fsPath)
    if (fsBytes === undefined) return refusal(404, 'unencodable')
  }
  const joined = '/' + segments.join('/')
  return {
    ok: true,
    segments,
    path: trailingSlash && segments.length > 0 ? joined + '/' : joined,
    trailingSlash,
    query: parts.query,
    fsPath,
    fsBytes,
  }
}

/** No character above 0x7f: nothing was sent raw that should have been percent-encoded. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

// ---- containment ----------------------------------------------------------------------------

/**
 * Whether `candidate` is `root` or below it. Both must be absolute and already resolved (real
 * paths when symlinks matter). By `path.relative`, never by string prefix: `/www/public2` is
 * not inside `/www/public`.
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel))
}

// ---- the file-system step -------------------------------------------------------------------

/** Settings of a {@link Resolver}. */
export interface ResolverOptions extends ResolveOptions {
  /** Allow real paths outside the root's (symlinks out). Default `false`. */
  readonly followSymlinks?: boolean
}

/** A target that exists and may be read. */
export interface ReadTarget extends ResolvedTarget {
  /** `fsPath` with every symlink resolved. */
  readonly realPath: string
  /** `stat` of the real path. */
  readonly stats: Stats
}

/** A target that may be written: its parent is a real directory inside the root. */
export interface WriteTarget extends ResolvedTarget {
  /** The parent directory's path (no symlink on the way from the root to it). */
  readonly parentPath: string
  /** The last segment: the name to create or replace inside `parentPath`. */
  readonly name: string
  /** `lstat` of the target when it exists (never a symlink), else `undefined`. */
  readonly existing: Stats | undefined
}

/**
 * Names refused for writing everywhere, so that a tree written on Linux can be copied to
 * Windows and served from there: DOS device names (with any extension), names ending in `.` or
 * space, and characters Windows forbids, controls included. (The superscript digits are escapes so
 * that the app's bundle stays ASCII, which V8 reads as one-byte source.)
 */
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)(\..*)?$/i
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTER = /[\u0000-\u001f\u007f<>:"|?*\\]/

/** Whether `name` may not be created by a writer (see {@link Resolver.forWrite}). */
export function isReservedName(name: string): boolean {
  return RESERVED_DEVICE.test(name) || FORBIDDEN_CHARACTER.test(name) || /[. ]$/.test(name)
}

/**
 * The resolver for one root: the lexical rules of {@link resolveTarget}, plus the file system.
 * Cheap to create; it remembers only the root's real path (looked up again when a verdict
 * would change because the root itself was swapped, e.g. a `current -> release-N` symlink).
 *
 * @example
 * const resolver = new Resolver('/srv/www')
 * const found = await resolver.forRead('/docs/a.txt')
 * if (!found.ok) return answer(found.status)
 * createReadStream(found.realPath)
 */
export class Resolver {
  /** The root, absolute (not necessarily real). */
  readonly root: string
  readonly dotfiles: boolean
  readonly followSymlinks: boolean
  readonly aboveRoot: 'clamp' | 'refuse'
  #realRoot: string | undefined

  constructor(root: string, options?: ResolverOptions) {
    this.root = path.resolve(root)
    this.dotfiles = options?.dotfiles === true
    this.followSymlinks = options?.followSymlinks === true
    this.aboveRoot = options?.aboveRoot ?? 'clamp'
  }

  /** The lexical step alone ({@link resolveTarget} with this root and options). */
  resolve(target: string): ResolvedTarget | TargetRefusal {
    return resolveTarget(this.root, target, { dotfiles: this.dotfiles, aboveRoot: this.aboveRoot })
  }

  /** The root's real path; `undefined` when it does not exist (then nothing is inside it). */
  realRoot(refresh = false): string | undefined {
    if (this.#realRoot === undefined || refresh) {
      try {
        this.#realRoot = realpathSync.native(this.root)
      } catch {
        this.#realRoot = undefined
      }
    }
    return this.#realRoot
  }

  /**
   * Whether a real path is inside the root's real path (always true when following symlinks).
   * Looks the root up again before saying no, in case it was swapped.
   */
  contains(realPath: string): boolean {
    if (this.followSymlinks) return true
    const root = this.realRoot()
    if (root !== undefined && isInside(root, realPath)) return true
    const fresh = this.realRoot(true)
    return fresh !== undefined && fresh !== root && isInside(fresh, realPath)
  }

  /** `fsPath`'s real path when it exists and is contained ({@link contains}); else `undefined`. */
  async realPathInside(fsPath: string): Promise<string | undefined> {
    let real: string
    try {
      real = await realpath(fsPath)
    } catch {
      return undefined
    }
    return this.contains(real) ? real : undefined
  }

  /**
   * Resolve a target to read: the lexical rules, then it must exist and its real path must be
   * inside the root's (unless following symlinks). Refusals: the lexical ones, `missing`,
   * `outside-root` (both 404).
   */
  async forRead(target: string): Promise<ReadTarget | TargetRefusal> {
    const resolved = this.resolve(target)
    if (!resolved.ok) return resolved
    let real: string
    let stats: Stats
    try {
      real = await realpath(resolved.fsPath)
      stats = await stat(real)
    } catch {
      return refusal(404, 'missing')
    }
    if (!this.contains(real)) return refusal(404, 'outside-root')
    return { ...resolved, realPath: real, stats }
  }

  /**
   * Resolve a target to create or replace (uploads, WebDAV): the lexical rules; not the root; no
   * reserved name in any segment ({@link isReservedName}); every directory from the root to the
   * parent exists, is a directory and is not a symlink; the target is not a symlink either; and
   * the parent's real path is inside the root's. Refusals (all 404): the lexical ones, `root`,
   * `reserved-name`, `no-parent`, `symlink`, `outside-root`.
   *
   * The checks are as of now: a writer still creates with `O_EXCL` or writes a temporary file
   * in `parentPath` and renames it over `name`, so a symlink planted meanwhile is replaced, not
   * followed.
   */
  async forWrite(target: string): Promise<WriteTarget | TargetRefusal> {
    const resolved = this.resolve(target)
    if (!resolved.ok) return resolved
    const { segments } = resolved
    const name = segments[segments.length - 1]
    if (name === undefined) return refusal(404, 'root')
    if (segments.some(isReservedName)) return refusal(404, 'reserved-name')
    let parentPath = this.root
    for (const segment of segments.slice(0, -1)) {
      parentPath = path.join(parentPath, segment)
      let info: Stats
      try {
        info = await lstat(parentPath)
      } catch {
        return refusal(404, 'no-parent')
      }
      if (info.isSymbolicLink()) return refusal(404, 'symlink')
      if (!info.isDirectory()) return refusal(404, 'no-parent')
    }
    let parentReal: string
    try {
      parentReal = await realpath(parentPath)
    } catch {
      return refusal(404, 'no-parent')
    }
    // The root may be a symlink itself (that is the user's choice); below it, nothing may be.
    const root = this.realRoot(true)
    if (root === undefined || !isInside(root, parentReal)) return refusal(404, 'outside-root')
    let existing: Stats | undefined
    try {
      existing = await lstat(resolved.fsPath)
    } catch {
      existing = undefined
    }
    if (existing?.isSymbolicLink() === true) return refusal(404, 'symlink')
    return { ...resolved, parentPath, name, existing }
  }
}
