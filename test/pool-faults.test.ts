// Faults: workers that die in every way a worker can, at any instant. The pool must fail only
// the task a dead worker was running, replace the worker, lose no task and run none twice.
import { describe, expect, it } from 'vitest';
import { Executor, Future, Pool, Queue, WorkerCrashedError } from 'sabsync';
import { SLEEPING } from './helpers/internals.js';
import { killWhile, onceOrCrashed, settledWithin, workersOf } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-tasks.mjs', import.meta.url);


describe('a worker that dies fails only its task', () => {
  it('process.exit(1) inside a task', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const before = Array.from({ length: 20 }, (_, i) => ex.submit('sleep', 5, i));
    const dying = ex.submit('exitNow', 1);
    const after = Array.from({ length: 20 }, (_, i) => ex.submit('add', i, 1));
    await settledWithin([...before, dying, ...after], 15_000);
    const err = await dying.exception();
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect((err as Error).message).toMatch(/exitNow.*exit code 1/);
    expect(await Promise.all(before)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await Promise.all(after)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await ex.submit('add', 2, 2)).toBe(4); // replaced
    expect(workersOf(ex)).toHaveLength(2);
  });

  it('an error thrown from a timer (uncaught in the worker, outside the task)', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const dying = ex.submit('throwLater', 5);
    const others = Array.from({ length: 10 }, (_, i) => ex.submit('sleep', 20, i));
    await settledWithin([dying, ...others], 15_000);
    const err = (await dying.exception()) as WorkerCrashedError;
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.message).toMatch(/thrown from a timer/);
    expect((err.cause as Error).message).toBe('thrown from a timer');
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('out of memory under small resourceLimits', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
    const hog = ex.submit('hog');
    const others = Array.from({ length: 10 }, (_, i) => ex.submit('sleep', 10, i));
    await settledWithin([hog, ...others], 18_000);
    const err = (await hog.exception()) as WorkerCrashedError;
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.cause).toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await ex.submit('add', 1, 1)).toBe(2);
  });

  it('an initializer that throws fails every task with a clear error, no hang', async () => {
    const p = new Pool(tasks, { workers: 2, initializer: 'initBad' });
    const results = Array.from({ length: 5 }, (_, i) => p.apply('add', [i, 1]).catch((e: unknown) => e));
    let hang: NodeJS.Timeout | undefined;
    const errors = await Promise.race([Promise.all(results), new Promise((r) => (hang = setTimeout(() => r('hang'), 15_000)))]);
    clearTimeout(hang);
    expect(errors).not.toBe('hang');
    for (const e of errors as Error[]) {
      expect(e).toBeInstanceOf(WorkerCrashedError);
      expect(e.message).toMatch(/initializer failed on purpose/);
    }
    await expect(p.apply('add', [1, 1])).rejects.toBeInstanceOf(WorkerCrashedError);
    await p.terminate();
    expect(() => new Pool(tasks, { workers: 1, initializer: 'noSuchInit' })).not.toThrow();
  });
});

describe('a worker killed while it holds a batch of tasks', () => {
  it('fails only the task it claimed; the unclaimed rest of its batch runs elsewhere, once', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    const channel = await ex.submit<Parameters<typeof Queue.from>[0]>('taskChannel');
    const gate0 = new Int32Array(new SharedArrayBuffer(4));
    const gate1 = new Int32Array(new SharedArrayBuffer(4));
    const started0 = new Int32Array(new SharedArrayBuffer(4));
    const started = new Int32Array(new SharedArrayBuffer(4));
    // The worker is held in `first` while the owner packs the tasks submitted next into
    // batches (the first task of a burst goes alone: `lead`), so the worker then takes a batch
    // that starts with `victim` and goes on with unclaimed tasks.
    const first = ex.submit('startThenGate', started0, gate0, 'first');
    await waitUntil(() => Atomics.load(started0, 0) === 1, 10_000, 'the worker to run `first`');
    const N = 63;
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const lead = ex.submit('add', 1, 1);
    const victim = ex.submit('startThenGate', started, gate1, 'victim');
    const rest = Array.from({ length: N }, (_, i) => ex.submit<number>('mark', counts, i));
    // `lead`, then the batch that starts with `victim`, are on the channel.
    const queued = Queue.from(channel);
    await waitUntil(() => queued.qsize() >= 2, 10_000, 'the batch of `victim` on the channel');
    Atomics.store(gate0, 0, 1);
    expect(await first).toBe('first');
    expect(await lead).toBe(2);
    await waitUntil(() => Atomics.load(started, 0) === 1, 10_000, 'the worker to run `victim`');
    expect(counts.every((c) => c === 0)).toBe(true); // the rest waits behind the victim
    await workersOf(ex)[0]!.terminate();
    await settledWithin([victim, ...rest], 15_000);
    expect(await victim.exception()).toBeInstanceOf(WorkerCrashedError);
    expect(await Promise.all(rest)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(Array.from(counts)).toEqual(new Array(N).fill(1));
  }, 20_000);
});

