/** Test helpers for pools: their live workers (a test hook), futures that must settle in time, and what a channel carries. */
import { expect } from 'vitest';
import { Queue, WorkerCrashedError, wait, type Future } from 'sabsync';
import type { Worker } from 'node:worker_threads';

/** The live workers of a pool (its test hook). */
export const workersOf = (x: object): Worker[] => (x as Record<symbol, Worker[]>)[Symbol.for('sabsync.poolWorkers')]!;

/** Settle within `ms` or fail the test (a hang is the bug such tests look for). */
export async function settledWithin<T>(fs: Future<T>[], ms: number): Promise<void> {
  const { notDone } = await wait(fs, { timeout: ms });
  expect(notDone.size, `${notDone.size} futures never settled`).toBe(0);
}

/**
 * Terminate a random live worker of `pool` every 0–`pause` ms while `busy()` holds, and at least
 * three times; resolves to the number of kills.
 */
export async function killWhile(pool: object, busy: () => boolean, pause: number): Promise<number> {
  let kills = 0;
  while (busy() || kills < 3) {
    await new Promise((r) => setTimeout(r, Math.random() * pause));
    const ws = workersOf(pool);
    if (ws.length > 0) {
      void ws[Math.floor(Math.random() * ws.length)]!.terminate();
      kills++;
    }
  }
  return kills;
}

/**
 * After a run with kills: each future either has `expected(i)` as its result and its task ran
 * exactly once (`counts[i]`), or failed with WorkerCrashedError and its task ran at most once.
 * Resolves to the number that failed.
 */
export async function onceOrCrashed(futures: Future<unknown>[], counts: ArrayLike<number>, expected: (i: number) => unknown): Promise<number> {
  let crashed = 0;
  for (let i = 0; i < futures.length; i++) {
    const f = futures[i]!;
    const err = await f.exception();
    if (err === undefined) {
      expect(await f.result()).toEqual(expected(i));
      expect(counts[i], `task ${i} ran ${counts[i]} times`).toBe(1);
    } else {
      expect(err).toBeInstanceOf(WorkerCrashedError);
      expect(counts[i]).toBeLessThanOrEqual(1);
      crashed++;
    }
  }
  return crashed;
}

/**
 * The longest string length `len` (from 1,000 up) for which `item(len)` fits a Queue of `bytes`
 * (a put of it does not throw ERR_TOO_LARGE): what a pool's channel of that size carries.
 */
export function largestFitting(item: (len: number) => unknown, bytes: number): number {
  const q = new Queue<unknown>(4, { bytes });
  const fits = (len: number): boolean => {
    try {
      q.putNowait(item(len));
      q.getNowait();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_TOO_LARGE') return false;
      throw error;
    }
  };
  let lo = 1000;
  let hi = bytes;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
