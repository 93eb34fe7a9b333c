// Attacks from serve-static's and send's advisories, against `--target serve-static` (Express 5
// with our serveStatic(), lib/serve-static-server.mjs):
// - CVE-2024-43800 (serve-static) / CVE-2024-43799 (send): the trailing-slash redirect's HTML
//   body reflected the URL, so a crafted path or query ran script; now the body must escape it
//   and carry no link, with `Content-Security-Policy: default-src 'none'` and nosniff.
// - CVE-2015-1164 (serve-static open redirect): `//evil.example/dir` redirected to
//   `//evil.example/dir/`, off-site; mounted apps too.
// - send's root path disclosure and `root` prefix checks (CVE-2015-8859): an error passed to
//   Express must not name the root; `/www2` beside `/www` is outside.
import { check } from '../lib/suite.mjs'
import { noRawTags, safeLocations } from './injection.mjs'

/** The redirect serve-static sends, and nothing in it a browser would run. */
function safeRedirect(ctx, res) {
  const r = ctx.first(res)
  check(r.status === 301, `${r.statusLine} (want serve-static's 301)`)
  const [location] = safeLocations(res)
  check(location !== undefined, 'no Location on the 301')
  check(!/["<>\s]/.test(location), `Location ${JSON.stringify(location)} is not percent-encoded`)
  check((r.headers.get('content-security-policy') ?? [])[0] === "default-src 'none'", 'no Content-Security-Policy: default-src \'none\'')
  check((r.headers.get('x-content-type-options') ?? [])[0] === 'nosniff', 'no X-Content-Type-Options: nosniff')
  const body = r.body.toString('latin1')
  check(!/<a\b/i.test(body) && !/href=/i.test(body), 'the redirect page carries a link (the CVE-2024-43799 template)')
  // serve-static's page is a fixed template; any other tag came from the request.
  const stray = body.replace(/<!DOCTYPE html>|<\/?(html|head|meta|title|body|pre)\b[^<>]*>/gi, '')
  check(!stray.includes('<'), `a tag in the redirect page that is not the template's: ${JSON.stringify(stray.slice(stray.indexOf('<'), stray.indexOf('<') + 40))}`)
  noRawTags(res)
  for (const tag of ['<script', '<svg', '<img', '"><']) check(!body.includes(tag), `the redirect page reflects ${JSON.stringify(tag)} unescaped`)
  return `${r.statusLine} → ${JSON.stringify(location)}`
}

const REDIRECT_XSS = [
  ['directory named "><script>alert(1)<', '/%22%3E%3Cscript%3Ealert(1)%3C'],
  ['same, under the /static mount', '/static/%22%3E%3Cscript%3Ealert(1)%3C'],
  ['query with an encoded <script>', '/dir?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E'],
  ['query with a raw <script>', '/dir?q="><script>alert(1)</script>'],
  ['query with <svg onload>', '/dir?<svg/onload=alert(1)>'],
  ['query that is a javascript: URL', '/dir?javascript:alert(1)'],
  ['directory named "><svg onload=alert(1)>', '/%22%3E%3Csvg%20onload=alert(1)%3E'],
]

const OPEN_REDIRECT = [
  ['//evil.example/dir (CVE-2015-1164)', '//evil.example/dir'],
  ['/static//evil.example/dir under the mount', '/static//evil.example/dir'],
  ['//static//evil.example/dir', '//static//evil.example/dir'],
  ['/static/%2f%2fevil.example/dir', '/static/%2f%2fevil.example/dir'],
  ['/static/..//evil.example/dir', '/static/..//evil.example/dir'],
  ['/%5c%5cevil.example/dir', '/%5c%5cevil.example/dir'],
  ['/\\evil.example/dir', '/\\evil.example/dir'],
]

export const serveStaticAdvisories = [
  ...REDIRECT_XSS.map(([name, target]) => ({
    family: 'serve-static',
    name: `redirect page XSS (CVE-2024-43800/43799): ${name}`,
    run: async (ctx) => safeRedirect(ctx, await ctx.request('GET', target)),
  })),
  ...OPEN_REDIRECT.map(([name, target]) => ({
    family: 'serve-static',
    name: `open redirect: ${name}`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target)
      const r = ctx.first(res)
      const [location] = safeLocations(res)
      return `${r.statusLine}${location === undefined ? '' : ` → ${JSON.stringify(location)}`}`
    },
  })),
  ...[
    ['a missing file', '/strict/missing.txt', 404],
    ['.. past the root', '/strict/../secret.txt', 403],
    ['%2e%2e past the root', '/strict/%2e%2e/secret.txt', 403],
    ['a malformed escape', '/strict/%E0%A4%A', 400],
    ['a dotfile', '/strict/.env', 404],
  ].map(([name, target, status]) => ({
    family: 'serve-static',
    name: `fallthrough: false, Express's error page does not disclose the root: ${name}`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target)
      const r = ctx.first(res)
      check(r.status === status, `${r.statusLine} (want ${status})`)
      const body = r.body.toString('latin1')
      check(!body.includes(ctx.fx.root) && !body.includes(ctx.fx.tmp), 'the error page names the served directory')
      return r.statusLine
    },
  })),
  ...[
    ['the sibling www2 by prefix', '/../www2/sibling.txt'],
    ['the sibling www2, encoded', '/%2e%2e/www2/sibling.txt'],
    ['the sibling www2 under the mount', '/static/../www2/sibling.txt'],
    ['the sibling www2 under the strict mount', '/strict/%2e%2e%2fwww2/sibling.txt'],
  ].map(([name, target]) => ({
    family: 'serve-static',
    name: `root prefix (CVE-2015-8859): ${name}`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target)
      const r = ctx.first(res)
      check(r.status >= 400 && r.status < 500, `${r.statusLine} (want 4xx)`)
      return r.statusLine
    },
  })),
]
