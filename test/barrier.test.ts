/**
 * Barrier: Python's behaviour method by method — arrival indices, the action of the last
 * arrival's own object, breaking by timeout / abort / reset / a throwing action — across real
 * worker threads, then 4 workers × 1,000 cycles with invariants.
 */
import { describe, expect, test } from 'vitest';
import { Barrier, BrokenBarrierError, Event, revive } from 'sabsync';
import { expectElapsed, runMany, start, thrown, timed, timedAsync, unchecked, waitUntil } from './helpers/workers.js';

const FILE = 'barrier.mjs';

interface Waited {
  type: string;
  parties: number;
  index?: number;
  error?: { name: string; code?: string; message: string };
  elapsed: number;
}

const BROKEN = { name: 'BrokenBarrierError', code: 'ERR_BROKEN_BARRIER' };

/** Start `n` workers that each wait once on `b` (odd ones with the async twin). */
function waiters(b: Barrier, n: number, extra: Record<string, unknown> = {}) {
  return Array.from({ length: n }, (_, index) =>
    start<Waited>(FILE, 'waitOnce', { handle: b.handle, async: index % 2 === 1, ...extra }, { index, timeout: 15_000 }),
  );
}

describe('Barrier in one thread', () => {
  test('bad arguments: RangeError for parties < 1 or not an integer, TypeError for wrong types', () => {
    for (const p of [0, -1, 1.5, NaN, Infinity]) expect(thrown(() => new Barrier(p))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => new Barrier('3' as unknown as number))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => new Barrier(2, { action: 5 as unknown as () => void }))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => new Barrier(2, { timeout: -1 }))).toMatchObject({ name: 'RangeError' });
    expect(thrown(() => new Barrier(2, 'x' as never))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => Barrier.byteLength(0))).toMatchObject({ name: 'RangeError' });
    expect(Barrier.byteLength(4)).toBe(Barrier.byteLength());
    const b = new Barrier(2);
    expect(thrown(() => Barrier.from(b.handle, { action: 'no' as unknown as () => void }))).toMatchObject({ name: 'TypeError' });
    expect(thrown(() => Barrier.from(unchecked(new Event().handle)))).toMatchObject({ name: 'TypeError' });
  });

  test('a fresh barrier: parties, nWaiting 0, not broken', () => {
    const b = new Barrier(3);
    expect(b.parties).toBe(3);
    expect(b.nWaiting).toBe(0);
    expect(b.broken).toBe(false);
  });

  test('Barrier(1): every wait passes at once with index 0 and runs the action once', async () => {
    let runs = 0;
    const b = new Barrier(1, { action: () => runs++ });
    expect(b.wait()).toBe(0);
    expect(b.wait(0)).toBe(0);
    expect(await b.waitAsync()).toBe(0);
    expect(runs).toBe(3);
  });

  test('an action that throws breaks the barrier, and its error reaches the thread that ran it', () => {
    const boom = new Error('boom');
    let fail = true;
    const b = new Barrier(1, {
      action: () => {
        if (fail) throw boom;
      },
    });
    expect(() => b.wait()).toThrow(boom);
    expect(b.broken).toBe(true);
    expect(thrown(() => b.wait())).toMatchObject(BROKEN);
    fail = false;
    b.reset();
    expect(b.broken).toBe(false);
    expect(b.wait()).toBe(0);
  });

  test('a wait that times out throws BrokenBarrierError and breaks the barrier (sync, async, default timeout)', async () => {
    const b = new Barrier(2);
    const [err, elapsed] = timed(() => thrown(() => b.wait(60)));
    expect(err).toMatchObject(BROKEN);
    expectElapsed(elapsed, 60);
    expect(b.broken).toBe(true);
    b.reset();
    const [errAsync, elapsedAsync] = await timedAsync(() => b.waitAsync(60).then(() => null, (e: unknown) => e));
    expect(errAsync).toBeInstanceOf(BrokenBarrierError);
    expectElapsed(elapsedAsync, 60);
    b.reset();
    expect(thrown(() => b.wait(0))).toMatchObject(BROKEN);
    const d = new Barrier(2, { timeout: 60 });
    const [errDefault, elapsedDefault] = timed(() => thrown(() => d.wait()));
    expect(errDefault).toMatchObject(BROKEN);
    expectElapsed(elapsedDefault, 60);
  });

  test('bad timeouts throw (RangeError / TypeError) and leave the barrier as it was', async () => {
    const b = new Barrier(2);
    for (const t of [-1, NaN]) {
      expect(thrown(() => b.wait(t))).toMatchObject({ name: 'RangeError' });
      await expect(b.waitAsync(t)).rejects.toBeInstanceOf(RangeError);
    }
    expect(thrown(() => b.wait('1' as unknown as number))).toMatchObject({ name: 'TypeError' });
    expect(b.nWaiting).toBe(0);
    expect(b.broken).toBe(false);
  });

  test('abort() breaks the barrier until reset()', async () => {
    const b = new Barrier(1);
    b.abort();
    expect(b.broken).toBe(true);
    expect(thrown(() => b.wait())).toMatchObject(BROKEN);
    await expect(b.waitAsync()).rejects.toMatchObject(BROKEN);
    b.reset();
    expect(b.broken).toBe(false);
    expect(b.wait()).toBe(0);
  });

  test('placement in a caller buffer writes only inside its bytes', () => {
    const size = Barrier.byteLength(1);
    const buffer = new SharedArrayBuffer(16 + size + 16);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0x3c);
    const b = new Barrier(1, { buffer, byteOffset: 16, timeout: 1_000 });
    expect(b.wait()).toBe(0);
    b.abort();
    b.reset();
    expect(b.handle).toMatchObject({ buffer, byteOffset: 16 });
    expect((revive(b.handle) as Barrier).parties).toBe(1);
    expect([...bytes.subarray(0, 16), ...bytes.subarray(16 + size)].every((x) => x === 0x3c)).toBe(true);
    expect(thrown(() => new Barrier(1, { buffer, byteOffset: 20 }))).toMatchObject({ name: 'RangeError' });
  });
});

