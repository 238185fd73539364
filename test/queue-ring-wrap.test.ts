// The FIFO Queue's ring (src/queue/ring.ts "Positions") where its positions wrap: positions run
// mod M = CAP * floor(2^30 / CAP), and the ring computes them without a division (a slot's index
// is a mask when CAP is a power of 2, `p % CAP` otherwise; sums and distances mod M by one
// comparison). A queue's words are set as if ≈ 2^30 items had passed (TAIL, HEAD, DONE and every
// slot's SEQ just before M), then items cross the wrap: in rings of a power of 2 and of other
// sizes, moved at every position (< 128 slots) and lazily (128 and more).
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { nearWrap } from './helpers/ring.js';
import { start, type Running } from './helpers/workers.js';

const F = 'ring-wrap.mjs';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown): Running<T> {
  const r = start<T>(F, fn, data, { timeout: 60_000 });
  running.push(r);
  return r;
}

/** A new queue of `maxsize` standing at position M - `before` (helpers/ring.ts). */
function queueNearWrap(maxsize: number, before: number): { q: Queue<number>; cap: number; m: number } {
  const q = new Queue<number>(maxsize);
  return { q, ...nearWrap(q, before) };
}


// maxsize: a power of 2 moved at every position, another size so, a power of 2 moved lazily,
// another size so, and the default queue (16,384 slots).
const SIZES = [4, 5, 128, 200, 0];

describe('ring positions across their wrap at M', () => {
  for (const maxsize of SIZES) {
    it(`maxsize ${maxsize}: one by one for 3 laps, then full and drained, in order, counted`, () => {
      const { q, cap } = queueNearWrap(maxsize, 3);
      const laps = Math.min(3 * cap, 3000);
      // One by one: the queue holds one item between a put and the next get.
      for (let i = 0; i < laps; i++) {
        q.put(i, 1000);
        expect(q.qsize()).toBe(1);
        expect(q.get(1000)).toBe(i);
        q.taskDone();
      }
      expect(q.empty()).toBe(true);
      // Filled to its limit across the wrap (the positions above are a lap or more past it).
      for (let i = 0; i < cap; i++) q.putNowait(i);
      expect(q.qsize()).toBe(cap);
      expect(q.full()).toBe(true);
      expect(() => q.putNowait(-1)).toThrow(expect.objectContaining({ name: 'Full' }));
      for (let i = 0; i < cap; i++) expect(q.getNowait()).toBe(i);
      expect(() => q.getNowait()).toThrow(expect.objectContaining({ name: 'Empty' }));
      for (let i = 0; i < cap; i++) q.taskDone();
      expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
      q.join();
    });
  }

  it('a full ring whose oldest item sits before the wrap and newest after it: counted, in order', () => {
    for (const maxsize of [5, 200]) {
      const { q, cap } = queueNearWrap(maxsize, 2);
      for (let i = 0; i < cap; i++) q.put(i, 1000);
      expect(q.qsize()).toBe(cap);
      expect(() => q.putNowait(-1)).toThrow(expect.objectContaining({ name: 'Full' }));
      expect(q.get(1000)).toBe(0);
      q.put(cap, 1000);
      for (let i = 1; i <= cap; i++) expect(q.get(1000)).toBe(i);
      expect(q.qsize()).toBe(0);
    }
  });

  for (const maxsize of [5, 128, 200]) {
    it(`maxsize ${maxsize}: 2 producers × 2 consumers in other threads across the wrap: every item exactly once, each producer's in order`, async () => {
      const { q, cap } = queueNearWrap(maxsize, 7);
      const n = Math.max(20 * cap, 2000);
      const puts = [run<string>('putRange', { handle: q.handle, from: 0, n }), run<string>('putRange', { handle: q.handle, from: 1e6, n })];
      const gets = [run<number[]>('getMany', { handle: q.handle, n }), run<number[]>('getMany', { handle: q.handle, n })];
      expect(await Promise.all(puts.map((r) => r.result))).toEqual(['ok', 'ok']);
      const got = await Promise.all(gets.map((r) => r.result));
      for (const items of got) {
        // Each consumer sees each producer's items in the order put.
        const mine = items.filter((x) => x < 1e6);
        const theirs = items.filter((x) => x >= 1e6);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
        expect(theirs).toEqual([...theirs].sort((a, b) => a - b));
      }
      const all = got.flat().sort((a, b) => a - b);
      const expected = [...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: n }, (_, i) => 1e6 + i)];
      expect(all).toEqual(expected);
      expect(q.qsize()).toBe(0);
    });
  }
});

describe('small items copied into and out of their slots (ring.ts `wordsOf` keeps the last array)', () => {
  it('items of every length up to SMALL, before and after the encoder grows its memory, from put and putAsync, round-trip', async () => {
    const q = new Queue<unknown>();
    const items: unknown[] = [];
    for (let k = 0; k <= 120; k++) items.push('é'.repeat(k % 7) + 'x'.repeat(k));
    // A big item grows the encoder's memory: later views are of another buffer.
    const big = 'y'.repeat(300_000);
    for (const item of items) q.put(item, 1000);
    q.put(big, 1000);
    for (const item of items) q.put(item, 1000);
    for (const item of items) await q.putAsync(item, 1000);
    for (const item of items) expect(q.get(1000)).toEqual(item);
    expect(q.get(1000)).toBe(big);
    for (const item of items) expect(q.get(1000)).toEqual(item);
    for (const item of items) expect(await q.getAsync(1000)).toEqual(item);
    expect(q.qsize()).toBe(0);
  });
});
