// Lint (npm run lint, part of npm test): typescript-eslint's type-checked rules on the sources
// and the tests; prettier (.prettierrc.json) decides the layout. A function longer than 60
// lines says why, in an eslint-disable comment beside it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/', 'scripts/', 'bin/', 'starter/', 'examples/', '*.config.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    // invite looks for control characters on purpose: to escape them before a terminal sees them.
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
);
