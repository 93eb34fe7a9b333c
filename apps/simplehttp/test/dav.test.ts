/**
 * Writes and WebDAV through the built app: curl -T/-F/-X DELETE, the start-up rules, auth,
 * rebinding and cross-site refusals, a form in headless Chromium, litmus and rclone.
 */
import { spawn } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, Spawned, cleanup, listFiles, makeTree, mustRun, pattern, runApp, runCommand, startApp, tempDir } from './helpers.js'

afterEach(cleanup)

const curl = async (...args: string[]): Promise<string> => (await mustRun('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args])).toString()

describe('uploads with curl', () => {
  it('PUT (-T), form POST (-F), MKCOL and DELETE change the disk; refusals do not', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n', 'upload.bin': pattern(200_000) })
    const app = await startApp(root, '--upload', '--delete')
    expect(await curl('-T', path.join(root, 'upload.bin'), `${app.origin}/copy.bin`)).toBe('201')
    expect((await readFile(path.join(root, 'copy.bin'))).equals(pattern(200_000))).toBe(true)
    expect(await curl('-F', `f=@${path.join(root, 'hello.txt')};filename=../../form.txt`, `${app.origin}/`)).toBe('201')
    expect(await readFile(path.join(root, 'form.txt'), 'utf8')).toBe('hello\n')
    expect(await curl('-X', 'MKCOL', `${app.origin}/dir`)).toBe('201')
    expect(await curl('-X', 'DELETE', `${app.origin}/copy.bin`)).toBe('204')
    const before = await listFiles(root)
    expect(await curl('--path-as-is', '-T', path.join(root, 'hello.txt'), `${app.origin}/../escaped.txt`)).toBe('403')
    expect(await curl('-X', 'DELETE', `${app.origin}/`)).toBe('403')
    expect(await curl('-T', path.join(root, 'hello.txt'), `${app.origin}/.env`)).toBe('403')
    expect(await listFiles(root)).toEqual(before)
    expect(await readdir(path.dirname(root))).not.toContain('escaped.txt')
  })

  it('--max-upload takes K/M/G; a curl killed mid-upload leaves the old file and no temp file', async () => {
    const root = await makeTree({ 'target.bin': 'old contents\n', 'big.bin': pattern(3 * 1024 * 1024) })
    const app = await startApp(root, '--upload', '--max-upload', '1M')
    expect(await curl('-T', path.join(root, 'big.bin'), `${app.origin}/x.bin`)).toBe('413')
    const roomy = await startApp(root, '--upload', '--max-upload', '10M')
    const child = spawn('curl', ['-s', '--limit-rate', '200K', '-T', path.join(root, 'big.bin'), `${roomy.origin}/target.bin`], { stdio: 'ignore' })
    const temps = async (): Promise<string[]> => (await readdir(root)).filter((n) => n.startsWith('.simplehttp-upload-'))
    while ((await temps()).length === 0) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGKILL')
    while ((await temps()).length > 0) await new Promise((r) => setTimeout(r, 20))
    expect(await readFile(path.join(root, 'target.bin'), 'utf8')).toBe('old contents\n')
  })
})

describe('start-up rules', () => {
  it('refuses anonymous writes on a non-loopback bind in one line, exit 2; allows them when asked', async () => {
    const root = await tempDir()
    const refused = await runApp(['-b', '0.0.0.0', '--upload', '0'], root)
    expect(refused.exit.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toContain('--allow-anonymous-writes')
    const cgi = await runApp(['-b', '127.0.0.1', '--cgi', '--upload', '0'], root)
    expect(cgi.exit.code).toBe(2)
    expect(cgi.stderr).toContain('argument --cgi: not allowed with --upload, --delete or --webdav')
    const h2 = await runApp(['-b', '127.0.0.1', '--tls-self-signed', '--http2', '-a', 'ann:pw', '0'], root)
    expect(h2.exit.code).toBe(2)
    expect(h2.stderr).toContain('argument --http2: not allowed with --upload, --delete, --webdav or --auth')
    const badSize = await runApp(['-b', '127.0.0.1', '--upload', '--max-upload', '1T', '0'], root)
    expect(badSize.exit.code).toBe(2)
    const noFile = await runApp(['-b', '127.0.0.1', '--auth-file', 'missing', '0'], root)
    expect(noFile.exit.code).toBe(2)
  })

  it('warns when passwords would travel without TLS on a network address', async () => {
    const root = await tempDir()
    const loopback = await startApp(root, '-a', 'ann:pw')
    expect(loopback.process.stdout).not.toContain('WARNING')
    const network = new Spawned(process.execPath, [BIN, '-b', '0.0.0.0', '-a', 'ann:pw', '0'], { cwd: root })
    try {
      await network.waitForStdout(/WARNING: passwords travel in clear text without TLS/)
    } finally {
      network.child.kill('SIGTERM')
      await network.waitForExit()
    }
  })
})

describe('access rules through the app', () => {
  it('auth, --auth-writes-only, rebinding and cross-site refusals', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const app = await startApp(root, '--upload', '-a', 'ann:s3cret', '--auth-writes-only', '--allowed-hosts', 'nas.lan')
    expect(await curl(`${app.origin}/hello.txt`)).toBe('200')
    expect(await curl('-T', path.join(root, 'hello.txt'), `${app.origin}/a.txt`)).toBe('401')
    expect(await curl('-u', 'ann:wrong', '-T', path.join(root, 'hello.txt'), `${app.origin}/a.txt`)).toBe('401')
    expect(await curl('-u', 'ann:s3cret', '-T', path.join(root, 'hello.txt'), `${app.origin}/a.txt`)).toBe('201')
    expect(await curl('-H', 'Host: evil.example', `${app.origin}/hello.txt`)).toBe('403')
    const page = (await mustRun('curl', ['-s', '-H', 'Host: evil.example', `${app.origin}/`])).toString()
    expect(page).toContain('--allowed-hosts evil.example')
    expect(await curl('-H', 'Host: nas.lan', `${app.origin}/hello.txt`)).toBe('200')
    expect(await curl('-u', 'ann:s3cret', '-H', 'Origin: http://evil.example', '-T', path.join(root, 'hello.txt'), `${app.origin}/b.txt`)).toBe('403')
    expect(await listFiles(root)).toEqual(['a.txt', 'hello.txt'])
  })
})

describe('passwords from an htpasswd file', () => {
  it('--auth-file takes the bcrypt ($2y$) and {SHA} lines htpasswd writes; wrong or missing passwords get 401', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const users = path.join(await tempDir(), 'users.htpasswd')
    await mustRun('htpasswd', ['-c', '-B', '-b', users, 'ann', 'bcrypt pass'])
    await mustRun('htpasswd', ['-s', '-b', users, 'bob', 'sha:pass'])
    const lines = (await readFile(users, 'utf8')).trim().split('\n')
    expect(lines[0]).toMatch(/^ann:\$2y\$/)
    expect(lines[1]).toMatch(/^bob:\{SHA\}/)
    const app = await startApp(root, '--upload', '--auth-file', users)
    const anonymous = (await mustRun('curl', ['-s', '-D', '-', '-o', '/dev/null', `${app.origin}/hello.txt`])).toString()
    expect(anonymous).toMatch(/^HTTP\/1\.1 401 /)
    expect(anonymous).toContain('WWW-Authenticate: Basic realm="simplehttp", charset="UTF-8"')
    expect(await curl('-u', 'ann:bcrypt pass', `${app.origin}/hello.txt`)).toBe('200')
    expect(await curl('-u', 'bob:sha:pass', `${app.origin}/hello.txt`)).toBe('200')
    expect(await curl('-u', 'ann:sha:pass', `${app.origin}/hello.txt`)).toBe('401')
    expect(await curl('-u', 'carl:bcrypt pass', `${app.origin}/hello.txt`)).toBe('401')
    expect(await curl('-u', 'bob:wrong', '-T', path.join(root, 'hello.txt'), `${app.origin}/new.txt`)).toBe('401')
    expect(await listFiles(root)).toEqual(['hello.txt'])
    expect(await curl('-u', 'bob:sha:pass', '-T', path.join(root, 'hello.txt'), `${app.origin}/new.txt`)).toBe('201')
    expect(await readFile(path.join(root, 'new.txt'), 'utf8')).toBe('hello\n')
  })
})

