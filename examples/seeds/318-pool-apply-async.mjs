// Lesson 3, 6.5: a process pool of cpu_count() workers; result = pool.apply_async(get_html,
// args=(3,)); pool.close(); pool.join() (close must come before join); print(result.get()).
//
// Python printed `sub_progress success`, then 3. Ours prints the same. cpuCount() is
// multiprocessing.cpu_count(): the cores this process may use.
import { cpuCount, Pool } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'Pool(cpuCount()): applyAsync, close, join, then get';

export function getHtml(n) {
  sleep(n);
  print('sub_progress success');
  return n;
}

export async function main() {
  const pool = new Pool(new URL(import.meta.url), { workers: cpuCount() });
  const result = pool.applyAsync('getHtml', [3]); // submit the task
  pool.close(); // no more tasks...
  await pool.join(); // ...and wait until every task has finished
  print(await result.get());
}
