/**
 * Semaphore and BoundedSemaphore: Python's behaviour method by method, across real worker
 * threads, then stress with invariants (never more than `value` inside; over-release refused).
 */
import { describe, expect, test } from 'vitest';
import { BoundedSemaphore, Semaphore, TimeoutError, revive } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { expectElapsed, runMany, start, thrown, timed, timedAsync, waitUntil } from './helpers/workers.js';

const FILE = 'semaphore.mjs';

const kinds = [
  ['Semaphore', (v?: number) => new Semaphore(v)],
  ['BoundedSemaphore', (v?: number) => new BoundedSemaphore(v)],
] as const;

describe.each(kinds)('%s: the contract shared by both', (name, make) => {
  test('the value defaults to 1 and counts acquisitions and releases', () => {
    const sem = make();
    expect(sem.value).toBe(1);
    expect(sem.acquire()).toBe(true);
    expect(sem.value).toBe(0);
    expect(sem.acquire(0)).toBe(false);
    sem.release();
    expect(sem.value).toBe(1);
    const five = make(5);
    for (let i = 0; i < 5; i++) expect(five.acquire(0)).toBe(true);
    expect(five.acquire(0)).toBe(false);
    five.release(3);
    expect(five.value).toBe(3);
    expect(make(0).acquire(0)).toBe(false);
    expect(five).toBeInstanceOf(Semaphore);
    expect(five.constructor.name).toBe(name);
  });

  test('a bad initial value: RangeError below 0 or not an integer, TypeError for a non-number', () => {
    for (const v of [-1, 1.5, NaN, Infinity, 2 ** 31]) expect(thrown(() => make(v))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => make('2' as unknown as number))).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('release(n) with n < 1, a fraction or a non-number throws and leaves the value unchanged', () => {
    const sem = make(2);
    sem.acquire();
    for (const n of [0, -1, 1.5, NaN]) expect(thrown(() => sem.release(n))).toMatchObject({ name: 'RangeError' });
    expect(thrown(() => sem.release('1' as unknown as number))).toMatchObject({ name: 'TypeError' });
    expect(sem.value).toBe(1);
  });

  test('bad timeouts throw (RangeError / TypeError) and take nothing', async () => {
    const sem = make(1);
    for (const t of [-1, NaN]) {
      expect(thrown(() => sem.acquire(t))).toMatchObject({ name: 'RangeError' });
      await expect(sem.acquireAsync(t)).rejects.toBeInstanceOf(RangeError);
    }
    expect(thrown(() => sem.acquire('5' as unknown as number))).toMatchObject({ name: 'TypeError' });
    expect(sem.value).toBe(1);
  });

  test('acquire(timeout) with no permit returns false after the timeout; the async twin too', async () => {
    const sem = make(0);
    const [got, elapsed] = timed(() => sem.acquire(60));
    expect(got).toBe(false);
    expectElapsed(elapsed, 60);
    const [gotAsync, elapsedAsync] = await timedAsync(() => sem.acquireAsync(60));
    expect(gotAsync).toBe(false);
    expectElapsed(elapsedAsync, 60);
    expect(await sem.acquireAsync(0)).toBe(false);
    expect(sem.value).toBe(0);
  });

  test('hold() gives a guard for `using` that releases once; TimeoutError when none comes', async () => {
    const sem = make(1);
    {
      using _ = sem.hold();
      expect(sem.value).toBe(0);
      const [err, elapsed] = timed(() => thrown(() => sem.hold(40)));
      expect(err).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT' });
      expectElapsed(elapsed, 40);
    }
    expect(sem.value).toBe(1);
    {
      using _ = await sem.holdAsync(1_000);
      expect(sem.value).toBe(0);
      await expect(sem.holdAsync(0)).rejects.toBeInstanceOf(TimeoutError);
    }
    expect(sem.value).toBe(1);
    const guard = sem.hold();
    guard[Symbol.dispose]();
    guard[Symbol.dispose]();
    expect(sem.value).toBe(1);
  });

  test('a waiting worker gets the permit released by the main thread (sync and async)', async () => {
    for (const async of [false, true]) {
      const sem = make(1);
      sem.acquire();
      const ctl = new SharedArrayBuffer(4);
      const run = start<[boolean, number]>(FILE, 'acquireOne', { handle: sem.handle, ctl, async, timeout: 10_000 }, { timeout: 15_000 });
      await untilBlocked(sem, 1);
      expect(new Int32Array(ctl)[0]).toBe(0);
      sem.release();
      const [got] = await run.result;
      expect(got).toBe(true);
      expect(sem.value).toBe(0);
    }
  });

  test('placement in a caller buffer writes only inside its bytes', () => {
    const buffer = new SharedArrayBuffer(64);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0xa5);
    const sem = name === 'Semaphore' ? new Semaphore(2, { buffer, byteOffset: 24 }) : new BoundedSemaphore(2, { buffer, byteOffset: 24 });
    expect(Semaphore.byteLength).toBe(16);
    sem.acquire();
    sem.release();
    expect(sem.handle).toMatchObject({ buffer, byteOffset: 24 });
    expect((revive(sem.handle) as Semaphore).value).toBe(2);
    expect([...bytes.subarray(0, 24), ...bytes.subarray(24 + Semaphore.byteLength)].every((b) => b === 0xa5)).toBe(true);
    expect(thrown(() => new Semaphore(1, { buffer, byteOffset: 12 }))).toMatchObject({ name: 'RangeError' });
    expect(thrown(() => new Semaphore(1, { buffer, byteOffset: 56 }))).toMatchObject({ name: 'RangeError' });
  });
});

