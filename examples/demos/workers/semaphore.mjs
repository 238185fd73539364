// Worker of the semaphore demo: wait for a permit, "download" for a while, give it back.
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { workerData } from 'node:worker_threads';
import { Lock, Semaphore } from 'sabsync';

const { id, slotCount } = workerData;
const slots = Semaphore.from(workerData.slots);
const board = new Int32Array(workerData.board); // [running now, most running at once]
const boardLock = Lock.from(workerData.boardLock);
const RUNNING = 0;
const MOST = 1;
const PATIENCE_MS = 10_000;

// Straight to stdout (fd 1), so lines from different threads appear in the order they happen.
const say = (text) => writeSync(1, `  worker ${id}: ${text}\n`);

/** Add `change` to the running count and print the line, as one step. */
function update(change, what) {
  boardLock.acquire();
  try {
    board[RUNNING] += change;
    board[MOST] = Math.max(board[MOST], board[RUNNING]);
    const bar = '#'.repeat(board[RUNNING]).padEnd(slotCount, '.');
    say(`${what.padEnd(20)} [${bar}] ${board[RUNNING]} running`);
  } finally {
    boardLock.release();
  }
}

if (!slots.acquire(PATIENCE_MS)) throw new Error(`worker ${id} got no permit within ${PATIENCE_MS} ms`);
try {
  update(+1, 'starts downloading');
  await sleep(250 + 50 * (id % 3));
  update(-1, 'done');
} finally {
  slots.release();
}
