/**
 * Scan helpers shared by the request and the response parser: latin-1 decoding without lookups,
 * the four-bytes-at-a-time control-byte checks, the cache of validated header names, and the
 * small string helpers. Nothing here holds per-connection state except the name cache, which is
 * shared on purpose (see {@link findName}).
 * @module
 */
import { HTAB, SP } from './chars.js'

export interface Latin1Buffer extends Buffer {
  // Buffer's latin1 decoder without toString's encoding lookup (undici uses it the same way).
  latin1Slice(start: number, end: number): string
}

export const EMPTY = Buffer.alloc(0) as Latin1Buffer

export function asBuffer(input: Uint8Array): Latin1Buffer {
  return (
    Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  ) as Latin1Buffer
}

/** ASCII case-insensitive compare of `text[start, end)` with the lower-case `lower`. */
export function equalsLower(text: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    // `| 0x20` folds A-Z onto a-z; no other token byte folds onto a letter or `-`.
    if ((text.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false
  }
  return true
}

export function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text
}

/** Strip optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) from both ends. */
export function trimOWS(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text.charCodeAt(start) === SP || text.charCodeAt(start) === HTAB)) start++
  while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

// ---- four bytes at a time ------------------------------------------------------------------------
// Each parser keeps a Uint8Array and an Int32Array over the ArrayBuffer behind the text it reads
// (see MessageParser#setSource); these helpers take both, with offsets into that ArrayBuffer.

/**
 * True when bytes `[from, to)` hold no byte below 0x20 (a tab counts as one: the caller then
 * looks closer). DEL is ruled out by the caller. Reads aligned 32-bit words and tests all four
 * bytes at once: `(x - 0x20202020) & ~x & 0x80808080` is non-zero iff some byte of x is below 0x20.
 */
export function noControlBytes(bytes: Uint8Array, words: Int32Array, from: number, to: number): boolean {
  let i = from
  const end = to
  for (; (i & 3) !== 0 && i < end; i++) if ((bytes[i] as number) < SP) return false
  for (; i + 16 <= end; i += 16) {
    const w = i >> 2
    const a = words[w] as number
    const b = words[w + 1] as number
    const c = words[w + 2] as number
    const d = words[w + 3] as number
    if ((((a - 0x20202020) & ~a) | ((b - 0x20202020) & ~b) | ((c - 0x20202020) & ~c) | ((d - 0x20202020) & ~d)) & 0x80808080) {
      return false
    }
  }
  for (; i + 4 <= end; i += 4) {
    const a = words[i >> 2] as number
    if (((a - 0x20202020) & ~a) & 0x80808080) return false
  }
  for (; i < end; i++) if ((bytes[i] as number) < SP) return false
  return true
}

/** The offset of the first byte below 0x20 in `[from, to)`, or -1; as in {@link noControlBytes}. */
export function firstControlByte(bytes: Uint8Array, words: Int32Array, from: number, to: number): number {
  let i = from
  for (; (i & 3) !== 0 && i < to; i++) if ((bytes[i] as number) < SP) return i
  for (; i + 4 <= to; i += 4) {
    const a = words[i >> 2] as number
    if (((a - 0x20202020) & ~a) & 0x80808080) break
  }
  for (; i < to; i++) if ((bytes[i] as number) < SP) return i
  return -1
}

// ---- header names ----------------------------------------------------------------------------

// Field kinds the parsers act on.
export const K_OTHER = 0
export const K_HOST = 1
export const K_EXPECT = 2
export const K_CONNECTION = 3
export const K_CONTENT_LENGTH = 4
export const K_TRANSFER_ENCODING = 5

/** Which of the fields the parsers act on `text[start, end)` names, if any. */
export function fieldKind(text: string, start: number, end: number): number {
  switch (end - start) {
    case 4:
      return equalsLower(text, start, end, 'host') ? K_HOST : K_OTHER
    case 6:
      return equalsLower(text, start, end, 'expect') ? K_EXPECT : K_OTHER
    case 10:
      return equalsLower(text, start, end, 'connection') ? K_CONNECTION : K_OTHER
    case 14:
      return equalsLower(text, start, end, 'content-length') ? K_CONTENT_LENGTH : K_OTHER
    case 17:
      return equalsLower(text, start, end, 'transfer-encoding') ? K_TRANSFER_ENCODING : K_OTHER
    default:
      return K_OTHER
  }
}

/**
 * Header names already validated, shared by every parser (requests and responses) and compared
 * as 32-bit words: a name whose bytes equal a cached one is a valid token of a known kind, and
 * reuses its string. Bounded: 256 slots of names from 4 to 32 bytes; a collision only costs a
 * re-validation. Sharing it is safe: an entry is only ever a name that passed validation.
 */
const NAME_SLOTS = 256
const NAME_WORDS = 8
export const NAME_CACHE: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined)
export const NAME_KIND = new Uint8Array(NAME_SLOTS)
const NAME_LENGTH = new Uint8Array(NAME_SLOTS)
const NAME_DATA = new Int32Array(NAME_SLOTS * NAME_WORDS)
/** Composing a word from two aligned loads below assumes little-endian words. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** The four bytes at `at` (any alignment) as one int32, or NaN past the end of the view. */
function wordAt(words: Int32Array, at: number): number {
  const index = at >> 2
  const shift = (at & 3) << 3
  if (shift === 0) return words[index] ?? NaN
  if (index + 1 >= words.length) return NaN
  return ((words[index] as number) >>> shift) | ((words[index + 1] as number) << (32 - shift))
}

function nameSlot(first: number, last: number, length: number): number {
  return ((first ^ Math.imul(last, 0x9e3779b1) ^ length) >>> 24) & (NAME_SLOTS - 1)
}

/** The cache slot holding exactly the `length` bytes at `at`, or -1. */
export function findName(words: Int32Array, at: number, length: number): number {
  if (length < 4 || length > NAME_WORDS * 4) return -1
  const first = wordAt(words, at)
  const last = wordAt(words, at + length - 4)
  const slot = nameSlot(first, last, length)
  if (NAME_LENGTH[slot] !== length) return -1
  const base = slot * NAME_WORDS
  if (NAME_DATA[base] !== first || NAME_DATA[base + NAME_WORDS - 1] !== last) return -1
  // The words in between; the last one overlaps the one before it when length % 4 !== 0.
  for (let i = 4, j = 1; i < length - 4; i += 4, j++) {
    if (NAME_DATA[base + j] !== wordAt(words, at + i)) return -1
  }
  return slot
}

export function rememberName(words: Int32Array, at: number, length: number, name: string, kind: number): void {
  if (length < 4 || length > NAME_WORDS * 4) return
  const first = wordAt(words, at)
  const last = wordAt(words, at + length - 4)
  // NaN (a name at the very end of its buffer) never compares equal: do not cache it.
  if (Number.isNaN(first) || Number.isNaN(last)) return
  const slot = nameSlot(first, last, length)
  const base = slot * NAME_WORDS
  NAME_DATA[base] = first
  NAME_DATA[base + NAME_WORDS - 1] = last
  for (let i = 4, j = 1; i < length - 4; i += 4, j++) {
    const word = wordAt(words, at + i)
    if (Number.isNaN(word)) {
      NAME_LENGTH[slot] = 0
      return
    }
    NAME_DATA[base + j] = word
  }
  NAME_LENGTH[slot] = length
  NAME_CACHE[slot] = name
  NAME_KIND[slot] = kind
}
