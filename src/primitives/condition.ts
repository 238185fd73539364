/**
 * Condition: Python's `threading.Condition` over a Lock or an RLock — `wait` / `waitFor` /
 * `notify` / `notifyAll` and their async twins. Its waiter list (the shared words, who
 * enqueues and dequeues, crash recovery) is waiters.ts's; this file is the Python semantics:
 * the lock released for the wait and taken back however it ends, and when a wake-up is paid.
 *
 *   word      name      meaning                                        written by
 *   --------  --------  ---------------------------------------------  ------------------------
 *   0         TAG       0x5AB5_0003                                    the constructor
 *   1 .. 9    the waiter list's header (waiters.ts)                    see waiters.ts
 *   10 + 4k   node k of the waiter list (waiters.ts), k < maxWaiters   see waiters.ts
 *   then      an RLock  the default lock, when none is given           RLock
 *
 * The invariant: a wait queues its thread on the list while it still holds the lock, and only
 * then releases it; a notify (the lock held) marks the oldest queued nodes. So a notify issued
 * by a thread that took the lock after a waiter released it always finds that waiter, and a
 * wait returns true only if a notify marked its node (no spurious wake-ups, FIFO, exactly
 * min(n, waiting)). However a wait ends — notified, timed out, thrown out of the runner — it
 * returns holding the lock again, an RLock with its full recursion count (Python), except the
 * queue's internal wait when its deadline passes first (`waitSteps`).
 *
 * The hand-off. A waiter woken while its notifier still holds the lock races it for the lock,
 * loses, sleeps on the lock and needs a second wake-up — every time, when the two threads share
 * a core and the waiter preempts its waker. So a public `notify` defers each wake-up to the
 * notifier's next release of a lock (futex.ts `wakeLater`, paid in rawlock.ts `unlock`, i.e.
 * `release()`, the release inside `wait()`, a `using` guard's): the waiter wakes to a free
 * lock. The list's own word (LIST) is released with `unlockInner`, which leaves them deferred.
 * A notifier that parks anywhere, or ends its synchronous run (a microtask), pays them too — so
 * the waiter still wakes when another thread releases a Python Lock for its notifier.
 * `[notifyHeld]` (the Queue's, which releases its lock its own way) and the payment of owed
 * wake-ups (waiters.ts OWED, by a list holder that may hold no lock) wake at once.
 *
 * With the lock held across rounds (`notify` then `wait`), the notifier's own wait is what
 * pays that wake-up, when it releases the lock: the waiter wakes only once the notifier has
 * queued itself. So that path is plain code (`#begin`): the list entered with one CAS, the
 * lock released — no generator made, no runner entered until then. Only a wait that finds the
 * list's word held goes the general way (`#waitSteps`).
 *
 * Timeouts bound the whole call: a wait that cannot enter the list by its deadline returns
 * false with nothing changed. Once queued, a waiter must settle its node (waiters.ts), and a
 * public wait must return holding the lock; both waits are brief or robust: the list's word is
 * held only for a few instructions, and a lock or list left by a dead thread is taken over.
 */
import { rangeError, typeError, misuse } from './errors.js';
import { assertCanBlock, checkTimeout, deadlineAfter, remaining, runAsync, runBriefly, runSync, waitBegins, type Steps } from './futex.js';
import { acquireRestore, heldByDead, hold, holdAsync, isLockable, isOwned, releaseSave, tryRestore, type Lockable } from './lockable.js';
import { adopt, attach, handleOf, open, registerKind, revive, type Handle, type PlacementOptions, type Region } from './memory.js';
import { deaths } from './liveness.js';
import type { Lock } from './lock.js';
import { RLock } from './rlock.js';
import { WaiterList } from './waiters.js';

// How a wait ended (#waitSteps).
const TIMED_OUT = 0;
const WOKEN = 1;
/** The lock could not be taken back by the caller's deadline (internal waits only). */
const UNLOCKED = 2;

