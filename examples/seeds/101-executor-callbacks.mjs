// Lesson 1 ("thread pools and process pools"), sections 1.3 and 1.4: four tasks that take 1, 2, 3
// and 4 seconds on a pool of four, each with a done-callback `parse` that takes one more second;
// shutdown(wait=True), then print the time taken.
//
// Python printed `time: 5.03` (shown for the process pool; the lesson's rule gives the same for
// the thread pool): the tasks run side by side, so the longest (4 s) ends last and its callback
// adds 1 s. A thread pool runs the
// callbacks in its worker threads, a process pool in the main process — here that makes no
// difference, since no two tasks finish at the same time. Ours prints about the same: the
// Executor is both (its workers are threads that run in parallel), and like a process pool it
// runs every callback on the thread that owns it, here the main thread. Each task prints
// `<worker name> running...` where Python printed its process id (the same pid for every task of
// the thread pool, four pids for the process pool); ours prints four names, as the process pool.
import { currentThread, Executor } from 'sabsync';
import { print, secs, sleep, stopwatch, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'Executor(4): tasks of 1..4 s with a 1 s done-callback each, about 5 s in all';

/** The task: say who runs it, "work" for i seconds, return 100. */
export function task(i) {
  print(`${currentThread().name} running...`);
  sleep(i);
  return 100;
}

/** The done-callback: "parse" the result for one second. It runs on the main thread. */
function parse(future) {
  sleep(1);
  return future;
}

export async function main() {
  const pool = new Executor(new URL(import.meta.url), { maxWorkers: 4 });
  await warmUp(pool, 4); // all four workers running: the clock times the tasks, not thread starts
  const elapsed = stopwatch();
  for (let i = 1; i < 5; i++) {
    const future = pool.submit('task', i); // returns a Future at once
    future.addDoneCallback(parse); // parse(future) runs once the task has finished
  }
  await pool.shutdown({ wait: true }); // no more tasks; wait for those submitted
  print(`time: ${secs(elapsed())}`);
}
