/**
 * `wget -r -np -nH`: mirroring a served tree by following the listings, the way people copy a
 * folder from a `python -m http.server` on another machine.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, listFiles, makeTree, mustRun, pattern, startApp, tempDir } from './helpers.js'

afterEach(cleanup)

// Nested folders, a name with a space, non-ASCII names (two- and three-byte UTF-8, whose bytes
// wget must not escape), an empty file and binary files, one larger than a socket buffer.
const FILES: Readonly<Record<string, string | Buffer>> = {
  'hello.txt': 'hello\n',
  'empty.txt': '',
  'a b.txt': 'a name with a space\n',
  'data.bin': pattern(300_000, 7),
  'docs/readme.txt': 'read me\n',
  'docs/guide/intro.md': '# Intro\n\nSome *markdown*.\n',
  'docs/guide/deep er/notes.txt': 'deep notes\n',
  'docs/guide/deep er/tiny.bin': pattern(17, 3),
  'fünf/ünïcødé.txt': 'unicode name\n',
  'fünf/日本語.txt': '日本語の内容\n',
  'fünf/sub dir/x.txt': 'x\n',
}

describe('wget', () => {
  it('-r -np -nH mirrors every file byte-identical', async () => {
    const root = await makeTree(FILES)
    const app = await startApp(root)
    const into = await tempDir()

    await mustRun('wget', ['-r', '-np', '-nH', '-q', `${app.origin}/`], {
      cwd: into,
      // A UTF-8 locale, as on any desktop: wget keeps UTF-8 file names as they are.
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
      timeout: 60_000,
    })

    const got = await listFiles(into)
    // Every directory's listing arrives as its index.html; everything else is a served file.
    const listings = got.filter((name) => name === 'index.html' || name.endsWith('/index.html'))
    expect(listings.sort()).toEqual(
      ['', 'docs/', 'docs/guide/', 'docs/guide/deep er/', 'fünf/', 'fünf/sub dir/'].map((dir) => `${dir}index.html`).sort(),
    )
    expect(got.filter((name) => !listings.includes(name))).toEqual(Object.keys(FILES).sort())
    for (const [name, data] of Object.entries(FILES)) {
      const copy = await readFile(path.join(into, ...name.split('/')))
      expect(copy.equals(Buffer.from(data)), name).toBe(true)
    }
    // wget asked for every file by its percent-encoded name, and each was answered with 200.
    await app.process.waitForStderr('"GET /f%C3%BCnf/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt HTTP/1.1" 200 -')
    await app.process.waitForStderr('"GET /docs/guide/deep%20er/notes.txt HTTP/1.1" 200 -')
    // Nothing failed but wget's look for robots.txt. (Stopped first, so the whole log is read.)
    process.kill(app.process.pid, 'SIGTERM')
    expect(await app.process.waitForExit()).toEqual({ code: 0, signal: null })
    const failed = app.process.stderr.split('\n').filter((line) => /" [45]\d\d -$/.test(line))
    expect(failed.filter((line) => !line.includes('"GET /robots.txt '))).toEqual([])
  })
})