const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
}

describe('a browser form', () => {
  it('headless Chromium uploads a file through a multipart form and lands back on the listing', async () => {
    const root = await makeTree({
      'upload.html': '<form method="post" enctype="multipart/form-data" action="/inbox/"><input type="file" name="f" multiple><button>Send</button></form>',
      'inbox/.keep-dir': '',
      'photo.txt': 'pretend photo\n',
    })
    const app = await startApp(root, '--upload')
    const browser = await chromium.launch(CHROMIUM)
    try {
      const page = await browser.newPage()
      await page.goto(`${app.origin}/upload.html`)
      await page.setInputFiles('input[type=file]', path.join(root, 'photo.txt'))
      await Promise.all([page.waitForURL(`${app.origin}/inbox/`), page.click('button')])
      expect(await page.content()).toContain('photo.txt')
    } finally {
      await browser.close()
    }
    expect(await readFile(path.join(root, 'inbox', 'photo.txt'), 'utf8')).toBe('pretend photo\n')
  })

  it('the rich listing offers an upload form with --upload; Chromium uploads two files through it', async () => {
    const root = await makeTree({ 'inbox/.keep-dir': '', 'one.txt': 'one\n', 'two.txt': 'two\n' })
    const readOnly = await startApp(root, '--listing', 'rich')
    expect((await mustRun('curl', ['-s', `${readOnly.origin}/inbox/`])).toString()).not.toContain('enctype="multipart/form-data"')
    const app = await startApp(root, '--upload', '--listing', 'rich')
    const browser = await chromium.launch(CHROMIUM)
    try {
      const page = await browser.newPage()
      await page.goto(`${app.origin}/inbox/`)
      await page.setInputFiles('form.upload input[type=file]', [path.join(root, 'one.txt'), path.join(root, 'two.txt')])
      await Promise.all([page.waitForURL(`${app.origin}/inbox/`), page.click('form.upload button')])
      expect(await page.locator('td.name a').allTextContents()).toEqual(expect.arrayContaining(['one.txt', 'two.txt']))
    } finally {
      await browser.close()
    }
    expect(await readFile(path.join(root, 'inbox', 'one.txt'), 'utf8')).toBe('one\n')
    expect(await readFile(path.join(root, 'inbox', 'two.txt'), 'utf8')).toBe('two\n')
  })

  it('a form on another site that posts to the share is refused (403) and writes nothing', async () => {
    const root = await makeTree({ 'inbox/.keep-dir': '', 'hello.txt': 'hello\n' })
    const app = await startApp(root, '--upload')
    // The attacker's page is served by a second app on another address: another origin.
    const evil = await makeTree({
      'evil.html': `<form method="post" enctype="multipart/form-data" action="${app.origin}/inbox/"><input type="file" name="f"><button>Send</button></form>`,
      'payload.txt': 'planted\n',
    })
    const attacker = new Spawned(process.execPath, [BIN, '-b', '127.0.0.2', '-d', evil, '-q', '0'], { cwd: evil })
    const before = await listFiles(root)
    const browser = await chromium.launch(CHROMIUM)
    try {
      const [, attackerPort] = await attacker.waitForStdout(/port (\d+)/)
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.2:${attackerPort}/evil.html`)
      await page.setInputFiles('input[type=file]', path.join(evil, 'payload.txt'))
      const [response] = await Promise.all([page.waitForResponse(`${app.origin}/inbox/`), page.click('button')])
      expect(response.status()).toBe(403)
      expect(response.request().headers().origin).toBe(`http://127.0.0.2:${attackerPort}`)
    } finally {
      await browser.close()
      attacker.child.kill('SIGTERM')
      await attacker.waitForExit()
    }
    expect(await listFiles(root)).toEqual(before)
    expect(await curl(`${app.origin}/hello.txt`)).toBe('200')
  })
})

