// Lesson 0 ("process pools and thread pools in Python"), first example: a pool made by hand,
// one thread per task. Ten threads run func(i, return_dict): sleep a second, print i << 2, store
// i * i in the dict they share; the main thread joins them all and prints the dict.
//
// Python printed 0, 4, 8, ... 36 in an order that changes from run to run, then the dict, keys
// in the order the threads stored them. The lesson's point: "threads share the main thread's
// variables". A JavaScript thread shares none of its creator's variables: each worker has its
// own heap. What threads share is shared memory, so the dict is a SharedDict (what Python's
// Manager().dict() gives processes), passed to each thread as an argument; it arrives live.
// Ours prints the same lines, in an order that changes just as much.
import { SharedDict, Thread } from 'sabsync';
import { print, pyDict, sleep } from './lib.mjs';

export const title = 'ten threads, one shared dict: a pool made by hand';

/** The thread's target (threading.Thread(target=func, args=(i, return_dict))). */
export function func(x, returnDict) {
  sleep(1);
  print(x << 2);
  returnDict.set(String(x), x * x);
}

export async function main() {
  const pool = [];
  const returnDict = new SharedDict();
  for (let i = 0; i < 10; i++) {
    const p = new Thread(new URL(import.meta.url), 'func', { args: [i, returnDict] });
    p.start();
    pool.push(p);
  }
  for (const p of pool) p.join();
  // SharedDict keys are strings; Python's were ints. Print them as ints, sorted for reading
  // (Python's dict printed them in the order the threads stored them).
  print(pyDict(returnDict.entries().map(([k, v]) => [Number(k), v]).sort(([a], [b]) => a - b)));
}
