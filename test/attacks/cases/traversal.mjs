// Path traversal, symlinks out of the root, dotfiles. The runner already fails any case whose
// responses contain an outside marker; these cases add the status each request must get.
import { check } from '../lib/suite.mjs'

/** `method target` must be refused with a 4xx (and, via the runner, leak nothing). */
async function refused(ctx, method, target, options = {}) {
  const res = await ctx.request(method, target, options)
  const r = ctx.first(res)
  check(r.status >= 400 && r.status < 500, `${method} ${JSON.stringify(target)} → ${r.statusLine} (want 4xx)`)
  return r.statusLine
}

const TRAVERSALS = [
  ['plain ..', '/../secret.txt'],
  ['many ..', '/../../../../../../../../../../etc/passwd'],
  ['.. after a directory', '/dir/../../secret.txt'],
  ['.. after a file', '/hello.txt/../../secret.txt'],
  ['%2e%2e', '/%2e%2e/secret.txt'],
  ['%2E%2E upper case', '/%2E%2E/secret.txt'],
  ['mixed %2e%2E', '/%2e%2E/secret.txt'],
  ['.%2e', '/.%2e/secret.txt'],
  ['%2e.', '/%2e./secret.txt'],
  ['..%2f', '/..%2fsecret.txt'],
  ['..%2F', '/..%2Fsecret.txt'],
  ['%2e%2e%2f all encoded', '/%2e%2e%2fsecret.txt'],
  ['%2e%2e%2f to /etc/passwd', '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['double-encoded %252e%252e', '/%252e%252e/secret.txt'],
  ['double-encoded %252e%252e%252f', '/%252e%252e%252fsecret.txt'],
  ['double-encoded ..%252f', '/..%252fsecret.txt'],
  ['overlong UTF-8 %c0%ae', '/%c0%ae%c0%ae/secret.txt'],
  ['overlong UTF-8 %c0%ae%c0%af', '/%c0%ae%c0%ae%c0%afsecret.txt'],
  ['overlong UTF-8 %e0%80%ae', '/%e0%80%ae%e0%80%ae/secret.txt'],
  ['overlong UTF-8 ..%c0%af', '/..%c0%afsecret.txt'],
  ['overlong UTF-8 ..%c1%9c (backslash)', '/..%c1%9csecret.txt'],
  ['IIS %u002e', '/%u002e%u002e/secret.txt'],
  ['..;/', '/..;/secret.txt'],
  ['..;param/', '/..;foo=bar/secret.txt'],
  ['raw backslash ..\\', '/..\\secret.txt'],
  ['raw backslashes \\..\\', '/\\..\\..\\secret.txt'],
  ['%5c', '/..%5csecret.txt'],
  ['%5C upper', '/..%5Csecret.txt'],
  ['%2e%2e%5c', '/%2e%2e%5csecret.txt'],
  ['dir/..%5c..%5c', '/dir/..%5c..%5csecret.txt'],
  ['NUL %00 after ..', '/..%00/secret.txt'],
  ['NUL %00 suffix', '/../secret.txt%00.txt'],
  ['NUL %00 in a served name', '/hello.txt%00/../../secret.txt'],
  ['NUL between dots', '/.%00./secret.txt'],
  ['..../', '/..../secret.txt'],
  ['....//', '/....//secret.txt'],
  ['/./.././', '/./.././secret.txt'],
  ['prefix sibling /../www2', '/../www2/sibling.txt'],
  ['prefix sibling ..%2fwww2', '/..%2fwww2%2fsibling.txt'],
  ['no leading slash', '../secret.txt'],
  ['very long path of ..', `/${'a/'.repeat(8000)}${'../'.repeat(8001)}secret.txt`],
  ['very long path of %2e%2e', `/${'%2e%2e/'.repeat(6000)}secret.txt`],
]

export const traversal = [
  ...TRAVERSALS.map(([name, target]) => ({
    family: 'traversal',
    name,
    run: (ctx) => refused(ctx, 'GET', target),
  })),
  {
    family: 'traversal',
    name: 'query and fragment hide .. (ignored, never followed)',
    run: async (ctx) => {
      for (const target of ['/?/../../secret.txt', '/hello.txt?../../secret.txt', '/#/../../secret.txt', '/link-secret?x', '/.env?x']) {
        const res = await ctx.request('GET', target)
        const r = ctx.first(res)
        check(r.status !== 200 || !['/link-secret?x', '/.env?x'].includes(target), `GET ${target} → ${r.statusLine}`)
      }
      return 'no marker'
    },
  },
  { family: 'traversal', name: 'HEAD ../', run: (ctx) => refused(ctx, 'HEAD', '/../secret.txt') },
  {
    family: 'traversal',
    name: 'HTTP/0.9 requests: .., %2e%2e, outside link, dotfile',
    run: async (ctx) => {
      // HTTP/0.9 answers carry no status line: the runner's marker scan is the whole check.
      for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/link-secret', '/link-outdir/', '/.env', '/cgi-bin/noexec.sh']) {
        await ctx.send(`GET ${target}\r\n`, { timeout: 2000, halfClose: true })
      }
      return 'nothing leaked'
    },
  },
  { family: 'traversal', name: 'HEAD %2e%2e%2f', run: (ctx) => refused(ctx, 'HEAD', '/%2e%2e%2fsecret.txt') },
  {
    family: 'traversal',
    name: 'absolute-form http://host/../',
    run: (ctx) => refused(ctx, 'GET', `http://127.0.0.1:${ctx.port}/../secret.txt`),
  },
  {
    family: 'traversal',
    name: 'absolute-form http://host/%2e%2e/',
    run: (ctx) => refused(ctx, 'GET', `http://127.0.0.1:${ctx.port}/%2e%2e/secret.txt`),
  },
  {
    family: 'traversal',
    name: 'absolute-form http://host/..%2f',
    run: (ctx) => refused(ctx, 'GET', `http://127.0.0.1:${ctx.port}/..%2fsecret.txt`),
  },
  {
    family: 'traversal',
    name: 'absolute-form file:///etc/passwd',
    run: (ctx) => refused(ctx, 'GET', 'file:///etc/passwd'),
  },
  {
    family: 'traversal',
    name: 'absolute-form with .. in the authority',
    run: (ctx) => refused(ctx, 'GET', `http://127.0.0.1:${ctx.port}/..%2f..%2fetc/passwd`),
  },
]

