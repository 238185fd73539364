// Task module of the kill soak (run.mjs). One task: record its start, do CPU work, take the
// shared user Lock, then put an item on the shared user Queue and get one back — every blocking
// call with a timeout, so that a user primitive left wedged by a dead worker is counted, not
// hung on (without a Lock and a Queue, only the CPU work). Some tasks call process.exit in the
// middle of it (`exitAt`).
import { Empty, Full } from 'sabsync';

/** Where a task exits on purpose (0: it does not). */
export const EXIT_IN_CPU = 1;
export const EXIT_IN_LOCK = 2;
export const EXIT_BETWEEN_PUT_AND_GET = 3;

/**
 * Task `id`: `starts[id]++` first (a value above 1 means the task ran twice), `iters` steps of
 * CPU work, the Lock (its holder writes its tag into `holder[0]` and finds it still there at
 * the end, or two threads held the Lock at once; a dead holder's tag is simply overwritten),
 * a put and a get on the Queue. Returns what happened.
 */
export function work(id, starts, holder, lock, queue, iters, waitMs, exitAt) {
  Atomics.add(starts, id, 1);
  let x = id | 1;
  for (let i = 0; i < iters; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  if (exitAt === EXIT_IN_CPU) process.exit(3);
  const out = { id, x, lockTimeout: 0, queueTimeout: 0, overlap: 0 };
  if (lock === undefined) return out;
  if (lock.acquire(waitMs)) {
    try {
      Atomics.store(holder, 0, id + 1);
      if (exitAt === EXIT_IN_LOCK) process.exit(4);
      for (let i = 0; i < 1000; i++) x ^= i;
      if (Atomics.load(holder, 0) !== id + 1) out.overlap = 1;
    } finally {
      lock.release();
    }
  } else out.lockTimeout = 1;
  try {
    queue.put(id, waitMs);
  } catch (error) {
    if (!(error instanceof Full)) throw error;
    out.queueTimeout++;
  }
  if (exitAt === EXIT_BETWEEN_PUT_AND_GET) process.exit(5);
  try {
    queue.get(waitMs);
  } catch (error) {
    if (!(error instanceof Empty)) throw error;
    out.queueTimeout++;
  }
  return out;
}
