/** Header fields: names, values, whitespace, duplicates (RFC 9112 §5, RFC 9110 §5). */
import { fields, type ParseCase } from './types.js'

export const headerCases: ParseCase[] = [
  // ---- accepted ------------------------------------------------------------------------------
  {
    title: 'headers keep their order and spelling',
    why: 'Raw names and order reach the handler as sent; repeated fields stay separate.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Trace: 1\r\nAccept: */*\r\nx-trace: 2\r\n\r\n',
    requests: [
      { method: 'GET', target: '/', version: 'HTTP/1.1', headers: fields('Host: a', 'X-Trace: 1', 'Accept: */*', 'x-trace: 2') },
    ],
  },
  {
    title: 'spaces and tabs around a value are trimmed',
    why: 'OWS is not part of the value (RFC 9112 §5); inner whitespace is.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: \t  two  words \t \r\nX-B:\tx\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: fields('Host: a', 'X-A: two  words', 'X-B: x') }],
  },
  {
    title: 'empty value',
    why: 'A field may be empty (RFC 9110 §5.5).',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Blank:   \r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: ['Host', 'a', 'X-Empty', '', 'X-Blank', ''] }],
  },
  {
    title: 'tab inside a value',
    why: 'HTAB is allowed inside field values.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Tab: a\tb\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: ['Host', 'a', 'X-Tab', 'a\tb'] }],
  },
  {
    title: 'obs-text in a value',
    why: 'Bytes 0x80–0xFF are obs-text: allowed, passed through as latin-1.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Name: Andr\xe9 \xc3\xa9\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: ['Host', 'a', 'X-Name', 'Andr\xe9 \xc3\xa9'] }],
  },
  {
    title: 'every tchar in a name',
    why: "A field name is a token: letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 §5.6.2).",
    raw: "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09AZaz: ok\r\n\r\n",
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: ['Host', 'a', "!#$%&'*+-.^_`|~09AZaz", 'ok'] }],
  },
  {
    title: 'no space after the colon',
    why: 'OWS after the colon is optional.',
    raw: 'GET / HTTP/1.1\r\nHost:a\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', headers: ['Host', 'a'] }],
  },
  {
    title: 'Expect: 100-continue',
    why: 'The handler must know to send 100 Continue before reading the body.',
    raw: 'PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi',
    requests: [{ method: 'PUT', target: '/f', version: 'HTTP/1.1', expectContinue: true, body: 'hi' }],
  },
  {
    title: 'Connection: close on HTTP/1.1',
    why: 'The client asks to close after this response.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade-Insecure, close\r\n\r\n',
    requests: [{ method: 'GET', target: '/', version: 'HTTP/1.1', keepAlive: false }],
  },

  // ---- refused -------------------------------------------------------------------------------
  {
    title: 'space before the colon',
    why: 'RFC 9112 §5.1 requires a 400: some proxies strip the space, others keep it in the name.',
    raw: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_SPACE_BEFORE_COLON', status: 400 },
  },
  {
    title: 'tab before the colon',
    why: 'Same smuggling vector with HTAB (`Transfer-Encoding\\t: chunked`).',
    raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_SPACE_BEFORE_COLON', status: 400 },
  },
  {
    title: 'obs-fold continuation line',
    why: 'RFC 9112 §5.2: unfolding or not is where two parsers part ways; refuse instead.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Long: first\r\n second\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_OBS_FOLD', status: 400 },
  },
  {
    title: 'obs-fold with a tab',
    why: 'A continuation may start with HTAB as well.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-Long: first\r\n\tsecond\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_OBS_FOLD', status: 400 },
  },
  {
    title: 'whitespace before the first header',
    why: 'RFC 9112 §2.2: whitespace between the request line and the first field must be rejected.',
    raw: 'GET / HTTP/1.1\r\n Host: a\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_OBS_FOLD', status: 400 },
  },
  {
    title: 'NUL in a name',
    why: 'C-string peers truncate at NUL and read another name.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A\x00b: c\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_NAME', status: 400 },
  },
  {
    title: 'NUL in a value',
    why: 'Field values never hold NUL (RFC 9110 §5.5).',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
  {
    title: 'control character in a value',
    why: 'A control byte in a value ends up in logs and re-sent headers.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x1bc\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
  {
    title: 'control character in a long value',
    why: 'The same rule holds past the first bytes of a long value.',
    raw: `GET / HTTP/1.1\r\nHost: a\r\nX-A: ${'v'.repeat(40)}\x01${'w'.repeat(40)}\r\n\r\n`,
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
  {
    title: 'DEL in a value',
    why: 'DEL is a control character.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7fc\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_VALUE', status: 400 },
  },
  {
    title: 'delimiter in a name',
    why: 'A name is a token; `(` is not a tchar.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_NAME', status: 400 },
  },
  {
    title: 'obs-text in a name',
    why: 'Names are ASCII tokens; a byte above 0x7F is not a tchar.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nX-\xe9: b\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_NAME', status: 400 },
  },
  {
    title: 'empty name',
    why: 'A line that starts with a colon has no name.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_NAME', status: 400 },
  },
  {
    title: 'line without a colon',
    why: 'A field line is name ":" value.',
    raw: 'GET / HTTP/1.1\r\nHost: a\r\nno-colon-here\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_INVALID_HEADER_NAME', status: 400 },
  },
  {
    title: 'duplicate Host',
    why: 'RFC 9112 §3.2: two Hosts is a 400; caches and routers may pick different ones.',
    raw: 'GET / HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\n\r\n',
    error: { code: 'SH_ERR_PARSE_DUPLICATE_HOST', status: 400 },
  },
]
