/**
 * An undo log in shared memory, for a structure whose writer may die mid-operation (the Queue's
 * store.ts and the shared containers' storage.ts). Words, as each layout places them:
 *
 *   undo          pairs in the log; 0 = no operation pending        the writer (lock held)
 *   log + 2k      index of the k-th word stored                     the writer
 *   log + 2k + 1  that word's value before the store                the writer
 *
 * A store logs the old value before it writes the new one, so a dead writer's half-done
 * operation can always be undone: whoever takes the lock next rolls back, newest first. Plain
 * (non-atomic) accesses are enough: only the lock holder touches these words, and taking the
 * lock (an atomic read-modify-write) orders them between holders.
 */

/** Store `value` at `word`, logging the old value first; returns the pairs now logged. */
export function logStore(w: Int32Array, undo: number, log: number, word: number, value: number): number {
  const n = w[undo]!;
  w[log + 2 * n] = word;
  w[log + 2 * n + 1] = w[word]!;
  w[undo] = n + 1;
  w[word] = value;
  return n + 1;
}

/** Undo every logged store, newest first, and empty the log; returns how many there were. */
export function rollbackLog(w: Int32Array, undo: number, log: number): number {
  const n = w[undo]!;
  for (let k = n - 1; k >= 0; k--) w[w[log + 2 * k]!] = w[log + 2 * k + 1]!;
  w[undo] = 0;
  return n;
}
