// Review of the pool's owner-side changes: the wake rule with the watcher waking sleepers for
// the rest of a put (slots.ts needsTaker, worker.ts takeSoon/passOn), the burst path of a
// worker's take, a feed reading SLEEPERS first; the packed Task (SLOT/GEN bits, one-argument
// submit); the put-order hint of the pump; the chunked queue of taken results.
//
// No queued task waits for a taker while a worker is free: k tasks that wait for each other
// (`meet`) finish only if k workers run them at once, so a lost wake-up fails a round by the
// meet's timeout instead of passing slowly.
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, Queue, type Future, type Handle } from 'sabsync';
import { SLEEPING, Taken } from './helpers/internals.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-owner-review.mjs', import.meta.url);

const open: Executor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

function executor(counter: Int32Array, options: { maxWorkers: number; minWorkers: number; idleTimeout?: number }): Executor {
  const ex = new Executor(tasks, { ...options, initializer: 'init', initArgs: [counter.buffer] });
  open.push(ex);
  return ex;
}

/** How each future settled: 'ok', or the error's message. */
async function outcomes(fs: Future<unknown>[]): Promise<string[]> {
  const settled = await Promise.allSettled(fs);
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : String((s.reason as Error).message)));
}

/** A small deterministic generator: the rounds are the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('no task waits while a worker is free (the wake rule)', () => {
  it('k meeting tasks find k workers: all asleep, one watching, after a burst, one feed per task, after a worker died', async () => {
    const workers = 4;
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(counter, { maxWorkers: workers, minWorkers: workers });
    const words = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
    const asleep = () => Array.from({ length: workers }, (_, w) => Atomics.load(words, w)).every((c) => c === SLEEPING);
    const rnd = random(11);
    const failures: string[] = [];
    for (let round = 0; round < 150 && failures.length === 0; round++) {
      const how = Math.floor(rnd() * 5);
      // After a death the replacement must start: one fewer meets while it may still be starting.
      const k = 2 + Math.floor(rnd() * (workers - (how === 4 ? 2 : 1)));
      if (how === 0) await waitUntil(asleep, 10_000, 'every worker asleep');
      Atomics.store(counter, 0, 0);
      const fs: Future<unknown>[] = [];
      // A burst of trivial tasks first: the workers take in a row (no size look), then meet.
      if (how === 2) for (let i = 0; i < 300; i++) void ex.submit('add', i, 1);
      if (how === 4) fs.push(ex.submit('exitNow', 0).then(() => 'exited', () => 'exited') as unknown as Future<unknown>);
      if (how === 3) {
        // One feed per task: each put finds whatever the last one woke, or a watcher.
        for (let i = 0; i < k; i++) {
          fs.push(ex.submit('meet', k, 5000));
          await turn();
        }
      } else for (let i = 0; i < k; i++) fs.push(ex.submit('meet', k, 5000));
      const got = await outcomes(fs);
      if (got.some((o) => o !== 'ok')) failures.push(`round ${round} (k ${k}, how ${how}): ${got.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('with workers leaving idle (minWorkers < maxWorkers), k meeting tasks still find k workers', async () => {
    const workers = 3;
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(counter, { maxWorkers: workers, minWorkers: 1, idleTimeout: 15 });
    const rnd = random(7);
    const failures: string[] = [];
    for (let round = 0; round < 40 && failures.length === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(rnd() * 40)));
      Atomics.store(counter, 0, 0);
      const fs = Array.from({ length: workers }, () => ex.submit('meet', workers, 5000));
      const got = await outcomes(fs);
      if (got.some((o) => o !== 'ok')) failures.push(`round ${round}: ${got.join(', ')}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('aborts, timeouts (some ending in a kill), progress and idle retirement at random (pool-control stress, watched)', () => {
  // pool-control.test.ts's stress hung once in this review (futures unsettled after 30 s, and a
  // shutdown with cancelFutures hung too: a task claimed, READY or taken, not merely queued).
  // The same mix, plus tasks that ignore their timeout for about the grace period (their worker
  // is terminated about when it finishes), with the control block dumped if it hangs.
  it('every future settles; a hang prints CURRENT, WATCHER, WAKE, LIVE, SLEEPERS, REFUSED and the unsettled slots', async () => {
    for (let iter = 0; iter < 3; iter++) {
      const ex = new Executor(tasks, { maxWorkers: 3, idleTimeout: 5, initializer: 'init', initArgs: [new SharedArrayBuffer(8)] });
      open.push(ex);
      const words = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
      const channel = Queue.from(await ex.submit<Handle<'Queue'>>('taskChannel'));
      const N = 200;
      const counts = new Int32Array(new SharedArrayBuffer(4 * N));
      const futures: Future<unknown>[] = [];
      const kinds: string[] = [];
      const rnd = random(12345 + iter);
      for (let i = 0; i < N; i++) {
        const r = rnd();
        let f: Future<unknown>;
        if (r < 0.4) {
          f = ex.submit('mark', counts, i);
          kinds.push('mark');
        } else if (r < 0.6) {
          const g = (f = ex.submit('mark', counts, i));
          setTimeout(() => g.abort(), rnd() * 5);
          kinds.push('mark-abort');
        } else if (r < 0.75) {
          f = ex.run('spinUntilAborted', [], { timeout: 1 + rnd() * 5 });
          kinds.push('timeout');
        } else if (r < 0.9) {
          const g = (f = ex.submit('countTo', 2_000).onProgress(() => {}));
          setTimeout(() => g.abort(), rnd() * 5);
          kinds.push('progress-abort');
        } else if (r < 0.96) {
          f = ex.submit('nap', 1);
          kinds.push('nap');
        } else {
          f = ex.run('spinIgnoring', [990 + rnd() * 30], { timeout: 1 + rnd() * 5 });
          kinds.push('killed');
        }
        futures.push(f);
        if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, rnd() * 15));
      }
      const stuck = await Promise.race([
        Promise.all(futures.map((f) => f.then(() => 0, () => 0))).then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20_000)),
      ]);
      if (stuck) {
        // slots.ts: CURRENT[0..2], STATE[3 + s], WATCHER, WAKE, LIVE, ABORT[512], PROGRESS[512], DONE_COUNT, OWNER_ASLEEP, SLEEPERS, REFUSED.
        const W = 3;
        const C = 512;
        const done = W + C + 3 + 2 * C;
        const slots: string[] = [];
        for (let s = 0; s < C; s++) {
          const w = Atomics.load(words, W + s);
          if ((w & 7) !== 2 && w !== 0) slots.push(`s${s}: st ${w & 7} gen ${(w >>> 3) & 0xffff} claimer ${w >>> 19} progress ${Atomics.load(words, W + C + 3 + C + s)}`);
        }
        const dump = {
          iter,
          current: [0, 1, 2].map((w) => Atomics.load(words, w)),
          watcher: Atomics.load(words, W + C),
          wake: Atomics.load(words, W + C + 1),
          live: Atomics.load(words, W + C + 2),
          doneCount: Atomics.load(words, done),
          ownerAsleep: Atomics.load(words, done + 1),
          sleeperBits: Atomics.load(words, done + 2).toString(2), // SLEEPERS[0]: one bit per worker
          refused: Atomics.load(words, done + 3),
          queued: channel.qsize(),
          stats: ex.stats(),
          unsettled: futures.map((f, i) => (f.done() ? '' : `${i} ${kinds[i]} ${f.running() ? 'running' : 'pending'}`)).filter(Boolean),
          slots,
        };
        expect(JSON.stringify(dump, null, 1)).toBe('every future settled');
      }
      expect(ex.stats().busy).toBe(0);
      await ex.shutdown({ cancelFutures: true });
      open.splice(open.indexOf(ex), 1);
    }
  }, 120_000);
});

describe('the packed task (task.ts #bits) and the one-argument submit', () => {
  it('submit with 0, 1, 2 arguments, undefined ones, one array, a getter and a Proxy: each call as written', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(counter, { maxWorkers: 1, minWorkers: 1 });
    let reads = 0;
    const withGetter = {
      get x() {
        reads++;
        return 5;
      },
    };
    const proxy = new Proxy({ a: 1 }, {});
    const calls = await Promise.all([
      ex.submit('echo'),
      ex.submit('echo', 1),
      ex.submit('echo', undefined),
      ex.submit('echo', undefined, undefined),
      ex.submit('echo', 1, 2),
      ex.submit('echo', [1, 2]),
      ex.submit('echo', withGetter),
      ex.submit('echo', proxy),
      ex.run('echo', [7]),
      // eslint-disable-next-line prefer-spread -- the call shape under test
      ex.submit.apply(ex, ['echo', 3] as unknown as Parameters<typeof ex.submit>),
    ]);
    expect(calls).toEqual([
      [0, []],
      [1, ['1']],
      [1, ['undefined']],
      [2, ['undefined', 'undefined']],
      [2, ['1', '2']],
      [1, ['[1,2]']],
      [1, ['{"x":5}']],
      [1, ['{"a":1}']],
      [1, ['7']],
      [1, ['3']],
    ]);
    expect(reads).toBe(1);
  });

  it('a one-argument task cancelled before its bind is never run, and the next one runs with its own argument', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(counter, { maxWorkers: 1, minWorkers: 1 });
    // Fill every task slot (512) with tasks that wait, so that the next ones stay in the backlog.
    Atomics.store(counter, 0, 0);
    const held = Array.from({ length: 600 }, (_, i) => ex.submit<number>('add', i, 0));
    const f = ex.submit('echo', 'cancelled');
    expect(f.cancel()).toBe(true);
    const g = ex.submit('echo', 'kept');
    expect((await Promise.all(held)).length).toBe(600);
    expect(await g).toEqual([1, ['"kept"']]);
    expect(f.cancelled()).toBe(true);
  });

  it('a slot whose GEN wraps (65,536 binds of slot 0, one task at a time) still settles each task with its own result', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(counter, { maxWorkers: 1, minWorkers: 1 });
    let wrong = 0;
    for (let i = 0; i < 66_000; i++) if ((await ex.submit<number>('add', i, 1)) !== i + 1) wrong++;
    expect(wrong).toBe(0);
  }, 120_000);
});

describe('the taken results (taken.ts): a queue of chunks', () => {
  it('keeps order through a burst of many chunks, drained while filling, and holds at most two chunks beyond its entries', () => {
    const entries = 8;
    const taken = new Taken(entries);
    const mark = (n: number) => ({ n }) as unknown as Parameters<typeof taken.push>[0];
    let next = 0;
    let expected = 0;
    const rnd = random(3);
    for (let step = 0; step < 20_000; step++) {
      const burst = rnd() < 0.01 ? 200 : Math.floor(rnd() * 4);
      for (let i = 0; i < burst; i++, next++) taken.push(mark(next), (next & 1) as 0 | 1, next * 2);
      const drain = Math.min(taken.size, Math.floor(rnd() * 5));
      for (let i = 0; i < drain; i++, expected++) {
        const task = taken.shift() as unknown as { n: number };
        expect(task.n).toBe(expected);
        expect(taken.value).toBe(expected * 2);
        expect(taken.ok).toBe(expected & 1);
      }
      expect(taken.room).toBeLessThanOrEqual((Math.ceil(taken.size / entries) + 2) * entries);
    }
    while (taken.size > 0) expect((taken.shift() as unknown as { n: number }).n).toBe(expected++);
    expect(expected).toBe(next);
    expect(taken.room).toBeLessThanOrEqual(3 * entries);
  });
});
