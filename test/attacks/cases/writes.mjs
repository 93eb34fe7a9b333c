// Writes, WebDAV and the access guard (`--upload --delete --webdav -a USER:PASS`): traversal on
// PUT and on COPY/MOVE `Destination`, writes through symlinks, a `Destination` on another host,
// oversized bodies, XML entities and DOCTYPEs, auth bypass, cross-site and rebinding requests.
// simplehttp's main target is read-only with --cgi (which the write flags refuse), so these
// cases start a second app on the same root; against Python the same requests go to its server,
// which has no writes. Every case checks the disk after: nothing planted anywhere in the fixture,
// the secret, the dotfile and the victim file byte for byte as they were, no temporary file left;
// and the write app still answers a normal GET.
import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { exchange, finals } from '../lib/http.mjs'
import { check } from '../lib/suite.mjs'
import { startExtraApp } from '../lib/target.mjs'

const USER = 'ann'
const PASSWORD = 'correct horse'
const AUTH = `Authorization: Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
const PLANTED = 'PLANTED-BY-ATTACK'

let writer

/** The write app, started once and stopped by the last case. */
function writeServer(ctx) {
  writer ??= startExtraApp(
    ['-b', '127.0.0.1', '-d', ctx.fx.root, '--upload', '--delete', '--webdav', '-a', `${USER}:${PASSWORD}`, '--max-upload', '64K'],
    'the write app',
  )
  return writer
}

async function portOf(ctx) {
  return ctx.kind === 'python' ? ctx.port : (await writeServer(ctx)).port
}

/** Send one raw request to the write app (or Python); the first final response. */
async function send(ctx, head, body = '', options = {}) {
  const port = await portOf(ctx)
  const request = head.replaceAll('{port}', String(port)).replace(/\n/g, '\r\n') + '\r\n\r\n'
  const res = await exchange(port, body === '' ? request : [request, body], { timeout: 10_000, ...options })
  const text = res.buf.toString('latin1')
  for (const key of ['secret', 'outdir', 'dotenv', 'gitcfg', 'passwd']) check(!text.includes(ctx.m[key]), `the answer carries ${key}`)
  return { res, r: finals(res)[0] }
}

/** Every file under `dir` (not following links) with its bytes, for before/after comparison. */
function tree(dir, out = new Map(), base = dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    const rel = path.relative(base, full)
    if (entry.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(full)}`)
    else if (entry.isDirectory()) {
      out.set(rel + '/', 'dir')
      tree(full, out, base)
    } else out.set(rel, fs.readFileSync(full).toString('latin1'))
  }
  return out
}

function sameTree(before, after) {
  for (const [rel, content] of after) {
    check(before.has(rel), `the attack created ${JSON.stringify(rel)}`)
    check(before.get(rel) === content, `the attack changed ${JSON.stringify(rel)}`)
  }
  for (const rel of before.keys()) check(after.has(rel), `the attack removed ${JSON.stringify(rel)}`)
}

/** The write app still serves a normal authenticated GET on a new connection. */
async function alive(ctx) {
  const { r } = await send(ctx, `GET /hello.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nConnection: close`)
  check(r?.status === 200 && r.body.toString('latin1') === ctx.fx.hello, `the write app no longer serves /hello.txt (${r?.statusLine ?? 'no response'})`)
}

/**
 * A case: `attempts` is a list of [label, head, body?]; each must be answered with a status that
 * is not 2xx (and, for ours, the one expected), the whole fixture unchanged after.
 */
function refusals(name, attempts, { expect: expected, extra } = {}) {
  return {
    family: 'writes',
    name,
    timeout: 30_000,
    run: async (ctx) => {
      const before = tree(ctx.fx.tmp)
      const seen = []
      for (const [label, head, body, want] of attempts) {
        const { r } = await send(ctx, head, body ?? '')
        check(r !== undefined && r.status > 0, `${label}: no response`)
        check(r.status < 200 || r.status >= 300, `${label}: answered ${r.statusLine}`)
        const status = want ?? expected
        if (ctx.kind !== 'python' && status !== undefined) check(r.status === status, `${label}: ${r.status}, expected ${status}`)
        seen.push(r.status)
      }
      if (extra !== undefined) await extra(ctx)
      sameTree(before, tree(ctx.fx.tmp))
      await alive(ctx)
      return `${[...new Set(seen)].join('/')} ×${seen.length}; disk unchanged`
    },
  }
}

const put = (target, extra = '') => `PUT ${target} HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nContent-Length: ${PLANTED.length}${extra}\nConnection: close`

