// CGI: the environment a request can shape, what a script receives on stdin, which files run,
// and that nothing a client sends is ever interpreted by a shell.
import fs from 'node:fs'
import path from 'node:path'
import { finals, sleep } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

/** What echo.sh printed: argv, environment, uid and stdin (between its markers). */
export function scriptOutput(res) {
  const body = finals(res)
    .map((r) => r.body.toString('latin1'))
    .join('')
  const ran = body.includes('ENV-BEGIN\n')
  const env = new Map()
  const envText = body.split('ENV-BEGIN\n')[1]?.split('ENV-END\n')[0] ?? ''
  for (const line of envText.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, eq))) env.set(line.slice(0, eq), line.slice(eq + 1))
  }
  const argv = [...body.matchAll(/^ARGV=\[(.*)\]$/gm)].map((m) => m[1])
  const uid = /^UID=(\d+)$/m.exec(body)?.[1]
  const stdinAt = body.indexOf('STDIN-BEGIN\n')
  const stdinEnd = body.lastIndexOf('\nSTDIN-END\n')
  const stdin = stdinAt >= 0 && stdinEnd >= stdinAt ? body.slice(stdinAt + 'STDIN-BEGIN\n'.length, stdinEnd) : undefined
  return { ran, env, envText, argv, uid, stdin, body }
}

async function echo(ctx, headers, { target = '/cgi-bin/echo.sh', method = 'GET', body = '' } = {}) {
  const res = await ctx.request(method, target, { headers, body, timeout: 5000 })
  return { res, out: scriptOutput(res) }
}

function ranCheck(res, out) {
  check(out.ran, `the script did not run: ${summary(res)} ${JSON.stringify(res.buf.toString('latin1').slice(0, 200))}`)
}

function envCase(name, headers, test) {
  return {
    family: 'cgi',
    name,
    run: async (ctx) => {
      const hdrs = typeof headers === 'function' ? headers(ctx) : headers
      const { res, out } = await echo(ctx, hdrs)
      const first = finals(res)[0]
      if (first?.status === 400) return `${first.statusLine} (refused)`
      ranCheck(res, out)
      test(ctx, out)
      return 'environment clean'
    },
  }
}

/** The script must be refused with `status`; its source never appears (the runner checks markers). */
function refusedScript(method, target, statuses = [403]) {
  return {
    family: 'cgi',
    name: `${method} ${target} → ${statuses.join('/')}`,
    run: async (ctx) => {
      const res = await ctx.request(method, target, { body: method === 'POST' ? 'x=1' : '', headers: method === 'POST' ? ['Content-Length: 3'] : [] })
      const r = ctx.first(res)
      check(statuses.includes(r.status), `${r.statusLine} (want ${statuses.join(' or ')})`)
      check(!scriptOutput(res).ran, 'the script ran')
      return r.statusLine
    },
  }
}

const SOURCE_PATHS = [
  '/%63gi-bin/echo.sh',
  '/cgi-bin%2fecho.sh',
  '/cgi-bin%2Fecho.sh',
  '/cgi-bin/%65cho.sh',
  '/./cgi-bin/echo.sh',
  '//cgi-bin/echo.sh',
  '/cgi-bin//echo.sh',
  '/cgi-bin/./echo.sh',
  '/dir/../cgi-bin/echo.sh',
  '/dir/%2e%2e/cgi-bin/echo.sh',
  '/cgi-bin/echo.sh/',
  '/cgi-bin/echo.sh%00',
  '/cgi-bin/echo.sh%00.txt',
  '/cgi-bin/echo.sh.',
  '/cgi-bin/echo.sh%20',
  '/cgi-bin/echo.sh;.txt',
  '/cgi-bin/echo.sh::$DATA',
  '/CGI-BIN/echo.sh',
  '/cgi-bin\\echo.sh',
  '/cgi-bin%5cecho.sh',
  '/loopdir/cgi-bin/echo.sh',
  '/%63gi-bin/noexec.sh',
  '/cgi-bin%2fnoexec.sh',
  '/./cgi-bin/noexec.sh',
  '/cgi-bin/./noexec.sh',
  '/cgi-bin/noexec.sh/',
  '/dir/up/cgi-bin/noexec.sh',
]

