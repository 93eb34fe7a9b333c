/**
 * The rich and JSON listings, sorting and filtering, listing validators, `listing: 'off'`, and
 * folder downloads, through both adapters. Pages are read with a real HTML parser (parse5);
 * archives are checked and extracted by unzip, Python's zipfile, bsdtar and GNU tar and compared
 * byte for byte with the tree.
 */
import { execFile } from 'node:child_process'
import { RawClient } from '@simplehttp/test-client'
import { mkdir, mkdtemp, open, readFile, readdir, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import express from 'express'
import { parse } from 'parse5'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler, serveStatic } from '../src/index.js'
import { collectMembers, contentDisposition, zipSource } from '../src/internal/archive.js'
import type { BodyWriter } from '../src/response-body.js'
import {
  SECRET,
  TRICKY_NAMES,
  makeFixture,
  readSlowly,
  request,
  startHTTP,
  startHandler,
  type Fixture,
  type RawResponse,
  type RunningServer,
} from './helpers.js'

const run = promisify(execFile)

// ---- a small DOM walker over parse5's tree ------------------------------------------------------

interface Node {
  readonly nodeName: string
  readonly tagName?: string
  readonly attrs?: readonly { name: string; value: string }[]
  readonly childNodes?: readonly Node[]
  readonly value?: string
}

function all(node: Node, tag: string, out: Node[] = []): Node[] {
  if (node.tagName === tag) out.push(node)
  for (const child of node.childNodes ?? []) all(child, tag, out)
  return out
}

function attr(node: Node, name: string): string | undefined {
  return node.attrs?.find((a) => a.name === name)?.value
}

function text(node: Node): string {
  if (node.nodeName === '#text') return node.value ?? ''
  return (node.childNodes ?? []).map(text).join('')
}

function hasClass(node: Node, name: string): boolean {
  return (attr(node, 'class') ?? '').split(' ').includes(name)
}

/** The entry rows of a rich listing: name, href, size cell, time cell. */
function rows(html: string): { name: string; href: string; title: string | undefined; time: string | undefined; mark: string }[] {
  const doc = parse(html) as unknown as Node
  const tbody = all(doc, 'tbody')[0]
  if (tbody === undefined) throw new Error('no tbody')
  return all(tbody, 'tr')
    .filter((tr) => hasClass(tr, 'dir') || hasClass(tr, 'file'))
    .map((tr) => {
      const cells = all(tr, 'td')
      const link = all(cells[0] as Node, 'a')[0] as Node
      const mark = all(cells[0] as Node, 'span')[0]
      return {
        name: text(link),
        href: attr(link, 'href') ?? '',
        title: attr(cells[1] as Node, 'title'),
        time: attr(all(cells[2] as Node, 'time')[0] ?? { nodeName: 'x' }, 'datetime'),
        mark: mark === undefined ? '' : text(mark),
      }
    })
}

let fx: Fixture
let rich: RunningServer
let richHandler: RunningServer
let python: RunningServer
let off: RunningServer
let plain: RunningServer

/** A tree of its own for sorting: sizes and times chosen per file. */
let sortRoot: string
let sortServer: RunningServer

beforeAll(async () => {
  fx = await makeFixture()
  rich = await startHTTP(serveStatic(fx.root, { listing: 'rich', archive: true }))
  richHandler = await startHandler(SimpleHTTPRequestHandler.withOptions({ directory: fx.root, listing: 'rich', archive: true }))
  python = await startHandler(SimpleHTTPRequestHandler.withOptions({ directory: fx.root }))
  off = await startHTTP(serveStatic(fx.root, { listing: 'off', archive: true }))
  plain = await startHTTP(serveStatic(fx.root, { listing: 'rich' }))
  sortRoot = path.join(fx.base, 'sorting')
  await mkdir(path.join(sortRoot, 'zdir'), { recursive: true })
  await mkdir(path.join(sortRoot, 'adir'))
  const files: [string, number, number][] = [
    ['file10.txt', 10, 1_700_000_300],
    ['file2.txt', 300, 1_700_000_100],
    ['File1.txt', 20, 1_700_000_200],
    ['notes.md', 5, 1_700_000_400],
  ]
  for (const [name, size, time] of files) {
    await writeFile(path.join(sortRoot, name), 'x'.repeat(size))
    await utimes(path.join(sortRoot, name), time, time)
  }
  sortServer = await startHTTP(serveStatic(sortRoot, { listing: 'rich' }))
})

afterAll(async () => {
  for (const server of [rich, richHandler, python, off, plain, sortServer]) await server.close()
  await fx.cleanup()
})

