// Lesson 3 ("threads, processes, thread pools"), 5.1: done(), cancel() and result() of a Future.
// executor = ThreadPoolExecutor(max_workers=2); task1 = submit(get_html, 3); task2 =
// submit(get_html, 2); print(task1.done()); print(task2.cancel()); time.sleep(3);
// print(task1.done()); print(task1.result()).
//
// Python printed False, False (task2 is already running: cancel() only stops a task that has
// not started), then `get page 2 success`, `get page 3 success`, True and 3. Ours prints the
// same, with two differences in how we get there:
// - A Python pool thread starts in microseconds and takes its task at once; a JavaScript worker
//   takes tens of milliseconds to start. So we start both workers first, and before cancel()
//   we wait until task2 reports running(): called earlier, cancel() would still find it queued
//   and succeed (print True).
// - The main thread waits with a timer, not a blocking sleep: a future learns of its result on
//   its owner's event loop, so a main thread frozen in a sleep would still see done() false.
//   Python's sleep(3) races the 3 s task (and usually loses by a hair); ours, after its 3 s,
//   gives the result the moment it takes to reach the main thread.
import { Executor } from 'sabsync';
import { print, sleep, sleepAsync, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'Future: done(), cancel() of a running task, result()';

export function getHtml(times) {
  sleep(times);
  print(`get page ${times} success`);
  return times;
}

/** Resolve once check() is true (polled every millisecond), or throw after `ms`. */
export async function until(check, ms = 5_000) {
  for (const end = performance.now() + ms; !check(); await sleepAsync(0.01)) {
    if (performance.now() > end) throw new Error(`still not so after ${ms} ms`);
  }
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: 2 });
  try {
    await warmUp(executor, 2);
    const task1 = executor.submit('getHtml', 3); // submit returns at once
    const task2 = executor.submit('getHtml', 2);
    print(task1.done() ? 'True' : 'False'); // not finished yet
    await until(() => task2.running());
    print(task2.cancel() ? 'True' : 'False'); // too late: it is running
    await sleepAsync(3);
    await until(() => task1.done()); // the result's way to this thread
    print(task1.done() ? 'True' : 'False');
    print(await task1.result());
  } finally {
    await executor.shutdown({ wait: true });
  }
}
