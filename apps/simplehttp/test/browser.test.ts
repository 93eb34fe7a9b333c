/**
 * A real browser: headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * opens the listing, clicks into a folder, follows a link to a text file, reads it, and takes
 * a screenshot that must show a rendered page.
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, makeTree, startApp } from './helpers.js'
import { decodePNG, pixelsUnlikeBackground } from './png.js'

afterEach(cleanup)

/** Debian's chromium package; `.ci/run` installs it when it is missing. */
const CHROMIUM = '/usr/bin/chromium'

const TEXT = 'Hello from simplehttp.\nThis file was reached by clicking links in a directory listing.'

describe('headless Chromium', () => {
  it('browses listing → folder → text file, reads the text, and renders a non-blank screenshot', async () => {
    // Deliberately a failure, not a skip: without a browser this test proves nothing.
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)

    const root = await makeTree({
      'index-less.txt': 'the root has no index.html, so it is listed\n',
      'notes/read me ü.txt': `${TEXT}\n`,
      'notes/other.txt': 'other\n',
      'notes/deeper/x.txt': 'x\n',
    })
    const app = await startApp(root)

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      timeout: 30_000,
    })
    try {
      const page = await browser.newPage({ viewport: { width: 800, height: 600 } })

      const response = await page.goto(`${app.origin}/`)
      expect(response?.status()).toBe(200)
      expect(await page.title()).toBe('Directory listing for /')

      await page.getByRole('link', { name: 'notes/' }).click()
      await page.waitForURL(`${app.origin}/notes/`)
      expect(await page.locator('h1').textContent()).toBe('Directory listing for /notes/')
      expect(await page.getByRole('listitem').allTextContents()).toEqual(['deeper/', 'other.txt', 'read me ü.txt'])

      await page.getByRole('link', { name: 'read me ü.txt' }).click()
      await page.waitForURL(`${app.origin}/notes/read%20me%20%C3%BC.txt`)
      expect((await page.locator('body').innerText()).trim()).toBe(TEXT)

      const image = decodePNG(await page.screenshot())
      expect([image.width, image.height]).toEqual([800, 600])
      // Text was drawn: a blank page is one colour throughout.
      expect(pixelsUnlikeBackground(image)).toBeGreaterThan(200)
    } finally {
      await browser.close()
    }

    await app.process.waitForStderr('"GET /notes/ HTTP/1.1" 200 -')
    await app.process.waitForStderr('"GET /notes/read%20me%20%C3%BC.txt HTTP/1.1" 200 -')
  })
})
