/**
 * The raw lock: one Int32 word, a futex-style mutex that records its holder. No owner checks,
 * no errors, no Python semantics — Lock, RLock, Condition and Queue add those on top.
 *
 *   word value            meaning
 *   -------------------   --------------------------------------------------------------
 *   0                     UNLOCKED
 *   holder << 1           LOCKED by thread `holder` (thread.ts), nobody asleep on it
 *   holder << 1 | 1       LOCKED by `holder`, CONTENDED: somebody may be asleep on it
 *   ... | 1 << 31         ... and ASYNC: one of the sleepers may be an `Atomics.waitAsync`
 *
 * (`holder` < 2^30, so bit 31 is free.) ASYNC exists because a release wakes one sleeper, and
 * a waitAsync sleeper acts on its wake-up only when its thread next runs its event loop — never,
 * if that thread is blocked, say in a sync acquire of this very lock. So a release that finds
 * ASYNC set wakes every sleeper instead; the ones that lose the race sleep again.
 *
 * Who writes it: a thread acquiring it (CAS 0 -> its own id), a waiter setting the CONTENDED
 * (and ASYNC) bits (CAS), whoever releases it (exchange -> 0: a Python Lock may be released by
 * any thread), and a thread taking it over from a dead holder (CAS from the dead holder's value
 * to the caller's id, keeping the sleepers' bits).
 *
 * Why no wake-up is lost: a waiter sleeps only after it has made the word CONTENDED, and it
 * sleeps comparing against exactly that value. A release exchanges the word to 0 and, seeing the
 * CONTENDED bit in what it replaced, notifies one sleeper. If the release lands between the
 * waiter's CAS and its sleep, the word is no longer the value compared against and the wait
 * returns at once. A woken waiter takes the lock as CONTENDED (Drepper's "mutex 3"), since other
 * sleepers may remain; the cost is at most one needless notify.
 *
 * A holder that dies (robust mutex). A holder recorded dead in the liveness table
 * (liveness.ts) will never release: a waiter that finds it there, before it sleeps or after
 * each sleep, takes the lock over with one CAS from exactly the value it read (so of two such
 * waiters one wins; the other finds a live holder and sleeps), keeping the CONTENDED / ASYNC
 * bits (the sleepers are still there), and then runs the caller's `repair` — what the dead
 * thread was guarding may be half changed — before it returns as the holder. A death marked
 * while a waiter sleeps reaches it at the end of its current sleep, which is cut short while
 * the thread knows a table (liveness.ts, `sliceEnd`). The fast path (one CAS) never looks at
 * the table.
 *
 * Deferred wake-ups (futex.ts `wakeLater`): `unlock` pays the ones this thread owes — a
 * Condition's notify leaves its waiter's wake-up to the notifier's next release, so the waiter
 * wakes to a free lock. `unlockInner` (an inner word held inside a user's lock) does not.
 *
 * `takeOver` / `recover` do the same for an id the caller names (a thread it saw exit that no
 * table records: a test, or a pool recovering its own channels).
 */
import { park, parkingAsync, remaining, runBriefly, wake, wakeDeferred, type Steps } from './futex.js';
import { isDead, sliceEnd } from './liveness.js';
import { threadId } from './thread.js';

export const UNLOCKED = 0;
const CONTENDED = 1;
const ASYNC = 1 << 31;
const HOLDER_BITS = ~(CONTENDED | ASYNC);
const me = threadId << 1;

/** Take the lock if it is free. The whole fast path: one CAS. */
export function tryLock(i32: Int32Array, index: number): boolean {
  return Atomics.compareExchange(i32, index, UNLOCKED, me) === UNLOCKED;
}

/** What a primitive does after taking its lock over from a dead holder (the lock held; never waits). */
export type Repair = () => void;

/**
 * Take the lock, sleeping while a live thread holds it; false if `deadline` passes first
 * (at once if it has passed: a try that still takes a dead holder's lock over). A lock left by
 * a dead holder is taken over and `repair` runs before this returns true.
 */
