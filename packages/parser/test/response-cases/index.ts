/**
 * Response cases: one per rule of ResponseParser, with the exact bytes (llhttp's readable-spec
 * style). Run by response-cases.test.ts in one chunk and one byte at a time, and compared with
 * Node's llhttp by response-differential.test.ts.
 */
import { fields } from '../cases/types.js'
import type { ResponseCase } from './types.js'

const ok = 'HTTP/1.1 200 OK\r\n'

export const framingResponseCases: ResponseCase[] = [
  {
    title: 'Content-Length body, then a pipelined response',
    why: 'The body is exactly Content-Length bytes; the next response starts right after.',
    raw: `${ok}Content-Length: 5\r\n\r\nhello${ok}Content-Length: 0\r\n\r\n`,
    responses: [
      { status: 200, reason: 'OK', framing: 'length', contentLength: 5, body: 'hello', keepAlive: true },
      { status: 200, framing: 'none', contentLength: 0, body: '' },
    ],
  },
  {
    title: 'chunked body with trailers',
    why: 'Chunked framing is removed and trailers are reported.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n`,
    responses: [{ status: 200, framing: 'chunked', contentLength: undefined, body: 'hello world', trailers: fields('X-Sum: 42') }],
  },
  {
    title: 'no length: read until the close',
    why: 'RFC 9112 §6.3 (8): without CL or TE the body runs until the server closes; finish() ends it.',
    raw: `${ok}Content-Type: text/plain\r\n\r\nall of this is body\r\nHTTP/1.1 200 OK\r\n`,
    responses: [{ status: 200, framing: 'close', keepAlive: false, body: 'all of this is body\r\nHTTP/1.1 200 OK\r\n' }],
  },
  {
    title: 'HTTP/1.0 without Connection: close-delimited',
    why: 'The classic HTTP/1.0 response: body until the close.',
    raw: 'HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.12\r\n\r\n<html>',
    responses: [{ status: 200, version: 'HTTP/1.0', framing: 'close', keepAlive: false, body: '<html>' }],
  },
  {
    title: 'HTTP/1.0 keep-alive with Content-Length',
    why: 'keep-alive needs the token in HTTP/1.0.',
    raw: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi',
    responses: [{ status: 200, version: 'HTTP/1.0', keepAlive: true, body: 'hi' }],
  },
  {
    title: 'Connection: close with Content-Length',
    why: 'The server says it will close; the length still frames the body.',
    raw: `${ok}Connection: close\r\nContent-Length: 2\r\n\r\nhi`,
    responses: [{ status: 200, keepAlive: false, framing: 'length', body: 'hi' }],
  },
  {
    title: 'a response to HEAD has no body, whatever its headers say',
    why: 'RFC 9112 §6.3 (1): reading a body here would swallow the next response.',
    raw: `${ok}Content-Length: 5\r\n\r\n${ok}Content-Length: 5\r\n\r\nhello`,
    methods: ['HEAD', 'GET'],
    responses: [
      { status: 200, framing: 'none', contentLength: 0, body: '', method: 'HEAD' },
      { status: 200, framing: 'length', body: 'hello', method: 'GET' },
    ],
  },
  {
    title: 'a chunked response to HEAD has no body',
    why: 'RFC 9112 §6.3 (1) applies to Transfer-Encoding too.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n${ok}Content-Length: 0\r\n\r\n`,
    methods: ['HEAD', 'GET'],
    responses: [{ status: 200, framing: 'none', body: '' }, { status: 200, body: '' }],
  },
  {
    title: '204 and 304 have no body',
    why: 'RFC 9112 §6.3 (1): their Content-Length describes something else.',
    raw: 'HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\nETag: "x"\r\n\r\n',
    responses: [
      { status: 204, reason: 'No Content', framing: 'none', body: '' },
      { status: 304, reason: 'Not Modified', framing: 'none', body: '', keepAlive: true },
    ],
  },
  {
    title: 'interim 100 and 103, then the final response',
    why: 'Interim responses are reported and do not use up the request: the final one answers HEAD.',
    raw: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + `${ok}Content-Length: 3\r\n\r\n`,
    methods: ['HEAD'],
    responses: [
      { status: 100, reason: 'Continue', framing: 'none', method: 'HEAD' },
      { status: 103, headers: fields('Link: </a.css>; rel=preload'), method: 'HEAD' },
      { status: 200, framing: 'none', body: '', method: 'HEAD' },
    ],
  },
  {
    title: '101 Switching Protocols ends the HTTP stream',
    why: 'What follows is the new protocol, not an HTTP response; it is left to the caller.',
    raw: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello',
    responses: [{ status: 101, upgrade: true, framing: 'none', keepAlive: false }],
    rest: '\x81\x05hello',
  },
  {
    title: '2xx to CONNECT is a tunnel',
    why: 'RFC 9112 §6.3 (2): after it the bytes belong to the tunnel, even ones that look like HTTP.',
    raw: 'HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    methods: ['CONNECT'],
    responses: [{ status: 200, upgrade: true, framing: 'none', method: 'CONNECT' }],
    rest: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
  },
  {
    title: 'a refused CONNECT is an ordinary response',
    why: 'Only a 2xx opens the tunnel.',
    raw: 'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno',
    methods: ['CONNECT'],
    responses: [{ status: 407, upgrade: false, body: 'no' }],
  },
  {
    title: 'Transfer-Encoding whose final coding is not chunked: read until the close',
    why: 'RFC 9112 §6.3 (4) for responses: the length is unknown, so the close ends the body (bytes as sent).',
    raw: `${ok}Transfer-Encoding: gzip\r\n\r\n\x1f\x8b raw bytes`,
    responses: [{ status: 200, framing: 'close', keepAlive: false, body: '\x1f\x8b raw bytes' }],
  },
  {
    title: 'empty lines before a status line are skipped',
    why: 'RFC 9112 §2.2 robustness, as for requests (a stray CRLF after a body).',
    raw: `\r\n${ok}Content-Length: 0\r\n\r\n`,
    responses: [{ status: 200 }],
  },
  {
    title: 'bare-LF head',
    why: 'RFC 9112 §2.2 allows LF alone; with no CR at all nothing can be read two ways.',
    raw: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nhi',
    responses: [{ status: 200, body: 'hi' }],
  },
  {
    title: 'stops inside a Content-Length body',
    why: 'A response cut short is incomplete, not a shorter body.',
    raw: `${ok}Content-Length: 10\r\n\r\nhello`,
    error: { code: 'SH_ERR_PARSE_INCOMPLETE', status: 400 },
  },
  {
    title: 'stops inside a chunked body',
    why: 'The terminating zero-size chunk never came.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`,
    error: { code: 'SH_ERR_PARSE_INCOMPLETE', status: 400 },
  },
]

