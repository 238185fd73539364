import { defineConfig } from 'vitest/config';

// Each test file runs in a forked child process whose main thread may call Atomics.wait.
//
// One import convention: tests and worker fixtures use the built package, as users do — the
// public API from 'sabsync' (dist/, through the package's own `exports`), and the internals a
// white-box test needs from the same built modules: tests through test/helpers/internals.ts,
// fixtures (plain .mjs files) from '../../dist/...'. Never from src/: a second copy of the
// modules would hold different internal Symbols, and a worker cannot load .ts. So `npm test`
// builds first (then lints and type-checks the tests: test/tsconfig.json, eslint.config.js).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
