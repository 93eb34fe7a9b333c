/**
 * Drive a RequestParser over some bytes cut into chunks, and record everything it reports in a
 * plain, comparable form.
 */
import { expect } from 'vitest'
import { RequestParser, type HeaderList, type ParserOptions, type RequestHead } from '../src/index.js'
import type { ExpectedRequest, ParseCase } from './cases/index.js'

/** A request as the parser reported it, with its body joined. */
export interface SeenRequest {
  method: string
  target: string
  targetForm: string
  version: string
  versionMajor: number
  versionMinor: number
  requestLine: string
  headers: string[]
  framing: string
  contentLength: number | undefined
  keepAlive: boolean
  expectContinue: boolean
  body: string
  trailers: string[] | null
}

export interface Outcome {
  requests: SeenRequest[]
  /** A head whose body had not ended when the stream stopped. */
  pending: number
  error: { code: string; status: number; reason: string | undefined; explain: string | undefined } | undefined
  /** How many times onError was called (must be 0 or 1). */
  errorCalls: number
}

/** `whole`: one execute; `bytes`: one byte per execute; or the sizes of successive chunks. */
export type Split = 'whole' | 'bytes' | readonly number[]

function snapshot(head: RequestHead): SeenRequest {
  return {
    method: head.method,
    target: head.target,
    targetForm: head.targetForm,
    version: head.version,
    versionMajor: head.versionMajor,
    versionMinor: head.versionMinor,
    requestLine: head.requestLine,
    headers: [...head.headers.raw],
    framing: head.framing,
    contentLength: head.contentLength,
    keepAlive: head.keepAlive,
    expectContinue: head.expectContinue,
    body: '',
    trailers: null,
  }
}

/** Cut `bytes` as `split` says; the pieces are views, never copies. */
export function cut(bytes: Buffer, split: Split): Buffer[] {
  if (split === 'whole') return [bytes]
  const pieces: Buffer[] = []
  if (split === 'bytes') {
    for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1))
    return pieces
  }
  let at = 0
  for (const size of split) {
    if (at >= bytes.length) break
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at))
  return pieces
}

/**
 * Feed `bytes` to a fresh parser in the given pieces, then `finish()`. Checks the invariants of
 * `execute` on the way: it consumes everything until the stream is refused or finished, and
 * nothing after that.
 */
export function run(bytes: Buffer, options: ParserOptions | undefined, split: Split): Outcome {
  const requests: SeenRequest[] = []
  let current: SeenRequest | undefined
  let body: Buffer[] = []
  let errorCalls = 0
  const parser = new RequestParser(
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
        requests.push(current)
        current = undefined
      },
      onError() {
        errorCalls++
      },
    },
    options,
  )
  for (const piece of cut(bytes, split)) {
    const stoppedBefore = isFinished(parser)
    const consumed = parser.execute(piece)
    checkConsumed(consumed, piece.length, stoppedBefore, isFinished(parser))
  }
  parser.finish()
  const error = parser.error
  return {
    requests,
    pending: current === undefined ? 0 : 1,
    error: error && { code: error.code, status: error.status, reason: error.reason, explain: error.explain },
    errorCalls,
  }
}

/**
 * `execute()` consumes a whole piece until the stream is refused or finished, and nothing once it
 * was. A plain check, not expect(): fed a byte at a time, a 300 KB head is 300,000 pieces, and
 * expect() per piece made one test take seconds (a minute on a loaded machine).
 */
export function checkConsumed(consumed: number, pieceLength: number, stoppedBefore: boolean, finishedAfter: boolean): void {
  const ok = stoppedBefore ? consumed === 0 : finishedAfter ? consumed <= pieceLength : consumed === pieceLength
  if (!ok) {
    throw new Error(`execute() consumed ${String(consumed)} of a ${String(pieceLength)}-byte piece (finished before: ${String(stoppedBefore)}, after: ${String(finishedAfter)})`)
  }
}

/** Read through a call, so the compiler does not carry a narrowed value across execute(). */
function isFinished(parser: RequestParser): boolean {
  return parser.finished
}

/** Assert that an outcome is what a case table says. */
export function expectCase(outcome: Outcome, c: ParseCase): void {
  const wanted: ExpectedRequest[] = c.requests ?? []
  expect(outcome.requests.map((r, i) => pick(r, wanted[i]))).toEqual(wanted)
  if (c.error === undefined) {
    expect(outcome.error).toBeUndefined()
    expect(outcome.errorCalls).toBe(0)
  } else {
    expect(outcome.error?.code).toBe(c.error.code)
    expect(outcome.error?.status).toBe(c.error.status)
    if (c.error.reason !== undefined) expect(outcome.error?.reason).toBe(c.error.reason)
    expect(outcome.errorCalls).toBe(1)
  }
}

/** The fields of `seen` that `wanted` names, so a case lists only what it is about. */
function pick(seen: SeenRequest, wanted: ExpectedRequest | undefined): Partial<SeenRequest> {
  if (wanted === undefined) return seen
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(wanted)) out[key] = seen[key as keyof SeenRequest]
  return out
}
