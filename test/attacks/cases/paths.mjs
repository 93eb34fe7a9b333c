// Paths as current CPython resolves them (issue 11 §2), under attack: `..` clamps at the root and
// stays inside it, a raw byte above 0x7f is refused rather than guessed at, `%2F` cannot make a
// file look like a directory, and the directory redirect never names another host. The runner
// also fails any case whose responses carry a marker from outside the root.
import { check } from '../lib/suite.mjs'

/** `GET target` must be answered with exactly `status`. */
async function answered(ctx, target, status) {
  const r = ctx.first(await ctx.request('GET', target))
  check(r.status === status, `GET ${JSON.stringify(target)} → ${r.statusLine} (want ${status})`)
  return r
}

/** `..` above the root clamps there: the file served is the root's own `hello.txt`, nothing else. */
const CLAMPS = ['/../hello.txt', '/../../../../hello.txt', '/%2e%2e/hello.txt', '/..%2f..%2fhello.txt', '/dir/../../hello.txt', '/dir/%2E%2E/%2e%2e/hello.txt']

/** Raw bytes above 0x7f in the request-target (not percent-encoded): 400, never served. */
const RAW_BYTES = [
  ['raw Latin-1 byte in the path', '/hello\xe9.txt'],
  ['raw UTF-8 in the path', '/h\xc3\xa9llo.txt'],
  ['raw byte after ..', '/..\xff/hello.txt'],
  ['raw byte in the query', '/hello.txt?x=\xff'],
  ['raw overlong dot', '/\xc0\xae\xc0\xae/secret.txt'],
]

export const cpythonPaths = [
  ...CLAMPS.map((target) => ({
    family: 'paths',
    name: `.. clamps at the root: ${target}`,
    run: async (ctx) => {
      const r = await answered(ctx, target, 200)
      check(r.body.toString('latin1') === ctx.fx.hello, `GET ${target} served something other than /hello.txt`)
      return r.statusLine
    },
  })),
  ...RAW_BYTES.map(([name, target]) => ({
    family: 'paths',
    name,
    run: async (ctx) => (await answered(ctx, target, 400)).statusLine,
  })),
  {
    family: 'paths',
    name: '%2f after a file name is not the file (gh-134098)',
    run: async (ctx) => {
      for (const target of ['/hello.txt%2f', '/hello.txt%2F', '/hello.txt/']) await answered(ctx, target, 404)
      return '404 ×3'
    },
  },
  {
    family: 'paths',
    name: 'the directory redirect is the path as sent plus / (gh-87389)',
    run: async (ctx) => {
      const target = '/python.org/..%2f..%2f..%2f../%0a%0d/../dir'
      for (const sent of [target, `/${target}`, `//${target}`]) {
        const r = await answered(ctx, sent, 301)
        const location = (r.headers.get('location') ?? [])[0]
        check(location === `${target}/`, `GET ${sent} → Location ${JSON.stringify(location)} (want ${target}/)`)
      }
      return `301 → ${target}/`
    },
  },
]
