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
  /** A malformed `%` escape, or bytes that are not UTF-8. 400. */
  | 'bad-escape'
  /** A NUL after decoding: it truncates paths in C APIs. 400. */
  | 'nul'
  /** `..` that would climb above the root. 404. */
  | 'traversal'
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
  /** The path ended with `/` before decoding (`%2F` does not count). */
  readonly trailingSlash: boolean
  /** The query, still encoded; `undefined` when there was no `?`. */
  readonly query: string | undefined
  /** Where the segments lead under the root. Nothing has been looked up yet. */
  readonly fsPath: string
}

/** What the lexical rules may allow. */
export interface ResolveOptions {
  /** Let names that start with `.` through. Default `false` (`/.well-known/` is always allowed). */
  readonly dotfiles?: boolean
}

function refusal(status: 400 | 404, reason: ResolveRefusal): TargetRefusal {
  return { ok: false, status, reason }
}

/**
 * The lexical step, for a URL path already split off its query ({@link splitTarget}): decode
 * once (a bad escape or invalid UTF-8, which includes over-long forms such as `%c0%ae`, is a
 * 400), refuse NUL (400), normalize `.` and `..`, refuse what climbs above the root, refuse
 * backslashes and drive letters (they mean something else to Windows), then refuse dotfiles
 * unless allowed. Returns the segments; {@link resolveTarget} adds the file-system path.
 */
export function resolveUrlPath(
  urlPath: string,
  options?: ResolveOptions,
): { readonly ok: true; readonly segments: string[]; readonly trailingSlash: boolean } | TargetRefusal {
  if (urlPath.charCodeAt(0) !== SLASH) return refusal(404, 'not-origin-form')
  const text = fromWire(urlPath)
  if (text === undefined) return refusal(400, 'bad-escape')
  let decoded = text
  if (text.includes('%')) {
    try {
      // Decoded exactly once: `%252e` becomes the literal name `%2e`, never `.` (double-decoding attack).
      decoded = decodeURIComponent(text)
    } catch {
      // malicious or broken path: `%zz`, a lone `%`, invalid or over-long UTF-8 (`%c0%ae`)
      return refusal(400, 'bad-escape')
    }
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
      // Directory traversal: `..` that would climb above the root (`/../x`, `/a/../../x`).
      if (segments.length === 0) return refusal(404, 'traversal')
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
  return { ok: true, segments, trailingSlash: urlPath.charCodeAt(urlPath.length - 1) === SLASH }
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
  const checked = resolveUrlPath(parts.path, options)
  if (!checked.ok) return checked
  const { segments, trailingSlash } = checked
  const joined = '/' + segments.join('/')
  return {
    ok: true,
    segments,
    path: trailingSlash && segments.length > 0 ? joined + '/' : joined,
    trailingSlash,
    query: parts.query,
    fsPath: path.join(path.resolve(root), ...segments),
  }
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
 * space, and characters Windows forbids, controls included.
 */
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i
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
  #realRoot: string | undefined

  constructor(root: string, options?: ResolverOptions) {
    this.root = path.resolve(root)
    this.dotfiles = options?.dotfiles === true
    this.followSymlinks = options?.followSymlinks === true
  }

  /** The lexical step alone ({@link resolveTarget} with this root and options). */
  resolve(target: string): ResolvedTarget | TargetRefusal {
    return resolveTarget(this.root, target, { dotfiles: this.dotfiles })
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
