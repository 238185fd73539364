// The pool's wake rule (slots.ts): one idle worker at a time watches the task channel, the
// others sleep on WAKE, and whoever puts tasks wakes a sleeper unless the watcher will take
// them, so no queued task waits for a taker while a worker is free.
import { afterEach, describe, expect, it } from 'vitest';
import { Executor } from 'sabsync';
import { SLEEPING } from './helpers/internals.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-tasks.mjs', import.meta.url);
const open: Executor[] = [];
function executor(maxWorkers: number): Executor {
  // Every worker started at once and kept (an Executor starts them on demand by default).
  const ex = new Executor(tasks, { maxWorkers, minWorkers: maxWorkers });
  open.push(ex);
  return ex;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

/**
 * The pool's control block (CURRENT[w] is word w): a check that workers `ws` all sleep, and what
 * workers 0 and 1 are doing (for a failure's message).
 */
async function control(ex: Executor): Promise<((ws: number[]) => boolean) & { states: () => string }> {
  const words = new Int32Array(await ex.submit<SharedArrayBuffer>('controlBlock'));
  const asleep = (ws: number[]) => ws.every((w) => Atomics.load(words, w) === SLEEPING);
  return Object.assign(asleep, { states: () => `CURRENT [${Atomics.load(words, 0)}, ${Atomics.load(words, 1)}] (SLEEPING ${SLEEPING})` });
}

describe('idle workers and the wake rule', () => {
  it('tasks put while every worker sleeps wake as many workers as they need', async () => {
    const ex = executor(3);
    const asleep = await control(ex);
    for (let round = 0; round < 5; round++) {
      await waitUntil(() => asleep([0, 1, 2]), 10_000, 'all three workers asleep');
      // Three calls that wait for each other: they finish only if three workers run them at once.
      const arrived = new Int32Array(new SharedArrayBuffer(4));
      const who = await Promise.all([0, 1, 2].map(() => ex.submit<[number, unknown]>('meetInit', arrived, 3)));
      expect(new Set(who.map(([thread]) => thread)).size).toBe(3);
    }
  });

  it('a task put while one worker is busy and the other sleeps runs at once on the sleeper', async () => {
    const ex = executor(2);
    const asleep = await control(ex);
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const started = new Int32Array(new SharedArrayBuffer(4));
    const held = ex.submit('startThenGate', started, gate, 'held');
    try {
      await waitUntil(() => Atomics.load(started, 0) === 1, 10_000, 'the first task to start');
      for (let i = 0; i < 20; i++) {
        // Wait for the free worker to fall asleep (past its watch), then give it a task.
        expect(held.done()).toBe(false);
        await waitUntil(() => asleep([0]) || asleep([1]), 10_000, () => `the free worker asleep before task ${i}: ${asleep.states()}`);
        expect(await ex.submit<number>('add', i, 1).result(5_000)).toBe(i + 1);
      }
    } finally {
      // Opened whatever happened, so that a failure above does not also hang the shutdown.
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    }
    expect(await held).toBe('held');
  });
});
