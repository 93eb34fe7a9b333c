/**
 * Property tests (fast-check). The seed is logged and can be replayed with FC_SEED=<seed>; the
 * `fuzz` script raises the run counts (FC_RUNS) for long runs.
 *
 * 1. Any split of a valid stream of pipelined requests (bodies by length and chunked, with
 *    extensions and trailers) gives exactly what one chunk gives, and that is what was sent.
 * 2. Mutated streams (flipped bytes, inserted CR/LF/NUL/SP/colon, deletions, truncation) only
 *    ever give a typed HTTPParseError or a valid parse — the same for every split — and never
 *    anything thrown.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HTTPParseError, PARSE_ERRORS, PARSE_ERROR_STATUS, isSimpleHTTPError, type ParserOptions } from '../src/index.js'
import { PATH, bodyBytes, chunkExt, chars, field, fieldName, fieldValue, mutate, mutation, split } from './arbitraries.js'
import { run, type Outcome } from './helpers.js'

const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
const runs = (n: number): number => Number(process.env.FC_RUNS ?? n)
console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`)

// ---- a model of valid requests ------------------------------------------------------------------

interface ModelRequest {
  bytes: string
  method: string
  target: string
  version: string
  headers: string[]
  body: string
  trailers: string[] | null
}

const request: fc.Arbitrary<ModelRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'REPORT'),
    path: chars(PATH, 0, 24),
    http10: fc.boolean(),
    host: fc.boolean(),
    fields: fc.array(field, { maxLength: 6 }),
    body: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('length' as const), data: bodyBytes(64) }),
      fc.record({
        kind: fc.constant('chunked' as const),
        chunks: fc.array(fc.tuple(bodyBytes(40), chunkExt, fc.boolean()), { minLength: 0, maxLength: 4 }),
        trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }),
      }),
    ),
  })
  .map(({ method, path, http10, host, fields, body }) => {
    const version = http10 && body.kind !== 'chunked' ? 'HTTP/1.0' : 'HTTP/1.1'
    const target = `/${path}`
    const headers: string[] = []
    let lines = ''
    if (host) {
      headers.push('Host', 'example.com')
      lines += 'Host: example.com\r\n'
    }
    for (const [name, value, pad] of fields) {
      headers.push(name, value)
      lines += `${name}:${pad}${value}${pad}\r\n`
    }
    let payload = ''
    let decoded = ''
    let trailers: string[] | null = null
    if (body.kind === 'length') {
      headers.push('Content-Length', String(body.data.length))
      lines += `Content-Length: ${body.data.length}\r\n`
      payload = decoded = body.data
    } else if (body.kind === 'chunked') {
      headers.push('Transfer-Encoding', 'chunked')
      lines += 'Transfer-Encoding: chunked\r\n'
      for (const [data, ext, upper] of body.chunks) {
        const size = data.length.toString(16)
        const extText = ext === undefined ? '' : `;${ext[0]}${ext[1] == null ? '' : `=${ext[1]}`}`
        payload += `${upper ? size.toUpperCase() : size}${extText}\r\n${data}\r\n`
        decoded += data
      }
      payload += '0\r\n'
      for (const [name, value] of body.trailers) payload += `${name}: ${value}\r\n`
      payload += '\r\n'
      trailers = body.trailers.length > 0 ? body.trailers.flat() : null
    }
    return {
      bytes: `${method} ${target} ${version}\r\n${lines}\r\n${payload}`,
      method,
      target,
      version,
      headers,
      body: decoded,
      trailers,
    }
  })

/** Several requests, sometimes with an empty line between them (which must be skipped). */
const stream = fc.array(fc.tuple(request, fc.boolean()), { minLength: 1, maxLength: 5 }).map((items) => ({
  bytes: Buffer.from(items.map(([r, blank], i) => (blank && i > 0 ? '\r\n' : '') + r.bytes).join(''), 'latin1'),
  requests: items.map(([r]) => r),
}))

// ---- the properties -----------------------------------------------------------------------------

describe('property: any split gives the one-chunk result', () => {
  it('parses valid pipelined streams the same way however they are cut', () => {
    fc.assert(
      fc.property(stream, split, ({ bytes, requests }, sizes) => {
        const whole = run(bytes, undefined, 'whole')
        expect(whole.error).toBeUndefined()
        expect(
          whole.requests.map(({ method, target, version, headers, body, trailers }) => ({ method, target, version, headers, body, trailers })),
        ).toEqual(
          requests.map(({ method, target, version, headers, body, trailers }) => ({ method, target, version, headers, body, trailers })),
        )
        expect(run(bytes, undefined, sizes)).toEqual(whole)
      }),
      { seed, numRuns: runs(300) },
    )
  })
})

// ---- mutations ----------------------------------------------------------------------------------

/** Small limits so that mutated streams reach the limit checks too. */
const options = fc.option(
  fc.record(
    {
      maxRequestLineSize: fc.integer({ min: 8, max: 80 }),
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

function expectTyped(outcome: Outcome): void {
  if (outcome.error === undefined) return
  const { code, status } = outcome.error
  expect(Object.keys(PARSE_ERRORS)).toContain(code)
  expect(status).toBe(PARSE_ERROR_STATUS[code as keyof typeof PARSE_ERRORS])
  expect(outcome.errorCalls).toBe(1)
}

describe('property: mutated input is refused with a typed error or parsed', () => {
  it('never throws, and every split agrees on requests and error code', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        split,
        options,
        ({ bytes }, mutations, sizes, opts: ParserOptions | undefined) => {
          const input = mutate(bytes, mutations)
          const whole = run(input, opts, 'whole')
          expectTyped(whole)
          expect(run(input, opts, sizes)).toEqual(whole)
        },
      ),
      { seed, numRuns: runs(1000) },
    )
  })

  it('reports errors as HTTPParseError values with the brand', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let caught: unknown
        try {
          const outcome = run(Buffer.from(bytes), undefined, 'whole')
          expectTyped(outcome)
        } catch (error) {
          caught = error
        }
        expect(caught).toBeUndefined()
      }),
      { seed, numRuns: runs(500) },
    )
    const error = run(Buffer.from('GET / HTTP/9.9\r\n\r\n'), undefined, 'whole').error
    expect(error?.status).toBe(505)
  })

  it('errors from the one-shot helper are branded HTTPParseErrors', async () => {
    const { parseRequests } = await import('../src/index.js')
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ bytes }, mutations) => {
        const { error } = parseRequests(mutate(bytes, mutations))
        if (error === undefined) return
        expect(error).toBeInstanceOf(HTTPParseError)
        expect(isSimpleHTTPError(error)).toBe(true)
        expect(error.status).toBe(PARSE_ERROR_STATUS[error.code])
      }),
      { seed, numRuns: runs(300) },
    )
  })
})
