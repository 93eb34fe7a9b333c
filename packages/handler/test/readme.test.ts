import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { HANDLER_ERRORS } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The first column of every row of the table under `## Errors`. */
function errorTableCodes(): string[] {
  const section = readme.split(/^## Errors$/m)[1]?.split(/^## /m)[0] ?? ''
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1] as string)
}

describe('README', () => {
  it('lists every code of HANDLER_ERRORS in its Errors table, and no other', () => {
    expect(errorTableCodes().sort()).toEqual(Object.keys(HANDLER_ERRORS).sort())
  })
})