/** Commands a shell would run; each leaves `<pwn>/<tag>` behind. */
function pwned(ctx, tags) {
  return tags.filter((tag) => fs.existsSync(path.join(ctx.fx.pwn, tag)))
}

export const cgi = [
  envCase('httpoxy: Proxy header does not become HTTP_PROXY', ['Proxy: http://evil.example:1/'], (ctx, out) => {
    check(!out.env.has('HTTP_PROXY'), `HTTP_PROXY=${out.env.get('HTTP_PROXY')}`)
  }),
  envCase('httpoxy: lower-case proxy header', ['proxy: http://evil.example:1/'], (ctx, out) => {
    check(!out.env.has('HTTP_PROXY'), `HTTP_PROXY=${out.env.get('HTTP_PROXY')}`)
  }),
  envCase('X_Forwarded_For does not pose as X-Forwarded-For', (ctx) => [`X_Forwarded_For: UNDERSCORE-${ctx.fx.id}`], (ctx, out) => {
    check(!(out.env.get('HTTP_X_FORWARDED_FOR') ?? '').includes('UNDERSCORE'), `HTTP_X_FORWARDED_FOR=${out.env.get('HTTP_X_FORWARDED_FOR')}`)
  }),
  envCase('X_Forwarded_For does not override X-Forwarded-For', ['X-Forwarded-For: 10.0.0.1', 'X_Forwarded_For: 6.6.6.6'], (ctx, out) => {
    const v = out.env.get('HTTP_X_FORWARDED_FOR')
    check(v === undefined || v === '10.0.0.1', `HTTP_X_FORWARDED_FOR=${v}`)
  }),
  envCase('Content_Type / Content_Length do not override CONTENT_*', ['Content_Type: evil/type', 'Content_Length: 999'], (ctx, out) => {
    check(out.env.get('CONTENT_TYPE') !== 'evil/type', `CONTENT_TYPE=${out.env.get('CONTENT_TYPE')}`)
    check(out.env.get('CONTENT_LENGTH') !== '999', `CONTENT_LENGTH=${out.env.get('CONTENT_LENGTH')}`)
  }),
  envCase('header name with = does not shape the environment', (ctx) => [`Foo=Bar: EQ-${ctx.fx.id}`, `X=PATH: EQ-${ctx.fx.id}`], (ctx, out) => {
    check(!out.envText.includes(`EQ-${ctx.fx.id}`), `the value reached the environment: ${out.envText.split('\n').filter((l) => l.includes('EQ-')).join(' | ')}`)
  }),
  envCase('Path header does not replace PATH', ['Path: /nonexistent/evil', 'Ld-Preload: /nonexistent/evil.so'], (ctx, out) => {
    check(out.env.get('PATH') !== '/nonexistent/evil', 'PATH was replaced')
    check(!out.env.has('LD_PRELOAD'), 'LD_PRELOAD was set')
  }),
  envCase('Authorization is not passed as HTTP_AUTHORIZATION (RFC 3875 §4.1.18)', ['Authorization: Basic dXNlcjpodW50ZXIy', 'Proxy-Authorization: Basic dXNlcjpodW50ZXIy'], (ctx, out) => {
    check(!out.envText.includes('dXNlcjpodW50ZXIy') && !out.envText.includes('hunter2'), 'the credentials reached the environment')
  }),
  envCase('scripts do not run as root', [], (ctx, out) => {
    check(out.uid !== '0', `the script ran as uid ${out.uid}`)
  }),
  envCase('the server’s own secrets are not inherited', [], (ctx, out) => {
    check(!out.env.has('ATTACK_SUITE_SECRET'), 'ATTACK_SUITE_SECRET from the server’s environment reached the script')
  }),
  refusedScript('GET', '/cgi-bin/noexec.sh'),
  refusedScript('HEAD', '/cgi-bin/noexec.sh'),
  refusedScript('POST', '/cgi-bin/noexec.sh'),
  refusedScript('GET', '/cgi-bin/subdir'),
  refusedScript('HEAD', '/cgi-bin/subdir'),
  refusedScript('POST', '/cgi-bin/subdir'),
  refusedScript('GET', '/cgi-bin/outside.sh', [403, 404]),
  refusedScript('POST', '/cgi-bin/outside.sh', [403, 404]),
  ...SOURCE_PATHS.map((target) => ({
    family: 'cgi',
    name: `no source disclosure: ${target}`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target)
      return ctx.first(res).statusLine
    },
  })),
  ...[
    '/cgi-bin/echo.sh/../../../secret.txt',
    '/cgi-bin/echo.sh/%2e%2e/%2e%2e/%2e%2e/secret.txt',
    '/cgi-bin/echo.sh/..%2f..%2f..%2fsecret.txt',
    '/cgi-bin/echo.sh/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/cgi-bin/echo.sh/..\\..\\secret.txt',
  ].map((target) => ({
    family: 'cgi',
    name: `PATH_INFO escaping the root: ${target}`,
    run: async (ctx) => {
      const { res, out } = await echo(ctx, [], { target })
      const r = ctx.first(res)
      if (out.ran) {
        const translated = out.env.get('PATH_TRANSLATED') ?? ''
        const rel = path.relative(ctx.fx.root, path.resolve(translated))
        const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)
        check(translated === '' || !outside, `PATH_TRANSLATED=${translated} is outside the root`)
        return `${r.statusLine}, PATH_TRANSLATED=${translated}`
      }
      return r.statusLine
    },
  })),
  {
    family: 'cgi',
    name: 'the script reads exactly Content-Length bytes',
    run: async (ctx) => {
      const raw = `POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nHELLO-EXTRA-BYTES-NOT-BODY`
      const res = await ctx.send(raw, { timeout: 5000, halfCloseAfter: 1500 })
      const out = scriptOutput(res)
      ranCheck(res, out)
      check(out.stdin === 'HELLO', `the script read ${JSON.stringify(out.stdin)} (want "HELLO")`)
      return 'stdin "HELLO"'
    },
  },
  {
    family: 'cgi',
    name: 'CL + TE to a script → 400, script not run',
    run: async (ctx) => {
      const raw = 'POST /cgi-bin/echo.sh?stdin=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'
      const res = await ctx.send(raw, { timeout: 5000, halfCloseAfter: 1500 })
      const r = ctx.first(res)
      check(!scriptOutput(res).ran, `the script ran: ${r.statusLine}`)
      check(r.status === 400, `${r.statusLine} (want 400)`)
      return r.statusLine
    },
  },
  ...[
    ['chunked', 'chunked'],
    ['chunked with trailing space', 'chunked '],
    ['chunked with leading tab', '\tchunked'],
    ['CHUNKED upper case', 'CHUNKED'],
  ].map(([name, te]) => ({
    family: 'cgi',
    name: `${name} body reaches the script decoded (or is refused)`,
    run: async (ctx) => {
      const raw = `POST /cgi-bin/echo.sh?stdin=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: ${te}\r\nConnection: close\r\n\r\n5\r\nHELLO\r\n6\r\n-WORLD\r\n0\r\n\r\n`
      const res = await ctx.send(raw, { timeout: 5000, halfCloseAfter: 1500 })
      const r = ctx.first(res)
      if ([400, 411, 501].includes(r.status)) return `${r.statusLine} (refused)`
      const out = scriptOutput(res)
      ranCheck(res, out)
      check(out.stdin === 'HELLO-WORLD', `the script read ${JSON.stringify(out.stdin)} (want "HELLO-WORLD")`)
      return 'stdin "HELLO-WORLD"'
    },
  })),
  {
    family: 'cgi',
    name: 'shell metacharacters in headers are not interpreted',
    run: async (ctx) => {
      const p = ctx.fx.pwn
      const tags = ['ua', 'ref', 'cookie', 'accept', 'xa', 'acc2']
      await echo(ctx, [
        `User-Agent: $(touch ${p}/ua)`,
        `Referer: \`touch ${p}/ref\``,
        `Cookie: a=1;touch ${p}/cookie;`,
        `Accept: $(touch ${p}/accept)&&touch ${p}/acc2`,
        `X-A: |touch ${p}/xa`,
      ])
      await sleep(300)
      const made = pwned(ctx, tags)
      check(made.length === 0, `commands ran: created ${made.join(', ')}`)
      return 'nothing ran'
    },
  },
  {
    family: 'cgi',
    name: 'shellshock in a header is not interpreted',
    run: async (ctx) => {
      const p = ctx.fx.pwn
      await echo(ctx, [`User-Agent: () { :; }; /usr/bin/touch ${p}/shock1`, `X-Shock: () { :;}; /usr/bin/touch ${p}/shock2`])
      await sleep(300)
      const made = pwned(ctx, ['shock1', 'shock2'])
      check(made.length === 0, `commands ran: created ${made.join(', ')}`)
      return 'nothing ran'
    },
  },
  {
    family: 'cgi',
    name: 'shell metacharacters in the query and argv are not interpreted',
    run: async (ctx) => {
      const p = encodeURIComponent(ctx.fx.pwn)
      const queries = [`$(touch%20${p}/q1)`, `;touch%20${p}/q2`, `|touch%20${p}/q3`, `%60touch%20${p}/q4%60`, `x=$(touch%20${p}/q5)`, `&&touch%20${p}/q6`, `%0atouch%20${p}/q7`]
      for (const q of queries) await echo(ctx, [], { target: `/cgi-bin/echo.sh?${q}` })
      await sleep(300)
      const made = pwned(ctx, ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7'])
      check(made.length === 0, `commands ran: created ${made.join(', ')}`)
      return 'nothing ran'
    },
  },
  {
    family: 'cgi',
    name: 'shell metacharacters in PATH_INFO are not interpreted',
    run: async (ctx) => {
      const p = encodeURIComponent(ctx.fx.pwn).replaceAll('%2F', '/')
      await echo(ctx, [], { target: `/cgi-bin/echo.sh/$(touch%20${p}/pi1)` })
      await echo(ctx, [], { target: `/cgi-bin/echo.sh/;touch%20${p}/pi2;` })
      await sleep(300)
      const made = pwned(ctx, ['pi1', 'pi2'])
      check(made.length === 0, `commands ran: created ${made.join(', ')}`)
      return 'nothing ran'
    },
  },
  ...[
    ['NUL in the query argv', '/cgi-bin/echo.sh?a%00b'],
    ['NUL in PATH_INFO', '/cgi-bin/echo.sh/a%00b'],
    ['NUL in the script name', '/cgi-bin/echo%00.sh'],
    ['invalid UTF-8 in PATH_INFO', '/cgi-bin/echo.sh/%ff%fe'],
    ['bad percent-escape in PATH_INFO', '/cgi-bin/echo.sh/%zz'],
  ].map(([name, target]) => ({
    family: 'cgi',
    name: `${name} is answered`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target, { timeout: 5000 })
      return ctx.first(res, 'an answer within 5 s').statusLine
    },
  })),
  {
    family: 'cgi',
    name: 'environment over ARG_MAX (E2BIG) is answered',
    timeout: 20_000,
    run: async (ctx) => {
      const value = 'v'.repeat(60_000)
      const headers = Array.from({ length: 90 }, (_, i) => `X-Big-${i}: ${value}`)
      const res = await ctx.send(ctx.req('GET', '/cgi-bin/echo.sh', { headers }), { timeout: 10_000 })
      return ctx.first(res, 'an answer within 10 s').statusLine
    },
  },
]
