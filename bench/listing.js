// Issue 16: the rich listing and folder downloads. The app with `--listing rich` against the
// same app's CPython-style listing on a 1,000-entry folder (goal: at least 0.5x its requests per
// second, and ahead of nginx's autoindex when nginx is installed), and `?download=zip` of a
// folder against the same bytes served as one file (goal: at least 0.8x its bytes per second).
// BENCH_SECONDS sets each run's length (default 5; a smoke run: BENCH_SECONDS=1).
// The ZIP and the one file are measured in alternating rounds (BENCH_ROUNDS, default 5) on the
// same server, and compared by the median of the per-round ratios: one 5 s run of each, one after
// the other, moved by 0.66-0.87x between runs on a quiet machine. Each is also given as the
// server's CPU time per GiB sent, which other load on the machine disturbs much less.
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuTimeOf, fmt, load, startServer } from './lib.js'
import { nginxVersion, startNginx } from './static.js'

const app = fileURLToPath(new URL('../apps/simplehttp/bin/simplehttp.cjs', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
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
    ]) {
      await load(url(server, p), { seconds: 1, connections })
      results[name] = await load(url(server, p), { seconds, connections })
    }
    // One file and ZIP: alternating rounds (every other one in reverse order), same server.
    const downloads = [
      ['one 64 MiB file', '/one.bin'],
      ['64 MiB folder as ZIP', '/folder/?download=zip'],
    ]
    const runs = Object.fromEntries(downloads.map(([name]) => [name, []]))
    for (const [, p] of downloads) await load(url(rich, p), { seconds: 1, connections: 4 })
    for (let round = 0; round < rounds; round++) {
      for (const [name, p] of round % 2 === 0 ? downloads : [...downloads].reverse()) {
        const cpuBefore = await cpuTimeOf(rich.pid)
        const r = await load(url(rich, p), { seconds, connections: 4 })
        const gib = (r.bytesPerSec * seconds) / 1024 ** 3
        runs[name].push({ ...r, cpuMsPerGiB: ((await cpuTimeOf(rich.pid)) - cpuBefore) / gib })
      }
    }
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b)
      const mid = sorted.length >> 1
      return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    for (const [name] of downloads) {
      results[name] = {
        rps: median(runs[name].map((r) => r.rps)),
        bytesPerSec: median(runs[name].map((r) => r.bytesPerSec)),
        cpuMsPerGiB: median(runs[name].map((r) => r.cpuMsPerGiB)),
      }
    }
    const oneRuns = runs['one 64 MiB file']
    const zipRuns = runs['64 MiB folder as ZIP']
    const roundRatios = zipRuns.map((z, i) => z.bytesPerSec / oneRuns[i].bytesPerSec)
    const zipRatio = median(roundRatios)
    const cpuRatio = results['one 64 MiB file'].cpuMsPerGiB / results['64 MiB folder as ZIP'].cpuMsPerGiB
    console.log('\n## Listing and folder downloads (issue 16)\n')
    console.log('| scenario | req/s | MB/s | server CPU ms per GiB |\n|---|---|---|---|')
    for (const [name, r] of Object.entries(results)) {
      console.log(`| ${name} | ${fmt.int(r.rps)} | ${fmt.int(r.bytesPerSec / 1e6)} | ${r.cpuMsPerGiB === undefined ? '' : fmt.int(r.cpuMsPerGiB)} |`)
    }
    console.log(`\nOne file and ZIP: medians of ${rounds} alternating rounds of ${seconds} s, 4 connections.`)
    const listingRatio = results['rich listing'].rps / results['python listing'].rps
    console.log(`\nrich / CPython-style listing: ${listingRatio.toFixed(2)}x (goal >= 0.5x) ${listingRatio >= 0.5 ? 'met' : 'NOT met'}`)
    if (nginx) {
      const nginxRatio = results['rich listing'].rps / results[`nginx ${nginxVersion} autoindex`].rps
      console.log(`rich listing / nginx autoindex: ${nginxRatio.toFixed(2)}x (goal > 1x) ${nginxRatio > 1 ? 'met' : 'NOT met'}`)
    } else {
      console.log('rich listing / nginx autoindex: not measured (nginx is not installed)')
    }
    console.log(
      `ZIP / one file throughput: ${zipRatio.toFixed(2)}x (goal >= 0.8x) ${zipRatio >= 0.8 ? 'met' : 'NOT met'}; per round ${roundRatios.map((r) => r.toFixed(2)).join(' ')}`,
    )
    console.log(`ZIP / one file by server CPU per byte: ${cpuRatio.toFixed(2)}x (one file's CPU per GiB / the ZIP's)`)
  } finally {
    await python.stop()
    await rich.stop()
    await nginx?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchListing()
