/**
 * The dev loop end to end (issue 15): `--watch` in headless Chromium (a saved page reloads, a
 * saved stylesheet is swapped without a navigation), `--single` deep links, `--open` through the
 * platform's opener, `--qr` decoded back to its URL, and the default port moving when taken.
 */
import { existsSync } from 'node:fs'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import jsQRModule from 'jsqr'
import { chromium } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, Spawned, cleanup, makeTree, mustRun, runApp, startApp, tempDir } from './helpers.js'

afterEach(cleanup)

const CHROMIUM = '/usr/bin/chromium'
// jsqr is CommonJS whose module.exports is the function; its types describe an ES default export.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

/** Run the app with its own environment; stopped by pid (SIGTERM) when `use` is done. */
async function withApp<T>(args: string[], env: NodeJS.ProcessEnv, use: (proc: Spawned) => Promise<T>): Promise<T> {
  const proc = new Spawned(process.execPath, [BIN, ...args], { env })
  try {
    return await use(proc)
  } finally {
    proc.child.kill('SIGTERM')
    await proc.waitForExit()
  }
}

describe('--watch', () => {
  it('reloads an open page when its file is saved, and swaps a saved stylesheet in place', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    const root = await makeTree({
      'index.html': '<!doctype html><html><head><link rel="stylesheet" href="site.css"></head><body><h1>first</h1></body></html>',
      'site.css': 'h1 { color: rgb(255, 0, 0) }',
    })
    const app = await startApp(root, '--watch')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      timeout: 30_000,
    })
    try {
      const page = await browser.newPage()
      await page.goto(`${app.origin}/`)
      // The page is connected once the event stream is open on the server.
      await app.process.waitForStderr('"GET /.simplehttp/events HTTP/1.1" 200')
      expect(await page.locator('script[src="/.simplehttp/client.js"]').count()).toBe(1)

      // A stylesheet: applied without a navigation (a value set on window survives).
      await page.evaluate('window.__stillHere = true')
      await writeFile(path.join(root, 'site.css'), 'h1 { color: rgb(0, 0, 255) }')
      const cssStart = Date.now()
      await page.waitForFunction('getComputedStyle(document.querySelector("h1")).color === "rgb(0, 0, 255)"', undefined, { timeout: 10_000 })
      const cssMs = Date.now() - cssStart
      expect(await page.evaluate('window.__stillHere === true')).toBe(true)

      // The page itself: reloaded with the new content.
      await writeFile(path.join(root, 'index.html'), '<!doctype html><html><body><h1>second</h1></body></html>')
      const pageStart = Date.now()
      await page.waitForFunction('document.querySelector("h1") && document.querySelector("h1").textContent === "second"', undefined, { timeout: 10_000 })
      const pageMs = Date.now() - pageStart
      // Reported, not asserted: timings belong to benchmarks (shown in the test log).
      console.log(`live reload on this machine: stylesheet swapped ${String(cssMs)} ms, page reloaded ${String(pageMs)} ms after the save`)
    } finally {
      await browser.close()
    }
  })

  it('adds nothing without --watch: no script in pages, no reserved paths', async () => {
    const root = await makeTree({ 'index.html': '<body>plain</body>' })
    const app = await startApp(root)
    expect((await mustRun('curl', ['-sS', `${app.origin}/`])).toString()).toBe('<body>plain</body>')
    expect((await mustRun('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${app.origin}/.simplehttp/client.js`])).toString()).toBe('404')
  })
})

describe('-s/--single', () => {
  it('answers browser navigations to missing paths with the app page; assets and JSON keep their 404', async () => {
    const root = await makeTree({ 'index.html': '<h1>app</h1>', 'app.js': 'boot()' })
    const app = await startApp(root, '-s')
    const fetchAs = async (target: string, accept: string) => {
      const response = await fetch(`${app.origin}${target}`, { headers: { Accept: accept } })
      return `${String(response.status)} ${await response.text()}`
    }
    expect(await fetchAs('/users/42', BROWSER_ACCEPT)).toBe('200 <h1>app</h1>')
    expect(await fetchAs('/app.js', '*/*')).toBe('200 boot()')
    expect(await fetchAs('/missing.js', '*/*')).toMatch(/^404 /)
    expect(await fetchAs('/api/users', 'application/json')).toMatch(/^404 /)
  })

  it('needs the page to exist: one line and exit 2 otherwise', async () => {
    const root = await makeTree({ 'index.html': 'x' })
    const result = await runApp(['-s', 'missing.html', '-d', root, '0'], root)
    expect(result.exit.code).toBe(2)
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toBe("simplehttp: error: argument -s/--single: no such file in the directory: 'missing.html'")
    const outside = await runApp(['--single', '../etc/passwd', '-d', root, '0'], root)
    expect(outside.exit.code).toBe(2)
  })
})

describe('-c/--cache', () => {
  it('lets browsers keep files for SECONDS, revalidate with -c 0, and never keep listings or errors', async () => {
    const root = await makeTree({ 'app.js': 'boot()', 'docs/readme.txt': 'hi' })
    const app = await startApp(root, '-c', '3600')
    const file = await fetch(`${app.origin}/app.js`)
    expect(file.headers.get('cache-control')).toBe('max-age=3600')
    const etag = file.headers.get('etag') ?? ''
    const revalidated = await fetch(`${app.origin}/app.js`, { headers: { 'If-None-Match': etag } })
    expect(revalidated.status).toBe(304)
    expect(revalidated.headers.get('cache-control')).toBe('max-age=3600')
    expect((await fetch(`${app.origin}/docs/`)).headers.get('cache-control')).toBe('no-cache')
    const missing = await fetch(`${app.origin}/gone.js`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cache-control')).toBe('no-cache')

    const zero = await startApp(root, '--cache', '0')
    expect((await fetch(`${zero.origin}/app.js`)).headers.get('cache-control')).toBe('no-cache')
    const none = await startApp(root)
    expect((await fetch(`${none.origin}/app.js`)).headers.get('cache-control')).toBeNull()
  })

  it('refuses a negative or fractional number of seconds in one line, exit 2', async () => {
    const root = await makeTree({ 'a.txt': 'a' })
    for (const bad of ['-5', '1.5', 'soon']) {
      const result = await runApp(['-d', root, '-c', bad, '0'], root)
      expect(result.exit.code).toBe(2)
      const lines = result.stderr.trimEnd().split('\n')
      expect(lines).toHaveLength(2)
      expect(lines[1]).toMatch(/^simplehttp: error: argument -c\/--cache: /)
    }
  })
})

describe('-o/--open', () => {
  it('opens the served URL plus PATH with the platform opener', async () => {
    const root = await makeTree({ 'docs/index.html': 'docs' })
    const bin = await tempDir('simplehttp-opener-')
    const record = path.join(bin, 'opened.txt')
    await writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`)
    await chmod(path.join(bin, 'xdg-open'), 0o755)
    await withApp(['-b', '127.0.0.1', '-d', root, '-o', '/docs/', '0'], { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, async (proc) => {
      const [, port] = await proc.waitForStdout(/port (\d+) /)
      while (!existsSync(record)) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await readFile(record, 'utf8')).toBe(`http://127.0.0.1:${port ?? ''}/docs/`)
    })
  })

  it('warns in one line when there is no opener, and keeps serving', async () => {
    const root = await makeTree({ 'a.txt': 'still served' })
    const empty = await tempDir('simplehttp-no-opener-')
    await withApp(['-b', '127.0.0.1', '-d', root, '--open', '0'], { ...process.env, PATH: empty }, async (proc) => {
      const [, port] = await proc.waitForStdout(/port (\d+) /)
      await proc.waitForStderr('simplehttp: warning: cannot open a browser (xdg-open not found); open http://127.0.0.1:')
      expect(await (await fetch(`http://127.0.0.1:${port ?? ''}/a.txt`)).text()).toBe('still served')
    })
  })
})

