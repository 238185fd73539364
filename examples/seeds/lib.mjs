// What the seed lessons share: Python's time.sleep, print and time.time, for JavaScript threads.
//
// The lessons' Python sleeps for whole seconds; here one of those seconds is SECOND ms (a
// twentieth), so the forty lessons together run in well under half a minute. The proportions stay the same, so an
// elapsed time printed in "seconds" (elapsed() below) reads like the lesson's.
import { writeSync } from 'node:fs';
import { Barrier } from 'sabsync';

/** One second of the lessons' Python, in milliseconds here. */
export const SECOND = 50;

// A word nobody ever changes or notifies: waiting on it is a pure, blocking sleep.
const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * Python's time.sleep(seconds), scaled by SECOND: block this thread. Atomics.wait parks the
 * thread in the kernel; other threads keep running (there is no GIL to hand over). On the main
 * thread it freezes the event loop too, as the lessons' sleeping main threads do.
 */
export function sleep(seconds) {
  Atomics.wait(nap, 0, 0, seconds * SECOND);
}

/** The same sleep without blocking: a timer, for async code (the event loop keeps running). */
export function sleepAsync(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * SECOND));
}

/**
 * Python's print, for any thread: one synchronous write to stdout, so lines from different
 * threads come out in the order they were printed (a worker's console.log is forwarded through
 * the main thread and can arrive late, or not at all if the main thread is blocked).
 */
export function print(...parts) {
  const bytes = Buffer.from(`${parts.join(' ')}\n`);
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(1, bytes, off);
    } catch (error) {
      if (error?.code !== 'EAGAIN') throw error; // a full pipe: try again
    }
  }
}

/** Python's time.time() differences: a clock that reads the lesson's seconds since it started. */
export function stopwatch() {
  const t0 = performance.now();
  return () => (performance.now() - t0) / SECOND;
}

/** The lesson's seconds with two decimals, as the lessons print them (`last time: 4.01`). */
export function secs(seconds) {
  return seconds.toFixed(2);
}

/** Python's repr of a dict: {0: 0, 'a': 1}. */
export function pyDict(entries) {
  return `{${[...entries].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Python's repr of a number, string, boolean or null. */
export function pyRepr(x) {
  if (typeof x === 'string') return `'${x}'`;
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return String(x);
}

/**
 * A pool task that returns once `workers` workers each run one: submitted once per worker by
 * warmUp, it holds every worker until all have started. (A lesson re-exports it: a task must be
 * an export of the pool's module.)
 */
export function ready(everyone) {
  everyone.wait(30_000);
}

/**
 * Start every worker of an Executor or Pool before the lesson's clock starts. A Python pool
 * thread starts in microseconds; a JavaScript worker takes tens of milliseconds (more on a busy
 * machine), which would shift the lessons' timings and the order their tasks finish in.
 */
export async function warmUp(pool, workers) {
  const everyone = new Barrier(workers);
  const jobs = Array.from({ length: workers }, () => ('submit' in pool ? pool.submit('ready', everyone) : pool.apply('ready', [everyone])));
  await Promise.all(jobs);
}
