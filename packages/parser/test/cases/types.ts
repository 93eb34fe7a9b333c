/**
 * The shape of a parser case, after llhttp's readable specs: a title, one line on why it
 * matters, the exact bytes, and what must come out — requests, or an error code and status.
 */
import type { BodyFraming, ParseErrorCode, ParseErrorStatus, ParserOptions, TargetForm } from '../../src/index.js'

/** The parts of a parsed request a case cares about; fields left out are not checked. */
export interface ExpectedRequest {
  method: string
  target: string
  version: string
  targetForm?: TargetForm
  versionMajor?: number
  versionMinor?: number
  /** The raw `[name, value, …]` list, in order, names as sent. */
  headers?: string[]
  /** The decoded body, latin-1. */
  body?: string
  /** Trailer fields of a chunked body; `null` for none. */
  trailers?: string[] | null
  framing?: BodyFraming
  contentLength?: number | undefined
  keepAlive?: boolean
  expectContinue?: boolean
}

export interface ExpectedError {
  code: ParseErrorCode
  status: ParseErrorStatus
  /** CPython's reason phrase, where the case pins it. */
  reason?: string
}

export interface ParseCase {
  title: string
  /** One line: what goes wrong in the world if this rule is not kept. */
  why: string
  /** The bytes, exactly; each UTF-16 unit of the string is one byte (latin-1). */
  raw: string
  options?: ParserOptions
  /** Every request completed before the end (or the error), in order. Default: none. */
  requests?: ExpectedRequest[]
  /**
   * The error the stream ends with. `SH_ERR_PARSE_INCOMPLETE` means nothing was refused but the
   * bytes stop inside a request (it comes from `finish()`). Absent: the stream ends cleanly.
   */
  error?: ExpectedError
  /** Leave out of the comparison with Node's llhttp (limits set through options, huge inputs). */
  skipDifferential?: string
}

/** `[name, value, name, value, …]` from `'Name: value'` strings, for readable expectations. */
export function fields(...lines: string[]): string[] {
  return lines.flatMap((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1).trim()]
  })
}
