// What pool users ask for, with real worker threads: per-task options and their bad inputs,
// cooperative abort (before start, while running — sync and async tasks —, after finish),
// run-time timeouts (a task that cooperates, one that spins forever), progress, stats(), and
// workers started on demand and retired when idle.
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, CancelledError, Executor, Pool, TimeoutError, WorkerCrashedError, type Future, type PoolStats } from 'sabsync';
import { workersOf } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-control.mjs', import.meta.url);
const open: (Executor | Pool)[] = [];
function executor(options: ConstructorParameters<typeof Executor>[1] = {}): Executor {
  const ex = new Executor(tasks, { maxWorkers: 2, ...options });
  open.push(ex);
  return ex;
}
function pool(options: ConstructorParameters<typeof Pool>[1] = {}): Pool {
  const p = new Pool(tasks, { workers: 2, ...options });
  open.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => (x instanceof Pool ? x.terminate() : x.shutdown({ cancelFutures: true }))));
});

/** A shared word a task raises when it starts, and a wait for it. */
function started() {
  const word = new Int32Array(new SharedArrayBuffer(4));
  return { word, running: (n = 1) => waitUntil(() => Atomics.load(word, 0) >= n, 10_000, 'the task to start') };
}

function gate() {
  const g = new Int32Array(new SharedArrayBuffer(4));
  return { g, open: () => (Atomics.store(g, 0, 1), Atomics.notify(g, 0)) };
}

const none: Omit<PoolStats, 'workers' | 'utilization' | 'runTime' | 'waitTime'> = { busy: 0, queued: 0, completed: 0, failed: 0, cancelled: 0, crashed: 0 };

