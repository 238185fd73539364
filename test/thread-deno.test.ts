/**
 * Thread and Pipe in real Deno 2 (the `deno` dev dependency ships the binary): Deno's
 * `node:worker_threads` runs the supervisor and its Thread workers, so a blocking join returns
 * however the thread ended there too. One child `deno run` of test/fixtures/deno/threads.mjs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild } from './helpers/node-child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const deno = fileURLToPath(new URL('../node_modules/.bin/deno', import.meta.url));

describe.skipIf(!existsSync(deno))('Thread in Deno', () => {
  it('join after return, process.exit, a throw and terminate; a dead thread\'s lock taken over; a Pipe', async () => {
    const run = await runChild(deno, ['run', '--allow-all', '--no-prompt', 'test/fixtures/deno/threads.mjs'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Exception in thread Thread-3:');
    expect(JSON.parse(run.stdout)).toEqual({
      add: [true, 5],
      exit: [true, 3],
      boom: [true, 'b', 'E_BOOM'],
      spin0: false,
      spin: [true, 1],
      takeover: true,
      pipe: [42, true],
    });
  });
});
