// Lesson 2 ("key points"): threading.Thread(target=f, args=(...)); t.start(); t.join() — "parent
// and child threads synchronise mainly through join". And the lesson's two points on the GIL:
// in CPython only one thread runs Python code at a time, so (1) every object is thread-safe and
// (2) threads help only programs that mostly wait for I/O; CPU-bound work gets slower.
//
// The lesson shows no output. Ours starts two threads that each do the same CPU-bound sum,
// joins them and prints what they returned (t.result: the target's return value), then does
// the same two sums one after the other on the main thread. Neither of the GIL points holds for
// JavaScript threads: they run in parallel (two threads take about as long as one sum when two
// cores are free — the times are printed, not promised, on a busy machine), and no object is
// shared at all: each worker has its own heap, and what threads do share (shared memory) is
// not protected by anything — see gil-race and rlock-counter.
import { Barrier, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Thread(target, args): start, join, result — and what the GIL points mean here';

const N = 20_000_000;

/** CPU-bound work: the sum of i % 7 for i < n. */
function sum(n) {
  let total = 0;
  for (let i = 0; i < n; i++) total += i % 7;
  return total;
}

/**
 * The thread's target: warm up (compile `sum`), meet the other threads at `go`, then sum.
 * Both steps before `go` keep start-up and compiling out of the timing.
 */
export function crunch(n, go) {
  sum(n / 10);
  go.wait();
  return sum(n);
}

export async function main() {
  const go = new Barrier(3); // the two threads and the main thread
  const threads = [1, 2].map((k) => new Thread(new URL(import.meta.url), 'crunch', { args: [N, go], name: `crunch-${k}` }));
  for (const t of threads) t.start();
  go.wait(); // both threads are running and warm: the clock starts now
  let t0 = performance.now();
  for (const t of threads) t.join(); // the main thread waits here until each has ended
  const parallel = performance.now() - t0;
  for (const t of threads) print(`${t.name} returned ${t.result}`);

  sum(N / 10); // warm up here too
  t0 = performance.now();
  sum(N);
  sum(N);
  const serial = performance.now() - t0;
  print(`two threads at once: ${parallel.toFixed(0)} ms; the same two sums one after the other: ${serial.toFixed(0)} ms`);
}
