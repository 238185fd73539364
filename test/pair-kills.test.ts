/**
 * The owner of a pool never blocks on a lock a dead thread may hold: with 4 busy workers and
 * two of them terminated at a time every 20–80 ms, the owner's event loop keeps running, every
 * task settles (completed, or failed with WorkerCrashedError) and the pool shuts down. The tasks
 * also use a user Queue and Lock, which still work afterwards, having lost at most the token a
 * dead worker had in hand.
 *
 * It runs in a child process with an outside timeout: an owner that freezes cannot time itself
 * out, so the test watches the process from outside and fails when it does not exit in time.
 */
import { expect, test } from 'vitest';
import { runNode } from './helpers/node-child.js';

const SCRIPT = new URL('./fixtures/pair-kills.mjs', import.meta.url);

test('pair kills under load: the owner never freezes, no task is lost', async () => {
  const { code, signal, stdout: out, stderr: err } = await runNode(SCRIPT, ['8000'], { timeout: 30_000 });
  expect(signal, `the owner froze (killed after 30 s); stderr: ${err}`).toBeNull();
  expect(code, `stderr: ${err}`).toBe(0);
  type Totals = Record<'tasks' | 'completed' | 'crashed' | 'other' | 'lost' | 'kills' | 'worstGap' | 'tokensLost', number>;
  const r = JSON.parse(out.trim().split('\n').pop()!) as Totals & Record<'lockWorks' | 'queueWorks' | 'distinct', boolean>;
  expect(r.kills).toBeGreaterThanOrEqual(40);
  expect(r.lost).toBe(0);
  expect(r.other).toBe(0);
  expect(r.completed + r.crashed).toBe(r.tasks);
  expect(r.crashed).toBeLessThanOrEqual(r.kills);
  // The owner's event loop kept turning: no 10 ms tick was late by seconds.
  expect(r.worstGap).toBeLessThan(3_000);
  expect(r).toMatchObject({ lockWorks: true, queueWorks: true, distinct: true });
  expect(r.tokensLost).toBeLessThanOrEqual(r.crashed);
}, 60_000);
