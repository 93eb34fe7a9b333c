import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAVRequestHandler } from '../src/index.js'
import { curl, makeFixture, snapshot, startHandler, type Fixture, type RunningServer } from './helpers.js'

let fixture: Fixture
let server: RunningServer
let readOnly: RunningServer

beforeAll(async () => {
  fixture = await makeFixture()
  server = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root, upload: true, delete: true, webdav: true }))
  readOnly = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root, webdav: true }))
})
afterAll(async () => {
  await server.close()
  await readOnly.close()
  await fixture.cleanup()
})

const propfind = (url: string, depth: string, body?: string): Promise<Awaited<ReturnType<typeof curl>>> =>
  curl(['-X', 'PROPFIND', '-H', `Depth: ${depth}`, ...(body === undefined ? [] : ['-H', 'Content-Type: application/xml', '--data-binary', body]), url])

describe('OPTIONS', () => {
  it('claims class 1 only, and lists what is on', async () => {
    const full = await curl(['-X', 'OPTIONS', `${server.url}/`])
    expect(full.status).toBe(200)
    expect(full.headers.dav).toBe('1')
    expect(full.headers.allow).toBe('GET, HEAD, OPTIONS, PUT, POST, MKCOL, DELETE, PROPFIND, PROPPATCH, COPY, MOVE')
    const ro = await curl(['-X', 'OPTIONS', `${readOnly.url}/`])
    expect(ro.headers.allow).toBe('GET, HEAD, OPTIONS, PROPFIND, PROPPATCH')
  })
})

