import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { RawClient } from '@simplehttp/test-client'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DAVRequestHandler, parseSize } from '../src/index.js'
import { SECRET, curl, makeFixture, raw, snapshot, startHandler, type Fixture, type RunningServer } from './helpers.js'

let fixture: Fixture
let server: RunningServer
let readOnly: RunningServer

beforeAll(async () => {
  fixture = await makeFixture()
  server = await startHandler(
    DAVRequestHandler.withOptions({ directory: fixture.root, upload: true, delete: true, maxUpload: 1024 * 1024 }),
  )
  readOnly = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root }))
})
afterAll(async () => {
  await server.close()
  await readOnly.close()
  await fixture.cleanup()
})

async function tempFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('.simplehttp-upload-'))
}

describe('PUT', () => {
  it('creates a file (201, Location, ETag that GET agrees with)', async () => {
    const res = await curl(['-X', 'PUT', '--data-binary', 'new file\n', `${server.url}/created.txt`])
    expect(res.status).toBe(201)
    expect(res.headers.location).toBe('/created.txt')
    expect(await readFile(path.join(fixture.root, 'created.txt'), 'utf8')).toBe('new file\n')
    const get = await curl([`${server.url}/created.txt`])
    expect(get.body).toBe('new file\n')
    expect(res.headers.etag).toBe(get.headers.etag)
  })

  it('replaces a file with curl -T (204), keeping its mode', async () => {
    const file = path.join(fixture.root, 'replace-me.txt')
    await writeFile(file, 'old', { mode: 0o640 })
    const upload = path.join(fixture.base, 'upload.bin')
    await writeFile(upload, Buffer.alloc(300_000, 7))
    const res = await curl(['-T', upload, `${server.url}/replace-me.txt`])
    expect(res.status).toBe(204)
    expect((await readFile(file)).equals(Buffer.alloc(300_000, 7))).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o640)
    expect(await tempFiles(fixture.root)).toEqual([])
  })

  it('takes a chunked body', async () => {
    const res = await curl(['-X', 'PUT', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'chunky', `${server.url}/chunked.txt`])
    expect(res.status).toBe(201)
    expect(await readFile(path.join(fixture.root, 'chunked.txt'), 'utf8')).toBe('chunky')
  })

  it('If-None-Match: * refuses to replace (412); If-Match with a stale tag too', async () => {
    const before = await snapshot(fixture.root)
    expect((await curl(['-X', 'PUT', '-H', 'If-None-Match: *', '--data-binary', 'x', `${server.url}/hello.txt`])).status).toBe(412)
    expect((await curl(['-X', 'PUT', '-H', 'If-Match: "nope"', '--data-binary', 'x', `${server.url}/hello.txt`])).status).toBe(412)
    expect((await curl(['-X', 'PUT', '-H', 'If-Match: *', '--data-binary', 'x', `${server.url}/not-there.txt`])).status).toBe(412)
    expect(await snapshot(fixture.root)).toEqual(before)
    const etag = (await curl(['-I', `${server.url}/hello.txt`])).headers.etag as string
    const ok = await curl(['-X', 'PUT', '-H', `If-Match: ${etag}`, '--data-binary', 'hello\n', `${server.url}/hello.txt`])
    expect(ok.status).toBe(204)
    expect((await curl(['-X', 'PUT', '-H', 'If-None-Match: *', '--data-binary', 'n', `${server.url}/fresh.txt`])).status).toBe(201)
  })

  it('413 before reading when Content-Length is over maxUpload, nothing written', async () => {
    const before = await snapshot(fixture.root)
    const answer = await raw(server.port, 'PUT /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.[01] 413 /)
    expect(answer).not.toContain('100 Continue')
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('cuts a chunked body that passes maxUpload (413), old file untouched, no temp file', async () => {
    const before = await snapshot(fixture.root)
    const chunk = Buffer.alloc(64 * 1024, 1)
    let body = ''
    for (let i = 0; i < 20; i++) body += `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`
    body += '0\r\n\r\n'
    const answer = await raw(server.port, Buffer.from(`PUT /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 'latin1'))
    expect(answer).toMatch(/^HTTP\/1\.[01] 413 /)
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('a client that disconnects mid-body leaves the old file and no temp file', async () => {
    const before = await snapshot(fixture.root)
    const client = await RawClient.connect(server.port)
    await client.send('PUT /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n')
    await client.send(Buffer.alloc(100_000, 9))
    // Wait until the server is writing the temporary file, then vanish.
    while ((await tempFiles(fixture.root)).length === 0) await new Promise((r) => setTimeout(r, 5))
    client.destroy()
    while ((await tempFiles(fixture.root)).length > 0) await new Promise((r) => setTimeout(r, 5))
    expect(await snapshot(fixture.root)).toEqual(before)
    expect(await readFile(path.join(fixture.root, 'hello.txt'), 'utf8')).toBe('hello\n')
  })

  it('large bodies (many write batches, background syncs): byte-exact when whole; a disconnect after 20 MiB leaves the old file', async () => {
    const big = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root, upload: true, maxUpload: 1024 ** 3 }))
    try {
      // Every 4-byte word holds its own offset: a batch written twice, out of order or dropped shows.
      const size = 40 * 1024 * 1024
      const body = Buffer.alloc(size)
      for (let offset = 0; offset < size; offset += 4) body.writeUInt32LE(offset, offset)
      const source = path.join(fixture.base, 'big-source.bin')
      await writeFile(source, body)
      expect((await curl(['-T', source, `${big.url}/big.bin`])).status).toBe(201)
      expect((await readFile(path.join(fixture.root, 'big.bin'))).equals(body)).toBe(true)

      const client = await RawClient.connect(big.port)
      await client.send(`PUT /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`)
      await client.send(Buffer.alloc(20 * 1024 * 1024, 7))
      while ((await tempFiles(fixture.root)).length === 0) await new Promise((r) => setTimeout(r, 5))
      client.destroy()
      while ((await tempFiles(fixture.root)).length > 0) await new Promise((r) => setTimeout(r, 5))
      expect((await readFile(path.join(fixture.root, 'big.bin'))).equals(body)).toBe(true)
    } finally {
      await big.close()
      await rm(path.join(fixture.root, 'big.bin'), { force: true })
    }
  })

  it('a short body (half-close before Content-Length) changes nothing', async () => {
    const before = await snapshot(fixture.root)
    await raw(server.port, 'PUT /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this')
    while ((await tempFiles(fixture.root)).length > 0) await new Promise((r) => setTimeout(r, 5))
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('refuses to write into a missing directory (409) or onto a directory (405)', async () => {
    const before = await snapshot(fixture.root)
    expect((await curl(['-X', 'PUT', '--data-binary', 'x', `${server.url}/nope/x.txt`])).status).toBe(409)
    expect((await curl(['-X', 'PUT', '--data-binary', 'x', `${server.url}/docs`])).status).toBe(405)
    expect((await curl(['-X', 'PUT', '--data-binary', 'x', `${server.url}/hello.txt/x`])).status).toBe(409)
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('is 405 with Allow when uploads are off', async () => {
    const before = await snapshot(fixture.root)
    const res = await curl(['-X', 'PUT', '--data-binary', 'x', `${readOnly.url}/hello.txt`])
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS')
    expect((await curl(['-X', 'DELETE', `${readOnly.url}/hello.txt`])).status).toBe(405)
    expect((await curl(['-X', 'MKCOL', `${readOnly.url}/newdir`])).status).toBe(405)
    expect(await snapshot(fixture.root)).toEqual(before)
  })
})

describe('refused names leave the disk unchanged', () => {
  const bad: [string, number][] = [
    ['/../secret.txt', 403],
    ['/docs/../../secret.txt', 403],
    ['/%2e%2e/secret.txt', 403],
    ['/%2e%2e%2fsecret.txt', 403],
    ['/docs/..%2f..%2fsecret.txt', 403],
    ['/..%5csecret.txt', 403],
    ['/C:%5cwindows.txt', 403],
    ['/a%00.txt', 400],
    ['/%zz.txt', 400],
    ['/%c0%ae%c0%ae/secret.txt', 400],
    ['/.env', 403],
    ['/.git/config', 403],
    ['/docs/.hidden', 403],
    ['/link-out/planted.txt', 403],
    ['/link-in/planted.txt', 403],
    ['/link-out', 403],
    ['/.simplehttp-upload-abc', 403],
    ['/.well-known/acme-challenge/token', 403],
    ['/nul.txt', 403],
    ['/trailing-dot.', 403],
    ['/bad%ff.txt', 400],
    ['/%ed%b3%bf.txt', 400],
  ]
  for (const [target, status] of bad) {
    it(`PUT ${target} → ${status}`, async () => {
      const before = await snapshot(fixture.base)
      const res = await curl(['-X', 'PUT', '--data-binary', 'PWNED', `${server.url}${target}`])
      expect(res.status).toBe(status)
      expect(await snapshot(fixture.base)).toEqual(before)
      expect(await readFile(path.join(fixture.base, 'secret.txt'), 'utf8')).toBe(SECRET)
    })
  }
  it('DELETE and MKCOL through the same checks', async () => {
    const before = await snapshot(fixture.base)
    for (const target of ['/../secret.txt', '/link-out', '/link-in/a.txt', '/.env', '/%2e%2e/outside']) {
      expect((await curl(['-X', 'DELETE', `${server.url}${target}`])).status).toBe(403)
      expect((await curl(['-X', 'MKCOL', `${server.url}${target}/x`])).status).toBeGreaterThanOrEqual(400)
    }
    expect(await snapshot(fixture.base)).toEqual(before)
  })
})

describe('MKCOL and DELETE', () => {
  it('MKCOL creates a directory (201); again is 405; missing parent 409; with a body 415', async () => {
    expect((await curl(['-X', 'MKCOL', `${server.url}/made`])).status).toBe(201)
    expect((await stat(path.join(fixture.root, 'made'))).isDirectory()).toBe(true)
    expect((await curl(['-X', 'MKCOL', `${server.url}/made`])).status).toBe(405)
    expect((await curl(['-X', 'MKCOL', `${server.url}/no/such/made`])).status).toBe(409)
    expect((await curl(['-X', 'MKCOL', '--data-binary', '<x/>', `${server.url}/withbody`])).status).toBe(415)
  })

  it('DELETE removes a file and an empty directory (204)', async () => {
    await writeFile(path.join(fixture.root, 'gone.txt'), 'x')
    expect((await curl(['-X', 'DELETE', `${server.url}/gone.txt`])).status).toBe(204)
    await expect(stat(path.join(fixture.root, 'gone.txt'))).rejects.toThrow()
    expect((await curl(['-X', 'MKCOL', `${server.url}/emptied`])).status).toBe(201)
    expect((await curl(['-X', 'DELETE', `${server.url}/emptied/`])).status).toBe(204)
    expect((await curl(['-X', 'DELETE', `${server.url}/gone.txt`])).status).toBe(404)
  })

  it('a non-empty directory only with Depth: infinity; never the root', async () => {
    const before = await snapshot(fixture.root)
    expect((await curl(['-X', 'DELETE', `${server.url}/docs`])).status).toBe(409)
    expect((await curl(['-X', 'DELETE', `${server.url}/`])).status).toBe(403)
    expect(await snapshot(fixture.root)).toEqual(before)
    await curl(['-X', 'MKCOL', `${server.url}/tree`])
    await curl(['-X', 'PUT', '--data-binary', 'x', `${server.url}/tree/x.txt`])
    expect((await curl(['-X', 'DELETE', '-H', 'Depth: infinity', `${server.url}/tree`])).status).toBe(204)
    await expect(stat(path.join(fixture.root, 'tree'))).rejects.toThrow()
  })
})

describe('multipart POST to a directory', () => {
  it('stores every file part by its base name (curl -F)', async () => {
    const upload = path.join(fixture.base, 'part.txt')
    await writeFile(upload, 'part')
    const res = await curl(['-F', `a=@${upload};filename=../../escape.txt`, '-F', `b=@${upload};filename=C:\\Users\\x\\win.txt`, '-F', 'note=hi', `${server.url}/docs/`])
    expect(res.status).toBe(201)
    expect(JSON.parse(res.body)).toEqual({ files: ['/docs/escape.txt', '/docs/win.txt'] })
    expect((await readdir(path.join(fixture.root, 'docs'))).sort()).toContain('escape.txt')
    await expect(stat(path.join(fixture.base, 'escape.txt'))).rejects.toThrow()
  })

  it('duplicate names: 409 by default, nothing stored', async () => {
    const upload = path.join(fixture.base, 'form.txt')
    await writeFile(upload, 'form data')
    const before = await snapshot(fixture.root)
    const res = await curl(['-F', `f=@${upload};filename=hello.txt`, `${server.url}/`])
    expect(res.status).toBe(409)
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('rename picks "name (1).ext"; overwrite replaces', async () => {
    const renaming = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root, upload: true, onDuplicate: 'rename' }))
    const overwriting = await startHandler(DAVRequestHandler.withOptions({ directory: fixture.root, upload: true, onDuplicate: 'overwrite' }))
    try {
      const upload = path.join(fixture.base, 'form2.txt')
      await writeFile(upload, 'second')
      await writeFile(path.join(fixture.root, 'docs', 'dup.txt'), 'first')
      const res = await curl(['-F', `f=@${upload};filename=dup.txt`, `${renaming.url}/docs/`])
      expect(res.status).toBe(201)
      expect(JSON.parse(res.body)).toEqual({ files: ['/docs/dup%20%281%29.txt'] })
      expect(await readFile(path.join(fixture.root, 'docs', 'dup (1).txt'), 'utf8')).toBe('second')
      expect(await readFile(path.join(fixture.root, 'docs', 'dup.txt'), 'utf8')).toBe('first')
      expect((await curl(['-F', `f=@${upload};filename=dup.txt`, `${overwriting.url}/docs/`])).status).toBe(201)
      expect(await readFile(path.join(fixture.root, 'docs', 'dup.txt'), 'utf8')).toBe('second')
    } finally {
      await renaming.close()
      await overwriting.close()
    }
  })

  it('refuses dotfile names, over-limit forms and non-multipart bodies; disk unchanged', async () => {
    const big = path.join(fixture.base, 'big.bin')
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 3))
    const small = path.join(fixture.base, 'small.txt')
    await writeFile(small, 'x')
    const before = await snapshot(fixture.root)
    expect((await curl(['-F', `f=@${small};filename=.bashrc`, `${server.url}/`])).status).toBe(403)
    expect((await curl(['-F', `f=@${small};filename=ok.txt`, '-F', `g=@${small};filename=..`, `${server.url}/`])).status).toBe(400)
    expect((await curl(['-F', `f=@${big};filename=big.bin`, `${server.url}/`])).status).toBe(413)
    expect((await curl(['-H', 'Transfer-Encoding: chunked', '-F', `f=@${big};filename=big.bin`, `${server.url}/`])).status).toBe(413)
    expect((await curl(['--data', 'a=b', `${server.url}/`])).status).toBe(415)
    expect((await curl(['-F', `f=@${small};filename=x.txt`, `${server.url}/hello.txt`])).status).toBe(404)
    expect(await snapshot(fixture.root)).toEqual(before)
  })

  it('a browser (Accept: text/html) is sent back to the listing with 303', async () => {
    const small = path.join(fixture.base, 'page.txt')
    await writeFile(small, 'p')
    const res = await curl(['-H', 'Accept: text/html', '-F', `f=@${small};filename=from-browser.txt`, `${server.url}/docs/`])
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/docs/')
  })
})

describe('parseSize', () => {
  it('reads K/M/G suffixes and refuses the rest', () => {
    expect(parseSize('1024')).toBe(1024)
    expect(parseSize('500K')).toBe(500 * 1024)
    expect(parseSize('100M')).toBe(100 * 1024 ** 2)
    expect(parseSize('2g')).toBe(2 * 1024 ** 3)
    for (const bad of ['', '0', '-1', '1T', '1.5M', 'lots']) expect(() => parseSize(bad)).toThrow(expect.objectContaining({ code: 'SH_ERR_DAV_INVALID_OPTION' }))
  })
})

beforeEach(() => undefined)
