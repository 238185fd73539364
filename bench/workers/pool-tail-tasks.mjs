// Task module of bench/pool-tail.mjs: each round's task stamps when it ran and on which worker.
import { readlinkSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

let ran;

/** Initializer: the stamps' buffer, Float64 [ran at (ms, timeOrigin-corrected), worker's threadId] per round. */
export function attach(sab) {
  ran = new Float64Array(sab);
}

/** Round `i`: stamp it; returns i + 1. A negative `i` (warm-up) stamps nothing. */
export function stamp(i) {
  if (i >= 0) {
    ran[2 * i] = performance.timeOrigin + performance.now();
    ran[2 * i + 1] = threadId;
  }
  return i + 1;
}

/** This thread's Linux task id (to tell the pool's workers from V8's threads in /proc), or 0. */
export function tid() {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}
