// Header injection and response splitting, Host reflection, open redirects, XSS, log injection.
import { finals } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

// ---- helpers ------------------------------------------------------------------------------

/** No response may carry a header the request injected. */
function noInjectedHeader(res) {
  for (const r of res.responses) {
    check(!r.headers.has('x-injected'), `response carries an injected X-Injected header: ${JSON.stringify(r.head)}`)
  }
}

/** Why a Location is not a same-origin path (undefined when it is one). */
function locationProblem(location) {
  for (const c of ['\r', '\n', '\0']) if (location.includes(c)) return 'contains CR, LF or NUL'
  // Browsers drop tabs and newlines from URLs before parsing them.
  const seen = location.replace(/[\t\r\n]/g, '')
  if (!seen.startsWith('/')) return 'not a path starting with /'
  if (seen[1] === '/' || seen[1] === '\\') return 'protocol-relative: starts with // or /\\'
  return undefined
}

/** Every Location in the answer is a same-origin path. */
export function safeLocations(res) {
  const seen = []
  for (const r of res.responses) {
    for (const location of r.headers.get('location') ?? []) {
      const problem = locationProblem(location)
      check(problem === undefined, `Location ${JSON.stringify(location)}: ${problem}`)
      seen.push(location)
    }
  }
  return seen
}

async function expect400(ctx, raw, what = 'the request') {
  const res = await ctx.send(raw, { timeout: 3000 })
  noInjectedHeader(res)
  const r = ctx.first(res)
  check(r.status === 400, `${what}: ${r.statusLine} (want 400)`)
  check(finals(res).length === 1, `more than one response: ${summary(res)}`)
  return r.statusLine
}

const HOSTILE = ['<script>alert(1)', '<svg onload=alert(1)>', '<svg/onload=alert(1)>', '<img src=x onerror=alert(1)>', '<img src=x']

/** No body reflects a hostile tag unescaped. */
export function noRawTags(res) {
  for (const r of res.responses) {
    const body = r.body.toString('latin1')
    for (const tag of HOSTILE) check(!body.includes(tag), `body contains raw ${JSON.stringify(tag)} (status ${r.status})`)
  }
}

/** Every <a …> in a listing is exactly <a href="…"> with nothing that breaks out of the quotes. */
function wellFormedAnchors(body) {
  const anchors = body.match(/<a\b[^>]*>/g) ?? []
  for (const a of anchors) check(/^<a href="[^"<>]*">$/.test(a), `malformed anchor in the listing: ${JSON.stringify(a)}`)
  return anchors.length
}

// ---- header injection and response splitting ------------------------------------------------

