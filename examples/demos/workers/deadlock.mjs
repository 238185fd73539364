// Worker of the deadlock demo: take two locks in the given order, `rounds` times, with a timeout
// on each acquire; post back whether it had to give up.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

const { name, order: [first, second], rounds } = workerData;
const locks = { A: Lock.from(workerData.locks.A), B: Lock.from(workerData.locks.B) };
// Only in the deadlock round: both workers meet here while each holds its first lock.
const meet = workerData.meet ? Barrier.from(workerData.meet) : null;
const PATIENCE_MS = 1_000;
const narrate = rounds === 1;

// Straight to stdout (fd 1), so lines from different threads appear in the order they happen.
const say = (text) => writeSync(1, `  ${name}: ${text}\n`);

/** Take both locks, first then second; false if one could not be had within PATIENCE_MS. */
function round() {
  if (!locks[first].acquire(PATIENCE_MS)) {
    say(`gave up waiting for lock ${first}`);
    return false;
  }
  try {
    if (narrate) say(`holds lock ${first}`);
    meet?.wait(PATIENCE_MS);
    if (narrate) say(`holds lock ${first}, waits for lock ${second}...`);
    const t0 = performance.now();
    if (!locks[second].acquire(PATIENCE_MS)) {
      say(`gave up waiting for lock ${second} after ${Math.round(performance.now() - t0)} ms; releasing lock ${first}`);
      // Hold on until the other worker has given up too, so that both see the deadlock.
      meet?.wait(2 * PATIENCE_MS);
      return false;
    }
    locks[second].release(); // holding both: this is where the work protected by A and B goes
    return true;
  } finally {
    locks[first].release();
  }
}

let done = 0;
while (done < rounds && round()) done += 1;
if (!narrate && done === rounds) say(`${done.toLocaleString('en-US')} rounds, never stuck`);
parentPort.postMessage(done < rounds);
