#!/usr/bin/env node
// The attack suite. `node run.mjs` attacks the built simplehttp app, then Express 5 with our
// serveStatic() (`--target serve-static` for that alone); `--target python` attacks
// `python3 -m http.server --cgi`; `--target both` runs both; `--write-results` runs both and
// writes RESULTS.md. `--only <text>` keeps the cases whose family or name contains the text.
// Prints a table of cases and ends with `N passed, N failed`; the exit code is 1 if any failed.
import console from 'node:console'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { cgi } from './cases/cgi.mjs'
import { framing } from './cases/framing.mjs'
import { checkLog, headerInjection, hostReflection, logInjection, openRedirect, xss } from './cases/injection.mjs'
import { limits } from './cases/limits.mjs'
import { listing } from './cases/listing.mjs'
import { methods } from './cases/methods.mjs'
import { cpythonPaths } from './cases/paths.mjs'
import { serveStaticAdvisories } from './cases/serve-static.mjs'
import { strict } from './cases/strict.mjs'
import { dotfiles, symlinks, traversal } from './cases/traversal.mjs'
import { writes } from './cases/writes.mjs'
import { makeFixture } from './lib/fixture.mjs'
import { describeRecords, runSuite } from './lib/suite.mjs'
import { APP, Target } from './lib/target.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))

/** The last case: everything every case made the server log, in one piece, must be clean. */
const wholeLog = {
  family: 'log-injection',
  name: 'the whole stderr log of the run',
  run: (ctx) => {
    checkLog(ctx.wholeLog())
    return `${ctx.wholeLog().length} bytes, clean`
  },
}

const ALL = [
  ...traversal,
  ...cpythonPaths,
  ...symlinks,
  ...dotfiles,
  ...framing,
  ...strict,
  ...headerInjection,
  ...hostReflection,
  ...openRedirect,
  ...xss,
  ...listing,
  ...logInjection,
  ...methods,
  ...cgi,
  ...limits,
  ...writes,
]

/**
 * `--target serve-static` (Express 5 with our serveStatic()): the families about what a static
 * middleware answers. Framing, limits and methods are Node's and Express's; it runs no CGI and
 * writes no log.
 */
const SERVE_STATIC = [...traversal, ...symlinks, ...dotfiles, ...hostReflection, ...openRedirect, ...xss, ...serveStaticAdvisories]

function parseArgs(argv) {
  const options = { targets: ['simplehttp', 'serve-static'], write: false, only: undefined }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]
    if (arg === '--target') {
      const value = argv[++i]
      if (value === 'both') options.targets = ['simplehttp', 'python']
      else if (value === 'simplehttp' || value === 'python' || value === 'serve-static') options.targets = [value]
      else throw new Error(`--target takes simplehttp, python, serve-static or both, not ${value}`)
    } else if (arg === '--write-results') {
      options.write = true
      options.targets = ['simplehttp', 'python']
    } else if (arg === '--only') {
      options.only = argv[++i]
    } else {
      throw new Error(`unknown argument ${arg}; usage: node run.mjs [--target simplehttp|python|serve-static|both] [--write-results] [--only TEXT]`)
    }
  }
  return options
}

function cell(text, width) {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width)
}

function printRow(row) {
  console.log(`${cell(row.family, 16)} ${cell(row.name, 58)} ${row.pass ? 'PASS' : 'FAIL'}  ${cell(row.detail, 110).trimEnd()}`)
}

function tally(rows) {
  const passed = rows.filter((r) => r.pass).length
  return { passed, failed: rows.length - passed }
}

