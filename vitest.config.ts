import { defineConfig } from 'vitest/config';

// Each test file runs in a forked child process whose main thread may call Atomics.wait.
// Worker fixtures are plain .mjs files that import the built package ('sabsync' -> dist/),
// so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
