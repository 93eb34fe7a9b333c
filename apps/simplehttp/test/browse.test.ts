/**
 * `--listing` and `--archive` end to end through the built app: the rich listing in headless
 * Chromium (light and dark, sorting and filtering without JavaScript), JSON and 304s through
 * curl, archives downloaded with curl and unpacked by unzip, Python's zipfile, bsdtar and GNU
 * tar, and the memory bound: a 2 GiB folder of sparse files must not raise the server's peak RSS
 * by more than 32 MiB.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'parse5'
import { chromium } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { USAGE, cleanup, listFiles, makeTree, mustRun, runApp, startApp, tempDir } from './helpers.js'
import { decodePNG, pixelsUnlikeBackground } from './png.js'

afterEach(cleanup)

const CHROMIUM = '/usr/bin/chromium'
const MiB = 1024 * 1024

const FILES = {
  'docs/file10.txt': 'ten\n',
  'docs/file2.txt': 'two, and longer than ten\n',
  'docs/File1.txt': 'one\n',
  'docs/guide/intro.md': '# intro\n',
  'docs/<img src=x onerror=alert(1)> & "q".txt': 'tricky\n',
  'docs/fünke.txt': 'umlaut\n',
  'docs/.secret': 'hidden\n',
}

interface ParsedNode {
  readonly tagName?: string
  readonly nodeName: string
  readonly value?: string
  readonly attrs?: readonly { name: string; value: string }[]
  readonly childNodes?: readonly ParsedNode[]
}

function elements(node: ParsedNode, tag: string, out: ParsedNode[] = []): ParsedNode[] {
  if (node.tagName === tag) out.push(node)
  for (const child of node.childNodes ?? []) elements(child, tag, out)
  return out
}

function textOf(node: ParsedNode): string {
  return node.nodeName === '#text' ? (node.value ?? '') : (node.childNodes ?? []).map(textOf).join('')
}

function curl(...args: string[]): Promise<Buffer> {
  return mustRun('curl', ['-sS', '--max-time', '60', ...args])
}

/**
 * In the page: every visible piece of text whose contrast with the background it is drawn on
 * is below WCAG AA's 4.5:1, as `text: ratio`. A string, so the test needs no DOM types.
 */
const POOR_CONTRAST = `(() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number)
  const luminance = ([r, g, b]) => {
    const linear = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
  }
  const background = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const c = rgb(getComputedStyle(at).backgroundColor)
      if (c.length === 3 || (c.length === 4 && c[3] !== 0)) return c.slice(0, 3)
    }
    return [255, 255, 255]
  }
  const out = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement
    if (!el || node.textContent.trim() === '' || el.getClientRects().length === 0) continue
    const fg = luminance(rgb(getComputedStyle(el).color))
    const bg = luminance(background(el))
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)
    if (ratio < 4.5) out.push(node.textContent.trim().slice(0, 30) + ': ' + ratio.toFixed(2))
  }
  return out
})()`

