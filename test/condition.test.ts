/**
 * Condition: Python's threading.Condition with a shared-memory waiter list — ownership checks,
 * timeouts, notify(n) exactness, FIFO order, timed-out waiters leaving the list, maxWaiters,
 * restoring the lock (and an RLock's count) however wait ends, async twins. Bound to the three
 * locks a Condition can stand on: its default RLock, an explicit RLock, a Lock.
 */
import { describe, expect, test } from 'vitest';
import { Condition, Lock, RLock } from 'sabsync';
import { blocked } from './helpers/blocked.js';
import { expectElapsed, start, timed, timedAsync, waitUntil, type Running } from './helpers/workers.js';

type Result = { result: boolean; elapsed: number };

const bases = [
  { name: 'its default RLock', make: (o?: { maxWaiters?: number }) => new Condition(undefined, o), levels: 3 },
  { name: 'an RLock', make: (o?: { maxWaiters?: number }) => new Condition(new RLock(), o), levels: 3 },
  { name: 'a Lock', make: (o?: { maxWaiters?: number }) => new Condition(new Lock(), o), levels: 1 },
];

// Words of the control buffer the waiter fixture writes (see test/fixtures/condition.mjs).
const ENTERED = 0;
const WOKEN = 1;
const ORDER = 2;

const locked = (cond: Condition) => (cond.lock as unknown as { locked(): boolean }).locked();

function control(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * 16));
}

/** Start waiter workers, all at once; resolves when all of them are on the waiting list. */
async function waitersAll(cond: Condition, ctl: Int32Array, count: number, timeout?: number): Promise<Running<Result>[]> {
  const runs = Array.from({ length: count }, (_, index) =>
    start<Result>('condition.mjs', 'waiter', { handle: cond.handle, ctl: ctl.buffer, timeout }, { index }),
  );
  await waitUntil(() => Atomics.load(ctl, ENTERED) === count, 15_000, `${count} waiters`);
  return runs;
}

/**
 * Start waiter workers one at a time, each on the list before the next starts, so their order
 * on the list is known. A waiter counts itself in ENTERED with the lock held and joins the list
 * before wait() releases that lock; so once ENTERED says so, the next acquire (ours or the next
 * waiter's) happens after it is on the list.
 */
async function waitersInOrder(cond: Condition, ctl: Int32Array, timeouts: (number | undefined)[]): Promise<Running<Result>[]> {
  const runs: Running<Result>[] = [];
  for (const [index, timeout] of timeouts.entries()) {
    runs.push(start<Result>('condition.mjs', 'waiter', { handle: cond.handle, ctl: ctl.buffer, timeout }, { index }));
    await waitUntil(() => Atomics.load(ctl, ENTERED) === index + 1, 10_000, `waiter ${index}`);
  }
  return runs;
}

/**
 * Start a notifier worker (this thread must hold the lock): it acquires once this thread's wait
 * has released the lock (and once `go` is raised, when given), sets `value` to `set` if given,
 * notifies `n`, releases.
 */
function notifier(cond: Condition, extra: { value?: SharedArrayBuffer; set?: number; n?: number; go?: SharedArrayBuffer } = {}): Running {
  return start('condition.mjs', 'notifier', { handle: cond.handle, ...extra });
}

/** Acquire the condition's lock (blocking until every entered waiter has released it), notify, release. */
function notifyNow(cond: Condition, n: number): void {
  expect(cond.acquire(10_000)).toBe(true);
  cond.notify(n);
  cond.release();
}

