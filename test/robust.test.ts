/**
 * Robust primitives: a thread that sabsync started (a pool worker) and that dies holding a lock
 * — in any primitive, the user's included — leaves it to the next acquirer, which takes it over
 * and repairs what the lock guarded (rawlock.ts, liveness.ts). And every timeout bounds the
 * whole call, the wait for a queue's internal lock included, even while a live thread keeps it.
 *
 * Threads are real, deaths are real `terminate()`s of pool workers; nothing is recovered by
 * hand. (One white-box test marks a made-up id dead to see the liveness table grow: internal
 * modules are imported from the same built files the package's entry point loads.) Calls that would hang on a bug run in helper workers with a timeout, or are awaited
 * against one, so that a bug fails the test instead of freezing it.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Barrier, Condition, LifoQueue, Lock, Queue, RLock, WorkerCrashedError, type Future } from 'sabsync';
import { isDead, livenessTable, markDead } from './helpers/internals.js';
import { expectElapsed, start, timed, timedAsync, waitUntil } from './helpers/workers.js';
import { workersOf } from './helpers/pool.js';
import { Victims } from './helpers/victims.js';

const TASKS = new URL('./fixtures/robust-tasks.mjs', import.meta.url);
const FILE = 'robust.mjs';
const victims = new Victims(TASKS);
const dieIn = (fn: string, ...args: unknown[]) => victims.dieIn(fn, ...args);
afterEach(() => victims.reset());
const ctlOf = () => new Int32Array(new SharedArrayBuffer(8));
const TAG = (kind: number) => (0x5ab5 << 16) | kind;

// White-box (memory.ts, lock.ts, condition.ts, store.ts): a primitive's words, and the index of
// the raw lock word of the first Lock (tag kind 1) or Condition (kind 3) inside a queue.
const wordsOf = (p: { handle: { buffer: SharedArrayBuffer; byteOffset: number } }) => new Int32Array(p.handle.buffer, p.handle.byteOffset);
const innerLockWord = (q: Queue<unknown>, kind: 1 | 3) => wordsOf(q).indexOf(TAG(kind), 1) + 1;

/** Reject if `p` has not settled within `ms` (a promise that never settles is the bug). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms))]);
}


test('the liveness table grows for a large id, and a thread that adopted it earlier sees the mark', async () => {
  const id = 3_000_000 + Math.floor(Math.random() * 1_000); // past the table's first 4 KiB
  const ctl = ctlOf();
  const other = start<[boolean, boolean]>(FILE, 'seesDeath', { handle: new Lock().handle, ctl: ctl.buffer, id });
  await waitUntil(() => Atomics.load(ctl, 0) === 1, 10_000, 'the thread to adopt the table');
  const before = livenessTable().byteLength;
  markDead(id);
  expect(livenessTable().byteLength).toBeGreaterThan(before);
  expect(isDead(id)).toBe(true);
  expect(isDead(id + 1)).toBe(false);
  Atomics.store(ctl, 0, 2);
  Atomics.notify(ctl, 0);
  expect(await other.result).toEqual([false, true]);
});

describe('a Lock or RLock held by a terminated pool worker is taken over by the next acquirer', () => {
  test.each([
    ['Lock', () => new Lock(), 1],
    ['RLock', () => new RLock(), 3],
  ] as const)('%s: sleepers already waiting get it (sync in a user-started thread, async here)', async (_, make, levels) => {
    const lock = make();
    const kill = await dieIn('holdLock', lock, levels);
    const ctl = ctlOf();
    const sleeper = start<[boolean, number]>(FILE, 'acquireWithin', { handle: lock.handle, ctl: ctl.buffer, timeout: 8_000 }, { timeout: 20_000 });
    // Asleep: it raised ctl[0] and marked the lock word CONTENDED (rawlock.ts).
    await waitUntil(() => Atomics.load(ctl, 0) === 1 && (Atomics.load(wordsOf(lock), 1) & 1) === 1, 10_000, 'the sleeper to sleep');
    const pending = timedAsync(() => lock.acquireAsync(8_000));
    await kill();
    // Either sleeper may take it over first; the sleeper releases at once, so ours comes first.
    const [gotAsync, elapsedAsync] = await pending;
    expect(gotAsync).toBe(true);
    expect(elapsedAsync).toBeLessThan(6_000);
    lock.release();
    const [got, elapsed] = await sleeper.result;
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(6_000);
    expect(lock.locked()).toBe(false);
  });

  test.each([
    ['Lock', () => new Lock(), 1],
    ['RLock', () => new RLock(), 2],
  ] as const)('%s: a later acquire, sync or async, takes it over at once', async (_, make, levels) => {
    const a = make();
    await (await dieIn('holdLock', a, levels))();
    const [got, elapsed] = timed(() => a.acquire(1_000));
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(500);
    a.release();
    expect(a.locked()).toBe(false); // an RLock's count starts afresh: one release frees it

    const b = make();
    await (await dieIn('holdLock', b, levels))();
    const [gotAsync, elapsedAsync] = await timedAsync(() => b.acquireAsync(1_000));
    expect(gotAsync).toBe(true);
    expect(elapsedAsync).toBeLessThan(500);
    b.release();
    expect(b.acquire(0)).toBe(true);
    b.release();
  });
});

describe('a Condition whose waiter died', () => {
  test('a notify reaches the live waiter, not the dead one (which waited longer)', async () => {
    const cond = new Condition(new Lock());
    const waiters = () => Atomics.load(wordsOf(cond), 2); // WAITERS (condition.ts)
    const kill = await dieIn('waitForever', cond);
    await waitUntil(() => waiters() === 1, 10_000, 'the doomed waiter to queue');
    await kill();
    expect(waiters()).toBe(1); // the dead waiter's node is still queued, first in line
    const ctl = ctlOf();
    const live = start<[boolean, number]>(FILE, 'waitWithin', { handle: cond.handle, ctl: ctl.buffer, timeout: 3_000 });
    await waitUntil(() => waiters() === 2, 10_000, 'the live waiter to queue');
    expect(cond.acquire(1_000)).toBe(true);
    cond.notify(1);
    cond.release();
    const [notified, elapsed] = await live.result;
    expect(notified).toBe(true);
    expect(elapsed).toBeLessThan(2_000);
    expect(waiters()).toBe(0);
  });

  test("a dead waiter's node is reclaimed when the Condition is full", async () => {
    const cond = new Condition(new Lock(), { maxWaiters: 1 });
    const kill = await dieIn('waitForever', cond);
    await waitUntil(() => Atomics.load(wordsOf(cond), 2) === 1, 10_000, 'the doomed waiter to queue');
    await kill();
    expect(cond.acquire(1_000)).toBe(true);
    const [notified, elapsed] = timed(() => cond.wait(50));
    cond.release();
    expect(notified).toBe(false);
    expectElapsed(elapsed, 50);
  });

  test('a notify never waits for the waiter list: owed while a pool worker keeps it, paid once it dies', async () => {
    const cond = new Condition(new Lock());
    const ctl = ctlOf();
    const waiter = start<[boolean, number]>(FILE, 'waitWithin', { handle: cond.handle, ctl: ctl.buffer, timeout: 8_000 }, { timeout: 15_000 });
    await waitUntil(() => Atomics.load(wordsOf(cond), 2) === 1, 10_000, 'the waiter to queue');
    const { buffer, byteOffset } = cond.handle;
    const kill = await dieIn('seizeWord', buffer, byteOffset, 1); // LIST, held by a live thread
    const notifier = start<number>(FILE, 'notifyOnce', { handle: cond.handle }, { timeout: 10_000 });
    expect(await notifier.result).toBeLessThan(1_000);
    await kill();
    const [notified, elapsed] = await waiter.result;
    expect(notified).toBe(true);
    expect(elapsed).toBeLessThan(6_000);
  });

  test('its waiter list, locked by a dead pool worker, is taken over and rebuilt', async () => {
    const cond = new Condition(new Lock());
    const { buffer, byteOffset } = cond.handle;
    await (await dieIn('seizeWord', buffer, byteOffset, 1))(); // LIST is word 1
    const ctl = ctlOf();
    const waiter = start<[boolean, number]>(FILE, 'waitWithin', { handle: cond.handle, ctl: ctl.buffer, timeout: 5_000 }, { timeout: 10_000 });
    await waitUntil(() => Atomics.load(wordsOf(cond), 2) === 1, 10_000, 'the waiter to queue');
    expect(cond.acquire(1_000)).toBe(true);
    cond.notify(1);
    cond.release();
    const [notified, elapsed] = await waiter.result;
    expect(notified).toBe(true);
    expect(elapsed).toBeLessThan(4_000);
  });
});

test('a Barrier whose lock a dead pool worker held is broken for the parties that come after', async () => {
  const b = new Barrier(2);
  const { buffer, byteOffset } = b.handle;
  await (await dieIn('seizeWord', buffer, byteOffset, 1))(); // LOCK is word 1 (barrier.ts)
  const party = start<[string, number]>(FILE, 'barrierWait', { handle: b.handle, timeout: 2_000 }, { timeout: 10_000 });
  const [outcome, elapsed] = await party.result;
  expect(outcome).toBe('BrokenBarrierError');
  expect(elapsed).toBeLessThan(1_000);
  expect(b.broken).toBe(true);
  b.reset();
  expect(b.broken).toBe(false);
});

describe("a Queue handed to a task, its worker terminated inside the queue (the README's pattern)", () => {
  test('the internal lock left held by the dead worker: the next put takes it over within its timeout', async () => {
    const q = new Queue<unknown>(8);
    q.put('kept');
    await (await dieIn('seizeWord', q.handle.buffer, q.handle.byteOffset, innerLockWord(q, 1)))();
    const putter = start<[string, number]>(FILE, 'putWithin', { handle: q.handle, item: 'after', timeout: 100 }, { timeout: 10_000 });
    const [outcome, elapsed] = await putter.result;
    expect(outcome).toBe('put');
    expect(elapsed).toBeLessThan(1_000);
    expect(q.get(0)).toBe('kept');
    expect(q.get(0)).toBe('after');
    expect(q.qsize()).toBe(0);
  });

  // A LifoQueue: its words are undo-logged under the lock and its getters wait on Conditions (a
  // Queue's ring settles a dead thread's claim instead: test/queue-ring.test.ts).
  test('a getter waiting in another thread takes the lock over after a dead half-done put and rolls it back', async () => {
    const q = new LifoQueue<unknown>(8);
    const getter = start<[unknown, number]>(FILE, 'getWithin', { handle: q.handle, timeout: 1_500 }, { timeout: 10_000 });
    await waitUntil(() => Atomics.load(wordsOf(q), innerLockWord(q, 3) + 1) === 1, 10_000, 'the getter to wait');
    const kill = await dieIn('halfPut', q.handle.buffer, q.handle.byteOffset, innerLockWord(q, 1));
    expect(q.qsize()).toBe(1); // the half-done put shows, until someone takes the lock over
    await kill();
    // The getter wakes (a dead thread holds its queue's lock), takes the lock over through its
    // Condition, rolls the put back, finds nothing and times out.
    const [outcome] = await getter.result;
    expect(outcome).toBe('Empty');
    expect(q.qsize()).toBe(0);
    q.put('after', 100);
    expect(q.get(0)).toBe('after');
  });

  test('terminated during a sync get/put loop: puts and gets go on, nothing duplicated, at most the item in its hands lost', async () => {
    const N = 6;
    const q = new Queue<unknown>(N + 1);
    // Items too big for a ring slot (SMALL bytes): their bytes go in chunks, under the lock.
    const originals = Array.from({ length: N }, (_, i) => `item ${i}`.padEnd(200, '.'));
    for (const x of originals) q.put(x);
    let heldAtDeath = 0;
    for (let round = 0; round < 40 && heldAtDeath < 3; round++) {
      const ex = victims.executor();
      const ctl = ctlOf();
      const f = ex.submit('rotate', q, ctl);
      const turns = 100 + Math.floor(Math.random() * 400);
      await waitUntil(() => Atomics.load(ctl, 0) >= turns, 10_000, 'the task to rotate the queue');
      const [worker] = workersOf(ex);
      const deadId = worker!.threadId + 1;
      await worker!.terminate();
      expect(await f.exception()).toBeInstanceOf(WorkerCrashedError);
      // Held by the dead thread at its death (the lock word's holder: rawlock.ts)?
      if ((Atomics.load(wordsOf(q), innerLockWord(q, 1)) & 0x7ffffffe) >>> 1 === deadId) heldAtDeath++;
      const putter = start<[string, number]>(FILE, 'putWithin', { handle: q.handle, item: `probe ${round}`, timeout: 100 }, { timeout: 10_000 });
      const [outcome, elapsed] = await putter.result;
      expect(outcome, `round ${round}`).toBe('put');
      expect(elapsed).toBeLessThan(1_000);
      const got: unknown[] = [];
      while (!q.empty()) got.push(q.get(100));
      expect(new Set(got).size, `round ${round}: ${JSON.stringify(got)}`).toBe(got.length);
      expect(got).toContain(`probe ${round}`);
      const back = got.filter((x) => originals.includes(x as string));
      expect(back.length, `round ${round}: ${JSON.stringify(got)}`).toBeGreaterThanOrEqual(N - 1);
      expect(back.length + 1).toBe(got.length);
      for (const x of originals) q.put(x, 1_000);
      for (let i = 0; i < got.length; i++) q.taskDone();
    }
    // Make sure the rounds did kill a worker inside the queue's critical section.
    expect(heldAtDeath).toBeGreaterThan(0);
  }, 60_000);
});

test('random kills of workers moving items between two user queues: no item twice, at most one lost per kill', async () => {
  const M = 1 << 20;
  const q = new Queue<number>(64);
  const back = new Queue<number>(); // every fourth id passes through here on its way
  const counts = new Int32Array(new SharedArrayBuffer(4 * M));
  const pool = victims.executor(3);
  let producing = true;
  let produced = 0;
  const produce = async () => {
    for (const end = performance.now() + 4_000; performance.now() < end && produced < M; produced++) await q.putAsync(produced, 10_000);
    producing = false;
  };
  const consumers: Future<unknown>[] = [];
  const feed = async () => {
    while (producing) {
      const batch = [0, 1, 2].map(() => pool.submit('consume', q, back, counts, 200));
      consumers.push(...batch);
      await Promise.allSettled(batch);
    }
  };
  let kills = 0;
  const kill = async () => {
    while (producing) {
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
      const ws = workersOf(pool);
      for (const w of ws.slice(0, Math.random() < 0.3 ? 2 : 1)) {
        void w.terminate();
        kills++;
      }
    }
  };
  await within(Promise.all([produce(), feed(), kill()]), 50_000, 'the run');
  await within(Promise.allSettled(consumers), 10_000, 'the consumers');
  for (const from of [q, back]) while (!from.empty()) Atomics.add(counts, await from.getAsync(1_000), 1);
  const seen = counts.subarray(0, produced);
  const twice = seen.filter((c) => c > 1).length;
  const lost = seen.filter((c) => c === 0).length;
  expect(twice).toBe(0);
  expect(kills).toBeGreaterThan(10);
  expect(lost).toBeLessThanOrEqual(kills);
}, 60_000);

describe("a Queue's waiter that died holding a wake-up", () => {
  // A LifoQueue's getters wait on a Condition, which wakes one (a Queue's ring wakes every
  // sleeper, so no wake-up is ever one thread's to lose).
  test('a getter woken by a put dies before it takes the item: a live getter gets it', async () => {
    const q = new LifoQueue<unknown>();
    const notEmptyWaiters = () => Atomics.load(wordsOf(q), innerLockWord(q, 3) + 1); // WAITERS
    const kill = await dieIn('getThenFreeze', q);
    expect(notEmptyWaiters()).toBe(1);
    const live = start<[unknown, number]>(FILE, 'getWithin', { handle: q.handle, timeout: 5_000 }, { timeout: 10_000 });
    await waitUntil(() => notEmptyWaiters() === 2, 10_000, 'the live getter to wait');
    q.put('x'); // its one wake-up goes to the oldest waiter: the frozen one, killed next
    await kill();
    const [item, elapsed] = await live.result;
    expect(item).toBe('x');
    expect(elapsed).toBeLessThan(4_000);
    expect(q.qsize()).toBe(0);
  });
});

describe('every timeout bounds the whole call: a live thread keeps an internal lock forever', () => {
  test("Queue put / get / putAsync / getAsync with timeout 100 return Full / Empty in time", async () => {
    const q = new Queue<unknown>();
    // Items too big for a ring slot (SMALL bytes): their bytes go in chunks, under the lock.
    const big = (s: string) => s.padEnd(200, '.');
    q.put(big('inside'));
    const ctl = ctlOf();
    const holder = start(FILE, 'seizeWord', { buffer: q.handle.buffer, byteOffset: q.handle.byteOffset, word: innerLockWord(q, 1), ctl: ctl.buffer }, { timeout: 60_000 });
    await waitUntil(() => Atomics.load(ctl, 0) === 1, 10_000, 'the live thread to hold the lock');
    const putter = start<[string, number]>(FILE, 'putWithin', { handle: q.handle, item: big('x'), timeout: 100 }, { timeout: 10_000 });
    const getter = start<[string, number]>(FILE, 'getWithin', { handle: q.handle, timeout: 100 }, { timeout: 10_000 });
    const [putOutcome, putElapsed] = await putter.result;
    expect(putOutcome).toBe('Full');
    expectElapsed(putElapsed, 100);
    const [getOutcome, getElapsed] = await getter.result;
    expect(getOutcome).toBe('Empty');
    expectElapsed(getElapsed, 100);
    const t0 = performance.now();
    await expect(within(q.putAsync(big('y'), 100), 5_000, 'putAsync')).rejects.toMatchObject({ name: 'Full' });
    await expect(within(q.getAsync(100), 5_000, 'getAsync')).rejects.toMatchObject({ name: 'Empty' });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(q.qsize()).toBe(1);
    await holder.worker.terminate();
  });

  // A LifoQueue's getters wait on a Condition's waiter list (a Queue's ring keeps none).
  test("a put's wake-up is left owed while a live pool worker keeps the waiter list; paid once that worker dies", async () => {
    const q = new LifoQueue<unknown>();
    const notEmpty = innerLockWord(q, 3); // its LIST; WAITERS is the next word
    const getter = start<[unknown, number]>(FILE, 'getWithin', { handle: q.handle, timeout: 8_000 }, { timeout: 15_000 });
    await waitUntil(() => Atomics.load(wordsOf(q), notEmpty + 1) === 1, 10_000, 'the getter to wait');
    const kill = await dieIn('seizeWord', q.handle.buffer, q.handle.byteOffset, notEmpty);
    const putter = start<[string, number]>(FILE, 'putWithin', { handle: q.handle, item: 'x', timeout: 100 }, { timeout: 10_000 });
    const [outcome, elapsed] = await putter.result;
    expect(outcome).toBe('put');
    expect(elapsed).toBeLessThan(1_000);
    await kill();
    const [item, waited] = await getter.result;
    expect(item).toBe('x');
    expect(waited).toBeLessThan(6_000);
  });

  test('Condition.wait(100) returns false in time while a live thread keeps its waiter list', async () => {
    const cond = new Condition(new Lock());
    const ctl = ctlOf();
    const { buffer, byteOffset } = cond.handle;
    const holder = start(FILE, 'seizeWord', { buffer, byteOffset, word: 1, ctl: ctl.buffer }, { timeout: 60_000 });
    await waitUntil(() => Atomics.load(ctl, 0) === 1, 10_000, 'the live thread to hold the list');
    const waiter = start<[boolean, number]>(FILE, 'waitWithin', { handle: cond.handle, ctl: ctlOf().buffer, timeout: 100 }, { timeout: 10_000 });
    const [notified, elapsed] = await waiter.result;
    expect(notified).toBe(false);
    expectElapsed(elapsed, 100);
    await holder.worker.terminate();
  });
});
