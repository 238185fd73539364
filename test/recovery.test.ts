/**
 * Wake-ups that must reach a thread able to act on them, and repair after a thread dies:
 * - a release that wakes one sleeper must not hand its only wake-up to a pending async acquire
 *   whose thread is blocked (here: the same thread, in a sync acquire of the same lock);
 * - a lock whose holder was terminated is recovered by the owner of the threads;
 * - a Condition forgets the waits of a terminated thread and repairs its waiter list, even one
 *   left half-edited with its internal lock held by the dead thread.
 * The internal hooks are symbol-keyed and not exported from 'sabsync': the tests take them from
 * the same built modules the package's entry point loads (helpers/internals.ts).
 */
import { describe, expect, test } from 'vitest';
import { Condition, Lock, Queue, RLock, Semaphore } from 'sabsync';
import { untilBlocked, untilWaiters, waitersOf } from './helpers/blocked.js';
import { fifo, layoutOfWords, purgeWaiters, recoverLock, sabsyncIdOf } from './helpers/internals.js';
import { expectElapsed, start, timed, waitUntil } from './helpers/workers.js';

const FILE = 'recovery.mjs';
const ctlOf = () => new Int32Array(new SharedArrayBuffer(8));
const ready = (ctl: Int32Array, n = 1) => () => Atomics.load(ctl, 0) >= n;
/** Whether this thread can take `cond`'s lock at once (it gives it straight back). */
function lockIsFree(cond: Condition): boolean {
  if (!cond.acquire(0)) return false;
  cond.release();
  return true;
}

describe('a pending async acquire does not swallow the wake-up a blocked thread needs', () => {
  test.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ])('%s: acquireAsync pending, then a sync acquire in the same thread gets the lock when it is freed', async (_, make) => {
    const lock = make();
    const ctl = ctlOf();
    const holder = start(FILE, 'holdFor', { handle: lock.handle, ctl: ctl.buffer, ms: 50 });
    await waitUntil(ready(ctl), 5_000, 'the worker to hold the lock');
    const pending = lock.acquireAsync(10_000);
    const [got, elapsed] = timed(() => lock.acquire(5_000));
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(4_000);
    lock.release();
    expect(await pending).toBe(true);
    lock.release();
    await holder.result;
  });

  test('Semaphore: acquireAsync pending, then a sync acquire in the same thread gets the released permit', async () => {
    const sem = new Semaphore(0);
    const pending = sem.acquireAsync(10_000);
    // The worker releases once SLEEPERS shows this thread's sync acquire asleep beside its async one.
    const releaser = start(FILE, 'releaseWhenAsleep', { handle: sem.handle, sync: 1, async: 1 });
    const [got, elapsed] = timed(() => sem.acquire(5_000));
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(4_000);
    sem.release();
    expect(await pending).toBe(true);
    expect(sem.value).toBe(0);
    await releaser.result;
  });
});

