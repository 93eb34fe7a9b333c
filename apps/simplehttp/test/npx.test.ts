/**
 * What a user of the published package gets: every package packed with `pnpm pack` (which
 * rewrites `workspace:^` to real versions), installed with npm into a fresh project (mime-types
 * and cross-spawn from the registry), then `npx simplehttp -b 127.0.0.1 0` in a folder with a
 * file, stopped with Ctrl+C as in a terminal.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { APP_DIR, Spawned, cleanup, isListening, mustRun, tempDir } from './helpers.js'

afterEach(cleanup)

const REPO = path.resolve(APP_DIR, '..', '..')
// The app and everything it pulls in from the workspace (cgi, dav → static → handler → parser; cli → server → parser).
const PACKAGES = ['packages/parser', 'packages/handler', 'packages/server', 'packages/static', 'packages/cgi', 'packages/dav', 'packages/cli', 'apps/simplehttp']

const running = new Set<Spawned>()
afterEach(() => {
  // Only when the test failed half-way: end the whole group (npx, its shell and the server).
  for (const proc of running) if (proc.running) process.kill(-proc.pid, 'SIGKILL')
  running.clear()
})

describe('npx simplehttp from the packed packages', () => {
  it('installs from tarballs into a fresh folder and serves a file', async () => {
    const work = await tempDir('simplehttp-npx-')
    const tarballs = path.join(work, 'tarballs')
    await mkdir(tarballs)
    for (const dir of PACKAGES) {
      const built = dir === 'apps/simplehttp' ? 'dist/main.js' : 'dist/index.js'
      // `turbo run test` builds first (test dependsOn build); say so plainly if it did not.
      expect(existsSync(path.join(REPO, dir, built)), `${dir} is not built: pnpm turbo run build --filter=simplehttp`).toBe(true)
      await mustRun('pnpm', ['pack', '--pack-destination', tarballs], { cwd: path.join(REPO, dir) })
    }
    const files = (await readdir(tarballs)).filter((name) => name.endsWith('.tgz')).sort()
    expect(files).toHaveLength(PACKAGES.length)

    // pnpm put real version ranges where the workspace had `workspace:^`.
    const manifest = JSON.parse(
      (await mustRun('tar', ['-xzOf', path.join(tarballs, files.find((f) => /^simplehttp-\d/.test(f)) ?? ''), 'package/package.json'])).toString(),
    ) as { dependencies: Record<string, string> }
    for (const range of Object.values(manifest.dependencies)) expect(range).not.toMatch(/^workspace:/)

    const project = path.join(work, 'project')
    await mkdir(project)
    // Quiet npm; and never let npx fetch some other `simplehttp` from the registry.
    const env = { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_yes: 'false' }
    await mustRun('npm', ['init', '-y'], { cwd: project, env })
    await mustRun('npm', ['install', '--no-audit', '--no-fund', ...files.map((f) => path.join(tarballs, f))], {
      cwd: project,
      env,
      timeout: 90_000,
    })
    const installed = JSON.parse(await readFile(path.join(project, 'node_modules', 'simplehttp', 'package.json'), 'utf8')) as {
      version: string
    }

    const site = path.join(project, 'site')
    await mkdir(site)
    await writeFile(path.join(site, 'hello.txt'), 'hello from npx\n')

    // `npx simplehttp --version`: the installed app answers, not a registry package.
    expect((await mustRun('npx', ['simplehttp', '--version'], { cwd: site, env })).toString()).toBe(
      `simplehttp ${installed.version}\n`,
    )

    // Its own process group, so Ctrl+C can reach npx, its shell and the server, as in a terminal.
    const npx = new Spawned('npx', ['simplehttp', '-b', '127.0.0.1', '0'], { cwd: site, env, detached: true })
    running.add(npx)
    const [banner = '', port = ''] = await npx.waitForStdout(/^Serving HTTP on 127\.0\.0\.1 port (\d+) \(http:\/\/127\.0\.0\.1:\d+\/\) \.\.\.\n/)

    const response = await fetch(`http://127.0.0.1:${port}/hello.txt`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('hello from npx\n')
    const listing = await fetch(`http://127.0.0.1:${port}/`)
    expect(await listing.text()).toContain('<li><a href="hello.txt">hello.txt</a></li>')

    process.kill(-npx.pid, 'SIGINT')
    // npm re-raises the signal on itself once its child is gone; the server exits cleanly first.
    await npx.waitForExit()
    expect(npx.stdout).toBe(`${banner}\nKeyboard interrupt received, exiting.\n`)
    expect(npx.stderr).toContain('"GET /hello.txt HTTP/1.1" 200 -')
    expect(npx.stderr).not.toMatch(/\n\s+at /)
    expect(await isListening(Number(port))).toBe(false)
  }, 120_000)
})
