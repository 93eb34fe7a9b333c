/** Chunked bodies: sizes, extensions, terminators, trailers (RFC 9112 §7.1). */
import { fields, type ParseCase } from './types.js'

const HEAD = 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'

export const chunkedCases: ParseCase[] = [
  // ---- accepted ------------------------------------------------------------------------------
  {
    title: 'chunks are decoded',
    why: 'The body is the chunk data joined, without sizes or CRLFs.',
    raw: `${HEAD}5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    requests: [{ method: 'POST', target: '/upload', version: 'HTTP/1.1', framing: 'chunked', body: 'hello world', trailers: null }],
  },
  {
    title: 'hex sizes in either case',
    why: 'HEXDIG is case-insensitive: `a` and `A` are both ten.',
    raw: `${HEAD}a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n`,
    requests: [{ method: 'POST', target: '/upload', version: 'HTTP/1.1', body: '0123456789abcdefghij' }],
  },
  {
    title: 'chunk size with leading zeros',
    why: '1*HEXDIG allows leading zeros.',
    raw: `${HEAD}0005\r\nhello\r\n000\r\n\r\n`,
    requests: [{ method: 'POST', target: '/upload', version: 'HTTP/1.1', body: 'hello' }],
  },
  {
    title: 'chunk extensions are skipped',
    why: 'Extensions (name, name=token, name="quoted") carry no body bytes (RFC 9112 §7.1.1).',
    raw: `${HEAD}5;name=value\r\nhello\r\n1;a;b=c;d="x y"\r\n!\r\n0;last\r\n\r\n`,
    requests: [{ method: 'POST', target: '/upload', version: 'HTTP/1.1', body: 'hello!' }],
  },
  {
    title: 'trailer fields',
    why: 'Trailers after the last chunk are exposed separately from the headers.',
    raw: `${HEAD}3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\nX-Count: 1\r\n\r\n`,
    requests: [
      {
        method: 'POST',
        target: '/upload',
        version: 'HTTP/1.1',
        body: 'abc',
        trailers: fields('X-Checksum: 900150983cd24fb0', 'X-Count: 1'),
      },
    ],
  },
  {
    title: 'empty chunked body',
    why: 'A lone last-chunk is an empty body.',
    raw: `${HEAD}0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n`,
    requests: [
      { method: 'POST', target: '/upload', version: 'HTTP/1.1', body: '' },
      { method: 'GET', target: '/next', version: 'HTTP/1.1' },
    ],
  },

  // ---- refused -------------------------------------------------------------------------------
  {
    title: 'chunk size with 0x',
    why: 'strtol-style parsers read `0x5` as 5; HEXDIG has no prefix.',
    raw: `${HEAD}0x5\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'chunk size with a sign',
    why: 'Signed sizes parse in some languages; not in HTTP.',
    raw: `${HEAD}+5\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'negative chunk size',
    why: 'A negative size would rewind the stream in a naive parser.',
    raw: `${HEAD}-1\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'non-hex chunk size',
    why: '`g` is not a hex digit.',
    raw: `${HEAD}g\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'hex digits followed by junk',
    why: '`5z` is not 5: the rest of the line must be an extension.',
    raw: `${HEAD}5z\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'empty chunk size',
    why: 'A blank size line is not a last-chunk.',
    raw: `${HEAD}\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'chunk size beyond 2^53-1',
    why: 'A size a double cannot hold exactly would wrap or round: 0x20000000000000 is refused.',
    raw: `${HEAD}20000000000000\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'chunk size of exactly 2^53-1',
    why: 'The largest exact size is accepted (the body then never arrives here).',
    raw: `${HEAD}1fffffffffffff\r\n`,
    error: { code: 'SH_ERR_PARSE_INCOMPLETE', status: 400 },
    skipDifferential: 'llhttp caps chunk sizes at 2^64 and waits for the data as well; nothing to compare',
  },
  {
    title: 'whitespace after the size',
    why: 'BWS is only allowed before a `;` extension; `5 ` alone is malformed.',
    raw: `${HEAD}5 \r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'chunk data not followed by CRLF',
    why: 'A chunk longer than declared is the chunked form of a smuggled request.',
    raw: `${HEAD}5\r\nhelloXX\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_END', status: 400 },
  },
  {
    title: 'chunk data followed by bare LF',
    why: 'The data terminator is CRLF even when the head used bare LF.',
    raw: `${HEAD}5\r\nhello\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_END', status: 400 },
  },
  {
    title: 'extension without a name',
    why: 'chunk-ext-name is a token; `;` alone is malformed.',
    raw: `${HEAD}5;\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'extension with an empty value',
    why: '`name=` needs a token or a quoted string after the `=`.',
    raw: `${HEAD}5;a=\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'control character in an extension',
    why: 'Control bytes in an extension are how some parsers find a line end others do not.',
    raw: `${HEAD}5;a=b\x01c\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'unterminated quoted extension',
    why: 'A quote left open swallows the line end in quote-aware parsers.',
    raw: `${HEAD}5;a="b\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'chunk size with an underscore',
    why: 'Numeric-literal parsers read `0_2e` as 0x2e; HEXDIG has no separators.',
    raw: `${HEAD}0_2e\r\n${'a'.repeat(46)}\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'NUL right after the chunk size',
    why: 'C parsers stop a line at NUL and see `5` alone.',
    raw: `${HEAD}5\x00\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_SIZE', status: 400 },
  },
  {
    title: 'NUL in a chunk extension',
    why: 'C parsers stop a line at NUL: what follows it is hidden from them.',
    raw: `${HEAD}5;a=b\x00c\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'bare CR in a chunk extension',
    why: 'A CR inside an extension is a line end to some parsers.',
    raw: `${HEAD}5;a=b\rc\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_LINE_ENDING', status: 400 },
  },
  {
    title: 'extension without a `;`',
    why: '`5 a=b` has no `;`: whitespace after a size may only lead to a `;` extension.',
    raw: `${HEAD}5 a=b\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'stray quote in an extension value',
    why: 'An unbalanced quote (`b"`) opens a string in quote-aware parsers that swallows the line end.',
    raw: `${HEAD}5;a=b"\r\nhello\r\n0\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_CHUNK_EXTENSION', status: 400 },
  },
  {
    title: 'missing last chunk at the end of the stream',
    why: 'A body cut before its last-chunk is incomplete, not ended: the request is refused.',
    raw: `${HEAD}5\r\nhello\r\n`,
    error: { code: 'SH_ERR_PARSE_INCOMPLETE', status: 400 },
  },
  {
    title: 'obs-fold in a trailer',
    why: 'Trailer fields follow the header field rules.',
    raw: `${HEAD}0\r\nX-A: b\r\n c\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_OBS_FOLD', status: 400 },
  },
  {
    title: 'space before the colon in a trailer',
    why: 'Trailer fields follow the header field rules.',
    raw: `${HEAD}0\r\nX-A : b\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_SPACE_BEFORE_COLON', status: 400 },
  },
]
