// `pnpm bench upload`: a `PUT` of a 100 MiB file to `simplehttp --upload` against `cp` of the same
// file on the same disk (goal: at least 0.8× cp's speed), and the server's memory while it
// uploads (goal: flat, the body streamed to disk rather than held). Our PUT fsyncs before it
// renames (an upload is either whole or not there), so `cp` followed by `sync` of the copy is
// shown beside plain `cp`. BENCH_UPLOAD_MIB sets the size (a quick smoke: BENCH_UPLOAD_MIB=8).
//
// The same client also PUTs to two bare node:http references (servers/upload-node.js), in the
// same rounds: one that writes a temporary file, fsyncs and renames it (what our PUT promises,
// without its checks), and one that discards the body — the ceiling for any Node server with
// this client on this machine. On a shared 2-core machine the client and the loopback transfer,
// not the disk, take most of the time, so the PUT is also shown against those references.
import { spawnSync } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { randomFillSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { fmt, memoryOf, printTable, startServer } from './lib.js'

const app = fileURLToPath(new URL('../apps/simplehttp/bin/simplehttp.cjs', import.meta.url))
const reference = fileURLToPath(new URL('./servers/upload-node.js', import.meta.url))
const BANNER = /^Serving HTTPS? on \S+ port (\d+) /
const SIZE = Number(process.env.BENCH_UPLOAD_MIB ?? 100) * 1024 * 1024
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)

async function makeSource(file) {
  const handle = await open(file, 'w')
  const chunk = Buffer.alloc(1024 * 1024)
  for (let written = 0; written < SIZE; written += chunk.length) {
    randomFillSync(chunk)
    await handle.write(chunk, 0, Math.min(chunk.length, SIZE - written))
  }
  await handle.close()
}

function timed(fn) {
  const started = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - started) / 1e6
}

/** PUT `file` to the server; resolves to { ms, peakRss } with the server's RSS sampled every 20 ms. */
function put(port, pid, file, name) {
  return new Promise((resolve, reject) => {
    let peakRss = 0
    const sampler = setInterval(() => {
      memoryOf(pid).then((m) => (peakRss = Math.max(peakRss, m.rss)), () => undefined)
    }, 20)
    const started = process.hrtime.bigint()
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: `/${name}`, headers: { 'Content-Length': SIZE } }, (res) => {
      res.resume()
      res.on('end', () => {
        clearInterval(sampler)
        if (res.statusCode !== 201 && res.statusCode !== 204) reject(new Error(`PUT answered ${res.statusCode}`))
        else resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, peakRss })
      })
    })
    req.on('error', (error) => {
      clearInterval(sampler)
      reject(error)
    })
    createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(req)
  })
}

export async function benchUpload() {
  // Under the repository's bench directory rather than os.tmpdir(), which may be a tmpfs.
  const base = fileURLToPath(new URL('.', import.meta.url))
  const dir = await mkdtemp(path.join(base, '.upload-bench-'))
  try {
    const source = path.join(dir, 'source.bin')
    const root = path.join(dir, 'root')
    await mkdir(root)
    await makeSource(source)
    const server = await startServer(process.execPath, [app, '-q', '-b', '127.0.0.1', '-d', root, '--upload', '--max-upload', '2G', '0'], { readyLine: BANNER })
    const nodeFile = await startServer(process.execPath, [reference, 'file', root], { ipc: false })
    const nodeDiscard = await startServer(process.execPath, [reference, 'discard', root], { ipc: false })
    try {
      const idle = (await memoryOf(server.pid)).rss
      let cp = Infinity
      let cpSync = Infinity
      let upload = { ms: Infinity, peakRss: 0 }
      let toNodeFile = Infinity
      let toNodeDiscard = Infinity
      for (let round = 0; round < rounds; round++) {
        const target = path.join(root, `cp-${round}.bin`)
        cp = Math.min(cp, timed(() => spawnSync('cp', [source, target])))
        await rm(target)
        cpSync = Math.min(cpSync, timed(() => spawnSync('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'sh', source, target])))
        await rm(target)
        const result = await put(server.port, server.pid, source, `put-${round}.bin`)
        const written = await stat(path.join(root, `put-${round}.bin`))
        if (written.size !== SIZE) throw new Error(`the PUT stored ${written.size} bytes, not ${SIZE}`)
        await rm(path.join(root, `put-${round}.bin`))
        if (result.ms < upload.ms) upload = { ms: result.ms, peakRss: Math.max(upload.peakRss, result.peakRss) }
        else upload.peakRss = Math.max(upload.peakRss, result.peakRss)
        const file = await put(nodeFile.port, nodeFile.pid, source, `node-${round}.bin`)
        toNodeFile = Math.min(toNodeFile, file.ms)
        await rm(path.join(root, `node-${round}.bin`))
        toNodeDiscard = Math.min(toNodeDiscard, (await put(nodeDiscard.port, nodeDiscard.pid, source, 'discard.bin')).ms)
      }
      const mibps = (ms) => SIZE / 1024 ** 2 / (ms / 1000)
      printTable(`Upload: ${fmt.mb(SIZE)} MiB, best of ${rounds}, ${os.cpus().length} cores`, [
        { name: 'cp', ms: cp },
        { name: 'cp + sync', ms: cpSync },
        { name: 'PUT to simplehttp --upload (fsync + rename)', ms: upload.ms },
        { name: 'PUT to bare node:http (temp file, fsync, rename)', ms: toNodeFile },
        { name: 'PUT to bare node:http that discards the body (ceiling)', ms: toNodeDiscard },
      ], [
        { label: 'what', format: (r) => r.name },
        { label: 'ms', format: (r) => fmt.ms(r.ms) },
        { label: 'MiB/s', format: (r) => fmt.int(mibps(r.ms)) },
      ])
      const ratio = cp / upload.ms
      console.log(`\nPUT speed against cp: ${fmt.ratio(ratio)} (goal at least 0.80×) — ${ratio >= 0.8 ? 'met' : 'NOT met'}`)
      console.log(`PUT speed against cp + sync: ${fmt.ratio(cpSync / upload.ms)}`)
      console.log(`PUT speed against bare node:http doing the same: ${fmt.ratio(toNodeFile / upload.ms)}; against the discarding ceiling: ${fmt.ratio(toNodeDiscard / upload.ms)} (the ceiling itself is ${fmt.ratio(cp / toNodeDiscard)} of cp)`)
      const growth = upload.peakRss - idle
      // Flat: the growth is a bounded working set (socket and write batches, garbage not yet
      // collected), the same for 16 MiB as for 160 MiB, never the body held in memory.
      const bound = 64 * 1024 ** 2
      console.log(`server RSS: ${fmt.mb(idle)} MiB idle, ${fmt.mb(upload.peakRss)} MiB at most while uploading (+${fmt.mb(growth)} MiB for a ${fmt.mb(SIZE)} MiB body; bound ${fmt.mb(bound)} MiB) — ${growth < bound ? 'flat' : 'NOT flat'}`)
    } finally {
      await server.stop()
      await nodeFile.stop()
      await nodeDiscard.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUpload()
