/**
 * The built app (one esbuild bundle) loads the `mime-types` database at run time for an
 * extension outside the common table: it must resolve from the app itself. It did not once, and
 * every such file was a 500 — which tests did not see while NODE_PATH was left in place (this one
 * fails with the app's mime-types link removed).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, makeTree, pattern, startApp } from './helpers.js'

afterEach(cleanup)

// pnpm's bin shims (how vitest is started) put every hoisted package on NODE_PATH; `npx
// simplehttp` and `node bin/simplehttp.cjs` have no such help, so neither may the app here.
delete process.env.NODE_PATH

describe('types from the mime-types database', () => {
  it('serves a file whose type only the database knows, with that type', async () => {
    const data = pattern(70_000)
    const root = await makeTree({ 'book.epub': data, 'blob.bin': data })
    const app = await startApp(root)
    for (const [name, type] of [
      ['book.epub', 'application/epub+zip'],
      ['blob.bin', 'application/octet-stream'],
    ] as const) {
      const res = await fetch(`${app.origin}/${name}`)
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type'), name).toBe(type)
      expect(Buffer.from(await res.arrayBuffer()).equals(data), name).toBe(true)
    }
  })
})
