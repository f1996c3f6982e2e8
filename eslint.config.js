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
    rules: {
      // invite looks for control characters on purpose: to escape them before a terminal sees them.
      'no-control-regex': 'off',
      // A command or a transport method is async by its interface, whether or not it awaits.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read what the CLI printed (--json, journal lines, parsed mail): that shape is what the
    // assertions check, so JSON.parse's any is not typed again for each of them.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
);