describe.each(bases)('Condition over $name', ({ make, levels }) => {
  test('wait / notify without holding the lock: ERR_NOT_OWNER, nothing changed', async () => {
    const cond = make();
    const notOwner: unknown = expect.objectContaining({ code: 'ERR_NOT_OWNER' });
    expect(() => cond.wait(10)).toThrow(notOwner);
    expect(() => cond.waitFor(() => true, 10)).toThrow(notOwner);
    expect(() => cond.notify()).toThrow(notOwner);
    expect(() => cond.notifyAll()).toThrow(notOwner);
    await expect(cond.waitAsync(10)).rejects.toMatchObject({ code: 'ERR_NOT_OWNER' });
    await expect(cond.waitForAsync(() => true, 10)).rejects.toMatchObject({ code: 'ERR_NOT_OWNER' });
    expect(locked(cond)).toBe(false);

    // Held by another thread is not held by this one.
    const ctl = new SharedArrayBuffer(8);
    const holder = start('locks.mjs', 'holdUntil', { kind: 'Condition', handle: cond.handle, ctl });
    const words = new Int32Array(ctl);
    await waitUntil(() => Atomics.load(words, 0) === 1, 10_000, 'the worker to hold the lock');
    expect(() => cond.wait(10)).toThrow(notOwner);
    expect(() => cond.notify()).toThrow(notOwner);
    Atomics.store(words, 1, 1);
    Atomics.notify(words, 1);
    await holder.result;
    expect(locked(cond)).toBe(false);
  });

  test('wait(timeout) returns false after about the timeout, with the lock held again', () => {
    const cond = make();
    expect(cond.acquire(5_000)).toBe(true);
    const [r, ms] = timed(() => cond.wait(120));
    expect(r).toBe(false);
    expectElapsed(ms, 120);
    expect(locked(cond)).toBe(true);
    expect(() => cond.notify()).not.toThrow();
    expect(cond.wait(0)).toBe(false);
    cond.release();
    expect(locked(cond)).toBe(false);
  });

  test('notify(2) with 6 waiting workers wakes exactly 2; notifyAll the other 4', async () => {
    const cond = make();
    const ctl = control();
    const runs = await waitersAll(cond, ctl, 6);
    notifyNow(cond, 2);
    // notify unlinks the nodes it wakes: the other four are still on the list, and stay there.
    expect(blocked(cond)).toBe(4);
    await waitUntil(() => Atomics.load(ctl, WOKEN) >= 2, 10_000, 'two wake-ups');
    expect(blocked(cond)).toBe(4);
    expect(Atomics.load(ctl, WOKEN)).toBe(2);
    notifyNow(cond, 0);
    expect(blocked(cond)).toBe(4);
    expect(Atomics.load(ctl, WOKEN)).toBe(2);
    expect(cond.acquire(10_000)).toBe(true);
    cond.notifyAll();
    cond.release();
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.result)).toEqual(Array(6).fill(true));
    expect(Atomics.load(ctl, WOKEN)).toBe(6);
  });

  test('wake-ups are FIFO: notify(1) five times wakes the waiters in the order they entered', async () => {
    const cond = make();
    const ctl = control();
    const runs = await waitersInOrder(cond, ctl, [undefined, undefined, undefined, undefined, undefined]);
    for (let k = 1; k <= 5; k++) {
      notifyNow(cond, 1);
      await waitUntil(() => Atomics.load(ctl, WOKEN) === k, 10_000, `wake-up ${k}`);
    }
    await Promise.all(runs.map((r) => r.result));
    expect(Array.from(ctl.subarray(ORDER, ORDER + 5))).toEqual([1, 2, 3, 4, 5]);
  });

  test('a waiter that timed out leaves the list: the next notify reaches the next waiter', async () => {
    const cond = make();
    const ctl = control();
    const [first, second] = await waitersInOrder(cond, ctl, [150, 10_000]);
    const timedOut = await first!.result;
    expect(timedOut.result).toBe(false);
    expectElapsed(timedOut.elapsed, 150);
    notifyNow(cond, 1);
    const woken = await second!.result;
    expect(woken.result).toBe(true);
    expect(woken.elapsed).toBeLessThan(5_000);
  });

  test('waitFor returns the predicate\'s last value: at once, after a notify, or on timeout', async () => {
    const cond = make();
    expect(cond.acquire(5_000)).toBe(true);
    let calls = 0;
    expect(cond.waitFor(() => (calls++, 'ready'), 0)).toBe('ready');
    expect(calls).toBe(1);

    calls = 0;
    const [none, ms] = timed(() => cond.waitFor(() => (calls++, 0), 120));
    expect(none).toBe(0);
    expectElapsed(ms, 120);
    expect(calls).toBeGreaterThanOrEqual(1);

    const value = new SharedArrayBuffer(4);
    const v = new Int32Array(value);
    const w = notifier(cond, { value, set: 42 });
    expect(cond.waitFor(() => Atomics.load(v, 0), 10_000)).toBe(42);
    expect(locked(cond)).toBe(true);
    cond.release();
    await w.result;
  });

  test('wait restores the lock (and an RLock\'s count) however it ends: timeout or notify, sync or async', async () => {
    const cond = make();
    const endings: [string, () => Promise<boolean>][] = [
      ['timeout', async () => cond.wait(30)],
      ['notify', async () => {
        const w = notifier(cond);
        const r = cond.wait(10_000);
        await w.result;
        return r;
      }],
      ['async timeout', () => cond.waitAsync(30)],
      ['async notify', async () => {
        const w = notifier(cond);
        const r = await cond.waitAsync(10_000);
        await w.result;
        return r;
      }],
    ];
    for (const [ending, run] of endings) {
      for (let i = 0; i < levels; i++) expect(cond.acquire(0)).toBe(true);
      expect(await run(), ending).toBe(ending.endsWith('notify'));
      for (let i = 1; i < levels; i++) {
        cond.release();
        expect(locked(cond), `${ending}: after ${i} of ${levels} releases`).toBe(true);
      }
      cond.release();
      expect(locked(cond), ending).toBe(false);
    }
    if (levels > 1) expect(() => cond.release()).toThrow(expect.objectContaining({ code: 'ERR_NOT_OWNER' }));
  });

  test('waitAsync and waitForAsync keep the event loop running', async () => {
    const cond = make();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await cond.acquireAsync();
      const [r, ms] = await timedAsync(() => cond.waitAsync(120));
      expect(r).toBe(false);
      expectElapsed(ms, 120);
      expect(ticks).toBeGreaterThanOrEqual(3);

      // The notifier goes only after three ticks of this thread's loop while waitForAsync waits.
      const value = new SharedArrayBuffer(4);
      const go = new Int32Array(new SharedArrayBuffer(4));
      const w = notifier(cond, { value, set: 7, go: go.buffer });
      const before = ticks;
      const opened = waitUntil(() => ticks >= before + 3, 10_000, 'three ticks').then(() => {
        Atomics.store(go, 0, 1);
        Atomics.notify(go, 0);
      });
      expect(await cond.waitForAsync(() => Atomics.load(new Int32Array(value), 0), 10_000)).toBe(7);
      await opened;
      const [none, ms2] = await timedAsync(() => cond.waitForAsync(() => null, 80));
      expect(none).toBe(null);
      expectElapsed(ms2, 80);
      cond.release();
      await w.result;
    } finally {
      clearInterval(timer);
    }
  });

  test('bad arguments: RangeError / TypeError, the lock still held once, nobody woken', async () => {
    const cond = make();
    const ctl = control();
    const [waiter] = await waitersAll(cond, ctl, 1);
    expect(cond.acquire(10_000)).toBe(true);
    for (const n of [-1, 1.5, NaN, -Infinity]) expect(() => cond.notify(n)).toThrow(RangeError);
    expect(() => cond.notify('1' as unknown as number)).toThrow(TypeError);
    for (const t of [-1, NaN]) {
      expect(() => cond.wait(t)).toThrow(RangeError);
      expect(() => cond.waitFor(() => false, t)).toThrow(RangeError);
      await expect(Promise.resolve().then(() => cond.waitAsync(t))).rejects.toBeInstanceOf(RangeError);
    }
    expect(() => cond.wait('5' as unknown as number)).toThrow(TypeError);
    expect(() => cond.waitFor('x' as unknown as () => boolean)).toThrow(TypeError);
    await expect(Promise.resolve().then(() => cond.waitForAsync(42 as unknown as () => boolean))).rejects.toBeInstanceOf(TypeError);
    cond.release();
    expect(locked(cond)).toBe(false);
    expect(blocked(cond)).toBe(1);
    expect(Atomics.load(ctl, WOKEN)).toBe(0);
    notifyNow(cond, 1);
    expect((await waiter!.result).result).toBe(true);
  });
});

