// The caller's code that runs while the feed writes a task's arguments (src/pool/feed.ts #bind:
// getters and proxies' traps in the list, read by the area's check, items.ts `writeTask`). It
// may cancel or settle that very task, cancel another, submit, or throw. The feed is not
// re-entered meanwhile (the feeds such code starts wait for the one under way): a task whose
// getter cancelled it is dropped before anything is put, and no other task is bound to its slot
// while its arguments are still being written there. Each case binds the task in a slot freed
// while every other slot is bound, so that a task bound next would reuse that very slot.
import { describe, expect, it } from 'vitest';
import { Executor, type Future } from 'sabsync';
import { settledWithin } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-items-review.mjs', import.meta.url);

/** Slots a pool binds at once (engine.ts TASK_SLOTS). */
const TASK_SLOTS = 512;

function open(words: Int32Array, k: number): void {
  Atomics.store(words, k, 1);
  Atomics.notify(words, k);
}

/**
 * An Executor of one worker, once it reported its exports (tasks then go through the area's
 * check), whose every task slot is bound: the worker runs `held[0]` at gate 1, every other
 * slot holds a task that waits at gate 2. The test then submits its tasks (they wait in the
 * backlog) and calls `run(mine, bound)`: it opens gate 1 (the slot freed goes to the first task
 * submitted; the worker then waits at gate 2 in the next one), waits until `bound()` says the
 * getters ran, opens gate 2 and resolves once every task settled.
 */
async function allBound(): Promise<{ ex: Executor; held: Future<unknown>[]; run: (mine: Future<unknown>[], bound: () => boolean) => Promise<void>; close: () => Promise<void> }> {
  const words = new Int32Array(new SharedArrayBuffer(16));
  const ex = new Executor(tasks, { maxWorkers: 1, initializer: 'init', initArgs: [words.buffer] });
  await ex.submit('echoArgs');
  await waitUntil(() => ex.submit('noSuchExport').done(), 10_000, "the worker's report of the exports");
  const held: Future<unknown>[] = [ex.submit('gate', 1, 'head')];
  await waitUntil(() => Atomics.load(words, 0) === 1, 10_000, 'the worker to run the first gated task');
  for (let i = 1; i < TASK_SLOTS; i++) held.push(ex.submit('gate', 2, i));
  const run = async (mine: Future<unknown>[], bound: () => boolean): Promise<void> => {
    open(words, 1);
    await waitUntil(bound, 10_000, 'the getters to run');
    open(words, 2);
    await settledWithin([...held, ...mine], 30_000);
  };
  const close = async (): Promise<void> => {
    open(words, 1);
    open(words, 2);
    await ex.shutdown();
  };
  return { ex, held, run, close };
}

describe('caller code run while a task is bound (feed.ts #bind)', () => {
  it('a getter that cancels its own task, the list large further down (its encoding kept): dropped, nothing put for it; the next task runs with its own arguments', async () => {
    const { ex, held, run, close } = await allBound();
    try {
      const before = ex.stats();
      const pad = 'p'.repeat(2000);
      const a: Future<unknown> = ex.submit('echoArgs', {
        pad,
        get v() {
          a.cancel();
          return 'A';
        },
      });
      const c = ex.submit('echoArgs', { pad, v: 'C' });
      const d = ex.submit('echoArgs', 'D');
      await run([a, c, d], () => a.cancelled());
      expect(a.cancelled()).toBe(true);
      expect(await c.result()).toEqual([{ pad, v: 'C' }]);
      expect(await d.result()).toEqual(['D']);
      for (let i = 1; i < TASK_SLOTS; i++) expect(await held[i]!.result()).toBe(i);
      // Nothing stale was left on the channel: the pool goes on.
      expect(await ex.submit('echoArgs', 'after')).toEqual(['after']);
      const after = ex.stats();
      expect([after.cancelled - before.cancelled, after.failed - before.failed]).toEqual([1, 0]);
    } finally {
      await close();
    }
  }, 60_000);

  it("a getter that aborts its own task's signal: cancelled, and the next task runs with its own arguments", async () => {
    const { ex, run, close } = await allBound();
    try {
      const ac = new AbortController();
      const a = ex.run(
        'echoArgs',
        [
          {
            get v() {
              ac.abort();
              return 'A';
            },
          },
        ],
        { signal: ac.signal },
      );
      const c = ex.submit('echoArgs', 'C');
      await run([a, c], () => a.cancelled());
      expect(a.cancelled()).toBe(true);
      expect(await c.result()).toEqual(['C']);
    } finally {
      await close();
    }
  }, 60_000);

  it('a getter that cancels another bound task: that slot goes to the next task, after this one; every task gets its own arguments', async () => {
    const { ex, held, run, close } = await allBound();
    try {
      const victim = held[7]!;
      const a = ex.submit('echoArgs', {
        get v() {
          victim.cancel();
          return 'A';
        },
      });
      const c = ex.submit('echoArgs', 'C');
      await run([a, c], () => victim.cancelled());
      expect(victim.cancelled()).toBe(true);
      expect(await a.result()).toEqual([{ v: 'A' }]);
      expect(await c.result()).toEqual(['C']);
      for (let i = 1; i < TASK_SLOTS; i++) if (i !== 7) expect(await held[i]!.result()).toBe(i);
    } finally {
      await close();
    }
  }, 60_000);

  it('a getter that submits: the submitted task waits its turn; every task gets its own arguments', async () => {
    const { ex, run, close } = await allBound();
    try {
      let d: Future<unknown> | undefined;
      const pad = 'q'.repeat(1000);
      const a = ex.submit('echoArgs', {
        pad,
        get v() {
          d ??= ex.submit('echoArgs', { pad, v: 'D' });
          return 'A';
        },
      });
      const c = ex.submit('echoArgs', 'C');
      await run([a, c], () => d !== undefined);
      await settledWithin([d!], 20_000);
      expect(await a.result()).toEqual([{ pad, v: 'A' }]);
      expect(await c.result()).toEqual(['C']);
      expect(await d!.result()).toEqual([{ pad, v: 'D' }]);
    } finally {
      await close();
    }
  }, 60_000);

  it('a getter that throws, inside the list or on the list itself: that task fails with its error; the next runs with its own arguments', async () => {
    const { ex, run, close } = await allBound();
    try {
      const boom = new Error('boom');
      const a = ex.submit('echoArgs', {
        get v(): string {
          throw boom;
        },
      });
      // An accessor on the argument list itself (`run` takes the caller's array as it is).
      const list: unknown[] = [];
      Object.defineProperty(list, 0, {
        enumerable: true,
        get() {
          throw boom;
        },
      });
      const b = ex.run('echoArgs', list);
      const c = ex.submit('echoArgs', 'C');
      await run([a, b, c], () => a.done() && b.done());
      expect(await a.exception()).toBe(boom);
      expect(await b.exception()).toBe(boom);
      expect(await c.result()).toEqual(['C']);
    } finally {
      await close();
    }
  }, 60_000);
});

