/**
 * The one-shot helper: parse a complete buffer in one call.
 * @module
 */
import type { HTTPParseError } from './errors.js'
import type { HeaderList } from './headers.js'
import { RequestParser } from './parser.js'
import type { ParserOptions, RequestHead } from './types.js'
import { MessageCollector } from './internal/collect.js'

/** A whole request: its head, its decoded body and its trailers. */
export interface ParsedRequest extends RequestHead {
  /** The body with chunked framing removed; empty when there is none. */
  readonly body: Buffer
  /** Trailer fields of a chunked body, if it had any. */
  readonly trailers: HeaderList | undefined
}

/** What {@link parseRequests} found. */
export interface ParseResult {
  /** Every request that was complete, in order. */
  readonly requests: ParsedRequest[]
  /** Why parsing stopped early, if it did; the requests before it are still returned. */
  readonly error: HTTPParseError | undefined
  /** Bytes after the last complete request that do not yet form a whole request. */
  readonly incomplete: boolean
}

/**
 * Parse every request in `input` (one, or several pipelined). Never throws for bad input: a
 * refused stream comes back as `error`.
 *
 * @example
 * const { requests, error } = parseRequests(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
 * requests[0].method // 'GET'
 */
export function parseRequests(input: Uint8Array, options?: ParserOptions): ParseResult {
  const collected = new MessageCollector<RequestHead>()
  const parser = new RequestParser(collected.callbacks, options)
  parser.execute(input)
  return { requests: collected.messages, error: parser.error, incomplete: parser.error === undefined && !parser.idle && !parser.finished }
}
