/**
 * Event: Python's behaviour method by method, across real worker threads; a set() followed at
 * once by clear() wakes every waiter, once and in many rounds.
 */
import { describe, expect, test } from 'vitest';
import { Event, Semaphore, revive } from 'sabsync';
import { blocked } from './helpers/blocked.js';
import { expectElapsed, runMany, start, thrown, timed, timedAsync, unchecked, waitUntil } from './helpers/workers.js';

const FILE = 'event.mjs';

describe('Event in one thread', () => {
  test('starts cleared; set() and clear() flip isSet(); both are idempotent', () => {
    const ev = new Event();
    expect(ev.isSet()).toBe(false);
    ev.clear();
    expect(ev.isSet()).toBe(false);
    ev.set();
    ev.set();
    expect(ev.isSet()).toBe(true);
    ev.clear();
    expect(ev.isSet()).toBe(false);
  });

  test('wait() returns true at once when set, sync and async, with or without a timeout', async () => {
    const ev = new Event();
    ev.set();
    expect(ev.wait()).toBe(true);
    expect(ev.wait(0)).toBe(true);
    expect(await ev.waitAsync()).toBe(true);
    expect(await ev.waitAsync(0)).toBe(true);
    expect(ev.isSet()).toBe(true);
  });

  test('wait(timeout) on a cleared event returns false after the timeout; the async twin too', async () => {
    const ev = new Event();
    expect(ev.wait(0)).toBe(false);
    expect(await ev.waitAsync(0)).toBe(false);
    const [r, elapsed] = timed(() => ev.wait(60));
    expect(r).toBe(false);
    expectElapsed(elapsed, 60);
    const [ra, elapsedAsync] = await timedAsync(() => ev.waitAsync(60));
    expect(ra).toBe(false);
    expectElapsed(elapsedAsync, 60);
  });

  test('bad timeouts throw (RangeError / TypeError) and leave the flag as it was', async () => {
    const ev = new Event();
    for (const flag of [false, true]) {
      if (flag) ev.set();
      for (const t of [-1, NaN]) {
        expect(thrown(() => ev.wait(t))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        await expect(ev.waitAsync(t)).rejects.toBeInstanceOf(RangeError);
      }
      expect(thrown(() => ev.wait('1' as unknown as number))).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      expect(ev.isSet()).toBe(flag);
    }
  });

  test('placement in a caller buffer writes only inside its bytes; bad offsets are refused', () => {
    const buffer = new SharedArrayBuffer(48);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0x5a);
    const ev = new Event({ buffer, byteOffset: 16 });
    expect(Event.byteLength).toBe(16);
    ev.set();
    ev.clear();
    ev.set();
    expect(ev.handle).toMatchObject({ buffer, byteOffset: 16 });
    expect((revive(ev.handle) as Event).isSet()).toBe(true);
    expect([...bytes.subarray(0, 16), ...bytes.subarray(32)].every((b) => b === 0x5a)).toBe(true);
    expect(thrown(() => new Event({ buffer, byteOffset: 4 }))).toMatchObject({ name: 'RangeError' });
    expect(thrown(() => new Event({ buffer, byteOffset: 40 }))).toMatchObject({ name: 'RangeError' });
    expect(thrown(() => new Event({ buffer: new ArrayBuffer(16) as unknown as SharedArrayBuffer }))).toMatchObject({ name: 'TypeError' });
  });
});