export const statusLineCases: ResponseCase[] = [
  {
    title: 'empty reason phrase with its space',
    why: 'RFC 9112 §4: the reason may be empty; the space is still sent.',
    raw: 'HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n',
    responses: [{ status: 200, reason: '' }],
  },
  {
    title: 'no space after the status code',
    why: 'Servers should send it (RFC 9112 §4) but the line still reads one way only: reason is empty.',
    raw: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
    responses: [{ status: 200, reason: '' }],
  },
  {
    title: 'reason phrase with spaces, tabs and obs-text',
    why: 'reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), kept as sent.',
    raw: 'HTTP/1.1 404 Not\tFound \xe9t\xe9 \r\nContent-Length: 0\r\n\r\n',
    responses: [{ status: 404, reason: 'Not\tFound \xe9t\xe9 ' }],
  },
  {
    title: 'status 999 is allowed',
    why: 'status-code = 3DIGIT; codes above 599 are used privately and frame like 2xx.',
    raw: 'HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n',
    responses: [{ status: 999 }],
  },
  {
    title: 'status below 100',
    why: 'No status below 100 exists; a parser that accepts 099 guesses at its framing.',
    raw: 'HTTP/1.1 099 Low\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_STATUS', status: 502 },
  },
  {
    title: 'two-digit status',
    why: 'status-code is exactly three digits.',
    raw: 'HTTP/1.1 20 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_STATUS', status: 502 },
  },
  {
    title: 'four-digit status',
    why: 'status-code is exactly three digits.',
    raw: 'HTTP/1.1 2000 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_STATUS', status: 502 },
  },
  {
    title: 'status with letters',
    why: 'Only digits.',
    raw: 'HTTP/1.1 2x0 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_STATUS', status: 502 },
  },
  {
    title: 'two spaces before the status',
    why: 'One SP separates version and code; two is how parsers start to disagree.',
    raw: 'HTTP/1.1  200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_STATUS', status: 502 },
  },
  {
    title: 'tab after the version',
    why: 'Only SP separates the version from the code.',
    raw: 'HTTP/1.1\t200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_STATUS_LINE', status: 502 },
  },
  {
    title: 'not HTTP',
    why: 'An RTSP or ICE response is not an HTTP response.',
    raw: 'RTSP/1.0 200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_STATUS_LINE', status: 502 },
  },
  {
    title: 'version with two-digit major',
    why: 'HTTP-version = "HTTP/" DIGIT "." DIGIT.',
    raw: 'HTTP/11.1 200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_STATUS_LINE', status: 502 },
  },
  {
    title: 'lower-case http',
    why: 'HTTP-name is case-sensitive (RFC 9112 §2.3).',
    raw: 'http/1.1 200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_STATUS_LINE', status: 502 },
  },
  {
    title: 'HTTP/2.0 on an HTTP/1 stream',
    why: 'Only HTTP/1.x is read here.',
    raw: 'HTTP/2.0 200 OK\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_VERSION_NOT_SUPPORTED', status: 505 },
  },
  {
    title: 'bare CR in the status line',
    why: 'A bare CR is a line end to some parsers and not to others.',
    raw: 'HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'control character in the reason phrase',
    why: 'NUL and other controls are not reason-phrase characters.',
    raw: 'HTTP/1.1 200 O\x00K\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_STATUS_LINE', status: 502 },
  },
  {
    title: 'status line over the limit',
    why: 'Bounded memory: a status line that never ends is refused at the limit.',
    raw: `HTTP/1.1 200 ${'x'.repeat(100)}\r\n\r\n`,
    options: { maxStatusLineSize: 64 },
    error: { code: 'SH_ERR_PARSE_STATUS_LINE_TOO_LONG', status: 502 },
    skipDifferential: 'limit set through options',
  },
]

