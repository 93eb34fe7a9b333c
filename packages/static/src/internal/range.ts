/**
 * `Range: bytes=…` (RFC 9110 §14.1.2), parsed into a discriminated union rather than the
 * `-1`/`-2` sentinels of `range-parser`, with limits that keep a request from turning one file
 * into a much larger response.
 * @module
 */

/** A satisfiable byte range, `start` to `end` inclusive (as `Content-Range` writes it). */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/** What to do with a `Range` header. */
export type RangeDecision =
  /** Serve the whole representation with 200: bad syntax, another unit, or refused (see `why`). */
  | { readonly kind: 'ignore'; readonly why: 'syntax' | 'unit' | 'too-many' | 'amplification' }
  /** No range overlaps the representation: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** One or more ranges, disjoint and within the representation: 206. */
  | { readonly kind: 'ranges'; readonly ranges: readonly ByteRange[] }

/** More ranges than this in one header are ignored (the whole file is sent instead). */
export const MAX_RANGES = 16

/** Ranges whose total exceeds the size this many times over are refused (served as 200). */
const AMPLIFICATION_LIMIT = 1

/**
 * Decide what a `Range` header asks of a representation of `size` bytes.
 *
 * - Invalid syntax anywhere, or a unit other than `bytes`: ignored, as RFC 9110 §14.2 says.
 * - More than {@link MAX_RANGES} ranges, or ranges whose lengths add up to more than the size
 *   (`bytes=0-,0-,0-,…`: amplification, CVE-2011-3192 "Apache Killer"): ignored, 200 full.
 * - Overlapping or adjacent ranges are coalesced (RFC 9110 §14.2 allows it), in ascending order.
 * - No satisfiable range: unsatisfiable (416).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-14.2
 */
export function parseRange(header: string, size: number): RangeDecision {
  const eq = header.indexOf('=')
  if (eq === -1) return { kind: 'ignore', why: 'syntax' }
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignore', why: 'unit' }
  const specs = header.slice(eq + 1).split(',')
  const ranges: ByteRange[] = []
  let count = 0
  let total = 0
  for (const raw of specs) {
    const spec = raw.trim()
    // `1#range-spec` allows empty list elements: `bytes=0-1,,2-3`.
    if (spec === '') continue
    if (++count > MAX_RANGES) return { kind: 'ignore', why: 'too-many' }
    const dash = spec.indexOf('-')
    if (dash === -1) return { kind: 'ignore', why: 'syntax' }
    const first = spec.slice(0, dash)
    const last = spec.slice(dash + 1)
    let start: number
    let end: number
    if (first === '') {
      // suffix-range `-N`: the last N bytes
      const suffix = digits(last)
      if (suffix === undefined) return { kind: 'ignore', why: 'syntax' }
      if (suffix === 0 || size === 0) continue
      start = Math.max(0, size - suffix)
      end = size - 1
    } else {
      const from = digits(first)
      if (from === undefined) return { kind: 'ignore', why: 'syntax' }
      let to = size - 1
      if (last !== '') {
        const parsed = digits(last)
        // `5-2` is invalid syntax, which voids the whole header.
        if (parsed === undefined || parsed < from) return { kind: 'ignore', why: 'syntax' }
        to = Math.min(parsed, size - 1)
      }
      if (from >= size) continue
      start = from
      end = to
    }
    ranges.push({ start, end })
    total += end - start + 1
  }
  if (count === 0) return { kind: 'ignore', why: 'syntax' }
  if (ranges.length === 0) return { kind: 'unsatisfiable' }
  if (total > size * AMPLIFICATION_LIMIT) return { kind: 'ignore', why: 'amplification' }
  return { kind: 'ranges', ranges: ranges.length === 1 ? ranges : coalesce(ranges) }
}

/** Non-empty ASCII digits as a number (very long numbers saturate, which is what they mean). */
function digits(text: string): number | undefined {
  if (text === '') return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return undefined
  }
  return text.length > 15 ? Number.MAX_SAFE_INTEGER : Number(text)
}

/** Keep the client's order when the ranges are disjoint; otherwise sort and merge. */
function coalesce(ranges: ByteRange[]): readonly ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  let overlapping = false
  for (let i = 1; i < sorted.length; i++) {
    if ((sorted[i] as ByteRange).start <= (sorted[i - 1] as ByteRange).end + 1) {
      overlapping = true
      break
    }
  }
  if (!overlapping) return ranges
  const merged: ByteRange[] = []
  for (const range of sorted) {
    const previous = merged[merged.length - 1]
    if (previous !== undefined && range.start <= previous.end + 1) {
      merged[merged.length - 1] = { start: previous.start, end: Math.max(previous.end, range.end) }
    } else {
      merged.push(range)
    }
  }
  return merged
}
