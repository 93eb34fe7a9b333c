#!/usr/bin/env node
'use strict'
// `npx simplehttp`: runs the app's one-file bundle (dist/simplehttp.cjs) from V8's code cache.
//
// Most of a start is V8 parsing and compiling the bundle. Node 22 can keep compiled code on disk
// (module.enableCompileCache); Node 20 cannot, so this does the same by hand: the first run that
// serves saves V8's code for everything it compiled (start-up and the first requests), and later
// runs start from it instead of compiling. V8 checks that the cache fits this V8 and these flags
// and ignores it otherwise; the file name also carries the bundle's build id (a hash of its text)
// and Node's version, so a rebuilt or upgraded app never meets an old cache.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, SIMPLEHTTP_COMPILE_CACHE=<folder> moves it.
const fs = require('node:fs')
const { createRequire } = require('node:module')
const path = require('node:path')
const process = require('node:process')
const { clearTimeout, setTimeout } = require('node:timers')
const vm = require('node:vm')

const bundle = path.join(__dirname, '..', 'dist', 'simplehttp.cjs')
// The build checks that the bundle is ASCII, so Latin-1, the cheapest decoding, reads it exactly.
const source = fs.readFileSync(bundle, 'latin1')
const cacheFile = compileCacheFile(/^\/\/ simplehttp build ([0-9a-f]{16})\n/.exec(source)?.[1])
const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile)

// CommonJS's own wrapper, on the first line so that line numbers in stack traces stay the bundle's.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
  // An import() in the bundle (of a Node built-in, say) resolves as it would in a CommonJS module.
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
})
const app = { exports: {} }
script.runInThisContext().call(app.exports, app.exports, createRequire(bundle), app, bundle, path.dirname(bundle))

const onServing = cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected) ? () => saveWhenWarm(cacheFile) : undefined
app.exports.main(process.argv.slice(2), { onServing }).then((code) => {
  process.exitCode = code
})

/** Where this build's cache lives for this Node, or undefined when there is no safe place for it. */
function compileCacheFile(buildId) {
  if (buildId === undefined || process.env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const dir = compileCacheDir()
  if (dir === undefined) return undefined
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const folder = fs.lstatSync(dir)
    // The cache is code we run: only from a folder that is ours and nobody else can write to.
    if (!folder.isDirectory()) return undefined
    if (process.getuid !== undefined && (folder.uid !== process.getuid() || (folder.mode & 0o022) !== 0)) return undefined
  } catch {
    return undefined
  }
  return path.join(dir, `simplehttp-${buildId}-node${process.versions.node}-${process.arch}.v8cache`)
}

function compileCacheDir() {
  const env = process.env
  if (env.SIMPLEHTTP_COMPILE_CACHE) return path.resolve(env.SIMPLEHTTP_COMPILE_CACHE)
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'simplehttp', 'cache') : undefined
  const base = env.XDG_CACHE_HOME || (env.HOME && path.join(env.HOME, '.cache'))
  return base ? path.join(base, 'simplehttp') : undefined
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined
  }
}

/**
 * Save the cache once the server has served a while (5 s) or when it stops, whichever comes
 * first: by then V8 has compiled what a start and the first requests need.
 */
function saveWhenWarm(file) {
  let saved = false
  const save = () => {
    if (saved) return
    saved = true
    clearTimeout(timer)
    process.removeListener('exit', save)
    // Write aside and rename: a start that reads meanwhile sees the old file or the new, never half.
    const partial = `${file}.${process.pid}.tmp`
    try {
      fs.writeFileSync(partial, script.createCachedData(), { mode: 0o600 })
      fs.renameSync(partial, file)
    } catch {
      // Only a slower start next time.
      fs.rmSync(partial, { force: true })
    }
  }
  const timer = setTimeout(save, 5000).unref()
  process.once('exit', save)
}