describe('release(n) wakes waiters', () => {
  test('release(2) lets exactly two of three blocked workers through; one more release frees the third', async () => {
    const sem = new Semaphore(0);
    const ctl = new SharedArrayBuffer(4);
    const done = new Int32Array(ctl);
    const runs = [0, 1, 2].map((index) =>
      start<[boolean, number]>(FILE, 'acquireOne', { handle: sem.handle, ctl, async: index === 1, timeout: 10_000 }, { index, timeout: 15_000 }),
    );
    await untilBlocked(sem, 3);
    expect(done[0]).toBe(0);
    sem.release(2);
    await waitUntil(() => Atomics.load(done, 0) === 2, 5_000, 'two acquisitions');
    // The third is asleep again (or still), with no permit left to take.
    await waitUntil(() => blocked(sem) === 1, 5_000, 'the third worker to sleep again');
    expect(Atomics.load(done, 0)).toBe(2);
    expect(sem.value).toBe(0);
    sem.release();
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map(([got]) => got)).toEqual([true, true, true]);
    expect(sem.value).toBe(0);
  });
});

describe('BoundedSemaphore', () => {
  test('a release that would pass the initial value throws ERR_OVER_RELEASE and changes nothing', () => {
    const sem = new BoundedSemaphore(2);
    expect(thrown(() => sem.release())).toMatchObject({ name: 'SabsyncError', code: 'ERR_OVER_RELEASE' });
    expect(sem.value).toBe(2);
    sem.acquire();
    sem.acquire();
    expect(thrown(() => sem.release(3))).toMatchObject({ code: 'ERR_OVER_RELEASE' });
    expect(sem.value).toBe(0);
    sem.release(2);
    expect(sem.value).toBe(2);
    expect(thrown(() => new BoundedSemaphore(0).release())).toMatchObject({ code: 'ERR_OVER_RELEASE' });
  });

  test('a plain Semaphore may go above its initial value, up to 2^31 - 1 (then RangeError, unchanged)', () => {
    const sem = new Semaphore(1);
    sem.release(5);
    expect(sem.value).toBe(6);
    const top = new Semaphore(2 ** 31 - 2);
    top.release();
    expect(thrown(() => top.release())).toMatchObject({ name: 'RangeError' });
    expect(top.value).toBe(2 ** 31 - 1);
  });
});

