// Methods: nothing writes to the tree, TRACE echoes no credentials, nothing is proxied, every
// method gets an answer.
import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import { finals, sleep } from '../lib/http.mjs'
import { check, summary } from '../lib/suite.mjs'

function readOrNull(file) {
  try {
    return fs.readFileSync(file, 'latin1')
  } catch {
    return null
  }
}

/** `method target` with a body must be refused (501/405) and leave the tree as it was. */
function writeCase(method, target, { headers = [], body = 'PWNED-BODY\n', created } = {}) {
  return {
    family: 'methods',
    name: `${method} ${target} changes nothing`,
    run: async (ctx) => {
      const victim = path.join(ctx.fx.root, 'victim.txt')
      const before = readOrNull(victim)
      const res = await ctx.request(method, target, { headers: [...headers, `Content-Length: ${body.length}`], body })
      const r = ctx.first(res)
      await sleep(100)
      check(readOrNull(victim) === before, 'victim.txt changed or disappeared')
      for (const rel of created ?? []) check(!fs.existsSync(path.join(ctx.fx.root, rel)), `${rel} was created`)
      check(r.status === 501 || r.status === 405, `${r.statusLine} (want 501 or 405)`)
      return r.statusLine
    },
  }
}

/** A method that must simply be answered (no hang), with an error status. */
function answered(name, raw, { statuses } = {}) {
  return {
    family: 'methods',
    name,
    run: async (ctx) => {
      const res = await ctx.send(typeof raw === 'function' ? raw(ctx) : raw, { timeout: 3000 })
      const r = ctx.first(res, 'an answer within 3 s')
      if (statuses !== undefined) check(statuses(r.status), `${r.statusLine} (unexpected status)`)
      return `${r.statusLine} in ${res.elapsed} ms`
    },
  }
}

const isError = (s) => s >= 400 && s < 600

/** A request that a proxy would forward to our listener: nothing may reach it. */
function notProxied(name, build) {
  return {
    family: 'methods',
    name,
    run: async (ctx) => {
      const raw = build(ctx, ctx.listener.port)
      const res = await ctx.send(raw, { timeout: 3000, methods: [raw.split(' ')[0]] })
      await sleep(300)
      check(ctx.listener.seen.connections === 0, `the server connected to the listener (${ctx.listener.seen.connections} connection(s), ${ctx.listener.seen.bytes} bytes)`)
      check(!res.buf.toString('latin1').includes(ctx.listener.marker), 'the listener’s answer was relayed')
      const r = ctx.first(res)
      if (raw.startsWith('CONNECT')) check(r.status < 200 || r.status >= 300, `CONNECT answered ${r.statusLine}: a tunnel`)
      return r.statusLine
    },
  }
}

