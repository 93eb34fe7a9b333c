/**
 * Conditional requests (RFC 9110 §13) and content-coding negotiation (§12.5.3), as pure
 * functions of header values and a file's validators.
 * @module
 */
import { parseHTTPDate } from './http-date.js'

/** The request headers the core reads; `HeaderList` and a `node:http` adapter both fit. */
export interface RequestHeaders {
  /** The field's value (repeated fields joined with `, `), or `undefined` when absent. Names are lower-case. */
  get(name: string): string | undefined
}

/** A file's validators, as sent in `ETag` and `Last-Modified`. */
export interface Validators {
  /** The strong entity tag, quotes included: `"1a2b-5f3e…"`. */
  readonly etag: string
  /** Modification time in milliseconds (fractional). */
  readonly mtimeMs: number
}

/** What the preconditions say about a GET or HEAD. */
export type ConditionalOutcome = 'proceed' | 'not-modified' | 'precondition-failed'

/**
 * Evaluate the preconditions in RFC 9110 §13.2.2's order: `If-Match`, else
 * `If-Unmodified-Since`; then `If-None-Match`, else `If-Modified-Since` — so an `If-None-Match`
 * that is present means `If-Modified-Since` is ignored, as CPython does too. `If-Modified-Since`
 * follows CPython: unparsable or non-UTC dates are ignored, the mtime is truncated to seconds, and
 * `mtime <= date` is "not modified".
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2
 */
export function evaluatePreconditions(headers: RequestHeaders, file: Validators): ConditionalOutcome {
  const ifMatch = headers.get('if-match')
  if (ifMatch !== undefined) {
    if (!matchesETag(ifMatch, file.etag, true)) return 'precondition-failed'
  } else {
    const ius = headers.get('if-unmodified-since')
    if (ius !== undefined) {
      const date = parseHTTPDate(ius)
      if (date !== undefined && seconds(file.mtimeMs) > date) return 'precondition-failed'
    }
  }
  const ifNoneMatch = headers.get('if-none-match')
  if (ifNoneMatch !== undefined) {
    return matchesETag(ifNoneMatch, file.etag, false) ? 'not-modified' : 'proceed'
  }
  const ims = headers.get('if-modified-since')
  if (ims !== undefined) {
    const date = parseHTTPDate(ims)
    if (date !== undefined && seconds(file.mtimeMs) <= date) return 'not-modified'
  }
  return 'proceed'
}

/** The mtime truncated to whole seconds, as `Last-Modified` carries it. */
function seconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000) * 1000
}

/**
 * Whether an `If-Match` / `If-None-Match` value (`*` or a list of entity tags) matches `etag`.
 * `strong` selects strong comparison (If-Match) over weak comparison (If-None-Match): a weak tag
 * `W/"x"` never matches strongly. A malformed list stops at the first bad element.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3.2
 */
export function matchesETag(list: string, etag: string, strong: boolean): boolean {
  const value = list.trim()
  if (value === '*') return true
  // Fast path: the common `If-None-Match: "tag"` with exactly our tag.
  if (value === etag) return true
  let i = 0
  const n = value.length
  while (i < n) {
    let c = value.charCodeAt(i)
    if (c === 0x20 || c === 0x09 || c === 0x2c) {
      i++
      continue
    }
    let weak = false
    if (c === 0x57 /* W */ && value.charCodeAt(i + 1) === 0x2f /* / */) {
      weak = true
      i += 2
      c = value.charCodeAt(i)
    }
    if (c !== 0x22) return false
    const close = value.indexOf('"', i + 1)
    if (close === -1) return false
    const tag = value.slice(i, close + 1)
    if (tag === etag && !(strong && weak)) return true
    i = close + 1
  }
  return false
}

/**
 * Whether `If-Range` lets the `Range` header apply: an entity tag must match strongly (a weak
 * tag never does), a date must equal `Last-Modified` exactly and only counts when that date is
 * a strong validator (the file is at least a second older than now).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.5
 */
export function ifRangeMatches(value: string, file: Validators, nowMs: number): boolean {
  const v = value.trim()
  if (v.startsWith('W/')) return false
  if (v.charCodeAt(0) === 0x22) return v === file.etag
  const date = parseHTTPDate(v)
  if (date === undefined) return false
  return date === seconds(file.mtimeMs) && nowMs - file.mtimeMs >= 1000
}

/** A precompressed sibling's content-coding. */
export type Encoding = 'br' | 'gzip'

/**
 * Pick a content-coding from `Accept-Encoding` among the siblings that exist: the highest
 * q-value wins, `br` on a tie; `q=0` refuses; `*` covers codings not named; `x-gzip` is `gzip`.
 * No header, or nothing acceptable: `undefined` (send the file as it is).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3
 */
export function chooseEncoding(header: string | undefined, hasBr: boolean, hasGzip: boolean): Encoding | undefined {
  if (header === undefined) return undefined
  let qBr: number | undefined
  let qGzip: number | undefined
  let qAny: number | undefined
  for (const item of header.split(',')) {
    const semi = item.indexOf(';')
    const name = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase()
    if (name === '') continue
    let q = 1
    if (semi !== -1) {
      const parsed = qValue(item.slice(semi + 1))
      if (parsed === undefined) continue
      q = parsed
    }
    if (name === 'br') qBr = q
    else if (name === 'gzip' || name === 'x-gzip') qGzip = Math.max(q, qGzip ?? 0)
    else if (name === '*') qAny = q
  }
  const br = hasBr ? (qBr ?? qAny ?? 0) : 0
  const gzip = hasGzip ? (qGzip ?? qAny ?? 0) : 0
  if (br > 0 && br >= gzip) return 'br'
  if (gzip > 0) return 'gzip'
  return undefined
}

/** The `q` parameter of `;q=0.5` (other parameters ignored); `undefined` when malformed. */
function qValue(params: string): number | undefined {
  let q = 1
  for (const param of params.split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1) continue
    if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue
    const text = param.slice(eq + 1).trim()
    const value = Number(text)
    if (text === '' || Number.isNaN(value) || value < 0 || value > 1) return undefined
    q = value
  }
  return q
}
