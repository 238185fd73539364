// Every item reaches a thread handed the queue, even while the putting thread is blocked, and a
// get that cannot decode its item leaves the queue exactly as it was (API.md: "Nothing is lost").
import { describe, expect, it } from 'vitest';
import { LifoQueue, Lock, PriorityQueue, Queue } from 'sabsync';
import { FETCH_TIMEOUT } from './helpers/internals.js';
import { start, thrown } from './helpers/workers.js';

const F = 'codec-trust.mjs';

describe('queue delivery: a new thread gets every item without the putting thread', () => {
  it.each([70, 500])('%i items each holding a new Lock reach a worker while the putter is blocked in join()', async (n) => {
    const q = new Queue();
    for (let i = 0; i < n; i++) q.put({ i, lock: new Lock() });
    const getter = start<{ got: number[]; error?: string; elapsed: number }>(F, 'drainLocks', { handle: q.handle, n });
    // join() has no timeout: a watchdog releases it if the getter is stuck, so a bug fails.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const watchdog = start(F, 'watchdog', { handle: q.handle, flag: flag.buffer, timeout: 30_000 });
    const t0 = performance.now();
    q.join(); // this thread's event loop is blocked: it answers no request for a buffer
    const joined = performance.now() - t0;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const r = await getter.result;
    expect(await watchdog.result).toBe('not needed');
    expect(r.error).toBeUndefined();
    expect(r.got).toEqual([...Array(n).keys()]);
    expect(q.qsize()).toBe(0);
    // No get waited for an answer (each such wait lasts FETCH_TIMEOUT).
    expect(joined).toBeLessThan(FETCH_TIMEOUT);
  });

  // A get with no timeout waits FETCH_TIMEOUT for the buffer, then throws ERR_UNSERIALIZABLE;
  // getNowait does not wait for it at all (Empty: nothing could be had now). Either way the item
  // stays queued for a get that can be answered.
  it.each([
    [undefined, 'ERR_UNSERIALIZABLE'],
    [0, 'ERR_EMPTY'],
  ])('an item whose buffer was posted before the getter opened its channel is kept until a get can be answered (get(%s))', async (timeout, code) => {
    const q = new Queue();
    const handle = q.handle; // taken while the queue is empty: it carries no buffer
    q.put({ lock: new Lock() }); // the Lock's buffer is posted now, before the getter's thread exists
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const getter = start<{ first: string; live: boolean }>(F, 'getTwice', { handle, flag: flag.buffer, timeout });
    // Block this thread, so that nobody answers the getter's request, until its first get gave up.
    Atomics.wait(flag, 0, 0, FETCH_TIMEOUT * 4);
    expect(Atomics.load(flag, 0)).toBe(1);
    expect(q.qsize()).toBe(1);
    // This thread's event loop runs again: it answers, and the second get has the item.
    expect(await getter.result).toEqual({ first: code, live: true });
    expect(q.qsize()).toBe(0);
  });
});

describe('queue delivery: a get that cannot decode its item leaves the queue exactly as it was', () => {
  it('PriorityQueue: the heap keeps its order', async () => {
    const q = new PriorityQueue();
    q.put([2, 'b']);
    q.put([1, 'a']);
    // Nested deeper than this thread's stack can decode, at the top of the heap.
    await start(F, 'putDeep', { handle: q.handle, depth: 6_000, priority: 0 }).result;
    q.put([1, 'a2']);
    q.put([3, 'c']);
    for (let i = 0; i < 3; i++) expect(thrown(() => q.get(0)).code).toBe('ERR_UNSERIALIZABLE');
    await expect(q.getAsync(0)).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(q.qsize()).toBe(5);
    const got = await start(F, 'getPairs', { handle: q.handle, n: 5 }).result;
    expect(got).toEqual([[0, 6_000], [1, 'a'], [1, 'a2'], [2, 'b'], [3, 'c']]);
  });

  it('LifoQueue: the item stays on top, the rest under it', async () => {
    const q = new LifoQueue<[number, unknown]>();
    q.put([1, 'a']);
    await start(F, 'putDeep', { handle: q.handle, depth: 6_000, priority: 2 }).result;
    expect(thrown(() => q.get(0)).code).toBe('ERR_UNSERIALIZABLE');
    q.put([3, 'c']);
    expect(q.get(0)).toEqual([3, 'c']);
    expect(thrown(() => q.get(0)).code).toBe('ERR_UNSERIALIZABLE');
    expect(await start(F, 'getPairs', { handle: q.handle, n: 2 }).result).toEqual([[2, 6_000], [1, 'a']]);
  });
});
