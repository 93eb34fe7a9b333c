// The app's start-up is mostly loading code: Node 20 resolves, reads and compiles each ES module
// file on its own (about 70 for `simplehttp 8000`). The app ships as one CommonJS file instead,
// which `bin/simplehttp.cjs` compiles once and then starts from V8's code cache (see there).
// The features behind flags (CGI, WebDAV, ...) are in the file but cost nothing until a flag
// runs them: esbuild wraps each lazily imported package in a function, and V8 compiles a
// function only when it first runs. The packages stay separate and usable on their own; only the
// app's own dist/ is bundled. Run after `tsc -p tsconfig.build.json` (the package's `build` script).
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(app, 'dist')

// Outputs of earlier layouts (an ES module bundle with chunks): dist/ holds only what runs.
await Promise.all(['chunks', 'simplehttp.js', 'simplehttp.js.map'].map((name) => rm(path.join(dist, name), { recursive: true, force: true })))
// The first line names this build; bin/simplehttp.cjs keys its compile cache on it (V8 itself only
// compares the source's length). Filled in after the build, at the same length, so the source map
// still lines up.
const BUILD_ID = '0'.repeat(16)
const bundle = path.join(dist, 'simplehttp.cjs')

await build({
  absWorkingDir: app,
  // dist/main.js (tsc's output) -> dist/simplehttp.cjs; the same folder, so `../package.json` still
  // finds the app's manifest.
  entryPoints: { simplehttp: 'dist/main.js' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The workspace packages' built dist/ (never the `@simplehttp/source` TypeScript).
  conditions: [],
  // The packages find data files and optional dependencies with createRequire(import.meta.url);
  // in one CommonJS file that URL is the bundle's own.
  define: { 'import.meta.url': '__bundleURL' },
  banner: { js: `// simplehttp build ${BUILD_ID}\nvar __bundleURL = require('node:url').pathToFileURL(__filename).href;` },
  // Whitespace and comments out, names kept (stack traces still name the function): less source
  // to read and decode at every start, and no non-ASCII comment that would make V8 hold the
  // whole source as a two-byte string.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'external',
  sourcemap: true,
  logLevel: 'warning',
})

const text = await readFile(bundle, 'latin1')
// The executable reads the bundle as Latin-1, the cheapest decoding, which is exact only for ASCII.
const nonASCII = /[\u0080-\u00ff]/.exec(text)
if (nonASCII != null) throw new Error(`dist/simplehttp.cjs has a non-ASCII character at offset ${nonASCII.index}: write it as an escape in the source`)
const id = createHash('sha256').update(text).digest('hex').slice(0, BUILD_ID.length)
await writeFile(bundle, text.replace(`// simplehttp build ${BUILD_ID}`, `// simplehttp build ${id}`), 'latin1')
