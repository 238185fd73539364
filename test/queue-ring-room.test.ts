// The FIFO ring's small items kept in their slots (src/queue/ring.ts, SMALL = 112 encoded
// bytes): what a put of such an item waits for, and where the 112-byte limit falls. Real
// threads, real shared memory; every wait bounded.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { fifo, layoutOfWords, SMALL } from './helpers/internals.js';
import { start, type Running } from './helpers/workers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

/** The ring's words of a FIFO queue (ring.ts): PUTTERS, PENDING of puts; the slots' count. */
function ringWords(q: Queue<unknown>): { putters: () => number; putGen: () => number; putPending: () => number } {
  const h = q.handle as unknown as { buffer: SharedArrayBuffer; byteOffset: number };
  const l = layoutOfWords(fifo, new Int32Array(h.buffer, h.byteOffset, 16));
  const i32 = new Int32Array(h.buffer, h.byteOffset, l.arena >> 2);
  const r = l.ring >> 2;
  return { putters: () => Atomics.load(i32, r + 33), putGen: () => Atomics.load(i32, r + 36), putPending: () => Atomics.load(i32, r + 40) };
}

// A string of n ASCII characters encodes to n + 5 bytes (codec.ts; the ring test's 95 -> 100).
const encodedAs = (bytes: number, c = 's') => c.repeat(bytes - 5);

describe('a put of a small item while the arena has no free chunk (ring.ts sleep: `roomFor`)', () => {
  // Queue(4, { bytes: 1024 }): 4 slots, 16 chunks. Held: a small item, two items of 8 chunks
  // each (every chunk taken), a small item: the slots are full. A putter of a small item finds
  // FULL and goes to sleep; a get of the first item frees a slot. The putter needs no chunk, but
  // the check it made after counting itself in PUTTERS was `roomFor(0)` = `!full`, and `full`
  // said true while `freeChunks === 0`. So when the get's emptying and its load of PUTTERS
  // (0: no wake-up) fell between the putter's FULL and its count, the putter's last look said
  // "no room" and it parked with nobody left to wake it: a lost wake-up (now the check asks for
  // a slot and the chunks the put needs). Here the putter knows no
  // liveness table, so it sleeps out its whole timeout; a thread that knows one (any thread that
  // revived a handle) looks again at its next death-check slice: 50 ms, then up to 1 s.
  // The control row keeps chunks free (two small items instead of the two big ones): the same
  // race passed, so what failed the other rows was the arena's `freeChunks === 0`; numbers had
  // the same check. A race: each row runs up to 20,000 trials or 4 s; on a loaded 2-core host
  // the window was hit within a few hundred trials, but a run that never hits it passes.
  it.each([
    ['a small item (kept in its slot), no chunk free', 'p'.repeat(95), true],
    ['a number (kept in its slot too), no chunk free', 7, true],
    ['control: a small item, chunks free', 'p'.repeat(95), false],
  ] as const)('%s: a put never sleeps out its timeout while a slot is free (race, many trials)', async (_, item, fill) => {
    const q = new Queue<unknown>(4, { bytes: 1024 });
    const small = encodedAs(100);
    const big = (c: string) => (fill ? c.repeat(507) : encodedAs(100, c));
    const go = new SharedArrayBuffer(12);
    const g = new Int32Array(go);
    const timeout = 3_000;
    const putter = start<unknown>('ring-room.mjs', 'racePutter', { handle: q.handle, go, trials: 1_000_000, item, timeout }, { timeout: 60_000 });
    running.push(putter);
    const words = ringWords(q);
    const budget = performance.now() + 4_000;
    let trials = 0;
    let stuck: string | undefined;
    let delay = 0;
    for (let k = 1; k <= 20_000 && performance.now() < budget; k++) {
      q.put(small, 0);
      q.put(big('a'), 0);
      q.put(big('b'), 0);
      q.put(small, 0);
      const gen = words.putGen();
      Atomics.store(g, 0, k);
      // Aim the get at the putter's steps: `delay` loads after the go. A get that came late (the
      // putter had counted itself asleep: the get bumped PUT_GEN) moves the next one earlier; one
      // that came early (the putter found the slot free) later. So the gets dither around the
      // putter's FULL, where the window is: between that FULL and its count in PUTTERS.
      for (let i = 0; i < delay; i++) Atomics.load(g, 0);
      if (q.get(0) !== small) throw new Error('the first item is not the first put');
      const end = performance.now() + 2_000;
      while (Atomics.load(g, 1) !== k && performance.now() < end);
      if (Atomics.load(g, 1) !== k) {
        stuck = `trial ${k}: the putter is still asleep 2 s after a slot was freed (qsize ${q.qsize()} of 4, PUTTERS ${words.putters()}, put PENDING ${words.putPending()})`;
        break;
      }
      trials = k;
      delay = Math.max(0, delay + (words.putGen() !== gen ? -1 : 1) * (1 + (k % 7)));
      for (let i = 0; i < 4; i++) q.get(0);
    }
    Atomics.store(g, 2, 1);
    const outcome = await putter.result;
    expect(stuck ?? outcome, `after ${trials} clean trials`).toBe('stopped');
  }, 30_000);
});

describe('items at the 112-byte limit (SMALL) and one past it, mixed with numbers', () => {
  it('SMALL is 112; items of 111, 112, 113 encoded bytes and numbers come out whole, in order, across threads', async () => {
    expect(SMALL).toBe(112);
    // Two slots: every slot is reused many times, by items kept in it and by items in chunks.
    const q = new Queue<unknown>(2, { bytes: 4096 });
    const items: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const c = String.fromCharCode(97 + (i % 26));
      items.push(encodedAs(111, c), i, encodedAs(112, c), encodedAs(113, c), { i, s: c.repeat(80) });
    }
    const getter = start<unknown[]>('queue.mjs', 'getN', { handle: q.handle, n: items.length, timeout: 10_000 }, { timeout: 30_000 });
    running.push(getter);
    for (const x of items) q.put(x, 10_000);
    expect(await getter.result).toEqual(items);
    expect(q.qsize()).toBe(0);
  }, 40_000);
});
