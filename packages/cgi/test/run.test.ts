import { createHash, randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises'
import { Socket } from 'node:net'
import path from 'node:path'
import { readResponses } from '@simplehttp/test-client'
import { describe, expect, it } from 'vitest'
import {
  eventually,
  get,
  handlerFor,
  MemoryLog,
  post,
  RawClient,
  request,
  useCGIServer,
} from './helpers.js'

const cgi = useCGIServer()
const start = cgi.start.bind(cgi)

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

interface EnvDump {
  env: Record<string, string>
  argv: string[]
  cwd: string
  uid: number
}
const dump = (body: Buffer): EnvDump => JSON.parse(body.toString('utf8')) as EnvDump

describe("CPython's CGIHTTPServerTestCase, on the wire", () => {
  it('runs a script: 200 Script output follows, its headers and body (test_headers_and_content)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/file1.py')
    expect(res.head).toMatch(/^HTTP\/1\.0 200 Script output follows\r\nServer: SimpleHTTP\/0\.6 Node\.js\/[\d.]+\r\nDate: .+ GMT\r\n/)
    expect(res.header('Content-type')).toBe('text/html')
    expect(res.body.toString()).toBe('Hello World\n')
  })

  it('404 for a path that collapses into cgi-bin but names nothing (test_issue19435)', async () => {
    const { port } = await start()
    const res = await get(port, '///////////nocgi.py/../cgi-bin/nothere.sh')
    expect(res.status).toBe(404)
    expect(res.reason).toBe("No such CGI script ('/cgi-bin/nothere.sh')")
  })

  it('POST with an urlencoded form (test_post)', async () => {
    const { port } = await start()
    const res = await post(port, '/cgi-bin/file2.py'.replace('file2', 'form'), 'spam=1&eggs=python&bacon=123456', [
      'Content-Type: application/x-www-form-urlencoded',
    ])
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('1, python, 123456\n')
  })

  it('404 for a missing script (test_invaliduri)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/invalid')
    expect(res.status).toBe(404)
    expect(res.reason).toBe("No such CGI script ('/cgi-bin/invalid')")
  })

  it('runs with Basic credentials (test_authorization)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/file1.py', [`Authorization: Basic ${Buffer.from('username:pass').toString('base64')}`])
    expect([res.status, res.header('Content-type'), res.body.toString()]).toEqual([200, 'text/html', 'Hello World\n'])
  })

  it('a target without a leading slash (test_no_leading_slash) is refused by the strict parser', async () => {
    // isCGI() accepts it as CPython does (is-cgi.test.ts); @simplehttp/parser answers 400 first
    // because RFC 9112 §3.2 has no such request-target form.
    const { port } = await start()
    const res = await get(port, 'cgi-bin/file1.py')
    expect(res.status).toBe(400)
  })

  it('does not alter the server’s own environment (test_os_environ_is_not_altered)', async () => {
    const { port } = await start()
    const before = { ...process.env }
    await get(port, '/cgi-bin/file1.py')
    expect(process.env).toEqual(before)
  })

  it('decodes %2f before the CGI check (test_urlquote_decoding_in_cgi_check)', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin%2ffile1.py')).body.toString()).toBe('Hello World\n')
  })

  it('runs scripts in nested script directories (test_nested_cgi_path_issue21323)', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin/child-dir/file3.py')).body.toString()).toBe('Hello World\n')
  })

  it('keeps a query with several "?" whole (test_query_with_multiple_question_mark)', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin/file4.py?a=b?c=d')).body.toString()).toBe('a=b?c=d\n')
  })

  it('keeps slashes in the query as sent (test_query_with_continuous_slashes)', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/file4.py?k=aa%2F%2Fbb&//q//p//=//a//b//')
    expect(res.body.toString()).toBe('k=aa%2F%2Fbb&//q//p//=//a//b//\n')
  })
})

