// Lesson 4 ("concurrency in Python: threads and processes"), multiprocessing.Pool: a pool of one
// process per CPU (the default), apply_async(worker, args=(i,)) for i in range(5); close() (no
// more tasks after it); join().
//
// The lesson shows no output (its worker is not given). Ours: each worker prints `Worker: i`,
// naming the pool thread that ran it; the five lines come in whatever order the workers reach
// them. Pool() with no `workers` has one worker per usable core, as Python's.
import { currentThread, Pool } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'Pool(): applyAsync five times, close, join';

export function worker(num) {
  sleep(0.5);
  print(`Worker: ${num}   (${currentThread().name})`);
}

export async function main() {
  const p = new Pool(new URL(import.meta.url));
  for (let i = 0; i < 5; i++) p.applyAsync('worker', [i]);
  p.close(); // after close() no more applyAsync
  await p.join();
}
