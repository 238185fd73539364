// The FIFO Queue's ring (src/queue/ring.ts "Positions") when a put stops between its publish and
// its move of TAIL (killed, or preempted) while other threads go on from their hints: TAIL is
// left behind, and the queue's public answers (qsize, empty, taskDone, a put's room, FIFO order,
// API.md "Queue") must still count the items it holds. Threads are stopped inside the ring at
// chosen instants (test/fixtures/ring-positions.mjs), in a small ring (TAIL moved at every
// position) and in a ring of 128 slots (TAIL moved at each 32nd position only).
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'ring-positions.mjs';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown): Running<T> {
  const r = start<T>(F, fn, data, { timeout: 30_000 });
  running.push(r);
  return r;
}

// A scenario passes the handle it read once, before it began: `Queue.handle` reads `qsize()`,
// which moves TAIL on past published slots (#settledTail), so a handle read before each stop
// would do the ring's work for it and hide a TAIL left behind (the puts killed at every 32nd
// position of a lap passed on a ring that left TAIL a lap behind, for that reason alone).

/** A put of `x` at position `p` killed between its publish and its move of TAIL. */
async function killPublished(handle: Queue<number>['handle'], p: number, x: number): Promise<void> {
  const r = run('diePublished', { handle, p, x });
  await waitUntil(() => r.progress.includes('published'), 10_000, 'the publish');
  await r.worker.terminate();
}

/**
 * Pass items 0..n-1 through `q` one by one (one producer and one consumer, FIFO: after each put
 * the item before is got): this thread puts them, but for the positions in `killed`, whose puts
 * are killed between their publish and their move of TAIL. The queue then holds [n - 1].
 */
async function passKilling(q: Queue<number>, killed: readonly number[], n: number): Promise<void> {
  const handle = q.handle;
  for (let i = 0; i < n; i++) {
    if (killed.includes(i)) await killPublished(handle, i, i);
    else q.put(i, 1000);
    if (i > 0) expect(q.get(1000)).toBe(i - 1);
  }
}

/** Release a fixture waiting on `flag`. */
function release(flag: SharedArrayBuffer): void {
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
}

describe('a small ring (TAIL moved at every position) whose put was killed between its publish and its move of TAIL', () => {
  // Another put claims from its hint past TAIL (#fastClaimPut): it moves TAIL from wherever it
  // is, else TAIL stays at the killed put's position and, once the positions run a lap past it,
  // #settledTail cannot walk it on (the slot reads t + CAP + 1, neither t + 1 nor t + CAP).
  /** Kill a put between its publish of `0` and its move of TAIL; then pass items 1..10 through one by one: the queue holds [10]. */
  async function lapPastKilledPublish(q: Queue<number>): Promise<void> {
    // Through a ring of 4 slots: more than a lap.
    await passKilling(q, [0], 11);
  }

  it('qsize and empty count the item held', async () => {
    const q = new Queue<number>(4);
    await lapPastKilledPublish(q);
    expect(q.qsize()).toBe(1);
    expect(q.empty()).toBe(false);
  });

  it('taskDone counts the items put (11: the killed put published its item)', async () => {
    const q = new Queue<number>(4);
    await lapPastKilledPublish(q);
    for (let i = 0; i < 10; i++) q.taskDone();
    expect(q.get(1000)).toBe(10);
    q.taskDone();
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
  });

  it('a put from another thread finds the room there is (3 of 4 slots free)', async () => {
    const q = new Queue<number>(4);
    await lapPastKilledPublish(q);
    const r = run<string>('putOne', { handle: q.handle, x: 42, timeout: 2000 });
    expect(await r.result).toBe('ok');
    expect(q.get(1000)).toBe(10);
    expect(q.get(1000)).toBe(42);
  });

  // ring.ts #getSlow: a get that meets a put's claim at HEAD's slot answers EMPTY: the claim is
  // at HEAD (a put claims less than a lap past HEAD). Moving HEAD past it would skip that item
  // for every get that starts from HEAD, and the next one would be got before it.
  it("a get that meets a live put's claim at HEAD does not move HEAD past it: FIFO for one producer", async () => {
    const q = new Queue<number>(4);
    await lapPastKilledPublish(q);
    expect(q.get(1000)).toBe(10);
    // A put of 11 at position 11 (the next), preempted between its claim and its publish.
    const flag = new SharedArrayBuffer(4);
    const put = run<string>('holdPut', { handle: q.handle, p: 11, x: 11, flag });
    await waitUntil(() => put.progress.includes('inside'), 10_000, 'the claim');
    // The queue is empty meanwhile (nothing published after 10).
    expect(await run('getOne', { handle: q.handle, timeout: 200 }).result).toBe('Empty');
    release(flag);
    expect(await put.result).toBe('published');
    // Then this thread (the same producer's order: 11 was put first) puts 12.
    q.put(12, 1000);
    expect(await run('getOne', { handle: q.handle, timeout: 2000 }).result).toBe(11);
    expect(await run('getOne', { handle: q.handle, timeout: 2000 }).result).toBe(12);
  });

  // No death needed: a live put preempted between its publish and its move of TAIL while the
  // other producer's puts (from its hint) run a lap.
  it('the same with the first put preempted, not killed: qsize counts the item held', async () => {
    const q = new Queue<number>(4);
    const flag = new SharedArrayBuffer(4);
    const late = run<boolean>('publishLate', { handle: q.handle, x: 0, flag });
    await waitUntil(() => late.progress.includes('published'), 10_000, 'the publish');
    for (let i = 1; i <= 10; i++) {
      q.put(i, 1000);
      expect(q.get(1000)).toBe(i - 1);
    }
    release(flag);
    await late.result;
    expect(q.qsize()).toBe(1);
    expect(q.get(1000)).toBe(10);
    expect(q.qsize()).toBe(0);
  });
});

