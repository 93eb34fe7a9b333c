/**
 * The resolver, once: every hostile target, through the lexical step and through the file
 * system (for reading and for writing), on a real tree with symlinks out of it.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fsDecode, fsEncode, isInside, isReservedName, resolveTarget, resolveUrlPath, Resolver, splitTarget } from '../src/index.js'

describe('resolveUrlPath (raw bytes, decode once as CPython, NUL, normalize and clamp, separators, dotfiles)', () => {
  const cases: [string, ReturnType<typeof resolveUrlPath>][] = [
    ['/', { ok: true, segments: [], trailingSlash: true }],
    ['/a/b.txt', { ok: true, segments: ['a', 'b.txt'], trailingSlash: false }],
    ['/a//./b/', { ok: true, segments: ['a', 'b'], trailingSlash: true }],
    ['/a/../b', { ok: true, segments: ['b'], trailingSlash: false }],
    ['/a%2fb', { ok: true, segments: ['a', 'b'], trailingSlash: false }],
    ['/a%2F', { ok: true, segments: ['a'], trailingSlash: true }],
    ['/%252e%252e', { ok: true, segments: ['%2e%2e'], trailingSlash: false }],
    ['/.well-known/x', { ok: true, segments: ['.well-known', 'x'], trailingSlash: false }],
    ['/.git/../x', { ok: true, segments: ['x'], trailingSlash: false }],
    ['/f%C3%BCnke', { ok: true, segments: ['fünke'], trailingSlash: false }],
    // posixpath.normpath: `..` clamps at the root
    ['/..', { ok: true, segments: [], trailingSlash: false }],
    ['/a/../../b', { ok: true, segments: ['b'], trailingSlash: false }],
    ['/%2e%2e/x', { ok: true, segments: ['x'], trailingSlash: false }],
    ['/..%2fx', { ok: true, segments: ['x'], trailingSlash: false }],
    ['/../../dir/test', { ok: true, segments: ['dir', 'test'], trailingSlash: false }],
    // bytes that are not UTF-8 decode with replacement; encoded surrogates stay lone surrogates
    ['/%ff', { ok: true, segments: ['\ufffd'], trailingSlash: false }],
    ['/%c0%ae', { ok: true, segments: ['\ufffd\ufffd'], trailingSlash: false }],
    ['/%ed%a0%80', { ok: true, segments: ['\ud800'], trailingSlash: false }],
    ['/caf%ED%B3%A9', { ok: true, segments: ['caf\udce9'], trailingSlash: false }],
    ['/..%5cx', { ok: false, status: 404, reason: 'backslash' }],
    ['/a\\b', { ok: false, status: 404, reason: 'backslash' }],
    ['/C:/x', { ok: false, status: 404, reason: 'drive' }],
    ['/z:', { ok: false, status: 404, reason: 'drive' }],
    ['/.env', { ok: false, status: 404, reason: 'dotfile' }],
    ['/a/.git/config', { ok: false, status: 404, reason: 'dotfile' }],
    ['/.well-known/.x', { ok: false, status: 404, reason: 'dotfile' }],
    ['/a/.well-known', { ok: false, status: 404, reason: 'dotfile' }],
    ['/%zz', { ok: false, status: 400, reason: 'bad-escape' }],
    ['/%z', { ok: false, status: 400, reason: 'bad-escape' }],
    ['/%', { ok: false, status: 400, reason: 'bad-escape' }],
    ['/\xff', { ok: false, status: 400, reason: 'raw-non-ascii' }],
    ['/f\xc3\xbcnke', { ok: false, status: 400, reason: 'raw-non-ascii' }],
    ['/日本', { ok: false, status: 400, reason: 'raw-non-ascii' }],
    ['/a%00', { ok: false, status: 400, reason: 'nul' }],
    ['*', { ok: false, status: 404, reason: 'not-origin-form' }],
  ]
  it.each(cases)('%s', (input, expected) => {
    expect(resolveUrlPath(input)).toEqual(expected)
  })

  it('with aboveRoot: refuse, `..` above the root is refused (serve-static answers 403), below it still resolves', () => {
    const refuse = { aboveRoot: 'refuse' } as const
    for (const target of ['/..', '/../x', '/%2e%2e/x', '/..%2fx', '/a/../../x', '/a/..%2F..%2Fx']) {
      expect(resolveUrlPath(target, refuse), target).toEqual({ ok: false, status: 404, reason: 'traversal' })
    }
    expect(resolveUrlPath('/a/../x', refuse)).toEqual({ ok: true, segments: ['x'], trailingSlash: false })
    expect(new Resolver('/srv/www', refuse).resolve('/a/../../x')).toEqual({ ok: false, status: 404, reason: 'traversal' })
    expect(new Resolver('/srv/www').resolve('/a/../../x')).toMatchObject({ ok: true, segments: ['x'] })
  })

  it('lets dotfiles through when allowed', () => {
    expect(resolveUrlPath('/.env', { dotfiles: true })).toEqual({ ok: true, segments: ['.env'], trailingSlash: false })
  })
})

describe('splitTarget', () => {
  it('drops fragment then query, collapses leading slashes, keeps the path of absolute-form', () => {
    expect(splitTarget('/a?b#c')).toEqual({ path: '/a', query: 'b' })
    expect(splitTarget('/a#b?c')).toEqual({ path: '/a', query: undefined })
    expect(splitTarget('//evil.com/x?y')).toEqual({ path: '/evil.com/x', query: 'y' })
    expect(splitTarget('http://host:8/p/q?x')).toEqual({ path: '/p/q', query: 'x' })
    expect(splitTarget('https://host')).toEqual({ path: '/', query: undefined })
    expect(splitTarget('http://host?x')).toEqual({ path: '/', query: 'x' })
  })
})

describe('resolveTarget (lexical, with the root)', () => {
  const root = path.resolve('/srv/www')
  it('maps a target to a path under the root, with the decoded path and the query', () => {
    expect(resolveTarget(root, '/docs/../a%20b.txt?x=1')).toEqual({
      ok: true,
      segments: ['a b.txt'],
      path: '/a b.txt',
      trailingSlash: false,
      query: 'x=1',
      fsPath: path.join(root, 'a b.txt'),
      fsBytes: undefined,
    })
    expect(resolveTarget(root, 'http://evil.example//sub/?q')).toMatchObject({ path: '/sub/', fsPath: path.join(root, 'sub') })
    expect(resolveTarget(root, '/')).toMatchObject({ path: '/', fsPath: root })
  })

  it('refuses what the lexical rules refuse', () => {
    expect(resolveTarget(root, '/../etc/passwd')).toMatchObject({ ok: true, fsPath: path.join(root, 'etc', 'passwd') })
    expect(resolveTarget(root, 'http://h/%2e%2e/etc/passwd')).toMatchObject({ ok: true, fsPath: path.join(root, 'etc', 'passwd') })
    expect(resolveTarget(root, '/x?q=\xff')).toEqual({ ok: false, status: 400, reason: 'raw-non-ascii' })
    expect(resolveTarget(root, '/%ed%a0%80')).toEqual({ ok: false, status: 404, reason: 'unencodable' })
    expect(resolveTarget(root, '/.env')).toEqual({ ok: false, status: 404, reason: 'dotfile' })
    expect(resolveTarget(root, '/.env', { dotfiles: true })).toMatchObject({ ok: true, segments: ['.env'] })
  })
})

describe('isInside (path.relative, never a string prefix)', () => {
  it.each([
    ['/www/public', '/www/public', true],
    ['/www/public', '/www/public/a', true],
    ['/www/public', '/www/public/..a', true],
    ['/www/public', '/www/public2/a', false],
    ['/www/public', '/www', false],
    ['/www/public', '/etc/passwd', false],
  ])('%s contains %s: %s', (root, candidate, inside) => {
    expect(isInside(path.resolve(root), path.resolve(candidate))).toBe(inside)
  })
})

describe('isReservedName (names a writer refuses)', () => {
  it.each(['CON', 'con.txt', 'Nul', 'COM1.log', 'lpt9', 'a.', 'a ', 'a<b', 'a:b', 'a|b', 'a"b', 'a?b', 'a*b', 'a\\b', 'a\nb', 'a\x7fb'])(
    '%j is reserved',
    (name) => { expect(isReservedName(name)).toBe(true); },
  )
  it.each(['a.txt', 'console', 'com10', 'nully', 'a b', 'fünke', '.env'])('%j is not', (name) => {
    expect(isReservedName(name)).toBe(false)
  })
})

describe('Resolver on a real tree', () => {
  let base: string
  let root: string
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-resolver-'))
    root = path.join(base, 'root')
    await mkdir(path.join(root, 'dir', 'sub'), { recursive: true })
    await writeFile(path.join(root, 'dir', 'file.txt'), 'in')
    await writeFile(path.join(root, '.env'), 'hidden')
    await mkdir(path.join(base, 'root2'))
    await writeFile(path.join(base, 'root2', 'secret.txt'), 'secret')
    await writeFile(path.join(base, 'secret.txt'), 'secret')
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'out.txt'))
    await symlink(path.join(base, 'root2'), path.join(root, 'outdir'))
    await symlink(path.join(root, 'dir'), path.join(root, 'indir'))
    await symlink(path.join(root, 'dir', 'file.txt'), path.join(root, 'dir', 'link.txt'))
  })
  afterAll(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('forRead: real path and stats for what is inside', async () => {
    const resolver = new Resolver(root)
    const found = await resolver.forRead('/dir/file.txt?x')
    expect(found).toMatchObject({ ok: true, path: '/dir/file.txt', query: 'x' })
    if (!found.ok) throw new Error('unreachable')
    expect(found.realPath).toBe(path.join(await realpath(root), 'dir', 'file.txt'))
    expect(found.stats.size).toBe(2)
    // A symlink that stays inside is followed.
    expect(await resolver.forRead('/indir/file.txt')).toMatchObject({ ok: true })
  })

  it('forRead: symlinks out, missing files and hostile targets are refused', async () => {
    const resolver = new Resolver(root)
    expect(await resolver.forRead('/out.txt')).toEqual({ ok: false, status: 404, reason: 'outside-root' })
    expect(await resolver.forRead('/outdir/secret.txt')).toEqual({ ok: false, status: 404, reason: 'outside-root' })
    expect(await resolver.forRead('/nope')).toEqual({ ok: false, status: 404, reason: 'missing' })
    expect(await resolver.forRead('/.env')).toEqual({ ok: false, status: 404, reason: 'dotfile' })
    // `..` clamps at the root: these name files inside it, which do not exist.
    expect(await resolver.forRead('/../secret.txt')).toEqual({ ok: false, status: 404, reason: 'missing' })
    expect(await resolver.forRead('/..%2fsecret.txt')).toEqual({ ok: false, status: 404, reason: 'missing' })
    expect(await resolver.forRead('/%2e%2e/root2/secret.txt')).toEqual({ ok: false, status: 404, reason: 'missing' })
    expect(await resolver.forRead('/dir/../../dir/file.txt')).toMatchObject({ ok: true, path: '/dir/file.txt' })
    expect(await resolver.forRead('/dir/file.txt%00.png')).toEqual({ ok: false, status: 400, reason: 'nul' })
    expect(await resolver.forRead('/..%5csecret.txt')).toEqual({ ok: false, status: 404, reason: 'backslash' })
  })

  it('forRead: follows symlinks out only when asked to', async () => {
    const resolver = new Resolver(root, { followSymlinks: true, dotfiles: true })
    const secret = await realpath(path.join(base, 'secret.txt'))
    expect(await resolver.forRead('/out.txt')).toMatchObject({ ok: true, realPath: secret })
    expect(await resolver.forRead('/.env')).toMatchObject({ ok: true })
  })

  it('forWrite: a new or existing file whose parent is a real directory inside the root', async () => {
    const resolver = new Resolver(root)
    const created = await resolver.forWrite('/dir/sub/new.txt')
    expect(created).toMatchObject({ ok: true, name: 'new.txt', parentPath: path.join(root, 'dir', 'sub'), existing: undefined })
    const replaced = await resolver.forWrite('/dir/file.txt')
    expect(replaced).toMatchObject({ ok: true, name: 'file.txt' })
    if (!replaced.ok) throw new Error('unreachable')
    expect(replaced.existing?.isFile()).toBe(true)
  })

  it('forWrite: refuses the root, missing parents, symlinks anywhere, reserved names and dotfiles', async () => {
    const resolver = new Resolver(root)
    const refused = async (target: string) => resolver.forWrite(target)
    expect(await refused('/')).toEqual({ ok: false, status: 404, reason: 'root' })
    expect(await refused('/nope/new.txt')).toEqual({ ok: false, status: 404, reason: 'no-parent' })
    expect(await refused('/dir/file.txt/new.txt')).toEqual({ ok: false, status: 404, reason: 'no-parent' })
    expect(await refused('/indir/new.txt')).toEqual({ ok: false, status: 404, reason: 'symlink' })
    expect(await refused('/outdir/new.txt')).toEqual({ ok: false, status: 404, reason: 'symlink' })
    expect(await refused('/out.txt')).toEqual({ ok: false, status: 404, reason: 'symlink' })
    expect(await refused('/dir/link.txt')).toEqual({ ok: false, status: 404, reason: 'symlink' })
    expect(await refused('/dir/CON')).toEqual({ ok: false, status: 404, reason: 'reserved-name' })
    expect(await refused('/dir/a.')).toEqual({ ok: false, status: 404, reason: 'reserved-name' })
    expect(await refused('/dir/a%3Cb')).toEqual({ ok: false, status: 404, reason: 'reserved-name' })
    expect(await refused('/.env')).toEqual({ ok: false, status: 404, reason: 'dotfile' })
    expect(await refused('/../../.env')).toEqual({ ok: false, status: 404, reason: 'dotfile' })
    expect(await refused('/../dir/new.txt')).toMatchObject({ ok: true, parentPath: path.join(root, 'dir') })
    expect(await refused('/dir/%00')).toEqual({ ok: false, status: 400, reason: 'nul' })
    expect(await new Resolver(root, { dotfiles: true }).forWrite('/.env')).toMatchObject({ ok: true, name: '.env' })
  })
})

describe('file names that are not UTF-8 (Python\'s surrogateescape)', () => {
  it('fsDecode and fsEncode round-trip any bytes', () => {
    for (const bytes of [Buffer.from('caf\xe9', 'latin1'), Buffer.from([0xff]), Buffer.from('日本', 'utf8'), Buffer.from([0xed, 0xa0, 0x80])]) {
      expect(fsEncode(fsDecode(bytes))).toEqual(bytes)
    }
    expect(fsDecode(Buffer.from('caf\xe9', 'latin1'))).toBe('caf\udce9')
    expect(fsEncode('\ud800')).toBeUndefined()
  })

  it('resolveTarget gives the bytes to open when a name is not UTF-8', () => {
    const found = resolveTarget('/srv', '/caf%ED%B3%A9.txt')
    expect(found).toMatchObject({ ok: true, fsPath: '/srv/caf\udce9.txt', fsBytes: Buffer.from('/srv/caf\xe9.txt', 'latin1') })
  })
})