describe('script directories and the static fallback', () => {
  it('runs scripts under /htbin too, and under /cgi-bin/../cgi-bin', async () => {
    const { port } = await start()
    expect((await get(port, '/htbin/hello.sh')).body.toString()).toBe('htbin says hi\n')
    expect((await get(port, '/cgi-bin/../htbin/hello.sh')).body.toString()).toBe('htbin says hi\n')
    expect((await get(port, '//cgi-bin/file1.py')).body.toString()).toBe('Hello World\n')
  })

  it('serves everything outside script directories as files, and never runs it', async () => {
    const { port } = await start()
    const text = await get(port, '/plain.txt')
    expect([text.status, text.body.toString()]).toEqual([200, 'just text\n'])
    const script = await get(port, '/run.sh')
    expect(script.status).toBe(200)
    expect(script.body.toString()).toContain('touch')
    const listing = await get(port, '/')
    expect(listing.body.toString()).toContain('cgi-bin/')
    expect((await get(port, '/cgi-bin')).status).toBe(301) // the parent's trailing-slash redirect
  })

  it('a POST outside script directories is 501 Can only POST to CGI scripts', async () => {
    const { port, log } = await start()
    const res = await post(port, '/plain.txt', 'x=1')
    expect(res.status).toBe(501)
    expect(res.reason).toBe('Can only POST to CGI scripts')
    expect(log.text).toContain('code 501, message Can only POST to CGI scripts')
  })

  it('honours cgiDirectories', async () => {
    const { port } = await start({ cgiDirectories: ['/htbin'] })
    expect((await get(port, '/htbin/hello.sh')).body.toString()).toBe('htbin says hi\n')
    const source = await get(port, '/cgi-bin/file1.py') // no longer a script directory: a file
    expect(source.body.toString()).toContain('print("Hello World")')
  })
})

describe('what a script is given', () => {
  it('the CGI environment, variable by variable', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/env.js/some/path%20info?x=1&y=%41', [
      'Host: example.test',
      'User-Agent: agent/1',
      'Referer: http://ref.test/',
      'Accept: a/b',
      'Accept: c/d',
      'Cookie: k=v',
      'X-Custom-Header: custom value',
      'Content-Type: text/x-test',
    ])
    expect(res.status).toBe(200)
    const { env } = dump(res.body)
    expect(env).toMatchObject({
      SERVER_SOFTWARE: expect.stringMatching(/^SimpleHTTP\/0\.6 Node\.js\//) as string,
      SERVER_NAME: 'localhost',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.0',
      SERVER_PORT: String(port),
      REQUEST_METHOD: 'GET',
      PATH_INFO: '/some/path info',
      PATH_TRANSLATED: path.join(cgi.fixture.root, 'some', 'path info'),
      SCRIPT_NAME: '/cgi-bin/env.js',
      QUERY_STRING: 'x=1&y=%41',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '',
      CONTENT_TYPE: 'text/x-test',
      CONTENT_LENGTH: '',
      HTTP_REFERER: 'http://ref.test/',
      HTTP_ACCEPT: 'a/b,c/d',
      HTTP_USER_AGENT: 'agent/1',
      HTTP_COOKIE: 'k=v',
      // ours (RFC 3875 and common practice)
      HTTP_HOST: 'example.test',
      HTTP_X_CUSTOM_HEADER: 'custom value',
      SERVER_ADDR: '127.0.0.1',
      REQUEST_URI: '/cgi-bin/env.js/some/path%20info?x=1&y=%41',
      SCRIPT_FILENAME: path.join(cgi.fixture.root, 'cgi-bin', 'env.js'),
    })
    expect(Number(env.REMOTE_PORT)).toBeGreaterThan(0)
    expect(env.PATH).toBe(process.env.PATH)
  })

  it('SCRIPT_NAME and PATH_INFO after nested script directories (/cgi-bin/sub/x/extra/path)', async () => {
    const { port } = await start()
    const { env } = dump((await get(port, '/cgi-bin/child-dir/env.js/extra/path?q=1')).body)
    expect(env).toMatchObject({
      SCRIPT_NAME: '/cgi-bin/child-dir/env.js',
      PATH_INFO: '/extra/path',
      QUERY_STRING: 'q=1',
      SCRIPT_FILENAME: path.join(cgi.fixture.root, 'cgi-bin', 'child-dir', 'env.js'),
    })
  })

  it('SERVER_PROTOCOL is the server’s protocol_version, not the request’s (CPython)', async () => {
    const { port } = await start({ protocolVersion: 'HTTP/1.1' })
    const res = await get(port, '/cgi-bin/env.js')
    expect(dump(res.body).env.SERVER_PROTOCOL).toBe('HTTP/1.1')
  })

  it('PATH_TRANSLATED is the root when there is no PATH_INFO, and never leaves it', async () => {
    const { port } = await start()
    expect(dump((await get(port, '/cgi-bin/env.js')).body).env).toMatchObject({ PATH_INFO: '', PATH_TRANSLATED: cgi.fixture.root })
    // `%2e%2e` is collapsed with the path, so it leaves the script behind (static 404) ...
    expect((await get(port, '/cgi-bin/env.js/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404)
    // ... and `%252e%252e` is decoded once only: the names `%2e%2e`, inside the root.
    const res = await get(port, '/cgi-bin/env.js/%252e%252e/%252e%252e/etc/passwd')
    expect(res.status).toBe(200)
    const { env } = dump(res.body)
    expect(env.PATH_INFO).toBe('/%2e%2e/%2e%2e/etc/passwd')
    expect(env.PATH_TRANSLATED).toBe(path.join(cgi.fixture.root, '%2e%2e', '%2e%2e', 'etc', 'passwd'))
  })

  it('PATH_INFO is decoded once: %2525 reaches the script as %25', async () => {
    const { port } = await start()
    const { env } = dump((await get(port, '/cgi-bin/env.js/a%2525b%3Fc')).body)
    expect(env.PATH_INFO).toBe('/a%25b?c')
    expect(env.QUERY_STRING).toBe('')
  })

  it('runs from the script’s directory, as nobody when the server is root', async () => {
    const { port } = await start()
    const { cwd, uid } = dump((await get(port, '/cgi-bin/env.js')).body)
    expect(cwd).toBe(path.join(cgi.fixture.root, 'cgi-bin'))
    expect(uid).toBe(process.getuid?.() === 0 ? 65534 : process.getuid?.())
  })

  it('CPython’s ISINDEX rule: a query without "=" is argv[1], "+" read as a space', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin/args.sh?hello+world%21')).body.toString()).toBe('1\nhello world%21\n')
    expect((await get(port, '/cgi-bin/args.sh?a=b+c')).body.toString()).toBe('0\n')
    expect((await get(port, '/cgi-bin/args.sh')).body.toString()).toBe('0\n')
    expect(dump((await get(port, '/cgi-bin/env.js?one+two')).body).argv).toEqual(['one two'])
  })

  it('runs .py with python3, .js and .mjs with Node, anything else by its #! line', async () => {
    const { port } = await start()
    expect((await get(port, '/cgi-bin/file1.py')).body.toString()).toBe('Hello World\n')
    expect((await get(port, '/cgi-bin/env.mjs?arg')).body.toString()).toBe('/cgi-bin/env.mjs arg')
    expect((await get(port, '/cgi-bin/args.sh?x')).body.toString()).toBe('1\nx\n')
  })
})