// Before the worker reports the module's exports every task is an item carrying its list, which
// the offer to the channel encodes (feed.ts #putItem): the caller's code runs there, with the
// feed closed as in #bind. One worker: tasks run in the order they were put.
describe("caller code run while a task's item is encoded (feed.ts #putItem; the exports not known yet)", () => {
  /** A fresh Executor of one worker (no exports known), and its run log. */
  function fresh(): { ex: Executor; ran: () => number[] } {
    const words = new Int32Array(new SharedArrayBuffer(4 * 64));
    const ex = new Executor(tasks, { maxWorkers: 1, initializer: 'init', initArgs: [words.buffer] });
    return { ex, ran: () => Array.from(words.subarray(16, 16 + Atomics.load(words, 15))) };
  }

  it('a getter that submits: the submitted task is put after this one, in the order of the submits', async () => {
    const { ex, ran } = fresh();
    try {
      let d: Future<unknown> | undefined;
      const a = ex.submit('record', 1, {
        get v() {
          d ??= ex.submit('record', 2);
          return 'A';
        },
      });
      const c = ex.submit('record', 3);
      expect(d).toBeDefined();
      await settledWithin([a, c, d!], 20_000);
      expect(await a.result()).toEqual([1, { v: 'A' }]);
      expect([await d!.result(), await c.result()]).toEqual([[2], [3]]);
      expect(ran()).toEqual([1, 2, 3]);
    } finally {
      await ex.shutdown();
    }
  }, 30_000);

  it('a getter that throws on its first read only: the task fails with that error (not encoded again); the next runs', async () => {
    const { ex, ran } = fresh();
    try {
      const once = new Error('first read');
      let reads = 0;
      const b = ex.submit('record', 4, {
        get v() {
          if (reads++ === 0) throw once;
          return 'B';
        },
      });
      const c = ex.submit('record', 5);
      await settledWithin([b, c], 20_000);
      expect(await b.exception()).toBe(once);
      expect(reads).toBe(1);
      expect(await c.result()).toEqual([5]);
      expect(ran()).toEqual([5]);
    } finally {
      await ex.shutdown();
    }
  }, 30_000);

  it('a getter that cancels its own task: cancelled, never run; the next task runs', async () => {
    const { ex, ran } = fresh();
    try {
      // A is submitted by the first task's getter, so it is bound and offered once `a` is set.
      let a: Future<unknown> | undefined;
      const first = ex.submit('record', 6, {
        get v() {
          a ??= ex.submit('record', 7, {
            get w() {
              a!.cancel();
              return 'A';
            },
          });
          return 'F';
        },
      });
      const c = ex.submit('record', 8);
      await settledWithin([first, a!, c], 20_000);
      expect(a!.cancelled()).toBe(true);
      expect([await first.result(), await c.result()]).toEqual([[6, { v: 'F' }], [8]]);
      expect(ran()).toEqual([6, 8]);
      expect(await ex.submit('record', 9)).toEqual([9]);
    } finally {
      await ex.shutdown();
    }
  }, 30_000);
});

describe('a list far larger than the task channel, large only further down', () => {
  it('fails with ERR_TOO_LARGE at once, its getter read once (not copied, not encoded again); the pool goes on', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    await ex.submit('echoArgs');
    await waitUntil(() => ex.submit('noSuchExport').done(), 10_000, "the worker's report of the exports");
    let reads = 0;
    const box = {
      s: 'x'.repeat(3 << 20),
      get n() {
        return ++reads;
      },
    };
    const f = ex.submit('lengthOf', box);
    const e = await f.exception();
    expect(e).toMatchObject({ code: 'ERR_TOO_LARGE' });
    expect((e as Error).message).toMatch(/^Executor: the arguments of task 'lengthOf' do not fit the task channel \(\d+ bytes encoded at most\); pass large data in a SharedArrayBuffer/);
    expect(reads).toBe(1);
    expect(await ex.submit('lengthOf', { s: 'y'.repeat(5000), n: 2 })).toEqual([5000, 2]);
  }, 30_000);
});
