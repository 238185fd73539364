// Task module for the progress, imap and abort demos: tasks that read currentTask().
import { currentTask } from 'sabsync';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Block this worker for `ms` milliseconds: a stand-in for a slice of CPU-bound work. */
function work(ms) {
  Atomics.wait(pause, 0, 0, ms);
}

/**
 * A long synchronous job in `steps` slices of `ms` each: reports its progress (0..1) after
 * every slice and stops at the first slice after an abort, throwing the abort reason.
 * `task.aborted` reads shared memory: this loop never returns to its event loop, yet sees it.
 */
export function crunch(steps, ms) {
  const task = currentTask();
  for (let step = 1; step <= steps; step++) {
    task.throwIfAborted();
    work(ms);
    task.progress(step / steps);
  }
  return steps * ms;
}

/** A small job for imap: the square of x, after a little work. */
export function square(x) {
  work(1);
  return x * x;
}