describe('request bodies', () => {
  it('streams exactly Content-Length bytes of a 2 MiB binary body to the script', async () => {
    const { port } = await start()
    const body = randomBytes(2 * 1024 * 1024)
    const res = await post(port, '/cgi-bin/echo.sh', body, ['Content-Type: application/octet-stream'])
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(body.length)
    expect(sha256(res.body)).toBe(sha256(body))
  })

  it('the script reads its body while it is still arriving (a large upload never sits in memory)', async () => {
    const { port } = await start()
    const rest = Buffer.alloc(3 * 1024 * 1024, 0x61)
    const client = await RawClient.connect(port)
    await client.send(`POST /cgi-bin/stream-in.py HTTP/1.0\r\nContent-Length: ${6 + rest.length}\r\n\r\nfirst\n`)
    // The script answers its first line before the rest of the body has even been sent.
    await client.waitFor(() => client.text.includes('first:first\n'), 'the answer to the first line')
    await client.send(rest)
    await client.whenClosed
    expect(client.text.endsWith(`rest:${rest.length}\n`)).toBe(true)
  })

  it('gives the script its Content-Length bytes and not the next pipelined request', async () => {
    const { port } = await start({ protocolVersion: 'HTTP/1.1' })
    const client = await RawClient.connect(port)
    await client.send(
      'POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /cgi-bin/file1.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    await client.whenClosed
    // The echo has no length, so it is framed by closing: the second request is never read.
    expect(client.text).toMatch(/^HTTP\/1\.1 200 Script output follows\r\n/)
    expect(client.text).toMatch(/Connection: close\r\n\r\nhello$/)
  })

  it('keeps the connection when the script gives a Content-Length, and answers the next request', async () => {
    const { port } = await start({ protocolVersion: 'HTTP/1.1' })
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/crlf.sh HTTP/1.1\r\nHost: x\r\n\r\nPOST /cgi-bin/echo.sh HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc')
    const [first, second] = await client.responses(2)
    expect(first?.body.toString()).toBe('abcdef')
    expect(second?.body.toString()).toBe('abc')
  })

  it('a chunked POST to a script is 411, and the script does not run', async () => {
    const { port } = await start()
    const res = await request(port, 'POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'POST')
    expect(res.status).toBe(411)
    expect(res.reason).toBe('CGI scripts need a Content-Length')
  })

  it('an empty POST gives the script an empty stdin', async () => {
    const { port } = await start()
    const res = await post(port, '/cgi-bin/echo.sh', '')
    expect([res.status, res.body.length]).toEqual([200, 0])
  })
})

describe('script output', () => {
  it('honours Status: (unlike CPython), with or without a reason', async () => {
    const { port } = await start()
    const made = await get(port, '/cgi-bin/status.sh')
    expect([made.status, made.reason, made.header('X-Script'), made.body.toString()]).toEqual([201, 'Made It', 'yes', 'created\n'])
    expect(made.head).not.toMatch(/^Status:/im)
    const missing = await get(port, '/cgi-bin/status-only.sh')
    expect([missing.status, missing.reason, missing.body.toString()]).toEqual([404, 'Not Found', 'nope\n'])
  })

  it('a Location: without Status: is a 302 redirect', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/redirect.sh')
    expect([res.status, res.reason, res.header('Location')]).toEqual([302, 'Found', 'https://example.com/next'])
  })

  it('passes a Content-Length through and sends no more than it says', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/crlf.sh')
    expect([res.header('Content-Length'), res.body.toString()]).toEqual(['6', 'abcdef'])
  })

  it('drops hop-by-hop headers and a second Content-Length, so the framing stays ours', async () => {
    const { port } = await start({ protocolVersion: 'HTTP/1.1' })
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/framing.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await client.whenClosed
    const { responses, rest } = readResponses(client.data, { closed: true })
    const head = responses[0]?.head ?? ''
    expect(head).not.toMatch(/Transfer-Encoding|keep-alive/i)
    expect(head.match(/Content-Length/gi)).toHaveLength(1)
    expect(head).toContain('Content-Length: 3\r\n')
    expect([responses.length, responses[0]?.body.toString(), rest.length]).toEqual([1, 'abc', 0])
  })

  it('without a Content-Length, the body ends with the connection (HTTP/1.1 says Connection: close)', async () => {
    const { port } = await start({ protocolVersion: 'HTTP/1.1' })
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/file1.py HTTP/1.1\r\nHost: x\r\n\r\n')
    await client.whenClosed
    const { responses, rest } = readResponses(client.data, { closed: true })
    expect(responses[0]?.header('Connection')).toBe('close')
    expect([responses.length, responses[0]?.framing, responses[0]?.body.toString(), rest.length]).toEqual([1, 'close', 'Hello World\n', 0])
  })

  it('HEAD runs the script (CPython) and sends its headers without a body', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/status.sh', [], 'HEAD')
    expect([res.status, res.header('X-Script')]).toEqual([201, 'yes'])
    const client = await RawClient.connect(port)
    await client.send('HEAD /cgi-bin/status.sh HTTP/1.0\r\n\r\n')
    await client.whenClosed
    expect(client.text.endsWith('\r\n\r\n')).toBe(true)
  })

  it('502 for output without a header block, or with a malformed one', async () => {
    const { port } = await start()
    const none = await get(port, '/cgi-bin/nohead.sh')
    expect([none.status, none.reason]).toEqual([502, 'CGI script sent no headers'])
    const bad = await get(port, '/cgi-bin/badhead.sh')
    expect([bad.status, bad.reason]).toEqual([502, 'CGI script sent malformed headers'])
    expect(bad.body.toString()).not.toContain('this is not a header')
  })

  it('502 for a header block larger than maxScriptHeaderSize', async () => {
    const { port } = await start({ maxScriptHeaderSize: 16 })
    const res = await get(port, '/cgi-bin/status.sh')
    expect(res.status).toBe(502)
  })

  it('relays 5 MiB, more than a pipe holds, intact', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/big.py')
    const expected = Buffer.alloc(5 * 256 * 4096)
    for (let i = 0; i < expected.length; i++) expected[i] = i & 0xff
    expect(res.body.length).toBe(expected.length)
    expect(sha256(res.body)).toBe(sha256(expected))
  })

  it('streams output as the script writes it', async () => {
    const { port } = await start()
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/stream-out.sh?a HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.text.endsWith('\r\n\r\nfirst\n'), 'the first line')
    await writeFile(cgi.fixture.statePath('go-a'), '')
    await client.whenClosed
    expect(client.text.endsWith('\r\n\r\nfirst\nsecond\n')).toBe(true)
  })

  it('logs a non-zero exit (CPython’s "CGI script exit code N") and the script’s stderr', async () => {
    const { port, log } = await start()
    const res = await get(port, '/cgi-bin/fail.sh')
    expect([res.status, res.body.toString()]).toEqual([200, 'partial\n'])
    await eventually(() => log.text.includes('CGI script exit code 3'), 'the exit code in the log')
    expect(log.lines.some((line) => line.endsWith('] something broke'))).toBe(true)
    expect(log.lines.some((line) => line.endsWith('] second line'))).toBe(true)
    expect(log.text).toContain('"GET /cgi-bin/fail.sh HTTP/1.0" 200 -')
  })
})

