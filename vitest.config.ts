import { defineConfig } from 'vitest/config'

// For watching the whole repo locally; CI runs each package's own `vitest run` through turbo.
export default defineConfig({ test: { projects: ['packages/*', 'apps/*'] } })