/** Default waiter-list capacity: the most threads that may wait on one Condition at once. */
export const DEFAULT_MAX_WAITERS = 128;
const MAX_MAX_WAITERS = 1 << 20;

/** Options of `new Condition(lock, options)`. */
export interface ConditionOptions extends PlacementOptions {
  /** How many threads may wait at once (default 128). One more: `ERR_TOO_MANY_WAITERS`. */
  maxWaiters?: number;
}

/**
 * Remove from the waiter list every node of the thread with sabsync id `deadId` (which has
 * exited without finishing its wait), so that no notify is spent on it; takes LIST over if that
 * thread died holding it. Sync, for a caller that may wait for LIST (a test); see purgeSteps.
 */
export const purgeWaiters = Symbol('sabsync.purgeWaiters');

/** `purgeWaiters` as steps, for an owner that must wait for LIST on its event loop (the pool). */
export const purgeSteps = Symbol('sabsync.purgeSteps');

/**
 * The wait algorithm as a step generator, for primitives built on a Condition (the Queue) that
 * write their own blocking loop once for the sync and the async runner. The caller must hold
 * the lock; `deadline` is absolute (futex.ts) and bounds the whole wait, taking the lock back
 * included. Returns whether the lock is held again: false only when the deadline passed
 * before it could be taken back (and the caller no longer holds it). A wake-up may be spurious:
 * while deaths can be learned (liveness.ts) the waiter also wakes when a dead thread left a
 * trace here — the lock or LIST held, a wait or a notify it never finished — that may have
 * cost it a wake-up; the caller re-checks its state, as it does after any wake-up.
 */
export const waitSteps = Symbol('sabsync.waitSteps');

/**
 * `notify(n)` without its argument and ownership checks, for primitives built on a Condition
 * (the Queue) that hold the lock by construction and notify on every operation: when nobody
 * waits it costs one load. Like `notify`, it never waits (OWED).
 */
export const notifyHeld = Symbol('sabsync.notifyHeld');

function checkMaxWaiters(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_WAITERS;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw typeError(`Condition options.maxWaiters must be an integer, got ${String(value)}`);
  }
  if (value < 1 || value > MAX_MAX_WAITERS) {
    throw rangeError(`Condition options.maxWaiters must be between 1 and ${MAX_MAX_WAITERS}, got ${value}`);
  }
  return value;
}

function conditionBytes(maxWaiters: number): number {
  return WaiterList.byteLength(maxWaiters) + RLock.byteLength;
}

/** A condition variable shared between threads. Python: `threading.Condition`. */
export class Condition {
  /** Bytes a Condition with room for `maxWaiters` waiters occupies (its default RLock included). */
  static byteLength(options?: { maxWaiters?: number }): number {
    return conditionBytes(checkMaxWaiters(options?.maxWaiters));
  }

  readonly #region: Region;
  readonly #lock: Lockable;
  readonly #list: WaiterList;

  /**
   * Create a Condition over `lock` (a Lock or RLock; default: a new RLock placed in the
   * Condition's own memory), in new shared memory or at `{ buffer, byteOffset }`.
   */
  constructor(lock?: Lock | RLock, options?: ConditionOptions) {
    if (lock !== undefined && !isLockable(lock)) throw typeError('Condition(lock): lock must be a Lock or an RLock');
    const capacity = checkMaxWaiters(options?.maxWaiters);
    const region = open(this, 'Condition', conditionBytes(capacity), options, (i32) => WaiterList.init(i32, capacity));
    this.#region = region;
    this.#lock =
      lock ?? new RLock({ buffer: region.buffer, byteOffset: region.byteOffset + region.i32.byteLength - RLock.byteLength });
    this.#list = new WaiterList(region.i32, () => this.#lock[heldByDead]());
  }

