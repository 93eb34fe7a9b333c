import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { guessType } from '../src/index.js'

const mimeTypes = createRequire(import.meta.url)('mime-types') as { types: Record<string, string> }

describe('guessType without the MIME database at start-up', () => {
  it('answers the common extensions exactly as the mime-types database does', () => {
    for (const ext of ['html', 'htm', 'css', 'js', 'mjs', 'json', 'txt', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'woff2', 'wasm', 'pdf', 'md', 'map']) {
      expect([ext, guessType(`/a/file.${ext}`)]).toEqual([ext, mimeTypes.types[ext]])
    }
  })

  it('still finds every other extension in the database', () => {
    expect(guessType('/song.flac')).toBe(mimeTypes.types.flac)
    expect(guessType('/doc.epub')).toBe('application/epub+zip')
    expect(guessType('/x.unknown-ext')).toBe('application/octet-stream')
  })
})
