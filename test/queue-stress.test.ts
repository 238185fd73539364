// Stress: 4 producers × 25,000 items and 4 consumers through a Queue of maxsize 16. Every item
// must arrive exactly once, each producer's items in order, join() must return, and no thread
// may be left blocked (every worker finishes within its timeout). The same harness run with a
// deliberately broken queue (no mutual exclusion) must break those invariants, which proves it
// can catch a queue that lets two threads in at once.
import { describe, expect, it } from 'vitest';
import { LifoQueue, PriorityQueue, Queue } from 'sabsync';
import { BrokenQueue } from './fixtures/broken-queue.mjs';
import { start } from './helpers/workers.js';

const F = 'queue.mjs';
const PRODUCERS = 4;
const CONSUMERS = 4;
const COUNT = 25_000;

/** What the harness needs of a queue on this thread. */
interface Stressed {
  readonly handle: unknown;
  joinAsync(): Promise<void>;
  shutdown(): void;
  qsize(): number;
}

/**
 * PRODUCERS × COUNT numbers through `q`, taken by CONSUMERS; then join and shut down. Returns
 * the invariants' readings: items got, items seen out of their producer's order, items not
 * seen exactly once, items left in the queue.
 */
async function stress(q: Stressed): Promise<{ got: number; outOfOrder: number; notOnce: number; left: number }> {
  const seen = new SharedArrayBuffer(PRODUCERS * COUNT * 4);
  const consumers = Array.from({ length: CONSUMERS }, (_, index) =>
    start<{ got: number; outOfOrder: number }>(F, 'consumer', { handle: q.handle, seen, producers: PRODUCERS, count: COUNT }, { index, timeout: 25_000 }),
  );
  const producers = Array.from({ length: PRODUCERS }, (_, index) =>
    start<number>(F, 'producer', { handle: q.handle, count: COUNT }, { index, timeout: 25_000 }),
  );
  expect(await Promise.all(producers.map((p) => p.result))).toEqual(Array(PRODUCERS).fill(COUNT));
  // Every item put has been got and marked done: join returns.
  await q.joinAsync();
  q.shutdown();
  const results = await Promise.all(consumers.map((c) => c.result));
  const marks = new Int32Array(seen);
  let notOnce = 0;
  for (let i = 0; i < marks.length; i++) if (marks[i] !== 1) notOnce++;
  return {
    got: results.reduce((n, r) => n + r.got, 0),
    outOfOrder: results.reduce((n, r) => n + r.outOfOrder, 0),
    notOnce,
    left: q.qsize(),
  };
}

describe('Queue stress', () => {
  it(`${PRODUCERS} producers × ${COUNT} items, ${CONSUMERS} consumers, maxsize 16: exactly once, in per-producer order`, async () => {
    expect(await stress(new Queue<number>(16))).toEqual({ got: PRODUCERS * COUNT, outOfOrder: 0, notOnce: 0, left: 0 });
  }, 40_000);

  it('the same harness catches a broken queue (no mutual exclusion): items lost or got twice', async () => {
    const readings = await stress(new BrokenQueue(16));
    expect(readings.notOnce).toBeGreaterThan(0);
  }, 40_000);

  it.each([
    ['LifoQueue', () => new LifoQueue(8), false],
    ['PriorityQueue', () => new PriorityQueue(8) as Queue<unknown>, true],
  ] as const)('%s: 2 producers × 5,000 items, 2 consumers, maxsize 8: exactly once, join returns', async (_, make, pairs) => {
    const q = make();
    const count = 5_000;
    const seen = new SharedArrayBuffer(2 * count * 4);
    const data = { handle: q.handle, seen, producers: 2, count, pairs, ordered: false };
    const consumers = [0, 1].map((index) => start<{ got: number }>(F, 'consumer', data, { index, timeout: 25_000 }));
    const producers = [0, 1].map((index) => start<number>(F, 'producer', { handle: q.handle, count, pairs }, { index, timeout: 25_000 }));
    await Promise.all(producers.map((p) => p.result));
    await q.joinAsync();
    q.shutdown();
    const got = (await Promise.all(consumers.map((c) => c.result))).reduce((n, r) => n + r.got, 0);
    expect(got).toBe(2 * count);
    expect(new Int32Array(seen).every((m) => m === 1)).toBe(true);
  }, 40_000);
});
