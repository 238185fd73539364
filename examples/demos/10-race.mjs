// The race: two workers update one shared counter a million times each, one adding and one
// subtracting. Without a lock updates get lost; with a Lock the counter ends exactly at 0.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

export const title = 'a shared counter, a million += 1 and -= 1, without a lock and with a Lock';

const worker = new URL('./workers/race.mjs', import.meta.url);
const TIMES = 1_000_000;
const RUNS_WITHOUT_LOCK = 3;
const MAX_RUNS_WITHOUT_LOCK = 10;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function main() {
  console.log('One counter in shared memory (an Int32Array over a SharedArrayBuffer), two workers:');
  console.log(`  "add"  does counter[0] += 1, ${fmt(TIMES)} times`);
  console.log(`  "desc" does counter[0] -= 1, ${fmt(TIMES)} times`);
  console.log('Every +1 has its -1, so the counter should end at 0.\n');

  console.log('Without a lock:');
  let wrongRuns = 0;
  let unlockedMs = 0;
  // Three runs, more (up to MAX_RUNS_WITHOUT_LOCK) if none of them came out wrong.
  for (let run = 1; run <= RUNS_WITHOUT_LOCK || (wrongRuns === 0 && run <= MAX_RUNS_WITHOUT_LOCK); run++) {
    const { value, ms } = await race(null);
    if (value !== 0) wrongRuns += 1;
    unlockedMs = Math.max(unlockedMs, ms);
    const verdict = value === 0 ? 'right this time, by luck' : `wrong by ${fmt(Math.abs(value))}`;
    console.log(`  run ${run}: counter = ${fmt(value).padStart(10)}   ${verdict}`);
  }
  console.log('  counter[0] += 1 is three steps: read the value, add 1, write it back. When both');
  console.log('  workers do it at the same time, one writes over what the other just wrote, and');
  console.log('  that update is lost. How many get lost, and which way, changes from run to run —');
  console.log('  and a run can even come out right, which is what makes such bugs hard to catch.');

  console.log('\nWith a Lock around each update (lock.acquire(); counter[0] += 1; lock.release()):');
  const { value, ms } = await race(new Lock());
  console.log(`  counter = ${value}`);
  if (value !== 0) throw new Error(`the counter ended at ${value} even with a Lock`);
  console.log('  Exactly 0: only one worker at a time can be between acquire() and release(), so each');
  console.log('  read-add-write finishes before the other worker reads. The price is time: every update');
  console.log(`  now also takes and hands over the lock (${fmt(ms)} ms here, against ${fmt(unlockedMs)} ms without).`);
}

/** Run "add" and "desc" together on a fresh counter; return its final value and the time taken. */
async function race(lock) {
  const counter = new Int32Array(new SharedArrayBuffer(8)); // [the counter, workers ready to go]
  // Both workers wait at this Barrier, so they start counting at the same moment instead of
  // one finishing before the other has even started.
  const start = new Barrier(2);
  const workers = [+1, -1].map(
    (delta) => new Worker(worker, { workerData: { counter: counter.buffer, delta, times: TIMES, lock: lock?.handle, start: start.handle } }),
  );
  const times = await Promise.all(workers.map(resultOf));
  return { value: counter[0], ms: Math.max(...times) };
}

/** Wait for a worker to exit; return the (last) message it posted: its result. */
async function resultOf(worker) {
  let result;
  worker.on('message', (message) => (result = message));
  await once(worker, 'exit');
  return result;
}
