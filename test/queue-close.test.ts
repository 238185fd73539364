// A FIFO Queue shut down is closed to puts by a mark on the slot of its first unpublished
// position (src/queue/ring.ts "Shutdown"), so that the common put reads no SHUTDOWN word: a put
// racing shutdown lands before shutdown returns or throws ShutDown, and none lands after — with
// a putter that never stops putting, with a ring full at shutdown whose gets then free slots,
// and when a thread dies holding the claim of the marked slot (its recovery keeps the mark).
import { afterEach, describe, expect, it } from 'vitest';
import { Queue, ShutDown } from 'sabsync';
import { markDead, recoverQueue, sabsyncIdOf } from './helpers/internals.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'queue-close.mjs';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown): Running<T> {
  const r = start<T>(F, fn, data, { timeout: 30_000 });
  running.push(r);
  return r;
}

describe('a putter that keeps putting while shutdown runs', () => {
  it.each([false, true])('shutdown(%s) returns, and no put lands after it returned', async (immediate) => {
    for (let round = 0; round < 3; round++) {
      const q = new Queue<number>();
      const done = new SharedArrayBuffer(4);
      const count = new Int32Array(done);
      const putter = run<number>('putUntilShut', { handle: q.handle, done });
      const getter = run<number>('getUntilShut', { handle: q.handle });
      await waitUntil(() => Atomics.load(count, 0) >= 20_000, 20_000, 'the putter to put 20,000 items');
      q.shutdown(immediate);
      // Puts that returned by now; one more may have landed before shutdown returned and not
      // counted itself yet. Any further put would have landed after.
      const before = Atomics.load(count, 0);
      const put = await putter.result;
      expect(put - before).toBeLessThanOrEqual(1);
      const got = await getter.result;
      expect(q.qsize()).toBe(0);
      if (!immediate) expect(got).toBe(put);
      else expect(got).toBeLessThanOrEqual(put);
      expect(() => q.put(1, 0)).toThrow(ShutDown);
    }
  });
});

describe('a ring full at shutdown stays closed once gets free its slots', () => {
  // 4: the put's first try applies (the limit is the slot count); 1: a ring of 2 slots with a
  // limit of 1 (every put the slow way); 256: HEAD moved at each 32nd get only (positions.ts
  // "Positions"), so a put's first try applies once 32 items are got.
  it.each([
    [4, 1],
    [1, 1],
    [256, 32],
  ])('maxsize %i, a put tried after each %i gets', (maxsize, every) => {
    const q = new Queue<number>(maxsize);
    for (let i = 0; i < maxsize; i++) q.put(i);
    q.shutdown();
    for (let i = 0; i < maxsize; i++) {
      expect(q.get(0)).toBe(i);
      if ((i + 1) % every !== 0) continue;
      // Room now: a put that landed would show in qsize; one that waited would say Full.
      expect(() => q.put(100 + i, 100)).toThrow(ShutDown);
      expect(() => q.putNowait(100 + i)).toThrow(ShutDown);
      expect(q.qsize()).toBe(maxsize - 1 - i);
    }
    expect(() => q.get(0)).toThrow(ShutDown);
  });

  it('a putter asleep on the full ring wakes with ShutDown; a get then frees a slot it cannot take', async () => {
    const q = new Queue<number>(4);
    for (let i = 0; i < 4; i++) q.put(i);
    const done = new SharedArrayBuffer(4);
    const putter = run<number>('putUntilShut', { handle: q.handle, done });
    await waitUntil(() => q.qsize() === 4 && running.length === 1, 10_000);
    q.shutdown();
    expect(await putter.result).toBe(0);
    expect(q.get(0)).toBe(0);
    await expect(q.putAsync(9, 100)).rejects.toThrow(ShutDown);
    expect(q.qsize()).toBe(3);
  });
});

describe('a thread killed holding the claim of the marked slot', () => {
  it('a put: its recovery gives the slot back marked, and the next put throws ShutDown', async () => {
    const q = new Queue<number>();
    q.put(1);
    q.shutdown();
    const r = run('dieClaimingMarked', { handle: q.handle, side: 'put' });
    await waitUntil(() => r.progress.includes('inside'), 10_000, 'the claim to be made');
    const id = sabsyncIdOf(r.worker.threadId);
    await r.worker.terminate();
    expect(await recoverQueue(q, id)).toBe(true);
    expect(() => q.put(2, 0)).toThrow(ShutDown);
    expect(() => q.put(2, 100)).toThrow(ShutDown);
    expect(q.qsize()).toBe(1);
    expect(q.get(0)).toBe(1);
    expect(() => q.get(0)).toThrow(ShutDown);
  });

  it('a get of the item in the marked slot (the ring full): settled back marked; the get that empties it keeps the mark', async () => {
    const q = new Queue<number>(2);
    q.put(1);
    q.put(2);
    q.shutdown();
    const r = run('dieClaimingMarked', { handle: q.handle, side: 'get' });
    await waitUntil(() => r.progress.includes('inside'), 10_000, 'the claim to be made');
    const id = sabsyncIdOf(r.worker.threadId);
    await r.worker.terminate();
    markDead(id);
    // This get meets the dead claim and settles it: the get never happened, the item is there.
    expect(q.get(5_000)).toBe(1);
    expect(() => q.put(3, 0)).toThrow(ShutDown);
    expect(() => q.put(3, 100)).toThrow(ShutDown);
    expect(q.qsize()).toBe(1);
    expect(q.get(0)).toBe(2);
    expect(() => q.get(0)).toThrow(ShutDown);
  });
});