function get(server: RunningServer, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(server.port, target, { headers })
}

describe('rich listing', () => {
  it('is one self-contained HTML page: no script, no external assets, light and dark, phone viewport', async () => {
    const r = await get(rich, '/dir/')
    expect(r.status).toBe(200)
    expect(r.header('Content-Type')).toBe('text/html; charset=utf-8')
    const doc = parse(r.body.toString('utf8')) as unknown as Node
    expect(all(doc, 'script')).toHaveLength(0)
    expect(all(doc, 'link')).toHaveLength(0)
    expect(all(doc, 'img')).toHaveLength(0)
    const metas = all(doc, 'meta')
    expect(metas.some((m) => attr(m, 'name') === 'color-scheme' && attr(m, 'content') === 'light dark')).toBe(true)
    expect(metas.some((m) => attr(m, 'name') === 'viewport' && (attr(m, 'content') ?? '').includes('width=device-width'))).toBe(true)
    expect(text(all(doc, 'style')[0] as Node)).toContain('prefers-color-scheme:dark')
    expect(text(all(doc, 'title')[0] as Node)).toBe('Index of /dir/')
  })

  it('shows breadcrumbs and a parent link', async () => {
    const doc = parse((await get(rich, '/dir/sub/')).body.toString('utf8')) as unknown as Node
    const nav = all(doc, 'nav')[0] as Node
    expect(all(nav, 'a').map((a) => [text(a), attr(a, 'href')])).toEqual([
      ['/', '/'],
      ['dir', '/dir/'],
      ['sub', '/dir/sub/'],
    ])
    const up = all(doc, 'tr').find((tr) => hasClass(tr, 'up')) as Node
    expect(attr(all(up, 'a')[0] as Node, 'href')).toBe('../')
    const rootDoc = parse((await get(rich, '/')).body.toString('utf8')) as unknown as Node
    expect(all(rootDoc, 'tr').some((tr) => hasClass(tr, 'up'))).toBe(false)
  })

  it('names every entry exactly, escaped in text and href, with the size in bytes and the UTC time', async () => {
    const list = rows((await get(rich, '/dir/')).body.toString('utf8'))
    const files = list.filter((row) => row.mark === '')
    expect(files.map((row) => row.name).sort()).toEqual([...TRICKY_NAMES].sort())
    for (const row of files) {
      expect(decodeURIComponent(row.href)).toBe(row.name)
      expect(row.href).not.toMatch(/[<>"' ]/)
      expect(row.title).toBe(`${Buffer.byteLength(`content of ${row.name}\n`)} bytes`)
      expect(row.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    }
    expect(list[0]).toMatchObject({ name: 'sub/', href: 'sub/', mark: 'DIR' })
    // Each tricky file is fetchable through the href the page gives.
    for (const row of files) {
      const file = await get(rich, `/dir/${row.href}`)
      expect(file.body.toString('utf8')).toBe(`content of ${row.name}\n`)
    }
  })

  it('shows human sizes', async () => {
    const list = rows((await get(rich, '/')).body.toString('utf8'))
    const big = list.find((row) => row.name === 'big.bin')
    expect(big?.title).toBe(`${2 * 1024 * 1024} bytes`)
    const doc = parse((await get(rich, '/')).body.toString('utf8')) as unknown as Node
    const cell = all(doc, 'td').find((td) => attr(td, 'title') === `${2 * 1024 * 1024} bytes`) as Node
    expect(text(cell)).toBe('2.0 MiB')
  })

  it('hides dotfiles and symlinks out of the root, shows links that stay inside (marked)', async () => {
    const top = rows((await get(rich, '/')).body.toString('utf8')).map((row) => row.name)
    expect(top).toContain('.well-known/')
    expect(top).not.toContain('.env')
    expect(top).not.toContain('.git/')
    const links = rows((await get(rich, '/links/')).body.toString('utf8'))
    expect(links.map((row) => row.name).sort()).toEqual(['chain', 'inside', 'inside-dir/', 'nested/'])
    expect(links.find((row) => row.name === 'inside')?.mark).toBe('LINK')
    const body = (await get(rich, '/links/')).body.toString('utf8')
    for (const hidden of ['file-out', 'passwd', 'dir-out', 'loop-a', 'broken', 'self']) expect(body).not.toContain(`>${hidden}`)
  })

  it('is the same page from the handler class', async () => {
    const a = rows((await get(rich, '/dir/')).body.toString('utf8'))
    const b = rows((await request(richHandler.port, '/dir/')).body.toString('utf8'))
    expect(b).toEqual(a)
  })

  it('links to both archives only when archives are on', async () => {
    const withArchives = parse((await get(rich, '/dir/')).body.toString('utf8')) as unknown as Node
    const hrefs = all(withArchives, 'a').map((a) => attr(a, 'href'))
    expect(hrefs).toContain('?download=zip')
    expect(hrefs).toContain('?download=tar.gz')
    const without = parse((await get(plain, '/dir/')).body.toString('utf8')) as unknown as Node
    expect(all(without, 'a').map((a) => attr(a, 'href'))).not.toContain('?download=zip')
  })
})

describe('sorting and filtering', () => {
  const names = async (query: string): Promise<string[]> =>
    rows((await get(sortServer, `/${query}`)).body.toString('utf8')).map((row) => row.name)

  it('sorts by name naturally and case-insensitively, directories first', async () => {
    expect(await names('')).toEqual(['adir/', 'zdir/', 'File1.txt', 'file2.txt', 'file10.txt', 'notes.md'])
    expect(await names('?sort=name&order=desc')).toEqual(['zdir/', 'adir/', 'notes.md', 'file10.txt', 'file2.txt', 'File1.txt'])
  })

  it('sorts by size and by time, both ways', async () => {
    expect(await names('?sort=size')).toEqual(['adir/', 'zdir/', 'notes.md', 'file10.txt', 'File1.txt', 'file2.txt'])
    expect(await names('?sort=size&order=desc')).toEqual(['zdir/', 'adir/', 'file2.txt', 'File1.txt', 'file10.txt', 'notes.md'])
    expect((await names('?sort=time')).slice(2)).toEqual(['file2.txt', 'File1.txt', 'file10.txt', 'notes.md'])
    expect((await names('?sort=time&order=desc')).slice(2)).toEqual(['notes.md', 'file10.txt', 'File1.txt', 'file2.txt'])
  })

  it('filters by a case-insensitive substring, and says when nothing matches', async () => {
    expect(await names('?q=FILE')).toEqual(['File1.txt', 'file2.txt', 'file10.txt'])
    expect(await names('?q=dir&sort=name&order=desc')).toEqual(['zdir/', 'adir/'])
    expect(await names('?q=%3Cnothing%3E')).toEqual([])
    const page = (await get(sortServer, '/?q=%3Cnothing%3E')).body.toString('utf8')
    expect(page).toContain('No names match the filter.')
    // The filter comes back in the form, escaped.
    const doc = parse(page) as unknown as Node
    const input = all(doc, 'input').find((i) => attr(i, 'name') === 'q') as Node
    expect(attr(input, 'value')).toBe('<nothing>')
  })

  it('ignores values it does not understand', async () => {
    const normal = await names('')
    expect(await names('?sort=bogus&order=sideways')).toEqual(normal)
    expect(await names('?sort=&order=&q=')).toEqual(normal)
    expect(await names('?%zz=1&sort=%ff')).toEqual(normal)
    expect((await get(sortServer, '/?sort=size&sort=<x>')).status).toBe(200)
  })

  it('keeps the filter in the sort links and the sort in the filter form', async () => {
    const doc = parse((await get(sortServer, '/?sort=size&order=desc&q=file')).body.toString('utf8')) as unknown as Node
    const head = all(doc, 'thead')[0] as Node
    const links = all(head, 'a').map((a) => attr(a, 'href'))
    expect(links).toEqual(['?sort=name&order=asc&q=file', '?sort=size&order=asc&q=file', '?sort=time&order=asc&q=file'])
    const hidden = all(doc, 'input').filter((i) => attr(i, 'type') === 'hidden').map((i) => [attr(i, 'name'), attr(i, 'value')])
    expect(hidden).toEqual([
      ['sort', 'size'],
      ['order', 'desc'],
    ])
  })
})

describe('JSON listing', () => {
  it('answers ?json with the documented shape, same order and filter as the page', async () => {
    const r = await get(sortServer, '/?json&sort=size&order=desc&q=file')
    expect(r.status).toBe(200)
    expect(r.header('Content-Type')).toBe('application/json')
    const listing = JSON.parse(r.body.toString('utf8')) as { path: string; entries: Record<string, unknown>[] }
    expect(listing.path).toBe('/')
    expect(listing.entries.map((e) => e.name)).toEqual(['file2.txt', 'File1.txt', 'file10.txt'])
    expect(listing.entries[0]).toEqual({
      name: 'file2.txt',
      type: 'file',
      size: 300,
      mtime: new Date(1_700_000_100_000).toISOString(),
      href: 'file2.txt',
    })
    const all = JSON.parse((await get(sortServer, '/?json')).body.toString('utf8')) as { entries: Record<string, unknown>[] }
    expect(all.entries[0]).toMatchObject({ name: 'adir', type: 'directory', size: null, href: 'adir/' })
  })

  it('answers an Accept that prefers application/json, and HTML otherwise', async () => {
    const json = await get(rich, '/dir/', { Accept: 'application/json' })
    expect(json.header('Content-Type')).toBe('application/json')
    const names = (JSON.parse(json.body.toString('utf8')) as { entries: { name: string }[] }).entries.map((e) => e.name)
    expect(names.slice(1).sort()).toEqual([...TRICKY_NAMES].sort())
    expect((await get(rich, '/dir/', { Accept: 'text/html,application/json;q=0.9' })).header('Content-Type')).toContain('text/html')
    expect((await get(rich, '/dir/', { Accept: '*/*' })).header('Content-Type')).toContain('text/html')
    expect((await get(rich, '/dir/', { Accept: 'application/json;q=0' })).header('Content-Type')).toContain('text/html')
    expect((await get(rich, '/dir/', { Accept: 'text/html;q=0.5, application/json' })).header('Content-Type')).toBe('application/json')
  })

  it('writes <, > and & in names as \\u escapes: no markup in the bytes, the same names parsed', async () => {
    const json = await get(rich, '/dir/?json')
    const raw = json.body.toString('utf8')
    expect(raw).not.toMatch(/[<>&]/)
    expect(raw).toContain('\\u003cimg src=x onerror=alert(1)\\u003e.txt')
    const names = (JSON.parse(raw) as { entries: { name: string }[] }).entries.map((e) => e.name)
    expect(names).toContain('<img src=x onerror=alert(1)>.txt')
    expect(names).toContain(`a&b"c'.txt`)
  })

  it('is there in the CPython mode too, whose HTML stays CPython\'s', async () => {
    const json = await request(python.port, '/small/?json')
    expect(json.header('Content-Type')).toBe('application/json')
    const entries = (JSON.parse(json.body.toString('utf8')) as { entries: { name: string; type: string }[] }).entries
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['dir', 'directory'],
      ['a b.txt', 'file'],
      ['alpha.txt', 'file'],
      ['ln', 'symlink'],
      ['Zeta.txt', 'file'],
    ])
    const html = await request(python.port, '/small/?sort=size')
    expect(html.body.toString('utf8')).toContain('<li><a href="a%20b.txt">a b.txt</a></li>\n<li><a href="alpha.txt">')
  })
})

describe('validators', () => {
  it('sends an ETag and Vary: Accept, and 304 for If-None-Match', async () => {
    for (const [server, target] of [
      [rich, '/dir/'],
      [rich, '/dir/?json'],
      [rich, '/dir/?sort=size'],
    ] as const) {
      const first = await get(server, target)
      const etag = first.header('ETag') as string
      expect(etag).toMatch(/^"[^"]+"$/)
      expect(first.header('Vary')).toBe('Accept')
      const again = await get(server, target, { 'If-None-Match': etag })
      expect(again.status).toBe(304)
      expect(again.body.length).toBe(0)
      expect(again.header('ETag')).toBe(etag)
      expect(again.header('Vary')).toBe('Accept')
      expect((await get(server, target, { 'If-None-Match': '"other"' })).status).toBe(200)
    }
    const cpython = await request(python.port, '/small/')
    const again = await request(python.port, '/small/', { headers: { 'If-None-Match': cpython.header('ETag') as string } })
    expect(again.status).toBe(304)
  })

  it('gives each representation its own ETag, and a new one when the folder changes', async () => {
    const tags = new Set<string>()
    for (const target of ['/dir/', '/dir/?json', '/dir/?sort=size', '/dir/?q=a']) tags.add((await get(rich, target)).header('ETag') as string)
    expect(tags.size).toBe(4)
    const before = (await get(rich, '/a/')).header('ETag')
    await writeFile(path.join(fx.root, 'a', 'new.txt'), 'new')
    const after = await get(rich, '/a/', { 'If-None-Match': before as string })
    expect(after.status).toBe(200)
    expect(rows(after.body.toString('utf8')).map((row) => row.name)).toContain('new.txt')
    await unlink(path.join(fx.root, 'a', 'new.txt'))
  })
})

describe("listing: 'off'", () => {
  it('answers 404 for a directory without an index page, and still serves files and index pages', async () => {
    const r = await get(off, '/dir/')
    expect(r.status).toBe(404)
    expect(r.body.toString('utf8')).not.toContain('fünke')
    expect((await get(off, '/dir/?json')).status).toBe(404)
    expect((await get(off, '/dir/?download=zip')).status).toBe(404)
    expect((await get(off, '/hello.txt')).status).toBe(200)
    expect((await get(off, '/withindex/')).body.toString()).toBe('<p>index.html</p>\n')
  })
})

// ---- archives -----------------------------------------------------------------------------------

/** Every visible file under `dir` (no dotfiles except the root's .well-known, no links out), relative path → bytes. */
async function visibleTree(server: RunningServer, urlDir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const walk = async (url: string, prefix: string): Promise<void> => {
    const listing = JSON.parse((await get(server, `${url}?json`)).body.toString('utf8')) as {
      entries: { name: string; type: string; href: string; size: number | null }[]
    }
    for (const entry of listing.entries) {
      if (entry.size == null) {
        if (entry.type === 'symlink') continue
        await walk(url + entry.href, `${prefix}${entry.name}/`)
      } else {
        out.set(prefix + entry.name, (await get(server, url + entry.href)).body)
      }
    }
  }
  await walk(urlDir, '')
  return out
}

/** Every file under a folder on disk, relative path → bytes. */
async function diskTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  const walk = async (at: string, prefix: string): Promise<void> => {
    for (const dirent of await readdir(at, { withFileTypes: true })) {
      if (dirent.isDirectory()) await walk(path.join(at, dirent.name), `${prefix}${dirent.name}/`)
      else out.set(prefix + dirent.name, await readFile(path.join(at, dirent.name)))
    }
  }
  await walk(dir, '')
  return out
}

