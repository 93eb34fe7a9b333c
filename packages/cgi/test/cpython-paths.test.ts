/**
 * Issue 11 §2 through the CGI handler: the same path rules as the static handler (the resolver),
 * for scripts and for the files it serves. Each case over a real socket with the exact bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { get, useCGIServer, type RawResponse } from './helpers.js'

const cgi = useCGIServer()
const start = cgi.start.bind(cgi)
const location = (res: RawResponse) => res.headers.find(([name]) => name.toLowerCase() === 'location')?.[1]

describe('dot segments clamp at the root, for scripts and files alike', () => {
  it.each(['/../cgi-bin/file1.py', '/%2e%2e/cgi-bin/file1.py', '/docs/../cgi-bin/file1.py', '/..%2f..%2fcgi-bin/file1.py'])(
    'GET %s runs /cgi-bin/file1.py',
    async (target) => {
      const { port } = await start()
      const res = await get(port, target)
      expect(res.status).toBe(200)
      expect(res.body.toString()).toBe('Hello World\n')
    },
  )

  it('serves /test for /../test, /%2e%2e/test and /docs/../test', async () => {
    await writeFile(path.join(cgi.fixture.root, 'test'), 'the test file\n')
    const { port } = await start()
    for (const target of ['/../test', '/%2e%2e/test', '/docs/../test', '/../../docs/../test']) {
      const res = await get(port, target)
      expect(res.status, target).toBe(200)
      expect(res.body.toString()).toBe('the test file\n')
    }
  })
})

describe('trailing slash after decoding, and the redirect (gh-134098, gh-87389)', () => {
  it('/test%2f is 404, /docs%2f is the directory, /docs redirects to the path as sent plus /', async () => {
    await writeFile(path.join(cgi.fixture.root, 'test'), 'the test file\n')
    await mkdir(path.join(cgi.fixture.root, 'existing_dir'), { recursive: true })
    const { port } = await start()
    expect((await get(port, '/test%2f')).status).toBe(404)
    expect((await get(port, '/docs%2f')).status).toBe(200)
    const target = '/python.org/..%2f..%2f..%2f../%0a%0d/../existing_dir'
    const res = await get(port, target)
    expect([res.status, location(res)]).toEqual([301, `${target}/`])
    const leading = await get(port, `/${target}`)
    expect([leading.status, location(leading)]).toEqual([301, `${target}/`])
  })
})

describe('raw bytes above 0x7f are refused, never served or run', () => {
  it.each(['/cgi-bin/file1.py?\xff', '/cgi-bin/f\xc3\xbcnf.py', '/test\xff'])('GET %j is 400', async (target) => {
    const { port } = await start()
    const res = await get(port, target)
    expect(res.status).toBe(400)
    expect(res.body.toString()).not.toContain('Hello World')
  })
})
