// A Future that is a Promise and is its engine's Task (engine.ts, task.ts, future.ts): what a
// settled Future keeps, what it shows, the Promise statics it inherits; the bounded store of
// taken results (taken.ts); a worker that dies while results are taken.
import { inspect } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, Future } from 'sabsync';
import { Taken } from './helpers/internals.js';
import { settledWithin } from './helpers/pool.js';

const tasks = new URL('./fixtures/pool-future-memory.mjs', import.meta.url);
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
    const future = ex.submit('one', { secret: 'argument' });
    // Pending (bound or in the backlog) and settled alike.
    expect(Reflect.ownKeys(future)).toEqual([]);
    await future;
    expect(Reflect.ownKeys(future)).toEqual([]);
    expect(Object.keys(future)).toEqual([]);
    for (const name of ['engine', 'fn', 'args', 'slot', 'gen', 'stop', 'upkeep', 'inArea']) expect(name in future, name).toBe(false);
    expect(inspect(future, { showHidden: true })).not.toMatch(/Engine|argument/);
    expect(future instanceof Future).toBe(true);
  });
});

describe('Future as a Promise subclass', () => {
  it('is a Future whose constructor reads Promise: await, Promise.resolve and Promise.all take it as it is', async () => {
    const ex = executor();
    const future = ex.submit('one', 0);
    expect(future instanceof Future).toBe(true);
    expect(future instanceof Promise).toBe(true);
    expect(future.constructor).toBe(Promise);
    expect(Promise.resolve(future)).toBe(future);
    expect(await Promise.all([future, future])).toEqual([1, 1]);
    const derived = future.then((v) => v);
    expect(derived instanceof Future).toBe(false);
    expect(await derived).toBe(1);
  });

  it('the Promise statics reached through Future throw a TypeError that says Futures come from an Executor', () => {
    const statics = Future as unknown as Record<string, (...args: unknown[]) => unknown>;
    const names = ['all', 'allSettled', 'any', 'race', 'reject', 'resolve', 'try', 'withResolvers'].filter((n) => n in Promise);
    expect(names).toContain('resolve');
    for (const name of names) {
      expect(() => statics[name]!.call(Future, [1]), name).toThrow(TypeError);
      expect(() => statics[name]!.call(Future, [1]), name).toThrow(/Future comes from an Executor/);
    }
    try {
      statics.resolve!(1);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    }
    // Promise's own are untouched.
    expect(Promise.resolve(1)).toBeInstanceOf(Promise);
  });
});

describe('the taken store (taken.ts)', () => {
  it('does not grow with the results that pass through it while it never empties', async () => {
    // A steady flow (done callbacks that submit, a backlog that never runs dry) keeps taken
    // results unsettled at every moment; a store that compacted only when empty grew by one
    // entry per result that ever passed (about 1 per 10 tasks with 5000 in flight, two workers:
    // 23.7 MiB kept here). Here: always one entry left, a million passed.
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
    expect(taken.room).toBeLessThanOrEqual(2 * 1024); // its chunk and the spare
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
    await settledWithin(futures, 30_000);
    const outcomes = await Promise.allSettled(futures);
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

describe('the taken store (taken.ts), in order', () => {
  it('gives back every result in the order taken across chunks, and keeps one spare chunk once empty', () => {
    const taken = new Taken(4);
    const tasks = Array.from({ length: 40 }, (_, i) => ({ i }) as unknown as Parameters<Taken['push']>[0]);
    let pushed = 0;
    let shifted = 0;
    const shift = () => {
      expect(taken.shift()).toBe(tasks[shifted]);
      expect(taken.value).toBe(shifted * 10);
      expect(taken.ok).toBe(shifted % 2);
      shifted++;
    };
    const push = () => {
      taken.push(tasks[pushed]!, (pushed % 2) as 0 | 1, pushed * 10);
      pushed++;
    };
    for (let k = 0; k < 3; k++) push();
    shift();
    for (let k = 0; k < 3; k++) push(); // into a second chunk
    shift();
    for (let k = 0; k < 20; k++) push(); // seven chunks in all
    expect(taken.room).toBe(28);
    expect(taken.size).toBe(24);
    while (taken.size > 1) shift(); // the used-up chunks go, one kept as the spare
    expect(taken.room).toBe(8);
    push();
    shift();
    shift();
    expect(taken.size).toBe(0);
    for (let k = 0; k < 9; k++) push(); // the spare first, then one new chunk
    expect(taken.room).toBe(12);
    while (taken.size > 0) shift();
    expect(taken.room).toBe(8); // one chunk and the spare
    expect(shifted).toBe(pushed);
  });
});

describe('a worker that dies while submit() takes the results it left', () => {
  it('fails only its own task: the results taken inside submit() settle, every other task runs once', async () => {
    // One worker, warm and set up (its counts and flag kept by the fixture, so that the tasks'
    // arguments are numbers alone and each task is written into its slot's area: an item put
    // would wait for the event loop). In one synchronous run of submits: fill every task slot
    // (512) with `count` tasks, the 101st being `dieFlagged`; wait (on shared memory) until the
    // worker has counted the first 100 and raised the flag; then submit 100 more: with every
    // slot bound, submit() takes the dead worker's 100 results out of their slots and feeds the
    // freed slots (TAKE_EARLY, engine.ts), all before the owner's event loop can run the
    // worker's `exit`. Its replacement (not set up: it counts nothing) runs the rest.
    const SLOTS = 512;
    const BEFORE = 100;
    const MORE = 100;
    const N = SLOTS + MORE;
    const ex = new Executor(tasks, { maxWorkers: 1, minWorkers: 1 });
    open.push(ex);
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const flag = new Int32Array(new SharedArrayBuffer(4));
    await ex.submit('setUp', counts, flag);
    const futures: Future<unknown>[] = [];
    for (let i = 0; i < SLOTS; i++) futures.push(i === BEFORE ? ex.submit('dieFlagged') : ex.submit('count', i));
    const deadline = Date.now() + 20_000;
    let counted = 0;
    while (Atomics.load(flag, 0) === 0 || counted < BEFORE) {
      if (Date.now() > deadline) throw new Error(`the worker did not run its first ${BEFORE} tasks and die (${counted} counted)`);
      Atomics.wait(flag, 0, 0, 10);
      counted = 0;
      for (let i = 0; i < BEFORE; i++) counted += Atomics.load(counts, i);
    }
    for (let i = SLOTS; i < N; i++) futures.push(ex.submit('count', i));
    // Taken inside submit(): they ran, so they cannot be cancelled, and nothing is settled yet.
    const ran = futures.slice(0, BEFORE);
    expect(ran.every((f) => !f.done())).toBe(true);
    expect(ran.every((f) => !f.cancel())).toBe(true);
    await settledWithin(futures, 30_000);
    const outcomes = await Promise.allSettled(futures);
    for (let i = 0; i < N; i++) {
      const o = outcomes[i]!;
      if (i === BEFORE) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toMatchObject({ name: 'WorkerCrashedError' });
        continue;
      }
      expect(o, `task ${i}`).toEqual({ status: 'fulfilled', value: i });
      // The dead worker ran the first ones once each; its replacement counts nothing.
      expect(counts[i], `task ${i} counted ${counts[i]} times`).toBe(i < BEFORE ? 1 : 0);
    }
    const stats = ex.stats();
    expect(stats.completed).toBe(N - 1 + 1); // and setUp
    expect(stats.crashed).toBe(1);
  });
});