async function download(server: RunningServer, target: string): Promise<{ response: RawResponse; file: string; dir: string }> {
  const response = await request(server.port, target)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-archive-'))
  const file = path.join(dir, 'download')
  await writeFile(file, response.body)
  return { response, file, dir }
}

function expectSameTree(got: Map<string, Buffer>, want: Map<string, Buffer>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
  for (const [name, bytes] of want) expect(got.get(name)?.equals(bytes), name).toBe(true)
}

describe('ZIP download', () => {
  it('streams the folder with an exact Content-Length and an RFC 6266 name; unzip, zipfile and bsdtar agree byte for byte', async () => {
    const want = await visibleTree(rich, '/dir/')
    expect(want.size).toBe(TRICKY_NAMES.length + 1)
    for (const server of [rich, richHandler]) {
      const { response, file, dir } = await download(server, '/dir/?download=zip')
      try {
        expect(response.status).toBe(200)
        expect(response.header('Content-Type')).toBe('application/zip')
        expect(response.header('Content-Disposition')).toBe('attachment; filename="dir.zip"')
        expect(Number(response.header('Content-Length'))).toBe(response.body.length)
        await run('unzip', ['-t', file])
        for (const [tool, args] of [
          ['unzip', ['-q', file, '-d', path.join(dir, 'unzip')]],
          ['python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', file, path.join(dir, 'zipfile')]],
          ['bsdtar', ['-x', '-f', file, '-C', (await mkdir(path.join(dir, 'bsdtar')), path.join(dir, 'bsdtar'))]],
        ] as const) {
          await run(tool, [...args])
          expectSameTree(await diskTree(path.join(dir, tool === 'python3' ? 'zipfile' : tool)), want)
        }
        // A reader that streams (no central directory) finds every entry too.
        const { stdout } = await run('sh', ['-c', 'bsdtar -t -f - < "$1"', 'sh', file])
        expect(stdout.split('\n').filter((line) => line !== '' && !line.endsWith('/')).length).toBe(want.size)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
  })

  it('archives the whole tree from the root with the listing\'s visibility: no dotfiles, nothing outside the root', async () => {
    const { response, file, dir } = await download(rich, '/?download=zip')
    try {
      expect(response.header('Content-Disposition')).toBe('attachment; filename="download.zip"')
      expect(response.body.includes(SECRET)).toBe(false)
      const { stdout } = await run('unzip', ['-Z1', file])
      const names = stdout.split('\n').filter((n) => n !== '')
      expect(names).toContain('.well-known/security.txt')
      expect(names).toContain('links/inside')
      expect(names).toContain('dir/sub/inner.txt')
      for (const name of names) {
        expect(name).not.toMatch(/(^|\/)\.(env|git)/)
        expect(name).not.toMatch(/file-out|passwd|dir-out|loop|broken|\.hidden/)
      }
      // Symlinks to directories are left out (a link back up the tree would never end).
      expect(names.some((n) => n.startsWith('links/inside-dir'))).toBe(false)
      await run('unzip', ['-q', file, '-d', path.join(dir, 'x')])
      expect(await readFile(path.join(dir, 'x', 'links', 'inside'), 'utf8')).toBe('Hello, world!\n')
      expect((await readFile(path.join(dir, 'x', 'big.bin'))).equals(fx.big)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('is a download of the folder even when it has an index page', async () => {
    const r = await get(rich, '/withindex/?download=zip')
    expect(r.header('Content-Type')).toBe('application/zip')
    expect((await get(rich, '/withindex/')).body.toString()).toBe('<p>index.html</p>\n')
  })

  it('is ignored (the listing answers) without the archive option or with an unknown format', async () => {
    expect((await get(plain, '/dir/?download=zip')).header('Content-Type')).toBe('text/html; charset=utf-8')
    expect((await get(rich, '/dir/?download=rar')).header('Content-Type')).toBe('text/html; charset=utf-8')
    expect((await get(plain, '/withindex/?download=zip')).body.toString()).toBe('<p>index.html</p>\n')
  })

  it('answers HEAD with the same length and no body', async () => {
    const head = await request(rich.port, '/dir/?download=zip', { method: 'HEAD' })
    const got = await get(rich, '/dir/?download=zip')
    expect(head.header('Content-Length')).toBe(got.header('Content-Length'))
    expect(head.body.length).toBe(0)
  })

  it('encodes a non-ASCII or quote-bearing folder name per RFC 6266 / RFC 8187', () => {
    expect(contentDisposition('fünke.zip')).toBe(`attachment; filename="f_nke.zip"; filename*=UTF-8''f%C3%BCnke.zip`)
    expect(contentDisposition('a"b\\c.zip')).toBe(`attachment; filename="a_b_c.zip"; filename*=UTF-8''a%22b%5Cc.zip`)
    expect(contentDisposition("it's (1).zip")).toBe(`attachment; filename="it's (1).zip"`)
  })

  it('writes ZIP64 records that unzip, zipfile and bsdtar read (forced, on small files)', async () => {
    const policy = { dotfiles: false, followSymlinks: false, isInside: () => true }
    const members = await collectMembers(path.join(fx.root, 'dir'), false, policy, 1000)
    if (members === undefined) throw new Error('the folder has more than 1000 members')
    const source = zipSource(members, 'always')
    const chunks: Buffer[] = []
    const sink: BodyWriter = {
      write(chunk) {
        chunks.push(Buffer.from(chunk))
      },
    }
    await source.produce(sink, undefined)
    const bytes = Buffer.concat(chunks)
    expect(bytes.length).toBe(source.length)
    const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-zip64-'))
    try {
      const file = path.join(dir, 'z.zip')
      await writeFile(file, bytes)
      await run('unzip', ['-t', file])
      await run('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2])', file, path.join(dir, 'py')])
      expectSameTree(await diskTree(path.join(dir, 'py')), await visibleTree(rich, '/dir/'))
      await mkdir(path.join(dir, 'bsd'))
      await run('bsdtar', ['-x', '-f', file, '-C', path.join(dir, 'bsd')])
      expectSameTree(await diskTree(path.join(dir, 'bsd')), await visibleTree(rich, '/dir/'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('tar.gz download', () => {
  it('streams a gzipped tar that GNU tar and bsdtar extract byte for byte', async () => {
    const want = await visibleTree(rich, '/dir/')
    for (const server of [rich, richHandler]) {
      const { response, file, dir } = await download(server, '/dir/?download=tar.gz')
      try {
        expect(response.status).toBe(200)
        expect(response.header('Content-Type')).toBe('application/gzip')
        expect(response.header('Content-Disposition')).toBe('attachment; filename="dir.tar.gz"')
        for (const tool of ['tar', 'bsdtar']) {
          const out = path.join(dir, tool)
          await mkdir(out)
          await run(tool, ['-x', '-z', '-f', file, '-C', out])
          expectSameTree(await diskTree(out), want)
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
  })

  it('keeps long names whole (pax headers)', async () => {
    const long = `${'n'.repeat(120)}-ü.txt`
    await writeFile(path.join(fx.root, 'a', long), 'long\n')
    const { file, dir } = await download(rich, '/a/?download=tar.gz')
    try {
      const { stdout } = await run('tar', ['-t', '-z', '-f', file])
      expect(stdout.split('\n')).toContain(long)
    } finally {
      await unlink(path.join(fx.root, 'a', long))
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('archive member names and bounds', () => {
  let base: string
  let slipServer: RunningServer
  let bounded: RunningServer
  let boundedHandler: RunningServer

  beforeAll(async () => {
    base = path.join(fx.base, 'bounds')
    // Names a Windows extractor (and bsdtar, for a ZIP) reads as paths: backslashes and drives.
    await mkdir(path.join(base, 'slip', 'x\\..\\..'), { recursive: true })
    for (const name of ['a\\..\\..\\evil.txt', 'C:\\evil.txt', 'D:drive.txt', 'x\\..\\..\\..\\up\\y.txt']) {
      await writeFile(path.join(base, 'slip', name), `${name}\n`)
    }
    await writeFile(path.join(base, 'slip', 'x\\..\\..', 'y.txt'), 'in x\n')
    // Six members: `many/` with five files; `few/` with two.
    await mkdir(path.join(base, 'many'))
    for (let i = 0; i < 5; i++) await writeFile(path.join(base, 'many', `${i}.txt`), `${i}\n`)
    await mkdir(path.join(base, 'few'))
    for (let i = 0; i < 2; i++) await writeFile(path.join(base, 'few', `${i}.txt`), `${i}\n`)
    await mkdir(path.join(base, 'big'))
    await writeFile(path.join(base, 'big', 'a.bin'), '')
    await truncate(path.join(base, 'big', 'a.bin'), 32 * 1024 * 1024)
    slipServer = await startHTTP(serveStatic(base, { listing: 'rich', archive: true }))
    bounded = await startHTTP(serveStatic(base, { listing: 'rich', archive: { maxMembers: 4, atOnce: 1 } }))
    boundedHandler = await startHandler(SimpleHTTPRequestHandler.withOptions({ directory: base, listing: 'rich', archive: { maxMembers: 4, atOnce: 1 } }))
  })

  afterAll(async () => {
    await slipServer.close()
    await bounded.close()
    await boundedHandler.close()
  })

  it('turns backslashes and drive letters in names into _, so no extractor writes outside its folder', async () => {
    const want = ['C__evil.txt', 'D_drive.txt', 'a_.._.._evil.txt', 'x_.._..', 'x_.._.._.._up_y.txt']
    for (const format of ['zip', 'tar.gz']) {
      const { response, file, dir } = await download(slipServer, `/slip/?download=${format}`)
      try {
        expect(response.status).toBe(200)
        const tools: [string, string[]][] =
          format === 'zip'
            ? [
                ['unzip', ['-q', file, '-d']],
                ['python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', file]],
                ['bsdtar', ['-x', '-f', file, '-C']],
              ]
            : [
                ['tar', ['-x', '-z', '-f', file, '-C']],
                ['bsdtar', ['-x', '-z', '-f', file, '-C']],
              ]
        for (const [tool, args] of tools) {
          // Each extractor works in out/ inside a jail of its own: the jail must hold out/ and nothing else.
          const jail = path.join(dir, `jail-${tool}`)
          const out = path.join(jail, 'out')
          await mkdir(out, { recursive: true })
          await run(tool, [...args, out])
          expect(await readdir(jail), `${format} ${tool}`).toEqual(['out'])
          expect((await readdir(out)).sort(), `${format} ${tool}`).toEqual(want)
          expect(await readFile(path.join(out, 'a_.._.._evil.txt'), 'utf8')).toBe('a\\..\\..\\evil.txt\n')
          expect(await readFile(path.join(out, 'x_.._..', 'y.txt'), 'utf8')).toBe('in x\n')
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
  })

  it('refuses a folder with more members than maxMembers with 403, and archives a smaller one', async () => {
    for (const server of [bounded, boundedHandler]) {
      for (const format of ['zip', 'tar.gz']) {
        expect((await get(server, `/many/?download=${format}`)).status).toBe(403)
        expect((await get(server, `/few/?download=${format}`)).status).toBe(200)
      }
    }
    // CPython's error page says why.
    expect((await get(boundedHandler, '/many/?download=zip')).body.toString()).toContain('at most 4 files and folders')
    // The root holds more than four members too, however deep they are.
    expect((await get(bounded, '/?download=zip')).status).toBe(403)
    // The listing itself is not bounded by it.
    expect((await get(bounded, '/many/')).status).toBe(200)
  })

  it('answers 503 to one download more than atOnce while one streams, and frees the slot when it ends', async () => {
    let busy: RawResponse | undefined
    const { announced, received } = await readSlowly(bounded.port, '/big/?download=zip', async () => {
      busy = await get(bounded, '/few/?download=zip')
    })
    expect(announced).toBeGreaterThan(32 * 1024 * 1024)
    expect(received).toBe(announced)
    expect(busy?.status).toBe(503)
    // Ended by the client (cut mid-stream), by HEAD, or completed: each gives its slot back.
    const cut = await RawClient.connect(bounded.port)
    await cut.send('GET /big/?download=tar.gz HTTP/1.1\r\nHost: x\r\n\r\n')
    await cut.waitFor(() => cut.received > 0, 'the first bytes')
    cut.destroy()
    await cut.whenClosed
    let status = 0
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      // The server notices the cut when its next write fails: wait for that, boundedly.
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50))
      status = (await request(bounded.port, '/few/?download=zip', { method: 'HEAD' })).status
    }
    expect(status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await request(bounded.port, '/few/?download=zip', { method: 'HEAD' })).status).toBe(200)
    expect((await get(bounded, '/few/?download=tar.gz')).status).toBe(200)
  })

  it('in Express, hands a folder too large to archive to next(err) as 403, not on to the next middleware', async () => {
    const server = express()
    server.use(serveStatic(base, { listing: 'rich', archive: { maxMembers: 4 } }))
    server.use((_req, res) => {
      res.status(404).type('text/plain').send('fell through')
    })
    const app = await startHTTP(server)
    try {
      const refused = await get(app, '/many/?download=zip')
      expect(refused.status).toBe(403)
      expect(refused.body.toString()).not.toContain('fell through')
      expect((await get(app, '/few/?download=zip')).header('Content-Type')).toBe('application/zip')
      expect((await get(app, '/nothing-here')).body.toString()).toBe('fell through')
    } finally {
      await app.close()
    }
  })

  it('rejects archive bounds that are not whole numbers >= 1', () => {
    expect(() => serveStatic(base, { archive: { maxMembers: 0 } })).toThrow(/archive\.maxMembers/)
    expect(() => serveStatic(base, { archive: { atOnce: 1.5 } })).toThrow(/archive\.atOnce/)
    expect(() => serveStatic(base, { archive: 'yes' as never })).toThrow(/archive/)
  })
})

async function rewriteFirstByte(file: string): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    await handle.write(Buffer.from('x'), 0, 1, 0)
    // Make sure the mtime moves even on a coarse clock.
    await handle.utimes(new Date(), new Date(Date.now() + 5000))
  } finally {
    await handle.close()
  }
}

describe('a file that changes while it is archived', () => {
  let treeRoot: string
  let server: RunningServer
  let handlerServer: RunningServer

  beforeAll(async () => {
    treeRoot = path.join(fx.base, 'changing')
    await mkdir(treeRoot)
    server = await startHTTP(serveStatic(treeRoot, { listing: 'rich', archive: true }))
    handlerServer = await startHandler(SimpleHTTPRequestHandler.withOptions({ directory: treeRoot, listing: 'rich', archive: true }))
  })

  afterAll(async () => {
    await server.close()
    await handlerServer.close()
  })

  async function prepare(): Promise<void> {
    for (const name of ['1.bin', '2.bin', '3.bin']) {
      await writeFile(path.join(treeRoot, name), '')
      await truncate(path.join(treeRoot, name), 16 * 1024 * 1024)
    }
  }

  for (const [what, change] of [
    ['disappears', () => unlink(path.join(treeRoot, '3.bin'))],
    // Open already (its bytes still readable through the descriptor): the name is gone all the same.
    ['is deleted while it is being read', () => unlink(path.join(treeRoot, '1.bin'))],
    ['shrinks', () => truncate(path.join(treeRoot, '3.bin'), 1000)],
    ['is rewritten in place (same size)', () => rewriteFirstByte(path.join(treeRoot, '3.bin'))],
  ] as const) {
    it(`cuts the connection when a file ${what}`, async () => {
      for (const running of [server, handlerServer]) {
        await prepare()
        const { announced, received } = await readSlowly(running.port, '/?download=zip', change)
        expect(announced).toBeGreaterThan(48 * 1024 * 1024)
        expect(received).toBeLessThan(announced)
      }
      // The server is unharmed: the next download of the folder completes.
      await prepare()
      const whole = await get(server, '/?download=zip')
      expect(whole.body.length).toBe(Number(whole.header('Content-Length')))
    })
  }
})
