/** Test helpers for pools: their live workers (a test hook), and futures that must settle in time. */
import { expect } from 'vitest';
import { wait, type Future } from 'sabsync';
import type { Worker } from 'node:worker_threads';

/** The live workers of a pool (its test hook). */
export const workersOf = (x: object): Worker[] => (x as Record<symbol, Worker[]>)[Symbol.for('sabsync.poolWorkers')]!;

/** Settle within `ms` or fail the test (a hang is the bug such tests look for). */
export async function settledWithin<T>(fs: Future<T>[], ms: number): Promise<void> {
  const { notDone } = await wait(fs, { timeout: ms });
  expect(notDone.size, `${notDone.size} futures never settled`).toBe(0);
}
