// Stress: 4 producers × 25,000 items and 4 consumers through a Queue of maxsize 16. Every item
// must arrive exactly once, each producer's items in order, join() must return, and no thread
// may be left blocked (every worker finishes within its timeout).
import { describe, expect, it } from 'vitest';
import { LifoQueue, PriorityQueue, Queue } from 'sabsync';
import { start } from './helpers/workers.js';

const F = 'queue.mjs';
const PRODUCERS = 4;
const CONSUMERS = 4;
const COUNT = 25_000;

describe('Queue stress', () => {
  it(`${PRODUCERS} producers × ${COUNT} items, ${CONSUMERS} consumers, maxsize 16: exactly once, in per-producer order`, async () => {
    const q = new Queue<number>(16);
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
    expect(results.reduce((n, r) => n + r.got, 0)).toBe(PRODUCERS * COUNT);
    expect(results.map((r) => r.outOfOrder)).toEqual(Array(CONSUMERS).fill(0));
    const marks = new Int32Array(seen);
    let wrong = 0;
    for (let i = 0; i < marks.length; i++) if (marks[i] !== 1) wrong++;
    expect(wrong).toBe(0);
    expect(q.qsize()).toBe(0);
  }, 40_000);

  it.each([
    ['LifoQueue', () => new LifoQueue(8) as Queue<unknown>, false],
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
