// A Future that is a Promise and is its engine's Task (engine.ts, task.ts, future.ts): what a
// settled Future keeps, what it shows, and the Promise statics it inherits.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, Future } from 'sabsync';
import { Taken } from './helpers/internals.js';

const tasks = new URL('./fixtures/review-owner.mjs', import.meta.url);
const open: Executor[] = [];
function executor(): Executor {
  const ex = new Executor(tasks, { maxWorkers: 1 });
  open.push(ex);
  return ex;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.shutdown({ cancelFutures: true })));
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a settled Future', () => {
  it('keeps nothing of the call it was submitted with (its arguments can be collected)', async () => {
    const ex = executor();
    let arg: { payload: string } | undefined = { payload: 'x'.repeat(1000) };
    const ref = new WeakRef(arg);
    const future = ex.submit('one', arg);
    arg = undefined;
    expect(await future).toBe(1);
    await ex.shutdown();
    await collect();
    // The caller keeps the future (as Promise.all results, a list of futures...): its arguments
    // must not stay alive with it.
    expect(future.done()).toBe(true);
    expect(ref.deref(), 'the settled future still holds its arguments').toBeUndefined();
  });

  it('shows no engine internals as own properties (engine, args, slot... are not part of the API)', async () => {
    const ex = executor();
    const future = ex.submit('one', 0);
    await future;
    expect(Object.keys(future)).toEqual([]);
    expect('engine' in future).toBe(false);
  });
});

describe('Future as a Promise subclass', () => {
  it('Promise statics reached through Future work, or are absent', async () => {
    const statics = Future as unknown as PromiseConstructor;
    if (typeof statics.resolve === 'function') {
      // Promise.resolve with `this` = Future builds `new Future(executor)`: the Future's
      // constructor takes its argument as a cancel hook and never calls the executor.
      expect(() => statics.resolve(1)).not.toThrow();
      expect(await statics.resolve(1)).toBe(1);
    }
  });
});

describe('the taken store (taken.ts)', () => {
  it('does not grow with the results that pass through it while it never empties', async () => {
    // A steady flow (done callbacks that submit, a backlog that never runs dry) keeps taken
    // results unsettled at every moment: the store's arrays grow by one entry per result that
    // ever passed (it resets only when empty), about 1 entry per 10 tasks in a 5000-in-flight
    // run of trivial tasks with two workers. Here: always one entry left, a million passed.
    const taken = new Taken(1024);
    const task = {} as unknown as Parameters<Taken['push']>[0];
    taken.push(task, 1, 0);
    await collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      taken.push(task, 1, i);
      taken.shift();
    }
    await collect();
    const grown = process.memoryUsage().heapUsed - before;
    expect(taken.size).toBe(1);
    expect(grown, `${(grown / 2 ** 20).toFixed(1)} MiB kept for one entry`).toBeLessThan(4 * 2 ** 20);
  });
});

describe('a worker that dies during a burst, while results are taken and being settled', () => {
  it('fails only its own task; every other task runs once and settles with its result', async () => {
    const N = 4000;
    const ex = new Executor(tasks, { maxWorkers: 2 });
    open.push(ex);
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const futures: Future<unknown>[] = [];
    for (let i = 0; i < N; i++) futures.push(i === N / 2 ? ex.submit('die') : ex.submit('mark', counts, i));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcomes = await Promise.race([
      Promise.allSettled(futures),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('futures left unsettled')), 30_000))),
    ]);
    clearTimeout(timer);
    for (let i = 0; i < N; i++) {
      const o = outcomes[i]!;
      if (i === N / 2) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toMatchObject({ name: 'WorkerCrashedError' });
        continue;
      }
      expect(o, `task ${i}`).toEqual({ status: 'fulfilled', value: i });
      expect(counts[i], `task ${i} ran ${counts[i]} times`).toBe(1);
    }
    const stats = ex.stats();
    expect(stats.completed).toBe(N - 1);
    expect(stats.crashed).toBe(1);
  });
});