export function* lockSteps(i32: Int32Array, index: number, deadline: number, repair?: Repair): Steps<boolean> {
  for (let sleeps = 0; ; ) {
    let s = Atomics.load(i32, index);
    if (s === UNLOCKED) {
      // Taken as CONTENDED: we may have been woken while other sleepers remain.
      if (Atomics.compareExchange(i32, index, UNLOCKED, me | CONTENDED) === UNLOCKED) return true;
      continue;
    }
    if (isDead((s & HOLDER_BITS) >>> 1)) {
      // Exactly the value read: a release or another taker in between makes the CAS fail.
      if (Atomics.compareExchange(i32, index, s, me | (s & ~HOLDER_BITS)) !== s) continue;
      repair?.();
      return true;
    }
    if (remaining(deadline) === 0) return false;
    const mark = parkingAsync() ? CONTENDED | ASYNC : CONTENDED;
    if ((s & mark) !== mark) {
      if (Atomics.compareExchange(i32, index, s, s | mark) !== s) continue;
      s |= mark;
    }
    // Sleep while the word is still exactly this marked value: any release changes it. Cut
    // short to look at the holder again while deaths can be learned (liveness.ts).
    const r = yield park(i32, index, s, sliceEnd(deadline, sleeps++));
    if (r === 'timed-out' && remaining(deadline) === 0) return false;
  }
}

/**
 * Release the lock whoever holds it; false (and nothing changed) if it was not locked. Then
 * wake the Condition waiters this thread notified meanwhile (futex.ts `wakeLater`): the lock
 * they must take back is free now.
 */
export function unlock(i32: Int32Array, index: number): boolean {
  const prev = Atomics.exchange(i32, index, UNLOCKED);
  if ((prev & CONTENDED) !== 0) wakeAfterRelease(i32, index, prev);
  wakeDeferred();
  return prev !== UNLOCKED;
}

/**
 * `unlock` for an inner lock taken while the caller may hold a user's lock (a Condition's
 * waiter list): leaves this thread's deferred wake-ups for the release of the user's lock.
 */
export function unlockInner(i32: Int32Array, index: number): void {
  const prev = Atomics.exchange(i32, index, UNLOCKED);
  if ((prev & CONTENDED) !== 0) wakeAfterRelease(i32, index, prev);
}

function wakeAfterRelease(i32: Int32Array, index: number, prev: number): void {
  wake(i32, index, (prev & ASYNC) !== 0 ? Infinity : 1);
}

/**
 * Take a lock that is only ever held for a few instructions (a waiter list's, a barrier's),
 * from a method that must not return a Promise: park where this thread may block, spin where
 * it may not (a browser main thread).
 */
export function lockBriefly(i32: Int32Array, index: number, method: string, repair?: Repair): void {
  if (!tryLock(i32, index)) runBriefly(lockSteps(i32, index, Infinity, repair), method);
}

/** The sabsync id of the thread that took the lock, or 0 if it is free. */
export function holderOf(i32: Int32Array, index: number): number {
  return (Atomics.load(i32, index) & HOLDER_BITS) >>> 1;
}

/** Whether the lock is held by a thread the liveness table records dead. */
export function heldByDead(i32: Int32Array, index: number): boolean {
  const s = Atomics.load(i32, index);
  return s !== UNLOCKED && isDead((s & HOLDER_BITS) >>> 1);
}

/** Whether the calling thread took the lock. */
export function heldByMe(i32: Int32Array, index: number): boolean {
  return (Atomics.load(i32, index) & HOLDER_BITS) === me;
}

/**
 * Take the lock over from thread `deadId` (which has exited) if it still holds it, keeping the
 * marks of whoever sleeps on it; returns whether the calling thread now holds it. Never waits.
 */
export function takeOver(i32: Int32Array, index: number, deadId: number): boolean {
  for (;;) {
    const s = Atomics.load(i32, index);
    if (s === UNLOCKED || (s & HOLDER_BITS) >>> 1 !== deadId) return false;
    if (Atomics.compareExchange(i32, index, s, me | (s & ~HOLDER_BITS)) === s) return true;
  }
}

/** Release the lock if, and only if, thread `deadId` (which has exited) still holds it. */
export function recover(i32: Int32Array, index: number, deadId: number): boolean {
  if (!takeOver(i32, index, deadId)) return false;
  unlock(i32, index);
  return true;
}