export const methods = [
  writeCase('PUT', '/victim.txt'),
  writeCase('PUT', '/new-file.txt', { created: ['new-file.txt'] }),
  writeCase('PUT', '/dir/new-file.txt', { created: ['dir/new-file.txt'] }),
  writeCase('DELETE', '/victim.txt', { body: '' }),
  writeCase('PATCH', '/victim.txt'),
  writeCase('POST', '/victim.txt'),
  writeCase('POST', '/dir/'),
  writeCase('MOVE', '/victim.txt', { headers: ['Destination: /moved.txt'], body: '', created: ['moved.txt'] }),
  writeCase('COPY', '/victim.txt', { headers: ['Destination: /copied.txt'], body: '', created: ['copied.txt'] }),
  writeCase('MKCOL', '/newdir', { body: '', created: ['newdir'] }),
  writeCase('PROPPATCH', '/victim.txt'),
  {
    family: 'methods',
    name: 'TRACE echoes no Authorization or Cookie',
    run: async (ctx) => {
      const secret = `CRED-${ctx.fx.id}`
      const res = await ctx.request('TRACE', '/', {
        headers: [`Authorization: Basic ${Buffer.from(`user:${secret}`).toString('base64')}`, `Cookie: session=${secret}`, `Proxy-Authorization: Basic ${secret}`],
      })
      const r = ctx.first(res)
      const text = res.buf.toString('latin1')
      check(!text.includes(secret) && !text.includes(Buffer.from(`user:${secret}`).toString('base64')), `TRACE echoed the credentials: ${r.statusLine}`)
      check(r.status !== 200, `${r.statusLine}: TRACE is enabled`)
      return r.statusLine
    },
  },
  {
    family: 'methods',
    name: 'TRACK echoes no Cookie',
    run: async (ctx) => {
      const secret = `CRED-${ctx.fx.id}`
      const res = await ctx.request('TRACK', '/', { headers: [`Cookie: session=${secret}`] })
      const r = ctx.first(res)
      check(!res.buf.toString('latin1').includes(secret), `TRACK echoed the cookie: ${r.statusLine}`)
      return r.statusLine
    },
  },
  notProxied('CONNECT to a local port is not tunnelled', (ctx, p) => `CONNECT 127.0.0.1:${p} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`),
  notProxied('CONNECT localhost:port is not tunnelled', (ctx, p) => `CONNECT localhost:${p} HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`),
  notProxied('absolute-form GET to a local port is not proxied', (ctx, p) => `GET http://127.0.0.1:${p}/proxied HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`),
  notProxied('absolute-form POST to a local port is not proxied', (ctx, p) => `POST http://127.0.0.1:${p}/proxied HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`),
  notProxied('absolute-form https:// is not proxied', (ctx, p) => `GET https://127.0.0.1:${p}/ HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`),
  notProxied('Host pointing at a local port is not proxied', (ctx, p) => `GET /proxied HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`),
  notProxied('absolute-form CGI request to a local port is not proxied', (ctx, p) => `GET http://127.0.0.1:${p}/cgi-bin/echo.sh HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`),
  answered('OPTIONS * is answered', 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  answered('GET * is answered with an error', 'GET * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { statuses: isError }),
  answered('target without a leading slash is answered', 'GET hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  answered('absolute-form with userinfo is answered', (ctx) => `GET http://user:pass@127.0.0.1:${ctx.port}/hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
  answered('OPTIONS / is answered', 'OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  answered('unknown method is answered with an error', 'FOOBAR / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { statuses: isError }),
  answered('lower-case get is answered', 'get /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
  answered('8 KiB method is answered with an error', `${'A'.repeat(8192)} / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, { statuses: isError }),
  answered('method with a non-token character', 'GE(T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { statuses: isError }),
  answered('PROPFIND is answered with an error', 'PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nDepth: infinity\r\nConnection: close\r\n\r\n', { statuses: isError }),
  answered('PRI * HTTP/2.0 preface is answered', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', { statuses: isError }),
  answered('HTTP/2 version is refused', 'GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n', { statuses: isError }),
  answered('Upgrade: h2c is not honoured', 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n', {
    statuses: (s) => s !== 101,
  }),
  answered('Upgrade: websocket is not honoured', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', {
    statuses: (s) => s !== 101,
  }),
  {
    family: 'methods',
    name: 'HEAD has no body: the next pipelined response parses',
    run: async (ctx) => {
      const res = await ctx.send(
        'HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /n1.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
        { timeout: 3000, methods: ['HEAD', 'GET'] },
      )
      const all = finals(res)
      check(all[0]?.status === 200, `HEAD: ${summary(res)}`)
      check(all.length === 1 || all[1]?.body.toString('latin1') === ctx.fx.nContent(1), `the response after HEAD does not parse as /n1.txt: ${summary(res)}`)
      check(res.rest.length === 0, `bytes after the responses (a HEAD body?): ${JSON.stringify(res.rest.toString('latin1').slice(0, 100))}`)
      return summary(res)
    },
  },
]
