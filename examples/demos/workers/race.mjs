// Worker of the race demo: add `delta` to the shared counter `times` times, with or without a
// Lock, and post back how long that took (ms).
import { parentPort, workerData } from 'node:worker_threads';
import { Barrier, Lock } from 'sabsync';

const { delta, times } = workerData;
const counter = new Int32Array(workerData.counter); // [the counter, workers ready to go]
const READY = 1;
const lock = workerData.lock ? Lock.from(workerData.lock) : null;
const start = Barrier.from(workerData.start);

// Set off together with the other worker: sleep in the Barrier until it has started too, then
// spin until it is awake as well (waking up takes a while, and a million plain updates only a
// few milliseconds: one worker could be done before the other one runs).
start.wait(10_000);
Atomics.add(counter, READY, 1);
while (Atomics.load(counter, READY) < 2);
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