const PUT_TRAVERSAL = [
  '/../planted.txt',
  '/%2e%2e/planted.txt',
  '/%2E%2E%2Fplanted.txt',
  '/dir/..%2f..%2fplanted.txt',
  '/dir/../../planted.txt',
  '/..%5cplanted.txt',
  '/%252e%252e/planted.txt',
  '/%c0%ae%c0%ae/planted.txt',
  '/C:%5cplanted.txt',
  '/planted.txt%00.png',
  'http://127.0.0.1/../planted.txt',
]

const SYMLINK_TARGETS = [
  '/link-secret',
  '/link-secret-abs',
  '/chain1',
  '/link-outdir/planted.txt',
  '/link-outdir-abs/planted.txt',
  '/link-parent/planted.txt',
  '/nested/deeper/link-up/planted.txt',
  '/dir/up/planted.txt',
  '/loopdir/planted.txt',
  '/inside-link.txt',
]

const dest = (method, source, destination, extra = '') =>
  `${method} ${source} HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nDestination: ${destination}\nOverwrite: T${extra}\nConnection: close`

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol9;</D:displayname></D:prop></D:propfind>`
const XXE = `<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY env SYSTEM "file:///proc/self/environ">]>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:x>&xxe;&env;</Z:x></D:prop></D:set></D:propertyupdate>`
const propertyUpdate = (inner) => `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">${inner}</D:propertyupdate>`
const SET_ONE = '<D:set><D:prop><Z:color>red</Z:color></D:prop></D:set>'
const LAUGHS_PROPPATCH = BILLION_LAUGHS.replace(/<D:propfind[\s\S]*$/, propertyUpdate('<D:set><D:prop><Z:v>&lol9;</Z:v></D:prop></D:set>'))
const xmlRequest = (method, body) =>
  `${method} /hello.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nDepth: 0\nContent-Type: application/xml\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close`

const basic = (credentials) => `Authorization: Basic ${Buffer.from(credentials, 'latin1').toString('base64')}`

const FORM_BOUNDARY = 'xAttackBoundary'
const FORM = `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="planted.txt"\r\nContent-Type: text/plain\r\n\r\n${PLANTED}\r\n--${FORM_BOUNDARY}--\r\n`
const formPost = (extra) =>
  `POST /dir/ HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nContent-Type: multipart/form-data; boundary=${FORM_BOUNDARY}\nContent-Length: ${Buffer.byteLength(FORM)}${extra}\nConnection: close`

