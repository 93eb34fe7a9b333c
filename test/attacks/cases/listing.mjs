// The rich listing, the JSON listing and folder downloads (`--listing rich --archive`): hostile
// names escaped in text and attributes, reflected query values (`q`, `sort`, `order`) escaped,
// nothing hidden or outside the root in a listing or an archive. simplehttp's main target runs
// with --cgi, which --archive refuses (an archive would hand out the scripts' source), so these
// cases start a second app on the same root; against Python the same requests go to its listing.
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import process from 'node:process'
import { readResponses } from '@simplehttp/test-client'
import { exchange, finals, openMany } from '../lib/http.mjs'
import { check } from '../lib/suite.mjs'
import { startExtraApp } from '../lib/target.mjs'

const HOSTILE = ['<script>alert(1)', '<svg onload=alert(1)>', '<img src=x onerror=alert(1)>', "'onmouseover='"]

/** What no listing or archive may carry: files outside the root, dotfiles, /etc/passwd. */
const HIDDEN = ['secret', 'sibling', 'outdir', 'outName', 'dotenv', 'gitcfg', 'passwd']

let rich
const run = promisify(execFile)

/**
 * The status of the first response a held (paused) client receives, read by the shared client's
 * parser; it stops reading again once the head is in. 0 if the connection closes first.
 */
async function firstStatus(client) {
  const head = () => {
    const { partial, responses } = readResponses(client.data)
    return partial ?? responses[0]
  }
  client.socket.resume()
  try {
    await client.waitFor(() => head() !== undefined, 'a response head')
  } catch {
    return 0
  }
  client.socket.pause()
  return head()?.status ?? 0
}

/** The second app (`--listing rich --archive`), started once and stopped by the last case. */
function richServer(ctx) {
  rich ??= startExtraApp(['-b', '127.0.0.1', '-d', ctx.fx.root, '--listing', 'rich', '--archive'], 'the rich-listing app')
  return rich
}

