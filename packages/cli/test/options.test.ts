import { describe, expect, it } from 'vitest'
import { OPTIONS, formatHelp, optionsFor, parseArgs } from '../src/index.js'
import type { HandlerSettings, OptionRow } from '../src/index.js'

const ROWS = (OPTIONS as readonly OptionRow[]).filter((row) => 'key' in row)

describe('the option table', () => {
  it('declares every option string and every key once', () => {
    const flags = (OPTIONS as readonly OptionRow[]).flatMap((row) => row.flags)
    expect(new Set(flags).size).toBe(flags.length)
    const keys = ROWS.map((row) => row.key)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('routes no two rows to the same option of the same class (settings are flat)', () => {
    const options = ROWS.flatMap((row) => (row.to === undefined ? [] : [row.to.option]))
    expect(new Set(options).size).toBe(options.length)
    expect(options).not.toContain('directory')
  })

  it('names a row that exists in every `requires`', () => {
    for (const row of ROWS) if (row.requires !== undefined) expect(ROWS.map((r) => r.key)).toContain(row.requires)
  })

  it('puts every row in --help', () => {
    const help = formatHelp()
    for (const row of OPTIONS) expect(help).toContain(`  ${row.flags.join(', ')}`)
  })
})

describe('optionsFor', () => {
  const settings: HandlerSettings = {
    directory: '/srv',
    cgi: true,
    protocolVersion: 'HTTP/1.0',
    quiet: true,
    extraHeaders: [['X-A', 'b']],
    followSymlinks: false,
    dotfiles: true,
    precompressed: false,
    compress: false,
    watch: false,
    single: undefined,
    listing: 'rich',
    archive: true,
    cacheSeconds: undefined,
    upload: true,
    delete: false,
    webdav: false,
    maxUpload: undefined,
    onDuplicate: 'rename',
  }

  it('gives a handler class the directory and exactly the rows routed to `handler`', () => {
    expect(optionsFor(settings, 'handler')).toEqual({
      directory: '/srv',
      extraHeaders: [['X-A', 'b']],
      followSymlinks: false,
      dotfiles: true,
      precompressed: false,
      compress: false,
      listing: 'rich',
      archive: true,
    })
  })

  it('gives the CGI and dav classes only their own rows', () => {
    expect(optionsFor(settings, 'cgi')).toEqual({})
    expect(optionsFor(settings, 'dav')).toEqual({ upload: true, delete: false, webdav: false, onDuplicate: 'rename' })
  })

  it('carries a parsed flag to its handler option', () => {
    const parsed = parseArgs(['--dotfiles', '--follow-symlinks'])
    if (parsed.kind !== 'serve') throw new Error(parsed.kind)
    expect(parsed.args.dotfiles).toBe(true)
    expect(parsed.args.followSymlinks).toBe(true)
  })
})
