// The result path: a result small enough and plain enough is written into its task's slot (READY
// set last); a large one, or one holding SharedArrayBuffers or primitives, goes on the result
// Queue. Either way each task settles once, with its own result, even when workers die.
import { describe, expect, it } from 'vitest';
import { Executor, Future, Lock, WorkerCrashedError } from 'sabsync';
import { killWhile, onceOrCrashed, settledWithin } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-results.mjs', import.meta.url);


describe('results in task slots and on the result Queue', () => {
  it('results of every size arrive intact, around the slot area\'s size', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const sizes = [0, 1, 200, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 300, 4096, 100_000];
    const texts = await Promise.all(sizes.map((n) => ex.submit<string>('text', n)));
    expect(texts.map((t) => t.length)).toEqual(sizes);
    expect(texts.every((t) => /^y*$/.test(t))).toBe(true);
    const big = await ex.submit<{ i: number; pad: string }>('markSized', new Int32Array(new SharedArrayBuffer(4)), 0, true);
    expect(big).toEqual({ i: 0, pad: 'x'.repeat(2000) });
  });

  it('plain values of every kind come back as they were', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const values: unknown[] = [0, -0, 1.5, NaN, Infinity, -1e308, 2 ** 53, undefined, null, true, false, '', 'é😀', [1, 'a'], { a: { b: [null] } }, new Date(5), 10n];
    const back = await Promise.all(values.map((v) => ex.submit('echo', v)));
    expect(back).toEqual(values);
    expect(Object.is(back[1], -0)).toBe(true);
  });

  it("a task's last progress value reaches the owner before its result", async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    for (let round = 0; round < 50; round++) {
      const seen: unknown[] = [];
      const f = ex.submit<number>('progressThen', 20).onProgress((v) => seen.push(v));
      f.addDoneCallback(() => seen.push('done'));
      expect(await f.result()).toBe(20);
      expect(seen.at(-2)).toBe(20);
      expect(seen.at(-1)).toBe('done');
    }
  });

  it('an error description travels in the slot, a result holding a Lock takes the Queue and stays live', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const err = await ex.submit('fail', 'no').exception();
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toBe('no');
    const { lock, n } = await ex.submit<{ lock: Lock; n: number }>('newLock', 5);
    expect(n).toBe(5);
    expect(lock).toBeInstanceOf(Lock);
    expect(await ex.submit('isLocked', lock)).toBe(false);
    lock.acquire();
    expect(await ex.submit('isLocked', lock)).toBe(true); // the same lock, shared
    lock.release();
  });

  it('a result written just before its worker dies is delivered; the next task fails once', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    const flags = new Int32Array(new SharedArrayBuffer(12));
    const value = ex.submit<number>('gatedValue', flags, 7);
    const dying = ex.submit('dieNow', flags);
    await waitUntil(() => Atomics.load(flags, 0) === 1, 10_000, 'the first task to start');
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    // Hold the owner's event loop until the worker wrote the first result and is dying: the
    // result then reaches the owner only after (or as) the exit is handled.
    const end = performance.now() + 10_000;
    while (Atomics.load(flags, 2) === 0 && performance.now() < end);
    expect(Atomics.load(flags, 2)).toBe(1);
    await settledWithin([value, dying], 10_000);
    expect(await value.result()).toBe(7);
    const err = await dying.exception();
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect((err as Error).message).toMatch(/dieNow.*exit code 3/);
    expect(await ex.submit('text', 3)).toBe('yyy'); // replaced
  });

  it('under random kills, small and large results each settle exactly once', async () => {
    for (let round = 0; round < 3; round++) {
      const total = 600;
      const counts = new Int32Array(new SharedArrayBuffer(4 * total));
      const ex = new Executor(tasks, { maxWorkers: 2 });
      const futures: Future<unknown>[] = [];
      let producing = true;
      const producer = async () => {
        for (let i = 0; i < total; i++) {
          futures.push(ex.submit('markSized', counts, i, i % 3 === 0));
          if (i % 25 === 0) await new Promise((r) => setImmediate(r));
        }
        producing = false;
      };
      const [, kills] = await Promise.all([producer(), killWhile(ex, () => producing, 10)]);
      await settledWithin(futures, 15_000);
      const crashed = await onceOrCrashed(futures, counts, (i) => (i % 3 === 0 ? { i, pad: 'x'.repeat(2000) } : i));
      expect(crashed).toBeLessThanOrEqual(kills);
      await ex.shutdown();
    }
  });
});
