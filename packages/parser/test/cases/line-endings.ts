/** Line endings: CRLF, bare LF heads, bare CR, mixes (RFC 9112 §2.2). */
import { fields, type ParseCase } from './types.js'

const CHUNKED = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'

export const lineEndingCases: ParseCase[] = [
  // ---- accepted ------------------------------------------------------------------------------
  {
    title: 'bare-LF head',
    why: 'RFC 9112 §2.2 lets a recipient accept LF alone; CPython does, and a head with no CR at all cannot be split two ways.',
    raw: 'GET / HTTP/1.0\n\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.0', headers: [] }],
  },
  {
    title: 'bare-LF head with fields',
    why: 'Every line of the head ends in LF alone: accepted.',
    raw: 'GET /x HTTP/1.1\nHost: a\nX-B: c\n\n',
    requests: [{ method: 'GET', target: '/x', version: 'HTTP/1.1', headers: fields('Host: a', 'X-B: c') }],
  },
  {
    title: 'bare-LF empty lines before the request line',
    why: 'Leading empty lines are skipped whichever line end they use.',
    raw: '\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1' }],
  },

  // ---- refused -------------------------------------------------------------------------------
  {
    title: 'CRLF request line, bare-LF field',
    why: 'A head mixing CRLF and LF is read differently by CRLF-only and LF-tolerant parsers.',
    raw: 'GET / HTTP/1.1\r\nHost: a\nX-B: c\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare-LF request line, CRLF field',
    why: 'The mix in the other direction.',
    raw: 'GET / HTTP/1.1\nHost: a\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'CRLF head ended by a bare LF',
    why: 'The empty line that ends the head must match the rest of it.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\n\nGET /hidden HTTP/1.1\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare CR in the request line',
    why: 'Some parsers end the line at CR, others do not: a second request line can hide after it.',
    raw: 'GET / HTTP/1.1\rHost: a\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare CR in a header name',
    why: 'A CR inside a line is never a line end (RFC 9112 §2.2).',
    raw: 'GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare CR in a header value',
    why: '`X: a\\rTransfer-Encoding: chunked` is two fields to a CR-splitting proxy.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rTransfer-Encoding: chunked\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'CR CR LF at a line end',
    why: 'Only one CR belongs to the line end; the other is bare.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare CR in a chunk-size line',
    why: 'Chunked framing is CRLF only.',
    raw: `${CHUNKED}5\rhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare LF after a chunk size',
    why: 'Bare LF inside chunked framing is refused even though a bare-LF head is allowed.',
    raw: `${CHUNKED}5\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare LF after the last chunk',
    why: 'The last-chunk line is chunked framing too.',
    raw: `${CHUNKED}0\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'bare LF ending the trailer section',
    why: 'The trailer section ends with CRLF.',
    raw: `${CHUNKED}0\r\n\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
]