describe('real WebDAV clients', () => {
  it('litmus: basic, copymove and props pass (props with dead properties stored and returned)', async () => {
    const root = await tempDir()
    const app = await startApp(root, '--upload', '--delete', '--webdav', '-q')
    const result = await runCommand('litmus', [`${app.origin}/`], { cwd: root, env: { ...process.env, TESTS: 'basic copymove props' }, timeout: 120_000 })
    const out = result.stdout.toString()
    expect(out).toContain("<- summary for `basic': of 16 tests run: 16 passed, 0 failed.")
    expect(out).toContain("<- summary for `copymove': of 13 tests run: 13 passed, 0 failed.")
    // Nothing skipped: propset stores, so every propget after it runs and checks the values.
    expect(out).toContain("<- summary for `props': of 30 tests run: 30 passed, 0 failed.")
    expect(out).not.toMatch(/SKIPPED|FAIL/)
  })

  it('dead properties survive a restart of the app and are not in the listing', async () => {
    const root = await makeTree({ 'a.txt': 'alpha\n' })
    const first = await startApp(root, '--upload', '--delete', '--webdav', '--dotfiles', '-q')
    const update = '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>'
    expect(await curl('-X', 'PROPPATCH', '--data-binary', update, `${first.origin}/a.txt`)).toBe('207')
    process.kill(first.process.pid, 'SIGTERM')
    await first.process.waitForExit()
    const second = await startApp(root, '--upload', '--delete', '--webdav', '--dotfiles', '-q')
    const ask = '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:color/></D:prop></D:propfind>'
    const found = (await mustRun('curl', ['-s', '-X', 'PROPFIND', '-H', 'Depth: 0', '--data-binary', ask, `${second.origin}/a.txt`])).toString()
    expect(found).toContain('<ns0:color xmlns:ns0="urn:z">red</ns0:color>')
    const listing = (await mustRun('curl', ['-s', `${second.origin}/`])).toString()
    expect(listing).toContain('a.txt')
    expect(listing).not.toContain('simplehttp-props')
  })

  it('rclone copies a tree up over WebDAV, lists it, and syncs it back byte for byte', async () => {
    const source = await makeTree({ 'a.txt': 'alpha\n', 'sub/b.bin': pattern(300_000), 'sub/deeper/c.txt': 'gamma\n', 'ünï cödé.txt': 'utf8\n' })
    const root = await tempDir()
    const back = await tempDir()
    const app = await startApp(root, '--upload', '--delete', '--webdav', '-q')
    const remote = `:webdav,url='${app.origin}/',vendor=other:`
    const rclone = (...args: string[]): Promise<Buffer> => mustRun('rclone', ['--config', '/dev/null', '-q', ...args], { timeout: 120_000 })
    await rclone('copy', source, `${remote}share`)
    const listing = (await rclone('lsf', '-R', `${remote}share`)).toString().trim().split('\n').sort()
    expect(listing).toEqual(['a.txt', 'sub/', 'sub/b.bin', 'sub/deeper/', 'sub/deeper/c.txt', 'ünï cödé.txt'])
    await rclone('sync', `${remote}share`, back)
    for (const file of await listFiles(source)) {
      expect((await readFile(path.join(back, file))).equals(await readFile(path.join(source, file))), file).toBe(true)
    }
    expect(await listFiles(back)).toEqual(await listFiles(source))
    await writeFile(path.join(source, 'a.txt'), 'changed\n')
  })
})
