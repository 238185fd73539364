// Lint of the tests (`npm run lint`, part of `npm test`). typescript-eslint with type
// information: in a suite where nearly every step is a Promise (worker results, async acquires,
// `expect(...).rejects`), the mistake a type checker lets through is a Promise nobody awaits —
// a test that passes without checking anything. Only type-aware rules see that
// `lock.acquireAsync()` or `expect(p).rejects.toThrow()` returns one.
// src/ is not linted here: `tsc` builds it under strict settings already.
import tseslint from 'typescript-eslint';

/** A focused test (`it.only`) that silently skips the rest of its file. */
const noOnly = ['describe', 'it', 'test'].map((object) => ({ object, property: 'only', message: 'Commit no focused test.' }));

export default tseslint.config(
  {
    files: ['test/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: ['./test/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `using _guard = x.hold()`: the binding exists to be disposed.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
      // An async function without await is how a test turns a sync call into a Promise.
      '@typescript-eslint/require-await': 'off',
      // Tests label their cases with String(value), whatever the value.
      '@typescript-eslint/no-base-to-string': 'off',
      // A cast a test needs against today's declarations (`revive(h) as Lock`) must not fail
      // the lint once the declarations get sharper (handles typed by kind).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      'no-restricted-properties': ['error', ...noOnly],
      'no-sparse-arrays': 'error',
    },
  },
  {
    // Type tests bind values only to look at their types.
    files: ['test/types/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    files: ['test/**/*.mjs'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
      'no-sparse-arrays': 'error',
    },
  },
);
