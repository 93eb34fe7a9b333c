// Issue 16: the rich listing and folder downloads. The app with `--listing rich` against the
// same app's CPython-style listing on a 1,000-entry folder (goal: at least 0.5x its requests per
// second, and ahead of nginx's autoindex when nginx is installed), and `?download=zip` of a
// folder against the same bytes served as one file (goal: at least 0.8x its bytes per second).
// BENCH_SECONDS sets each run's length (default 5; a smoke run: BENCH_SECONDS=1).
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, load, startServer } from './lib.js'
import { nginxVersion, startNginx } from './static.js'

const app = fileURLToPath(new URL('../apps/simplehttp/bin/simplehttp.js', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const BANNER = /^Serving HTTP on \S+ port (\d+) /
const MiB = 1024 ** 2

async function makeSite() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-bench-listing-'))
  const list = path.join(dir, 'list')
  await mkdir(list)
  for (let i = 0; i < 1000; i++) {
    const n = String(i).padStart(4, '0')
    if (i % 10 === 9) await mkdir(path.join(list, `folder-${n}`))
    else await writeFile(path.join(list, i % 7 === 0 ? `Report ${n} & notes.txt` : `entry-${n}.txt`), `entry ${n}\n`)
  }
  // 64 MiB as eight files in a folder, and the same bytes as one file.
  const folder = path.join(dir, 'folder')
  await mkdir(folder)
  const parts = []
  for (let i = 0; i < 8; i++) {
    const part = randomBytes(8 * MiB)
    parts.push(part)
    await writeFile(path.join(folder, `part-${i}.bin`), part)
  }
  await writeFile(path.join(dir, 'one.bin'), Buffer.concat(parts))
  return dir
}

async function start(dir, flags) {
  return startServer(process.execPath, [app, '-q', '-b', '127.0.0.1', '-d', dir, ...flags, '0'], { readyLine: BANNER })
}

export async function benchListing() {
  const dir = await makeSite()
  const python = await start(dir, [])
  const rich = await start(dir, ['--listing', 'rich', '--archive'])
  const nginx = nginxVersion ? await startNginx(dir) : undefined
  try {
    const url = (server, p) => `http://127.0.0.1:${server.port ?? server.info?.port}${p}`
    const results = {}
    for (const [name, server, p, connections] of [
      ['python listing', python, '/list/', 50],
      ['rich listing', rich, '/list/', 50],
      ...(nginx ? [[`nginx ${nginxVersion} autoindex`, nginx, '/list/', 50]] : []),
      ['one 64 MiB file', rich, '/one.bin', 4],
      ['64 MiB folder as ZIP', rich, '/folder/?download=zip', 4],
    ]) {
      await load(url(server, p), { seconds: 1, connections })
      results[name] = await load(url(server, p), { seconds, connections })
    }
    console.log('\n## Listing and folder downloads (issue 16)\n')
    console.log('| scenario | req/s | MB/s |\n|---|---|---|')
    for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${fmt.int(r.rps)} | ${fmt.int(r.bytesPerSec / 1e6)} |`)
    const listingRatio = results['rich listing'].rps / results['python listing'].rps
    const zipRatio = results['64 MiB folder as ZIP'].bytesPerSec / results['one 64 MiB file'].bytesPerSec
    console.log(`\nrich / CPython-style listing: ${listingRatio.toFixed(2)}x (goal >= 0.5x) ${listingRatio >= 0.5 ? 'met' : 'NOT met'}`)
    if (nginx) {
      const nginxRatio = results['rich listing'].rps / results[`nginx ${nginxVersion} autoindex`].rps
      console.log(`rich listing / nginx autoindex: ${nginxRatio.toFixed(2)}x (goal > 1x) ${nginxRatio > 1 ? 'met' : 'NOT met'}`)
    } else {
      console.log('rich listing / nginx autoindex: not measured (nginx is not installed)')
    }
    console.log(`ZIP / one file throughput: ${zipRatio.toFixed(2)}x (goal >= 0.8x) ${zipRatio >= 0.8 ? 'met' : 'NOT met'}`)
  } finally {
    await python.stop()
    await rich.stop()
    await nginx?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchListing()
