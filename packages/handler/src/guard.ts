/**
 * The access guard: Host (DNS rebinding), Origin (cross-site writes) and HTTP Basic checks,
 * run once per request before dispatch so that every handler class passes through them.
 * @module
 */
import type * as Crypto from 'node:crypto'
import type Bcrypt from 'bcryptjs'
import net from 'node:net'
import os from 'node:os'
import { HandlerError } from './errors.js'

/** One user: a plain password (from `-a USER:PASS`) or an htpasswd hash (`$2y$…`, `$2b$…`, `{SHA}…`). */
export interface Credential {
  readonly user: string
  /** Exactly one of `password` and `hash`. */
  readonly password?: string
  readonly hash?: string
}

/** How the guard decides; every field is optional, and an empty object checks only Origin. */
export interface AccessGuardOptions {
  /** Users allowed in with HTTP Basic. Default none: no authentication. */
  readonly credentials?: readonly Credential[]
  /** Ask for a password only for unsafe methods (writes); reads stay public. Default `false`. */
  readonly authWritesOnly?: boolean
  /** The Basic realm. Default `'simplehttp'`. */
  readonly realm?: string
  /**
   * Check the `Host` header against IP literals, `localhost`, `*.localhost`, this machine's host
   * name and these names (a leading `.` allows subdomains). `'any'` turns the check off.
   * Default `undefined`: no Host check.
   */
  readonly allowedHosts?: readonly string[] | 'any'
  /** Refuse unsafe methods from another origin (`Origin` or `Sec-Fetch-Site: cross-site`). Default `true`. */
  readonly checkOrigin?: boolean
  /**
   * The wait before the answer to the 4th failed password in a row from one address; it doubles
   * with each further failure, up to 5 s (or this, if larger). Default 250 ms.
   */
  readonly failureDelayMs?: number
  /** What the Host refusal page tells the user to do, given the refused host name. */
  readonly hostHint?: (host: string) => string
}

/** What the guard needs from a handler: the request, and a way to answer it. */
export interface GuardedRequest {
  readonly command: string
  readonly headers: { get(name: string): string | undefined }
  readonly clientAddress: readonly [string, number]
  /** The socket; a TLS socket has `encrypted: true`. */
  readonly connection: object
}

/** A refusal: status, short message, explanation, and headers to add (`WWW-Authenticate`). */
export interface Refusal {
  readonly status: 401 | 403
  readonly message: string
  readonly explain: string
  readonly headers: readonly (readonly [string, string])[]
}

/** Methods that change nothing (RFC 9110 §9.2.1, plus WebDAV's PROPFIND). Everything else is unsafe. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'])

/** Failures from one address before answers are slowed, and the longest delay. */
const FREE_FAILURES = 3
const MAX_DELAY_MS = 5_000
/** Addresses remembered for slowing down (oldest forgotten first): bounded memory under a spray. */
const MAX_TRACKED_ADDRESSES = 10_000
/** Verified `Authorization` values remembered, so bcrypt's cost is paid once per password, not per request. */
const MAX_VERIFIED = 256
/** `Host` values whose verdict is remembered (the same few arrive on every request). */
const MAX_HOST_VERDICTS = 256
/** Longer `Host` values are judged every time, so a client cannot fill memory with big keys. */
const MAX_REMEMBERED_HOST_LENGTH = 256

/**
 * The access rules of a server, checked before `do<METHOD>` runs. Give one to a handler class
 * as its `accessGuard` field. Without a guard nothing is checked (CPython's behaviour).
 *
 * @example
 * const guard = new AccessGuard({ credentials: [{ user: 'ann', password: 's3cret' }], allowedHosts: [] })
 * class Guarded extends Handler { override accessGuard = guard }
 */
export class AccessGuard {
  readonly #users = new Map<string, Credential>()
  readonly #writesOnly: boolean
  readonly #challenge: string
  readonly #allowedHosts: readonly string[] | undefined
  readonly #checkOrigin: boolean
  readonly #hostHint: (host: string) => string
  readonly #hostname = os.hostname().toLowerCase()
  readonly #failures = new Map<string, number>()
  readonly #failureDelayMs: number
  readonly #verified = new Set<string>()
  /**
   * `Host` header → the refused name, or `null` when allowed. The verdict depends on the header
   * and this guard's fixed settings only, and the Host check runs on every request under
   * `--watch`: parsing it once per distinct value keeps that cost off the page's answer.
   */
  readonly #hostVerdicts = new Map<string, string | null>()
  /** A hash to compare against when the user is unknown, so both paths cost the same (bcrypt of 'not a password', cost 4). */
  readonly #dummyHash = '$2b$04$XfYf3bSYM5lSiNJ5xFCet.nnEWfWcii0UXmFYOeSuQhEiB.8wSpo2'

