// Executor and Future with real worker threads: concurrent.futures semantics end to end.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALL_COMPLETED,
  CancelledError,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  Barrier,
  Condition,
  Event,
  Lock,
  Pipe,
  Pool,
  PoolClosedError,
  Semaphore,
  SharedDict,
  Value,
  TimeoutError,
  asCompleted,
  wait,
} from 'sabsync';
import { SLEEPING } from './helpers/internals.js';
import { expectElapsed, timedAsync, waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-tasks.mjs', import.meta.url);
const open: Executor[] = [];
function executor(options: ConstructorParameters<typeof Executor>[1] = {}): Executor {
  const ex = new Executor(tasks, { maxWorkers: 2, ...options });
  open.push(ex);
  return ex;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

function gate() {
  const g = new Int32Array(new SharedArrayBuffer(4));
  return { g, open: () => (Atomics.store(g, 0, 1), Atomics.notify(g, 0)) };
}

describe('Executor.submit and Future', () => {
  it('runs sync and async exports; a Future is a PromiseLike', async () => {
    const ex = executor();
    const f = ex.submit<number>('add', 2, 3);
    expect(f).toBeInstanceOf(Future);
    expect(await f).toBe(5);
    expect(await f.result()).toBe(5);
    expect(await ex.submit('sleep', 10, 'async ok')).toBe('async ok');
    expect(await ex.submit('fib', 20)).toBe(6765);
    expect(f.done()).toBe(true);
  });

  it('a task error keeps the remote name, message, code and stack', async () => {
    const ex = executor();
    const e1 = await ex.submit('fail', 'bad value').exception();
    expect(e1).toBeInstanceOf(RangeError);
    expect(e1).toMatchObject({ name: 'RangeError', message: 'bad value' });
    expect((e1 as Error).stack).toContain('pool-tasks.mjs');
    const e2 = await ex.submit('failAsync', 'later').result().catch((e: unknown) => e);
    expect(e2).toMatchObject({ name: 'Error', message: 'later', code: 'E_TASK' });
    expect((e2 as Error).stack).toMatch(/failAsync/);
  });

  it('states: pending -> running -> finished, read from the shared state word', async () => {
    const ex = executor({ maxWorkers: 1 });
    const { g, open: release } = gate();
    const running = ex.submit('gated', g, 'first');
    const queued = ex.submit('add', 1, 1);
    await waitUntil(() => running.running(), 10_000, 'the first task to start');
    expect([running.done(), queued.running(), queued.done()]).toEqual([false, false, false]);
    release();
    expect(await running).toBe('first');
    expect(await queued).toBe(2);
    expect([running.running(), running.done()]).toEqual([false, true]);
  });

  it('cancel() wins only against a task that has not started; a cancelled task never runs', async () => {
    const ex = executor({ maxWorkers: 1 });
    const { g, open: release } = gate();
    const counts = new Int32Array(new SharedArrayBuffer(4 * 8));
    const running = ex.submit('gated', g, 'ran');
    await waitUntil(() => running.running(), 10_000, 'the first task to start');
    const pending = [0, 1, 2, 3].map((i) => ex.submit('mark', counts, i));
    expect(running.cancel()).toBe(false);
    expect(pending[1]!.cancel()).toBe(true);
    expect(pending[3]!.cancel()).toBe(true);
    expect(pending[1]!.cancelled()).toBe(true);
    await expect(pending[1]!.result()).rejects.toBeInstanceOf(CancelledError);
    release();
    expect(await running).toBe('ran');
    expect(await pending[0]).toBe(0);
    expect(await pending[2]).toBe(2);
    expect(pending[0]!.cancel()).toBe(false);
    expect([...counts.slice(0, 4)]).toEqual([1, 0, 1, 0]);
  });

  it('result(timeout) rejects with TimeoutError while the task runs on', async () => {
    const ex = executor();
    const f = ex.submit('sleep', 300, 'done');
    const [err, ms] = await timedAsync(() => f.result(60).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(TimeoutError);
    expectElapsed(ms, 60);
    await expect(f.exception(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(await f.result()).toBe('done');
  });

  it('an idle worker is not frozen: timers its task module left running keep firing between tasks', async () => {
    const ex = executor({ maxWorkers: 1 });
    const control = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
    const ticks = new Int32Array(new SharedArrayBuffer(4));
    expect(await ex.submit('startTicking', ticks, 10)).toBe(0);
    // The worker is idle, asleep until a task comes (CURRENT[0], slots.ts).
    await waitUntil(() => Atomics.load(control, 0) === SLEEPING, 10_000, 'the idle worker asleep');
    const idleFrom = Atomics.load(ticks, 0);
    await waitUntil(() => Atomics.load(ticks, 0) >= idleFrom + 5, 10_000, 'five ticks in the idle worker');
    expect(Atomics.load(control, 0)).toBe(SLEEPING);
  });

  it('done callbacks run on the owning thread exactly once, also when added after done', async () => {
    const ex = executor();
    const f = ex.submit('add', 1, 2);
    const seen: unknown[] = [];
    f.addDoneCallback((x) => seen.push(['early', x === f]));
    await f;
    f.addDoneCallback(() => seen.push('late'));
    expect(seen).toEqual([['early', true], 'late']);
  });

  it('primitives and shared memory passed to tasks arrive live: a Lock-protected counter', async () => {
    const ex = executor();
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const fs = Array.from({ length: 8 }, () => ex.submit('addLocked', counter, lock, 2000));
    await Promise.all(fs);
    expect(counter[0]).toBe(16_000);
    expect(lock.locked()).toBe(false);
  });

  it('every kind arrives live in a task module that imports nothing of sabsync', async () => {
    const ex = new Executor(new URL('./fixtures/bare-tasks.mjs', import.meta.url), { maxWorkers: 1 });
    open.push(ex);
    const args = [new Semaphore(1), new Event(), new Barrier(2), new Condition(), new Value('i', 1), new SharedDict(), Pipe()[0]];
    // A worker that cannot decode them never answers: result(ms) turns that into a TimeoutError.
    const kinds = await ex.submit<string[]>('kindsOf', ...args).result(10_000);
    expect(kinds).toEqual(args.map((a) => a.handle.type));
  });

  it('bad input: unknown export, uncloneable arguments, non-string fn', async () => {
    const ex = executor();
    await expect(ex.submit('noSuchExport', 1).result()).rejects.toThrow(/no (function )?export named 'noSuchExport'/);
    await ex.submit('add', 1, 1); // exports are known now: refused at the call
    const f = ex.submit('noSuchExport');
    expect(f.done()).toBe(true);
    await expect(f.result()).rejects.toBeInstanceOf(TypeError);
    const g = ex.submit('add', () => 1, 2);
    await expect(g.result()).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    await expect(ex.submit('returnsFunction').result()).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(() => ex.submit(42 as unknown as string)).toThrow(TypeError);
    expect(await ex.submit('add', 20, 22)).toBe(42); // still usable
  });
});

describe('Executor options and lifecycle', () => {
  it('rejects bad worker counts and missing modules at the call', () => {
    for (const maxWorkers of [0, -1, 1.5]) {
      expect(() => new Executor(tasks, { maxWorkers })).toThrow(RangeError);
      expect(() => new Executor(tasks, { maxWorkers })).toThrow(/maxWorkers/);
    }
    expect(() => new Executor(tasks, { maxWorkers: '2' as unknown as number })).toThrow(TypeError);
    expect(() => new Executor(tasks, { maxTasksPerChild: 0 })).toThrow(/maxTasksPerChild/);
    // An option it does not know (a Pool's `workers`, a misspelling) is refused, not ignored.
    expect(() => new Executor(tasks, { workers: 3 } as never)).toThrow(/no option 'workers'.*options\.maxWorkers/);
    expect(() => new Pool(tasks, { maxWorkers: 3 } as never)).toThrow(/no option 'maxWorkers'.*options\.workers/);
    expect(() => new Executor(tasks, { idleTimeOut: 5 } as never)).toThrow(TypeError);
    // minWorkers may be 0 (the Executor's default), never above the worker count.
    expect(() => new Executor(tasks, { maxWorkers: 2, minWorkers: -1 })).toThrow(/from 0 to 2/);
    expect(() => new Executor(tasks, { maxWorkers: 2, minWorkers: 3 })).toThrow(/from 0 to 2/);
    expect(() => new Executor(new URL('./fixtures/pool-missing.mjs', import.meta.url))).toThrow(
      expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
    );
    expect(() => new Executor(tasks, { initializer: 'init', initArgs: [() => 1] })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }),
    );
  });

  it('initializer runs in every worker with initArgs', async () => {
    const ex = executor({ initializer: 'init', initArgs: ['hello'] });
    // Two calls that wait for each other run on both workers at once.
    const arrived = new Int32Array(new SharedArrayBuffer(4));
    const rs = await Promise.all([0, 1].map(() => ex.submit<[number, unknown]>('meetInit', arrived, 2)));
    expect(new Set(rs.map(([thread]) => thread)).size).toBe(2);
    expect(rs.map(([, init]) => init)).toEqual(['hello', 'hello']);
  });

  it('initArgs of any size reach every worker (4 workers × a 1.5 MiB string: more than the default 1 MiB queue)', async () => {
    const big = 'x'.repeat(1.5 * 2 ** 20);
    const ex = executor({ maxWorkers: 4, initializer: 'init', initArgs: [big] });
    const arrived = new Int32Array(new SharedArrayBuffer(4));
    const rs = await Promise.all([0, 1, 2, 3].map(() => ex.submit<[number, number]>('meetInit', arrived, 4, true)));
    expect(new Set(rs.map(([thread]) => thread)).size).toBe(4);
    expect(rs.map(([, length]) => length)).toEqual([big.length, big.length, big.length, big.length]);
  });

  it('shutdown() waits for every task; submit afterwards throws PoolClosedError', async () => {
    const ex = executor();
    const fs = [ex.submit('sleep', 50, 'a'), ex.submit('sleep', 50, 'b'), ex.submit('add', 1, 1)];
    await ex.shutdown();
    expect(fs.every((f) => f.done())).toBe(true);
    expect(await Promise.all(fs)).toEqual(['a', 'b', 2]);
    expect(() => ex.submit('add', 1, 1)).toThrow(PoolClosedError);
    expect(() => ex.map('inc', [1])).toThrow(PoolClosedError);
    await ex.shutdown(); // again: fine
  });

  it('shutdown({ cancelFutures: true }) cancels what has not started and finishes what runs', async () => {
    const ex = executor({ maxWorkers: 1 });
    const { g, open: release } = gate();
    const running = ex.submit('gated', g, 'kept');
    await waitUntil(() => running.running(), 10_000, 'the first task to start');
    const queued = Array.from({ length: 5 }, (_, i) => ex.submit('add', i, 0));
    const done = ex.shutdown({ cancelFutures: true });
    expect(queued.every((f) => f.cancelled())).toBe(true);
    release();
    await done;
    expect(await running).toBe('kept');
  });

  it('shutdown({ wait: false }) returns at once; the tasks still complete', async () => {
    const ex = executor();
    const f = ex.submit('sleep', 80, 'finished anyway');
    const [, ms] = await timedAsync(() => ex.shutdown({ wait: false }));
    expect(ms).toBeLessThan(80);
    expect(await f).toBe('finished anyway');
  });

  it('await using shuts down with wait on scope exit', async () => {
    let f: Future<unknown>;
    {
      await using ex = new Executor(tasks, { maxWorkers: 1 });
      f = ex.submit('sleep', 30, 'scoped');
    }
    expect(f.done()).toBe(true);
    expect(await f).toBe('scoped');
  });
});

describe('Executor.map, asCompleted, wait with workers', () => {
  it('map yields results in input order, with chunks, reading the input lazily', async () => {
    const ex = executor();
    const out: number[] = [];
    for await (const x of ex.map<number>('square', [5, 4, 3, 2, 1])) out.push(x);
    expect(out).toEqual([25, 16, 9, 4, 1]);
    let read = 0;
    function* endless() {
      for (let i = 0; ; i++) {
        read++;
        yield i;
      }
    }
    const got: number[] = [];
    for await (const x of ex.map<number>('inc', endless(), { chunksize: 7 })) {
      got.push(x);
      if (got.length === 3000) break;
    }
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(read).toBeLessThan(3000 + 600 * 7); // bounded read-ahead, not the whole input
  });

  it('map with timeout throws TimeoutError once the deadline (from the call) passes', async () => {
    const ex = executor({ maxWorkers: 1 });
    await ex.submit('add', 0, 0); // the worker is up
    const t0 = performance.now();
    const it = ex.map<number>('sleep', [10, 400, 10, 10], { timeout: 150 });
    expect((await it.next()).value).toBe(10);
    const err = await it.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expectElapsed(performance.now() - t0, 150);
  });

  it('map rethrows a task error at its position', async () => {
    const ex = executor();
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const x of ex.map('fail', ['first'])) seen.push(x);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RangeError', message: 'first' });
  });

  it('asCompleted yields futures as they finish, and times out', async () => {
    const ex = executor();
    const slow = ex.submit('sleep', 150, 'slow');
    const fast = ex.submit('sleep', 10, 'fast');
    const order: unknown[] = [];
    // The cast: as in future.test.ts, until asCompleted's declared type fits `for await`.
    for await (const f of asCompleted([slow, fast])) order.push(await (f as Future<string>).result());
    expect(order).toEqual(['fast', 'slow']);
    const never = ex.submit('sleep', 300, 'x');
    const t0 = performance.now();
    const err = await (async () => {
      for await (const _ of asCompleted([never], 80)) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expectElapsed(performance.now() - t0, 80);
  });

  it('wait: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED', async () => {
    const ex = executor();
    const a = ex.submit('sleep', 20, 'a');
    const b = ex.submit('sleep', 300, 'b');
    const first = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    expect([...first.done]).toEqual([a]);
    expect([...first.notDone]).toEqual([b]);
    const bad = ex.submit('failAsync', 'x');
    const c = ex.submit('sleep', 300, 'c');
    const fe = await wait([bad, c], { returnWhen: FIRST_EXCEPTION });
    expect(fe.done.has(bad)).toBe(true);
    expect(fe.notDone.has(c)).toBe(true);
    const t = await wait([c], { timeout: 30 });
    expect(t.notDone.has(c)).toBe(true);
    const all = await wait([a, b], { returnWhen: ALL_COMPLETED });
    expect(all.done.size).toBe(2);
  });
});
