// Lesson 3, 5.3: wait(all_task, return_when=FIRST_COMPLETED), then print("main"): the main
// thread goes on as soon as one task has finished (without return_when it waits for all).
//
// Python printed get page 2 success, main, then, while the interpreter waited at exit for the
// pool, get page 3 success and get page 4 success. Ours prints the same; the waiting at the end
// is our shutdown({ wait: true }).
import { Executor, FIRST_COMPLETED, wait } from 'sabsync';
import { print, sleep, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'wait(FIRST_COMPLETED): go on after the first task, the others finish later';

export function getHtml(times) {
  sleep(times);
  print(`get page ${times} success`);
  return times;
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: 2 });
  try {
    await warmUp(executor, 2); // both workers running, as a Python pool's threads are at once
    const allTask = [3, 2, 4].map((url) => executor.submit('getHtml', url));
    await wait(allTask, { returnWhen: FIRST_COMPLETED });
    print('main');
  } finally {
    await executor.shutdown({ wait: true });
  }
}