describe('repair after a thread dies', () => {
  test.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ])('%s held by a terminated worker is recovered with its id, and only with its id', async (_, make) => {
    const lock = make();
    const ctl = ctlOf();
    const run = start(FILE, 'holdForever', { handle: lock.handle, ctl: ctl.buffer });
    await waitUntil(ready(ctl), 5_000, 'the worker to hold the lock');
    const deadId = sabsyncIdOf(run.worker.threadId);
    await run.worker.terminate();
    const [got, elapsed] = timed(() => lock.acquire(100));
    expect(got).toBe(false);
    expectElapsed(elapsed, 100);
    expect(recoverLock(lock, deadId + 1000)).toBe(false);
    expect(lock.locked()).toBe(true);
    expect(recoverLock(lock, deadId)).toBe(true);
    expect(lock.locked()).toBe(false);
    expect(lock.acquire(0)).toBe(true);
    expect(recoverLock(lock, deadId)).toBe(false);
    lock.release();
  });

  test('a Condition forgets a terminated waiter: the next notify reaches a live one', async () => {
    const cond = new Condition();
    const dead = start(FILE, 'waitOn', { handle: cond.handle, timeout: 60_000 });
    const deadId = sabsyncIdOf(dead.worker.threadId);
    await untilWaiters(cond, [deadId]);
    // Its node reads WAITING before it lets go of the Condition's lock (condition.ts): kill it
    // only once the lock is free, or the live waiter below could never acquire it.
    await waitUntil(() => lockIsFree(cond), 10_000, 'the waiter to release the lock');
    await dead.worker.terminate();
    const live = start<boolean>(FILE, 'waitOn', { handle: cond.handle, timeout: 10_000 });
    await untilWaiters(cond, [deadId, sabsyncIdOf(live.worker.threadId)]);
    expect(cond.acquire(5_000)).toBe(true);
    expect(purgeWaiters(cond, deadId)).toBe(1);
    cond.notify(1);
    cond.release();
    expect(await live.result).toBe(true);
  });

  test('a waiter list left half-edited, its lock held by a dead thread, is rebuilt in FIFO order', async () => {
    const cond = new Condition(new Lock(), { maxWaiters: 4 });
    const waiters = [];
    for (const index of [0, 1]) {
      waiters.push(start<boolean>(FILE, 'waitOn', { handle: cond.handle, timeout: 10_000 }, { index }));
      await untilWaiters(cond, waiters.map((w) => sabsyncIdOf(w.worker.threadId)));
    }
    // White-box (layout in condition.ts): LIST (word 1) held by a thread that has exited, and
    // the links cut as a notifier killed half-way through unlinking would leave them.
    const { buffer, byteOffset } = cond.handle;
    const words = new Int32Array(buffer, byteOffset, 8);
    // A waiter is on the list before it lets go of LIST: fake the dead holder only once LIST and
    // the lock are free, or the waiter's own release of LIST would overwrite it.
    await waitUntil(() => Atomics.load(words, 1) === 0 && lockIsFree(cond), 10_000, 'the waiters to release LIST and the lock');
    const deadId = 0x3fff0000;
    Atomics.store(words, 1, deadId << 1);
    Atomics.store(words, 3, 0); // HEAD
    Atomics.store(words, 2, 0); // WAITERS
    expect(cond.acquire(5_000)).toBe(true);
    expect(purgeWaiters(cond, deadId)).toBe(1); // its hold on LIST; it had no wait of its own
    expect(Atomics.load(words, 1)).toBe(0);
    expect(Atomics.load(words, 2)).toBe(2);
    cond.notify(1);
    cond.release();
    // Exactly one waiter wakes now, the oldest; the other stays on the list until the next notify.
    const first = await Promise.race(waiters.map((w, i) => w.result.then(() => i)));
    expect(waitersOf(cond)).toEqual([sabsyncIdOf(waiters[1]!.worker.threadId)]);
    expect(cond.acquire(5_000)).toBe(true);
    cond.notify(1);
    cond.release();
    expect(await Promise.all(waiters.map((w) => w.result))).toEqual([true, true]);
    expect(first).toBe(0);
  });

  test("an owner's async put, with a waiter list locked by a dead thread, keeps its event loop running; recovery frees the list", async () => {
    const q = new Queue(4);
    const getter = start<number>(FILE, 'getOne', { handle: q.handle, timeout: 10_000 });
    await untilBlocked(q, 1, 'get');
    // White-box: the "not empty" Condition (store.ts places it); its LIST lock is its word 1
    // (condition.ts).
    const { buffer, byteOffset } = q.handle;
    const listWord = (layoutOfWords(fifo, new Int32Array(buffer, byteOffset)).conditions[0] >> 2) + 1;
    const owner = start<{ parked: boolean; settledBefore: boolean; ticks: number; recovered: boolean }>(
      FILE,
      'ownerPut',
      { handle: q.handle, listWord, deadId: 0x3fff0001 },
      { timeout: 10_000 },
    );
    const { parked, settledBefore, ticks, recovered } = await owner.result;
    expect(ticks).toBeGreaterThanOrEqual(5);
    if (parked) expect(settledBefore).toBe(false); // parked on LIST until recovery
    expect(recovered).toBe(true);
    expect(await getter.result).toBe(42);
  });
});
