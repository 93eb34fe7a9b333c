/**
 * The one-shot helper for responses: parse a complete buffer of pipelined responses in one call.
 * @module
 */
import type { HTTPParseError } from './errors.js'
import type { HeaderList } from './headers.js'
import { ResponseParser } from './response-parser.js'
import type { ResponseHead, ResponseParserOptions } from './types.js'
import { MessageCollector } from './internal/collect.js'

/** A whole response: its head, its decoded body and its trailers. */
export interface ParsedResponse extends ResponseHead {
  /** The body with chunked framing removed; empty when there is none. */
  readonly body: Buffer
  /** Trailer fields of a chunked body, if it had any. */
  readonly trailers: HeaderList | undefined
}

/** Options for {@link parseResponses}: the parser's limits, and the requests answered. */
export interface ParseResponsesOptions extends ResponseParserOptions {
  /**
   * The methods of the requests the responses answer, one per final response, in order
   * (interim `1xx` responses take none). Past the end of the list, `defaultMethod` (`GET`).
   */
  methods?: readonly string[]
}

/** What {@link parseResponses} found. */
export interface ParseResponsesResult {
  /** Every response that was complete, in order, interim `1xx` responses included. */
  readonly responses: ParsedResponse[]
  /** Why parsing stopped early, if it did; the responses before it are still returned. */
  readonly error: HTTPParseError | undefined
  /** Bytes after the last complete response that do not yet form a whole response. */
  readonly incomplete: boolean
  /** After an upgrade (`101`, or a `2xx` to `CONNECT`): the bytes that belong to the tunnel. */
  readonly rest: Buffer | undefined
}

/**
 * Parse every response in `input`, as a client that sent `methods` and then saw the connection
 * close: a body delimited by the close ends at the end of `input`. Never throws for bad input: a
 * refused stream comes back as `error`.
 *
 * @example
 * const { responses } = parseResponses(bytes, { methods: ['HEAD', 'GET'] })
 * responses[1].body.toString()
 */
export function parseResponses(input: Uint8Array, options: ParseResponsesOptions = {}): ParseResponsesResult {
  const collected = new MessageCollector<ResponseHead>()
  const responses = collected.messages
  const parser = new ResponseParser(collected.callbacks, options)
  for (const method of options.methods ?? []) parser.expect({ method })
  const consumed = parser.execute(input)
  // The caller's buffer ended: that ends a body delimited by the close.
  if (parser.error === undefined && collected.pending?.framing === 'close') parser.finish()
  const upgraded = parser.error === undefined && responses.at(-1)?.upgrade === true
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  return {
    responses,
    error: parser.error,
    incomplete: parser.error === undefined && !parser.finished && !parser.idle,
    rest: upgraded ? bytes.subarray(consumed) : undefined,
  }
}
