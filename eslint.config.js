import js from '@eslint/js'
import n from 'eslint-plugin-n'
import { defineConfig, globalIgnores } from 'eslint/config'
import tseslint from 'typescript-eslint'

// ARCHITECTURE.md, "Who may import whom": for each package folder, the internal packages it must NOT import.
const forbidden = {
  parser: ['server', 'handler', 'static', 'cgi', 'cli', 'dav'],
  server: ['handler', 'static', 'cgi', 'cli', 'dav'],
  handler: ['server', 'static', 'cgi', 'cli', 'dav'],
  static: ['server', 'cgi', 'cli', 'dav'],
  cgi: ['server', 'cli', 'dav'],
  dav: ['server', 'cgi', 'cli'],
  cli: ['static', 'cgi', 'dav'],
}

export default defineConfig(
  globalIgnores(['**/dist', '**/coverage', '**/.turbo', '**/node_modules']),
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    plugins: { n },
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.config.ts', '*.js', 'bench/*.js'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'never' }],
      'n/prefer-node-protocol': 'error',
      'no-restricted-exports': [
        'error',
        {
          restrictDefaultExports: {
            direct: true,
            named: true,
            defaultFrom: true,
            namedFrom: true,
            namespaceFrom: true,
          },
        },
      ],
      // Conflicts with no-non-null-assertion (strict): `x as number` after a bounds check is the
      // form we keep, because `!` would be banned by the stricter rule.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // Template literals with numbers are how HTTP status lines and sizes are written.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  ...Object.entries(forbidden).map(([pkg, banned]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: banned.map((p) => `@simplehttp/${p}`),
              message: `@simplehttp/${pkg} must not import this (ARCHITECTURE.md).`,
            },
            {
              group: ['@simplehttp/*/*'],
              message: 'Import a package entry point, never its src/ or dist/.',
            },
          ],
        },
      ],
    },
  })),
  { files: ['**/*.config.{js,ts}'], rules: { 'no-restricted-exports': 'off' } },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
  // CommonJS files (the app's executable): require() is how they import.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { __dirname: 'readonly', __filename: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
)
