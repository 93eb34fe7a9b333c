/**
 * Dead properties: PROPPATCH stores them, PROPFIND returns them, they survive a restart and go
 * with their resource through COPY, MOVE and DELETE; the store is never served or listed; and
 * the bounds, bad XML and tricky names leave the disk as it was.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DAVRequestHandler } from '../src/index.js'
import { curl, makeFixture, snapshot, startHandler, type Fixture, type RunningServer } from './helpers.js'

let fixture: Fixture
let server: RunningServer
const started: RunningServer[] = []

async function start(options: { dotfiles?: boolean; upload?: boolean } = {}): Promise<RunningServer> {
  const running = await startHandler(
    DAVRequestHandler.withOptions({ directory: fixture.root, upload: options.upload ?? true, delete: true, webdav: true, dotfiles: options.dotfiles ?? false }),
  )
  started.push(running)
  return running
}

beforeEach(async () => {
  fixture = await makeFixture()
  server = await start()
})
afterEach(async () => {
  for (const running of started.splice(0)) await running.close()
  await fixture.cleanup()
})

const update = (inner: string): string => `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">${inner}</D:propertyupdate>`
const set = (props: string): string => `<D:set><D:prop>${props}</D:prop></D:set>`
const remove = (props: string): string => `<D:remove><D:prop>${props}</D:prop></D:remove>`

const proppatch = (url: string, body: string): ReturnType<typeof curl> => curl(['-X', 'PROPPATCH', '-H', 'Content-Type: application/xml', '--data-binary', body, url])
const propfind = (url: string, depth: string, body?: string): ReturnType<typeof curl> =>
  curl(['-X', 'PROPFIND', '-H', `Depth: ${depth}`, ...(body === undefined ? [] : ['-H', 'Content-Type: application/xml', '--data-binary', body]), url])
const ask = (props: string): string => `<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop>${props}</D:prop></D:propfind>`
const colorOf = async (url: string): Promise<string | undefined> =>
  /<ns0:color xmlns:ns0="urn:z">([^<]*)<\/ns0:color>/.exec((await propfind(url, '0', ask('<Z:color/>'))).body)?.[1]

describe('PROPPATCH and PROPFIND', () => {
  it('stores set values in document order, returns them by name, with allprop and propname, and removes them', async () => {
    const value = '<Z:shade xmlns:q="urn:q" q:tone="a&amp;b" plain="&quot;x&quot;">dark &lt;&amp;&gt; <![CDATA[<raw>&]]><inner xmlns="urn:other"/></Z:shade>'
    const res = await proppatch(`${server.url}/hello.txt`, update(set(`<Z:color>red</Z:color><Z:detail>${value}</Z:detail><Z:high>&#65536;</Z:high>`) + remove('<Z:gone/>')))
    expect(res.status).toBe(207)
    expect(res.body).toContain('<D:status>HTTP/1.1 200 OK</D:status>')
    expect(res.body).not.toContain('424')
    expect(await colorOf(`${server.url}/hello.txt`)).toBe('red')

    const named = await propfind(`${server.url}/hello.txt`, '0', ask('<Z:detail/><Z:high/><Z:none/>'))
    // The value comes back as self-contained XML: every element declares its namespace, text and CDATA escaped.
    expect(named.body).toContain(
      '<ns0:detail xmlns:ns0="urn:z"><shade xmlns="urn:z" xmlns:a0="urn:q" a0:tone="a&#38;b" plain="&#34;x&#34;">dark &#60;&#38;&#62; &#60;raw&#62;&#38;<inner xmlns="urn:other"/></shade></ns0:detail>',
    )
    // (curl's answer is read as latin1: U+10000 as its UTF-8 bytes.)
    expect(named.body).toContain(`<ns0:high xmlns:ns0="urn:z">${Buffer.from('\u{10000}').toString('latin1')}</ns0:high>`)
    expect(named.body).toContain('<ns0:none xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status>')

    const all = await propfind(`${server.url}/hello.txt`, '0')
    expect(all.body).toContain('<ns0:color xmlns:ns0="urn:z">red</ns0:color>')
    expect(all.body).toContain('<D:getcontentlength>6</D:getcontentlength>')
    const names = await propfind(`${server.url}/hello.txt`, '0', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>')
    expect(names.body).toContain('<ns0:color xmlns:ns0="urn:z"/>')

    // Remove then set in one request: order counts. A property in no namespace works too.
    await proppatch(`${server.url}/hello.txt`, update(remove('<Z:color/>') + set('<Z:color>blue</Z:color><bare xmlns="">v</bare>')))
    expect(await colorOf(`${server.url}/hello.txt`)).toBe('blue')
    expect((await propfind(`${server.url}/hello.txt`, '0', '<D:propfind xmlns:D="DAV:"><D:prop><bare xmlns=""/></D:prop></D:propfind>')).body).toContain('<bare xmlns="">v</bare>')
    await proppatch(`${server.url}/hello.txt`, update(set('<Z:color>green</Z:color>') + remove('<Z:color/>')))
    expect(await colorOf(`${server.url}/hello.txt`)).toBeUndefined()
  })

  it('works on directories (the root too) and survives a restart', async () => {
    for (const target of ['/', '/docs/']) expect((await proppatch(`${server.url}${target}`, update(set('<Z:color>dir</Z:color>')))).status).toBe(207)
    await proppatch(`${server.url}/docs/a.txt`, update(set('<Z:color>file</Z:color>')))
    await server.close()
    const again = await start()
    expect(await colorOf(`${again.url}/`)).toBe('dir')
    expect(await colorOf(`${again.url}/docs/`)).toBe('dir')
    const listing = await propfind(`${again.url}/docs/`, '1', ask('<Z:color/>'))
    expect(listing.body).toContain('<D:href>/docs/a.txt</D:href><D:propstat><D:prop><ns0:color xmlns:ns0="urn:z">file</ns0:color>')
    expect(listing.body).toContain('<D:href>/docs/deep/</D:href><D:propstat><D:prop><ns0:color xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 404')
  })

  it('all or nothing: a protected DAV: property fails the whole request (403 and 424) and stores nothing', async () => {
    const before = await snapshot(fixture.root)
    const res = await proppatch(`${server.url}/hello.txt`, update(set('<Z:color>red</Z:color><D:getetag>"x"</D:getetag>')))
    expect(res.status).toBe(207)
    expect(res.body).toContain('<D:getetag/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status><D:responsedescription>DAV: properties are live and protected')
    expect(res.body).toContain('<ns0:color xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status>')
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('concurrent PROPPATCHes of one resource lose nothing', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => proppatch(`${server.url}/hello.txt`, update(set(`<Z:p${i}>${i}</Z:p${i}>`)))))
    const all = (await propfind(`${server.url}/hello.txt`, '0')).body
    for (let i = 0; i < 20; i++) expect(all).toContain(`<ns0:p${i} xmlns:ns0="urn:z">${i}</ns0:p${i}>`)
  })
})

describe('properties go with their resource', () => {
  it('COPY copies them, MOVE moves them, DELETE removes them (files)', async () => {
    await proppatch(`${server.url}/hello.txt`, update(set('<Z:color>red</Z:color>')))
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/copy.txt`, `${server.url}/hello.txt`])).status).toBe(201)
    expect(await colorOf(`${server.url}/copy.txt`)).toBe('red')
    expect(await colorOf(`${server.url}/hello.txt`)).toBe('red')
    expect((await curl(['-X', 'MOVE', '-H', `Destination: ${server.url}/docs/moved.txt`, `${server.url}/copy.txt`])).status).toBe(201)
    expect(await colorOf(`${server.url}/docs/moved.txt`)).toBe('red')
    // A new file under the old name starts bare.
    await writeFile(path.join(fixture.base, 'new.txt'), 'new')
    expect((await curl(['-T', path.join(fixture.base, 'new.txt'), `${server.url}/copy.txt`])).status).toBe(201)
    expect(await colorOf(`${server.url}/copy.txt`)).toBeUndefined()
    // Replacing a file keeps its properties; deleting it drops them (a new one is bare).
    expect((await curl(['-T', path.join(fixture.base, 'new.txt'), `${server.url}/hello.txt`])).status).toBe(204)
    expect(await colorOf(`${server.url}/hello.txt`)).toBe('red')
    expect((await curl(['-X', 'DELETE', `${server.url}/hello.txt`])).status).toBe(204)
    expect((await curl(['-T', path.join(fixture.base, 'new.txt'), `${server.url}/hello.txt`])).status).toBe(201)
    expect(await colorOf(`${server.url}/hello.txt`)).toBeUndefined()
    // Overwriting a destination drops the destination's own properties.
    await proppatch(`${server.url}/docs/a.txt`, update(set('<Z:color>a</Z:color>')))
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/docs/a.txt`, `${server.url}/hello.txt`])).status).toBe(204)
    expect(await colorOf(`${server.url}/docs/a.txt`)).toBeUndefined()
  })

  it('a directory carries its own and its children’s through MOVE and COPY; DELETE of a directory holding only its store works', async () => {
    await proppatch(`${server.url}/docs/`, update(set('<Z:color>docs</Z:color>')))
    await proppatch(`${server.url}/docs/deep/b.txt`, update(set('<Z:color>b</Z:color>')))
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${server.url}/docs2/`, `${server.url}/docs/`])).status).toBe(201)
    expect((await curl(['-X', 'MOVE', '-H', `Destination: ${server.url}/docs3/`, `${server.url}/docs/`])).status).toBe(201)
    for (const dir of ['docs2', 'docs3']) {
      expect(await colorOf(`${server.url}/${dir}/`)).toBe('docs')
      expect(await colorOf(`${server.url}/${dir}/deep/b.txt`)).toBe('b')
    }
    expect((await curl(['-X', 'COPY', '-H', 'Depth: 0', '-H', `Destination: ${server.url}/shallow/`, `${server.url}/docs2/`])).status).toBe(201)
    expect(await colorOf(`${server.url}/shallow/`)).toBe('docs')
    await proppatch(`${server.url}/empty/`, update(set('<Z:color>e</Z:color>')))
    // Without WebDAV's implied Depth: infinity a plain DELETE of a non-empty folder is 409; this one is empty to the client.
    expect((await curl(['-X', 'DELETE', '-H', 'Depth: 0', `${server.url}/empty/`])).status).toBe(204)
    expect(await readdir(fixture.root)).not.toContain('empty')
  })
})

describe('the store is not part of the tree', () => {
  it('is never listed, served, or written by name, even with dotfiles on', async () => {
    await proppatch(`${server.url}/docs/a.txt`, update(set('<Z:color>red</Z:color>')))
    await proppatch(`${server.url}/docs/`, update(set('<Z:color>dir</Z:color>')))
    const storeFiles = await readdir(path.join(fixture.root, 'docs', '.simplehttp-props'))
    expect(storeFiles.length).toBe(2)
    await writeFile(path.join(fixture.base, 'new.txt'), 'new')
    const dotted = await start({ dotfiles: true })
    for (const running of [server, dotted]) {
      const listing = await curl([`${running.url}/docs/`])
      expect(listing.status).toBe(200)
      expect(listing.body).toContain('a.txt')
      expect(listing.body).not.toContain('simplehttp-props')
      expect((await propfind(`${running.url}/docs/`, '1')).body).not.toContain('simplehttp-props')
      // The filter is for the store alone: with dotfiles on, other dot names are listed.
      if (running === dotted) expect((await curl([`${running.url}/`])).body).toContain('.env')
      for (const name of ['', ...storeFiles]) {
        const url = `${running.url}/docs/.simplehttp-props/${name}`
        expect((await curl([url])).status, url).toBe(404)
        expect((await propfind(url, '0')).status, url).toBe(404)
        expect((await proppatch(url, update(set('<Z:color>x</Z:color>')))).status, url).toBe(404)
      }
      const before = await snapshot(fixture.base)
      for (const args of [
        ['-T', path.join(fixture.base, 'new.txt'), `${running.url}/docs/.simplehttp-props/${storeFiles[0] ?? ''}`],
        ['-X', 'DELETE', `${running.url}/docs/.simplehttp-props/`],
        ['-X', 'MKCOL', `${running.url}/.simplehttp-props/`],
        ['-X', 'MOVE', '-H', `Destination: ${running.url}/docs/.simplehttp-props/x`, `${running.url}/hello.txt`],
        ['-X', 'COPY', '-H', `Destination: ${running.url}/stolen/`, `${running.url}/docs/.simplehttp-props/`],
      ]) {
        expect((await curl(args)).status, args.join(' ')).toBe(403)
      }
      expect(await snapshot(fixture.base)).toEqual(before)
    }
  })

  it('a symlink planted as a store is not followed', async () => {
    const { symlink } = await import('node:fs/promises')
    await symlink(path.join(fixture.base, 'outside'), path.join(fixture.root, 'docs', '.simplehttp-props'))
    const before = await snapshot(fixture.base)
    const res = await proppatch(`${server.url}/docs/a.txt`, update(set('<Z:color>red</Z:color>')))
    expect(res.status).toBe(403)
    expect(await snapshot(fixture.base)).toEqual(before)
    expect(await readdir(path.join(fixture.base, 'outside'))).toEqual([])
  })
})

describe('bounds and bad input leave the disk as it was', () => {
  it('a value over 16 KiB, too many properties, or too much on one resource: 507 with the reason', async () => {
    const before = await snapshot(fixture.root)
    const big = await proppatch(`${server.url}/hello.txt`, update(set(`<Z:ok>1</Z:ok><Z:big>${'x'.repeat(16 * 1024 + 1)}</Z:big>`)))
    expect(big.status).toBe(207)
    expect(big.body).toContain('<ns0:big xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 507 Insufficient Storage</D:status><D:responsedescription>property value larger than 16384 bytes')
    expect(big.body).toContain('<ns0:ok xmlns:ns0="urn:z"/></D:prop><D:status>HTTP/1.1 424 Failed Dependency</D:status>')
    const many = await proppatch(`${server.url}/hello.txt`, update(set(Array.from({ length: 257 }, (_, i) => `<Z:m${i}/>`).join(''))))
    expect(many.body).toContain('more than 256 properties on one resource')
    expect(await snapshot(fixture.root)).toEqual(before)
    // Four values of 15 KiB fit; a fifth passes 64 KiB for the resource.
    for (let i = 0; i < 4; i++) expect((await proppatch(`${server.url}/hello.txt`, update(set(`<Z:v${i}>${'y'.repeat(15 * 1024)}</Z:v${i}>`)))).body).toContain('200 OK')
    const full = await proppatch(`${server.url}/hello.txt`, update(set(`<Z:v9>${'y'.repeat(15 * 1024)}</Z:v9>`)))
    expect(full.body).toContain('507 Insufficient Storage</D:status><D:responsedescription>properties of one resource larger than 65536 bytes')
    expect((await propfind(`${server.url}/hello.txt`, '0', ask('<Z:v9/>'))).body).toContain('404 Not Found')
  })

  it('DTDs, undefined entities, bad character references and deep nesting are 400; namespaces full of ../ are only names', async () => {
    const before = await snapshot(fixture.base)
    const bodies = [
      `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://${path.join(fixture.base, 'secret.txt')}">]>${update(set('<Z:c>&x;</Z:c>'))}`,
      `<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${update(set('<Z:c>&b;</Z:c>'))}`,
      update(set('<Z:c>&undefined;</Z:c>')),
      update(set('<Z:c>&#0;</Z:c>')),
      update(set('<Z:c>&#xD800;</Z:c>')),
      update(set('<Z:c a="&nope;">x</Z:c>')),
      update(set(`<Z:c>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</Z:c>`)),
      update(set('<Z:c><u:x>undeclared prefix</u:x></Z:c>')),
    ]
    for (const body of bodies) {
      const res = await proppatch(`${server.url}/hello.txt`, body)
      expect(res.status, body.slice(0, 80)).toBe(400)
      expect(res.body).not.toContain('TOP-SECRET')
    }
    expect(await snapshot(fixture.base)).toEqual(before)
    const sneaky = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="../../../../outside/evil"><x:b xmlns:x="/etc/passwd">v</x:b></x:a></D:prop></D:set></D:propertyupdate>'
    expect((await proppatch(`${server.url}/docs/a.txt`, sneaky)).body).toContain('200 OK')
    expect(await readdir(path.join(fixture.base, 'outside'))).toEqual([])
    expect(await readdir(path.join(fixture.root, 'docs', '.simplehttp-props'))).toEqual([expect.stringMatching(/^f-[\w-]{43}\.json$/)])
    const stored = await readFile(path.join(fixture.root, 'docs', '.simplehttp-props', (await readdir(path.join(fixture.root, 'docs', '.simplehttp-props')))[0] ?? ''), 'utf8')
    expect(JSON.parse(stored)).toMatchObject({ name: 'a.txt' })
  })
})
