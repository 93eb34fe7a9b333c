// Request smuggling and framing. Every hidden request asks for /smuggle-target.txt, whose marker
// the runner forbids in any response; the access log must not show it either.
import { finals } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

/** The request a desynchronised server would answer. */
const SMUGGLED = 'GET /smuggle-target.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'

function smuggleLogged(ctx) {
  return ctx.log().includes('smuggle-target')
}

/**
 * Ambiguous framing: the server must answer 400 (nothing else, no second response) and never
 * process the smuggled request.
 */
async function rejects(ctx, head, body, { status = [400], methods } = {}) {
  const res = await ctx.send(head + body + SMUGGLED, { timeout: 3000, methods })
  await ctx.settleLog()
  check(!smuggleLogged(ctx), `the smuggled GET /smuggle-target.txt was processed (access log); ${summary(res)}`)
  const all = finals(res)
  const first = all[0]
  check(first !== undefined && first.status > 0, `no response: ${summary(res)}`)
  check(status.includes(first.status), `${first.statusLine} (want ${status.join(' or ')}); ${summary(res)}`)
  check(all.length === 1, `more than one response after the rejected request: ${summary(res)}`)
  return `${first.statusLine}; ${res.closed ? 'closed' : 'open'}`
}

/**
 * A malformation the server may only notice after answering (chunk data): it must never process
 * the smuggled request, and must not go on reading requests from the desynchronised stream.
 */
async function neverDesyncs(ctx, head, body) {
  const res = await ctx.send(head + body + SMUGGLED, { timeout: 3000, idle: 1500 })
  await ctx.settleLog()
  check(!smuggleLogged(ctx), `the smuggled GET /smuggle-target.txt was processed (access log); ${summary(res)}`)
  const all = finals(res)
  check(all.length <= 1 || all.slice(1).every((r) => r.status === 400), `responses after the malformed body: ${summary(res)}`)
  check(res.closed || all.some((r) => r.status === 400), `connection neither rejected nor closed: ${summary(res)}`)
  return summary(res)
}

/**
 * A valid body that contains a request: the body is consumed, the request inside it is never
 * answered; the `after` request on the same connection is.
 */
async function bodyHides(ctx, first, methods) {
  const after = 'GET /n1.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
  const res = await ctx.send(first + after, { timeout: 3000, methods: [...methods, 'GET'] })
  await ctx.settleLog()
  check(!smuggleLogged(ctx), `the request hidden in the body was processed (access log); ${summary(res)}`)
  const all = finals(res)
  check(all.length >= 1, `no response: ${summary(res)}`)
  if (all.length >= 2) {
    check(all[1]?.body.toString('latin1') === ctx.fx.nContent(1), `second response is not /n1.txt: ${summary(res)}`)
  }
  return summary(res)
}

const H = 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n'
const P = 'POST /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n'
const N = SMUGGLED.length

