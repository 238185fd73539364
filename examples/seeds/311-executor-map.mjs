// Lesson 3, 5.2.2: executor.map. The same three tasks (3, 2, 4 s, two workers); map yields the
// results in the order of the arguments, whatever order they finish in.
//
// Python printed get page 2 success, get page 3 success, get 3 page, get 2 page, get page 4
// success, get 4 page. Ours prints the same. (The lesson's snippet uses `urls` from the one
// before; here it is [3, 2, 4] again.)
import { Executor } from 'sabsync';
import { print, sleep, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'Executor.map: results in argument order (3, 2, 4)';

export function getHtml(times) {
  sleep(times);
  print(`get page ${times} success`);
  return times;
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: 2 });
  try {
    await warmUp(executor, 2); // both workers running, as a Python pool's threads are at once
    for await (const data of executor.map('getHtml', [3, 2, 4])) {
      print(`get ${data} page`);
    }
  } finally {
    await executor.shutdown({ wait: true });
  }
}