describe('a ring of 128 slots (TAIL moved at each 32nd position only) whose puts stopped between their publish and their move of TAIL', () => {
  // Only the put of each 32nd position moves TAIL (from wherever it is): one put stopped there
  // leaves TAIL behind until the next 32nd position. Puts stopped at every 32nd position of a
  // lap would leave it a lap behind, but for the rule that a put never claims a lap or more past
  // TAIL (#fastClaimPut; the slow way moves TAIL on first).

  /** The answers of a queue through which items 0..n-1 passed one by one, holding [n - 1]. */
  async function expectHolds(q: Queue<number>, n: number): Promise<void> {
    expect(q.qsize()).toBe(1);
    expect(q.empty()).toBe(false);
    for (let i = 0; i < n - 1; i++) q.taskDone();
    // A thread with no hint of its own finds the room there is.
    expect(await run<string>('putOne', { handle: q.handle, x: -1, timeout: 2000 }).result).toBe('ok');
    expect(q.qsize()).toBe(2);
    expect(await run('getOne', { handle: q.handle, timeout: 2000 }).result).toBe(n - 1);
    expect(q.get(1000)).toBe(-1);
    q.taskDone();
    q.taskDone();
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
    expect(q.qsize()).toBe(0);
  }

  // The next two hold on a ring built before the rule above too (one stop leaves TAIL less
  // than a lap behind, and a lazy move went from wherever TAIL was already): they guard the
  // lazy moves, not that rule.
  it('one put killed at a 32nd position: the next 32nd position moves TAIL on (two laps after)', async () => {
    const q = new Queue<number>(128);
    await passKilling(q, [31], 300);
    await expectHolds(q, 300);
  });

  it('one put preempted at a 32nd position for two laps: its late move does not take TAIL back', async () => {
    const q = new Queue<number>(128);
    for (let i = 0; i < 31; i++) {
      q.put(i, 1000);
      if (i > 0) expect(q.get(1000)).toBe(i - 1);
    }
    const flag = new SharedArrayBuffer(4);
    const late = run<boolean>('publishLate', { handle: q.handle, p: 31, x: 31, flag });
    await waitUntil(() => late.progress.includes('published'), 10_000, 'the publish');
    expect(q.get(1000)).toBe(30);
    for (let i = 32; i < 300; i++) {
      q.put(i, 1000);
      expect(q.get(1000)).toBe(i - 1);
    }
    expect(q.qsize()).toBe(1);
    release(flag);
    expect(await late.result).toBe(false);
    await expectHolds(q, 300);
  });

  // What this proves: with every put that would move TAIL killed, nothing but the claim rule
  // moves it, and nothing else reads the queue until the pass is over. On a ring whose puts
  // claimed a lap past TAIL (built before that rule) the put of 128 reuses slot(TAIL), which
  // then reads 129 (neither 1 nor 128): #settledTail cannot walk on, and the queue holding 149
  // answers qsize 0 (and the rest of expectHolds fails with it).
  it('puts killed at every 32nd position of a lap: TAIL a lap behind is moved on before a claim (qsize, taskDone, room)', async () => {
    const q = new Queue<number>(128);
    const handle = q.handle;
    // Killed at 31, 63, 95 and 127; the others put and got by one worker from its hints (its
    // first tries), 128..149 with no 32nd position among them.
    const killed = [31, 63, 95, 127];
    const flag = new SharedArrayBuffer(4);
    const pass = run<string>('passWaiting', { handle, n: 150, killed, flag });
    const f = new Int32Array(flag);
    for (const p of killed) {
      await waitUntil(() => pass.progress.includes(`kill ${p}`), 10_000, `the puts before ${p}`);
      await killPublished(handle, p, p);
      Atomics.store(f, 0, p + 1);
      Atomics.notify(f, 0);
    }
    expect(await pass.result).toBe('ok');
    await expectHolds(q, 150);
  });
});
