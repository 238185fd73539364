// Lesson 4 ("concurrency in Python: threads and processes"), multiprocessing: a subclass of
// Process named in its constructor, its work in run() printing `Worker: %d. pid: %d`; five of
// them started, then joined.
//
// Python (2, by its print statement) would print five `Worker: ... pid: ...` lines in any order,
// each with its own pid — had the lesson defined `num`, which run() uses but nobody sets. Ours:
// run() becomes a target function, the name the `name` option, the pid the thread's ident; it
// prints the five lines, in an order that changes from run to run.
import { currentThread, Process } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'five Process "subclasses": a target and a name each';

/** MyProcess.run */
export function run() {
  print(`Worker: ${currentThread().name}. ident: ${currentThread().ident}`);
}

export async function main() {
  const jobs = [0, 1, 2, 3, 4].map((i) => new Process(new URL(import.meta.url), 'run', { name: String(i) }));
  for (const p of jobs) p.start();
  for (const p of jobs) p.join();
}
