// The task module of the speed-up demo's Pool: every pool worker (a module Web Worker) imports
// it; the page names its exports. `arrive` is the pool's initializer: it runs once in each
// worker, before any task, and takes the worker a slot in the page's shared tally, where each
// task then counts itself (the page draws the bars from there on every frame).

/** The shared tally: [workers arrived, then per slot s: tasks done (1 + 2s), busy ms (2 + 2s)]. */
let tally;
let slot;

/** The pool's initializer: take a slot, compile fib, say this worker is here. */
export function arrive(words) {
  tally = new Int32Array(words);
  fib(20);
  slot = Atomics.add(tally, 0, 1);
}

/** The naive Fibonacci: exponential, pure CPU. */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** fib(n) for task i, counted in this worker's slot of the tally. */
export function fibTask({ i, n }) {
  const t0 = performance.now();
  const value = fib(n);
  Atomics.add(tally, 2 + 2 * slot, Math.round(performance.now() - t0));
  Atomics.add(tally, 1 + 2 * slot, 1);
  return { i, value, slot };
}
