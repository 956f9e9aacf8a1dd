// The style gate (`npm run lint`): ESLint's and typescript-eslint's recommended rules, and the house
// "standard" layout through @stylistic (2-space indent, single quotes, no semicolons, a space before
// every function's parentheses, no dangling commas, lines of at most 120 characters).
//
// The TypeScript rules are the ones that need no type information. The type-aware ones
// (no-floating-promises, no-misused-promises, await-thenable) build the whole program first: on 2
// shared cores they took 2–4× as long as the rest together (32–110 s against 15–45 s), and found
// nothing in src/, bench/ or bin/ (only tap's unawaited t.test() calls in test/).
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import { defineConfig, globalIgnores } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig(
  globalIgnores(['coverage/', '.tap/', '.shifou/', 'dist/', 'tmp/', 'migrations/', 'bench/results/']),
  {
    files: ['**/*.{js,mjs,ts}'],
    languageOptions: { globals: globals.node }
  },
  {
    // The browser's files (served as they are written by /assets/:file).
    files: ['src/api/public/**/*.js'],
    languageOptions: { globals: globals.browser }
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  stylistic.configs.customize({
    indent: 2,
    quotes: 'single',
    semi: false,
    jsx: false,
    braceStyle: '1tbs',
    commaDangle: 'never',
    arrowParens: true,
    quoteProps: 'as-needed'
  }),
  {
    rules: {
      // Where @stylistic's defaults differ from standard, standard's choice, which the code follows.
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@stylistic/space-before-function-paren': ['error', 'always'],
      '@stylistic/generator-star-spacing': ['error', 'both'],
      '@stylistic/yield-star-spacing': ['error', 'both'],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      // A long condition ends its lines with `&&`/`||`; a union type starts its lines with `|`.
      '@stylistic/operator-linebreak': ['error', 'after', {
        overrides: { '?': 'before', ':': 'before', '|': 'before', '&': 'before' }
      }],
      // Not in standard: short guard-and-act pairs (`if (x) { a(); b() }`) and objects wrapped over a
      // few lines read well here.
      '@stylistic/max-statements-per-line': 'off',
      '@stylistic/list-style': 'off',
      '@stylistic/max-len': ['error', { code: 120, comments: 120, ignoreUrls: true }]
    }
  }
)