export const writes = [
  {
    family: 'writes',
    name: 'control: an authenticated PUT and DELETE inside the root work (so refusals mean something)',
    timeout: 20_000,
    run: async (ctx) => {
      if (ctx.kind === 'python') return 'python has no writes'
      const { r: created } = await send(ctx, put('/dav-control.txt'), PLANTED)
      check(created?.status === 201, `PUT answered ${created?.statusLine}`)
      check(fs.readFileSync(path.join(ctx.fx.root, 'dav-control.txt'), 'latin1') === PLANTED, 'the PUT body is not on disk')
      const { r: deleted } = await send(ctx, `DELETE /dav-control.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nConnection: close`)
      check(deleted?.status === 204, `DELETE answered ${deleted?.statusLine}`)
      check(!fs.existsSync(path.join(ctx.fx.root, 'dav-control.txt')), 'DELETE left the file')
      return '201 then 204'
    },
  },
  refusals(
    'PUT path traversal (.., encoded, double-encoded, overlong, backslash, drive, NUL, absolute-form)',
    PUT_TRAVERSAL.map((t) => [`PUT ${t}`, put(t), PLANTED]),
  ),
  refusals(
    'PUT through symlinks out of (and inside) the root, and over a symlink',
    SYMLINK_TARGETS.map((t) => [`PUT ${t}`, put(t), PLANTED]),
    { expect: 403 },
  ),
  refusals('PUT over dotfiles and into .git', [
    ['PUT /.env', put('/.env'), PLANTED, 403],
    ['PUT /.git/config', put('/.git/config'), PLANTED, 403],
    ['PUT /.git/hooks/pre-commit', put('/.git/hooks/pre-commit'), PLANTED, 403],
    ['PUT /.well-known/acme-challenge/t', put('/.well-known/acme-challenge/t'), PLANTED, 403],
    ['PUT /.simplehttp-upload-x', put('/.simplehttp-upload-x'), PLANTED, 403],
  ]),
  refusals('COPY/MOVE with a Destination out of the root or through a symlink', [
    ['COPY → /../planted.txt', dest('COPY', '/hello.txt', 'http://127.0.0.1:{port}/../planted.txt'), '', 403],
    ['COPY → /%2e%2e/secret.txt', dest('COPY', '/hello.txt', 'http://127.0.0.1:{port}/%2e%2e/secret.txt'), '', 403],
    ['COPY → /dir/..%2f..%2fsecret.txt', dest('COPY', '/hello.txt', '/dir/..%2f..%2fsecret.txt'), '', 403],
    ['COPY → /link-secret', dest('COPY', '/hello.txt', '/link-secret'), '', 403],
    ['COPY → /link-outdir/planted.txt', dest('COPY', '/hello.txt', '/link-outdir/planted.txt'), '', 403],
    ['MOVE /victim.txt → /link-parent/planted.txt', dest('MOVE', '/victim.txt', '/link-parent/planted.txt'), '', 403],
    ['MOVE /victim.txt → /../victim.txt', dest('MOVE', '/victim.txt', '/../victim.txt'), '', 403],
    ['MOVE /link-secret → /stolen.txt', dest('MOVE', '/link-secret', '/stolen.txt'), '', 403],
    ['COPY /link-outdir/ → /stolen/', dest('COPY', '/link-outdir/', '/stolen/'), '', 403],
    ['MOVE /dir → /dir/inside', dest('MOVE', '/dir', '/dir/inside'), '', 403],
    ['COPY → /.env', dest('COPY', '/hello.txt', '/.env'), '', 403],
  ]),
  refusals(
    'COPY/MOVE with a Destination on another host (502, nothing done here)',
    [
      ['COPY → http://evil.example/hello.txt', dest('COPY', '/hello.txt', 'http://evil.example/hello.txt')],
      ['COPY → //evil.example/hello.txt', dest('COPY', '/hello.txt', '//evil.example/hello.txt')],
      ['MOVE → http://evil.example/victim.txt', dest('MOVE', '/victim.txt', 'http://evil.example/victim.txt')],
      ['COPY → file:///tmp/x', dest('COPY', '/hello.txt', 'file:///tmp/planted.txt')],
    ],
    { expect: 502 },
  ),
  refusals(
    'oversized uploads: Content-Length over --max-upload (413 before the body), a chunked body past it',
    [
      ['PUT /victim.txt Content-Length 10 MB', `PUT /victim.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nContent-Length: 10485760\nConnection: close`, PLANTED, 413],
      [
        'PUT /victim.txt chunked 80 KiB',
        `PUT /victim.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nTransfer-Encoding: chunked\nConnection: close`,
        `${(80 * 1024).toString(16)}\r\n${'A'.repeat(80 * 1024)}\r\n0\r\n\r\n`,
        413,
      ],
      [
        'POST form 80 KiB to /dir/',
        `POST /dir/ HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nContent-Type: multipart/form-data; boundary=b\nContent-Length: ${80 * 1024 + 200}\nConnection: close`,
        `--b\r\nContent-Disposition: form-data; name="f"; filename="big.txt"\r\n\r\n${'B'.repeat(80 * 1024)}\r\n--b--\r\n`.padEnd(80 * 1024 + 200, '\n'),
        413,
      ],
    ],
    {
      extra: async (ctx) => {
        const temps = fs.readdirSync(ctx.fx.root).filter((n) => n.startsWith('.simplehttp-upload-'))
        check(temps.length === 0, `temporary files left: ${temps.join(', ')}`)
      },
    },
  ),
  refusals(
    'XML bodies: billion laughs, external entities (XXE), an unclosed flood',
    [
      ['PROPFIND billion laughs', xmlRequest('PROPFIND', BILLION_LAUGHS), BILLION_LAUGHS, 400],
      ['PROPPATCH XXE', xmlRequest('PROPPATCH', XXE), XXE, 400],
      ['PROPFIND 100 KiB of nesting', xmlRequest('PROPFIND', '<a>'.repeat(34_000)), '<a>'.repeat(34_000), 413],
    ],
  ),
  refusals(
    'auth bypass: no, wrong, malformed and truncated credentials on writes and reads',
    [
      ['PUT without Authorization', put('/planted.txt').replace(`${AUTH}\n`, ''), PLANTED, 401],
      ['PUT wrong password', put('/planted.txt').replace(AUTH, basic(`${USER}:wrong`)), PLANTED, 401],
      ['PUT password prefix', put('/planted.txt').replace(AUTH, basic(`${USER}:${PASSWORD.slice(0, -1)}`)), PLANTED, 401],
      ['PUT password + suffix', put('/planted.txt').replace(AUTH, basic(`${USER}:${PASSWORD}x`)), PLANTED, 401],
      ['PUT user only', put('/planted.txt').replace(AUTH, basic(USER)), PLANTED, 401],
      ['PUT empty user', put('/planted.txt').replace(AUTH, basic(`:${PASSWORD}`)), PLANTED, 401],
      ['PUT not base64', put('/planted.txt').replace(AUTH, 'Authorization: Basic !!!!'), PLANTED, 401],
      ['PUT Bearer', put('/planted.txt').replace(AUTH, 'Authorization: Bearer x'), PLANTED, 401],
      ['PUT NUL in user', put('/planted.txt').replace(AUTH, basic(`${USER}\0:${PASSWORD}`)), PLANTED, 401],
      ['PUT //planted.txt without auth', put('//planted.txt').replace(`${AUTH}\n`, ''), PLANTED, 401],
      ['DELETE /victim.txt without auth', `DELETE /victim.txt HTTP/1.1\nHost: 127.0.0.1:{port}\nConnection: close`, '', 401],
      ['GET /hello.txt without auth', `GET /hello.txt HTTP/1.1\nHost: 127.0.0.1:{port}\nConnection: close`, '', 401],
      ['GET with X-HTTP-Method-Override: DELETE', `GET /victim.txt HTTP/1.1\nHost: 127.0.0.1:{port}\nX-HTTP-Method-Override: DELETE\nConnection: close`, '', 401],
    ],
  ),
  refusals(
    'cross-site writes (Origin, Sec-Fetch-Site) and DNS rebinding (Host), with valid credentials',
    [
      ['form POST, Origin: http://evil.example', formPost('\nOrigin: http://evil.example'), FORM, 403],
      ['form POST, Origin: null', formPost('\nOrigin: null'), FORM, 403],
      ['form POST, Sec-Fetch-Site: cross-site', formPost('\nSec-Fetch-Site: cross-site'), FORM, 403],
      ['form POST, Origin on another port', formPost('\nOrigin: http://127.0.0.1:1'), FORM, 403],
      ['PUT, Origin: https://127.0.0.1:{port} (other scheme)', put('/planted.txt', '\nOrigin: https://127.0.0.1:{port}'), PLANTED, 403],
      ['DELETE, Origin: http://evil.example', `DELETE /victim.txt HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nOrigin: http://evil.example\nConnection: close`, '', 403],
      ['PUT, Host: evil.example', put('/planted.txt').replace('Host: 127.0.0.1:{port}', 'Host: evil.example'), PLANTED, 403],
      ['GET, Host: attacker.rebind.example', `GET /hello.txt HTTP/1.1\nHost: attacker.rebind.example\n${AUTH}\nConnection: close`, '', 403],
    ],
  ),
  refusals(
    'PROPPATCH bodies: entity expansion, external and undefined entities, bad character references, deep nesting',
    [
      ['PROPPATCH billion laughs', xmlRequest('PROPPATCH', LAUGHS_PROPPATCH), LAUGHS_PROPPATCH, 400],
      ['PROPPATCH XXE', xmlRequest('PROPPATCH', XXE), XXE, 400],
      ...['&undefined;', '&#0;', '&#xD800;', '&amp', `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`, '<u:x>undeclared prefix</u:x>'].map((value) => {
        const body = propertyUpdate(`<D:set><D:prop><Z:v>${value}</Z:v></D:prop></D:set>`)
        return [`PROPPATCH value ${JSON.stringify(value.slice(0, 20))}`, xmlRequest('PROPPATCH', body), body, 400]
      }),
    ],
  ),
  refusals('the dead-property store by name (GET, PUT, PROPFIND, PROPPATCH, DELETE, MKCOL, MOVE into it)', [
    ['GET /.simplehttp-props/', `GET /.simplehttp-props/ HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nConnection: close`, '', 404],
    ['PUT /.simplehttp-props/self.json', put('/.simplehttp-props/self.json'), PLANTED, 403],
    ['PUT /dir/.simplehttp-props/x', put('/dir/.simplehttp-props/x'), PLANTED, 403],
    ['PROPFIND /.simplehttp-props/', `PROPFIND /.simplehttp-props/ HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nDepth: 1\nConnection: close`, '', 404],
    ['PROPPATCH /.simplehttp-props/', xmlRequest('PROPPATCH', propertyUpdate(SET_ONE)).replace('/hello.txt', '/.simplehttp-props/'), propertyUpdate(SET_ONE), 404],
    ['DELETE /.simplehttp-props/', `DELETE /.simplehttp-props/ HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nConnection: close`, '', 403],
    ['MKCOL /.simplehttp-props', `MKCOL /.simplehttp-props HTTP/1.1\nHost: 127.0.0.1:{port}\n${AUTH}\nConnection: close`, '', 403],
    ['MOVE /victim.txt → /.simplehttp-props/x', dest('MOVE', '/victim.txt', '/.simplehttp-props/x'), '', 403],
    ['PROPPATCH /dir%2f..%2f..%2fsecret.txt', xmlRequest('PROPPATCH', propertyUpdate(SET_ONE)).replace('/hello.txt', '/dir%2f..%2f..%2fsecret.txt'), propertyUpdate(SET_ONE), 404],
    ['PROPPATCH /../secret.txt', xmlRequest('PROPPATCH', propertyUpdate(SET_ONE)).replace('/hello.txt', '/../secret.txt'), propertyUpdate(SET_ONE), 404],
  ]),
  {
    family: 'writes',
    name: 'dead properties: a huge value, many properties, a resource filled past its bound, namespaces full of ../',
    timeout: 60_000,
    run: async (ctx) => {
      if (ctx.kind === 'python') return 'python has no WebDAV'
      const store = path.join(ctx.fx.root, '.simplehttp-props')
      const before = tree(ctx.fx.tmp)
      const patch = async (inner) => {
        const body = propertyUpdate(inner)
        return (await send(ctx, xmlRequest('PROPPATCH', body), body)).r
      }
      // Over the 64 KiB body cap: 413 before parsing.
      const tooBig = await patch(`<D:set><D:prop><Z:v>${'x'.repeat(70 * 1024)}</Z:v></D:prop></D:set>`)
      check(tooBig?.status === 413, `a 70 KiB body answered ${tooBig?.statusLine}`)
      const big = await patch(`<D:set><D:prop><Z:v>${'x'.repeat(40 * 1024)}</Z:v></D:prop></D:set>`)
      check(big?.status === 207 && big.body.toString().includes('507 Insufficient Storage'), `a 40 KiB value: ${big?.body.toString().slice(0, 300)}`)
      const many = await patch(`<D:set><D:prop>${Array.from({ length: 1000 }, (_, i) => `<Z:m${i}/>`).join('')}</D:prop></D:set>`)
      check(many?.status === 207 && many.body.toString().includes('more than 256 properties'), `1000 properties: ${many?.body.toString().slice(0, 300)}`)
      check(!fs.existsSync(store), 'a refused PROPPATCH created the store')
      // Fill one resource with 15 KiB values, ten times: it stops at its 64 KiB bound.
      let refused = 0
      for (let i = 0; i < 10; i++) {
        const r = await patch(`<D:set><D:prop><Z:f${i}>${'y'.repeat(15 * 1024)}</Z:f${i}></D:prop></D:set>`)
        if (r?.body.toString().includes('507')) refused++
      }
      const stored = fs.readdirSync(store).reduce((sum, name) => sum + fs.statSync(path.join(store, name)).size, 0)
      check(refused >= 5 && stored <= 64 * 1024, `after ten 15 KiB values: ${stored} bytes stored, ${refused} refused`)
      // Namespaces and names are only names: the entry is a hash, nothing lands elsewhere.
      const sneaky = await patch('<D:set><D:prop><x:a xmlns:x="../../../../outside/x/"><y:b xmlns:y="/etc/passwd">v</y:b></x:a></D:prop></D:set>')
      check(sneaky?.status === 207, `namespaces with ../: ${sneaky?.statusLine}`)
      const entries = fs.readdirSync(store)
      check(entries.every((name) => /^f-[\w-]{43}\.json$/.test(name)), `store entries: ${entries.join(', ')}`)
      fs.rmSync(store, { recursive: true })
      sameTree(before, tree(ctx.fx.tmp))
      await alive(ctx)
      return `413, 507 with reasons, ${stored} bytes kept for one resource, entries named by hash only`
    },
  },
  {
    family: 'writes',
    name: '(stop the write app)',
    run: async () => {
      if (writer === undefined) return 'not started'
      const { proc } = await writer
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      process.kill(proc.pid, 'SIGTERM')
      await exited
      return 'stopped'
    },
  },
]
