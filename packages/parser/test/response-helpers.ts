/**
 * Drive a ResponseParser over some bytes cut into chunks and record what it reports in a plain,
 * comparable form (the response side of helpers.ts).
 */
import { expect } from 'vitest'
import { ResponseParser, type HeaderList, type ResponseHead, type ResponseParserOptions } from '../src/index.js'
import { checkConsumed, cut, type Split } from './helpers.js'
import type { ExpectedResponse, ResponseCase } from './response-cases/types.js'

export interface SeenResponse {
  status: number
  reason: string
  version: string
  versionMajor: number
  versionMinor: number
  statusLine: string
  headers: string[]
  framing: string
  contentLength: number | undefined
  keepAlive: boolean
  upgrade: boolean
  method: string
  body: string
  trailers: string[] | null
}

export interface ResponseOutcome {
  responses: SeenResponse[]
  error: { code: string; status: number } | undefined
  errorCalls: number
  /** Bytes left over after an upgrade, latin-1. */
  rest: string | undefined
}

function snapshot(head: ResponseHead): SeenResponse {
  return {
    status: head.status,
    reason: head.reason,
    version: head.version,
    versionMajor: head.versionMajor,
    versionMinor: head.versionMinor,
    statusLine: head.statusLine,
    headers: [...head.headers.raw],
    framing: head.framing,
    contentLength: head.contentLength,
    keepAlive: head.keepAlive,
    upgrade: head.upgrade,
    method: head.method,
    body: '',
    trailers: null,
  }
}

/**
 * Feed `bytes` to a fresh parser in pieces, then `finish()` as a closed connection would. Checks
 * that `execute` consumes everything until the stream is refused or over, and nothing after.
 */
export function runResponses(
  bytes: Buffer,
  methods: readonly string[] | undefined,
  options: ResponseParserOptions | undefined,
  split: Split,
): ResponseOutcome {
  const responses: SeenResponse[] = []
  let current: SeenResponse | undefined
  let body: Buffer[] = []
  let errorCalls = 0
  const parser = new ResponseParser(
    {
      onHead(head) {
        expect(current).toBeUndefined()
        current = snapshot(head)
        body = []
      },
      onBody(chunk) {
        // Plain checks: on a body fed a byte at a time, expect() would cost seconds.
        if (current === undefined) throw new Error('onBody without onHead')
        if (chunk.length === 0) throw new Error('onBody with an empty chunk')
        body.push(Buffer.from(chunk))
      },
      onEnd(trailers: HeaderList | undefined) {
        if (current === undefined) throw new Error('onEnd without onHead')
        current.body = Buffer.concat(body).toString('latin1')
        current.trailers = trailers === undefined ? null : [...trailers.raw]
        responses.push(current)
        current = undefined
      },
      onError() {
        errorCalls++
      },
    },
    options,
  )
  for (const method of methods ?? []) parser.expect({ method })
  const rest: Buffer[] = []
  for (const piece of cut(bytes, split)) {
    const stoppedBefore = isFinished(parser)
    const consumed = parser.execute(piece)
    checkConsumed(consumed, piece.length, stoppedBefore, isFinished(parser))
    if (parser.error === undefined && isFinished(parser)) rest.push(piece.subarray(consumed))
  }
  parser.finish()
  const error = parser.error
  const upgraded = responses.at(-1)?.upgrade === true && error === undefined
  return {
    responses,
    error: error && { code: error.code, status: error.status },
    errorCalls,
    rest: upgraded ? Buffer.concat(rest).toString('latin1') : undefined,
  }
}

function isFinished(parser: ResponseParser): boolean {
  return parser.finished
}

/** Assert that an outcome is what a case says. */
export function expectResponseCase(outcome: ResponseOutcome, c: ResponseCase): void {
  const wanted: ExpectedResponse[] = c.responses ?? []
  expect(outcome.responses.map((r, i) => pick(r, wanted[i]))).toEqual(wanted)
  if (c.error === undefined) {
    expect(outcome.error).toBeUndefined()
    expect(outcome.errorCalls).toBe(0)
  } else {
    expect(outcome.error).toEqual(c.error)
    expect(outcome.errorCalls).toBe(1)
  }
  expect(outcome.rest).toBe(c.rest)
}

function pick(seen: SeenResponse, wanted: ExpectedResponse | undefined): Partial<SeenResponse> {
  if (wanted === undefined) return seen
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(wanted)) out[key] = seen[key as keyof SeenResponse]
  return out
}