describe('scripts that are not there, or not scripts', () => {
  it.each([
    ['/cgi-bin/nothere.py', 404, "No such CGI script ('/cgi-bin/nothere.py')"],
    ['/cgi-bin/subdir', 403, "CGI script is not a plain file ('/cgi-bin/subdir')"],
    ['/cgi-bin/', 403, "CGI script is not a plain file ('/cgi-bin/')"],
    ['/cgi-bin/noexec.sh', 403, "CGI script is not executable ('/cgi-bin/noexec.sh')"],
  ])('%s → %d %s, for GET, HEAD and POST, never run and never shown', async (target, status, reason) => {
    const { port } = await start()
    for (const method of ['GET', 'HEAD', 'POST']) {
      const res = method === 'POST' ? await post(port, target, 'a=1') : await get(port, target, [], method)
      expect([res.status, res.reason]).toEqual([status, reason])
      expect(res.body.toString()).not.toContain('#!/bin/sh')
    }
    expect((await import('node:fs')).existsSync(cgi.fixture.statePath('noexec-ran'))).toBe(false)
  })

  it('isExecutable asks whether the user that runs the script may execute it', async () => {
    const handler = new (handlerFor(cgi.fixture.root, new MemoryLog()))(new Socket(), ['127.0.0.1', 1], {})
    const dir = path.join(cgi.fixture.base, 'modes')
    await mkdir(dir, { recursive: true })
    const file = async (name: string, mode: number, owner?: number): Promise<string> => {
      const p = path.join(dir, name)
      await writeFile(p, '#!/bin/sh\n')
      await chmod(p, mode)
      if (owner !== undefined) await chown(p, owner, owner)
      return p
    }
    expect(await handler.isExecutable(await file('all', 0o755))).toBe(true)
    expect(await handler.isExecutable(await file('none', 0o644))).toBe(false)
    expect(await handler.isExecutable(path.join(dir, 'missing'))).toBe(false)
    if (process.getuid?.() === 0) {
      // Root may execute a 0744 file, but scripts run as nobody, who may not.
      expect(await handler.isExecutable(await file('owner-only', 0o744))).toBe(false)
      expect(await handler.isExecutable(await file('nobodys', 0o700, 65534))).toBe(true)
      expect(await handler.isExecutable(await file('nobodys-noexec', 0o077, 65534))).toBe(false)
    }
  })

  it('a script whose interpreter does not exist is 500, and the log says why', async () => {
    const { port, log } = await start()
    const res = await get(port, '/cgi-bin/badinterp.sh')
    expect([res.status, res.reason]).toEqual([500, 'CGI script could not be started'])
    expect(log.text).toMatch(/CGI script could not be started: spawn .*ENOENT/)
  })

  it('a script in a nested directory still gets 404 when missing', async () => {
    const { port } = await start()
    const res = await get(port, '/cgi-bin/subdir/missing.sh')
    expect(res.reason).toBe("No such CGI script ('/cgi-bin/subdir/missing.sh')")
    expect((await get(port, '/cgi-bin/subdir/inner.sh/x')).body.toString()).toBe('inner\n')
  })
})
