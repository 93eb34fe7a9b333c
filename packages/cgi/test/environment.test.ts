import { HeaderList } from '@simplehttp/parser'
import { describe, expect, it } from 'vitest'
import { buildCGIEnvironment, INHERITED_VARIABLES, type CGIRequestInfo } from '../src/index.js'

function info(headers: string[] = [], overrides: Partial<CGIRequestInfo> = {}): CGIRequestInfo {
  return {
    serverSoftware: 'SimpleHTTP/0.6 Node.js/20',
    serverName: 'localhost',
    serverPort: 8000,
    serverAddress: '127.0.0.1',
    protocolVersion: 'HTTP/1.0',
    method: 'POST',
    requestURI: '/cgi-bin/x.py/a/b?q=1',
    scriptName: '/cgi-bin/x.py',
    scriptFilename: '/srv/cgi-bin/x.py',
    pathInfo: '/a/b',
    pathTranslated: '/srv/a/b',
    query: 'q=1',
    remoteAddress: '127.0.0.2',
    remotePort: 54321,
    headers: new HeaderList(headers),
    baseEnvironment: {},
    ...overrides,
  }
}

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`

describe('buildCGIEnvironment: the variables CPython sets', () => {
  it('sets each of them, with CPython values', () => {
    const env = buildCGIEnvironment(
      info([
        'Content-Type', 'application/x-www-form-urlencoded',
        'Content-Length', '11',
        'Referer', 'http://example.com/form',
        'Accept', 'text/html',
        'Accept', 'text/plain',
        'User-Agent', 'test/1.0',
        'Cookie', 'a=1',
        'Cookie', '',
        'Cookie', 'b=2',
        'Authorization', basic('alice:secret'),
      ]),
    )
    expect(env).toMatchObject({
      SERVER_SOFTWARE: 'SimpleHTTP/0.6 Node.js/20',
      SERVER_NAME: 'localhost',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.0',
      SERVER_PORT: '8000',
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/a/b',
      PATH_TRANSLATED: '/srv/a/b',
      SCRIPT_NAME: '/cgi-bin/x.py',
      QUERY_STRING: 'q=1',
      REMOTE_ADDR: '127.0.0.2',
      REMOTE_HOST: '',
      AUTH_TYPE: 'Basic',
      REMOTE_USER: 'alice',
      CONTENT_TYPE: 'application/x-www-form-urlencoded',
      CONTENT_LENGTH: '11',
      HTTP_REFERER: 'http://example.com/form',
      // CPython: every Accept joined with ',' and Cookies (empty ones dropped) with ', '.
      HTTP_ACCEPT: 'text/html,text/plain',
      HTTP_USER_AGENT: 'test/1.0',
      HTTP_COOKIE: 'a=1, b=2',
    })
  })

  it('uses CPython’s defaults when headers are absent', () => {
    const env = buildCGIEnvironment(info([], { query: '' }))
    expect(env).toMatchObject({
      QUERY_STRING: '',
      REMOTE_HOST: '',
      CONTENT_TYPE: 'text/plain', // headers.get_content_type()
      CONTENT_LENGTH: '',
      HTTP_USER_AGENT: '',
      HTTP_COOKIE: '',
      HTTP_REFERER: '',
      HTTP_ACCEPT: '',
    })
    expect(env).not.toHaveProperty('AUTH_TYPE')
    expect(env).not.toHaveProperty('REMOTE_USER')
  })

  it('reads Authorization as CPython does: any two-word scheme sets AUTH_TYPE, Basic user:pass sets REMOTE_USER', () => {
    expect(buildCGIEnvironment(info(['Authorization', 'Bearer abc.def']))).toMatchObject({ AUTH_TYPE: 'Bearer' })
    expect(buildCGIEnvironment(info(['Authorization', 'Bearer abc.def']))).not.toHaveProperty('REMOTE_USER')
    expect(buildCGIEnvironment(info(['Authorization', 'Basic a b']))).not.toHaveProperty('AUTH_TYPE')
    expect(buildCGIEnvironment(info(['Authorization', basic('a:b:c')]))).not.toHaveProperty('REMOTE_USER')
    expect(buildCGIEnvironment(info(['Authorization', basic('nouser')]))).not.toHaveProperty('REMOTE_USER')
    expect(buildCGIEnvironment(info(['Authorization', 'Basic !!!notbase64']))).not.toHaveProperty('REMOTE_USER')
    // A user name with control characters (a newline, a NUL) is not passed on.
    expect(buildCGIEnvironment(info(['Authorization', basic('a\nb:pw')]))).not.toHaveProperty('REMOTE_USER')
  })
})

describe('buildCGIEnvironment: what RFC 3875 asks and CPython omits', () => {
  it('adds REMOTE_PORT, SERVER_ADDR, REQUEST_URI and SCRIPT_FILENAME', () => {
    expect(buildCGIEnvironment(info())).toMatchObject({
      REMOTE_PORT: '54321',
      SERVER_ADDR: '127.0.0.1',
      REQUEST_URI: '/cgi-bin/x.py/a/b?q=1',
      SCRIPT_FILENAME: '/srv/cgi-bin/x.py',
    })
  })

  it('passes the other request headers as HTTP_*, repeated ones joined with ", "', () => {
    const env = buildCGIEnvironment(info(['Host', 'example.com:8000', 'X-Forwarded-For', '10.0.0.1', 'x-forwarded-for', '10.0.0.2', 'Accept-Language', 'fr']))
    expect(env).toMatchObject({ HTTP_HOST: 'example.com:8000', HTTP_X_FORWARDED_FOR: '10.0.0.1, 10.0.0.2', HTTP_ACCEPT_LANGUAGE: 'fr' })
  })

  it('drops header names with "_" (X_Forwarded_For must not pose as X-Forwarded-For)', () => {
    const env = buildCGIEnvironment(info(['X_Forwarded_For', 'evil', 'X-Forwarded-For', 'good']))
    expect(env.HTTP_X_FORWARDED_FOR).toBe('good')
  })

  it('reads UTF-8 header bytes as UTF-8', () => {
    const latin1 = Buffer.from('Grüße', 'utf8').toString('latin1')
    expect(buildCGIEnvironment(info(['X-Name', latin1, 'User-Agent', latin1])).HTTP_X_NAME).toBe('Grüße')
    expect(buildCGIEnvironment(info(['User-Agent', latin1])).HTTP_USER_AGENT).toBe('Grüße')
  })
})

describe('buildCGIEnvironment: what never reaches a script', () => {
  it('never turns a Proxy header into HTTP_PROXY (httpoxy, CVE-2016-5385)', () => {
    const env = buildCGIEnvironment(info(['Proxy', 'http://evil.example:8080'], { baseEnvironment: { PATH: '/bin' } }))
    expect(env).not.toHaveProperty('HTTP_PROXY')
    expect(Object.values(env)).not.toContain('http://evil.example:8080')
  })

  it('never passes Authorization or Proxy-Authorization credentials', () => {
    const env = buildCGIEnvironment(info(['Authorization', basic('alice:secret'), 'Proxy-Authorization', basic('bob:hunter2')]))
    expect(env).not.toHaveProperty('HTTP_AUTHORIZATION')
    expect(env).not.toHaveProperty('HTTP_PROXY_AUTHORIZATION')
    const all = Object.values(env).join('\n')
    expect(all).not.toContain('secret')
    expect(all).not.toContain(Buffer.from('alice:secret').toString('base64'))
    expect(all).not.toContain('hunter2')
  })

  it('drops any header value with CR, LF or NUL', () => {
    for (const bad of ['a\rb', 'a\nb', 'a\0b']) {
      const env = buildCGIEnvironment(
        info(['X-Bad', bad, 'User-Agent', bad, 'Referer', bad, 'Cookie', bad, 'Accept', bad, 'Content-Type', bad, 'Authorization', `Bearer ${bad}`]),
      )
      expect(env).not.toHaveProperty('HTTP_X_BAD')
      expect(env).toMatchObject({ HTTP_USER_AGENT: '', HTTP_REFERER: '', HTTP_COOKIE: '', HTTP_ACCEPT: '', CONTENT_TYPE: 'text/plain' })
      expect(env).not.toHaveProperty('AUTH_TYPE')
      for (const value of Object.values(env)) expect(value).not.toMatch(/[\r\n\0]/)
    }
  })

  it('inherits only PATH, LANG, LC_*, TZ, TMPDIR and the like from the server, not its secrets', () => {
    const env = buildCGIEnvironment(
      info([], {
        baseEnvironment: {
          PATH: '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          LC_ALL: 'C',
          LC_MESSAGES: 'fr_FR',
          TZ: 'UTC',
          TMPDIR: '/tmp',
          HOME: '/root',
          AWS_SECRET_ACCESS_KEY: 'shh',
          GITHUB_TOKEN: 'ghp_x',
          HTTP_PROXY: 'http://corp-proxy:3128',
          NODE_OPTIONS: '--require evil',
          SERVER_SOFTWARE: 'overridden below',
        },
      }),
    )
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C', LC_MESSAGES: 'fr_FR', TZ: 'UTC', TMPDIR: '/tmp' })
    for (const name of ['HOME', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'HTTP_PROXY', 'NODE_OPTIONS']) expect(env).not.toHaveProperty(name)
    expect(env.SERVER_SOFTWARE).toBe('SimpleHTTP/0.6 Node.js/20')
    expect(INHERITED_VARIABLES).toContain('PATH')
  })
})