describe('exactly once under recycling and random kills', () => {
  it('10,000 tiny tasks, workers recycled every 100 tasks: every result exactly once', async () => {
    const N = 10_000;
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    await using p = new Pool(tasks, { workers: 2, maxTasksPerChild: 100 });
    const results = await p.starmap<number>('mark', Array.from({ length: N }, (_, i) => [counts, i]), 1);
    expect(results).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(counts.every((c) => c === 1)).toBe(true);
  }, 40_000);

  it('workers terminated at random instants while 2 producers keep the channel busy', async () => {
    const ROUNDS = Number(process.env.POOL_KILL_ROUNDS ?? 6);
    const PER_PRODUCER = 400;
    for (let round = 0; round < ROUNDS; round++) {
      const total = 2 * PER_PRODUCER;
      const counts = new Int32Array(new SharedArrayBuffer(4 * total));
      const ex = new Executor(tasks, { maxWorkers: 2 });
      const futures = new Array<Future<number>>(total);
      let producing = 2;
      const producer = async (base: number) => {
        for (let i = 0; i < PER_PRODUCER; i++) {
          futures[base + i] = ex.submit<number>('mark', counts, base + i, i % 50 === 0 ? 2 : 0);
          if (i % 20 === 0) await new Promise((r) => setImmediate(r));
        }
        producing--;
      };
      const [, , kills] = await Promise.all([producer(0), producer(PER_PRODUCER), killWhile(ex, () => producing > 0, 15)]);
      expect(kills).toBeGreaterThan(0);
      await settledWithin(futures, 15_000);
      const crashed = await onceOrCrashed(futures, counts, (i) => i);
      expect(crashed).toBeLessThanOrEqual(kills);
      // Kill a worker while it sleeps, idle; let its replacement start and sleep too; then put
      // one task. The task's wake-up must reach a living worker, not the dead one.
      const control = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
      const asleep = () => Atomics.load(control, 0) === SLEEPING && Atomics.load(control, 1) === SLEEPING;
      await waitUntil(asleep, 10_000, 'both workers asleep');
      const [victim] = round % 2 === 0 ? workersOf(ex) : [...workersOf(ex)].reverse();
      await victim!.terminate();
      await waitUntil(() => workersOf(ex).length === 2 && !workersOf(ex).includes(victim!) && asleep(), 10_000, 'a replacement worker asleep');
      const one = ex.submit<number>('add', round, 2);
      await settledWithin([one], 5_000);
      expect(await one).toBe(round + 2);
      await ex.shutdown();
    }
  }, 60_000);

  it('sequential round trips settle while workers are killed at random instants', async () => {
    const ex = new Executor(tasks, { maxWorkers: 2, minWorkers: 2 });
    try {
      const stopAt = performance.now() + 3_000;
      let kills = 0;
      const killer = (async () => {
        while (performance.now() < stopAt) {
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          const ws = workersOf(ex);
          if (ws.length > 0) {
            void ws[Math.floor(Math.random() * ws.length)]!.terminate();
            kills++;
          }
        }
      })();
      let ok = 0;
      while (performance.now() < stopAt) {
        try {
          expect(await ex.submit<number>('add', ok, 1).result(5_000)).toBe(ok + 1);
          ok++;
        } catch (error) {
          expect(error).toBeInstanceOf(WorkerCrashedError);
        }
      }
      await killer;
      expect(kills).toBeGreaterThan(3);
      expect(ok).toBeGreaterThan(0);
      // After the storm: both workers again, and round trips at once.
      await waitUntil(() => workersOf(ex).length === 2, 10_000, 'both workers replaced');
      for (let i = 0; i < 500; i++) expect(await ex.submit<number>('add', i, 1).result(5_000)).toBe(i + 1);
    } finally {
      await ex.shutdown({ cancelFutures: true });
    }
  }, 30_000);
});
