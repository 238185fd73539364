// Future, asCompleted and wait on the owning thread, with futures settled directly through the
// engine's internal API (the same calls the engine makes when a result arrives).
import { describe, expect, it } from 'vitest';
import { ALL_COMPLETED, CancelledError, FIRST_COMPLETED, FIRST_EXCEPTION, Future, TimeoutError, asCompleted, wait } from 'sabsync';
import { futureWith, setControl, setException, setResult } from './helpers/internals.js';
import { expectElapsed, timedAsync } from './helpers/workers.js';

const later = (ms: number, f: () => void) => setTimeout(f, ms);

describe('Future', () => {
  it('is pending, then finished with a result', async () => {
    const f = new Future<number>();
    expect([f.done(), f.running(), f.cancelled()]).toEqual([false, false, false]);
    later(5, () => setResult(f, 42));
    expect(await f.result()).toBe(42);
    expect(await f.exception()).toBeUndefined();
    expect(await f).toBe(42);
    expect([f.done(), f.running(), f.cancelled()]).toEqual([true, false, false]);
    expect(setResult(f, 1)).toBe(false); // settles once
    expect(await f.result()).toBe(42);
  });

  it('finished with an error: result() rejects, exception() resolves to it', async () => {
    const f = new Future();
    const boom = new RangeError('boom');
    setException(f, boom);
    await expect(f.result()).rejects.toBe(boom);
    expect(await f.exception()).toBe(boom);
    await expect(Promise.resolve(f)).rejects.toBe(boom);
  });

  it('result(timeout) and exception(timeout) reject with TimeoutError and leave it pending', async () => {
    const f = new Future();
    const [err, ms] = await timedAsync(() => f.result(50).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ERR_TIMEOUT' });
    expectElapsed(ms, 50);
    await expect(f.exception(0)).rejects.toBeInstanceOf(TimeoutError);
    expect(f.done()).toBe(false);
    setResult(f, 'late');
    expect(await f.result(0)).toBe('late');
  });

  it('bad timeouts: RangeError / TypeError', async () => {
    const f = new Future();
    await expect(f.result(-1)).rejects.toBeInstanceOf(RangeError);
    await expect(f.result(NaN)).rejects.toBeInstanceOf(RangeError);
    await expect(f.exception('1' as unknown as number)).rejects.toBeInstanceOf(TypeError);
    expect(f.done()).toBe(false);
  });

  it('cancel(): a pending future is cancelled; result and exception reject with CancelledError', async () => {
    const f = new Future();
    let dropped = 0;
    const g = futureWith(() => dropped++);
    expect(g.cancel()).toBe(true);
    expect(g.cancel()).toBe(true); // already cancelled: still true
    expect(dropped).toBe(1);
    expect([g.done(), g.cancelled(), g.running()]).toEqual([true, true, false]);
    await expect(g.result()).rejects.toBeInstanceOf(CancelledError);
    await expect(g.exception()).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(setResult(g, 1)).toBe(false);
    setResult(f, 1);
    expect(f.cancel()).toBe(false); // finished: cannot cancel
  });

  it('cancel() asks the task control, which decides (a running task cannot be cancelled)', () => {
    const f = new Future();
    let running = true;
    setControl(f, { cancel: () => !running, running: () => running });
    expect(f.running()).toBe(true);
    expect(f.cancel()).toBe(false);
    expect(f.cancelled()).toBe(false);
    running = false;
    expect(f.cancel()).toBe(true);
    expect(f.running()).toBe(false);
  });

  it('addDoneCallback: exactly once each, in order, at once if already done, throwing ones do not stop others', async () => {
    const f = new Future<number>();
    const calls: string[] = [];
    f.addDoneCallback((x) => calls.push(`a${x === f}`));
    f.addDoneCallback(() => {
      throw new Error('callback error (expected in this test)');
    });
    f.addDoneCallback(() => calls.push('b'));
    expect(calls).toEqual([]);
    const errors: unknown[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => errors.push(a);
    try {
      setResult(f, 1);
      setResult(f, 2);
    } finally {
      console.error = orig;
    }
    expect(calls).toEqual(['atrue', 'b']);
    expect(errors).toHaveLength(1);
    f.addDoneCallback(() => calls.push('late'));
    expect(calls).toEqual(['atrue', 'b', 'late']);
    const c = new Future();
    let n = 0;
    c.addDoneCallback(() => n++);
    c.cancel();
    c.cancel();
    expect(n).toBe(1);
    expect(() => f.addDoneCallback(42 as unknown as () => void)).toThrow(TypeError);
  });

  it('is a Promise of its result: await, Promise.resolve and Promise.all take it as it is', async () => {
    const f = new Future<number>();
    expect(f).toBeInstanceOf(Promise);
    expect(Promise.resolve(f)).toBe(f); // no Promise made for it in between
    const derived = f.then((v) => v * 2);
    expect(derived).not.toBeInstanceOf(Future); // then (and Promise's catch, finally) derive plain Promises
    expect(derived.constructor).toBe(Promise);
    const all = Promise.all([f, Promise.prototype.finally.call(f, () => {})]);
    setResult(f, 21);
    expect(await f).toBe(21);
    expect(await derived).toBe(42);
    expect(await all).toEqual([21, 21]);
    expect(Object.prototype.toString.call(f)).toBe('[object Future finished]');
  });

  it('a future that fails or is cancelled while nobody awaits it raises no unhandled rejection', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failing = new Future();
      const cancelled = new Future();
      const awaited = new Future();
      const caught = awaited.then(undefined, (e: unknown) => e);
      setException(failing, new RangeError('nobody looks'));
      expect(cancelled.cancel()).toBe(true);
      const boom = new RangeError('awaited');
      setException(awaited, boom);
      expect(await caught).toBe(boom); // an awaiter still sees the error
      await expect(failing).rejects.toBeInstanceOf(RangeError);
      await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
      // Node reports unhandled rejections after the microtasks of a turn: two turns later, none came.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('asCompleted', () => {
  it('yields the futures themselves, done ones first, then in completion order, each once', async () => {
    const [a, b, c] = [new Future<number>(), new Future<number>(), new Future<number>()];
    setResult(b, 2);
    later(30, () => setResult(a, 1));
    later(10, () => c.cancel());
    const seen: Future<number>[] = [];
    // The cast: until asCompleted's declared type stops `for await` from typing its futures as
    // their results (issue 7, bug 6; test/types/ checks that). Runs the same either way.
    for await (const f of asCompleted([a, b, c, b])) seen.push(f as unknown as Future<number>);
    expect(seen).toEqual([b, c, a]);
    expect(seen[0]).toBeInstanceOf(Future);
  });

  it('throws TimeoutError when futures are still pending at the deadline', async () => {
    const [a, b] = [new Future(), new Future()];
    setResult(a, 1);
    const seen: unknown[] = [];
    const t0 = performance.now();
    const err = await (async () => {
      for await (const f of asCompleted([a, b], 60)) seen.push(f);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expectElapsed(performance.now() - t0, 60);
    expect(seen).toEqual([a]);
  });

  it('rejects bad input', () => {
    expect(() => asCompleted(5 as unknown as Future[])).toThrow(TypeError);
    expect(() => asCompleted([{}] as unknown as Future[])).toThrow(TypeError);
    expect(() => asCompleted([], -5)).toThrow(RangeError);
  });
});

describe('wait', () => {
  it('ALL_COMPLETED (the default) waits for every future', async () => {
    const fs = [new Future(), new Future(), new Future()];
    fs.forEach((f, i) => later(5 + 10 * i, () => setResult(f, i)));
    const { done, notDone } = await wait(fs);
    expect([done.size, notDone.size]).toEqual([3, 0]);
    expect((await wait(fs, { returnWhen: ALL_COMPLETED })).done.size).toBe(3);
  });

  it('FIRST_COMPLETED returns as soon as one is done (a cancelled one counts)', async () => {
    const fs = [new Future(), new Future()];
    later(10, () => fs[1]!.cancel());
    const { done, notDone } = await wait(fs, { returnWhen: FIRST_COMPLETED });
    expect([...done]).toEqual([fs[1]]);
    expect([...notDone]).toEqual([fs[0]]);
  });

  it('FIRST_EXCEPTION returns at the first error, and is ALL_COMPLETED when none fails', async () => {
    const fs = [new Future(), new Future(), new Future()];
    later(5, () => setResult(fs[0]!, 0));
    later(15, () => setException(fs[1]!, new Error('x')));
    const r = await wait(fs, { returnWhen: FIRST_EXCEPTION });
    expect(r.done).toEqual(new Set([fs[0], fs[1]]));
    expect(r.notDone).toEqual(new Set([fs[2]]));
    const ok = [new Future(), new Future()];
    later(5, () => ok[0]!.cancel()); // cancelled is not an exception
    later(20, () => setResult(ok[1]!, 1));
    expect((await wait(ok, { returnWhen: FIRST_EXCEPTION })).done.size).toBe(2);
  });

  it('returns what is done when the timeout passes (not an error)', async () => {
    const fs = [new Future(), new Future()];
    setResult(fs[0]!, 0);
    const [r, ms] = await timedAsync(() => wait(fs, { timeout: 50 }));
    expectElapsed(ms, 50);
    expect([r.done.size, r.notDone.size]).toEqual([1, 1]);
    const z = await wait(fs, { timeout: 0 });
    expect(z.notDone.size).toBe(1);
  });

  it('rejects bad options', async () => {
    await expect(wait([], { returnWhen: 'SOMETIMES' as never })).rejects.toBeInstanceOf(RangeError);
    await expect(wait([], { timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(wait([1] as never)).rejects.toBeInstanceOf(TypeError);
  });
});
