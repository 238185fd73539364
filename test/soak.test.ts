// The kill soak (test/soak/soak.mjs; `npm run soak` runs it for minutes), bounded to about
// 10–15 s: an Executor of 4 workers whose tasks do CPU work, share a user Lock and Queue and
// sometimes call process.exit, while the owner terminates workers singly and in pairs. It runs
// in child processes under an outside watch, so a hang fails the test instead of hanging it.
// Node 20 aborting the process (SIGABRT, a worker terminated during its start-up) is recorded
// and the round run again; any other failure fails the test.
import { expect, it } from 'vitest';
import { runNode } from './helpers/node-child.js';

interface SoakResult {
  ok: boolean;
  reasons: string[];
  submitted: number;
  completed: number;
  kills: number;
  aborts: { seed: number; message: string }[];
}

it('kill soak, bounded: no task lost or run twice, no wedged user primitive, no hang', async () => {
  const args = ['--tasks', '1200', '--kills', '60', '--rounds', '1', '--seconds', '15', '--graceMs', '8000', '--json'];
  const run = await runNode(new URL('./soak/soak.mjs', import.meta.url), args, { timeout: 100_000 });
  expect(run.timedOut, run.stdout).toBe(false);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as SoakResult;
  for (const abort of result.aborts) console.warn(`kill soak: Node aborted a round (seed ${abort.seed}), run again:\n${abort.message}`);
  expect(result.reasons, run.stdout).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.completed).toBeGreaterThan(0);
  expect(result.kills).toBeGreaterThan(0);
}, 110_000);
