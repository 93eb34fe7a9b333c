/**
 * Limits: CPython's defaults (65,536-byte lines counted with their line end, 100 header fields)
 * and the configurable caps that bound memory.
 */
import type { ParseCase } from './types.js'

/** A request line of exactly `size` bytes, CRLF included. */
function requestLine(size: number): string {
  return `GET /${'a'.repeat(size - 'GET / HTTP/1.1\r\n'.length)} HTTP/1.1\r\n`
}

/** A header line of exactly `size` bytes, CRLF included. */
function headerLine(size: number): string {
  return `X-Big: ${'v'.repeat(size - 'X-Big: \r\n'.length)}\r\n`
}

function manyFields(count: number): string {
  let out = ''
  for (let i = 0; i < count; i++) out += `X-Field-${i}: ${i}\r\n`
  return out
}

const CHUNKED = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'

export const limitCases: ParseCase[] = [
  {
    title: 'request line of exactly 65,536 bytes',
    why: 'CPython reads readline(65537) and refuses only when it got more than 65,536 bytes.',
    raw: `${requestLine(65536)}Host: a\r\n\r\n`,
    requests: [{ method: 'GET', target: `/${'a'.repeat(65536 - 16)}`, version: 'HTTP/1.1' }],
  },
  {
    title: 'request line of 65,537 bytes → 414',
    why: 'One byte over CPython\'s limit is 414 URI Too Long.',
    raw: `${requestLine(65537)}Host: a\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_REQUEST_LINE_TOO_LONG', status: 414 },
  },
  {
    title: 'header line of exactly 65,536 bytes',
    why: 'CPython counts a header line with its CRLF: 65,536 bytes are fine.',
    raw: `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(65536)}\r\n`,
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1' }],
  },
  {
    title: 'header line of 65,537 bytes → 431',
    why: 'CPython: 431 "Line too long" once a header line passes 65,536 bytes.',
    raw: `GET / HTTP/1.1\r\nHost: a\r\n${headerLine(65537)}\r\n`,
    error: { code: 'SH_ERR_PARSE_HEADER_LINE_TOO_LONG', status: 431, reason: 'Line too long' },
  },
  {
    title: 'exactly 100 header fields',
    why: 'CPython accepts 100 fields (newest http.client._read_headers).',
    raw: `GET / HTTP/1.1\r\n${manyFields(100)}\r\n`,
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1' }],
  },
  {
    title: '101 header fields → 431',
    why: 'The 101st field is refused: 431 "Too many headers", as CPython.',
    raw: `GET / HTTP/1.1\r\n${manyFields(101)}\r\n`,
    error: { code: 'SH_ERR_PARSE_TOO_MANY_HEADERS', status: 431, reason: 'Too many headers' },
  },
  {
    title: 'total header bytes over the cap → 431',
    why: 'Lines under the per-line limit still add up; the head as a whole is capped (256 KiB by default).',
    raw: `GET / HTTP/1.1\r\n${headerLine(60000).repeat(5)}\r\n`,
    error: { code: 'SH_ERR_PARSE_HEADERS_TOO_LARGE', status: 431 },
    skipDifferential: 'a cap of our own; node was given a large maxHeaderSize on purpose',
  },
  {
    title: 'configured request-line limit',
    why: 'Limits are options; the request line counts its CRLF.',
    options: { maxRequestLineSize: 16 },
    raw: 'GET /a HTTP/1.1\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_REQUEST_LINE_TOO_LONG', status: 414 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'configured request-line limit, at the limit',
    why: 'A line exactly at the configured size passes.',
    options: { maxRequestLineSize: 16 },
    raw: 'GET / HTTP/1.1\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1' }],
    skipDifferential: 'configured limit',
  },
  {
    title: 'configured header-line limit',
    why: 'A header line over the configured size is 431.',
    options: { maxHeaderLineSize: 12 },
    raw: 'GET / HTTP/1.1\r\nX-A: 123456\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_HEADER_LINE_TOO_LONG', status: 431 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'configured header count',
    why: 'maxHeaders: n accepts n fields and refuses n+1.',
    options: { maxHeaders: 2 },
    raw: 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nGET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1' }],
    error: { code: 'SH_ERR_PARSE_TOO_MANY_HEADERS', status: 431 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'configured total header size',
    why: 'maxHeadersSize counts header lines with their line ends (here 2 × 10 bytes > 19).',
    options: { maxHeadersSize: 19 },
    raw: 'GET / HTTP/1.1\r\nA: 12345\r\nB: 12345\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_HEADERS_TOO_LARGE', status: 431 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'too many trailer fields',
    why: 'Trailers are capped like headers, or a chunked body could carry unbounded fields.',
    options: { maxHeaders: 2 },
    raw: `${CHUNKED}0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_TOO_MANY_HEADERS', status: 431 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'trailer bytes over the cap',
    why: 'The trailer section has its own byte budget, the same size as the head\'s.',
    options: { maxHeadersSize: 32 },
    raw: `${CHUNKED}0\r\nX-Trailer: ${'t'.repeat(40)}\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_HEADERS_TOO_LARGE', status: 431 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'Content-Length over maxBodySize → 413',
    why: 'A declared body that is too large is refused before a byte of it is read.',
    options: { maxBodySize: 10 },
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world',
    error: { code: 'SH_ERR_PARSE_BODY_TOO_LARGE', status: 413 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'chunked body over maxBodySize → 413',
    why: 'Chunk sizes add up against the same cap.',
    options: { maxBodySize: 10 },
    raw: `${CHUNKED}6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_BODY_TOO_LARGE', status: 413 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'chunk extension over the cap',
    why: 'An endless extension would keep a connection busy forever.',
    options: { maxChunkExtensionSize: 8 },
    raw: `${CHUNKED}5;a=123456789\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG', status: 400 },
    skipDifferential: 'configured limit',
  },
  {
    title: 'empty lines before the request line count against its limit',
    why: 'Endless CRLFs would otherwise hold a connection without ever sending a request.',
    options: { maxRequestLineSize: 8 },
    raw: '\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BAD_REQUEST_LINE', status: 400 },
    skipDifferential: 'configured limit',
  },
]
