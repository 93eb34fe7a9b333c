import type { Socket, TcpNetConnectOpts } from 'node:net'
import type { HTTPParseError, HeaderList, ResponseFraming } from '@simplehttp/parser'

/** One response as the test client read it. */
export interface TestResponse {
  readonly version: string
  readonly status: number
  /** The reason phrase as sent. */
  readonly reason: string
  readonly statusLine: string
  /** The head as received: status line and headers, up to and including the blank line. */
  head: string
  /** The header fields in order, names as sent. */
  readonly headers: readonly (readonly [name: string, value: string])[]
  readonly headerList: HeaderList
  /** The value of a header (first of that name, any case). */
  header(name: string): string | undefined
  /** The body, chunked framing removed. */
  readonly body: Buffer
  readonly trailers: HeaderList | undefined
  readonly framing: ResponseFraming
  readonly keepAlive: boolean
  /** 101, or a 2xx to CONNECT: the HTTP stream ended after this head. */
  readonly upgrade: boolean
  /** A 1xx other than 101. */
  readonly interim: boolean
  /** The method of the request it answers. */
  readonly method: string
}

export interface ReadResponsesOptions {
  /** Methods of the requests, one per final response (default GET). */
  methods?: readonly string[]
  /** The connection has closed: the end of the data ends a close-delimited body. */
  closed?: boolean
}

export interface ReadResponsesResult {
  /** Every complete response, interim ones included. */
  responses: TestResponse[]
  /** A response whose head arrived but whose body has not ended, with the body so far. */
  partial: (TestResponse & { partial: true }) | undefined
  /** Why the bytes stopped parsing as responses, if they did. */
  error: HTTPParseError | undefined
  /** The last response was an upgrade (101, 2xx to CONNECT). */
  upgraded: boolean
  /** The bytes after the last complete response. */
  rest: Buffer
}

export function bytes(data: string | Uint8Array): Buffer
export function readResponses(data: string | Uint8Array, options?: ReadResponsesOptions): ReadResponsesResult
export function finals(responses: readonly TestResponse[]): TestResponse[]

/** A raw TCP client: exact bytes out, bytes in, responses read on request. */
export class RawClient {
  constructor(socket: Socket)
  readonly socket: Socket
  /** Bytes received so far. */
  received: number
  closed: boolean
  /** Resolves once the server's side is gone (FIN or reset) and the socket closed. */
  readonly whenClosed: Promise<void>
  /** Connect; a subclass's `connect` makes an instance of the subclass. */
  static connect(port: number, host?: string, options?: Partial<TcpNetConnectOpts>): Promise<RawClient>
  /** Write exact bytes (strings are latin-1). */
  send(data: string | Uint8Array): Promise<void>
  /** Half-close: end our side (FIN) and keep reading. */
  halfClose(): Promise<void>
  readonly data: Buffer
  readonly text: string
  waitFor(ready: () => boolean, what?: string): Promise<void>
  /** Wait for `count` complete responses (interim ones count); `methods[i]` is the i-th request's method. */
  responses(count: number, methods?: readonly string[]): Promise<TestResponse[]>
  /** The response after `skip` earlier ones. */
  response(methods?: readonly string[], skip?: number): Promise<TestResponse>
  untilClosed(): Promise<Buffer>
  destroy(): void
}

/** Connect, send `data`, and collect until the server closes. */
export function exchange(port: number, data: string | Uint8Array, host?: string): Promise<RawClient>

/** CPython 3.14's error page, written out independently of src/. */
export function cpythonErrorPage(code: number, message: string, explain: string): string

/** Whether `response` is CPython's error page for `code` (and `message`, when given). */
export function isCPythonErrorPage(response: TestResponse, code: number, message?: string): boolean
