// Task module for the pool demos: every named export can be run by a Pool or Executor worker.

/** The naive Fibonacci: exponential, pure CPU — the classic pool workload. */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** "Download" a page: wait `ms` milliseconds (an async task: the worker's timers run), return its size. */
export async function fetchPage(url, ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { url, bytes: url.length * 1000 + ms };
}

/** Add 1 to counter[0] `times` times, each time under `lock` (both arrive live from the owner). */
export function addUnderLock(counter, lock, times) {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    counter[0] += 1;
    lock.release();
  }
  return times;
}

/** The same without the lock: updates get lost when two workers collide. */
export function addUnlocked(counter, times) {
  for (let i = 0; i < times; i++) counter[0] += 1;
  return times;
}
