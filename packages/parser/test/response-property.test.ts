/**
 * Property tests for ResponseParser (fast-check; seed logged, FC_SEED replays, FC_RUNS raises
 * the counts):
 *
 * 1. Any split of a valid stream of pipelined responses (bodies by length and chunked, 1xx,
 *    204/304, responses to HEAD, a close-delimited last one) gives exactly what one chunk
 *    gives, and that is what was sent.
 * 2. Mutated streams only ever give a typed HTTPParseError or a valid parse, the same for every
 *    split, and never anything thrown.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HTTPParseError, PARSE_ERRORS, PARSE_ERROR_STATUS, isSimpleHTTPError, parseResponses, type ResponseParserOptions } from '../src/index.js'
import { bodyBytes, chunkExt, chars, field, fieldName, fieldValue, mutate, mutation, split } from './arbitraries.js'
import { runResponses, type ResponseOutcome } from './response-helpers.js'

const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
const runs = (n: number): number => Number(process.env.FC_RUNS ?? n)
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

interface ModelResponse {
  bytes: string
  method: string
  status: number
  reason: string
  headers: string[]
  body: string
  trailers: string[] | null
  /** The body runs until the close: only valid as the last response. */
  close: boolean
  /** An interim response sent before this one. */
  interim: number | undefined
}

const REASON = chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz-\t\xe9', 0, 20)

const response: fc.Arbitrary<ModelResponse> = fc
  .record({
    status: fc.oneof(fc.constantFrom(200, 201, 204, 206, 301, 304, 404, 500), fc.integer({ min: 200, max: 999 })),
    interim: fc.option(fc.constantFrom(100, 102, 103), { nil: undefined }),
    reason: REASON,
    head: fc.boolean(),
    http10: fc.boolean(),
    fields: fc.array(field, { maxLength: 6 }),
    body: fc.oneof(
      fc.record({ kind: fc.constant('length' as const), data: bodyBytes(64) }),
      fc.record({
        kind: fc.constant('chunked' as const),
        chunks: fc.array(fc.tuple(bodyBytes(40), chunkExt), { minLength: 0, maxLength: 4 }),
        trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('close' as const), data: bodyBytes(64) }),
    ),
  })
  .map(({ status, interim, reason, head, http10, fields, body }): ModelResponse => {
    const version = http10 && body.kind !== 'chunked' ? 'HTTP/1.0' : 'HTTP/1.1'
    const method = head ? 'HEAD' : 'GET'
    const headers: string[] = []
    let lines = ''
    for (const [name, value, pad] of fields) {
      headers.push(name, value)
      lines += `${name}:${pad}${value}${pad}\r\n`
    }
    const bodiless = head || status === 204 || status === 304
    let payload = ''
    let decoded = ''
    let trailers: string[] | null = null
    let close = false
    if (body.kind === 'length') {
      headers.push('Content-Length', String(body.data.length))
      lines += `Content-Length: ${body.data.length}\r\n`
      payload = decoded = body.data
    } else if (body.kind === 'chunked') {
      headers.push('Transfer-Encoding', 'chunked')
      lines += 'Transfer-Encoding: chunked\r\n'
      for (const [data, ext] of body.chunks) {
        const extText = ext === undefined ? '' : `;${ext[0]}${ext[1] == null ? '' : `=${ext[1]}`}`
        payload += `${data.length.toString(16)}${extText}\r\n${data}\r\n`
        decoded += data
      }
      payload += '0\r\n'
      for (const [name, value] of body.trailers) payload += `${name}: ${value}\r\n`
      payload += '\r\n'
      trailers = body.trailers.length > 0 ? body.trailers.flat() : null
    } else {
      payload = decoded = body.data
      close = !bodiless
    }
    if (bodiless) {
      payload = ''
      decoded = ''
      trailers = null
    }
    const prefix = interim === undefined ? '' : `HTTP/1.1 ${interim} Interim\r\n\r\n`
    return {
      bytes: `${prefix}${version} ${status} ${reason}\r\n${lines}\r\n${payload}`,
      method,
      status,
      reason,
      headers,
      body: decoded,
      trailers,
      close,
      interim,
    }
  })

/** Several responses; a close-delimited one ends the stream. */
const stream = fc.array(response, { minLength: 1, maxLength: 5 }).map((items) => {
  const end = items.findIndex((r) => r.close)
  const kept = end === -1 ? items : items.slice(0, end + 1)
  return { bytes: Buffer.from(kept.map((r) => r.bytes).join(''), 'latin1'), responses: kept }
})

describe('response property: any split gives the one-chunk result', () => {
  it('parses valid pipelined response streams the same way however they are cut', () => {
    fc.assert(
      fc.property(stream, split, ({ bytes, responses }, sizes) => {
        const methods = responses.map((r) => r.method)
        const whole = runResponses(bytes, methods, undefined, 'whole')
        expect(whole.error).toBeUndefined()
        const finals = whole.responses.filter((r) => r.status >= 200)
        expect(finals.map(({ status, reason, headers, body, trailers }) => ({ status, reason, headers, body, trailers }))).toEqual(
          responses.map(({ status, reason, headers, body, trailers }) => ({ status, reason, headers, body, trailers })),
        )
        expect(whole.responses.length - finals.length).toBe(responses.filter((r) => r.interim !== undefined).length)
        expect(runResponses(bytes, methods, undefined, sizes)).toEqual(whole)
      }),
      { seed, numRuns: runs(300) },
    )
  })
})

const options = fc.option(
  fc.record(
    {
      maxStatusLineSize: fc.integer({ min: 8, max: 80 }),
      maxHeaderLineSize: fc.integer({ min: 4, max: 60 }),
      maxHeaders: fc.integer({ min: 0, max: 6 }),
      maxHeadersSize: fc.integer({ min: 0, max: 200 }),
      maxChunkExtensionSize: fc.integer({ min: 0, max: 12 }),
      maxBodySize: fc.integer({ min: 0, max: 100 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
)

function expectTyped(outcome: ResponseOutcome): void {
  if (outcome.error === undefined) return
  const { code, status } = outcome.error
  expect(Object.keys(PARSE_ERRORS)).toContain(code)
  expect(status).toBe(PARSE_ERROR_STATUS[code as keyof typeof PARSE_ERRORS])
  expect(outcome.errorCalls).toBe(1)
}

describe('response property: mutated input is refused with a typed error or parsed', () => {
  it('never throws, and every split agrees on responses and error code', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        split,
        options,
        fc.array(fc.constantFrom('GET', 'HEAD', 'CONNECT'), { maxLength: 5 }),
        ({ bytes }, mutations, sizes, opts: ResponseParserOptions | undefined, methods) => {
          const input = mutate(bytes, mutations)
          const whole = runResponses(input, methods, opts, 'whole')
          expectTyped(whole)
          expect(runResponses(input, methods, opts, sizes)).toEqual(whole)
        },
      ),
      { seed, numRuns: runs(1000) },
    )
  })

  it('random bytes give a branded HTTPParseError or a parse, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const { error } = parseResponses(Buffer.from(bytes))
        if (error === undefined) return
        expect(error).toBeInstanceOf(HTTPParseError)
        expect(isSimpleHTTPError(error)).toBe(true)
        expect(error.status).toBe(PARSE_ERROR_STATUS[error.code])
      }),
      { seed, numRuns: runs(500) },
    )
  })
})
