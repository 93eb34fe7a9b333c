/** Message framing: Content-Length and Transfer-Encoding (RFC 9112 §6). */
import type { ParseCase } from './types.js'

export const framingCases: ParseCase[] = [
  // ---- accepted ------------------------------------------------------------------------------
  {
    title: 'Content-Length body',
    why: 'The body is exactly Content-Length bytes.',
    raw: 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world',
    requests: [{ method: 'POST', target: '/form', version: 'HTTP/1.1', framing: 'length', contentLength: 11, body: 'hello=world' }],
  },
  {
    title: 'Content-Length: 0',
    why: 'A zero length means no body; the next bytes are the next request.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [
      { method: 'POST', target: '/', version: 'HTTP/1.1', framing: 'none', contentLength: 0, body: '' },
      { method: 'GET', target: '/next', version: 'HTTP/1.1' },
    ],
  },
  {
    title: 'Content-Length with leading zeros',
    why: '1*DIGIT allows leading zeros; the value is still 5.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello',
    requests: [{ method: 'POST', target: '/', version: 'HTTP/1.1', contentLength: 5, body: 'hello' }],
  },
  {
    title: 'a body that looks like a request',
    why: 'Body bytes are never read as a request; the next request starts right after them.',
    raw:
      'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1' +
      'GET /b HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [
      { method: 'POST', target: '/a', version: 'HTTP/1.1', body: 'GET / HTTP/1.1' },
      { method: 'GET', target: '/b', version: 'HTTP/1.1', body: '' },
    ],
  },
  {
    title: 'Transfer-Encoding: chunked',
    why: 'chunked as the only coding gives a chunked body.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/', version: 'HTTP/1.1', framing: 'chunked', contentLength: undefined, body: 'abc' }],
  },
  {
    title: 'Transfer-Encoding is case-insensitive',
    why: 'Coding names are case-insensitive (RFC 9112 §7).',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n',
    requests: [{ method: 'POST', target: '/', version: 'HTTP/1.1', framing: 'chunked', body: '' }],
  },

  // ---- refused -------------------------------------------------------------------------------
  {
    title: 'Transfer-Encoding: chunked followed by NBSP',
    why: 'Only SP and HTAB are optional whitespace; `chunked\\xa0` is another coding to a proxy.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'Transfer-Encoding: NBSP before chunked',
    why: 'A leading NBSP is not whitespace either (JavaScript\'s trim() would strip it).',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \xa0chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'Transfer-Encoding with Content-Length',
    why: 'The classic request-smuggling pair (RFC 9112 §6.1): refuse rather than pick one.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_CONFLICTING_FRAMING', status: 400 },
  },
  {
    title: 'Content-Length with Transfer-Encoding',
    why: 'The same conflict in the other order.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_CONFLICTING_FRAMING', status: 400 },
  },
  {
    title: 'duplicate Content-Length, equal values',
    why: 'RFC 9112 §6.3 allows merging equal values; refusing is simpler and closes the door on desync.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'duplicate Content-Length, different values',
    why: 'Two lengths: each parser on the path may pick another one.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'Content-Length as a list',
    why: '`5, 5` is a list, not 1*DIGIT.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'Content-Length with a plus sign',
    why: 'Number parsers that accept signs read `+5` as 5; others refuse it.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'negative Content-Length',
    why: 'A negative length is meaningless and breaks arithmetic elsewhere.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'hex Content-Length',
    why: 'Number("0x5") is 5 in JavaScript; the length is decimal.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'space inside Content-Length',
    why: '`1 0` is 1 to some parsers, 10 to others.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\nhelloworld',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'underscore in Content-Length',
    why: 'Some languages accept `1_0` as 10 in number literals.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\nhelloworld',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'junk after Content-Length digits',
    why: 'parseInt("5abc") is 5; the field is not a length.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5abc\r\n\r\nhello',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'empty Content-Length',
    why: 'Number("") is 0 in JavaScript; an empty length is not a length.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH', status: 400 },
  },
  {
    title: 'Content-Length beyond 2^53-1',
    why: 'A length a double cannot hold exactly would be rounded: refused as too large (413).',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_BODY_TOO_LARGE', status: 413 },
  },
  {
    title: 'final coding not chunked',
    why: 'RFC 9112 §6.3: if chunked is not last, the length is unknowable: 400.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'only a non-chunked coding',
    why: 'A request body must be delimited; `gzip` alone does not delimit it.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'identity coding',
    why: '`identity` was removed from HTTP/1.1 and is not chunked.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'gzip then chunked → 501',
    why: 'RFC 9112 §6.1: a coding we do not implement is 501 Not Implemented.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', status: 501 },
  },
  {
    title: 'codings spread over two fields → 501',
    why: 'Repeated fields form one list (RFC 9110 §5.3): gzip then chunked.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_UNSUPPORTED_TRANSFER_CODING', status: 501 },
  },
  {
    title: 'chunked twice',
    why: 'RFC 9112 §6.1: chunked must not be applied more than once.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'empty Transfer-Encoding',
    why: 'An empty coding list names no framing at all.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'coding with a parameter',
    why: '`chunked;q=1` is not `chunked` to every parser.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'Transfer-Encoding in HTTP/1.0',
    why: 'RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.',
    raw: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_TRANSFER_ENCODING', status: 400 },
  },
  {
    title: 'vertical tab before chunked',
    why: 'Some parsers trim \\v as whitespace and see chunked; it is a control character.',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
]