const CL_TE = [
  ['CL then TE: chunked', `${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE: chunked then CL', `${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`, '0\r\n\r\n'],
  ['CL + TE on POST', `${P}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['CL: 0 + TE: chunked', `${H}Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['duplicate CL 0 then N', `${H}Content-Length: 0\r\nContent-Length: ${N}\r\n\r\n`, ''],
  ['duplicate CL N then 0', `${H}Content-Length: ${N}\r\nContent-Length: 0\r\n\r\n`, ''],
  ['CL list "0, N"', `${H}Content-Length: 0, ${N}\r\n\r\n`, ''],
  ['CL +N', `${H}Content-Length: +${N}\r\n\r\n`, ''],
  ['CL -1', `${H}Content-Length: -1\r\n\r\n`, ''],
  ['CL hex 0x..', `${H}Content-Length: 0x${N.toString(16)}\r\n\r\n`, ''],
  ['CL N.0', `${H}Content-Length: ${N}.0\r\n\r\n`, ''],
  ['CL "0 N"', `${H}Content-Length: 0 ${N}\r\n\r\n`, ''],
  ['CL 0abc', `${H}Content-Length: 0abc\r\n\r\n`, ''],
  ['CL 0e1', `${H}Content-Length: 0e1\r\n\r\n`, ''],
  ['CL fullwidth digits', `${H}Content-Length: \xef\xbc\x90\r\n\r\n`, ''],
  ['CL empty', `${H}Content-Length:\r\n\r\n`, ''],
  ['CL with vertical tab', `${H}Content-Length: \x0b0\r\n\r\n`, ''],
  ['CL with NBSP', `${H}Content-Length: \xa0${N}\r\n\r\n`, ''],
  ['CL with trailing NBSP', `${H}Content-Length: 0\xa0\r\n\r\n`, ''],
  ['CL with UTF-8 BOM (U+FEFF)', `${H}Content-Length: \xef\xbb\xbf0\r\n\r\n`, ''],
  ['CL with U+3000 ideographic space', `${H}Content-Length: \xe3\x80\x800\r\n\r\n`, ''],
  ['CL with NUL', `${H}Content-Length: 0\x00\r\n\r\n`, ''],
  ['space before colon in CL', `${H}Content-Length : 0\r\n\r\n`, ''],
  ['CL obs-folded', `${H}Content-Length:\r\n 0\r\n\r\n`, ''],
  ['TE chunked, identity', `${H}Transfer-Encoding: chunked, identity\r\n\r\n`, '0\r\n\r\n'],
  ['TE identity', `${H}Transfer-Encoding: identity\r\n\r\n`, '0\r\n\r\n'],
  ['TE xchunked', `${H}Transfer-Encoding: xchunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE chunkedx', `${H}Transfer-Encoding: chunkedx\r\n\r\n`, '0\r\n\r\n'],
  ['TE "chunked" quoted', `${H}Transfer-Encoding: "chunked"\r\n\r\n`, '0\r\n\r\n'],
  ['TE chunked, chunked', `${H}Transfer-Encoding: chunked, chunked\r\n\r\n`, '0\r\n\r\n'],
  ['two TE fields chunked + identity', `${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`, '0\r\n\r\n'],
  ['TE with vertical tab', `${H}Transfer-Encoding: chunked\x0b\r\n\r\n`, '0\r\n\r\n'],
  ['TE with leading form feed', `${H}Transfer-Encoding:\x0cchunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with NBSP', `${H}Transfer-Encoding: \xa0chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with trailing NBSP', `${H}Transfer-Encoding: chunked\xa0\r\n\r\n`, '0\r\n\r\n'],
  ['TE with UTF-8 NBSP', `${H}Transfer-Encoding: \xc2\xa0chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with UTF-8 BOM (U+FEFF)', `${H}Transfer-Encoding: \xef\xbb\xbfchunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with U+2028 line separator', `${H}Transfer-Encoding: chunked\xe2\x80\xa8\r\n\r\n`, '0\r\n\r\n'],
  ['TE with U+3000 ideographic space', `${H}Transfer-Encoding: \xe3\x80\x80chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with NEL (0x85)', `${H}Transfer-Encoding: \x85chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE name with NBSP before the colon', `${H}Transfer-Encoding\xa0: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with NUL', `${H}Transfer-Encoding: chunked\x00\r\n\r\n`, '0\r\n\r\n'],
  ['space before colon in TE', `${H}Transfer-Encoding : chunked\r\n\r\n`, '0\r\n\r\n'],
  ['tab before colon in TE', `${H}Transfer-Encoding\t: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE obs-folded', `${H}Transfer-Encoding:\r\n chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE line starting with a space', `${H}X-A: b\r\n Transfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\n'],
  ['TE with bare CR inside', `${H}Transfer-Encoding: chu\rnked\r\n\r\n`, '0\r\n\r\n'],
]

const CHUNKS = [
  ['chunk size -1', '-1\r\n\r\n'],
  ['chunk size 0x5', '0x5\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size +5', '+5\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size with trailing space', '5 \r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size with leading space', ' 5\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size overflow (80 bits)', 'ffffffffffffffffffff\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size 2^64+5 wraps to 5', '10000000000000005\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk size not hex', 'g\r\nHELLO\r\n0\r\n\r\n'],
  ['empty chunk size', '\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk line with bare LF', '5\nHELLO\r\n0\r\n\r\n'],
  ['chunk line with bare CR', '5\rHELLO\r\n0\r\n\r\n'],
  ['chunk data longer than its size', '3\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk data shorter than its size', '7\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk data ended by bare LF', '5\r\nHELLO\n0\r\n\r\n'],
  ['chunk data with no terminator', '5\r\nHELLO0\r\n\r\n'],
  ['last chunk ended by bare LF', '0\n\n'],
  ['last chunk, trailer section cut (bare CR)', '0\r\n\r'],
  ['request where the trailer section should be', '0\r\n'],
  ['chunk extension with bare CR', '5;a\rb\r\nHELLO\r\n0\r\n\r\n'],
  ['chunk extension with LF in a quoted string', '5;a="x\ny"\r\nHELLO\r\n0\r\n\r\n'],
  ['trailer with obs-fold', '0\r\nX-T: a\r\n b\r\n\r\n'],
  ['trailer without a colon', '0\r\nnot a field\r\n\r\n'],
]

const CHUNKED_HEAD = `${H}Transfer-Encoding: chunked\r\n\r\n`

/** Requests that must be rejected, followed (same write) by the smuggled request. */
const BAD_FIRST = [
  ['bad version HTTP/1.x', 'GET / HTTP/1.x\r\nHost: 127.0.0.1\r\n\r\n'],
  ['version HTTP/9.9 (505)', 'GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n', [505, 400]],
  ['four words in the request line', 'GET /a b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['header line without a colon', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n'],
  ['obs-fold header', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\r\n c\r\n\r\n'],
  ['bare CR in a header', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\rc\r\n\r\n'],
  ['NUL in a header', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\x00c\r\n\r\n'],
  ['mixed CRLF and bare LF', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n'],
  ['request line over 64 KiB (414)', `GET /${'a'.repeat(66_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, [414]],
  ['101 header fields (431)', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, [431]],
  ['unsupported method (501)', 'BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', [501, 405, 400]],
  ['POST to a static file (501)', 'POST /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n', [501, 405]],
]

export const framing = [
  ...CL_TE.map(([name, head, body]) => ({ family: 'framing', name, run: (ctx) => rejects(ctx, head, body) })),
  // A Content-Length that is well formed but too large may be refused with 413 instead (RFC 9110 §15.5.14).
  ...[
    ['CL overflow 2^64', `${H}Content-Length: 18446744073709551616\r\n\r\n`],
    ['CL 30 digits', `${H}Content-Length: ${'9'.repeat(30)}\r\n\r\n`],
    ['CL 2^53+1 (beyond exact doubles)', `${H}Content-Length: 9007199254740993\r\n\r\n`],
  ].map(([name, head]) => ({ family: 'framing', name, run: (ctx) => rejects(ctx, head, '', { status: [400, 413] }) })),
  {
    family: 'framing',
    name: 'identical duplicate CL: body consumed, hidden request never answered',
    run: (ctx) => bodyHides(ctx, `${H}Content-Length: ${N}\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['GET']),
  },
  {
    family: 'framing',
    name: 'TE in HTTP/1.0 (keep-alive): connection closed after it',
    run: async (ctx) => {
      const head = 'GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n'
      return neverDesyncs(ctx, head, '0\r\n\r\n')
    },
  },
  {
    family: 'framing',
    name: 'TE + CL in HTTP/1.0',
    run: (ctx) =>
      rejects(ctx, `GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\n'),
  },
  {
    family: 'framing',
    name: 'Transfer_Encoding (underscore) is not TE',
    run: (ctx) => neverDesyncs(ctx, `${H}Transfer_Encoding: chunked\r\n\r\n`, '0\r\n\r\n'),
  },
  ...CHUNKS.map(([name, body]) => ({ family: 'framing', name, run: (ctx) => neverDesyncs(ctx, CHUNKED_HEAD, body) })),
  {
    family: 'framing',
    name: 'Content-Length in a chunked trailer is not framing',
    run: async (ctx) => {
      const next = 'GET /n1.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
      const res = await ctx.send(`${CHUNKED_HEAD}0\r\nContent-Length: ${next.length}\r\n\r\n${next}`, { timeout: 3000 })
      const all = finals(res)
      const answered = all.some((r) => r.body.toString('latin1') === ctx.fx.nContent(1))
      check(all[0]?.status === 400 || answered || (res.closed && !res.timedOut), `the next request was swallowed: ${summary(res)}`)
      return summary(res)
    },
  },
  {
    family: 'framing',
    name: 'GET with CL hides a request',
    run: (ctx) => bodyHides(ctx, `${H}Content-Length: ${N}\r\n\r\n${SMUGGLED}`, ['GET']),
  },
  {
    family: 'framing',
    name: 'HEAD with CL hides a request',
    run: (ctx) => bodyHides(ctx, `HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['HEAD']),
  },
  {
    family: 'framing',
    name: 'OPTIONS with CL hides a request',
    run: (ctx) => bodyHides(ctx, `OPTIONS /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['OPTIONS']),
  },
  {
    family: 'framing',
    name: 'DELETE with CL hides a request',
    run: (ctx) => bodyHides(ctx, `DELETE /victim.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['DELETE']),
  },
  {
    family: 'framing',
    name: 'HTTP/1.0 keep-alive GET with CL hides a request',
    run: (ctx) =>
      bodyHides(ctx, `GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['GET']),
  },
  {
    family: 'framing',
    name: 'GET with CL and Expect: 100-continue hides a request',
    run: (ctx) => bodyHides(ctx, `${H}Expect: 100-continue\r\nContent-Length: ${N}\r\n\r\n${SMUGGLED}`, ['GET']),
  },
  {
    family: 'framing',
    name: 'GET with a chunked body hides a request',
    run: (ctx) => bodyHides(ctx, `${CHUNKED_HEAD}${N.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`, ['GET']),
  },
  {
    family: 'framing',
    name: 'GET with CL, body split over three writes',
    run: async (ctx) => {
      const after = 'GET /n1.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
      const res = await ctx.send([`${H}Content-Length: ${N}\r\n\r\n`, { delay: 100 }, SMUGGLED.slice(0, 20), { delay: 100 }, SMUGGLED.slice(20) + after], {
        timeout: 3000,
      })
      await ctx.settleLog()
      check(!smuggleLogged(ctx), `the request hidden in the body was processed; ${summary(res)}`)
      return summary(res)
    },
  },
  ...BAD_FIRST.map(([name, first, status]) => ({
    family: 'framing',
    name: `pipelined after a rejected request: ${name}`,
    run: (ctx) => rejects(ctx, first, '', { status: status ?? [400] }),
  })),
]
