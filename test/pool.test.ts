// Pool (multiprocessing.Pool) with real worker threads: every method of the facade.
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncResult, CancelledError, Lock, Pool, PoolClosedError, TimeoutError } from 'sabsync';
import { expectElapsed, timedAsync, waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-tasks.mjs', import.meta.url);
const open: Pool[] = [];
function pool(options: ConstructorParameters<typeof Pool>[1] = {}): Pool {
  const p = new Pool(tasks, { workers: 2, ...options });
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.terminate()));
});

describe('Pool.apply / applyAsync', () => {
  it('apply resolves with the result; args default to none', async () => {
    const p = pool();
    expect(await p.apply('add', [40, 2])).toBe(42);
    expect(await p.apply('getInit')).toBeUndefined();
    await expect(p.apply('fail', ['nope'])).rejects.toMatchObject({ name: 'RangeError', message: 'nope' });
    await expect(p.apply('add', 1 as unknown as unknown[])).rejects.toBeInstanceOf(TypeError);
  });

  it('applyAsync: get, wait, ready, successful, callbacks on the owning thread', async () => {
    const p = pool();
    const seen: unknown[] = [];
    const r = p.applyAsync('sleep', [40, 'v'], { callback: (v) => seen.push(['ok', v]), errorCallback: (e) => seen.push(e) });
    expect(r).toBeInstanceOf(AsyncResult);
    expect(r.ready()).toBe(false);
    expect(() => r.successful()).toThrow(expect.objectContaining({ code: 'ERR_NOT_READY' }));
    const [err, ms] = await timedAsync(() => r.get(5).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(TimeoutError);
    expectElapsed(ms, 5);
    await r.wait();
    expect(r.ready()).toBe(true);
    expect(r.successful()).toBe(true);
    expect(await r.get()).toBe('v');
    expect(seen).toEqual([['ok', 'v']]);
    const bad = p.applyAsync('fail', ['x'], { callback: () => seen.push('wrong'), errorCallback: (e) => seen.push((e as Error).message) });
    await expect(bad.get()).rejects.toMatchObject({ message: 'x' });
    expect(bad.successful()).toBe(false);
    expect(seen).toEqual([['ok', 'v'], 'x']);
  });

  it('AsyncResult.wait(timeout) resolves without error when not ready', async () => {
    const p = pool();
    const r = p.applyAsync('sleep', [300]);
    const [, ms] = await timedAsync(() => r.wait(50));
    expectElapsed(ms, 50);
    expect(r.ready()).toBe(false);
  });
});

describe('Pool map family', () => {
  it('map and starmap keep order, with and without chunksize, from sync and async iterables', async () => {
    const p = pool();
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(await p.map('square', xs)).toEqual(xs.map((x) => x * x));
    expect(await p.map('square', xs, 7)).toEqual(xs.map((x) => x * x));
    expect(await p.map('square', [])).toEqual([]);
    async function* gen() {
      for (let i = 0; i < 10; i++) yield i;
    }
    expect(await p.map('inc', gen(), 3)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await p.starmap('add', [[1, 2], [3, 4], [5, 6]])).toEqual([3, 7, 11]);
    await expect(p.starmap('add', [1, 2] as unknown as unknown[][])).rejects.toBeInstanceOf(TypeError);
    await expect(p.map('square', xs, 0)).rejects.toBeInstanceOf(RangeError);
    await expect(p.map('square', 5 as unknown as number[])).rejects.toBeInstanceOf(TypeError);
  });

  it('mapAsync and starmapAsync return AsyncResults with callbacks', async () => {
    const p = pool();
    const seen: unknown[] = [];
    const r = p.mapAsync<number>('square', [1, 2, 3], undefined, { callback: (v) => seen.push(v) });
    expect(await r.get()).toEqual([1, 4, 9]);
    expect(seen).toEqual([[1, 4, 9]]);
    const s = p.starmapAsync('add', [[1, 1], [2, 2]], 1);
    expect(await s.get()).toEqual([2, 4]);
    expect(s.successful()).toBe(true);
    const bad = p.mapAsync('fail', ['m'], 1, { errorCallback: (e) => seen.push((e as Error).message) });
    await expect(bad.get()).rejects.toMatchObject({ message: 'm' });
    expect(seen).toEqual([[1, 4, 9], 'm']);
  });

  it('imap yields in order and imapUnordered as they finish; both read the input lazily', async () => {
    const p = pool();
    const ordered: number[] = [];
    for await (const x of p.imap<number>('sleep', [80, 10, 30])) ordered.push(x);
    expect(ordered).toEqual([80, 10, 30]);
    const unordered: number[] = [];
    for await (const x of p.imapUnordered<number>('sleep', [150, 10, 60])) unordered.push(x);
    expect(unordered).toEqual([10, 60, 150]);
    let read = 0;
    const counting = {
      *[Symbol.iterator]() {
        for (let i = 0; i < 1_000_000; i++) {
          read++;
          yield i;
        }
      },
    };
    let n = 0;
    for await (const x of p.imapUnordered<number>('inc', counting, 4)) {
      expect(x).toBeGreaterThan(0);
      if (++n === 500) break;
    }
    expect(read).toBeLessThan(10_000);
  });

  it('an error ends imap at its position', async () => {
    const p = pool();
    const out: unknown[] = [];
    const err = await (async () => {
      for await (const x of p.imap('sleep', [1, 2])) out.push(x);
      for await (const x of p.imap('fail', ['in imap'])) out.push(x);
    })().catch((e: unknown) => e);
    expect(out).toEqual([1, 2]);
    expect(err).toMatchObject({ message: 'in imap' });
  });
});

describe('Pool lifecycle', () => {
  it('close + join: waits for every task, then PoolClosedError', async () => {
    const p = pool();
    const r = p.applyAsync('sleep', [50, 'x']);
    await expect(p.join()).rejects.toMatchObject({ code: 'ERR_POOL_RUNNING' });
    p.close();
    await p.join();
    expect(r.ready()).toBe(true);
    expect(await r.get()).toBe('x');
    await expect(p.apply('add', [1, 1])).rejects.toBeInstanceOf(PoolClosedError);
    expect(() => p.applyAsync('add', [1, 1])).toThrow(PoolClosedError);
    await expect(p.map('inc', [1])).rejects.toBeInstanceOf(PoolClosedError);
    expect(() => p.imap('inc', [1])).toThrow(PoolClosedError);
  });

  it('terminate: running tasks fail with PoolClosedError, queued ones are cancelled', async () => {
    const p = pool({ workers: 1 });
    const g = new Int32Array(new SharedArrayBuffer(4));
    const started = new Int32Array(new SharedArrayBuffer(4));
    const running = p.applyAsync('startThenGate', [started, g, 'never']);
    const queued = p.applyAsync('add', [1, 2]);
    await waitUntil(() => Atomics.load(started, 0) === 1, 10_000, 'the task to start');
    await p.terminate();
    await expect(running.get()).rejects.toBeInstanceOf(PoolClosedError);
    await expect(queued.get()).rejects.toBeInstanceOf(CancelledError);
    await p.join();
  });

  it('await using terminates on scope exit', async () => {
    let r: AsyncResult<unknown>;
    {
      await using p = new Pool(tasks, { workers: 1 });
      expect(await p.apply('add', [1, 1])).toBe(2);
      r = p.applyAsync('sleep', [5000]);
    }
    await expect(r.get()).rejects.toBeDefined();
  });

  it('initializer and initArgs (a live Lock) run in every worker', async () => {
    const lock = new Lock();
    const p = pool({ initializer: 'init', initArgs: [lock] });
    // Two calls that wait for each other run on both workers at once.
    const arrived = new Int32Array(new SharedArrayBuffer(4));
    const answers = await Promise.all([0, 1].map(() => p.apply<[number, Lock]>('meetInit', [arrived, 2])));
    expect(new Set(answers.map(([thread]) => thread)).size).toBe(2);
    for (const [, l] of answers) expect(l).toBeInstanceOf(Lock);
    lock.acquire();
    const viaWorker = await p.apply('getInit');
    expect((viaWorker as Lock).locked()).toBe(true);
  });

  it('the initializer also runs in recycled and replacement workers', async () => {
    const p = pool({ initializer: 'init', initArgs: ['ready'], maxTasksPerChild: 3 });
    // 20 tasks, at most 3 per worker: at least 7 workers, each initialised.
    const seen = await p.starmap<[number, unknown]>('whoInit', Array.from({ length: 20 }, () => []), 1);
    expect(seen.map(([, init]) => init)).toEqual(Array(20).fill('ready'));
    const perThread = new Map<number, number>();
    for (const [thread] of seen) perThread.set(thread, (perThread.get(thread) ?? 0) + 1);
    expect(perThread.size).toBeGreaterThanOrEqual(7);
    expect(Math.max(...perThread.values())).toBeLessThanOrEqual(3);
    const before = new Set(seen.map(([thread]) => thread));
    await expect(p.apply('exitNow', [1])).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    const after = await p.map<[number, unknown]>('whoInit', [1, 2, 3, 4], 1);
    expect(after.map(([, init]) => init)).toEqual(Array(4).fill('ready'));
    expect(after.some(([thread]) => !before.has(thread))).toBe(true);
  });

  it('bad input at the call: worker counts, missing module, unknown function', async () => {
    for (const workers of [0, -2, 2.5]) expect(() => new Pool(tasks, { workers })).toThrow(/options\.workers/);
    expect(() => new Pool('/no/such/module.mjs')).toThrow(expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }));
    expect(() => new Pool(42 as unknown as string)).toThrow(TypeError);
    expect(() => new Pool(tasks, { initializer: 5 as unknown as string })).toThrow(TypeError);
    const p = pool();
    await expect(p.apply('missing')).rejects.toThrow(/no (function )?export named 'missing'/);
    await expect(p.map('missing', [1, 2])).rejects.toBeInstanceOf(TypeError);
    await expect(p.apply('add', [Symbol('x'), 1])).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(await p.apply('add', [1, 1])).toBe(2);
  });
});
