/**
 * The helper that lets the other tests wait on state instead of time (helpers/blocked.ts) reads
 * the right words: for every kind and place, nobody on a fresh primitive, the threads a test put
 * there once they are blocked, nobody again once they are released — so an `untilBlocked` can
 * neither pass before the threads block nor hang after they do. And a handle whose memory does
 * not hold the kind it names (a layout that moved) fails loudly.
 */
import { describe, expect, test } from 'vitest';
import { Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, Once, PriorityQueue, Queue, ReaderWriterLock, RLock, Semaphore, WaitGroup } from 'sabsync';
import { blocked, untilBlocked, untilWaiters, waitersOf } from './helpers/blocked.js';
import { sabsyncIdOf } from './helpers/internals.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

describe('locks: the CONTENDED bit of the lock word', () => {
  test.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('%s', async (kind, make) => {
    const lock = make();
    expect(blocked(lock)).toBe(0);
    expect(lock.acquire(0)).toBe(true);
    expect(blocked(lock)).toBe(0);
    const w = start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind, handle: lock.handle, timeout: 10_000 });
    await untilBlocked(lock, 1, 'acquire');
    expect(blocked(lock)).toBe(1);
    lock.release();
    expect((await w.result)[0]).toBe(true);
    expect(blocked(lock)).toBe(0);
    await expect(untilBlocked(lock, 2)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('Condition: WAITERS and the nodes of its waiting list; its lock word for acquire', () => {
  test('waiters in order, then nobody once notified', async () => {
    const cond = new Condition();
    expect([blocked(cond), blocked(cond, 'acquire')]).toEqual([0, 0]);
    const ctl = new SharedArrayBuffer(64);
    const waiters: Running[] = [];
    for (const index of [0, 1]) {
      waiters.push(start('condition.mjs', 'waiter', { handle: cond.handle, ctl }, { index }));
      await untilWaiters(cond, waiters.map((w) => sabsyncIdOf(w.worker.threadId)));
    }
    expect(blocked(cond)).toBe(2);
    expect(cond.acquire(5_000)).toBe(true);
    cond.notify(1);
    expect(blocked(cond)).toBe(1);
    expect(waitersOf(cond)).toEqual([sabsyncIdOf(waiters[1]!.worker.threadId)]);
    const acquirer = start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: 'Condition', handle: cond.handle, timeout: 10_000 });
    await untilBlocked(cond, 1, 'acquire');
    cond.notifyAll();
    expect(blocked(cond)).toBe(0);
    expect(waitersOf(cond)).toEqual([]);
    cond.release();
    await Promise.all([...waiters.map((w) => w.result), acquirer.result]);
    expect([blocked(cond), blocked(cond, 'acquire')]).toEqual([0, 0]);
  });
});

describe('Semaphore and Event: SLEEPERS; Barrier: COUNT', () => {
  test.each([
    ['Semaphore', () => new Semaphore(2)],
    ['BoundedSemaphore', () => new BoundedSemaphore(2)],
  ] as const)('%s: a blocking and an async acquirer count one each', async (_kind, make) => {
    const sem = make();
    expect(sem.acquire(0) && sem.acquire(0)).toBe(true);
    expect(blocked(sem)).toBe(0);
    const ctl = new SharedArrayBuffer(4);
    const runs = [false, true].map((async, index) =>
      start<[boolean, number]>('semaphore.mjs', 'acquireOne', { handle: sem.handle, ctl, async, timeout: 10_000 }, { index }),
    );
    await untilBlocked(sem, 2);
    expect(blocked(sem)).toBe(2);
    sem.release(2);
    expect((await Promise.all(runs.map((r) => r.result))).map(([got]) => got)).toEqual([true, true]);
    expect(blocked(sem)).toBe(0);
  });

  test('Event', async () => {
    const ev = new Event();
    expect(blocked(ev)).toBe(0);
    const runs = [false, true].map((async, index) => start('event.mjs', 'waitOnce', { handle: ev.handle, async, timeout: 10_000 }, { index }));
    await untilBlocked(ev, 2);
    ev.set();
    await Promise.all(runs.map((r) => r.result));
    expect(blocked(ev)).toBe(0);
  });

  test('Barrier', async () => {
    const barrier = new Barrier(3);
    expect(blocked(barrier)).toBe(0);
    const runs = [0, 1].map((index) => start('barrier.mjs', 'waitOnce', { handle: barrier.handle, timeout: 10_000 }, { index }));
    await untilBlocked(barrier, 2);
    expect(blocked(barrier)).toBe(2);
    expect(barrier.wait(5_000)).toBeGreaterThanOrEqual(0);
    await Promise.all(runs.map((r) => r.result));
    expect(blocked(barrier)).toBe(0);
  });
});

describe('queues: the three Conditions store.ts places, and the queue Lock', () => {
  test.each([
    ['Queue', () => new Queue(1)],
    ['LifoQueue', () => new LifoQueue(1)],
    ['PriorityQueue', () => new PriorityQueue(1) as Queue<unknown>],
  ] as const)('%s: get, put, join, acquire', async (_kind, make) => {
    const q = make();
    const item = q instanceof PriorityQueue ? [1, 'x'] : 'x';
    expect(['get', 'put', 'join', 'acquire'].map((p) => blocked(q, p as 'get'))).toEqual([0, 0, 0, 0]);
    const getter = start('queue.mjs', 'getOnce', { handle: q.handle, timeout: 10_000 });
    await untilWaiters(q, [sabsyncIdOf(getter.worker.threadId)], 'get');
    q.put(item);
    await getter.result;
    expect(blocked(q, 'get')).toBe(0);
    const joiner = start('queue.mjs', 'joinOnce', { handle: q.handle });
    await untilBlocked(q, 1, 'join');
    q.put(item);
    const putter = start('queue.mjs', 'putOnce', { handle: q.handle, item, timeout: 10_000 });
    await untilBlocked(q, 1, 'put');
    expect([blocked(q, 'get'), blocked(q, 'put'), blocked(q, 'join')]).toEqual([0, 1, 1]);
    // Three items were put (the getter's, ours, the putter's): two are left to get.
    q.get(5_000);
    q.get(5_000);
    for (let i = 0; i < 3; i++) q.taskDone();
    await Promise.all([joiner.result, putter.result]);
    expect([blocked(q, 'put'), blocked(q, 'join')]).toEqual([0, 0]);
  });
});

describe('ReaderWriterLock: waiting read and write requests; WaitGroup and Once: SLEEPERS', () => {
  test('ReaderWriterLock', async () => {
    const rw = new ReaderWriterLock();
    expect(blocked(rw)).toBe(0);
    expect(rw.acquireWrite(0)).toBe(true);
    const take = (write: boolean) => start<[boolean, number]>('rwlock.mjs', 'tryTake', { handle: rw.handle, write, timeout: 10_000 });
    const takers = [take(false), take(false), take(true)];
    await untilBlocked(rw, 3);
    expect(blocked(rw)).toBe(3);
    rw.releaseWrite();
    for (const t of takers) expect((await t.result)[0]).toBe(true);
    expect(blocked(rw)).toBe(0);
  });

  test('WaitGroup and Once', async () => {
    const wg = new WaitGroup();
    wg.add();
    expect(blocked(wg)).toBe(0);
    const waiters = [0, 1].map(() => start<[boolean, number]>('rwlock.mjs', 'waitOn', { handle: wg.handle, timeout: 10_000 }));
    await untilBlocked(wg, 2);
    wg.done();
    for (const w of waiters) expect((await w.result)[0]).toBe(true);
    expect(blocked(wg)).toBe(0);

    const once = new Once();
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const runner = start('rwlock.mjs', 'runOnceUntil', { handle: once.handle, ctl: ctl.buffer });
    await waitUntil(() => Atomics.load(ctl, 0) === 1, 10_000, 'the first fn to run'); // HELD (fixtures/rwlock.mjs)
    expect(blocked(once)).toBe(0);
    const callers = [0, 1].map(() => start('rwlock.mjs', 'callOnce', { handle: once.handle, ctl: new SharedArrayBuffer(16) }));
    await untilBlocked(once, 2);
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    await Promise.all([runner.result, ...callers.map((c) => c.result)]);
    expect(blocked(once)).toBe(0);
  });
});

describe('a handle whose memory does not hold what it names', () => {
  test('fails loudly instead of reading the wrong word', () => {
    const lock = new Lock();
    expect(() => blocked({ ...lock.handle, type: 'sabsync:Semaphore' })).toThrow(/no Semaphore at byteOffset 0/);
    expect(() => blocked({ ...lock.handle, type: 'sabsync:Nope' })).toThrow(TypeError);
    expect(() => blocked(lock, 'get')).toThrow(RangeError);
  });
});
