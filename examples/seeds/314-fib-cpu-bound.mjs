// Lesson 3, 6.1: for CPU-bound work, processes beat threads. fib(n) for n in 25..39, first on a
// ThreadPoolExecutor(3), then on a ProcessPoolExecutor(3); print each result as it completes,
// then the time.
//
// Python printed the fifteen results twice, and the process pool took about a third of the
// thread pool's time: CPython's GIL lets one thread run Python code at a time, so three threads
// compute no faster than one; three processes compute in parallel.
// JavaScript has no GIL: worker threads run in parallel, one per core, so our Executor is both
// of Python's pools at once. To show what the GIL costs, we run the same Executor with one
// worker (what a Python thread pool amounts to for CPU work) and with three. The speed-up is
// bounded by the cores the machine can spare (two here, and busy): printed, not promised.
// (n from 25 to 34 keeps the lesson short; fib(39) alone would take half a second.)
import { asCompleted, Executor } from 'sabsync';
import { print, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'fib(25..34): one worker (a GIL-bound thread pool) vs. three in parallel';

export function fib(n) {
  return n <= 2 ? 1 : fib(n - 1) + fib(n - 2);
}

async function run(workers) {
  const executor = new Executor(new URL(import.meta.url), { maxWorkers: workers });
  try {
    await warmUp(executor, workers);
    const start = performance.now();
    const allTask = [];
    for (let num = 25; num < 35; num++) allTask.push(executor.submit('fib', num));
    for await (const future of asCompleted(allTask)) {
      print(`exe result: ${await future.result()}`);
    }
    const ms = performance.now() - start;
    print(`last time is: ${(ms / 1000).toFixed(2)} s   (${workers} worker${workers > 1 ? 's' : ''})`);
    return ms;
  } finally {
    await executor.shutdown({ wait: true });
  }
}

export async function main() {
  const one = await run(1);
  const three = await run(3);
  print(`speed-up with three workers: ×${(one / three).toFixed(2)}`);
}
