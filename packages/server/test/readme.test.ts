import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SERVER_ERRORS } from '../src/index.js'

// The fastify check: a code users can meet is a code they can look up.
describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const errors = readme.slice(readme.indexOf('## Errors'))
  const tableCodes = [...errors.matchAll(/^\| `(SH_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1])

  it('lists every error code in its Errors table, and no other', () => {
    expect(readme).toContain('## Errors')
    expect(tableCodes.sort()).toEqual(Object.keys(SERVER_ERRORS).sort())
  })
})
