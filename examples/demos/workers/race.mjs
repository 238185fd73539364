// Worker of the race demo: add `delta` to the shared counter `times` times, with or without a
// Lock, and post back how long that took (ms).
import { parentPort, workerData } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

const { delta, times } = workerData;
const counter = new Int32Array(workerData.counter);
const lock = workerData.lock ? Lock.from(workerData.lock) : null;
const start = Barrier.from(workerData.start);

start.wait(10_000); // set off together with the other worker
const t0 = performance.now();
if (lock) {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    counter[0] += delta; // the same plain, non-atomic update, now one worker at a time
    lock.release();
  }
} else {
  for (let i = 0; i < times; i++) {
    counter[0] += delta; // read, add, write: another worker can slip in between
  }
}
parentPort.postMessage(performance.now() - t0);