const RAW_400 = [
  ['raw CR in the target', 'GET /hello.txt\rX-Injected: yes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['raw NUL at the end of the target', 'GET /hello.txt\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['raw NUL inside the target', 'GET /hel\x00lo.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['raw NUL in the method', 'GE\x00T /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['CR inside a header name', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A\rX-Injected: yes\r\n\r\n'],
  ['NUL inside a header name', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\x00A: b\r\n\r\n'],
  ['space inside a header name', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX A: b\r\n\r\n'],
  ['NUL in a header value', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\x00X-Injected: yes\r\n\r\n'],
  ['bare CR in a header value', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\rX-Injected: yes\r\n\r\n'],
  ['bare LF in a CRLF head', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\nX-Injected: yes\r\n\r\n'],
  ['obs-fold', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\r\n X-Injected: yes\r\n\r\n'],
  ['obs-fold with a tab', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\r\n\tX-Injected: yes\r\n\r\n'],
  ['space before the colon', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A : b\r\n\r\n'],
  ['tab before the colon', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A\t: b\r\n\r\n'],
  ['space before the colon of Host', 'GET /hello.txt HTTP/1.1\r\nHost : evil.example\r\n\r\n'],
  ['two Host fields', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n'],
]

/**
 * A raw LF or CRLF in the target ends the request line early: what is left is `GET /hello.txt`,
 * an HTTP/0.9 request (body only, then close), or a 400. Either way nothing after it may
 * become a request or a response header.
 */
function endsEarly(name, raw) {
  return {
    family: 'header-injection',
    name,
    run: async (ctx) => {
      const res = await ctx.send(raw, { timeout: 3000 })
      noInjectedHeader(res)
      const r = finals(res)[0]
      if (r !== undefined) {
        check(r.status === 400, `${r.statusLine} (want 400 or an HTTP/0.9 answer)`)
        check(finals(res).length === 1, `more than one response: ${summary(res)}`)
        return r.statusLine
      }
      check(res.buf.toString('latin1') === ctx.fx.hello && res.closed, `neither 400 nor the HTTP/0.9 body of /hello.txt: ${summary(res)}`)
      return 'HTTP/0.9 body, closed'
    },
  }
}

export const headerInjection = [
  ...RAW_400.map(([name, raw]) => ({ family: 'header-injection', name, run: (ctx) => expect400(ctx, raw) })),
  endsEarly('raw LF in the target', 'GET /hello.txt\nX-Injected: yes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  endsEarly('raw CRLF in the target', 'GET /hello.txt\r\nX-Injected: yes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  ...[
    ['%0d%0a in a missing path', '/nope%0d%0aX-Injected:%20yes'],
    ['%0d%0a into the redirect Location', '/crlf%0d%0aX-Injected:%20yes'],
    ['%0D%0A upper case into the Location', '/crlf%0D%0AX-Injected:%20yes'],
    ['%0a into the redirect Location', '/lf%0aX-Injected:%20yes'],
    ['%0d%0a in the query of a redirect', '/dir?%0d%0aX-Injected:%20yes'],
    ['%0d%0a in the query of a file', '/hello.txt?%0d%0aX-Injected:%20yes'],
    ['%00 in a redirect', '/dir%00'],
    ['%0d%0a in a CGI path', '/cgi-bin/nope%0d%0aX-Injected:%20yes'],
  ].map(([name, target]) => ({
    family: 'header-injection',
    name,
    run: async (ctx) => {
      const res = await ctx.request('GET', target)
      noInjectedHeader(res)
      const locations = safeLocations(res)
      const r = ctx.first(res)
      check(finals(res).length === 1, `more than one response: ${summary(res)}`)
      return `${r.statusLine}${locations.length > 0 ? ` Location ${JSON.stringify(locations[0])}` : ''}`
    },
  })),
]

// ---- Host and friends never reflected --------------------------------------------------------

function reflectionCase(name, target, headers, { want, method = 'GET' } = {}) {
  return {
    family: 'host-reflection',
    name,
    run: async (ctx) => {
      const evil = `reflected-${ctx.fx.id}.invalid`
      const hdrs = headers.map((h) => h.replaceAll('EVIL', evil))
      const host = !hdrs.some((h) => h.toLowerCase().startsWith('host:'))
      const res = await ctx.request(method, target.replaceAll('EVIL', evil), { headers: hdrs, host })
      const r = ctx.first(res)
      check(!res.buf.toString('latin1').includes(evil), `the response reflects ${evil}: ${JSON.stringify(res.buf.toString('latin1').slice(0, 400))}`)
      safeLocations(res)
      if (want !== undefined) check(want(ctx, r), `unexpected answer ${r.statusLine}`)
      return r.statusLine
    },
  }
}

const isHello = (ctx, r) => r.status === 200 && r.body.toString('latin1') === ctx.fx.hello

export const hostReflection = [
  reflectionCase('Host on the trailing-slash redirect', '/dir', ['Host: EVIL']),
  reflectionCase('Host with port on the redirect', '/dir', ['Host: EVIL:80']),
  reflectionCase('X-Forwarded-Host on the redirect', '/dir', ['X-Forwarded-Host: EVIL']),
  reflectionCase('X-Forwarded-Host + Proto on the redirect', '/dir', ['X-Forwarded-Host: EVIL', 'X-Forwarded-Proto: https']),
  reflectionCase('Forwarded: host= on the redirect', '/dir', ['Forwarded: for=1.2.3.4;host=EVIL;proto=https']),
  reflectionCase('X-Host / X-Forwarded-Server on the redirect', '/dir', ['X-Host: EVIL', 'X-Forwarded-Server: EVIL']),
  reflectionCase('Host in a listing', '/', ['Host: EVIL']),
  reflectionCase('Host in a 404 page', '/missing-file', ['Host: EVIL']),
  reflectionCase('Host in a 501 page', '/', ['Host: EVIL', 'X-Forwarded-Host: EVIL'], { method: 'BREW' }),
  reflectionCase('absolute-form with another host, redirect', 'http://EVIL/dir', []),
  reflectionCase('absolute-form with another host and port, redirect', 'http://EVIL:8080/dir?x=1', []),
  reflectionCase('X-Original-URL does not rewrite', '/hello.txt', ['X-Original-URL: /../secret.txt'], { want: isHello }),
  reflectionCase('X-Rewrite-URL does not rewrite', '/hello.txt', ['X-Rewrite-URL: /link-secret'], { want: isHello }),
  reflectionCase('X-Forwarded-Prefix does not rewrite', '/dir', ['X-Forwarded-Prefix: //EVIL']),
]

// ---- open redirects from the trailing-slash redirect -----------------------------------------

const REDIRECTS = [
  ['//evil.example/dir', '//evil.example/dir'],
  ['///evil.example/dir', '///evil.example/dir'],
  ['////evil.example/dir', '////evil.example/dir'],
  ['/\\evil.example/dir', '/\\evil.example/dir'],
  ['/\\\\evil.example/dir', '/\\\\evil.example/dir'],
  ['/%2f%2fevil.example/dir', '/%2f%2fevil.example/dir'],
  ['/%2F/evil.example/dir', '/%2F/evil.example/dir'],
  ['/%5cevil.example/dir', '/%5cevil.example/dir'],
  ['/%5C%5Cevil.example/dir', '/%5C%5Cevil.example/dir'],
  ['/%09/evil.example/dir (tab)', '/%09/evil.example/dir'],
  ['/..//evil.example/dir', '/..//evil.example/dir'],
  ['/.//evil.example/dir', '/.//evil.example/dir'],
  ['/dir/..//evil.example/dir', '/dir/..//evil.example/dir'],
  ['/%2e%2e//evil.example/dir', '/%2e%2e//evil.example/dir'],
  ['/%2e//evil.example/dir', '/%2e//evil.example/dir'],
  ['/./%2fevil.example/dir', '/./%2fevil.example/dir'],
  ['//evil.example/dir?x=1', '//evil.example/dir?x=1'],
  ['//evil.example/dir#frag', '//evil.example/dir#frag'],
  ['/\\evil.example/dir?q', '/\\evil.example/dir?q'],
  ['absolute-form http://host//evil.example/dir', (ctx) => `http://127.0.0.1:${ctx.port}//evil.example/dir`],
  ['absolute-form http://host/%2f%2fevil.example/dir', (ctx) => `http://127.0.0.1:${ctx.port}/%2f%2fevil.example/dir`],
  ['absolute-form http://evil.example/dir', 'http://evil.example/dir'],
]

export const openRedirect = REDIRECTS.map(([name, target]) => ({
  family: 'open-redirect',
  name,
  run: async (ctx) => {
    const res = await ctx.request('GET', typeof target === 'function' ? target(ctx) : target)
    const r = ctx.first(res)
    const locations = safeLocations(res)
    return `${r.statusLine}${locations.length > 0 ? ` → ${JSON.stringify(locations[0])}` : ''}`
  },
}))

// ---- XSS in anything that reflects the request -----------------------------------------------

function xssCase(name, raw, extra) {
  return {
    family: 'xss',
    name,
    run: async (ctx) => {
      const res = await ctx.send(typeof raw === 'function' ? raw(ctx) : raw, { timeout: 3000 })
      const r = ctx.first(res)
      noRawTags(res)
      if (extra !== undefined) extra(ctx, r)
      return r.statusLine
    },
  }
}

const get = (target, headers = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`

export const xss = [
  xssCase('listing of hostile file and directory names', get('/'), (ctx, r) => {
    check(r.status === 200, `${r.statusLine} (want the listing)`)
    const body = r.body.toString('latin1')
    const anchors = wellFormedAnchors(body)
    check(anchors > 5, `only ${anchors} anchors in the listing`)
    check(!body.includes('href="javascript:'), 'a javascript: href in the listing')
  }),
  xssCase('listing of a directory named "><svg onload=…>', get('/%22%3E%3Csvg%20onload=alert(1)%3E/'), (ctx, r) => {
    check(r.status === 200 || r.status === 404, `${r.statusLine}`)
    wellFormedAnchors(r.body.toString('latin1'))
  }),
  xssCase('listing of a directory named "><script>alert(1)<', get('/%22%3E%3Cscript%3Ealert(1)%3C/'), (ctx, r) => {
    wellFormedAnchors(r.body.toString('latin1'))
  }),
  xssCase('listing title from a path with .. back into it', get('/dir/%3Cscript%3Ealert(1)%3C/script%3E/../../')),
  xssCase('listing title with %3Csvg in a query-less path', get('/dir/%3Csvg%20onload=alert(1)%3E/..%2f')),
  xssCase('404 page for a hostile path', get('/%3Cscript%3Ealert(1)%3C/script%3E')),
  xssCase('404 page for a raw hostile path', get('/<script>alert(1)</script>')),
  xssCase('hostile method', 'X<svg/onload=alert(1)> / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  xssCase('hostile method with script', '<script>alert(1)</script> / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  xssCase('hostile token-only method', 'SCRIPT_ALERT_1 /<img%20src=x%20onerror=alert(1)> HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  xssCase('hostile version', 'GET / HTTP/<script>alert(1)</script>\r\nHost: 127.0.0.1\r\n\r\n'),
  xssCase('hostile request line (four words)', 'GET /<script>alert(1)</script> x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  xssCase('hostile HTTP/0.9 method', '<script>alert(1)</script> /x\r\n'),
  xssCase('hostile CGI script name', get('/cgi-bin/%3Cscript%3Ealert(1)%3C%2Fscript%3E')),
  xssCase('hostile CGI path with a raw tag', get('/cgi-bin/<img%20src=x%20onerror=alert(1)>')),
  xssCase('hostile Expect', get('/hello.txt', 'Expect: <script>alert(1)</script>\r\n')),
  xssCase('hostile Range', get('/hello.txt', 'Range: bytes=<script>alert(1)</script>\r\n')),
  xssCase('hostile header name', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n<script>alert(1)</script>: x\r\n\r\n'),
  xssCase('hostile User-Agent and Referer on a 404', get('/missing', 'User-Agent: <script>alert(1)</script>\r\nReferer: <svg onload=alert(1)>\r\n')),
  xssCase('hostile If-Modified-Since', get('/hello.txt', 'If-Modified-Since: <script>alert(1)</script>\r\n')),
]

// ---- log injection (the app's stderr) --------------------------------------------------------

/** Raw controls in a log slice: C0 but the line-ending LF, DEL, C1 code points and raw 8-bit C1 bytes. */
function logProblems(buf) {
  const problems = []
  const text = buf.toString('utf8')
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      problems.push(`U+${c.toString(16).padStart(4, '0')}`)
    }
  }
  // Raw 0x80–0x9f bytes that are not part of a UTF-8 sequence (a Latin-1 terminal reads 0x9b as CSI).
  for (let i = 0; i < buf.length; i += 1) {
    const b = buf[i] ?? 0
    if (b >= 0xc2 && b <= 0xf4) {
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2
      let valid = true
      for (let k = 1; k < len; k += 1) if (((buf[i + k] ?? 0) & 0xc0) !== 0x80) valid = false
      if (valid) {
        i += len - 1
        continue
      }
    }
    if (b >= 0x80 && b <= 0x9f) problems.push(`raw byte 0x${b.toString(16)}`)
  }
  return [...new Set(problems)]
}

const LOG_LINE = /^\S+ - - \[[^\]]*\] /

export function checkLog(buf, token) {
  const problems = logProblems(buf)
  check(problems.length === 0, `raw control characters in the log: ${problems.slice(0, 8).join(', ')}; log ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`)
  if (token !== undefined) {
    for (const line of buf.toString('utf8').split('\n')) {
      if (line.includes(token)) check(LOG_LINE.test(line), `a log line begins with attacker text: ${JSON.stringify(line.slice(0, 200))}`)
    }
  }
}

function logCase(name, raw) {
  return {
    family: 'log-injection',
    name,
    run: async (ctx) => {
      const token = `FORGED-${ctx.fx.id}`
      const request = raw.replaceAll('FORGED', token)
      const res = await ctx.send(request, { timeout: 3000 })
      await ctx.settleLog(250)
      checkLog(ctx.logBytes(), token)
      const r = res.responses[0]
      return `${r ? r.statusLine : summary(res)}; log clean`
    },
  }
}

const FAKE = '127.0.0.1 - - [01/Jan/2030 00:00:00] "GET /admin HTTP/1.1" 200 -'

export const logInjection = [
  logCase('raw ESC sequences in the target', 'GET /\x1b[2J\x1b[31mFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw ESC in the version', 'GET / HTTP/1.1\x1b[31mFORGED\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw ESC in the method', 'G\x1b[31mET /FORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw OSC title sequence in the target', 'GET /\x1b]0;FORGED\x07 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw C1 NEL (0x85) in the target', 'GET /a\x85FORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw C1 CSI (0x9b) in the target', 'GET /\x9b31mFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('UTF-8 encoded C1 CSI in the target', 'GET /\xc2\x9b31mFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw C1 CSI as the method', '\x9b31mFORGED / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('raw DEL and BEL in the target', 'GET /\x7f\x07FORGED HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  logCase('%1b in a CGI script name (decoded in messages)', 'GET /cgi-bin/%1b%5b31mFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  logCase('%c2%9b in a CGI script name', 'GET /cgi-bin/%c2%9b31mFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  logCase('%0a fake log line in the target', `GET /x%0a${encodeURIComponent(FAKE).replaceAll('GET', 'FORGED')} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  logCase('%0d%0a in a CGI script name', 'GET /cgi-bin/nope%0d%0aFORGED%20-%20-%20[x] HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  logCase('%0a in a CGI query (argv)', 'GET /cgi-bin/echo.sh?x%0aFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  logCase('%0a in a directory redirect', 'GET /dir%0aFORGED HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  logCase('bare CR before a fake line in the version', `GET / HTTP/1.1\rFORGED ${FAKE}\r\nHost: 127.0.0.1\r\n\r\n`),
  logCase('bare LF fake line after the request line', `GET /x HTTP/1.1\nFORGED ${FAKE}\r\n\r\n`),
  logCase('ESC in a header value', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: \x1b]0;FORGED\x07\r\n\r\n'),
  logCase('ESC in a header name', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\x1b[31mFORGED: v\r\n\r\n'),
  logCase('ESC in an HTTP/0.9 request', 'GET /\x1b[2JFORGED\r\n'),
  logCase('ESC in a request line over 64 KiB', `GET /\x1b[2JFORGED${'a'.repeat(66_000)} HTTP/1.1\r\n\r\n`),
  logCase('ESC in a bad HTTP/0.9 method', 'P\x1b[2JOST /FORGED\r\n'),
]
