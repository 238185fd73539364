// Review of "pool: each task's arguments are encoded once on the owner" (src/pool/items.ts
// `writeTask` keeps the encoding of a list too large for its area, `itemArgs` puts it in the task
// item, the worker's `argsOf` decodes it). Cases the commit's own tests leave out: a put the full
// channel refuses, a getter that cancels its own task while it is being written, the channel's
// byte limit, shared primitives and ports inside a list large further down, binary arguments.
import { describe, expect, it } from 'vitest';
import { Executor, Lock, WorkerCrashedError, type Future } from 'sabsync';
import { MessageChannel } from 'node:worker_threads';
import { largestFitting, settledWithin, workersOf } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-items-review.mjs', import.meta.url);

/** Slots a pool binds at once (engine.ts TASK_SLOTS). */
const TASK_SLOTS = 512;
/** Byte capacity of the task channel (engine.ts CHANNEL_BYTES). */
const CHANNEL_BYTES = 1 << 20;

/** An Executor of one worker with gate words, once the worker reported its exports (tasks then go through the area's check). */
async function gated(): Promise<{ ex: Executor; words: Int32Array }> {
  const words = new Int32Array(new SharedArrayBuffer(16));
  const ex = new Executor(tasks, { maxWorkers: 1, initializer: 'init', initArgs: [words.buffer] });
  await ex.submit('echoArgs');
  await waitUntil(() => ex.submit('noSuchExport').done(), 10_000, "the worker's report of the exports");
  return { ex, words };
}

function open(words: Int32Array, k: number): void {
  Atomics.store(words, k, 1);
  Atomics.notify(words, k);
}

