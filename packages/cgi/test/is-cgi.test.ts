import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { CGIHTTPRequestHandler, CGI_ERRORS } from '../src/index.js'

/** A handler that never touches its socket: isCGI() only reads `path` and `cgiDirectories`. */
function handlerAt(target: string, Handler = CGIHTTPRequestHandler): CGIHTTPRequestHandler {
  const handler = new Handler(new net.Socket(), ['127.0.0.1', 1], {})
  handler.path = target
  return handler
}

describe('cgiDirectories and isCGI (CPython is_cgi)', () => {
  it('defaults to /cgi-bin and /htbin', () => {
    expect(handlerAt('/').cgiDirectories).toEqual(['/cgi-bin', '/htbin'])
  })

  it.each([
    ['/cgi-bin/x', ['/cgi-bin', 'x']],
    ['/htbin/x.py?a=b', ['/htbin', 'x.py?a=b']],
    ['/cgi-bin/../cgi-bin/x', ['/cgi-bin', 'x']],
    ['//cgi-bin/x', ['/cgi-bin', 'x']],
    ['/cgi-bin%2fx', ['/cgi-bin', 'x']],
    ['/a/../cgi-bin/./x', ['/cgi-bin', 'x']],
    ['/cgi-bin/sub/x/extra/path', ['/cgi-bin', 'sub/x/extra/path']],
    ['/cgi-bin/', ['/cgi-bin', '']],
    ['cgi-bin/file1.py', ['/cgi-bin', 'file1.py']], // bpo-2254: no leading slash
    ['///////////nocgi.py/../cgi-bin/nothere.sh', ['/cgi-bin', 'nothere.sh']], // bpo-19435
    // absolute-form (RFC 9112 §3.2.2): the static handler would serve it as a file otherwise
    ['http://example.com/cgi-bin/x?q', ['/cgi-bin', 'x?q']],
    // `..` clamps at the root, as the static handler resolves it (CPython's is_cgi raises here)
    ['/../cgi-bin/x', ['/cgi-bin', 'x']],
  ])('%s is CGI, cgiInfo %j', (target, info) => {
    const handler = handlerAt(target)
    expect(handler.isCGI()).toBe(true)
    expect(handler.cgiInfo).toEqual(info)
  })

  it.each(['/', '/cgi-bin', '/cgi-binx/y', '/x/cgi-bin/y', '/cgi-bin/../x', '/cgi-bin/%zz', '/cgi-bin/x?\xff', '/CGI-BIN/x'])(
    '%s is not CGI',
    (target) => {
      expect(handlerAt(target).isCGI()).toBe(false)
    },
  )

  it('follows cgiDirectories set with withCGIOptions, nested ones included', () => {
    const Handler = CGIHTTPRequestHandler.withCGIOptions({ cgiDirectories: ['/scripts', '/a/b'] })
    expect(handlerAt('/scripts/x', Handler).isCGI()).toBe(true)
    expect(handlerAt('/a/b/x', Handler).isCGI()).toBe(true)
    expect(handlerAt('/a/x', Handler).isCGI()).toBe(false)
    expect(handlerAt('/cgi-bin/x', Handler).isCGI()).toBe(false)
  })
})

describe('withCGIOptions', () => {
  it('sets every option and keeps the class name; unset options keep their defaults', () => {
    const Handler = CGIHTTPRequestHandler.withCGIOptions({ scriptTimeout: 5, maxConcurrentScripts: 2, maxQueuedScripts: 0, maxScriptHeaderSize: 100 })
    const handler = handlerAt('/', Handler)
    expect(Handler.name).toBe('CGIHTTPRequestHandler')
    expect(handler).toMatchObject({ scriptTimeout: 5, maxConcurrentScripts: 2, maxQueuedScripts: 0, maxScriptHeaderSize: 100 })
    expect(handler.cgiDirectories).toEqual(['/cgi-bin', '/htbin'])
    const defaults = handlerAt('/')
    expect(defaults).toMatchObject({ scriptTimeout: 60_000, maxConcurrentScripts: 8, maxQueuedScripts: 64, maxScriptHeaderSize: 65536 })
  })

  it('chains with the inherited withOptions', () => {
    const Handler = CGIHTTPRequestHandler.withOptions({ directory: '/srv' }).withCGIOptions({ scriptTimeout: 7 })
    expect(handlerAt('/', Handler)).toMatchObject({ directory: '/srv', scriptTimeout: 7 })
  })

  it.each([
    { scriptTimeout: 0 },
    { scriptTimeout: -1 },
    { scriptTimeout: 1.5 },
    { scriptTimeout: 2 ** 31 },
    { maxConcurrentScripts: 0 },
    { maxQueuedScripts: -1 },
    { maxScriptHeaderSize: Number.NaN },
    { cgiDirectories: 'cgi-bin' },
    { cgiDirectories: ['cgi-bin'] },
    { cgiDirectories: ['/cgi-bin/'] },
    { cgiDirectories: ['/'] },
    { cgiDirectories: ['//x'] },
    { cgiDirectory: ['/x'] },
  ])('refuses %j with SH_ERR_CGI_INVALID_OPTION', (options) => {
    expect(() => CGIHTTPRequestHandler.withCGIOptions(options as never)).toThrow(
      expect.objectContaining({ code: 'SH_ERR_CGI_INVALID_OPTION' }) as Error,
    )
  })

  it('runCGI without isCGI is a usage error', async () => {
    await expect(handlerAt('/x').runCGI()).rejects.toMatchObject({ code: 'SH_ERR_CGI_NO_SCRIPT' })
    expect(Object.keys(CGI_ERRORS)).toContain('SH_ERR_CGI_NO_SCRIPT')
  })
})