describe('PROPFIND', () => {
  it('Depth 1 lists children with escaped names and percent-encoded hrefs; hides dotfiles and links out', async () => {
    await writeFile(path.join(fixture.root, 'docs', '<b>&"x y.txt'), 'tricky')
    const res = await propfind(`${server.url}/docs/`, '1')
    expect(res.status).toBe(207)
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8')
    expect(res.body).toContain('<D:href>/docs/</D:href>')
    expect(res.body).toContain('<D:href>/docs/%3Cb%3E%26%22x%20y.txt</D:href>')
    expect(res.body).toContain('<D:displayname>&#60;b&#62;&#38;&#34;x y.txt</D:displayname>')
    expect(res.body).toContain('<D:href>/docs/deep/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype>')
    expect(res.body).not.toContain('<b>')
    const root = await propfind(`${server.url}/`, '1')
    expect(root.body).not.toContain('.env')
    expect(root.body).not.toContain('link-out')
  })

  it('Depth 0 with named props: found ones 200, unknown 404 in their namespace', async () => {
    const body = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><D:getcontentlength/><Z:color/></D:prop></D:propfind>'
    const res = await propfind(`${server.url}/hello.txt`, '0', body)
    expect(res.status).toBe(207)
    expect(res.body).toContain('<D:getcontentlength>6</D:getcontentlength>')
    expect(res.body).toContain('<ns0:color xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status>')
  })

  it('Depth infinity is 403 propfind-finite-depth; malformed XML 400; missing 404', async () => {
    const inf = await propfind(`${server.url}/`, 'infinity')
    expect(inf.status).toBe(403)
    expect(inf.body).toContain('propfind-finite-depth')
    expect((await propfind(`${server.url}/`, '0', '<D:propfind xmlns:D="DAV:"><D:prop></D:propfind>')).status).toBe(400)
    expect((await propfind(`${server.url}/`, '0', '<propfind><prop/></propfind>')).status).toBe(400)
    expect((await propfind(`${server.url}/missing`, '0')).status).toBe(404)
    expect((await propfind(`${server.url}/../secret.txt`, '0')).status).toBe(404)
  })

  it('refuses XXE and billion laughs without expanding anything', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://${path.join(fixture.base, 'secret.txt')}">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&x;</D:displayname></D:prop></D:propfind>`
    const res = await propfind(`${server.url}/`, '0', xxe)
    expect(res.status).toBe(400)
    expect(res.body).not.toContain('TOP-SECRET')
    let laughs = '<!ENTITY l0 "ha">'
    for (let i = 1; i < 10; i++) laughs += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`
    const bomb = `<?xml version="1.0"?><!DOCTYPE d [${laughs}]><D:propfind xmlns:D="DAV:"><D:prop><D:x>&l9;</D:x></D:prop></D:propfind>`
    expect((await propfind(`${server.url}/`, '0', bomb)).status).toBe(400)
    // An entity reference without a DTD stays text: never expanded, never an error page with content.
    expect((await propfind(`${server.url}/`, '0', '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>')).status).toBe(207)
  })

  it('bodies over 64 KiB are 413', async () => {
    const big = `<D:propfind xmlns:D="DAV:"><D:prop>${'<D:x/>'.repeat(12000)}</D:prop></D:propfind>`
    expect((await propfind(`${server.url}/`, '0', big)).status).toBe(413)
  })
})

describe('PROPPATCH, COPY, MOVE', () => {
  it('PROPPATCH on a read-only share answers 403 per property in a 207, with the reason, and stores nothing', async () => {
    const before = await snapshot(fixture.root)
    const body = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>'
    const res = await curl(['-X', 'PROPPATCH', '--data-binary', body, `${readOnly.url}/hello.txt`])
    expect(res.status).toBe(207)
    expect(res.body).toContain('<ns0:color xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:responsedescription>this share is read-only')
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('COPY a file and a tree; Overwrite: F on an existing target is 412', async () => {
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/copy.txt`, `${server.url}/hello.txt`])).status).toBe(201)
    expect(await readFile(path.join(fixture.root, 'copy.txt'), 'utf8')).toBe('hello\n')
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/copy.txt`, '-H', 'Overwrite: F', `${server.url}/hello.txt`])).status).toBe(412)
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/docs-copy/`, `${server.url}/docs/`])).status).toBe(201)
    expect(await readFile(path.join(fixture.root, 'docs-copy', 'deep', 'b.txt'), 'utf8')).toBe('B\n')
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/copy.txt`, `${server.url}/docs/`])).status).toBe(204)
    expect((await stat(path.join(fixture.root, 'copy.txt'))).isDirectory()).toBe(true)
  })

  it('MOVE renames; into itself, to the root, outside or through a link is refused with the disk unchanged', async () => {
    await writeFile(path.join(fixture.root, 'move-me.txt'), 'm')
    expect((await curl(['-X', 'MOVE', '-H', `Destination: ${server.url}/moved.txt`, `${server.url}/move-me.txt`])).status).toBe(201)
    expect(await readFile(path.join(fixture.root, 'moved.txt'), 'utf8')).toBe('m')
    const before = await snapshot(fixture.base)
    for (const [dest, status] of [
      ['/docs/deep/inside', 403],
      ['/', 403],
      ['/../stolen.txt', 403],
      ['/link-out/stolen.txt', 403],
      ['/.env', 403],
      ['/no/such/dir/x', 409],
      ['/%2e%2e/stolen.txt', 403],
      ['/docs/..%2f..%2fstolen.txt', 403],
      ['/.well-known/stolen.txt', 403],
      ['/aux.txt', 403],
      ['/bad%ff.txt', 400],
      // Another server, as a URL or a network-path reference: 502, never acted on here.
      ['http://evil.example/stolen.txt', 502],
      ['//evil.example/stolen.txt', 502],
      ['ftp://127.0.0.1/stolen.txt', 502],
    ] as const) {
      const src = dest === '/docs/deep/inside' ? '/docs' : '/moved.txt'
      const absolute = !dest.startsWith('/') || dest.startsWith('//')
      const res = await curl(['-X', 'MOVE', '-H', `Destination: ${absolute ? dest : server.url + dest}`, `${server.url}${src}`])
      expect(res.status, dest).toBe(status)
    }
    expect((await curl(['-X', 'MOVE', `${server.url}/moved.txt`])).status).toBe(400)
    expect(await snapshot(fixture.base)).toEqual(before)
  })

  it('a read-only share refuses COPY and MOVE', async () => {
    const before = await snapshot(fixture.root)
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${readOnly.url}/c.txt`, `${readOnly.url}/hello.txt`])).status).toBe(405)
    expect((await curl(['-X', 'MOVE', '-H', `Destination: ${readOnly.url}/c.txt`, `${readOnly.url}/hello.txt`])).status).toBe(405)
    expect(await snapshot(fixture.root)).toEqual(before)
  })
})
