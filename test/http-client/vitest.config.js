import { defineProject } from 'vitest/config'

export default defineProject({
  test: { name: 'test-client', include: ['test/**/*.test.js'], environment: 'node', testTimeout: 30_000 },
})
