/**
 * The public types of both parsers: options, callbacks and what each reports per message.
 * @module
 */
import type { HTTPParseError } from './errors.js'
import type { HeaderList } from './headers.js'

/** Limits shared by both parsers. Every limit bounds the memory one connection can make a parser hold. */
export interface MessageLimits {
  /** Longest header (or trailer) line, counting its line ending; longer → 431. Default 65,536 (CPython). */
  maxHeaderLineSize?: number
  /** Most header fields (and, separately, trailer fields); one more → 431. Default 100 (CPython). */
  maxHeaders?: number
  /**
   * Most bytes of header lines in one head (and, separately, of trailer lines), line endings
   * included; more → 431. Default 262,144.
   */
  maxHeadersSize?: number
  /** Longest chunk extension (`;name=value…` after a chunk size); longer → 400. Default 4,096. */
  maxChunkExtensionSize?: number
  /** Largest body, declared or chunked; larger → 413. Default: no limit. */
  maxBodySize?: number
}

/** Limits and policy of the request parser. */
export interface ParserOptions extends MessageLimits {
  /** Longest request line, counting its line ending; longer → 414. Default 65,536 (CPython). */
  maxRequestLineSize?: number
}

/** How the body of a request is delimited (RFC 9112 §6.3). */
export type BodyFraming = 'none' | 'length' | 'chunked'

/** The kind of request-target (RFC 9112 §3.2). */
export type TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk'

/** What the parser yields for each request before its body. */
export interface RequestHead {
  /** The method, case as sent (`GET`, `SPAM`). */
  readonly method: string
  /** The request-target as sent (latin-1 decoded; nothing is percent-decoded). */
  readonly target: string
  /** Which of the four request-target forms `target` is. */
  readonly targetForm: TargetForm
  /** The version as sent: `HTTP/1.1`, `HTTP/1.0`; `HTTP/0.9` for a two-word request line. */
  readonly version: string
  /** The version's major number (`1` for `HTTP/1.1`, `0` for HTTP/0.9). */
  readonly versionMajor: number
  /** The version's minor number (`1` for `HTTP/1.1`, `9` for HTTP/0.9). */
  readonly versionMinor: number
  /** The request line without its line ending, as CPython's `requestline`. */
  readonly requestLine: string
  /** The header fields in arrival order, names as sent, with case-insensitive lookup. */
  readonly headers: HeaderList
  /** `length` for Content-Length, `chunked` for chunked transfer coding, otherwise `none`. */
  readonly framing: BodyFraming
  /** The declared body length; 0 for `none`, `undefined` for `chunked`. */
  readonly contentLength: number | undefined
  /** Whether the client lets the connection stay open (its version and `Connection` tokens). */
  readonly keepAlive: boolean
  /** `Expect: 100-continue` was sent. */
  readonly expectContinue: boolean
}

/** Callbacks that receive what the request parser found, in stream order. */
export interface ParserCallbacks {
  /** A request head is complete. */
  onHead(head: RequestHead): void
  /** Decoded body bytes: a view into the chunk passed to `execute`; copy it to keep it. */
  onBody?(chunk: Buffer): void
  /** The request ended; `trailers` holds a chunked body's trailer fields, if it had any. */
  onEnd?(trailers: HeaderList | undefined): void
  /** The stream was refused; nothing more will be parsed. */
  onError?(error: HTTPParseError): void
}

/** Limits and policy of the response parser. */
export interface ResponseParserOptions extends MessageLimits {
  /** Longest status line, counting its line ending; longer → `SH_ERR_PARSE_STATUS_LINE_TOO_LONG`. Default 65,536. */
  maxStatusLineSize?: number
  /** The method a response answers when none was given with `expect()`. Default `GET`. */
  defaultMethod?: string
}

/**
 * How the body of a response is delimited (RFC 9112 §6.3): `close` reads until the connection
 * closes (`finish()` ends it).
 */
export type ResponseFraming = 'none' | 'length' | 'chunked' | 'close'

/** What the response parser yields for each response (interim `1xx` ones included) before its body. */
export interface ResponseHead {
  /** The version as sent: `HTTP/1.1`, `HTTP/1.0`. */
  readonly version: string
  readonly versionMajor: number
  readonly versionMinor: number
  /** The status code, 100–999. */
  readonly status: number
  /** The reason phrase as sent; may be empty. */
  readonly reason: string
  /** The status line without its line ending. */
  readonly statusLine: string
  /** The header fields in arrival order, names as sent, with case-insensitive lookup. */
  readonly headers: HeaderList
  /** How the body is delimited; `none` for `1xx`, `204`, `304`, a response to `HEAD`, and tunnels. */
  readonly framing: ResponseFraming
  /** The declared body length; 0 for `none`, `undefined` for `chunked` and `close`. */
  readonly contentLength: number | undefined
  /** Whether the server lets the connection stay open (version, `Connection`, framing). */
  readonly keepAlive: boolean
  /**
   * The HTTP stream ends after this head: `101 Switching Protocols`, or a `2xx` to `CONNECT`.
   * `execute` returns the bytes it consumed; the rest belongs to the new protocol or the tunnel.
   */
  readonly upgrade: boolean
  /** The method of the request this response answers (`expect()`, or the default). */
  readonly method: string
}

/** Callbacks that receive what the response parser found, in stream order. */
export interface ResponseParserCallbacks {
  /** A response head is complete (interim `1xx` heads too; each is followed by its `onEnd`). */
  onHead(head: ResponseHead): void
  /** Decoded body bytes: a view into the chunk passed to `execute`; copy it to keep it. */
  onBody?(chunk: Buffer): void
  /** The response ended; `trailers` holds a chunked body's trailer fields, if it had any. */
  onEnd?(trailers: HeaderList | undefined): void
  /** The stream was refused; nothing more will be parsed. */
  onError?(error: HTTPParseError): void
}
