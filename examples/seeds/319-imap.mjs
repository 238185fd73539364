// Lesson 3, 6.6: imap and imap_unordered over [1, 5, 3] on a pool of cpu_count() workers.
//
// Python printed (on two cores or more) `1 sleep success`, `5 sleep success`, `3 sleep success`
// for imap (argument order: 3 waits for 5), then `1 sleep success`, `3 sleep success`,
// `5 sleep success` for imap_unordered (the order they finish in); each task also printed
// `sub_progress success` when it finished. Ours prints the same, with Pool(cpuCount()).
import { cpuCount, Pool } from 'sabsync';
import { print, sleep, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'Pool.imap (argument order: 1, 5, 3) and imapUnordered (finishing order: 1, 3, 5)';

export function getHtml(n) {
  sleep(n);
  print('sub_progress success');
  return n;
}

export async function main() {
  const pool = new Pool(new URL(import.meta.url), { workers: cpuCount() });
  try {
    await warmUp(pool, cpuCount()); // every worker running, so finishing order follows the sleeps
    print('imap:');
    for await (const result of pool.imap('getHtml', [1, 5, 3])) {
      print(`${result} sleep success`);
    }
    print('imap_unordered:');
    for await (const result of pool.imapUnordered('getHtml', [1, 5, 3])) {
      print(`${result} sleep success`);
    }
  } finally {
    pool.close();
    await pool.join();
  }
}
