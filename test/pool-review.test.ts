// The task path in slot areas (tasks announced on the task Queue by a number): k tasks put by one
// feed find k takers while workers sleep, and a task refused by a full channel is put once there
// is room again, even when the channel was full of cancelled tasks (so no settle comes to feed it).
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, type Future } from 'sabsync';
import { SLEEPING } from './helpers/internals.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-review.mjs', import.meta.url);

const open: Executor[] = [];
/** An Executor of `workers` workers, all started at once and kept, sharing `counter` (fixture `init`). */
function executor(workers: number, counter: Int32Array, maxTasksPerChild?: number): Executor {
  const ex = new Executor(tasks, { maxWorkers: workers, minWorkers: workers, initializer: 'init', initArgs: [counter.buffer], maxTasksPerChild });
  open.push(ex);
  return ex;
}
// Cancelling what is left: a shutdown that waits would wait for a task that is never put.
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

/** A check that every worker of the pool sleeps on WAKE (CURRENT[w] = SLEEPING). */
async function allAsleep(ex: Executor, workers: number): Promise<() => boolean> {
  const words = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
  return () => Array.from({ length: workers }, (_, w) => Atomics.load(words, w)).every((c) => c === SLEEPING);
}

/** How each future settled: the value, or the error's message. */
async function outcomes(fs: Future<unknown>[]): Promise<string[]> {
  const settled = await Promise.allSettled(fs);
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : String((s.reason as Error).message)));
}

describe('the wake rule with tasks announced by numbers', () => {
  // Control: three items (long arguments), each put by a feed of its own, each with its wake-up.
  it('control: three tasks put as items while every worker sleeps run at once', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(3, counter);
    const asleep = await allAsleep(ex, 3);
    await waitUntil(asleep, 10_000, 'all three workers asleep');
    const pad = 'x'.repeat(400);
    const fs = [0, 1, 2].map(() => ex.submit('meet', 3, 3000, pad));
    expect(await outcomes(fs)).toEqual(['ok', 'ok', 'ok']);
  });

  // The item's put is async (#putItem, #feeding); the two tasks submitted meanwhile are bound
  // and put by the feed that follows it, as two numbers with one announcement: it must wake as
  // many sleepers as tasks are queued, or the third task waits for a busy worker (here the three
  // wait for each other, and time out). A wrong wake rule can pass a round by luck (two woken
  // workers' gets collide, one becomes the watcher and its hand-off wakes the third), so several
  // rounds.
  it('an item then two numbers put while every worker sleeps wake three workers', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(3, counter);
    const asleep = await allAsleep(ex, 3);
    for (let round = 0; round < 4; round++) {
      await waitUntil(asleep, 10_000, 'all three workers asleep');
      Atomics.store(counter, 0, 0);
      const fs = [ex.submit('meet', 3, 2000, 'x'.repeat(400)), ex.submit('meet', 3, 2000), ex.submit('meet', 3, 2000)];
      // One wake-up for the two numbers: [ 'meet: 2 of 3 calls arrived', 'meet: 2 of 3 calls arrived', 'ok' ].
      expect(await outcomes(fs), `round ${round}`).toEqual(['ok', 'ok', 'ok']);
    }
  });
});

describe('a task the full channel refused', () => {
  // A number the channel refuses as full is re-queued; the next settle alone cannot be what puts
  // it again, since the channel can be full of the numbers of cancelled tasks: each submit-then-cancel frees its slot at once and leaves its number
  // queued (16,383 fill the ring). The one running task settles, its feed meets the stale
  // numbers still queued, and after the worker drained them no settle is left to feed again:
  // the task would never be put, its future never settle. (maxTasksPerChild 2 retires the worker right
  // after the gated task, so that its replacement drains the stale numbers only after that
  // settle's feed; with a worker that stays, the same happens whenever the owner's feed comes
  // before the drain: a race.)
  it('a task refused while the channel is full of cancelled tasks\' numbers runs once they are gone', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(1, counter, 2);
    await ex.submit('add', 0, 0); // the exports are known: tasks go in their areas
    const held = ex.submit('gated', 'held');
    await waitUntil(() => held.running(), 10_000, 'the gated task to start');
    for (let i = 0; i < 16_500; i++) expect(ex.submit('add', i, 1).cancel()).toBe(true);
    const last = ex.submit<number>('add', 1, 2);
    Atomics.store(counter, 1, 1);
    Atomics.notify(counter, 1);
    expect(await held.result(10_000)).toBe('held');
    expect(await last.result(5_000)).toBe(3); // refused and never retried: TimeoutError
  });

  // The same through the item path: a cancelled task's large item stays on the channel, the next
  // large task is refused as full and must be put again once a worker took the stale item.
  it('a large task refused while the channel holds a cancelled task\'s item runs once it is gone', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(1, counter, 2);
    await ex.submit('add', 0, 0);
    const held = ex.submit('gated', 'held');
    await waitUntil(() => held.running(), 10_000, 'the gated task to start');
    const stale = ex.submit('size', 'x'.repeat(1_000_000));
    await new Promise((r) => setImmediate(r)); // its put (async) goes first
    expect(stale.cancel()).toBe(true);
    const last = ex.submit<number>('size', 'y'.repeat(100_000), 1);
    Atomics.store(counter, 1, 1);
    Atomics.notify(counter, 1);
    expect(await held.result(10_000)).toBe('held');
    expect(await last.result(5_000)).toBe(2);
  });
});

describe('submit on an idle pool', () => {
  // The pump that settles results starts after submit() returns (a microtask): submit never
  // watches for its own result, so a future is never settled by the time submit() returns, and
  // `submit(a); submit(b)` puts b before a can have run to completion.
  it('returns before the task can have settled', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const ex = executor(2, counter);
    await ex.submit('add', 0, 0); // exports known: tasks go in their areas
    const asleep = await allAsleep(ex, 2);
    let settledAtReturn = 0;
    for (let i = 0; i < 40; i++) {
      if (i % 8 === 0) await waitUntil(asleep, 10_000, 'both workers asleep');
      else await new Promise((r) => setTimeout(r, 1));
      const f = ex.submit<number>('add', i, 1);
      if (f.done()) settledAtReturn++;
      expect(await f.result(10_000)).toBe(i + 1);
    }
    expect(settledAtReturn).toBe(0);
  });
});
