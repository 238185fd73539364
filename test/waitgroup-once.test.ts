/**
 * WaitGroup and Once: the contract (API.md "ReaderWriterLock, WaitGroup, Once"), with real
 * worker threads and real timeouts; bad inputs leave them as they were.
 */
import { describe, expect, test } from 'vitest';
import { Once, Queue, WaitGroup, revive } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { expectElapsed, start, thrown, timed, timedAsync, waitUntil } from './helpers/workers.js';

const FILE = 'rwlock.mjs';
const HELD = 0;
const GO = 1;

describe('WaitGroup', () => {
  test('add / done / count; wait is true at once at 0, false after the timeout otherwise', () => {
    const wg = new WaitGroup();
    expect(wg.count).toBe(0);
    expect(wg.wait()).toBe(true);
    expect(wg.wait(0)).toBe(true);
    wg.add();
    wg.add(2);
    expect(wg.count).toBe(3);
    expect(wg.wait(0)).toBe(false);
    const [got, ms] = timed(() => wg.wait(80));
    expect(got).toBe(false);
    expectElapsed(ms, 80);
    wg.done();
    wg.add(-2);
    expect(wg.count).toBe(0);
    expect(wg.wait(0)).toBe(true);
    wg.add(0);
    expect(wg.count).toBe(0);
  });

  test('the count going below 0 (or past 2^24 - 1), or a bad n: RangeError / TypeError, nothing changed', async () => {
    const wg = new WaitGroup();
    expect(thrown(() => wg.done())).toEqual({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    wg.add(2);
    expect(thrown(() => wg.add(-3))).toEqual({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => wg.add(2 ** 24))).toEqual({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    for (const bad of [1.5, NaN, Infinity, -Infinity]) expect(thrown(() => wg.add(bad))).toEqual({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    for (const bad of ['1', null, {}, 1n]) expect(thrown(() => wg.add(bad as number))).toEqual({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    expect(wg.count).toBe(2);
    for (const bad of [-1, NaN]) {
      expect(() => wg.wait(bad)).toThrow(RangeError);
      await expect(wg.waitAsync(bad)).rejects.toBeInstanceOf(RangeError);
    }
    expect(() => wg.wait('1' as unknown as number)).toThrow(TypeError);
    expect(wg.count).toBe(2);
    expect(blocked(wg)).toBe(0);
  });

  test('waiters in other threads, sync and async, are released when the count reaches 0, not before', async () => {
    const wg = new WaitGroup();
    wg.add(3);
    const sync = start<[boolean, number]>(FILE, 'waitOn', { handle: wg.handle, timeout: 10_000 });
    const mine = wg.waitAsync(10_000);
    let settled = false;
    void mine.finally(() => (settled = true));
    await untilBlocked(wg, 2);
    wg.done();
    wg.done();
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(blocked(wg)).toBe(2);
    wg.done();
    expect(await mine).toBe(true);
    const [got, ms] = await sync.result;
    expect(got).toBe(true);
    expect(ms).toBeLessThan(10_000);
    expect(blocked(wg)).toBe(0);
  });

  test('waitAsync(timeout) resolves false after about the timeout, the loop ticking', async () => {
    const wg = new WaitGroup();
    wg.add();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const [got, ms] = await timedAsync(() => wg.waitAsync(120));
      expect(got).toBe(false);
      expectElapsed(ms, 120);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
    expect(await wg.waitAsync(0)).toBe(false);
    wg.done();
    expect(await wg.waitAsync(0)).toBe(true);
  });

  test('a wait is released by a zero during it even if an add raises the count again at once', async () => {
    const wg = new WaitGroup();
    wg.add();
    const waiter = start<[boolean, number]>(FILE, 'waitOn', { handle: wg.handle, timeout: 10_000 });
    await untilBlocked(wg, 1);
    wg.done();
    wg.add();
    expect((await waiter.result)[0]).toBe(true);
    expect(wg.count).toBe(1);
  });

  test('a waiter woken late, after 256 zeros brought STATE back to its first read, is still released', async () => {
    const wg = new WaitGroup();
    wg.add();
    for (let trial = 0; trial < 4; trial++) {
      const waiter = start<[boolean, number]>(FILE, 'waitOn', { handle: wg.handle, timeout: 3000 });
      await untilBlocked(wg, 1);
      // 256 zeros in a row, faster than the waiter wakes: an 8-bit count of zeros is back where it was.
      for (let i = 0; i < 256; i++) {
        wg.done();
        wg.add();
      }
      expect((await waiter.result)[0]).toBe(true);
      expect(wg.count).toBe(1);
    }
  });

  test('handle, revive, a queue item, placement', async () => {
    const wg = new WaitGroup();
    wg.add(2);
    expect(revive(wg.handle)).toBeInstanceOf(WaitGroup);
    expect(WaitGroup.from(wg.handle).count).toBe(2);
    const q = new Queue();
    q.put({ wg });
    const got = (q.get() as { wg: WaitGroup }).wg;
    got.done();
    expect(wg.count).toBe(1);
    expect(() => WaitGroup.from(new Once().handle as never)).toThrow(TypeError);
    const buffer = new SharedArrayBuffer(8 + WaitGroup.byteLength + 8);
    new Uint8Array(buffer).fill(0xa5);
    const placed = new WaitGroup({ buffer, byteOffset: 8 });
    placed.add(5);
    placed.add(-5);
    expect(placed.wait(0)).toBe(true);
    const bytes = new Uint8Array(buffer);
    expect([...bytes.subarray(0, 8), ...bytes.subarray(8 + WaitGroup.byteLength)].every((b) => b === 0xa5)).toBe(true);
  });
});

describe('Once', () => {
  test('the first call runs its fn; later calls return without running theirs; done', async () => {
    const once = new Once();
    expect(once.done).toBe(false);
    let runs = 0;
    once.call(() => runs++);
    expect(once.done).toBe(true);
    once.call(() => runs++);
    await once.callAsync(() => runs++);
    expect(runs).toBe(1);
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    expect(await start(FILE, 'callOnce', { handle: once.handle, ctl: ctl.buffer }).result).toEqual({ ok: true, done: true });
    expect(Atomics.load(ctl, 2)).toBe(0);
  });

  test('a fn that throws: its caller gets the error, the Once stays not done, the next caller runs its own', async () => {
    const once = new Once();
    expect(() =>
      once.call(() => {
        throw new Error('first');
      }),
    ).toThrow('first');
    expect(once.done).toBe(false);
    await expect(
      once.callAsync(async () => {
        await Promise.resolve();
        throw new Error('second');
      }),
    ).rejects.toThrow('second');
    expect(once.done).toBe(false);
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    expect(await start(FILE, 'callOnce', { handle: once.handle, ctl: ctl.buffer }, { index: 4 }).result).toEqual({ ok: true, done: true });
    expect(Atomics.load(ctl, 3)).toBe(5);
    let ran = false;
    once.call(() => (ran = true));
    expect(ran).toBe(false);
  });

  test('callers in other threads wait while the first runs; when it throws, one of them runs its own', async () => {
    const once = new Once();
    const first = new Int32Array(new SharedArrayBuffer(8));
    const runner = start<{ ok?: boolean; message?: string }>(FILE, 'runOnceUntil', { handle: once.handle, ctl: first.buffer, throws: true }, { timeout: 30_000 });
    await waitUntil(() => Atomics.load(first, HELD) === 1, 10_000, 'the first fn to run');
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const others = [0, 1, 2].map((index) => start<{ ok: boolean }>(FILE, 'callOnce', { handle: once.handle, ctl: ctl.buffer }, { index }));
    let mine = 0;
    const myCall = once.callAsync(() => mine++);
    await untilBlocked(once, 4);
    expect(Atomics.load(ctl, 2)).toBe(0);
    Atomics.store(first, GO, 1);
    Atomics.notify(first, GO);
    expect(await runner.result).toEqual({ name: 'Error', message: 'the first fn throws' });
    await myCall;
    for (const o of others) expect((await o.result).ok).toBe(true);
    // Exactly one of the four waiting callers ran its fn.
    expect(Atomics.load(ctl, 2) + mine).toBe(1);
    expect(once.done).toBe(true);
  });

  test('callAsync awaits an async fn: others return only once it has settled', async () => {
    const once = new Once();
    let finished = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = once.callAsync(async () => {
      await gate;
      finished = true;
    });
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const other = start<{ ok: boolean; done: boolean }>(FILE, 'callOnce', { handle: once.handle, ctl: ctl.buffer });
    const second = once.callAsync(() => {
      throw new Error('never runs');
    });
    await untilBlocked(once, 2);
    expect(once.done).toBe(false);
    release();
    await first;
    await second;
    expect(finished).toBe(true);
    expect(await other.result).toEqual({ ok: true, done: true });
    expect(Atomics.load(ctl, 2)).toBe(0);
  });

  test('a sync call from inside its own fn: ERR_CANNOT_BLOCK (it would wait for itself), not a hang', () => {
    const once = new Once();
    let inner: unknown;
    once.call(() => {
      try {
        once.call(() => {});
      } catch (e) {
        inner = e;
      }
    });
    expect(inner).toMatchObject({ code: 'ERR_CANNOT_BLOCK' });
    expect(once.done).toBe(true);
  });

  test('bad fn: TypeError, nothing changed; handle, revive, placement', async () => {
    const once = new Once();
    for (const bad of [undefined, null, 1, 'f', {}]) {
      expect(thrown(() => once.call(bad as never))).toEqual({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await expect(once.callAsync(bad as never)).rejects.toBeInstanceOf(TypeError);
    }
    expect(once.done).toBe(false);
    expect(revive(once.handle)).toBeInstanceOf(Once);
    Once.from(once.handle).call(() => {});
    expect(once.done).toBe(true);
    expect(() => Once.from(new WaitGroup().handle as never)).toThrow(TypeError);
    const buffer = new SharedArrayBuffer(16 + Once.byteLength);
    const placed = new Once({ buffer, byteOffset: 16 });
    placed.call(() => {});
    expect(placed.done).toBe(true);
    expect(new Once({ buffer, byteOffset: 0 }).done).toBe(false);
  });
});