describe('per-task options: bad inputs throw and submit nothing', () => {
  it('Executor.run', async () => {
    const ex = executor();
    const bad: [unknown, unknown, RegExp, typeof TypeError][] = [
      [1, undefined, /args must be an array/, TypeError],
      [[], 1, /options must be an object/, TypeError],
      [[], null, /options must be an object/, TypeError],
      [[], { signal: {} }, /options.signal must be an AbortSignal/, TypeError],
      [[], { timeout: '5' }, /options.timeout must be a number/, TypeError],
      [[], { timeout: 0 }, /options.timeout must be > 0/, RangeError],
      [[], { timeout: -1 }, /options.timeout must be > 0/, RangeError],
      [[], { timeout: NaN }, /options.timeout must be > 0/, RangeError],
    ];
    for (const [args, options, message, type] of bad) {
      const call = () => ex.run('add', args as unknown[], options as never);
      expect(call).toThrow(type);
      expect(call).toThrow(message);
      expect(() => call()).toThrow(expect.objectContaining({ code: type === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE' }));
    }
    expect(ex.stats()).toMatchObject({ ...none, workers: 0 }); // nothing submitted, no worker started
    expect(await ex.run('add', [1, 2])).toBe(3);
    expect(await ex.run('add', [1, 2], {})).toBe(3);
    expect(await ex.run('add', [1, 2], { timeout: Infinity, signal: new AbortController().signal })).toBe(3);
  });

  it('Pool.apply rejects, Pool.applyAsync throws', async () => {
    const p = pool();
    await expect(p.apply('add', [1, 2], { timeout: -5 })).rejects.toThrow(RangeError);
    await expect(p.apply('add', [1, 2], { signal: 'x' as unknown as AbortSignal })).rejects.toThrow(TypeError);
    expect(() => p.applyAsync('add', [1, 2], { timeout: 'x' as unknown as number })).toThrow(TypeError);
    expect(() => p.applyAsync('add', [1, 2], { timeout: 0 })).toThrow(RangeError);
    expect(() => p.applyAsync('add', [1, 2], { callback: 1 as unknown as () => void })).toThrow(/callback must be a function/);
    expect(() => p.applyAsync('add', [1, 2], 5 as never)).toThrow(/options must be an object/);
    expect(p.stats()).toMatchObject(none);
    expect(await p.apply('add', [2, 3], { timeout: 5_000 })).toBe(5);
    expect(await p.applyAsync('add', [2, 3], { timeout: 5_000, signal: new AbortController().signal }).get()).toBe(5);
  });

  it('constructor options minWorkers and idleTimeout', () => {
    for (const minWorkers of [-1, 1.5, 3]) {
      expect(() => new Executor(tasks, { maxWorkers: 2, minWorkers })).toThrow(RangeError);
      expect(() => new Executor(tasks, { maxWorkers: 2, minWorkers })).toThrow(/minWorkers/);
      expect(() => new Pool(tasks, { workers: 2, minWorkers })).toThrow(/Pool options.minWorkers/);
    }
    expect(() => new Executor(tasks, { minWorkers: '1' as unknown as number })).toThrow(TypeError);
    for (const idleTimeout of [-1, NaN]) expect(() => new Executor(tasks, { idleTimeout })).toThrow(/options.idleTimeout must be >= 0/);
    expect(() => new Pool(tasks, { idleTimeout: '1' as unknown as number })).toThrow(TypeError);
    expect(() => workersOf(new Pool(tasks, { workers: 1, minWorkers: 0, idleTimeout: Infinity }))).not.toThrow();
  });

  it('Future.onProgress(cb) needs a function', () => {
    const ex = executor();
    const f = ex.submit('add', 1, 2);
    expect(() => f.onProgress(1 as unknown as () => void)).toThrow(TypeError);
  });
});

describe('currentTask()', () => {
  it('in a task: its id, signal and aborted; outside a task: undefined', async () => {
    const ex = executor();
    const a = await ex.submit<{ id: number; aborted: boolean }>('whoAmI');
    const b = await ex.submit<{ id: number }>('whoAmI');
    expect(a).toMatchObject({ aborted: false, signal: true, signalAborted: false });
    expect(typeof a.id).toBe('number');
    expect(b.id).not.toBe(a.id);
    expect(await ex.submit('outside')).toBe(true);
  });
});

describe('abort', () => {
  it('a task not started is cancelled as by cancel(): it never runs', async () => {
    const ex = executor({ maxWorkers: 1 });
    const s = started();
    const { g, open: release } = gate();
    const counts = new Int32Array(new SharedArrayBuffer(8));
    const first = ex.submit('gated', s.word, g, 'first');
    await s.running();
    const byAbort = ex.submit('mark', counts, 0);
    const controller = new AbortController();
    const bySignal = ex.run('mark', [counts, 1], { signal: controller.signal });
    byAbort.abort(new Error('not this one'));
    controller.abort();
    for (const f of [byAbort, bySignal]) {
      expect(f.cancelled()).toBe(true);
      await expect(f.result()).rejects.toBeInstanceOf(CancelledError);
    }
    release();
    expect(await first).toBe('first');
    expect(await ex.submit('add', 1, 1)).toBe(2);
    expect(Array.from(counts)).toEqual([0, 0]);
  });

  it('an already aborted signal: cancelled at once, nothing runs', async () => {
    const ex = executor();
    const counts = new Int32Array(new SharedArrayBuffer(4));
    const f = ex.run('mark', [counts, 0], { signal: AbortSignal.abort() });
    expect(f.cancelled()).toBe(true);
    expect(ex.stats()).toMatchObject({ queued: 0, cancelled: 1 });
    expect(await ex.submit('add', 1, 1)).toBe(2);
    expect(counts[0]).toBe(0);
    expect(ex.stats()).toMatchObject({ queued: 0, cancelled: 1, completed: 1 });
  });

  it('a running synchronous loop sees `aborted` through shared memory; the future rejects with AbortError', async () => {
    const ex = executor();
    const s = started();
    const f = ex.submit('spinUntilAborted', s.word);
    await s.running();
    expect(f.running()).toBe(true);
    f.abort();
    const e = await f.exception();
    expect(e).toBeInstanceOf(AbortError);
    expect(e).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' });
    expect(f.cancelled()).toBe(false);
    expect(await ex.submit('add', 2, 2)).toBe(4); // the worker goes on
  });

  it("a running async task's signal fires with the caller's reason; the future rejects with it", async () => {
    const ex = executor();
    const s = started();
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    const f = ex.run('waitForSignal', [s.word], { signal: controller.signal });
    await s.running();
    controller.abort(reason);
    expect(await f.exception()).toBe(reason);
  });

  it('inside the task the reason is an AbortError (ERR_ABORTED), or a TimeoutError for a timeout', async () => {
    const ex = executor();
    const s = started();
    const f = ex.submit('reasonSeen', s.word);
    await s.running();
    f.abort('any reason');
    await expect(f.result()).rejects.toBe('any reason');
    // The task's own view: ask a second task to return what it saw, then time it out.
    const seen = await ex.run('reasonSeen', [], { timeout: 50 }).exception();
    expect(seen).toBeInstanceOf(TimeoutError);
  });

  it('a task that returns anyway after an abort still rejects with the reason', async () => {
    const ex = executor();
    const s = started();
    const f = ex.submit('spinThenReturn', s.word);
    await s.running();
    f.abort();
    expect(await f.exception()).toBeInstanceOf(AbortError);
  });

  it('other tasks are untouched: a running neighbour finishes, queued tasks run', async () => {
    const ex = executor({ maxWorkers: 2 });
    const s = started();
    const victim = ex.submit('spinUntilAborted', s.word);
    await s.running();
    const neighbour = ex.submit('nap', 100, 'neighbour');
    const queued = Array.from({ length: 10 }, (_, i) => ex.submit('add', i, 1));
    victim.abort();
    expect(await victim.exception()).toBeInstanceOf(AbortError);
    expect(await neighbour).toBe('neighbour');
    expect(await Promise.all(queued)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('after the task finished: abort does nothing', async () => {
    const ex = executor();
    const controller = new AbortController();
    const f = ex.run('add', [1, 2], { signal: controller.signal });
    expect(await f).toBe(3);
    f.abort();
    controller.abort();
    expect(f.cancelled()).toBe(false);
    expect(await f.result()).toBe(3);
  });
});

describe('timeout', () => {
  it('a task that reads its signal stops with TimeoutError; its worker stays', async () => {
    const ex = executor({ maxWorkers: 1 });
    expect(await ex.submit('add', 0, 0)).toBe(0);
    const [worker] = workersOf(ex);
    const t0 = performance.now();
    const e = await ex.run('spinUntilAborted', [], { timeout: 100 }).exception();
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toMatchObject({ code: 'ERR_TIMEOUT' });
    expect((e as Error).message).toMatch(/task 'spinUntilAborted' ran longer than its timeout of 100 ms/);
    expect(performance.now() - t0).toBeLessThan(1_000 + 5_000); // not the grace period's kill
    expect(workersOf(ex)).toEqual([worker]);
    expect(ex.stats()).toMatchObject({ failed: 1, crashed: 0 });
  });

  it('a task that spins forever: its worker is terminated after 1 s and replaced; the future rejects with TimeoutError', async () => {
    const ex = executor({ maxWorkers: 1 });
    const s = started();
    const t0 = performance.now();
    const f = ex.run('spinForever', [s.word], { timeout: 100 });
    await s.running();
    const [worker] = workersOf(ex);
    const e = await f.exception();
    const elapsed = performance.now() - t0;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(1_100 - 20);
    expect(elapsed).toBeLessThan(15_000);
    expect(await ex.submit('add', 1, 2)).toBe(3); // a replacement runs the next task
    expect(workersOf(ex)).not.toContain(worker);
    expect(ex.stats()).toMatchObject({ failed: 1, crashed: 0, completed: 1 });
  });

  it('time spent queued does not count', async () => {
    const ex = executor({ maxWorkers: 1 });
    const first = ex.submit('nap', 400, 'first');
    const second = ex.run('nap', [20, 'second'], { timeout: 300 });
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  it('Pool.apply and applyAsync take the same options', async () => {
    const p = pool({ workers: 1 });
    await expect(p.apply('spinUntilAborted', [], { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const s = started();
    const r = p.applyAsync('spinUntilAborted', [s.word], { signal: controller.signal });
    await s.running();
    controller.abort();
    await expect(r.get()).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('progress', () => {
  it('a tight loop: the latest value wins, values come in order, the last one before the result', async () => {
    const ex = executor();
    const seen: number[] = [];
    const f = ex.submit('countTo', 200_000);
    f.onProgress((v) => seen.push(v as number));
    let resultAfter = -1;
    f.addDoneCallback(() => (resultAfter = seen.length));
    expect(await f).toBe(200_000);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(200_000); // skipped while the owner was behind
    expect(seen.at(-1)).toBe(200_000);
    expect(resultAfter).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  });

  it('from 4 tasks at once on 4 workers: each future gets its own values', async () => {
    const ex = executor({ maxWorkers: 4 });
    const seen = new Map<number, number[]>();
    const futures = [0, 1, 2, 3].map((task) => {
      seen.set(task, []);
      return ex.submit('steps', task, 20, 2).onProgress((v) => {
        const { task: t, step } = v as { task: number; step: number };
        expect(t).toBe(task);
        seen.get(task)!.push(step);
      });
    });
    expect(await Promise.all(futures)).toEqual([0, 1, 2, 3]);
    for (const steps of seen.values()) {
      expect(steps.at(-1)).toBe(20);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThan(steps[i - 1]!);
    }
  });

  it('a value that cannot cross makes progress() throw in the task', async () => {
    const ex = executor();
    expect(await ex.submit('badProgress')).toBe('ERR_UNSERIALIZABLE');
  });
});

describe('stats()', () => {
  it('counts are exact after mixed outcomes; the summaries hold together', async () => {
    const ex = executor({ maxWorkers: 2 });
    const s = started();
    const { g, open: release } = gate();
    const ok = Array.from({ length: 5 }, (_, i) => ex.submit('add', i, 1));
    const bad = Array.from({ length: 3 }, (_, i) => ex.submit('fail', `f${i}`));
    await Promise.allSettled([...ok, ...bad]);
    const held = [ex.submit('gated', s.word, g, 1), ex.submit('gated', s.word, g, 2)];
    await s.running(2);
    const pending = [ex.submit('add', 1, 1), ex.submit('add', 2, 2), ex.submit('add', 3, 3)];
    expect(ex.stats()).toMatchObject({ workers: 2, busy: 2, queued: 3, completed: 5, failed: 3 });
    expect(pending[0]!.cancel()).toBe(true);
    expect(pending[1]!.cancel()).toBe(true);
    release();
    await Promise.all([...held, pending[2]!]);
    expect(await ex.submit('exitNow', 1).exception()).toBeInstanceOf(WorkerCrashedError);
    const st = ex.stats();
    expect(st).toMatchObject({ busy: 0, queued: 0, completed: 8, failed: 3, cancelled: 2, crashed: 1 });
    expect(st.runTime.count).toBe(8 + 3 + 1); // every task that started
    expect(st.waitTime.count).toBe(st.runTime.count);
    for (const t of [st.runTime, st.waitTime]) {
      expect(t.p50).toBeLessThanOrEqual(t.p90);
      expect(t.p90).toBeLessThanOrEqual(t.p99);
      expect(t.p99).toBeLessThanOrEqual(t.max);
      expect(t.mean).toBeLessThanOrEqual(t.max);
      expect(t.p50).toBeGreaterThanOrEqual(0);
    }
    expect(st.utilization).toBeGreaterThan(0);
    expect(st.utilization).toBeLessThanOrEqual(1);
    expect(st.workers).toBeLessThanOrEqual(2);
  });

  it('latencies: a 200 ms task reads as ≈ 200 ms run time', async () => {
    const ex = executor({ maxWorkers: 1 });
    await Promise.all([ex.submit('nap', 200), ex.submit('nap', 200)]);
    const { runTime, waitTime } = ex.stats();
    expect(runTime.count).toBe(2);
    expect(runTime.p50).toBeGreaterThanOrEqual(180);
    expect(runTime.max).toBeGreaterThanOrEqual(200);
    expect(waitTime.max).toBeGreaterThanOrEqual(180); // the second waited for the first
  });
});

describe('dynamic size', () => {
  it('an Executor starts workers on demand up to maxWorkers, and those above minWorkers leave when idle', async () => {
    const ex = executor({ maxWorkers: 3, minWorkers: 1, idleTimeout: 200 });
    expect(ex.stats().workers).toBe(1);
    const s = started();
    const { g, open: release } = gate();
    const held = [1, 2, 3].map((v) => ex.submit('gated', s.word, g, v));
    await s.running(3); // three at once: three workers
    expect(ex.stats().workers).toBe(3);
    release();
    expect(await Promise.all(held)).toEqual([1, 2, 3]);
    await waitUntil(() => ex.stats().workers === 1 && workersOf(ex).length === 1, 10_000, 'the idle workers to leave');
    // Work after the retirements starts workers again.
    const again = [4, 5].map((v) => ex.submit('gated', s.word, g, v));
    await s.running(5);
    expect(await Promise.all(again)).toEqual([4, 5]);
  });

  it('minWorkers 0: every worker leaves; the next task starts one', async () => {
    const ex = executor({ maxWorkers: 2, idleTimeout: 50 });
    expect(ex.stats().workers).toBe(0);
    expect(await ex.submit('add', 1, 1)).toBe(2);
    await waitUntil(() => workersOf(ex).length === 0, 10_000, 'the worker to leave');
    expect(await ex.submit('add', 2, 2)).toBe(4);
  });

  it('a Pool keeps `workers` by default; with minWorkers it shrinks to them', async () => {
    const fixed = pool({ workers: 2, idleTimeout: 10 });
    expect(fixed.stats().workers).toBe(2);
    const shrinking = pool({ workers: 2, minWorkers: 1, idleTimeout: 50 });
    await Promise.all([shrinking.apply('nap', [50]), shrinking.apply('nap', [50])]);
    await waitUntil(() => workersOf(shrinking).length === 1, 10_000, 'one worker to leave');
    expect(await fixed.apply('add', [1, 1])).toBe(2);
    expect(fixed.stats().workers).toBe(2);
  });

  it('workers started on demand, and again after leaving, run the initializer with their copy of initArgs', async () => {
    const ex = executor({ maxWorkers: 2, idleTimeout: 20, initializer: 'setUp', initArgs: ['ready'] });
    const s = started();
    const { g, open: release } = gate();
    const held = [1, 2].map((v) => ex.submit('gated', s.word, g, v));
    await s.running(2);
    expect(await Promise.all([ex.submit('getInit'), ex.submit('getInit')].map((f) => (release(), f)))).toEqual(['ready', 'ready']);
    await Promise.all(held);
    for (let round = 0; round < 3; round++) {
      await waitUntil(() => workersOf(ex).length === 0, 10_000, 'the workers to leave');
      expect(await ex.submit('getInit')).toBe('ready');
    }
  });

  it('tasks keep flowing while idle workers leave and come back (every result exactly once)', async () => {
    const ex = executor({ maxWorkers: 3, idleTimeout: 1 });
    const counts = new Int32Array(new SharedArrayBuffer(4 * 300));
    const all: Future<unknown>[] = [];
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 10; i++) all.push(ex.submit('mark', counts, round * 10 + i));
      await new Promise((r) => setTimeout(r, round % 3 === 0 ? 20 : 0));
    }
    await Promise.all(all);
    expect(counts.every((c) => c === 1)).toBe(true);
  });
});

describe('crashes in the middle of it', () => {
  it('workers killed while reporting progress (inside the result channel, often): only their tasks fail; the others and the channel go on', async () => {
    const ex = executor({ maxWorkers: 2 });
    for (let round = 0; round < 6; round++) {
      const s = started();
      const seen = [0, 0];
      const [a, b] = [0, 1].map((k) => ex.submit('progressUntilAborted', s.word).onProgress(() => seen[k]!++));
      await s.running(2);
      await waitUntil(() => seen[0]! > 50 && seen[1]! > 50, 10_000, 'progress from both tasks');
      const victim = workersOf(ex)[round % 2]!;
      await victim.terminate();
      const [crashed] = await Promise.race([a!, b!].map((f) => f.exception().then(() => [f] as const))); // (a Future is a thenable)
      expect(await crashed.exception()).toBeInstanceOf(WorkerCrashedError);
      const survivor = crashed === a ? b! : a!;
      const before = seen[survivor === a ? 0 : 1]!;
      await waitUntil(() => seen[survivor === a ? 0 : 1]! > before + 50, 10_000, 'progress after the kill');
      survivor.abort();
      expect(await survivor.exception()).toBeInstanceOf(AbortError);
      expect(await ex.submit('add', round, 1)).toBe(round + 1);
    }
    expect(ex.stats()).toMatchObject({ crashed: 6, cancelled: 6, busy: 0, queued: 0 });
  }, 40_000);

  it('a worker killed while its task ignores an abort: the future rejects with the abort reason', async () => {
    const ex = executor({ maxWorkers: 1 });
    const s = started();
    const f = ex.submit('spinForever', s.word);
    await s.running();
    const reason = new Error('stop now');
    f.abort(reason);
    await workersOf(ex)[0]!.terminate();
    expect(await f.exception()).toBe(reason);
    expect(await ex.submit('add', 1, 1)).toBe(2);
    expect(ex.stats()).toMatchObject({ cancelled: 1, crashed: 0, completed: 1 });
  });
});

describe('one signal shared by many tasks', () => {
  it('aborting it cancels the queued ones and aborts the running ones; no listener per task (no MaxListeners warning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const ex = executor({ maxWorkers: 2 });
      const s = started();
      const controller = new AbortController();
      const running = [0, 1].map(() => ex.run('spinUntilAborted', [s.word], { signal: controller.signal }));
      await s.running(2);
      const queued = Array.from({ length: 30 }, (_, i) => ex.run('add', [i, 1], { signal: controller.signal }));
      const done = Array.from({ length: 30 }, (_, i) => ex.run('add', [i, 2], { signal: new AbortController().signal }));
      controller.abort();
      for (const f of running) expect(await f.exception()).toMatchObject({ name: 'AbortError' });
      for (const f of queued) expect(f.cancelled()).toBe(true);
      expect(await Promise.all(done)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
      // A signal used again after its tasks settled: the pool listens afresh.
      const again = new AbortController();
      for (let i = 0; i < 3; i++) expect(await ex.run('add', [i, 0], { signal: again.signal })).toBe(i);
      expect(ex.stats()).toMatchObject({ cancelled: 32, completed: 33 });
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('stress: aborts, timeouts, progress and idle retirement at random, 3 workers', () => {
  it('every future settles once, each marked task ran at most once (exactly once if it completed), and stats() adds up', async () => {
    const N = 400;
    const ex = executor({ maxWorkers: 3, idleTimeout: 5 });
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const futures: Future<unknown>[] = [];
    const kinds: string[] = [];
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < N; i++) {
      const r = random();
      let f: Future<unknown>;
      if (r < 0.4) {
        f = ex.submit('mark', counts, i);
        kinds.push('mark');
      } else if (r < 0.6) {
        f = ex.submit('mark', counts, i);
        const at = random() * 5;
        setTimeout(() => f.abort(), at);
        kinds.push('mark-abort');
      } else if (r < 0.75) {
        f = ex.run('spinUntilAborted', [], { timeout: 1 + random() * 5 });
        kinds.push('timeout');
      } else if (r < 0.9) {
        f = ex.submit('countTo', 2_000).onProgress(() => {});
        const at = random() * 5;
        setTimeout(() => f.abort(), at);
        kinds.push('progress-abort');
      } else {
        f = ex.submit('nap', 1);
        kinds.push('nap');
      }
      futures.push(f);
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, random() * 15)); // let workers idle out
    }
    const outcomes = await Promise.race([
      Promise.all(futures.map((f) => f.then(() => 'ok', (e: unknown) => (e as { name?: string }).name ?? 'error'))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('futures did not settle within 30 s')), 30_000)),
    ]);
    for (let i = 0; i < N; i++) {
      const kind = kinds[i]!;
      if (kind.startsWith('mark')) {
        expect(counts[i]!, `task ${i} ran ${counts[i]} times`).toBeLessThanOrEqual(1);
        if (outcomes[i] === 'ok') expect(counts[i]).toBe(1);
        if (futures[i]!.cancelled()) expect(counts[i]).toBe(0);
      }
      if (kind === 'timeout') expect(outcomes[i]).toBe('TimeoutError');
      if (kind === 'mark') expect(outcomes[i]).toBe('ok');
      expect(['ok', 'AbortError', 'CancelledError', 'TimeoutError']).toContain(outcomes[i]);
    }
    const st = ex.stats();
    expect(st.completed + st.failed + st.cancelled + st.crashed).toBe(N);
    expect(st.completed).toBe(outcomes.filter((o) => o === 'ok').length);
    expect(st.failed).toBe(outcomes.filter((o) => o === 'TimeoutError').length);
    expect(st.cancelled).toBe(outcomes.filter((o) => o === 'AbortError' || o === 'CancelledError').length);
    expect(st).toMatchObject({ crashed: 0, busy: 0, queued: 0 });
    expect(st.workers).toBeLessThanOrEqual(3);
  }, 45_000);
});
