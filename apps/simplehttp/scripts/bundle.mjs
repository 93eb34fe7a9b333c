// The app's start-up is mostly module loading: Node 20 resolves, reads and compiles each ES
// module file on its own (about 70 for `simplehttp 8000`). One bundle, with the features behind
// flags (CGI, WebDAV, ...) split into chunks that load only when a flag asks for them, starts
// in a fraction of that time. The packages stay separate and usable on their own; only the app's
// own dist/ is bundled. Run after `tsc -p tsconfig.build.json` (the package's `build` script).
import { build } from 'esbuild'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

// Chunk names carry a content hash: clear the old ones so dist/ holds only what the bundle uses.
await rm(path.join(app, 'dist', 'chunks'), { recursive: true, force: true })
await build({
  absWorkingDir: app,
  // dist/main.js (tsc's output) -> dist/simplehttp.js; the same folder, so `../package.json` still
  // finds the app's manifest.
  entryPoints: { simplehttp: 'dist/main.js' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The workspace packages' built dist/ (never the `@simplehttp/source` TypeScript).
  conditions: [],
  // CommonJS dependencies (cross-spawn, busboy) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  legalComments: 'eof',
  sourcemap: true,
  logLevel: 'warning',
})