describe('Barrier across threads', () => {
  test('4 parties: indices are 0..3, the last arrival runs only its own action, before anyone is released', async () => {
    const ctl = new SharedArrayBuffer(12);
    const released = new Int32Array(ctl);
    let mainActions = 0;
    let releasedWhenActionRan = -1;
    const b = new Barrier(4, {
      action: () => {
        mainActions++;
        releasedWhenActionRan = Atomics.load(released, 1);
      },
    });
    const runs = waiters(b, 3, { ctl, action: 'count' });
    await waitUntil(() => b.nWaiting === 3, 10_000, 'three waiting workers');
    expect(await b.waitAsync(10_000)).toBe(3);
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    expect(mainActions).toBe(1);
    expect(releasedWhenActionRan).toBe(0);
    expect(new Int32Array(ctl)[0]).toBe(0);
    expect(b.nWaiting).toBe(0);
  });

  test('the main thread arriving first does not run its action; the worker arriving last runs its own', async () => {
    const ctl = new SharedArrayBuffer(12);
    let mainActions = 0;
    const b = new Barrier(3, { action: () => mainActions++ });
    const mine = b.waitAsync(10_000);
    expect(b.nWaiting).toBe(1);
    const results = await Promise.all(waiters(b, 2, { ctl, action: 'count' }).map((r) => r.result));
    expect(await mine).toBe(0);
    expect(results.map((r) => r.index).sort()).toEqual([1, 2]);
    expect(mainActions).toBe(0);
    expect(new Int32Array(ctl)[0]).toBe(1);
  });

  test("a worker's throwing action: it gets the action's error, the others BrokenBarrierError", async () => {
    const b = new Barrier(3);
    const early = waiters(b, 2);
    await waitUntil(() => b.nWaiting === 2, 10_000, 'two waiting workers');
    const last = await start<Waited>(FILE, 'waitOnce', { handle: b.handle, action: 'throw' }, { timeout: 15_000 }).result;
    expect(last.error).toMatchObject({ name: 'Error', message: 'action failed in worker' });
    for (const r of await Promise.all(early.map((w) => w.result))) expect(r.error).toMatchObject(BROKEN);
    expect(b.broken).toBe(true);
  });

  test('abort() wakes the waiting workers (sync and async) with BrokenBarrierError', async () => {
    const b = new Barrier(3);
    const runs = waiters(b, 2);
    await waitUntil(() => b.nWaiting === 2, 10_000, 'two waiting workers');
    b.abort();
    for (const r of await Promise.all(runs.map((w) => w.result))) {
      expect(r.error).toMatchObject(BROKEN);
      expect(r.elapsed).toBeLessThan(10_000);
    }
    expect(b.broken).toBe(true);
  });

  test('reset() breaks the waits in progress, then the barrier works again', async () => {
    const b = new Barrier(3);
    const runs = waiters(b, 2);
    await waitUntil(() => b.nWaiting === 2, 10_000, 'two waiting workers');
    b.reset();
    for (const r of await Promise.all(runs.map((w) => w.result))) expect(r.error).toMatchObject(BROKEN);
    expect(b.broken).toBe(false);
    const again = waiters(b, 2);
    const mine = await b.waitAsync(10_000);
    const indices = [mine, ...(await Promise.all(again.map((w) => w.result))).map((r) => r.index)];
    expect(indices.sort()).toEqual([0, 1, 2]);
  });

  test("a worker's timeout breaks the barrier for every waiter; the default timeout is shared by handles", async () => {
    const b = new Barrier(3);
    const patient = start<Waited>(FILE, 'waitOnce', { handle: b.handle }, { timeout: 15_000 });
    const hasty = start<Waited>(FILE, 'waitOnce', { handle: b.handle, timeout: 100 }, { timeout: 15_000 });
    const [p, h] = await Promise.all([patient.result, hasty.result]);
    expect(h.error).toMatchObject(BROKEN);
    expectElapsed(h.elapsed, 100);
    expect(p.error).toMatchObject(BROKEN);
    expect(b.broken).toBe(true);

    const d = new Barrier(2, { timeout: 80 });
    const r = await start<Waited>(FILE, 'waitOnce', { handle: d.handle, async: true }, { timeout: 15_000 }).result;
    expect(r.error).toMatchObject(BROKEN);
    expectElapsed(r.elapsed, 80);
  });

  test.each(['from', 'revive', 'message'])('a handle attached in a worker (%s) is the same Barrier', async (how) => {
    const b = new Barrier(2);
    const run = start<Waited>(FILE, 'waitOnce', { handle: how === 'message' ? undefined : b.handle, how }, { timeout: 15_000 });
    if (how === 'message') run.worker.postMessage(b.handle);
    const mine = await b.waitAsync(10_000);
    const r = await run.result;
    expect(r).toMatchObject({ type: 'Barrier', parties: 2 });
    expect([mine, r.index].sort()).toEqual([0, 1]);
  });
});

describe('stress', () => {
  test('4 workers × 1,000 cycles: each cycle a permutation of 0..3, one action per cycle, run before any release', async () => {
    const workers = 4;
    const cycles = 1_000;
    const b = new Barrier(workers);
    const ctl = new SharedArrayBuffer(12);
    const indices = await runMany<number[]>(workers, FILE, 'cycles', { handle: b.handle, ctl, cycles }, 15_000);
    for (let c = 0; c < cycles; c++) {
      expect(indices.map((mine) => mine[c]).sort()).toEqual([0, 1, 2, 3]);
    }
    const [actions, released, bad] = new Int32Array(ctl);
    expect(actions).toBe(cycles);
    expect(released).toBe(workers * cycles);
    expect(bad).toBe(0);
    expect(b.broken).toBe(false);
    expect(b.nWaiting).toBe(0);
  });
});