  constructor(options: AccessGuardOptions = {}) {
    for (const credential of options.credentials ?? []) {
      if (typeof credential.user !== 'string' || credential.user === '' || credential.user.includes(':')) {
        throw invalid('credentials', 'a user name without ":"', credential.user)
      }
      if ((credential.password === undefined) === (credential.hash === undefined)) {
        throw invalid('credentials', 'exactly one of password and hash', credential.user)
      }
      if (credential.hash !== undefined && !isSupportedHash(credential.hash)) {
        throw invalid('credentials', 'a bcrypt ($2y$, $2b$, $2a$) or {SHA} hash', credential.hash.slice(0, 8))
      }
      this.#users.set(credential.user, credential)
    }
    this.#writesOnly = options.authWritesOnly ?? false
    const realm = options.realm ?? 'simplehttp'
    if (/["\\\r\n]/.test(realm)) throw invalid('realm', 'text without quotes, backslashes or line breaks', realm)
    this.#challenge = `Basic realm="${realm}", charset="UTF-8"`
    const hosts = options.allowedHosts
    this.#allowedHosts = hosts === 'any' || hosts === undefined ? undefined : hosts.map((h) => h.toLowerCase())
    this.#checkOrigin = options.checkOrigin ?? true
    const delay = options.failureDelayMs ?? 250
    if (typeof delay !== 'number' || !(delay >= 0)) throw invalid('failureDelayMs', 'a number of ms >= 0', delay)
    this.#failureDelayMs = delay
    this.#hostHint = options.hostHint ?? ((host) => `Start the server with --allowed-hosts ${host} to allow it.`)
  }

  /** Whether a password is asked for (for banners). */
  get authenticates(): boolean {
    return this.#users.size > 0
  }

  /**
   * Check one request. `undefined` means go on; a {@link Refusal} is to be answered instead of
   * dispatching. A promise only when a password has to be verified or a failure slowed down.
   */
  check(request: GuardedRequest): Refusal | undefined | Promise<Refusal | undefined> {
    const host = this.#refusedHost(request)
    if (host !== undefined) {
      return {
        status: 403,
        message: 'Host not allowed',
        explain: `Blocked request: the host ${JSON.stringify(host)} is not allowed (DNS rebinding protection). ${this.#hostHint(host)}`,
        headers: [],
      }
    }
    const unsafe = !SAFE_METHODS.has(request.command)
    if (unsafe && this.#checkOrigin && this.#isCrossSite(request)) {
      return { status: 403, message: 'Cross-site request refused', explain: 'A write from another site is not allowed (CSRF protection).', headers: [] }
    }
    if (this.#users.size === 0 || (this.#writesOnly && !unsafe)) return undefined
    return this.#authenticate(request)
  }

  /** The Host name when it is not allowed; `undefined` when it is (or there is no check). */
  #refusedHost(request: GuardedRequest): string | undefined {
    const allowed = this.#allowedHosts
    if (allowed === undefined) return undefined
    const header = request.headers.get('host')
    // HTTP/1.0 without Host: no browser sends that, so no rebinding page can either.
    if (header === undefined) return undefined
    const verdicts = this.#hostVerdicts
    const known = verdicts.get(header)
    if (known !== undefined) return known ?? undefined
    const refused = this.#judgeHost(header, allowed)
    if (header.length <= MAX_REMEMBERED_HOST_LENGTH) {
      if (verdicts.size >= MAX_HOST_VERDICTS) verdicts.clear()
      verdicts.set(header, refused ?? null)
    }
    return refused
  }

  #judgeHost(header: string, allowed: readonly string[]): string | undefined {
    const name = hostName(header)
    if (name === undefined) return header.slice(0, 100)
    if (net.isIP(name) !== 0) return undefined
    if (name === 'localhost' || name.endsWith('.localhost')) return undefined
    if (name === this.#hostname) return undefined
    for (const entry of allowed) {
      if (entry === name) return undefined
      // `.example.com` allows example.com and its subdomains (vite's form).
      if (entry.startsWith('.') && (name === entry.slice(1) || name.endsWith(entry))) return undefined
    }
    return name
  }

  /** `Sec-Fetch-Site: cross-site`, or an `Origin` that is not `scheme://Host` of this request. */
  #isCrossSite(request: GuardedRequest): boolean {
    if (request.headers.get('sec-fetch-site')?.trim().toLowerCase() === 'cross-site') return true
    const origin = request.headers.get('origin')
    if (origin === undefined) return false
    const host = request.headers.get('host')
    if (host === undefined) return true
    const scheme = (request.connection as { encrypted?: unknown }).encrypted === true ? 'https' : 'http'
    let ours: string
    let theirs: string
    try {
      ours = new URL(`${scheme}://${host.trim()}`).origin
      // `null` (sandboxed frames, file: pages) never matches.
      theirs = new URL(origin.trim()).origin
    } catch {
      return true
    }
    return ours !== theirs
  }

  async #authenticate(request: GuardedRequest): Promise<Refusal | undefined> {
    const address = request.clientAddress[0]
    const header = request.headers.get('authorization')
    if (header !== undefined && (await this.#verify(header))) {
      this.#failures.delete(address)
      return undefined
    }
    if (header !== undefined) {
      // Brute force: each failure beyond the first few from one address waits longer (capped).
      const failures = (this.#failures.get(address) ?? 0) + 1
      this.#failures.delete(address)
      this.#failures.set(address, failures)
      if (this.#failures.size > MAX_TRACKED_ADDRESSES) this.#failures.delete(this.#failures.keys().next().value as string)
      if (failures > FREE_FAILURES) {
        const base = this.#failureDelayMs
        const delay = Math.min(Math.max(MAX_DELAY_MS, base), base * 2 ** (failures - FREE_FAILURES - 1))
        // unref: a held-back attacker must not keep a stopping server alive.
        await new Promise((resolve) => setTimeout(resolve, delay).unref())
      }
    }
    return {
      status: 401,
      message: 'Unauthorized',
      explain: 'This server needs a user name and password.',
      headers: [['WWW-Authenticate', this.#challenge]],
    }
  }

  async #verify(header: string): Promise<boolean> {
    const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header)
    if (match == null) return false
    const token = crypto().createHash('sha256').update(header).digest('base64')
    if (this.#verified.has(token)) return true
    const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) return false
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const credential = this.#users.get(user)
    let ok: boolean
    if (credential === undefined) {
      // Unknown user: spend the same work as a known one, then fail.
      await (await bcrypt()).compare(password, this.#dummyHash)
      ok = false
    } else if (credential.password !== undefined) {
      ok = sameBytes(sha256(password), sha256(credential.password))
    } else {
      ok = await verifyHash(password, credential.hash as string)
    }
    if (ok) {
      if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear()
      this.#verified.add(token)
    }
    return ok
  }
}

/** `Host` value → lower-case name without port or IPv6 brackets; `undefined` when malformed. */
function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase()
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    if (end === -1) return undefined
    const rest = value.slice(end + 1)
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined
    return value.slice(1, end)
  }
  const colon = value.indexOf(':')
  const name = colon === -1 ? value : value.slice(0, colon)
  if (colon !== -1 && !/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined
  if (!/^[a-z0-9._-]+$/.test(name)) return undefined
  // `localhost.` and `localhost` are the same name.
  return name.endsWith('.') ? name.slice(0, -1) : name
}

// node:crypto and bcryptjs are fetched on the first password check, not imported at the top:
// plain serving (no -a) never needs them, and loading them is start-up time (issue 13).
function crypto(): typeof Crypto {
  return process.getBuiltinModule('node:crypto')
}

async function bcrypt(): Promise<typeof Bcrypt> {
  return (await import('bcryptjs')).default
}

function sha256(text: string): Buffer {
  return crypto().createHash('sha256').update(text, 'utf8').digest()
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto().timingSafeEqual(a, b)
}

function isSupportedHash(hash: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash) || /^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)
}

async function verifyHash(password: string, hash: string): Promise<boolean> {
  if (hash.startsWith('{SHA}')) {
    // Apache's {SHA}: base64 of SHA-1 of the password (weak, but what htpasswd -s writes).
    const digest = crypto().createHash('sha1').update(password, 'utf8').digest()
    return sameBytes(digest, Buffer.from(hash.slice(5), 'base64'))
  }
  // bcryptjs reads $2y$ (PHP/Apache's name for the same algorithm) only as $2b$.
  return (await bcrypt()).compare(password, hash.replace(/^\$2y\$/, '$2b$'))
}

/**
 * Credentials from an Apache htpasswd file's text: `user:hash` lines, `#` comments and blank
 * lines ignored. Only bcrypt (`htpasswd -B`) and `{SHA}` (`htpasswd -s`) hashes are accepted;
 * MD5-crypt (`$apr1$`) and crypt() lines are refused with the line number.
 */
export function parseHtpasswd(text: string): Credential[] {
  const out: Credential[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    const colon = line.indexOf(':')
    const user = line.slice(0, colon)
    const hash = line.slice(colon + 1)
    if (colon <= 0 || !isSupportedHash(hash)) {
      throw invalid(`htpasswd line ${i + 1}`, 'user:hash with a bcrypt ($2y$/$2b$) or {SHA} hash', line.slice(0, Math.max(colon, 0) + 6))
    }
    out.push({ user, hash })
  }
  return out
}

function invalid(what: string, expected: string, got: unknown): HandlerError {
  let shown = JSON.stringify(got) as string | undefined
  shown ??= String(got)
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`
  return new HandlerError('SH_ERR_HANDLER_INVALID_OPTION', `invalid option ${what}.\nExpected ${expected}, but got: ${shown}`)
}
