// The classic deadlock: two workers each need locks A and B, and take them in opposite order.
// Acquire timeouts catch it; taking the locks in one agreed order fixes it.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

export const title = 'two workers taking two locks in opposite order, caught by acquire timeouts';

const worker = new URL('./workers/deadlock.mjs', import.meta.url);
const ROUNDS = 50_000;
const fmt = (n) => n.toLocaleString('en-US');

export async function main() {
  const locks = { A: new Lock().handle, B: new Lock().handle };

  console.log('Worker 1 takes lock A, then lock B. Worker 2 takes lock B, then lock A.');
  console.log('(A Barrier makes both hold their first lock before reaching for the second — in a');
  console.log(' real program that happens only now and then, by bad timing, which is what makes');
  console.log(' deadlocks hard to find.)\n');
  const meet = new Barrier(2).handle;
  const stuck = await run([
    { name: 'worker 1', order: ['A', 'B'], locks, meet, rounds: 1 },
    { name: 'worker 2', order: ['B', 'A'], locks, meet, rounds: 1 },
  ]);
  console.log('\n  Deadlock: each worker holds the lock the other one waits for, so neither can ever');
  console.log('  go on. Without a timeout both would wait forever; acquire(timeout) returned false');
  console.log('  instead, and each worker let go of what it held.');
  if (stuck !== 2) throw new Error(`expected both workers to time out, ${stuck} did`);

  console.log(`\nThe fix: one order for everybody — both workers take A, then B (${fmt(ROUNDS)} rounds each):`);
  const timeouts = await run([
    { name: 'worker 1', order: ['A', 'B'], locks, rounds: ROUNDS },
    { name: 'worker 2', order: ['A', 'B'], locks, rounds: ROUNDS },
  ]);
  console.log('  Whoever holds A is the only one who can be waiting for B, so a cycle of waiting');
  console.log('  (the deadlock) cannot form.');
  if (timeouts !== 0) throw new Error(`${timeouts} workers timed out taking the locks in order`);
}

/** Run the workers; return how many of them gave up on a lock. */
async function run(jobs) {
  const workers = jobs.map((workerData) => new Worker(worker, { workerData }));
  const gaveUp = await Promise.all(workers.map(resultOf));
  return gaveUp.filter(Boolean).length;
}

/** Wait for a worker to exit; return the (last) message it posted: its result. */
async function resultOf(worker) {
  let result;
  worker.on('message', (message) => (result = message));
  await once(worker, 'exit');
  return result;
}
