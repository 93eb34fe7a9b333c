// `pnpm bench`: every benchmark, each printing its ratios against peers measured in this run.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { hasWrk } from './lib.js'
import { benchHello } from './hello.js'
import { benchStatic } from './static.js'
import { benchColdStart } from './cold-start.js'
import { benchListing } from './listing.js'
import { benchAdapters } from './adapters.js'
import { benchFeatures } from './features.js'
import { benchUpload } from './upload.js'

const root = fileURLToPath(new URL('..', import.meta.url))
console.log(`# simplehttp benchmarks (node ${process.version}, load generator: ${hasWrk ? 'wrk' : 'autocannon'})`)

const only = process.argv[2]
if (!only || only === 'parser') {
  spawnSync('pnpm', ['--filter', '@simplehttp/parser', 'bench'], { cwd: root, stdio: 'inherit' })
}
if (!only || only === 'hello') await benchHello()
if (!only || only === 'cold') await benchColdStart()
if (!only || only === 'static') await benchStatic()
if (!only || only === 'listing') await benchListing()
if (!only || only === 'adapters') await benchAdapters()
if (!only || only === 'features') await benchFeatures()
if (!only || only === 'upload') await benchUpload()