/** GET `target` from the rich app (or Python's server), one response, whole. */
async function get(ctx, target, headers = '') {
  const port = ctx.kind === 'python' ? ctx.port : (await richServer(ctx)).port
  const res = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`, {
    timeout: 10_000,
    maxBytes: 64 * 1024 * 1024,
  })
  const r = finals(res)[0]
  check(r !== undefined && r.status > 0, `no response to GET ${target}`)
  const text = res.buf.toString('latin1')
  for (const key of HIDDEN) check(!text.includes(ctx.m[key]), `GET ${target} carries ${key} (${ctx.m[key]})`)
  return r
}

function noRawTags(body, what) {
  for (const tag of HOSTILE) check(!body.includes(tag), `${what}: raw ${JSON.stringify(tag)} in the page`)
}

/** Every start tag's attributes are quoted values without raw quotes or angle brackets. */
function wellFormedTags(body, what) {
  for (const tag of body.match(/<[a-z][^>]*>/gi) ?? []) {
    const attributes = tag.replace(/^<[a-z0-9]+/i, '').replace(/\/?>$/, '')
    const ok = /^(\s+[a-z-]+(="[^"<>]*")?)*\s*$/i.test(attributes)
    check(ok, `${what}: malformed tag ${JSON.stringify(tag)}`)
    check(!/href="\s*javascript:/i.test(tag), `${what}: javascript: href ${JSON.stringify(tag)}`)
  }
}

function pageCase(name, target, extra) {
  return {
    family: 'listing',
    name,
    timeout: 20_000,
    run: async (ctx) => {
      const r = await get(ctx, target)
      const body = r.body.toString('utf8')
      noRawTags(body, target)
      wellFormedTags(body, target)
      if (extra !== undefined) extra(ctx, r, body)
      return r.statusLine
    },
  }
}

export const listing = [
  pageCase('rich listing of hostile file and directory names', '/', (ctx, r, body) => {
    check(r.status === 200, `${r.statusLine} (want the listing)`)
    check(!body.includes('.env') && !body.includes('.git'), 'a dotfile is listed')
    for (const link of ['link-secret', 'link-passwd', 'link-outdir', 'loop-a', 'link-parent']) {
      check(!body.includes(`>${link}`), `${link} (a link out of the root, or a loop) is listed`)
    }
  }),
  pageCase('rich listing of a directory named "><script>alert(1)<', '/%22%3E%3Cscript%3Ealert(1)%3C/'),
  pageCase('rich listing of a directory named "><svg onload=…>', '/%22%3E%3Csvg%20onload=alert(1)%3E/'),
  pageCase('?q= reflects a script tag', '/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E'),
  pageCase('?q= breaks out of the value with a quote', "/?q=%22%20autofocus%20onfocus=%22alert(1)"),
  pageCase('?sort= and ?order= with tags', '/?sort=%3Csvg%20onload=alert(1)%3E&order=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E'),
  pageCase('?q= with CR LF and NUL', '/?q=%0d%0aX-Injected:%20yes%00', (ctx, r) => {
    check(!r.headers.has('x-injected'), 'an injected header')
  }),
  {
    family: 'listing',
    name: 'JSON listing of hostile names is JSON, never HTML',
    timeout: 20_000,
    run: async (ctx) => {
      const r = await get(ctx, '/?json', 'Accept: application/json\r\n')
      if (ctx.kind === 'python') return `${r.statusLine} (no JSON listing)`
      const type = r.headers.get('content-type')?.[0]
      check(type === 'application/json', `Content-Type ${type}`)
      // Even sniffed or pasted into a page, the bytes hold no markup: < > & are \u escapes.
      check(!/[<>&]/.test(r.body.toString('latin1')), 'a raw <, > or & in the JSON bytes')
      const parsed = JSON.parse(r.body.toString('utf8'))
      const names = parsed.entries.map((e) => e.name)
      check(names.includes('<img src=x onerror=alert(1)>.txt'), 'the hostile name is missing from the JSON')
      for (const e of parsed.entries) check(!/[<>"' ]/.test(e.href), `unencoded href ${JSON.stringify(e.href)}`)
      return `${names.length} entries`
    },
  },
  {
    family: 'listing',
    name: 'ZIP of the root: no dotfiles, nothing outside the root',
    timeout: 30_000,
    run: async (ctx) => {
      const r = await get(ctx, '/?download=zip')
      if (ctx.kind === 'python') return `${r.statusLine} (no archives)`
      check(r.status === 200 && r.headers.get('content-type')?.[0] === 'application/zip', r.statusLine)
      check(r.body.length === Number(r.headers.get('content-length')?.[0]), 'the body is not Content-Length bytes')
      const zip = r.body.toString('latin1')
      check(zip.includes('hello.txt') && !zip.includes('.env') && !zip.includes('.git/'), 'wrong members')
      return `${r.body.length} bytes`
    },
  },
  {
    family: 'listing',
    name: 'Content-Disposition of a hostile folder name',
    timeout: 20_000,
    run: async (ctx) => {
      const r = await get(ctx, '/%22%3E%3Cscript%3Ealert(1)%3C/?download=zip')
      if (ctx.kind === 'python') return `${r.statusLine} (no archives)`
      const disposition = r.headers.get('content-disposition')?.[0] ?? ''
      check(/^attachment; filename="[^"\\]*"(; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+)?$/.test(disposition), `Content-Disposition ${JSON.stringify(disposition)}`)
      return disposition
    },
  },
  // Sort-parameter injection: prototype keys, arrays, repeats, bad escapes and huge values are
  // ignored (the default order), never an error page and never reflected raw.
  ...[
    ['?sort= and ?order= naming prototype keys', '/?sort=__proto__&order=constructor&q=toString'],
    ['?sort[]= and repeated ?sort=', '/?sort[]=size&sort=time&sort=size&order=desc&order=asc'],
    ['?q= with a bad percent escape', '/?q=%ZZ%E0%A4%A&sort=%'],
    ['?q= of 8 KiB', `/?q=${'%3Cscript%3E'.repeat(700)}`],
    ['?download= with tags', '/?download=%3Csvg%20onload=alert(1)%3E&sort=%3Cscript%3E'],
  ].map(([name, target]) =>
    pageCase(name, target, (ctx, r, body) => {
      check(r.status === 200, `${r.statusLine} (want the listing, the values ignored)`)
      if (ctx.kind === 'python') return
      check(/^text\/html/.test(r.headers.get('content-type')?.[0] ?? ''), `Content-Type ${r.headers.get('content-type')?.[0]}`)
      check(body.includes('hello.txt') || body.includes('No names match'), 'not the listing')
      check(!body.includes('<script>'), 'a raw <script> in the page')
    }),
  ),
  {
    family: 'listing',
    name: 'zip-slip names: ZIP and tar.gz unpack inside their folder (unzip, zipfile, bsdtar, tar)',
    timeout: 60_000,
    run: async (ctx) => {
      if (ctx.kind === 'python') return `${(await get(ctx, '/slip/?download=zip')).statusLine} (no archives)`
      const work = await mkdtemp(path.join(os.tmpdir(), 'attack-zip-slip-'))
      try {
        const seen = []
        for (const format of ['zip', 'tar.gz']) {
          const r = await get(ctx, `/slip/?download=${format}`)
          check(r.status === 200, `${format}: ${r.statusLine}`)
          const file = path.join(work, `slip.${format}`)
          await writeFile(file, r.body)
          const tools =
            format === 'zip'
              ? [['unzip', ['-q', file, '-d']], ['python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', file]], ['bsdtar', ['-xf', file, '-C']]]
              : [['tar', ['-xzf', file, '-C']], ['bsdtar', ['-xzf', file, '-C']]]
          for (const [tool, args] of tools) {
            // Deep enough that four `..` stay inside the jail: only out/ may appear there.
            const jail = path.join(work, `${format}-${tool}`)
            const out = path.join(jail, 'a', 'b', 'c', 'out')
            await mkdir(out, { recursive: true })
            await run(tool, [...args, out])
            const names = (await readdir(out)).sort()
            for (const at of [jail, path.join(jail, 'a'), path.join(jail, 'a', 'b'), path.join(jail, 'a', 'b', 'c')]) {
              const inside = await readdir(at)
              check(inside.length === 1, `${format} via ${tool}: ${at} holds ${JSON.stringify(inside)}`)
            }
            check(names.every((n) => !n.includes('\\') && !/^[A-Za-z]:/.test(n)), `${format} via ${tool}: ${JSON.stringify(names)}`)
            seen.push(`${format}/${tool}: ${names.join(' ')}`)
          }
        }
        return seen[0]
      } finally {
        await rm(work, { recursive: true, force: true })
      }
    },
  },
  {
    family: 'listing',
    name: 'tar.gz of the root: no dotfiles, nothing outside the root',
    timeout: 30_000,
    run: async (ctx) => {
      const r = await get(ctx, '/?download=tar.gz')
      if (ctx.kind === 'python') return `${r.statusLine} (no archives)`
      check(r.status === 200 && r.headers.get('content-type')?.[0] === 'application/gzip', r.statusLine)
      const tar = gunzipSync(r.body).toString('latin1')
      for (const key of HIDDEN) check(!tar.includes(ctx.m[key]), `the tar carries ${key}`)
      check(tar.includes('hello.txt') && !tar.includes('.env') && !tar.includes('.git/'), 'wrong members')
      return `${r.body.length} bytes gzipped, ${tar.length} tar`
    },
  },
  {
    family: 'listing',
    name: 'a flood of folder downloads that never read: 200 or 503 each, the server keeps serving',
    timeout: 60_000,
    run: async (ctx) => {
      const port = ctx.kind === 'python' ? ctx.port : (await richServer(ctx)).port
      if (ctx.kind === 'python') return 'no archives'
      // Twelve connections ask for the whole root as a ZIP and read nothing: at most four
      // downloads run at once (each holds its member list); the rest are turned away with 503.
      const many = await openMany(port, 12, { initial: 'GET /?download=zip HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' })
      try {
        const statuses = await Promise.all(many.clients.map((client) => firstStatus(client)))
        check(statuses.every((s) => s === 200 || s === 503), `statuses ${statuses.join(',')}`)
        check(statuses.filter((s) => s === 200).length >= 1, `no download ran: ${statuses.join(',')}`)
        const page = await get(ctx, '/hello.txt')
        check(page.status === 200 && page.body.toString().includes(ctx.m.hello), `a file while the downloads wait: ${page.statusLine}`)
        // Then read them to the end: every one completes or was refused whole.
        await Promise.all(
          many.clients.map((client) => {
            client.socket.resume()
            return client.whenClosed
          }),
        )
        return `statuses ${statuses.join(',')}`
      } finally {
        many.closeAll()
      }
    },
  },
  {
    family: 'listing',
    name: '(stop the rich-listing app)',
    run: async () => {
      if (rich === undefined) return 'not started'
      const { proc } = await rich
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      process.kill(proc.pid, 'SIGTERM')
      await exited
      return 'stopped'
    },
  },
]
