/**
 * Stress with invariants: many workers, real contention, exact totals checked at the end.
 * The same increment harness run with a deliberately broken lock must produce a wrong total,
 * which proves the harness can catch a lock that lets two threads in at once.
 */
import { describe, expect, test } from 'vitest';
import { Condition, Lock, RLock } from 'sabsync';
import { runMany } from './helpers/workers.js';

const WORKERS = 4;
const INCREMENTS = 100_000;

interface Hammered {
  handle: unknown;
}

/** Run the increment harness with `lock` in WORKERS workers; return the counter's final value. */
async function hammer(kind: string, lock: Hammered, nested = false): Promise<number> {
  const counter = new SharedArrayBuffer(4);
  const ctl = new SharedArrayBuffer(4);
  await runMany(WORKERS, 'locks.mjs', 'hammer', { kind, handle: lock.handle, counter, ctl, workers: WORKERS, n: INCREMENTS, nested }, 15_000);
  return new Int32Array(counter)[0]!;
}

describe('lock-protected increments: 4 workers × 100,000, plain read-then-write counter', () => {
  test('Lock: exact total, lock free at the end', async () => {
    const lock = new Lock();
    expect(await hammer('Lock', lock)).toBe(WORKERS * INCREMENTS);
    expect(lock.locked()).toBe(false);
  });

  test('RLock (acquired twice per increment): exact total, lock free at the end', async () => {
    const lock = new RLock();
    expect(await hammer('RLock', lock, true)).toBe(WORKERS * INCREMENTS);
    expect(lock.locked()).toBe(false);
  });

  test('the same harness catches a broken lock (check-then-set without CAS): the total is wrong', async () => {
    // A free BrokenLock is 8 zeroed bytes; the workers attach with BrokenLock.from(handle).
    const total = await hammer('Broken', { handle: { buffer: new SharedArrayBuffer(8), byteOffset: 0 } });
    expect(total).toBeLessThan(WORKERS * INCREMENTS);
  });
});

describe('Condition under stress', () => {
  test('ping-pong between two workers, 10,000 rounds: strict alternation, no lost wake-up', async () => {
    const cond = new Condition();
    const state = new SharedArrayBuffer(8);
    const rounds = 10_000;
    const results = await runMany<number>(2, 'condition.mjs', 'pingPong', { handle: cond.handle, state, rounds }, 15_000);
    expect(results).toEqual([rounds, rounds]);
    expect(new Int32Array(state)[0]).toBe(2 * rounds);
  });

  test('notify(n) with 8 waiting workers: total wake-ups equal total notified, none spurious', async () => {
    const cond = new Condition(new Lock());
    const consumers = 8;
    const rounds = 300;
    // [entered, notified, woken] — plain counters, only touched with the condition's lock held.
    const counts = new SharedArrayBuffer(12);
    const data = { handle: cond.handle, counts, consumers, rounds };
    const [woken, producer] = await Promise.all([
      runMany<number>(consumers, 'condition.mjs', 'consumer', data, 15_000),
      runMany<number>(1, 'condition.mjs', 'producer', data, 15_000),
    ]);
    expect(woken).toEqual(Array(consumers).fill(rounds));
    const [entered, notified, total] = new Int32Array(counts);
    expect(producer[0]).toBe(consumers * rounds);
    expect(notified).toBe(consumers * rounds);
    expect(total).toBe(notified);
    expect(entered).toBe(notified);
  });
});
