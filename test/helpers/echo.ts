/**
 * Items through another thread and back: the other thread's unpacker and packer against ours
 * (test/fixtures/queue.mjs `echo`).
 */
import { expect } from 'vitest';
import { Queue } from 'sabsync';
import { start } from './workers.js';

/**
 * Put `values` on a queue of `bytes` that a worker echoes onto a second one, and check each
 * value that comes back with `same` against its `structuredClone`, taken before its put.
 */
export async function expectEchoed(values: unknown[], bytes: number, same: (got: unknown, want: unknown) => void): Promise<void> {
  const there = new Queue(0, { bytes });
  const back = new Queue(0, { bytes });
  const wants = values.map((v) => {
    const want = structuredClone(v);
    there.put(v);
    return want;
  });
  const echo = start('queue.mjs', 'echo', { from: there.handle, to: back.handle, n: values.length });
  for (const want of wants) same(await back.getAsync(20_000), want);
  expect(await echo.result).toBe(values.length);
}
