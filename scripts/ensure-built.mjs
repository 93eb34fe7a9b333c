// Builds a workspace package and the workspace packages it depends on, each only when its
// dist/ is missing or older than its sources (for the app, whose dist/ is a bundle, also when a
// dependency's dist/ is newer), so that a contributor's first
// `pnpm --filter <pkg> test` (or `bench`) works on a fresh clone with nothing built.
//
// In-process tests do not need it: they resolve sibling packages to their TypeScript source
// (the `@simplehttp/source` export condition, see CONTRIBUTING.md). It is for what runs the
// published shape: spawned processes, `npm pack` tests, benchmarks. Under `pnpm test` turbo has
// built everything already and this finds nothing to do.
//
// Used as a vitest `globalSetup` (the default export), or run as
// `node scripts/ensure-built.mjs [package dir]` (default: the current directory).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

/** Workspace package name -> its folder, for packages/* and apps/*. */
function workspace() {
  const byName = new Map()
  for (const group of ['packages', 'apps']) {
    const dir = path.join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const manifest = path.join(dir, name, 'package.json')
      if (existsSync(manifest)) byName.set(JSON.parse(readFileSync(manifest, 'utf8')).name, path.join(dir, name))
    }
  }
  return byName
}

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs)
  }
  return latest
}

/** The oldest file directly in `dir`/dist (0 when there is none). Folders' times are left out: tsc rewrites the files in them, not the folders. */
function builtAt(dir) {
  const dist = path.join(dir, 'dist')
  if (!existsSync(dist)) return 0
  const times = readdirSync(dist, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => statSync(path.join(dist, entry.name)).mtimeMs)
  return times.length === 0 ? 0 : Math.min(...times)
}

/** A bundling package (one with scripts/bundle.mjs, the app) holds its dependencies' code too. */
const bundles = (dir) => existsSync(path.join(dir, 'scripts', 'bundle.mjs'))

function isStale(dir, deps) {
  const built = builtAt(dir)
  if (built === 0) return true
  const inputs = [path.join(dir, 'package.json'), path.join(dir, 'tsconfig.build.json'), path.join(root, 'tsconfig.base.json')]
  if (Math.max(newest(path.join(dir, 'src')), ...inputs.map((file) => statSync(file).mtimeMs)) > built) return true
  return bundles(dir) && deps.some((dep) => existsSync(path.join(dep, 'dist')) && newest(path.join(dep, 'dist')) > built)
}

/** Build `dir`'s workspace dependencies, then `dir`, each when stale. */
export function ensureBuilt(dir, byName = workspace(), done = new Set()) {
  if (done.has(dir)) return
  done.add(dir)
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const deps = []
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const dep = byName.get(name)
    if (dep !== undefined) {
      ensureBuilt(dep, byName, done)
      deps.push(dep)
    }
  }
  if (manifest.scripts?.build === undefined || !isStale(dir, deps)) return
  const tsc = require.resolve('typescript/bin/tsc', { paths: [dir] })
  process.stderr.write(`ensure-built: building ${manifest.name} (dist/ missing or older than its sources)\n`)
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' })
  // The same second step as the package's `build` script.
  if (bundles(dir)) execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: dir, stdio: 'inherit' })
}

/**
 * vitest globalSetup: build the package under test (the working directory) and its
 * dependencies. Not under turbo (`TURBO_HASH` is set in its tasks): there `test` depends on
 * `build`, and parallel tasks must not rebuild a shared dist/ under each other's feet.
 */
export default function setup() {
  if (process.env.TURBO_HASH === undefined) ensureBuilt(process.cwd())
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureBuilt(path.resolve(process.argv[2] ?? '.'))
}
