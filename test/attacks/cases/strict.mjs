// Issue 11 §1: the whole request is judged before it is answered. A body the server never needs
// (a GET's, a POST's to a file, a method nobody handles) must still be well-formed: broken
// chunked framing gets a 400 and a close, never a 200, 404 or 501. A 501 comes only once the
// body has been read and found well-formed, or (body too large to wait for) with Connection: close.
import { finals } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

/** The chunked bodies of the issue; each is followed by a request a desynchronised server would answer. */
const BROKEN = [
  ['size 0x5', '0x5\r\nHELLO\r\n0\r\n\r\n'],
  ['size +5', '+5\r\nHELLO\r\n0\r\n\r\n'],
  ['size -1', '-1\r\nHELLO\r\n0\r\n\r\n'],
  ['size 0_2e', '0_2e\r\nHELLO\r\n0\r\n\r\n'],
  ['size g', 'g\r\nHELLO\r\n0\r\n\r\n'],
  ['empty size', '\r\nHELLO\r\n0\r\n\r\n'],
  ['size then bare LF', '5\nHELLO\r\n0\r\n\r\n'],
  ['size then bare CR', '5\rHELLO\r\n0\r\n\r\n'],
  ['size then NUL', '5\x00\r\nHELLO\r\n0\r\n\r\n'],
  ['NUL in the extension', '5;a=b\x00c\r\nHELLO\r\n0\r\n\r\n'],
  ['bare LF in the extension', '5;a=b\nHELLO\r\n0\r\n\r\n'],
  ['bare CR in the extension', '5;a=b\rc\r\nHELLO\r\n0\r\n\r\n'],
  ['data longer than its size', '5\r\nHELLOXX\r\n0\r\n\r\n'],
  ['data not followed by CRLF', '5\r\nHELLO\n0\r\n\r\n'],
  ['extension without ;', '5 a=b\r\nHELLO\r\n0\r\n\r\n'],
  ['extension with an unbalanced quote', '5;a="b\r\nHELLO\r\n0\r\n\r\n'],
  ['extension with a stray quote', '5;a=b"\r\nHELLO\r\n0\r\n\r\n'],
]

/** What a desynchronised server would answer next; its marker is forbidden in any response. */
const SMUGGLED = 'GET /smuggle-target.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'

const TARGETS = [
  ['GET', '/hello.txt'],
  ['POST', '/hello.txt'],
  ['PUT', '/hello.txt'],
  ['POST', '/cgi-bin/echo.sh'],
]

/** Exactly one answer: a 400, then the connection closed; the smuggled request never answered. */
async function refused(ctx, parts, method, options = {}) {
  const res = await ctx.send(parts, { timeout: 3000, methods: [method], ...options })
  await ctx.settleLog()
  check(!ctx.log().includes('smuggle-target'), `the request after the body was processed (access log); ${summary(res)}`)
  const all = finals(res)
  check(all.length === 1, `want exactly one response: ${summary(res)}`)
  check(all[0].status === 400, `${all[0].statusLine} (want 400); ${summary(res)}`)
  check(res.closed && !res.timedOut, `connection not closed after the 400: ${summary(res)}`)
  return `${all[0].statusLine}; closed`
}

const head = (method, target, version = 'HTTP/1.1', framing = 'Transfer-Encoding: chunked') =>
  `${method} ${target} ${version}\r\nHost: 127.0.0.1\r\n${framing}\r\n\r\n`

/** Request lines CPython would split on whitespace into other words (issue 11 §3): its wording, a 400, a close. */
const REQUEST_LINES = [
  ['CUSTOM / ', "Bad HTTP/0.9 request type ('CUSTOM')"],
  [' / ', "Bad request syntax (' / ')"],
  ['GET / HTTP/1.1 ', "Bad request syntax ('GET / HTTP/1.1 ')"],
  ['GET / FUBAR ', "Bad request version ('FUBAR')"],
]

export const strict = [
  ...REQUEST_LINES.map(([line, reason]) => ({
    family: 'strict-request-line',
    name: `${JSON.stringify(line)} is 400 ${reason}`,
    run: async (ctx) => {
      const res = await ctx.send(`${line}\r\nHost: 127.0.0.1\r\n\r\n${SMUGGLED}`, { timeout: 3000 })
      const all = finals(res)
      check(all.length === 1 && all[0].status === 400, `want one 400: ${summary(res)}`)
      check(all[0].statusLine.endsWith(reason), `${all[0].statusLine} (want the reason ${reason})`)
      check(res.closed && !res.timedOut, `connection not closed after the 400: ${summary(res)}`)
      return `${all[0].statusLine}; closed`
    },
  })),
  ...TARGETS.flatMap(([method, target]) =>
    BROKEN.map(([name, body]) => ({
      family: 'strict-body',
      name: `${method} ${target}, chunked ${name}`,
      run: (ctx) => refused(ctx, head(method, target) + body + SMUGGLED, method),
    })),
  ),
  ...TARGETS.map(([method, target]) => ({
    family: 'strict-body',
    name: `${method} ${target}, broken chunk sent after a pause`,
    run: (ctx) => refused(ctx, [head(method, target) + '5\r\nHELLO\r\n', { delay: 150 }, '-1\r\n\r\n' + SMUGGLED], method),
  })),
  ...TARGETS.map(([method, target]) => ({
    family: 'strict-body',
    name: `${method} ${target}, missing last chunk at EOF (half-close)`,
    run: (ctx) => refused(ctx, head(method, target) + '5\r\nHELLO\r\n', method, { halfClose: true }),
  })),
  {
    family: 'strict-body',
    name: 'POST /hello.txt, HTTP/1.0 with a short Content-Length body at EOF',
    run: (ctx) => refused(ctx, head('POST', '/hello.txt', 'HTTP/1.0', 'Content-Length: 10') + 'short', 'POST', { halfClose: true }),
  },
  {
    family: 'strict-body',
    name: 'POST /hello.txt, well-formed chunked body sent late: 501 after it',
    run: async (ctx) => {
      const res = await ctx.send([head('POST', '/hello.txt') + '5\r\nHEL', { delay: 150 }, 'LO\r\n0\r\n\r\n'], { timeout: 3000, methods: ['POST'] })
      const all = finals(res)
      check(all.length === 1 && all[0].status === 501, `want one 501: ${summary(res)}`)
      return `${all[0].statusLine}; ${summary(res)}`
    },
  },
  {
    family: 'strict-body',
    name: 'PUT /hello.txt, Content-Length 64 MiB: 501 with Connection: close at once',
    run: async (ctx) => {
      const res = await ctx.send(head('PUT', '/hello.txt', 'HTTP/1.1', `Content-Length: ${64 * 1024 * 1024}`) + 'x'.repeat(1000), {
        timeout: 3000,
        methods: ['PUT'],
      })
      const all = finals(res)
      check(all.length === 1 && all[0].status === 501, `want one 501: ${summary(res)}`)
      check((all[0].headers.get('connection') ?? []).join(',').toLowerCase() === 'close', `no Connection: close: ${all[0].head}`)
      check(res.closed && !res.timedOut, `connection not closed: ${summary(res)}`)
      return `${all[0].statusLine}; closed`
    },
  },
]
