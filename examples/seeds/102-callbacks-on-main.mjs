// Lesson 1, section 1.4, the last example: four tasks that all take 5 seconds on a process pool
// of four, each with a 1 s done-callback. Python printed `time: 9.03`: the four tasks end
// together, and the main process, which runs every callback of a process pool, runs the four
// callbacks one after the other (5 + 4 × 1). The lesson's fix: no callback; let the workers do
// the parsing.
//
// Ours prints the same two stories: about 9 with the callbacks (our Executor runs every
// callback on the thread that owns it, and a callback that blocks holds up the next), then
// about 6 when each worker parses its own result (5 + 1, all four in parallel). (The lesson
// submits task(i) to a task() that takes no argument, which would fail; ours takes none.)
import { currentThread, Executor } from 'sabsync';
import { print, secs, sleep, stopwatch, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'Executor(4): four 5 s tasks, callbacks on the main thread (9 s) vs. parsing in the workers (6 s)';

export function task() {
  print(`${currentThread().name} running...`);
  sleep(5);
  return 100;
}

/** The fix: the task parses its own result, in its own worker, in parallel with the others. */
export function taskThenParse() {
  return parse(task());
}

function parse(result) {
  sleep(1);
  return result;
}

/** Four tasks of `fn` at once, with or without the callback; the time until all are done. */
async function run(pool, fn, withCallback) {
  const elapsed = stopwatch();
  const futures = [];
  for (let i = 1; i < 5; i++) {
    const future = pool.submit(fn);
    if (withCallback) future.addDoneCallback(parse);
    futures.push(future);
  }
  await Promise.all(futures);
  if (withCallback) await new Promise((resolve) => setImmediate(resolve)); // the last callback has run
  return elapsed();
}

export async function main() {
  const pool = new Executor(new URL(import.meta.url), { maxWorkers: 4 });
  try {
    await warmUp(pool, 4);
    print(`time: ${secs(await run(pool, 'task', true))}   (callbacks on the main thread, one after another)`);
    print(`time: ${secs(await run(pool, 'taskThenParse', false))}   (each worker parses its own result)`);
  } finally {
    await pool.shutdown({ wait: true }); // the lesson's shutdown(wait=True)
  }
}
