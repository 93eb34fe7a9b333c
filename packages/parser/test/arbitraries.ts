/**
 * fast-check building blocks shared by the request and response property tests: header fields,
 * bodies, chunk extensions, ways to cut a stream, and mutations.
 */
import fc from 'fast-check'

export const TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
export const VCHAR = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('')
export const OBS_TEXT = '\x80\xa0\xc3\xa9\xff'
export const PATH = "abcxyzABC0123456789-._~!$&'()*+,;=:@%/?"
/** Names the model leaves to the framing arbitraries. */
export const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect'])

export const chars = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength, maxLength })

export const token = chars(TCHAR, 1, 16)
// Common names (which the parser's name cache recognises, taking its fast path) and random
// tokens up to 40 characters (past the 32 that the cache keeps).
export const fieldName = fc.oneof(
  fc.constantFrom('Accept', 'User-Agent', 'Accept-Language', 'Cookie', 'X-Request-Id', 'Sec-Fetch-Mode', 'DNT'),
  chars(TCHAR, 1, 40).filter((n) => !RESERVED.has(n.toLowerCase())),
)
// A value never starts or ends with whitespace (that would be trimmed); inside it may have some.
export const fieldValue = fc
  .array(chars(VCHAR + OBS_TEXT, 1, 12), { minLength: 0, maxLength: 4 })
  .chain((words) => fc.constantFrom(' ', '\t', '  ').map((sep) => words.join(sep)))
export const field = fc.tuple(fieldName, fieldValue, fc.constantFrom('', ' ', '\t', ' \t'))
export const bodyBytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b).toString('latin1'))
export const chunkExt = fc.option(
  fc.tuple(token, fc.option(fc.oneof(token, chars(VCHAR.replace(/["\\]/g, '') + ' ', 0, 8).map((v) => `"${v}"`)))),
  { nil: undefined },
)

/** Chunk sizes for a split: many small pieces, or a few large ones. */
export const split = fc.oneof(
  fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 400 }),
  fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 12 }),
)

export type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number }

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    byte: fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x3a, 0x09, 0x3b, 0x7f), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
)

export function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes)
  for (const m of mutations) {
    const at = Math.floor(m.at * out.length)
    if (m.kind === 'flip') {
      if (out.length > 0) out[at] = (out[at] as number) ^ m.xor
    } else if (m.kind === 'insert') {
      out = Buffer.concat([out.subarray(0, at), Buffer.of(m.byte), out.subarray(at)])
    } else if (m.kind === 'delete') {
      out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)])
    } else {
      out = out.subarray(0, at)
    }
  }
  return out
}

