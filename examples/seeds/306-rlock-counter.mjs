// Lesson 3, 4.1: Lock and RLock. The race of the GIL lesson, fixed: each `total += 1` and
// `total -= 1` between lock.acquire() and lock.release() (the lesson uses an RLock: "a thread may
// acquire it again, and must release it as many times"). Then its notes: locks cost time, and
// locks can deadlock — A takes a then b while B takes b then a.
//
// Python printed 0. Ours prints 0, then the notes made visible: an RLock taken twice by one
// thread (count 2, still locked after one release), a Lock that thread already holds refusing it
// (acquire(0) returns false; a blocking acquire() would wait for ever), and the deadlock of the
// notes, which ends instead of hanging because each thread gives up its second lock after a
// timeout. (Both usually give up; when one gives up a moment sooner, the other may then get
// both locks.)
import { Barrier, Lock, RLock, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'the counter under an RLock: exactly 0; re-entry; and a deadlock broken by timeouts';

const TIMES = 1_000_000;

export function add(total, lock) {
  for (let i = 0; i < TIMES; i++) {
    lock.acquire();
    total[0] += 1;
    lock.release();
  }
}

export function desc(total, lock) {
  for (let i = 0; i < TIMES; i++) {
    lock.acquire();
    total[0] -= 1;
    lock.release();
  }
}

/** One side of the deadlock: take `first`, then try `second` for a while. */
export function takeBoth(name, first, second, bothHoldOne) {
  first.acquire();
  bothHoldOne.wait(); // now each thread holds one lock and wants the other's
  const got = second.acquire(3 * 100);
  print(`${name}: ${got ? 'got both locks' : 'gave up waiting for its second lock (a deadlock without the timeout)'}`);
  if (got) second.release();
  first.release();
}

export async function main() {
  const total = new Int32Array(new SharedArrayBuffer(4));
  const lock = new RLock();
  const thread1 = new Thread(new URL(import.meta.url), 'add', { args: [total, lock] });
  const thread2 = new Thread(new URL(import.meta.url), 'desc', { args: [total, lock] });
  thread1.start();
  thread2.start();
  thread1.join();
  thread2.join();
  print(total[0]);

  const rlock = new RLock();
  rlock.acquire();
  rlock.acquire(); // the same thread again: fine for an RLock
  rlock.release();
  print(`RLock acquired twice, released once: locked() = ${rlock.locked()}`);
  rlock.release(); // as many releases as acquires: now it is free
  print(`released twice: locked() = ${rlock.locked()}`);
  const plain = new Lock();
  plain.acquire();
  print(`Lock already held by this thread, acquire(0): ${plain.acquire(0)}`);
  plain.release();

  const a = new Lock();
  const b = new Lock();
  const bothHoldOne = new Barrier(2);
  const A = new Thread(new URL(import.meta.url), 'takeBoth', { args: ['A', a, b, bothHoldOne] });
  const B = new Thread(new URL(import.meta.url), 'takeBoth', { args: ['B', b, a, bothHoldOne] });
  A.start();
  B.start();
  A.join();
  B.join();
}