async function attack(kind, cases) {
  const fixture = makeFixture()
  const target = new Target(kind, fixture)
  const started = Date.now()
  try {
    if (kind === 'simplehttp' && !fs.existsSync(path.join(path.dirname(APP), '../dist/main.js'))) {
      throw new Error('apps/simplehttp is not built: run `pnpm turbo run build --filter=simplehttp`')
    }
    console.log(`\n== ${kind}: ${cases.length} cases; root ${fixture.root}`)
    console.log(`${cell('family', 16)} ${cell('case', 58)} result  detail`)
    const withLog = cases.map((c) => (c === wholeLog ? { ...c, run: (ctx) => c.run({ ...ctx, wholeLog: () => target.stderr() }) } : c))
    const rows = await runSuite(target, withLog, { onResult: printRow })
    const failures = rows.filter((r) => !r.pass)
    if (failures.length > 0) {
      console.log(`\n-- ${kind}: failures, with the exact bytes sent and received`)
      for (const row of failures) {
        console.log(`\n[${row.family}] ${row.name}\n  ${row.detail}`)
        for (const line of describeRecords(row.records)) console.log(line)
      }
    }
    const t = tally(rows)
    console.log(`\n${kind}: ${t.passed} passed, ${t.failed} failed (${Math.round((Date.now() - started) / 1000)} s, ${target.starts} server start(s))`)
    return rows
  } finally {
    await target.stop()
    fixture.cleanup()
  }
}

function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

function md(text) {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').replace(/[\x60]/g, "'")
}

function writeResults(byTarget) {
  const ours = byTarget.get('simplehttp') ?? []
  const py = byTarget.get('python') ?? []
  const pyByKey = new Map(py.map((r) => [`${r.family}\t${r.name}`, r]))
  const t1 = tally(ours)
  const t2 = tally(py)
  const pythonOnly = ours.filter((r) => r.pass && pyByKey.get(`${r.family}\t${r.name}`)?.pass === false)
  const lines = [
    '# Attack suite results',
    '',
    'Measured by `node test/attacks/run.mjs --write-results` (this file is generated; do not edit).',
    `Node ${process.version}, ${version('python3', ['--version'])}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| target | passed | failed |',
    '|---|---|---|',
    `| simplehttp | ${t1.passed} | ${t1.failed} |`,
    `| python3 -m http.server --cgi | ${t2.passed} | ${t2.failed} |`,
    '',
    `## Cases CPython fails and simplehttp passes (${pythonOnly.length})`,
    '',
    '| family | case | CPython |',
    '|---|---|---|',
    ...pythonOnly.map((r) => `| ${md(r.family)} | ${md(r.name)} | ${md(pyByKey.get(`${r.family}\t${r.name}`)?.detail ?? '').slice(0, 200)} |`),
    '',
    `## Cases simplehttp fails (${t1.failed})`,
    '',
    '| family | case | detail |',
    '|---|---|---|',
    ...ours.filter((r) => !r.pass).map((r) => `| ${md(r.family)} | ${md(r.name)} | ${md(r.detail).slice(0, 300)} |`),
    '',
    '## Every case',
    '',
    '| family | case | simplehttp | CPython |',
    '|---|---|---|---|',
    ...ours.map((r) => {
      const p = pyByKey.get(`${r.family}\t${r.name}`)
      return `| ${md(r.family)} | ${md(r.name)} | ${r.pass ? 'pass' : 'FAIL'} | ${p === undefined ? '—' : p.pass ? 'pass' : 'FAIL'} |`
    }),
    '',
  ]
  fs.writeFileSync(path.join(HERE, 'RESULTS.md'), lines.join('\n'))
  console.log(`\nwrote ${path.join(HERE, 'RESULTS.md')}`)
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const byTarget = new Map()
  for (const kind of options.targets) {
    const cases = (kind === 'serve-static' ? SERVE_STATIC : [...ALL, wholeLog]).filter(
      // Housekeeping cases, named in parentheses, stop the extra apps other cases started: they
      // always run, or `--only` would leave those apps running and this process waiting on them.
      (c) => options.only === undefined || c === wholeLog || c.name.startsWith('(') || `${c.family} ${c.name}`.includes(options.only),
    )
    byTarget.set(kind, await attack(kind, cases))
  }
  if (options.write) writeResults(byTarget)
  const all = [...byTarget.values()].flat()
  if (byTarget.size > 1) {
    console.log('')
    for (const [kind, rows] of byTarget) {
      const t = tally(rows)
      console.log(`${kind}: ${t.passed} passed, ${t.failed} failed`)
    }
  }
  const t = tally(all)
  console.log(`${t.passed} passed, ${t.failed} failed`)
  process.exitCode = t.failed > 0 ? 1 : 0
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
  // Print the tally line even when the harness itself failed, so the last line stays parseable.
  console.log('0 passed, 1 failed')
})
