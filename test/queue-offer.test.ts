// A FIFO Queue's `offer` (src/queue/queue.ts, internal: the pool's owner puts its tasks'
// numbers and items with it and must never block its event loop): true once the item is put;
// false, without waiting and with nothing changed, when the queue is full, another thread's
// claim holds the end a put needs — a live one, or one a killed thread left (settled only by a
// put that may wait, once the death is known) —, or an item in chunks finds the queue's lock
// taken; ShutDown once the queue is shut down. On a ring of 4 slots (TAIL and HEAD moved at
// every position) and of 256 (moved lazily: ring.ts "Positions").
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { markDead, offer, sabsyncIdOf, SMALL } from './helpers/internals.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

/**
 * A worker that claims the slot the next put (`side` 'put') or get ('get') would claim, as
 * that operation's first step does, and is killed there: its sabsync id. The death is not
 * marked: to the queue the claim is a live thread's until a test marks it.
 */
async function killedClaiming(q: Queue<number>, side: 'put' | 'get'): Promise<number> {
  const r = start('ring.mjs', 'dieClaiming', { handle: q.handle, side }, { timeout: 30_000 });
  running.push(r);
  await waitUntil(() => r.progress.includes('inside'), 10_000, 'the claim to be made');
  const id = sabsyncIdOf(r.worker.threadId);
  await r.worker.terminate();
  return id;
}

/** Put and get `n` numbers one by one, so that the positions are past TAIL and HEAD in a lazy ring. */
function pass(q: Queue<number>, n: number): void {
  for (let i = 0; i < n; i++) {
    q.put(i);
    q.get(0);
  }
}

/** Drain `q` without waiting: the numbers it held, in order. */
function drain(q: Queue<number>): number[] {
  const got: number[] = [];
  while (q.qsize() > 0) got.push(q.get(0));
  return got;
}

describe.each([4, 256])('offer on a ring of %i slots', (slots) => {
  it('puts while there is room (true), refuses on a full queue (false, nothing changed)', () => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    for (let i = 0; i < slots; i++) expect(offer(q, i)).toBe(true);
    expect(q.full()).toBe(true);
    expect(offer(q, -1)).toBe(false);
    expect(q.qsize()).toBe(slots);
    expect(q.get(0)).toBe(0);
    // One slot freed: the next offer takes it.
    expect(offer(q, slots)).toBe(true);
    expect(offer(q, -1)).toBe(false);
    expect(drain(q)).toEqual(Array.from({ length: slots }, (_, i) => i + 1));
    expect(offer(q, 7)).toBe(true);
    expect(q.get(0)).toBe(7);
  });

  it("refuses at once while a getter killed on a full lap holds its claim at the queue's end (the slot a put needs)", async () => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    for (let i = 0; i < slots; i++) q.put(i);
    const id = await killedClaiming(q, 'get');
    // The claim is on the oldest item, whose slot is the next put's: a put would wait it out.
    expect(() => q.put(-1, 50)).toThrow(expect.objectContaining({ name: 'Full' }));
    expect(offer(q, -1)).toBe(false);
    expect(offer(q, -1)).toBe(false);
    // Once the death is known, a get settles the claim and gets the item (never taken).
    markDead(id);
    expect(q.get(5_000)).toBe(0);
    expect(offer(q, slots)).toBe(true);
    expect(drain(q)).toEqual(Array.from({ length: slots }, (_, i) => i + 1));
  });

  it('refuses at once while a killed put holds its claim at the end; a put settles it once the death is known', async () => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    q.put(1);
    const id = await killedClaiming(q, 'put');
    expect(offer(q, 2)).toBe(false);
    expect(q.qsize()).toBe(1);
    markDead(id);
    // offer never settles (settling may wait for the queue's lock): still refused ...
    expect(offer(q, 2)).toBe(false);
    // ... until a put, which may wait, has settled the claim.
    q.put(2, 5_000);
    expect(offer(q, 3)).toBe(true);
    expect(drain(q)).toEqual([1, 2, 3]);
  });

  it("a get's claim at the front of a queue with room is not in the way: true", async () => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    q.put(1);
    q.put(2);
    const id = await killedClaiming(q, 'get');
    expect(offer(q, 3)).toBe(true);
    markDead(id);
    expect(drain(q)).toEqual([1, 2, 3]);
  });

  it('throws ShutDown once the queue is shut down, full or not (nothing put)', () => {
    const q = new Queue<number>(slots);
    q.shutdown();
    expect(() => offer(q, 1)).toThrow(expect.objectContaining({ name: 'ShutDown' }));
    const full = new Queue<number>(slots);
    for (let i = 0; i < slots; i++) full.put(i);
    full.shutdown();
    expect(() => offer(full, 1)).toThrow(expect.objectContaining({ name: 'ShutDown' }));
    expect(full.qsize()).toBe(slots);
  });

  it('puts items at once, small (in their slots) and in chunks; refuses one on a full queue (false, nothing changed)', () => {
    const q = new Queue<unknown>(slots);
    pass(q as Queue<number>, 37);
    const big = 'x'.repeat(4 * SMALL);
    const items: unknown[] = Array.from({ length: slots }, (_, i) => (i % 2 === 0 ? { i } : [i, big]));
    for (const item of items) expect(offer(q, item)).toBe(true);
    expect(offer(q, { i: -1 })).toBe(false);
    expect(offer(q, [-1, big])).toBe(false);
    expect(q.qsize()).toBe(slots);
    const got: unknown[] = [];
    while (q.qsize() > 0) got.push(q.get(0));
    expect(got).toEqual(items);
  });

  it('refuses an item in chunks at once while another thread holds the lock; a small item needs no lock', async () => {
    const q = new Queue<unknown>(slots);
    const holder = start<string>('ring.mjs', 'holdLock', { handle: q.handle, ms: 300 }, { timeout: 30_000 });
    running.push(holder);
    await waitUntil(() => holder.progress.includes('locked'), 10_000, 'the lock to be taken');
    const big = 'y'.repeat(4 * SMALL);
    expect(offer(q, big)).toBe(false);
    expect(offer(q, 'small')).toBe(true);
    expect(q.qsize()).toBe(1);
    expect(await holder.result).toBe('released');
    expect(offer(q, big)).toBe(true);
    expect([q.get(0), q.get(0)]).toEqual(['small', big]);
  });

  it('throws as put does for an item that cannot cross or can never fit, with nothing put', () => {
    const q = new Queue<unknown>(slots, { bytes: 1024 });
    expect(() => offer(q, () => 1)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    expect(() => offer(q, 'z'.repeat(4096))).toThrow(expect.objectContaining({ code: 'ERR_TOO_LARGE' }));
    expect(q.qsize()).toBe(0);
    expect(offer(q, 'fits')).toBe(true);
    expect(q.get(0)).toBe('fits');
  });
});