describe('handles', () => {
  test.each([
    ['Semaphore', 'from'],
    ['Semaphore', 'revive'],
    ['Semaphore', 'message'],
    ['BoundedSemaphore', 'from'],
    ['BoundedSemaphore', 'revive'],
    ['BoundedSemaphore', 'message'],
  ])('a %s handle attached in a worker (%s) is the same semaphore, of the same kind', async (kind, how) => {
    const sem = kind === 'Semaphore' ? new Semaphore(1) : new BoundedSemaphore(1);
    const run = start<Record<string, unknown>>(FILE, 'probe', { handle: how === 'message' ? undefined : sem.handle, how }, { timeout: 15_000 });
    if (how === 'message') run.worker.postMessage(sem.handle);
    const r = await run.result;
    expect(r).toMatchObject({ type: kind, value: 1, first: true, second: false, release: { ok: true } });
    if (kind === 'Semaphore') expect(r).toMatchObject({ over: { ok: true }, after: 2 });
    else expect(r).toMatchObject({ over: { code: 'ERR_OVER_RELEASE' }, after: 1 });
    expect(sem.value).toBe(r.after);
  });

  test('a handle of the wrong kind, or foreign memory, is refused with a TypeError', () => {
    const sem = new Semaphore(1);
    const bounded = new BoundedSemaphore(1);
    expect(thrown(() => Semaphore.from(bounded.handle))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => BoundedSemaphore.from(sem.handle))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => Semaphore.from({ ...sem.handle, buffer: new SharedArrayBuffer(16) }))).toMatchObject({ name: 'TypeError' });
    expect(revive(bounded.handle)).toBeInstanceOf(BoundedSemaphore);
    expect(revive(sem.handle)).not.toBeInstanceOf(BoundedSemaphore);
  });
});

describe('stress', () => {
  test('Semaphore(2), 4 workers × 20,000 acquisitions: never more than 2 inside, every acquisition counted', async () => {
    const k = 2;
    const workers = 4;
    const n = 20_000;
    const sem = new Semaphore(k);
    const ctl = new SharedArrayBuffer(16);
    const made = await runMany<number>(workers, FILE, 'admit', { handle: sem.handle, ctl, workers, n }, 15_000);
    const [inside, maxInside, total] = new Int32Array(ctl);
    expect(made).toEqual(Array(workers).fill(n));
    expect(total).toBe(workers * n);
    expect(inside).toBe(0);
    expect(maxInside).toBeGreaterThanOrEqual(1);
    expect(maxInside).toBeLessThanOrEqual(k);
    expect(sem.value).toBe(k);
  });

  test('BoundedSemaphore(3), 4 workers each adding 2,000 unmatched releases: every one refused, value never above 3', async () => {
    const initial = 3;
    const workers = 4;
    const n = 2_000;
    const sem = new BoundedSemaphore(initial);
    const counts = await runMany<Record<string, number>>(workers, FILE, 'overRelease', { handle: sem.handle, n }, 15_000);
    const sum = (key: string) => counts.reduce((s, c) => s + c[key]!, 0);
    expect(sum('otherErrors')).toBe(0);
    expect(Math.max(...counts.map((c) => c.maxSeen!))).toBeLessThanOrEqual(initial);
    expect(sum('acquired')).toBe(workers * n);
    // Ledger: value + permits held never drops below 3 (a release is refused only when the
    // value is at 3) and the value never passes 3, so with nothing held at the end it is 3
    // again: releases that succeeded = acquisitions, and every other release was refused.
    expect(sem.value).toBe(initial);
    expect(sum('released')).toBe(sum('acquired'));
    expect(sum('refused')).toBe(workers * n);
  });
});