export const headerResponseCases: ResponseCase[] = [
  {
    title: 'Content-Length with Transfer-Encoding',
    why: 'RFC 9112 §6.1: the smuggling pair; a proxy must not pick one.',
    raw: `${ok}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_CONFLICTING_FRAMING', status: 400 },
  },
  {
    title: 'two Content-Length fields, even equal',
    why: 'Merging is allowed but refusing is safer: a cache and a client could frame differently.',
    raw: `${ok}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'Content-Length with a sign',
    why: '1*DIGIT only.',
    raw: `${ok}Content-Length: +5\r\n\r\nhello`,
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'Content-Length list',
    why: '"5, 5" is a list; not digits.',
    raw: `${ok}Content-Length: 5, 5\r\n\r\nhello`,
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'bad Content-Length on a 304 is still refused',
    why: 'A malformed field is malformed whether or not it frames anything.',
    raw: 'HTTP/1.1 304 Not Modified\r\nContent-Length: abc\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'chunked twice',
    why: 'RFC 9112 §6.1: chunked is applied once.',
    raw: `${ok}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'a coding before chunked that we do not remove',
    why: 'gzip, chunked would hand the caller gzip bytes as if they were the body.',
    raw: `${ok}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', status: 501 },
  },
  {
    title: 'Transfer-Encoding in an HTTP/1.0 response',
    why: 'RFC 9112 §6.1: the framing of such a message is faulty.',
    raw: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'obs-fold',
    why: 'RFC 9112 §5.2: unfolding invites desync; refuse.',
    raw: `${ok}X-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_OBS_FOLD', status: 400 },
  },
  {
    title: 'space before the colon',
    why: 'RFC 9112 §5.1: "Content-Length : 5" is read differently by different parsers.',
    raw: `${ok}Content-Length : 5\r\n\r\nhello`,
    error: { code: 'SH_ERR_PARSE_SPACE_BEFORE_COLON', status: 400 },
  },
  {
    title: 'bare CR between header lines',
    why: 'A bare CR is a line end to some parsers and not to others.',
    raw: `${ok}Foo: 1\rBar: 2\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'control character in a value',
    why: 'NUL in a value truncates it for C code downstream.',
    raw: `${ok}X-A: a\x00b\r\nContent-Length: 0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
  {
    title: 'a head mixing CRLF and bare LF',
    why: 'One parser sees a line end where another does not.',
    raw: `${ok}Content-Length: 0\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'chunk size with 0x',
    why: 'Plain hex only.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'chunk data not followed by CRLF',
    why: 'A chunk longer than its size is how a second response gets smuggled in.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_END', status: 400 },
  },
  {
    title: 'bare LF after a chunk size',
    why: 'Chunked framing is CRLF-only.',
    raw: `${ok}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'too many header fields',
    why: 'Bounded memory, as for requests.',
    raw: `${ok}${'X-A: 1\r\n'.repeat(5)}\r\n`,
    options: { maxHeaders: 4 },
    error: { code: 'SH_ERR_PARSE_TOO_MANY_HEADERS', status: 431 },
    skipDifferential: 'limit set through options',
  },
  {
    title: 'header line over the limit',
    why: 'Bounded memory, as for requests.',
    raw: `${ok}X-A: ${'x'.repeat(100)}\r\n\r\n`,
    options: { maxHeaderLineSize: 64 },
    error: { code: 'SH_ERR_PARSE_HEADER_LINE_TOO_LONG', status: 431 },
    skipDifferential: 'limit set through options',
  },
  {
    title: 'header bytes over the limit',
    why: 'Bounded memory, as for requests.',
    raw: `${ok}${'X-A: 12345678\r\n'.repeat(10)}\r\n`,
    options: { maxHeadersSize: 100 },
    error: { code: 'SH_ERR_PARSE_HEADERS_TOO_LARGE', status: 431 },
    skipDifferential: 'limit set through options',
  },
  {
    title: 'body over maxBodySize',
    why: 'A client can cap what it will read.',
    raw: `${ok}Content-Length: 100\r\n\r\n`,
    options: { maxBodySize: 10 },
    error: { code: 'SH_ERR_PARSE_BODY_TOO_LARGE', status: 413 },
    skipDifferential: 'limit set through options',
  },
]

export const responseCaseTables = {
  'response framing': framingResponseCases,
  'status line': statusLineCases,
  'response header fields and chunks': headerResponseCases,
}

export const allResponseCases: ResponseCase[] = Object.values(responseCaseTables).flat()
