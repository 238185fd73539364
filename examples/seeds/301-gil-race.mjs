// Lesson 3 ("threads, processes, thread pools"), the GIL: `total += 1` is several bytecodes
// (the lesson shows them with dis: load total, add 1, store total), and CPython's GIL switches
// threads between bytecodes by a time slice. So two threads, one adding 1 a million times and
// one subtracting 1 a million times, leave `total` at some number other than 0, a different one
// on each run.
//
// Python printed such a number (the lesson's point: the GIL is not held for the whole function).
// JavaScript has no GIL: the two threads run at the same moment on two cores, and
// `total[0] += 1` on shared memory is the same three steps (read, add, write), so updates are
// lost far more often: ours prints a number far from 0, different on every run. (0 is still
// possible — on a machine too busy to run both threads at once.) A module-level `let total` would
// not be shared at all — each thread has its own heap — so `total` is an Int32Array over a
// SharedArrayBuffer. The fix for a single counter in JavaScript is one indivisible step,
// Atomics.add: the second run prints 0 every time. (A Lock is the general fix: rlock-counter.)
import { Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'total += 1 and total -= 1, a million times each in two threads: the race';

const TIMES = 1_000_000;
const READY = 1; // total[READY]: threads ready to start; both wait for each other (threads start tens of ms apart)

function startTogether(total) {
  Atomics.add(total, READY, 1);
  while (Atomics.load(total, READY) < 2); // a million updates take milliseconds: start at the same moment
}

export function add(total) {
  startTogether(total);
  for (let i = 0; i < TIMES; i++) total[0] += 1;
}

export function desc(total) {
  startTogether(total);
  for (let i = 0; i < TIMES; i++) total[0] -= 1;
}

export function addAtomic(total) {
  startTogether(total);
  for (let i = 0; i < TIMES; i++) Atomics.add(total, 0, 1);
}

export function descAtomic(total) {
  startTogether(total);
  for (let i = 0; i < TIMES; i++) Atomics.sub(total, 0, 1);
}

function race(up, down) {
  const total = new Int32Array(new SharedArrayBuffer(8));
  const thread1 = new Thread(new URL(import.meta.url), up, { args: [total] });
  const thread2 = new Thread(new URL(import.meta.url), down, { args: [total] });
  thread1.start();
  thread2.start();
  thread1.join();
  thread2.join();
  return total[0];
}

export async function main() {
  print(race('add', 'desc'));
  print(race('addAtomic', 'descAtomic'), '  (with Atomics.add / Atomics.sub)');
}
