import { defineProject } from 'vitest/config'

// Sibling packages resolve to their TypeScript source (the `@simplehttp/source` export
// condition), so tests need nothing built first.
const conditions = ['@simplehttp/source', 'module', 'node', 'development|production']

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: 'dav', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 30_000 },
})
