import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLI_ERRORS, formatHelp, formatUsage } from '../src/index.js'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it('lists every error code with its meaning (the fastify check)', () => {
    for (const [code, meaning] of Object.entries(CLI_ERRORS)) {
      expect(README).toContain(`| \`${code}\` |`)
      expect(README).toContain(meaning)
    }
  })

  it('has a row for every flag in the usage', () => {
    const flags = formatUsage().match(/(?<=[\s[])--?[a-zA-Z][\w-]*/g) ?? []
    expect(flags.length).toBeGreaterThan(15)
    for (const flag of new Set(flags)) expect(README).toMatch(new RegExp(`^\\| \`[^|]*${flag}\\b`, 'm'))
  })

  it('shows the usage exactly as --help prints it', () => {
    const usage = formatHelp().split('\n\n')[0] ?? ''
    expect(README).toContain('```\n' + usage + '\n```')
  })
})
