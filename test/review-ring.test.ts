// Findings of a review of the FIFO Queue's ring (src/queue/ring.ts), each a failing test of
// the contract (API.md "Queue"): threads stopped inside the ring at chosen instants, then the
// queue's public answers checked against the items it holds.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'review-ring.mjs';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown): Running<T> {
  const r = start<T>(F, fn, data, { timeout: 30_000 });
  running.push(r);
  return r;
}

describe('a small ring (TAIL moved at every position) whose put was killed between its publish and its move of TAIL', () => {
  // ring.ts #publish: a ring under 128 slots moves TAIL by CAS(t -> t + 1) only; a put that
  // claims from its hint past TAIL (#fastClaimPut) never moves a TAIL left behind, so TAIL stays
  // at the killed put's position; once the positions run a lap past it, #settledTail cannot
  // walk it on (the slot reads t + CAP + 1, neither t + 1 nor t + CAP) and answers TAIL.
  /** Kill a put between its publish of `0` and its move of TAIL; then pass items 1..10 through one by one: the queue holds [10]. */
  async function lapPastKilledPublish(q: Queue<number>): Promise<void> {
    const r = run('diePublished', { handle: q.handle, x: 0 });
    await waitUntil(() => r.progress.includes('published'), 10_000, 'the publish');
    await r.worker.terminate();
    // One producer and one consumer (this thread), one item at a time, FIFO after the killed
    // put's 0, through a ring of 4 slots: more than a lap.
    for (let i = 1; i <= 10; i++) {
      q.put(i, 1000);
      expect(q.get(1000)).toBe(i - 1);
    }
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

  // ring.ts #getSlow: a get that meets a put's claim at HEAD's slot takes it for the next lap's
  // (HEAD left behind) unless #settledTail() is HEAD; with TAIL a lap behind it is not, so HEAD
  // is moved past a position whose put is still under way: that item is skipped by every get
  // that starts from HEAD, and the next one is got before it.
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
    const f = new Int32Array(flag);
    Atomics.store(f, 0, 1);
    Atomics.notify(f, 0);
    expect(await put.result).toBe('published');
    // Then this thread (the same producer's order: 11 was put first) puts 12.
    q.put(12, 1000);
    expect(await run('getOne', { handle: q.handle, timeout: 2000 }).result).toBe(11);
    expect(await run('getOne', { handle: q.handle, timeout: 2000 }).result).toBe(12);
  });

  // No death needed: a live put preempted between its publish and its CAS of TAIL while the
  // other producer's puts (from its hint) run a lap leaves TAIL as far behind.
  it('the same with the first put preempted, not killed: qsize counts the item held', async () => {
    const q = new Queue<number>(4);
    const flag = new SharedArrayBuffer(4);
    const late = run<boolean>('publishLate', { handle: q.handle, x: 0, flag });
    await waitUntil(() => late.progress.includes('published'), 10_000, 'the publish');
    for (let i = 1; i <= 10; i++) {
      q.put(i, 1000);
      expect(q.get(1000)).toBe(i - 1);
    }
    const f = new Int32Array(flag);
    Atomics.store(f, 0, 1);
    Atomics.notify(f, 0);
    await late.result;
    expect(q.qsize()).toBe(1);
    expect(q.get(1000)).toBe(10);
    expect(q.qsize()).toBe(0);
  });
});