describe('Event across threads', () => {
  test.each([false, true])('a worker waiting (async: %s) wakes when the main thread sets the event', async (async) => {
    const ev = new Event();
    const run = start<[boolean, number]>(FILE, 'waitOnce', { handle: ev.handle, async, timeout: 10_000 }, { timeout: 15_000 });
    await waitUntil(() => blocked(ev) === 1, 5_000, 'the worker to wait');
    ev.set();
    const [result, elapsed] = await run.result;
    expect(result).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
  });

  test('the main thread waits (async) while a worker sets the event', async () => {
    const ev = new Event();
    const waiting = ev.waitAsync(10_000);
    await start(FILE, 'setIt', { handle: ev.handle }, { timeout: 15_000 }).result;
    expect(await waiting).toBe(true);
  });

  test('a worker whose wait times out returns false after about its timeout', async () => {
    const ev = new Event();
    const [result, elapsed] = await start<[boolean, number]>(FILE, 'waitOnce', { handle: ev.handle, timeout: 80 }, { timeout: 15_000 }).result;
    expect(result).toBe(false);
    expectElapsed(elapsed, 80);
  });

  test.each([false, true])('a stray wake-up is not a set(): the wait (async: %s) sleeps on and times out', async (async) => {
    const ev = new Event();
    const run = start<[boolean, number]>(FILE, 'waitOnce', { handle: ev.handle, async, timeout: 300 }, { timeout: 15_000 });
    await waitUntil(() => blocked(ev) === 1, 5_000, 'the worker to wait');
    // White-box: wake whoever sleeps on STATE (word 1) without changing it, as a set() that was
    // preempted between its CAS and its notify would do to a later wait.
    const { buffer, byteOffset } = ev.handle;
    const state = new Int32Array(buffer, byteOffset, 4);
    await waitUntil(() => Atomics.notify(state, 1) === 1, 5_000, 'the worker to be asleep');
    const [result, elapsed] = await run.result;
    expect(result).toBe(false);
    expectElapsed(elapsed, 300);
  });

  test('set() immediately followed by clear() wakes every one of 6 waiting workers', async () => {
    const ev = new Event();
    const runs = Array.from({ length: 6 }, (_, index) =>
      start<[boolean, number]>(FILE, 'waitOnce', { handle: ev.handle, async: index % 2 === 1, timeout: 10_000 }, { index, timeout: 15_000 }),
    );
    await waitUntil(() => blocked(ev) === 6, 10_000, 'six waiting workers');
    ev.set();
    ev.clear();
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map(([r]) => r)).toEqual(Array(6).fill(true));
    expect(ev.isSet()).toBe(false);
    // A wait that begins after the clear() waits for the next set().
    expect(ev.wait(30)).toBe(false);
  });

  test.each(['from', 'revive', 'message'])('a handle attached in a worker (%s) is the same Event', async (how) => {
    const ev = new Event();
    const run = start<[boolean, number, string]>(FILE, 'waitOnce', { handle: how === 'message' ? undefined : ev.handle, how, timeout: 10_000 }, { timeout: 15_000 });
    if (how === 'message') run.worker.postMessage(ev.handle);
    await waitUntil(() => blocked(ev) === 1, 5_000, 'the worker to wait');
    ev.set();
    const [result, , type] = await run.result;
    expect(result).toBe(true);
    expect(type).toBe('Event');
  });

  test('a handle of another kind, or foreign memory, is refused with a TypeError', () => {
    const ev = new Event();
    expect(thrown(() => Event.from(unchecked(new Semaphore().handle)))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => Event.from({ ...ev.handle, buffer: new SharedArrayBuffer(16) }))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => Event.from({} as never))).toMatchObject({ name: 'TypeError' });
  });
});

describe('stress', () => {
  test('4 workers × 300 rounds of set() then clear() at once: every wait of every round returns true', async () => {
    const workers = 4;
    const rounds = 300;
    const ev = new Event();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const all = runMany<boolean[]>(workers, FILE, 'rounds', { handle: ev.handle, ctl: ctl.buffer, rounds }, 15_000);
    let failed: unknown;
    all.catch((e: unknown) => (failed = e));
    for (let r = 0; r < rounds && failed === undefined; r++) {
      Atomics.store(ctl, 1, r + 1);
      Atomics.notify(ctl, 1);
      await waitUntil(() => failed !== undefined || blocked(ev) === workers, 10_000, `round ${r}: all workers waiting`);
      ev.set();
      ev.clear();
      await waitUntil(() => failed !== undefined || Atomics.load(ctl, 0) === workers * (r + 1), 10_000, `round ${r}: all woken`);
    }
    const results = await all;
    expect(results).toEqual(Array(workers).fill(Array(rounds).fill(true)));
    expect(ev.isSet()).toBe(false);
    expect(blocked(ev)).toBe(0);
  });
});