describe('Condition waiter-list capacity (maxWaiters)', () => {
  test('one waiter more than maxWaiters: ERR_TOO_MANY_WAITERS, nothing changed', async () => {
    const cond = new Condition(undefined, { maxWaiters: 2 });
    expect(cond.maxWaiters).toBe(2);
    const ctl = control();
    const runs = await waitersInOrder(cond, ctl, [undefined, undefined]);
    expect(cond.acquire(5_000)).toBe(true);
    expect(cond.acquire(5_000)).toBe(true);
    expect(() => cond.wait(1_000)).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_WAITERS' }));
    await expect(cond.waitAsync(1_000)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_WAITERS' });
    expect(() => cond.waitFor(() => false, 1_000)).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_WAITERS' }));
    // Still ours, with the same count; the two waiters still there, in order.
    cond.release();
    expect(locked(cond)).toBe(true);
    cond.notify(1);
    cond.release();
    expect(locked(cond)).toBe(false);
    await waitUntil(() => Atomics.load(ctl, WOKEN) === 1, 10_000, 'the first waiter');
    notifyNow(cond, 1);
    await Promise.all(runs.map((r) => r.result));
    expect(Array.from(ctl.subarray(ORDER, ORDER + 2))).toEqual([1, 2]);
  });

  test('waiters that timed out free their slots', async () => {
    const cond = new Condition(new Lock(), { maxWaiters: 2 });
    expect(cond.acquire(5_000)).toBe(true);
    for (let i = 0; i < 5; i++) expect(cond.wait(5)).toBe(false);
    cond.release();
    const ctl = control();
    const expired = await waitersAll(cond, ctl, 2, 50);
    expect((await Promise.all(expired.map((r) => r.result))).map((r) => r.result)).toEqual([false, false]);
    const ctl2 = control();
    const runs = await waitersAll(cond, ctl2, 2, 10_000);
    notifyNow(cond, 2);
    expect((await Promise.all(runs.map((r) => r.result))).map((r) => r.result)).toEqual([true, true]);
  });

  test('notified waiters free their slots, round after round', async () => {
    const cond = new Condition(new Lock(), { maxWaiters: 2 });
    for (let round = 0; round < 3; round++) {
      const ctl = control();
      const runs = await waitersAll(cond, ctl, 2, 10_000);
      notifyNow(cond, 2);
      expect((await Promise.all(runs.map((r) => r.result))).map((r) => r.result)).toEqual([true, true]);
    }
  });

  test('a waiter notified round after round takes its own node back; another wrapper still finds one', async () => {
    const cond = new Condition(new Lock(), { maxWaiters: 1 });
    const other = Condition.from(cond.handle);
    for (let round = 0; round < 6; round++) {
      // Alternate wrappers: each wait either takes its wrapper's own DONE node back or, after
      // the other wrapper's wait, needs the one node freed (the rebuild): ERR_TOO_MANY_WAITERS
      // if a DONE node were lost.
      const c = round % 3 === 2 ? other : cond;
      expect(c.acquire(5_000)).toBe(true);
      const woken = c.waitAsync(10_000);
      expect(c.acquire(5_000)).toBe(true);
      c.notify();
      c.release();
      expect(await woken).toBe(true);
      c.release();
    }
    expect(cond.acquire(5_000)).toBe(true);
    expect(cond.wait(5)).toBe(false);
    cond.release();
  });

  test('bad constructor arguments: TypeError / RangeError', () => {
    for (const maxWaiters of [0, -1, 2 ** 21]) expect(() => new Condition(undefined, { maxWaiters })).toThrow(RangeError);
    for (const maxWaiters of [1.5, '2', null]) {
      expect(() => new Condition(undefined, { maxWaiters: maxWaiters as number })).toThrow(TypeError);
    }
    expect(() => new Condition({} as Lock)).toThrow(TypeError);
    expect(() => new Condition(new Condition() as unknown as Lock)).toThrow(TypeError);
  });
});
