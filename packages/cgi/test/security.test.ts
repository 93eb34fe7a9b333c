import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { get, post, request, useCGIServer } from './helpers.js'

const cgi = useCGIServer()
const start = cgi.start.bind(cgi)

describe('no shell, ever', () => {
  it('shell metacharacters in headers, query, argv and PATH_INFO reach the script as plain text', async () => {
    const { port } = await start()
    const marker = cgi.fixture.statePath('pwned')
    const evilHeader = `$(touch ${marker}) \`touch ${marker}\`; touch ${marker} | touch ${marker} && touch ${marker}`
    const query = `;touch%20${marker}|$(touch%20${marker})`
    const res = await get(port, `/cgi-bin/evil.sh/$(touch%20${marker})?${query}`, [`X-Evil: ${evilHeader}`])
    expect(res.status).toBe(200)
    const [header, queryString, argv1, pathInfo] = res.body.toString().split('\n')
    expect(header).toBe(evilHeader)
    expect(queryString).toBe(query)
    expect(argv1).toBe(query) // no `=`: CPython's ISINDEX argument, as one argv entry
    expect(pathInfo).toBe(`/$(touch ${marker})`)
    expect(existsSync(marker)).toBe(false)
  })

  it('an executable text file without a #! line is not handed to /bin/sh: 403, and it does not run', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/noshebang')
    expect([res.status, res.reason]).toEqual([403, "CGI script is not executable ('/cgi-bin/noshebang')"])
    expect(existsSync(cgi.fixture.statePath('noshebang-ran'))).toBe(false)
  })
})

describe('nothing outside the root, nothing hidden', () => {
  it('a symlink in cgi-bin to a script outside the root is 404 and never runs', async () => {
    const { port } = await start()
    for (const method of ['GET', 'HEAD', 'POST']) {
      const res = method === 'POST' ? await post(port, '/cgi-bin/link.sh', 'x') : await get(port, '/cgi-bin/link.sh', [], method)
      expect([res.status, res.reason]).toEqual([404, "No such CGI script ('/cgi-bin/link.sh')"])
    }
    expect(existsSync(cgi.fixture.statePath('outside-ran'))).toBe(false)
  })

  it('…unless followSymlinks is set, as for static files', async () => {
    const { port } = await start({ followSymlinks: true })
    const res = await get(port, '/cgi-bin/link.sh')
    expect([res.status, res.body.toString()]).toEqual([200, 'ran\n'])
    await rm(cgi.fixture.statePath('outside-ran'))
  })

  it('a double-encoded ".." never turns a file elsewhere into a script (CPython decodes twice)', async () => {
    const { port } = await start()
    for (const target of ['/cgi-bin/%252e%252e/run.sh', '/cgi-bin/%252E%252E/%252e%252e/run.sh', '/cgi-bin/child-dir/%252e%252e/%252e%252e/run.sh']) {
      const res = await get(port, target)
      expect(res.status).toBe(404)
    }
    expect(existsSync(cgi.fixture.statePath('root-run'))).toBe(false)
  })

  it('climbing out of the root from a script directory is refused by the static handler', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin/../../outside/evil.sh')).status).toBe(404)
    expect((await get(port, '/cgi-bin/%2e%2e/%2e%2e/outside/evil.sh')).status).toBe(404)
    expect(existsSync(cgi.fixture.statePath('outside-ran'))).toBe(false)
  })

  it('dotfiles in script directories are 404 (hidden, as the static handler hides them)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/.hidden.sh')
    expect([res.status, res.reason]).toEqual([404, "No such CGI script ('/cgi-bin/.hidden.sh')"])
    expect(existsSync(cgi.fixture.statePath('hidden-ran'))).toBe(false)
  })
})

describe('a script’s source is never shown', () => {
  it('not through a symlink elsewhere in the tree that points into cgi-bin (CPython shows it)', async () => {
    const { port } = await start()
    for (const target of ['/docs/alias/echo.sh', '/docs/echo-link.sh', '/docs/alias/', '/docs/alias/child-dir/file3.py']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await get(port, target, [], method)
        expect([target, method, res.status]).toEqual([target, method, 404])
        expect(res.body.toString()).not.toContain('exec cat')
      }
    }
    // The directory link itself only redirects, as any directory does.
    expect((await get(port, '/docs/alias')).status).toBe(301)
  })

  it('not through an absolute-form target: that runs the script', async () => {
    const { port } = await start()
    const res = await request(port, 'GET http://localhost/cgi-bin/file1.py HTTP/1.0\r\n\r\n')
    expect([res.status, res.body.toString()]).toEqual([200, 'Hello World\n'])
  })

  it('not for a script with a bad escape after it (the parent answers 400)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/echo.sh/%zz')
    expect(res.status).toBe(400)
    expect(res.body.toString()).not.toContain('exec cat')
  })
})

describe('request headers that must not reach the script', () => {
  it('Proxy never becomes HTTP_PROXY and Authorization is not passed through (over the wire)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/env.js', [
      'Proxy: http://evil.example:3128',
      `Authorization: Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
      'Proxy-Authorization: Basic Ym9iOmh1bnRlcjI=',
      'X_Underscore: sneaky',
    ])
    const { env } = JSON.parse(res.body.toString()) as { env: Record<string, string> }
    expect(env).not.toHaveProperty('HTTP_PROXY')
    expect(env).not.toHaveProperty('HTTP_AUTHORIZATION')
    expect(env).not.toHaveProperty('HTTP_PROXY_AUTHORIZATION')
    expect(env).not.toHaveProperty('HTTP_X_UNDERSCORE')
    expect(env).toMatchObject({ AUTH_TYPE: 'Basic', REMOTE_USER: 'alice' })
    expect(JSON.stringify(env)).not.toContain('s3cret')
    expect(JSON.stringify(env)).not.toContain('evil.example')
  })

  it('header values with CR, LF or NUL never get that far (the parser refuses the request)', async () => {
    const { port } = await start()
    for (const bad of ['X-A: a\rb', 'X-A: a\0b']) {
      const res = await request(port, `GET /cgi-bin/env.js HTTP/1.0\r\n${bad}\r\n\r\n`)
      expect(res.status).toBe(400)
    }
  })
})
