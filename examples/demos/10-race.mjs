// The race: two workers update one shared counter a million times each, one adding and one
// subtracting. Without a lock updates get lost; with a Lock the counter ends exactly at 0.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

export const title = 'a shared counter, a million += 1 and -= 1, without a lock and with a Lock';

const worker = new URL('./workers/race.mjs', import.meta.url);
const TIMES = 1_000_000;
const RUNS_WITHOUT_LOCK = 3;
const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function main() {
  console.log('One counter in shared memory (an Int32Array over a SharedArrayBuffer), two workers:');
  console.log(`  "add"  does counter[0] += 1, ${fmt(TIMES)} times`);
  console.log(`  "desc" does counter[0] -= 1, ${fmt(TIMES)} times`);
  console.log('Every +1 has its -1, so the counter should end at 0.\n');

  console.log('Without a lock:');
  let lost = 0;
  for (let run = 1; run <= RUNS_WITHOUT_LOCK; run++) {
    const { value, ms } = await race(null);
    lost += value === 0 ? 0 : 1;
    console.log(`  run ${run}: counter = ${fmt(value).padStart(8)}   ${value === 0 ? 'right, by luck' : `wrong by ${fmt(Math.abs(value))}`}   (${fmt(ms)} ms)`);
  }
  console.log('  counter[0] += 1 is three steps: read the value, add 1, write it back. When both');
  console.log('  workers read the same value, the second write wipes out the first: that update is');
  console.log('  lost. How many get lost, and in which direction, changes from run to run.');
  if (lost === 0) console.log('  (All runs came out right this time: the workers happened not to overlap.)');

  console.log('\nWith a Lock around each update (lock.acquire(); counter[0] += 1; lock.release()):');
  const { value, ms } = await race(new Lock());
  console.log(`  counter = ${value}   (${fmt(ms)} ms)`);
  if (value !== 0) throw new Error(`the counter ended at ${value} even with a Lock`);
  console.log('  Exactly 0: only one worker at a time can be between acquire() and release(), so each');
  console.log('  read-add-write finishes before the other worker reads. The price is time: every');
  console.log('  update now also takes and hands over the lock.');
}

/** Run "add" and "desc" together on a fresh counter; return its final value and the time taken. */
async function race(lock) {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  // Both workers wait at this Barrier, so they start counting at the same moment instead of
  // one finishing before the other has even started.
  const start = new Barrier(2);
  const workers = [+1, -1].map(
    (delta) => new Worker(worker, { workerData: { counter: counter.buffer, delta, times: TIMES, lock: lock?.handle, start: start.handle } }),
  );
  const times = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0]));
  await Promise.all(workers.map((w) => once(w, 'exit')));
  return { value: counter[0], ms: Math.max(...times) };
}
