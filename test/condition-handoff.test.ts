/**
 * The Condition's hand-off: a notify leaves the waiter's wake-up to the notifier's next release
 * of the lock (futex.ts `wakeLater`), so the waiter finds the lock free. Stressed with many
 * workers taking turns the Python way, over each lock a Condition stands on; the same harness
 * with a notify left out must report the lost wake-up (proof that it can fail). And the
 * wake-up still arrives when another thread releases the notifier's Lock for it.
 */
import { describe, expect, test } from 'vitest';
import { Condition, Event, Lock, RLock } from 'sabsync';
import { waitersOf } from './helpers/blocked.js';
import { runMany, start, waitUntil } from './helpers/workers.js';

const WORKERS = 6;
const TURNS = 1_500;

type Outcome = number | { lost: number; seq: number } | { stopped: number };

async function roundRobin(cond: Condition, skipEvery = 0): Promise<{ outcomes: Outcome[]; seq: number }> {
  const state = new SharedArrayBuffer(8);
  const outcomes = await runMany<Outcome>(WORKERS, 'handoff.mjs', 'roundRobin', { handle: cond.handle, state, workers: WORKERS, turns: TURNS, skipEvery }, 30_000);
  return { outcomes, seq: new Int32Array(state)[0]! };
}

describe('Condition hand-off under stress: 6 workers x 1,500 turns, acquire / waitFor / notifyAll / release', () => {
  test.each([
    ['its default RLock', () => new Condition()],
    ['a Lock', () => new Condition(new Lock())],
    ['an RLock', () => new Condition(new RLock())],
  ])('over %s: every turn taken in order, no lost wake-up, the lock free at the end', async (_, make) => {
    const cond = make();
    const { outcomes, seq } = await roundRobin(cond);
    expect(outcomes).toEqual(Array(WORKERS).fill(TURNS));
    expect(seq).toBe(WORKERS * TURNS);
    expect(cond.acquire(0)).toBe(true);
    cond.release();
    expect(waitersOf(cond)).toEqual([]);
  });

  test('the same harness reports a lost wake-up when a notify is left out (broken twin)', async () => {
    const { outcomes } = await roundRobin(new Condition(new Lock()), 997);
    expect(outcomes.some((o) => typeof o === 'object' && 'lost' in o)).toBe(true);
  });
});

describe("a notify's wake-up arrives when another thread releases the notifier's Lock", () => {
  test.each(['park', 'loop'])('the notifier then %s', async (then) => {
    const cond = new Condition(new Lock());
    const waiter = start<boolean>('handoff.mjs', 'waitOnce', { handle: cond.handle, timeout: 10_000 });
    await waitUntil(() => waitersOf(cond).length === 1, 10_000, 'the waiter on the list');
    const held = new Int32Array(new SharedArrayBuffer(4));
    const done = new Event();
    const notifier = start('handoff.mjs', 'notifyAndHand', { handle: cond.handle, held: held.buffer, done: done.handle, then });
    await waitUntil(() => Atomics.load(held, 0) === 1, 10_000, 'the notifier to hold the lock');
    expect(waitersOf(cond)).toEqual([]);
    // A Python Lock may be released by any thread: this one releases the notifier's.
    cond.lock.release();
    expect(await waiter.result).toBe(true);
    done.set();
    expect(await notifier.result).toBe(true);
  });
});
