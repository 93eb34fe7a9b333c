import { readFileSync } from 'node:fs'
import { HeaderList } from '@simplehttp/parser'
import { describe, expect, it } from 'vitest'
import { buildCGIEnvironment, CGI_ERRORS } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The backticked names in the first column of the table under `## <title>`. */
function firstColumn(title: string): string[] {
  const section = readme.split(new RegExp(`^## ${title}$`, 'm'))[1]?.split(/^## /m)[0] ?? ''
  return [...section.matchAll(/^\| (.*?) \|/gm)].flatMap((match) => [...(match[1] as string).matchAll(/`([A-Z0-9_*]+)`/g)].map((m) => m[1] as string))
}

describe('README', () => {
  it('lists every code of CGI_ERRORS in its Errors table, and no other', () => {
    expect(firstColumn('Errors').sort()).toEqual(Object.keys(CGI_ERRORS).sort())
  })

  it('describes every variable buildCGIEnvironment sets in its environment table', () => {
    const env = buildCGIEnvironment({
      serverSoftware: 's',
      serverName: 'n',
      serverPort: 1,
      serverAddress: 'a',
      protocolVersion: 'HTTP/1.0',
      method: 'GET',
      requestURI: '/',
      scriptName: '/cgi-bin/x',
      scriptFilename: '/x',
      pathInfo: '',
      pathTranslated: '/',
      query: '',
      remoteAddress: 'r',
      remotePort: 2,
      headers: new HeaderList(['Authorization', `Basic ${Buffer.from('u:p').toString('base64')}`, 'X-Other', 'o']),
      baseEnvironment: { PATH: '/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC', TMPDIR: '/tmp', LANGUAGE: 'en' },
    })
    const documented = new Set(firstColumn('The environment'))
    const missing = Object.keys(env).filter((name) => !documented.has(name) && !(name.startsWith('HTTP_') && documented.has('HTTP_*')) && !(name.startsWith('LC_') && documented.has('LC_*')))
    expect(missing).toEqual([])
  })
})