describe('review: arguments encoded once (items.ts writeTask / itemArgs / argsOf)', () => {
  // Failed before feed.ts kept the encoding with the task while the full channel refuses it:
  // the kept encoding was given up before the put, and every later try to put the task (the
  // pump retries on each wake-up) encoded the list again: the getter ran once per try (4 in a
  // run here) and the task got the last read.
  it('a task refused by the full channel still reads its getter once, and gets that read', async () => {
    const { ex, words } = await gated();
    try {
      const head = ex.submit('gate', 1, 'head');
      await waitUntil(() => Atomics.load(words, 0) === 1, 10_000, 'the worker to run the gated task');
      // ≈ 300 × 3 KiB items (each small at the top, large inside: encoded by the check and kept):
      // the channel's 1 MiB is nearly full while the one worker waits at the gate.
      const fillers: Future<unknown>[] = [];
      for (let i = 0; i < 300; i++) fillers.push(ex.submit('lengthOf', { s: 'f'.repeat(3000), n: i }));
      // Larger than the room left: refused as full, held, put again once the worker takes some.
      let reads = 0;
      const box = {
        s: 'q'.repeat(200_000),
        get n() {
          return ++reads;
        },
      };
      const big = ex.submit('lengthOf', box);
      // Bound (and its put tried, and refused) once the fillers' puts are done.
      await waitUntil(() => reads > 0, 10_000, 'the task to be bound');
      await new Promise((r) => setImmediate(r));
      open(words, 1);
      await settledWithin([head, big, ...fillers], 20_000);
      expect(await fillers[299]!.result()).toEqual([3000, 299]);
      expect(await big.result()).toEqual([200_000, 1]);
      expect(reads).toBe(1);
    } finally {
      open(words, 1);
      await ex.shutdown();
    }
  }, 60_000);

  // Failed before the feed held off re-entry while it writes a task (feed.ts #bind): the getter
  // runs inside writeTask, after the task is bound to its slot. Its cancel freed the slot, the
  // feed inside the cancel bound the next task to the same slot and wrote that task's area;
  // then writeTask went on and wrote the cancelled task's arguments over it, and its number
  // (slot -1) went on the channel. Neighbours: test/pool-items-reentry.test.ts.
  it("a getter that cancels its own task: the next task, bound to the freed slot, runs with its own arguments", async () => {
    const { ex, words } = await gated();
    try {
      // The worker waits at gate 1; every other slot holds a task that waits at gate 2.
      const held: Future<unknown>[] = [ex.submit('gate', 1, 'head')];
      await waitUntil(() => Atomics.load(words, 0) === 1, 10_000, 'the worker to run the first gated task');
      for (let i = 1; i < TASK_SLOTS; i++) held.push(ex.submit('gate', 2, i));
      // Both wait in the backlog: every slot is bound.
      const a: Future<unknown> = ex.submit('echoArgs', {
        get v() {
          a.cancel();
          return 'A';
        },
      });
      const c = ex.submit('echoArgs', 'C');
      expect(a.running() || a.done()).toBe(false);
      // The head settles, its slot goes to `a`, whose getter cancels it; the worker meanwhile
      // waits at gate 2 in the next task, so `c` is not taken yet.
      open(words, 1);
      await waitUntil(() => a.cancelled(), 10_000, 'the getter to cancel its task');
      open(words, 2);
      await settledWithin([...held, c], 20_000);
      expect(await c.exception()).toBeUndefined();
      expect(await c.result()).toEqual(['C']);
    } finally {
      open(words, 1);
      open(words, 2);
      await ex.shutdown();
    }
  }, 60_000);

  // Failed before items.ts `keptArgs`: the kept encoding crosses as a Uint8Array inside the item
  // (a view's and a buffer's headers, ≈ 16 bytes more than the list nested in the item), so the
  // largest list the channel carried before was refused with ERR_TOO_LARGE. Now a list within a
  // few dozen bytes of the limit goes as itself; one byte more is refused, as before.
  it('the largest argument list the task channel carries as a list still goes when it is large only further down', async () => {
    // The largest string a task item [slot, gen, fn, [{ s, n }], chunk, id] holding the list fits the channel with.
    const lo = largestFitting((len) => [3, 1, 'lengthOf', [{ s: 'x'.repeat(len), n: 0 }], 0, 123], CHANNEL_BYTES);
    const { ex, words } = await gated();
    try {
      const f = ex.submit('lengthOf', { s: 'x'.repeat(lo), n: 0 });
      await settledWithin([f], 20_000);
      expect(await f.exception()).toBeUndefined();
      expect(await f.result()).toEqual([lo, 0]);
      const over = ex.submit('lengthOf', { s: 'x'.repeat(lo + 1), n: 0 });
      await settledWithin([over], 20_000);
      expect(await over.exception()).toMatchObject({ code: 'ERR_TOO_LARGE' });
    } finally {
      open(words, 1);
      await ex.shutdown();
    }
  }, 60_000);

  it('a Lock deep inside a list large further down arrives live (the list goes as itself, not as a kept encoding)', async () => {
    const { ex, words } = await gated();
    try {
      const lock = new Lock();
      const pad = 'p'.repeat(2000);
      expect(await ex.submit('tryLock', { pad, lock })).toEqual(['took', 2000]);
      expect(lock.acquire(0)).toBe(true);
      expect(await ex.submit('tryLock', { pad, lock })).toEqual(['held', 2000]);
      lock.release();
    } finally {
      open(words, 1);
      await ex.shutdown();
    }
  }, 30_000);

  it('a MessagePort inside a list large further down fails its task with ERR_UNSERIALIZABLE; the pool goes on', async () => {
    const { ex, words } = await gated();
    const { port1, port2 } = new MessageChannel();
    try {
      const f = ex.submit('echoArgs', { pad: 'p'.repeat(2000), port: port1 });
      await settledWithin([f], 20_000);
      expect((await f.exception()) as { code?: string }).toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
      expect(await ex.submit('echoArgs', { pad: 'p'.repeat(2000) })).toEqual([{ pad: 'p'.repeat(2000) }]);
    } finally {
      port1.close();
      port2.close();
      open(words, 1);
      await ex.shutdown();
    }
  }, 30_000);

  it('binary arguments: a list of Uint8Arrays, and Uint8Arrays large further down, arrive as they were sent', async () => {
    const { ex, words } = await gated();
    try {
      // A list whose one argument is a large Uint8Array (large at the top: the list goes as itself).
      const big = new Uint8Array(4000).map((_, i) => i & 255);
      expect(await ex.submit('echoArgs', big)).toEqual([big]);
      // Uint8Arrays (one a view at an offset, one holding the bytes of an encoding-like header)
      // small at the top, large inside: the kept encoding holds them.
      const backing = new Uint8Array(600).map((_, i) => (i * 7) & 255);
      const view = backing.subarray(100, 400);
      const lookalike = new Uint8Array([6, 7, 1, 0, 0, 0, 4]);
      const [back] = await ex.submit<[{ view: Uint8Array; lookalike: Uint8Array; pad: string }]>('echoArgs', { view, lookalike, pad: 'z'.repeat(500) });
      expect(back.view).toEqual(view);
      expect(back.lookalike).toEqual(lookalike);
      expect(back.pad).toBe('z'.repeat(500));
      // A Uint8Array as the argument list itself is refused: argsOf's test `instanceof Uint8Array`
      // never meets a caller's list.
      expect(() => ex.run('echoArgs', lookalike as unknown as unknown[])).toThrow(TypeError);
    } finally {
      open(words, 1);
      await ex.shutdown();
    }
  }, 30_000);

  it('kept encodings, in-area tasks and top-level-large lists interleaved: every task gets its own arguments', async () => {
    const words = new Int32Array(new SharedArrayBuffer(16));
    await using ex = new Executor(tasks, { maxWorkers: 2, initializer: 'init', initArgs: [words.buffer] });
    const fs: Future<unknown>[] = [];
    const want: unknown[] = [];
    for (let i = 0; i < 2000; i++) {
      const args = i % 3 === 0 ? [{ i, pad: 'k'.repeat(300 + (i % 50)) }] : i % 3 === 1 ? [i, 's'] : ['L'.repeat(1200 + (i % 7)), i];
      want.push(args);
      fs.push(ex.submit('echoArgs', ...args));
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await settledWithin(fs, 30_000);
    for (let i = 0; i < fs.length; i++) expect(await fs[i]!.result()).toEqual(want[i]);
  }, 60_000);

  // Finding 4, made deterministic: a worker killed while its CURRENT word says TAKING (a fixture
  // task marks it so, then waits at a gate) has the owner put every bound task not yet claimed
  // on the channel again (feed.ts requeueUnclaimed). Such a put encodes the list again, from the
  // task's list (the encoding kept for the first put is not held past it: holding every put
  // item's until its claim would hold up to TASK_SLOTS large lists): the getter is read again
  // (documented in feed.ts and items.ts); the first copy, ahead on the channel, is the one the
  // replacement worker claims and runs, with the first read; the second loses its claim.
  it('a task put again after a death while TAKING: encoded again from its list, and the copy first on the channel runs, once', async () => {
    const { ex, words } = await gated();
    try {
      const marked = ex.submit('markTaking', 1);
      await waitUntil(() => Atomics.load(words, 0) === 1, 10_000, 'the worker to mark itself TAKING');
      let reads = 0;
      const box = {
        s: 'p'.repeat(400),
        get n() {
          return ++reads;
        },
      };
      const a = ex.submit('lengthOf', box);
      expect(reads).toBe(1); // bound at once (a slot was free): its area's check read it
      // Killed whether its item's put is done or not: a put under way when the death is handled
      // is followed by the copy (the feed waits for it), so the same two copies go, in order.
      void workersOf(ex)[0]!.terminate();
      await settledWithin([marked, a], 20_000);
      expect(await marked.exception()).toBeInstanceOf(WorkerCrashedError);
      expect(await a.result()).toEqual([400, 1]);
      expect(reads).toBe(2);
    } finally {
      open(words, 1);
      await ex.shutdown();
    }
  }, 60_000);
});
