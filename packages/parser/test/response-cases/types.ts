/**
 * The shape of a response case: as test/cases/types.ts, plus the methods of the requests the
 * responses answer, and what must come after an upgrade.
 */
import type { ParseErrorCode, ParseErrorStatus, ResponseFraming, ResponseParserOptions } from '../../src/index.js'

/** The parts of a parsed response a case cares about; fields left out are not checked. */
export interface ExpectedResponse {
  status: number
  reason?: string
  version?: string
  /** The raw `[name, value, …]` list, in order, names as sent. */
  headers?: string[]
  /** The decoded body, latin-1. */
  body?: string
  trailers?: string[] | null
  framing?: ResponseFraming
  contentLength?: number | undefined
  keepAlive?: boolean
  upgrade?: boolean
  method?: string
}

export interface ResponseCase {
  title: string
  /** One line: what goes wrong in the world if this rule is not kept. */
  why: string
  /** The bytes, exactly; each UTF-16 unit is one byte (latin-1). */
  raw: string
  /** Methods of the requests answered, one per final response (default GET). */
  methods?: string[]
  options?: ResponseParserOptions
  /** Every response completed before the end (or the error), in order (interim ones included). */
  responses?: ExpectedResponse[]
  /** The error the stream ends with; `SH_ERR_PARSE_INCOMPLETE` when it stops inside a response. */
  error?: { code: ParseErrorCode; status: ParseErrorStatus }
  /** After an upgrade: the bytes left for the tunnel or new protocol. */
  rest?: string
  /** Leave out of the comparison with Node's llhttp (limits set through options). */
  skipDifferential?: string
}

/** A case converted from llhttp's own response specs (test/tools/convert-llhttp-responses.mjs). */
export interface LlhttpResponseCase {
  /** `file.md:line` in llhttp's test/response/. */
  source: string
  title: string
  method: string
  raw: string
  /** What llhttp's log records: `accepted`, or its error reason. */
  llhttp: string
}