const LINKS = [
  ['relative file link ../secret.txt', '/link-secret'],
  ['absolute file link', '/link-secret-abs'],
  ['link to /etc/passwd', '/link-passwd'],
  ['file through a directory link', (ctx) => `/link-outdir/${ctx.m.outName}.txt`],
  ['file through an absolute directory link', (ctx) => `/link-outdir-abs/${ctx.m.outName}.txt`],
  ['listing through a directory link', '/link-outdir/'],
  ['listing through an absolute directory link', '/link-outdir-abs/'],
  ['nested relative link up three levels', (ctx) => `/nested/deeper/link-up/${ctx.m.outName}.txt`],
  ['nested link listing', '/nested/deeper/link-up/'],
  ['link to the parent directory', '/link-parent/secret.txt'],
  ['link to the parent, listing', '/link-parent/'],
  ['chain of links ending outside', '/chain1'],
  ['in-root link to root, then a link out', '/dir/up/link-secret'],
  ['in-root link to root, then the parent link', '/dir/up/link-parent/secret.txt'],
  ['encoded name of an outside link', '/link%2dsecret'],
  ['directory link with %2f', '/link-outdir%2f'],
]

export const symlinks = [
  ...LINKS.map(([name, target]) => ({
    family: 'symlinks',
    name,
    run: (ctx) => refused(ctx, 'GET', typeof target === 'function' ? target(ctx) : target),
  })),
  {
    family: 'symlinks',
    name: 'HEAD of an outside link',
    run: (ctx) => refused(ctx, 'HEAD', '/link-secret'),
  },
  {
    family: 'symlinks',
    name: 'directory link without slash: no outside content',
    run: async (ctx) => {
      const res = await ctx.request('GET', '/link-outdir')
      const r = ctx.first(res)
      check(r.status === 301 || (r.status >= 400 && r.status < 500), `${r.statusLine} (want 301 or 4xx)`)
      return r.statusLine
    },
  },
  ...[
    ['loop a → b → a', '/loop-a'],
    ['self loop', '/self-loop'],
    ['loop, listing', '/loop-a/'],
    ['loop, file below it', '/self-loop/x.txt'],
  ].map(([name, target]) => ({
    family: 'symlinks',
    name: `${name} answers promptly`,
    run: async (ctx) => {
      const res = await ctx.request('GET', target, { timeout: 3000 })
      const r = ctx.first(res, 'an answer within 3 s')
      check(r.status >= 400 && r.status < 500, `${r.statusLine} (want 4xx)`)
      return `${r.statusLine} in ${res.elapsed} ms`
    },
  })),
  {
    family: 'symlinks',
    name: '50 nested in-root dir links (ELOOP) answer promptly',
    run: async (ctx) => {
      const res = await ctx.request('GET', `/${'loopdir/'.repeat(50)}hello.txt`, { timeout: 3000 })
      const r = ctx.first(res, 'an answer within 3 s')
      return `${r.statusLine} in ${res.elapsed} ms`
    },
  },
  {
    family: 'symlinks',
    name: 'control: a link that stays inside the root is served',
    run: async (ctx) => {
      const res = await ctx.request('GET', '/inside-link.txt')
      const r = ctx.first(res)
      check(r.status === 200 && r.body.toString('latin1') === ctx.fx.hello, `${r.statusLine} (want hello.txt's content)`)
      return r.statusLine
    },
  },
  {
    family: 'symlinks',
    name: 'listing of the root shows no outside content',
    run: async (ctx) => {
      const res = await ctx.request('GET', '/')
      const r = ctx.first(res)
      check(r.status === 200, `${r.statusLine} (want the listing)`)
      return 'listing has no outside names'
    },
  },
]

export const dotfiles = [
  ['/.env', '/.env'],
  ['/.git/config', '/.git/config'],
  ['/.git/ listing', '/.git/'],
  ['/%2eenv', '/%2eenv'],
  ['/%2Egit/config', '/%2Egit/config'],
  ['/.git%2fconfig', '/.git%2fconfig'],
  ['/dir/../.env', '/dir/../.env'],
  ['/dir/%2e%2e/.env', '/dir/%2e%2e/.env'],
  ['/./.env', '/./.env'],
].map(([name, target]) => ({ family: 'dotfiles', name, run: (ctx) => refused(ctx, 'GET', target) }))

dotfiles.push({
  family: 'dotfiles',
  name: 'listing hides .env and .git',
  run: async (ctx) => {
    const res = await ctx.request('GET', '/')
    const r = ctx.first(res)
    check(r.status === 200, `${r.statusLine} (want the listing)`)
    const body = r.body.toString('latin1')
    check(!body.includes('.env') && !body.includes('.git'), 'the listing names .env or .git/')
    return 'hidden'
  },
})
