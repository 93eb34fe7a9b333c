import { defineProject } from 'vitest/config'

// Sibling packages resolve to their TypeScript source (the `@simplehttp/source` export
// condition), so tests need nothing built first; globalSetup builds, when stale, the dist/ that
// the tests spawn (bin/simplehttp.cjs).
const conditions = ['@simplehttp/source', 'module', 'node', 'development|production']

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: 'simplehttp', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 60_000, globalSetup: ['../../scripts/ensure-built.mjs'] },
})
