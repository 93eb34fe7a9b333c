#!/usr/bin/env node
import module from 'node:module'
import process from 'node:process'

// Node 22.1+: cache the compiled code of our modules on disk, so later starts skip parsing and
// compiling them. Absent on Node 20 (nothing to do there); a cache that cannot be written is
// only a slower start, never an error.
module.enableCompileCache?.()

const { main } = await import('../dist/simplehttp.js')
process.exitCode = await main(process.argv.slice(2))
