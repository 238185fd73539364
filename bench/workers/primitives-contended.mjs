// Bench worker: `n` increments of one shared counter, each in its own critical section, under
// the lock `workerData.data.kind` names. Two of these run at once (see primitives.bench.mjs).
//
// The counter is a plain (non-atomic) read-modify-write of an Int32Array over shared memory, so
// a lock that fails to exclude loses increments and the main thread's check fails the run.
// Only `add` (no lock, the floor) increments atomically.
import { workerData } from 'node:worker_threads';
import { Lock, RLock } from 'sabsync';
import { serveRounds } from '../lib.mjs';

const { kind, counter, lockWord, handle, mutex } = workerData.data;
const c = new Int32Array(counter);

/** The loops, one per lock kind; each does `n` critical sections. */
const loops = {
  lock() {
    const lock = Lock.from(handle);
    return (n) => {
      for (let i = 0; i < n; i++) {
        lock.acquire();
        c[0] = c[0] + 1;
        lock.release();
      }
    };
  },
  rlock() {
    const lock = RLock.from(handle);
    return (n) => {
      for (let i = 0; i < n; i++) {
        lock.acquire();
        c[0] = c[0] + 1;
        lock.release();
      }
    };
  },
  // V8's native mutex (node --harmony-struct only); the callback is the critical section.
  mutex() {
    const inc = () => {
      c[0] = c[0] + 1;
    };
    return (n) => {
      for (let i = 0; i < n; i++) Atomics.Mutex.lock(mutex, inc);
    };
  },
  // The floor: no lock, one atomic add.
  add() {
    return (n) => {
      for (let i = 0; i < n; i++) Atomics.add(c, 0, 1);
    };
  },
  // The reference: a 3-state futex lock (0 unlocked, 1 locked, 2 locked with waiters) written
  // directly on Atomics, with no spinning: lock is one CAS when free; unlock wakes one sleeper
  // only when the word says someone may sleep.
  drepper() {
    const w = new Int32Array(lockWord);
    const lock = () => {
      let s = Atomics.compareExchange(w, 0, 0, 1);
      if (s === 0) return;
      if (s !== 2) s = Atomics.exchange(w, 0, 2);
      while (s !== 0) {
        Atomics.wait(w, 0, 2);
        s = Atomics.exchange(w, 0, 2);
      }
    };
    const unlock = () => {
      if (Atomics.sub(w, 0, 1) !== 1) {
        Atomics.store(w, 0, 0);
        Atomics.notify(w, 0, 1);
      }
    };
    return (n) => {
      for (let i = 0; i < n; i++) {
        lock();
        c[0] = c[0] + 1;
        unlock();
      }
    };
  },
};

serveRounds(loops[kind]());
