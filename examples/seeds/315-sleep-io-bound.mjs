// Lesson 3, 6.2: for I/O-bound work, threads do as well as processes. Thirty tasks that each
// sleep 2 seconds, three at a time: on a ThreadPoolExecutor(3), then a ProcessPoolExecutor(3).
//
// Python printed `exe result: 2` thirty times and about 20 s for each pool (30 × 2 s / 3).
// Ours: thirty tasks of half a second (so the lesson stays short; 30 × 0.5 / 3 = 5 of the
// lesson's seconds) on an Executor of three, about 5. There is only one kind of pool here.
// What JavaScript adds: waiting needs no thread at all. One thread that starts thirty timers
// and awaits them all waits half a second in total: the event loop waits for all at once.
import { asCompleted, Executor } from 'sabsync';
import { print, secs, sleep, sleepAsync, stopwatch, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'thirty sleeps: three at a time on an Executor (≈ 5) vs. thirty timers on one thread (≈ 0.5)';

export function randomSleep(n) {
  sleep(n);
  return n;
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: 3 });
  try {
    await warmUp(executor, 3);
    const elapsed = stopwatch();
    const allTask = Array.from({ length: 30 }, () => executor.submit('randomSleep', 0.5));
    const results = [];
    for await (const future of asCompleted(allTask)) results.push(await future.result());
    print(`exe result: ${results.join(' ')}`);
    print(`last time is: ${secs(elapsed())}   (Executor, 3 workers)`);
  } finally {
    await executor.shutdown({ wait: true });
  }

  const elapsed = stopwatch();
  const results = await Promise.all(Array.from({ length: 30 }, async () => (await sleepAsync(0.5), 0.5)));
  print(`exe result: ${results.join(' ')}`);
  print(`last time is: ${secs(elapsed())}   (one thread, thirty timers)`);
}
