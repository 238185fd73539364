// Semaphore: eight workers want to download a page each, but a Semaphore(3) lets only three
// of them at a time into the "download" part.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Lock, Semaphore } from 'sabsync';

export const title = 'a Semaphore(3) capping how many of 8 workers run at once';

const worker = new URL('./workers/semaphore.mjs', import.meta.url);
const WORKERS = 8;
const SLOTS = 3;

export async function main() {
  const slots = new Semaphore(SLOTS);
  // The scoreboard: [running now, most running at once], updated under its own Lock so that
  // each line printed matches the count it shows.
  const board = new Int32Array(new SharedArrayBuffer(8));
  const boardLock = new Lock();

  console.log(`${WORKERS} workers, one "download" each (~300 ms); Semaphore(${SLOTS}): at most ${SLOTS} at a time.\n`);
  const workers = Array.from(
    { length: WORKERS },
    (_, i) => new Worker(worker, { workerData: { id: i + 1, slots: slots.handle, board: board.buffer, boardLock: boardLock.handle, slotCount: SLOTS } }),
  );
  await Promise.all(workers.map((w) => once(w, 'exit')));

  console.log(`\n  Most workers running at once: ${board[1]} (the Semaphore's value was ${SLOTS}).`);
  console.log('  acquire() takes one of the semaphore\'s permits, waiting while there are none left;');
  console.log('  release() gives it back and wakes one waiter. The other workers queue meanwhile.');
  if (board[1] > SLOTS) throw new Error(`${board[1]} workers ran at once, more than ${SLOTS}`);
  if (slots.value !== SLOTS) throw new Error(`the semaphore ended at ${slots.value}, not ${SLOTS}`);
}