describe('--qr', () => {
  it('prints a QR code that decodes to the URL', async () => {
    const root = await makeTree({ 'a.txt': 'a' })
    const app = await startApp(root, '--qr')
    await app.process.waitForStdout(/QR code for [^\n]*:\n[\s\S]*\n\n?$/)
    const url = /QR code for (\S+):/.exec(app.process.stdout)?.[1]
    // Bound to 127.0.0.1 there is no network address: the code carries the local URL.
    expect(url).toBe(`${app.origin}/`)
    const art = app.process.stdout.slice(app.process.stdout.indexOf(':\n', app.process.stdout.indexOf('QR code for')) + 2)
    expect(decodeTerminalQR(art)).toBe(url)
  })
})

describe('the port', () => {
  it('moves to the next free one when none was given and 8000 is taken, and says so', async () => {
    const blocker = createServer()
    const blocked = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => {
        resolve(false) // something else holds it: taken all the same
      })
      blocker.listen(8000, '127.0.0.1', () => {
        resolve(true)
      })
    })
    try {
      const root = await makeTree({ 'a.txt': 'moved' })
      await withApp(['-b', '127.0.0.1', '-d', root], process.env, async (proc) => {
        const [, port] = await proc.waitForStdout(/^Serving HTTP on 127\.0\.0\.1 port (\d+) .*\nPort 8000 is in use, so this server took port \1\.\n/)
        expect(Number(port)).toBeGreaterThan(8000)
        expect(await (await fetch(`http://127.0.0.1:${port ?? ''}/a.txt`)).text()).toBe('moved')
      })
      // A port given explicitly that is taken stays an error.
      const explicit = await runApp(['-b', '127.0.0.1', '-d', root, '8000'], root)
      expect(explicit.exit.code).toBe(1)
      expect(explicit.stderr).toMatch(/^simplehttp: error: port 8000 is already in use on 127\.0\.0\.1/)
    } finally {
      if (blocked) blocker.close()
    }
  })
})

/**
 * Read uqr's compact terminal rendering back into pixels (each character is two modules high:
 * █ both dark, ▀ top dark, ▄ bottom dark, space neither) and decode it with jsQR.
 */
function decodeTerminalQR(art: string): string | undefined {
  const rows = art.split('\n').filter((line) => /[█▀▄]/.test(line))
  // Code points, not UTF-16 units: the block characters are one code point each.
  const width = Math.max(...rows.map((row) => Array.from(row).length))
  const modules: boolean[][] = []
  for (const row of rows) {
    const chars = Array.from(row.padEnd(width, ' '))
    modules.push(chars.map((c) => c === '█' || c === '▀'))
    modules.push(chars.map((c) => c === '█' || c === '▄'))
  }
  // uqr draws dark modules as filled characters on the terminal's background; scale up with a quiet zone.
  const scale = 4
  const quiet = 4
  const size = { w: (width + 2 * quiet) * scale, h: (modules.length + 2 * quiet) * scale }
  const pixels = new Uint8ClampedArray(size.w * size.h * 4).fill(255)
  modules.forEach((line, y) => {
    line.forEach((dark, x) => {
      if (!dark) return
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const offset = (((y + quiet) * scale + dy) * size.w + (x + quiet) * scale + dx) * 4
          pixels[offset] = pixels[offset + 1] = pixels[offset + 2] = 0
        }
      }
    })
  })
  return jsQR(pixels, size.w, size.h, { inversionAttempts: 'attemptBoth' })?.data
}
