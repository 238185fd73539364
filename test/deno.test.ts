/**
 * sabsync in real Deno 2 (the `deno` dev dependency ships the binary): small scripts under
 * test/fixtures/deno/ run in a child `deno run` with a timeout, importing the built package by
 * its own name. Deno's `receiveMessageOnPort` refuses a BroadcastChannel, so there a queue's
 * shared buffers arrive only through the side channel's `onmessage` (src/queue/buffers.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild, type ChildRun } from './helpers/node-child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const deno = fileURLToPath(new URL('../node_modules/.bin/deno', import.meta.url));
const present = existsSync(deno);

/** Run fixture `name` under Deno; rejected if it has not exited within `timeout` ms. */
async function runDeno(name: string, timeout = 15_000): Promise<ChildRun> {
  const run = await runChild(deno, ['run', '--allow-all', '--no-prompt', `test/fixtures/deno/${name}`], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    timeout,
  });
  if (run.timedOut) throw new Error(`deno run ${name} did not exit within ${timeout} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** The JSON line a fixture printed, once it exited with 0 (else its stderr in the failure). */
async function result(name: string): Promise<unknown> {
  const exit = await runDeno(name);
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return JSON.parse(exit.stdout);
}

if (!present) {
  console.warn(`test/deno.test.ts skipped: no Deno binary at ${deno} (npm ci installs it with the 'deno' dev dependency)`);
}

describe.skipIf(!present)('in Deno', () => {
  it('a Queue carries 1,000 items through getAsync and get on one thread (past the periodic tidy of the side channel)', async () => {
    expect(await result('queue.mjs')).toEqual({ sum: 499_500, empty: true });
  });

  it('an Executor settles 1,000 tasks and the process then exits by itself', async () => {
    expect(await result('executor.mjs')).toEqual({ settled: 1000, sum: 332_833_500 });
  });

  it("a Web Worker is not the main thread's RLock owner (Deno reports threadId 0 in every Web Worker)", async () => {
    expect(await result('owners.mjs')).toEqual({ acquired: false, releaseCode: 'ERR_NOT_OWNER' });
  });

  it("a ReaderWriterLock's reads belong to threads between Web Workers too; WaitGroup and Once across them", async () => {
    expect(await result('rwlock.mjs')).toEqual({
      releaseCodes: ['ERR_NOT_OWNER', 'ERR_NOT_OWNER'],
      read: true,
      writeWhileRead: false,
      wrote: true,
      waited: true,
      free: true,
    });
  });

  it('a Lock and a SharedArrayBuffer in an item arrive live in a module Worker through getAsync; a sync get that needs an unreceived buffer says to use getAsync and leaves the item queued', async () => {
    expect(await result('shared.mjs')).toEqual({
      released: true,
      seen: 42,
      syncError: { code: 'ERR_CANNOT_BLOCK', namesAsync: true },
      stillQueued: 1,
      replySeen: 7,
      written: 99,
    });
  });
});
