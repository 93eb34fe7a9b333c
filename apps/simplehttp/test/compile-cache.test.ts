/**
 * The executable's compile cache (bin/simplehttp.cjs): the first run that serves saves V8's code
 * when it stops; later starts use it and leave it alone; a damaged cache is replaced, never
 * trusted; a folder that others could write to is never used; and nothing about the cache can
 * stop the server from starting. Each run is the built app as a real process serving a real GET.
 */
import { randomBytes } from 'node:crypto'
import { chmod, chown, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, Spawned, cleanup, makeTree } from './helpers.js'

afterEach(cleanup)

const CACHE_NAME = new RegExp(`^simplehttp-[0-9a-f]{16}-node${process.versions.node.replaceAll('.', '\\.')}-${process.arch}\\.v8cache$`)

/** The environment of a run: these variables, and no NODE_DISABLE_COMPILE_CACHE from outside unless given. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra }
  if (!('NODE_DISABLE_COMPILE_CACHE' in extra)) delete env.NODE_DISABLE_COMPILE_CACHE
  return env
}

/** Start the app, GET one file (200, its bytes), stop it with SIGTERM: it must exit 0 with nothing on stderr. */
async function serveOnce(site: string, env: NodeJS.ProcessEnv): Promise<void> {
  const proc = new Spawned(process.execPath, [BIN, '-q', '-b', '127.0.0.1', '-d', site, '0'], { cwd: site, env })
  try {
    const [, port] = await proc.waitForStdout(/port (\d+) /)
    const response = await fetch(`http://127.0.0.1:${port ?? ''}/hello.txt`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('hello\n')
    process.kill(proc.pid, 'SIGTERM')
    const exit = await proc.waitForExit()
    expect(exit, proc.stderr).toEqual({ code: 0, signal: null })
    expect(proc.stderr).toBe('')
  } finally {
    if (proc.running) proc.child.kill('SIGKILL')
  }
}

async function cacheFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort()
}

describe('compile cache', () => {
  it('the first run that serves saves it privately; the next start uses it and leaves it alone', async () => {
    const site = await makeTree({ 'hello.txt': 'hello\n' })
    const cacheDir = path.join(await makeTree({}), 'nested', 'cache')
    const env = envWith({ SIMPLEHTTP_COMPILE_CACHE: cacheDir })

    await serveOnce(site, env)
    const files = await cacheFiles(cacheDir)
    expect(files).toHaveLength(1)
    const [name = ''] = files
    expect(name).toMatch(CACHE_NAME)
    const file = path.join(cacheDir, name)
    const first = await stat(file)
    expect(first.size).toBeGreaterThan(10_000)
    expect(first.mode & 0o777).toBe(0o600)
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700)
    const bytes = await readFile(file)

    // Accepted: a rejected cache would be written again when the server stops.
    await serveOnce(site, env)
    expect(await cacheFiles(cacheDir)).toEqual([name])
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs)
    expect((await readFile(file)).equals(bytes)).toBe(true)
  })

  it('--version and --help serve nothing and save nothing', async () => {
    const cacheDir = await makeTree({})
    const env = envWith({ SIMPLEHTTP_COMPILE_CACHE: cacheDir })
    for (const flag of ['--version', '--help']) {
      const proc = new Spawned(process.execPath, [BIN, flag], { env })
      expect((await proc.waitForExit()).code).toBe(0)
    }
    expect(await cacheFiles(cacheDir)).toEqual([])
  })

  it('a damaged cache is replaced by a good one, and the server serves all the same', async () => {
    const site = await makeTree({ 'hello.txt': 'hello\n' })
    const cacheDir = await makeTree({})
    await chmod(cacheDir, 0o700)
    const env = envWith({ SIMPLEHTTP_COMPILE_CACHE: cacheDir })
    await serveOnce(site, env)
    const [name = ''] = await cacheFiles(cacheDir)
    const file = path.join(cacheDir, name)
    const good = await readFile(file)

    for (const damaged of [randomBytes(good.length), good.subarray(0, good.length >> 1), Buffer.alloc(0)]) {
      await writeFile(file, damaged)
      await serveOnce(site, env)
      const replaced = await readFile(file)
      expect(replaced.equals(damaged)).toBe(false)
      expect(replaced.length).toBeGreaterThan(10_000)
      // The replacement is accepted: the next run does not write it again.
      const written = (await stat(file)).mtimeMs
      await serveOnce(site, env)
      expect((await stat(file)).mtimeMs).toBe(written)
    }
    expect(await cacheFiles(cacheDir)).toEqual([name])
  })

  it('never uses a folder that others can write to or that belongs to someone else', async () => {
    const site = await makeTree({ 'hello.txt': 'hello\n' })
    const shared = await makeTree({})
    await chmod(shared, 0o777)
    await serveOnce(site, envWith({ SIMPLEHTTP_COMPILE_CACHE: shared }))
    expect(await cacheFiles(shared)).toEqual([])

    if (process.getuid?.() === 0) {
      // As root (CI): a private folder owned by another user.
      const foreign = await makeTree({})
      await chmod(foreign, 0o700)
      await chown(foreign, 65534, 65534)
      await serveOnce(site, envWith({ SIMPLEHTTP_COMPILE_CACHE: foreign }))
      expect(await cacheFiles(foreign)).toEqual([])
    }
  })

  it('NODE_DISABLE_COMPILE_CACHE=1 keeps no cache; a cache folder that cannot be made only costs speed', async () => {
    const site = await makeTree({ 'hello.txt': 'hello\n' })
    const cacheDir = await makeTree({})
    await chmod(cacheDir, 0o700)
    await serveOnce(site, envWith({ SIMPLEHTTP_COMPILE_CACHE: cacheDir, NODE_DISABLE_COMPILE_CACHE: '1' }))
    expect(await cacheFiles(cacheDir)).toEqual([])

    const blocked = await makeTree({ 'file-in-the-way': 'x' })
    await serveOnce(site, envWith({ SIMPLEHTTP_COMPILE_CACHE: path.join(blocked, 'file-in-the-way', 'cache') }))
  })
})
