import { defineProject } from 'vitest/config'

// The end-to-end floods (e2e/): they load both cores for over a minute and time every probe
// fetch against the 1 s, so `pnpm test` runs them on their own, after every other
// package's lint, typecheck and tests (the root `test` script), never alongside them.
const conditions = ['@simplehttp/source', 'module', 'node', 'development|production']

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'simplehttp-e2e',
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // One flood at a time: two files would attack side by side.
    fileParallelism: false,
    globalSetup: ['../../scripts/ensure-built.mjs'],
  },
})