  /** Attach to the Condition a handle describes, and to its lock (from any thread). */
  static from(handle: Handle<'Condition'>): Condition {
    const region = attach('Condition', handle, (i32) => conditionBytes(WaiterList.capacityOf(i32)));
    const lock = revive(handle.lock);
    if (!isLockable(lock)) throw typeError('Condition.from(handle): handle.lock is not a Lock or RLock handle');
    return adopt(region, () => new Condition(lock as Lock | RLock));
  }

  /** A structured-cloneable description of this Condition (and its lock). */
  get handle(): Handle<'Condition'> {
    return handleOf('Condition', this.#region, { lock: (this.#lock as unknown as { handle: Handle }).handle });
  }

  /** The lock this Condition is built on. */
  get lock(): Lockable {
    return this.#lock;
  }

  /** How many threads may wait at once. */
  get maxWaiters(): number {
    return this.#list.capacity;
  }

  /** Acquire the underlying lock (see `Lock.acquire` / `RLock.acquire`). */
  acquire(timeout?: number): boolean {
    return this.#lock.acquire(timeout);
  }

  /** Async twin of `acquire`. */
  acquireAsync(timeout?: number): Promise<boolean> {
    return this.#lock.acquireAsync(timeout);
  }

  /** Release the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /** Acquire the underlying lock and return a guard for `using`. */
  hold(timeout?: number): Disposable {
    return hold(this.#lock, timeout, 'Condition');
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this.#lock, timeout, 'Condition');
  }

  /**
   * Wait until notified or until `timeout` ms pass. The caller must hold the lock
   * (`ERR_NOT_OWNER` otherwise); it is released while waiting and re-acquired — with an RLock's
   * full recursion count — before returning, however the wait ends. Returns false on timeout.
   * Throws `ERR_TOO_MANY_WAITERS` (nothing changed) if `maxWaiters` threads already wait.
   * Python: `Condition.wait(timeout)`.
   */
  wait(timeout?: number): boolean {
    const deadline = this.#checkWait(timeout, 'wait');
    assertCanBlock('waitAsync');
    return runSync(this.#begin(deadline), 'waitAsync') === WOKEN;
  }

  /** Async twin of `wait`. */
  async waitAsync(timeout?: number): Promise<boolean> {
    const deadline = this.#checkWait(timeout, 'waitAsync');
    return (await runAsync(this.#begin(deadline))) === WOKEN;
  }

  /**
   * Wait until `predicate()` is truthy, or until `timeout` ms pass; returns the predicate's
   * last value. The predicate runs with the lock held. Python: `Condition.wait_for`.
   */
  waitFor<T>(predicate: () => T, timeout?: number): T {
    const deadline = this.#checkWaitFor(predicate, timeout, 'waitFor');
    let result = predicate();
    while (!result && remaining(deadline) > 0) {
      // A predicate that holds needs no wait: only now may a thread that cannot block refuse.
      assertCanBlock('waitForAsync');
      runSync(this.#begin(deadline), 'waitForAsync');
      result = predicate();
    }
    return result;
  }

  /** Async twin of `waitFor`. */
  async waitForAsync<T>(predicate: () => T, timeout?: number): Promise<T> {
    const deadline = this.#checkWaitFor(predicate, timeout, 'waitForAsync');
    return runAsync(this.#waitForSteps(predicate, deadline));
  }

  /**
   * Wake the `n` longest-waiting threads (all of them if fewer wait). The caller must hold the
   * lock (`ERR_NOT_OWNER`); they wake as it releases the lock, to find it free. Python:
   * `Condition.notify(n)`.
   */
  notify(n = 1): void {
    if (typeof n !== 'number') throw typeError(`notify(n): n must be a number, got ${typeof n}`);
    if (!(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
      throw rangeError(`notify(n): n must be a non-negative integer, got ${n}`);
    }
    this.#checkOwned('notify');
    this.#notify(n, true);
  }

  /** @internal */
  [notifyHeld](n: number): void {
    this.#notify(n, false);
  }

  #notify(n: number, later: boolean): void {
    this.#list.notify(n, later);
  }

  /** Wake every waiting thread. Python: `Condition.notify_all()`. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  #checkOwned(method: string): void {
    if (!this.#lock[isOwned]()) {
      throw misuse('ERR_NOT_OWNER', `${method}(): the Condition's lock is not held by this thread`);
    }
  }

  #checkWait(timeout: number | undefined, method: string): number {
    const t = checkTimeout(timeout);
    this.#checkOwned(method);
    return deadlineAfter(t);
  }

  #checkWaitFor(predicate: unknown, timeout: number | undefined, method: string): number {
    if (typeof predicate !== 'function') throw typeError(`${method}(predicate): predicate must be a function`);
    return this.#checkWait(timeout, method);
  }

  *#waitForSteps<T>(predicate: () => T, deadline: number): Steps<T> {
    let result = predicate();
    while (!result && remaining(deadline) > 0) {
      // A predicate that holds needs no wait: only now may a thread that cannot block refuse.
      waitBegins();
      yield* this.#waitSteps(deadline, Infinity, false);
      result = predicate();
    }
    return result;
  }

  /**
   * A public wait's front, in plain code: queue this thread and release the lock now — with the
   * lock held across rounds, that release pays the wake-up its notify deferred — then the steps
   * that sleep and take the lock back. With the list's word held, steps that queue first.
   */
  #begin(deadline: number): Steps<number> {
    // Read with the lock held, where the caller checked what it waits for (liveness.ts).
    const seen = deaths();
    const node = this.#list.tryEnter();
    if (node < 0) return this.#waitSteps(deadline, Infinity, false);
    return this.#sleepSteps(node, this.#lock[releaseSave](), seen, deadline, Infinity, false);
  }

  /**
   * Wait (the lock held); take the lock back by `relock` (Infinity: however long it takes).
   * Returns WOKEN, TIMED_OUT, or UNLOCKED when the lock could not be taken back by `relock`.
   */
  *#waitSteps(deadline: number, relock: number, spurious: boolean): Steps<number> {
    // Read with the lock held, where the caller checked what it waits for (liveness.ts).
    const seen = deaths();
    const node = yield* this.#list.enterSteps(deadline);
    if (node < 0) return TIMED_OUT;
    return yield* this.#sleepSteps(node, this.#lock[releaseSave](), seen, deadline, relock, spurious);
  }

  /**
   * The rest of a wait, its `node` queued and the lock released (`saved`, from `releaseSave`):
   * sleep until notified or `deadline` (waiters.ts), then take the lock back by `relock`. A
   * dead thread's hold on the lock is taken over and repaired.
   */
  *#sleepSteps(node: number, saved: number, seen: number, deadline: number, relock: number, spurious: boolean): Steps<number> {
    const notified = yield* this.#list.awaitSteps(node, seen, deadline, spurious);
    if (!this.#lock[tryRestore](saved) && !(yield* this.#lock[acquireRestore](saved, relock))) {
      // Out of time before the lock came back: a wake-up we took goes to the next waiter.
      if (notified) this.#list.notify(1, false);
      return UNLOCKED;
    }
    return notified ? WOKEN : TIMED_OUT;
  }

  /** @internal */
  *[waitSteps](deadline: number): Steps<boolean> {
    // Spurious: a dead thread's trace ends the wait (the caller re-checks its state).
    return (yield* this.#waitSteps(deadline, deadline, true)) !== UNLOCKED;
  }

  /**
   * @internal Forget the waits of dead thread `deadId` and repair the list; returns how many
   * traces of it were found (its waits, and LIST if it died holding it).
   */
  [purgeWaiters](deadId: number): number {
    return runBriefly(this[purgeSteps](deadId), 'purgeWaiters');
  }

  /** @internal `purgeWaiters` as steps (the list's word waited for on the caller's runner). */
  *[purgeSteps](deadId: number): Steps<number> {
    return yield* this.#list.purgeSteps(deadId);
  }
}

registerKind('Condition', (h) => Condition.from(h));
