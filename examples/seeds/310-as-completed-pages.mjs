// Lesson 3, 5.2.1: as_completed. Tasks of 3, 2 and 4 seconds on a pool of two; print each
// result as its task finishes.
//
// Python printed, in this order: get page 2 success, get 2 page, get page 3 success, get 3 page,
// get page 4 success, get 4 page (the 4 s task starts when the 2 s one frees a worker). Ours
// prints the same. asCompleted yields the futures themselves, as Python's does.
import { asCompleted, Executor } from 'sabsync';
import { print, sleep, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'asCompleted: results in the order the tasks finish (2, 3, 4)';

export function getHtml(times) {
  sleep(times);
  print(`get page ${times} success`);
  return times;
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: 2 });
  try {
    await warmUp(executor, 2); // both workers running, as a Python pool's threads are at once
    const urls = [3, 2, 4];
    const allTask = urls.map((url) => executor.submit('getHtml', url));
    for await (const future of asCompleted(allTask)) {
      const data = await future.result();
      print(`get ${data} page`);
    }
  } finally {
    await executor.shutdown({ wait: true });
  }
}
