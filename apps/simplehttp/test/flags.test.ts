/**
 * The flags the README's examples use, end to end: `--precompressed`, `--cors`, `-H`, `-q`,
 * `--dotfiles` and the dotfile default.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, header, makeTree, mustRun, splitResponse, startApp } from './helpers.js'

afterEach(cleanup)

const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))})\n`
const GZ = gzipSync(SCRIPT, { level: 1 })

describe('flags from the README', () => {
  it('--precompressed --cors -H: the .br/.gz sibling by Accept-Encoding, and the extra headers', async () => {
    const root = await makeTree({
      'app.js': SCRIPT,
      'app.js.gz': GZ,
      'app.js.br': brotliCompressSync(SCRIPT),
      '.env': 'SECRET=1\n',
    })
    const app = await startApp(root, '--precompressed', '--cors', '-H', 'Cache-Control: no-store')

    const br = splitResponse(await mustRun('curl', ['-sS', '-I', '-H', 'Accept-Encoding: br, gzip', `${app.origin}/app.js`]), 'HEAD')
    expect(header(br.headers, 'Content-Encoding')).toBe('br')
    expect(header(br.headers, 'Content-type')).toBe('text/javascript')
    expect(header(br.headers, 'Vary')).toBe('Accept-Encoding')
    expect(header(br.headers, 'Access-Control-Allow-Origin')).toBe('*')
    expect(header(br.headers, 'Cache-Control')).toBe('no-store')

    // curl --compressed asks for gzip (and more) and decodes what it gets: the original bytes.
    expect((await mustRun('curl', ['-sS', '--compressed', `${app.origin}/app.js`])).toString()).toBe(SCRIPT)
    const gz = splitResponse(await mustRun('curl', ['-sS', '-i', '-H', 'Accept-Encoding: gzip', `${app.origin}/app.js`]))
    expect(header(gz.headers, 'Content-Encoding')).toBe('gzip')
    // The sibling on disk, sent as it is (not compressed again on the fly).
    expect(gz.body.equals(GZ)).toBe(true)

    // A client that accepts nothing compressed gets the plain file.
    const plain = splitResponse(await mustRun('curl', ['-sS', '-i', `${app.origin}/app.js`]))
    expect(header(plain.headers, 'Content-Encoding')).toBeUndefined()
    expect(plain.body.toString()).toBe(SCRIPT)

    // Dotfiles stay hidden by default, and out of the listing.
    expect(splitResponse(await mustRun('curl', ['-sS', '-I', `${app.origin}/.env`]), 'HEAD').status).toBe('HTTP/1.1 404 File not found')
    expect((await mustRun('curl', ['-sS', `${app.origin}/`])).toString()).not.toContain('.env')
  })

  it('--dotfiles: serves and lists names that start with a dot', async () => {
    const root = await makeTree({ '.env': 'SECRET=1\n', 'index.txt': 'x\n' })
    const app = await startApp(root, '--dotfiles')
    expect((await mustRun('curl', ['-sS', `${app.origin}/.env`])).toString()).toBe('SECRET=1\n')
    expect((await mustRun('curl', ['-sS', `${app.origin}/`])).toString()).toContain('<a href=".env">.env</a>')
  })

  it('-q: no access log', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const app = await startApp(root, '-q')
    expect((await mustRun('curl', ['-sS', `${app.origin}/hello.txt`])).toString()).toBe('hello\n')
    expect((await mustRun('curl', ['-sS', '-o', '/dev/null', `${app.origin}/missing`])).toString()).toBe('')
    // Stopped first, so that everything it wrote has been read.
    process.kill(app.process.pid, 'SIGTERM')
    expect(await app.process.waitForExit()).toEqual({ code: 0, signal: null })
    expect(app.process.stderr).toBe('')
  })
})
