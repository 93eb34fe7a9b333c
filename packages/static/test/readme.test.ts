/**
 * The README's tables and the source stay in step: every error code, every option, every
 * CPython name in the mapping table.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { STATIC_ERRORS, SimpleHTTPRequestHandler } from '../src/index.js'
import { resolveOptions } from '../src/options.js'

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')

/** The text under `## heading`, up to the next `## `. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`)
  expect(start, heading).toBeGreaterThan(-1)
  const rest = readme.slice(start + heading.length + 5)
  const end = rest.search(/\n## /)
  return end === -1 ? rest : rest.slice(0, end)
}

/** The first-column cells of the table under `## heading`. */
function firstColumn(heading: string): string[] {
  return section(heading)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => /^\| `([^`]+)`/.exec(line)?.[1] ?? '')
}

describe('README', () => {
  it('lists exactly the error codes of the registry', () => {
    expect(firstColumn('Errors').sort()).toEqual(Object.keys(STATIC_ERRORS).sort())
    for (const code of readme.match(/SH_ERR_STATIC_[A-Z_]+/g) ?? []) expect(Object.keys(STATIC_ERRORS)).toContain(code)
  })

  it('documents every option, with a default and an example', () => {
    // extensions, fileHeadersOn304 and aboveRoot are set through serveStatic's options, not these.
    const coreOnly = ['extensions', 'fileHeadersOn304', 'aboveRoot']
    const shared = Object.keys(resolveOptions({})).filter((name) => !coreOnly.includes(name))
    expect(firstColumn('Options').sort()).toEqual(['directory', ...shared].sort())
    for (const option of [...shared, 'directory', 'fallthrough', 'prefix']) expect(readme, option).toContain(`\`${option}\` — `)
  })

  it('documents serve-static’s options and ours for serveStatic', () => {
    expect(firstColumn('serveStatic options').sort()).toEqual(
      [
        'acceptRanges', 'cacheControl', 'dotfiles', 'etag', 'extensions', 'fallthrough', 'immutable', 'index',
        'lastModified', 'maxAge', 'redirect', 'setHeaders', 'precompressed', 'followSymlinks', 'extraHeaders', 'compress', 'listing', 'archive', 'single', 'liveReload',
      ].sort(),
    )
  })

  it('maps every CPython name the issue lists', () => {
    const mapped = section("From CPython's names")
    for (const name of [
      'SimpleHTTPRequestHandler', 'do_GET', 'do_HEAD', 'translate_path', 'list_directory', 'guess_type',
      'extensions_map', 'copyfile', 'send_head', 'directory', 'index_pages', 'server_version',
    ]) {
      expect(mapped, name).toContain(name)
    }
    // and the TypeScript names exist
    const proto = SimpleHTTPRequestHandler.prototype as unknown as Record<string, unknown>
    for (const method of ['doGET', 'doHEAD', 'sendHead', 'translatePath', 'listDirectory', 'guessType', 'copyFile']) {
      expect(typeof proto[method], method).toBe('function')
    }
    expect(typeof SimpleHTTPRequestHandler.withOptions).toBe('function')
  })
})
