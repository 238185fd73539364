import { afterEach, describe, expect, it } from 'vitest';
import { LifoQueue, PriorityQueue, Queue } from 'sabsync';
import { blocked, sleepEntries, untilBlocked } from './helpers/blocked.js';
import { start, type Running } from './helpers/workers.js';

// join() after shutdown(false) (Python 3.13's shutdown(immediate=False)) still waits for every
// item's taskDone, asleep, not looking again and again; shutdown(true) discards the queued
// items, counts them done and so releases it (unless items got earlier are still unfinished).

const F = 'queue.mjs';
/** How long a worker may take at most: a joiner never released fails instead of hanging. */
const LONG = 10_000;

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function joiner(q: { readonly handle: unknown }, useAsync: boolean): Running<string> {
  const r = start<string>(F, 'joinOnce', { handle: q.handle, useAsync }, { timeout: LONG });
  running.push(r);
  return r;
}

// A joiner that stays parked: `sleepEntries` (helpers/blocked.ts) sees it enter a sleep in at most
// one of its 5 windows; one that looks again at once, over and over, in all 5.
const KINDS = [['sync', false], ['async', true]] as const;

describe('Queue: join() after shutdown(false) with items unfinished', () => {
  it.each(KINDS)('a %s joiner stays parked, then the remaining taskDone()s release it', async (_, useAsync) => {
    const q = new Queue<number>(4);
    q.put(1);
    q.put(2);
    q.put(3);
    expect(q.get(0)).toBe(1);
    q.shutdown(false);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    expect(await sleepEntries(q, 'join')).toBeLessThanOrEqual(1);
    // The items left are got after the shutdown (drained), each marked done: the last releases it.
    expect([q.get(0), q.get(0)]).toEqual([2, 3]);
    q.taskDone();
    q.taskDone();
    expect(blocked(q, 'join')).toBe(1);
    q.taskDone();
    expect(await j.result).toBe('joined');
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
  }, 30_000);

  it.each(KINDS)('a %s joiner parked before the shutdown(false) sleeps on after it', async (_, useAsync) => {
    const q = new Queue<number>(4);
    q.put(1);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    q.shutdown(false);
    expect(await sleepEntries(q, 'join')).toBeLessThanOrEqual(1);
    expect(q.get(0)).toBe(1);
    q.taskDone();
    expect(await j.result).toBe('joined');
  }, 30_000);

  it.each(KINDS)('a %s joiner is released by a later shutdown(true), which discards the items and counts them done', async (_, useAsync) => {
    const q = new Queue<number>(4);
    q.put(1);
    q.put(2);
    q.shutdown(false);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    q.shutdown(true);
    expect(await j.result).toBe('joined');
    expect(q.qsize()).toBe(0);
  }, 30_000);

  it.each(KINDS)('a %s joiner parked on a live queue is released by shutdown(true)', async (_, useAsync) => {
    const q = new Queue<number>(4);
    q.put(1);
    q.put(2);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    q.shutdown(true);
    expect(await j.result).toBe('joined');
  }, 30_000);

  it('shutdown(true) with an item got and not done: the joiner stays parked until its taskDone', async () => {
    const q = new Queue<number>(4);
    q.put(1);
    q.put(2);
    expect(q.get(0)).toBe(1);
    const j = joiner(q, false);
    await untilBlocked(q, 1, 'join');
    q.shutdown(true);
    expect(await sleepEntries(q, 'join')).toBeLessThanOrEqual(1);
    expect(blocked(q, 'join')).toBe(1);
    q.taskDone();
    expect(await j.result).toBe('joined');
  }, 30_000);
});

describe.each([['LifoQueue', () => new LifoQueue<number>(4)], ['PriorityQueue', () => new PriorityQueue<[number, number]>(4)]] as const)('%s: join() and shutdown', (_, make) => {
  const item = (x: number): never => (_ === 'PriorityQueue' ? [x, x] : x) as never;

  it.each(KINDS)('after shutdown(false) a %s joiner waits for the last taskDone', async (_k, useAsync) => {
    const q = make();
    q.put(item(1));
    q.put(item(2));
    q.shutdown(false);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    q.get(0);
    q.taskDone();
    expect(blocked(q, 'join')).toBe(1);
    q.get(0);
    q.taskDone();
    expect(await j.result).toBe('joined');
  }, 30_000);

  it.each(KINDS)('a %s joiner is released by shutdown(true)', async (_k, useAsync) => {
    const q = make();
    q.put(item(1));
    q.put(item(2));
    q.shutdown(false);
    const j = joiner(q, useAsync);
    await untilBlocked(q, 1, 'join');
    q.shutdown(true);
    expect(await j.result).toBe('joined');
  }, 30_000);
});