describe('--listing and --archive', () => {
  it('--listing refuses an unknown mode with a usage error (exit 2)', async () => {
    const root = await tempDir()
    const result = await runApp(['--listing', 'fancy'], root)
    expect(result.exit.code).toBe(2)
    expect(result.stderr).toBe(`${USAGE}\nsimplehttp: error: argument --listing: invalid choice: 'fancy' (choose from python, rich, off)\n`)
  })

  it('--archive with --cgi is a usage error: an archive would hand out the scripts\' source', async () => {
    const root = await makeTree({ 'cgi-bin/run.sh': { data: '#!/bin/sh\necho SOURCE\n', mode: 0o755 } })
    const result = await runApp(['--cgi', '--archive'], root)
    expect(result.exit.code).toBe(2)
    expect(result.stderr).toBe(`${USAGE}\nsimplehttp: error: argument --archive: not allowed with argument --cgi\n`)
  })

  it('--listing off: a folder without an index page is 404, files are served', async () => {
    const root = await makeTree(FILES)
    const app = await startApp(root, '--listing', 'off')
    const head = (await curl('-o', '/dev/null', '-w', '%{http_code}', `${app.origin}/docs/`)).toString()
    expect(head).toBe('404')
    expect((await curl(`${app.origin}/docs/file2.txt`)).toString()).toBe(FILES['docs/file2.txt'])
  })

  it('the default stays CPython\'s listing, and answers JSON too', async () => {
    const root = await makeTree(FILES)
    const app = await startApp(root)
    expect((await curl(`${app.origin}/docs/`)).toString()).toContain('<title>Directory listing for /docs/</title>')
    const json = JSON.parse((await curl('-H', 'Accept: application/json', `${app.origin}/docs/`)).toString()) as { path: string }
    expect(json.path).toBe('/docs/')
  })

  it('--listing rich: parsed page, JSON, sorting, filtering and 304 through curl', async () => {
    const root = await makeTree(FILES)
    const app = await startApp(root, '--listing', 'rich', '--archive')
    const html = (await curl(`${app.origin}/docs/?sort=name`)).toString()
    const doc = parse(html) as unknown as ParsedNode
    const names = elements(elements(doc, 'tbody')[0] as ParsedNode, 'tr')
      .filter((tr) => tr.attrs?.some((a) => a.name === 'class' && (a.value === 'file' || a.value === 'dir')))
      .map((tr) => textOf(elements(tr, 'a')[0] as ParsedNode))
    expect(names).toEqual(['guide/', '<img src=x onerror=alert(1)> & "q".txt', 'File1.txt', 'file2.txt', 'file10.txt', 'fünke.txt'])
    expect(elements(doc, 'img')).toHaveLength(0)
    expect(elements(doc, 'script')).toHaveLength(0)

    const json = JSON.parse((await curl(`${app.origin}/docs/?json&sort=size&order=desc&q=file`)).toString()) as {
      entries: { name: string; size: number }[]
    }
    expect(json.entries.map((e) => e.name)).toEqual(['file2.txt', 'file10.txt', 'File1.txt'])

    const headers = (await curl('-D', '-', '-o', '/dev/null', `${app.origin}/docs/`)).toString()
    const etag = /^etag: (.+)\r$/im.exec(headers)?.[1]
    expect(etag).toMatch(/^"/)
    expect(headers).toMatch(/^vary: Accept\r$/im)
    const again = await curl('-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: ${etag ?? ''}`, `${app.origin}/docs/`)
    expect(again.toString()).toBe('304')
  })

  it('--archive: the ZIP and the tar.gz unpack to the same bytes with unzip, zipfile, bsdtar and tar', async () => {
    const root = await makeTree(FILES)
    const app = await startApp(root, '--listing', 'rich', '--archive')
    const work = await tempDir()
    const zip = path.join(work, 'docs.zip')
    const headers = (await curl('-D', '-', '-o', zip, `${app.origin}/docs/?download=zip`)).toString()
    expect(headers).toMatch(/^content-disposition: attachment; filename="docs\.zip"\r$/im)
    expect(Number(/^content-length: (\d+)\r$/im.exec(headers)?.[1])).toBe((await readFile(zip)).length)
    await mustRun('unzip', ['-tq', zip])
    const expected = Object.keys(FILES)
      .filter((name) => !name.endsWith('.secret'))
      .map((name) => name.slice('docs/'.length))
      .sort()
    const tgz = path.join(work, 'docs.tar.gz')
    await curl('-o', tgz, `${app.origin}/docs/?download=tar.gz`)
    const unpackers: [string, string, string[]][] = [
      ['unzip', 'unzip', ['-q', zip, '-d']],
      ['zipfile', 'python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zip]],
      ['bsdtar-zip', 'bsdtar', ['-xf', zip, '-C']],
      ['tar', 'tar', ['-xzf', tgz, '-C']],
      ['bsdtar-tgz', 'bsdtar', ['-xzf', tgz, '-C']],
    ]
    for (const [label, command, args] of unpackers) {
      const out = path.join(work, label)
      await mkdir(out)
      await mustRun(command, [...args, out])
      expect(await listFiles(out), label).toEqual(expected)
      for (const name of expected) {
        expect(await readFile(path.join(out, name), 'utf8'), `${label}: ${name}`).toBe(FILES[`docs/${name}` as keyof typeof FILES])
      }
    }
  })

  it('--archive streams a 2 GiB folder without raising the peak RSS by more than 32 MiB', async () => {
    const root = await tempDir()
    await mkdir(path.join(root, 'big'))
    await mkdir(path.join(root, 'warm'))
    // Sparse: two 1 GiB files that take no disk space (and 32 MiB to warm up with).
    for (const [name, size] of [['big/a.bin', 1024 * MiB], ['big/b.bin', 1024 * MiB], ['warm/w.bin', 32 * MiB]] as const) {
      await writeFile(path.join(root, name), '')
      await truncate(path.join(root, name), size)
    }
    await writeFile(path.join(root, 'big', 'note.txt'), 'small\n')
    const app = await startApp(root, '--listing', 'rich', '--archive', '-q')
    const status = (): Promise<string> => readFile(`/proc/${app.process.pid}/status`, 'utf8')
    const kib = (text: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1])
    // 2 GiB through loopback takes seconds, but a minute or more on a machine busy with other
    // work: each download gets two minutes, the whole test five.
    const fetchAll = (target: string, ...args: string[]): Promise<Buffer> =>
      mustRun('curl', ['-sS', '--max-time', '120', '-o', '/dev/null', ...args, `${app.origin}${target}`], { timeout: 125_000 })
    // Warm up (code paths compiled, buffers allocated) on a smaller folder, then reset the peak to now.
    for (const format of ['zip', 'tar.gz']) await fetchAll(`/warm/?download=${format}`)
    for (const format of ['zip', 'tar.gz']) {
      await writeFile(`/proc/${app.process.pid}/clear_refs`, '5')
      const before = kib(await status(), 'VmRSS')
      const out = (await fetchAll(`/big/?download=${format}`, '-w', '%{size_download} %{http_code}')).toString()
      const [size, code] = out.split(' ')
      expect(code).toBe('200')
      if (format === 'zip') expect(Number(size)).toBeGreaterThan(2048 * MiB)
      const peak = kib(await status(), 'VmHWM')
      expect(peak - before, `${format}: peak ${peak} kB vs ${before} kB before`).toBeLessThanOrEqual(32 * 1024)
    }
  }, 300_000)

  it('is accessible in headless Chromium: named landmarks and controls, keyboard-only sort and filter, contrast, no sideways scroll on a phone', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    const long = `${'averyveryverylongname'.repeat(6)}.txt`
    const root = await makeTree({ ...FILES, [`docs/${long}`]: 'long\n' })
    const app = await startApp(root, '--listing', 'rich', '--archive')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      timeout: 30_000,
    })
    try {
      // The accessibility tree: what a screen reader is given.
      const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, javaScriptEnabled: false })
      const page = await context.newPage()
      await page.goto(`${app.origin}/docs/?sort=size&order=desc`)
      expect(await page.locator('html').getAttribute('lang')).toBe('en')
      const tree = await page.locator('body').ariaSnapshot()
      for (const line of [
        '- navigation "Breadcrumbs"',
        '- search:',
        '- searchbox "Filter names"',
        '- button "Filter"',
        '- table:',
        '- columnheader "Name"',
        '- columnheader "Size ▼"',
        '- columnheader "Modified"',
        '- link "ZIP"',
        '- link "tar.gz"',
        '- link "guide/"',
      ]) {
        expect(tree, line).toContain(line)
      }
      // The sorted column says so, and which way; the others say nothing.
      expect(await page.getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort')).toBe('descending')
      expect(await page.getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBeNull()

      // Keyboard only, no script: Tab to the filter, type, Enter; Tab on to a header, Enter.
      await page.goto(`${app.origin}/docs/`)
      let tabs = 0
      while (!(await page.evaluate<boolean>('document.activeElement?.getAttribute("type") === "search"'))) {
        expect(++tabs, 'Tab never reaches the filter').toBeLessThan(20)
        await page.keyboard.press('Tab')
      }
      await page.keyboard.type('FILE')
      await page.keyboard.press('Enter')
      await page.waitForURL(/q=FILE/)
      expect(await page.locator('tbody tr:not(.up) td.name a').allTextContents()).toEqual(['File1.txt', 'file2.txt', 'file10.txt'])
      tabs = 0
      while ((await page.evaluate<string>('document.activeElement?.textContent ?? ""')) !== 'Size') {
        expect(++tabs, 'Tab never reaches the Size header').toBeLessThan(30)
        await page.keyboard.press('Tab')
      }
      // The focused link shows a focus ring.
      expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none')
      await page.keyboard.press('Enter')
      await page.waitForURL(/sort=size&order=asc&q=FILE/)
      expect(await page.locator('tbody tr:not(.up) td.name a').allTextContents()).toEqual(['File1.txt', 'file10.txt', 'file2.txt'])
      await context.close()

      for (const colorScheme of ['light', 'dark'] as const) {
        // A phone: 360 CSS pixels wide, touch, device scale 2.
        const phone = await browser.newContext({
          viewport: { width: 360, height: 740 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
          colorScheme,
        })
        const view = await phone.newPage()
        await view.goto(`${app.origin}/docs/`)
        const widths = await view.evaluate<{ page: number; screen: number }>('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })')
        expect(widths.page, `${colorScheme}: the page is wider than the phone`).toBeLessThanOrEqual(widths.screen)
        expect(await view.getByRole('link', { name: long }).isVisible()).toBe(true)
        // WCAG AA contrast (4.5:1) of every piece of text against the background it is drawn on.
        const poor = await view.evaluate<string[]>(POOR_CONTRAST)
        expect(poor, colorScheme).toEqual([])
        await phone.close()
      }
    } finally {
      await browser.close()
    }
  })

  it('renders the rich listing in headless Chromium, light and dark, and sorts and filters without JavaScript', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    const root = await makeTree(FILES)
    const app = await startApp(root, '--listing', 'rich', '--archive')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      timeout: 30_000,
    })
    try {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport: { width: 800, height: 600 }, colorScheme: scheme, javaScriptEnabled: false })
        const page = await context.newPage()
        const response = await page.goto(`${app.origin}/docs/`)
        expect(response?.status()).toBe(200)
        expect(await page.title()).toBe('Index of /docs/')
        const image = decodePNG(await page.screenshot())
        expect(pixelsUnlikeBackground(image), scheme).toBeGreaterThan(500)
        // The background follows the colour scheme.
        const [r, g, b] = image.pixels.subarray(0, 3)
        const brightness = ((r ?? 0) + (g ?? 0) + (b ?? 0)) / 3
        if (scheme === 'light') expect(brightness).toBeGreaterThan(200)
        else expect(brightness).toBeLessThan(60)

        // Sort by size, descending, by following the header links (no script runs: JavaScript is off).
        await page.getByRole('link', { name: 'Size' }).click()
        await page.waitForURL(/sort=size&order=asc/)
        await page.getByRole('link', { name: 'Size' }).click()
        await page.waitForURL(/sort=size&order=desc/)
        const rows = await page.locator('tbody tr:not(.up) td.name a').allTextContents()
        expect(rows.slice(0, 2)).toEqual(['guide/', 'file2.txt'])

        // Filter with the form.
        await page.getByRole('searchbox', { name: 'Filter names' }).fill('FILE1')
        await page.getByRole('button', { name: 'Filter' }).click()
        await page.waitForURL(/q=FILE1/)
        expect(await page.locator('tbody tr:not(.up) td.name a').allTextContents()).toEqual(['file10.txt', 'File1.txt'])

        // Breadcrumbs lead back to the root.
        await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: '/' }).click()
        await page.waitForURL(`${app.origin}/`)
        expect(await page.locator('tbody tr:not(.up) td.name a').allTextContents()).toEqual(['docs/'])
        await context.close()
      }
    } finally {
      await browser.close()
    }
  })
})
