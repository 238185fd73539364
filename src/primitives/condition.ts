/**
 * Condition: Python's `threading.Condition`, with its waiter list in shared memory.
 *
 *   word      name      meaning                                        written by
 *   --------  --------  ---------------------------------------------  ------------------------
 *   0         TAG       0x5AB5_0003                                    the constructor
 *   1         LIST      raw lock word guarding HEAD, TAIL, FREE,       whoever edits the list
 *                       WAITERS and the nodes' NEXT links
 *   2         WAITERS   nodes on the waiting list                      list editors (LIST held)
 *   3         HEAD      oldest waiting node + 1 (0: none)              list editors
 *   4         TAIL      newest waiting node + 1 (0: none)              list editors
 *   5         FREE      first free node + 1 (0: all in use)            list editors
 *   6         CAPACITY  maxWaiters: how many nodes there are           the constructor
 *   7         TICKETS   tickets handed out so far (wraps)              list editors
 *   8         OWED      wake-ups owed: notifies that found LIST held   an internal notifier
 *                       and left their wake-ups to its holder           (add), LIST holders
 *                                                                       (exchange to 0)
 *   9         —         padding (the nodes start on an 8-byte boundary)
 *   10 + 4k   node k:   STATE  0 free / WAITING / NOTIFIED / DONE      its waiter; a notifier
 *   11 + 4k             NEXT   next node + 1 on its list               list editors
 *   12 + 4k             OWNER  sabsync id of the waiting thread        its waiter
 *   13 + 4k             TICKET when it started waiting (TICKETS)       its waiter
 *   then      an RLock  the default lock, when none is given           RLock
 *
 * A waiter takes a free node, marks it WAITING and appends it to the list — all while it still
 * holds the Condition's lock — then releases that lock and sleeps on its node's STATE.
 * `notify(n)` (caller holds the lock) marks the n oldest nodes NOTIFIED, unlinks them and
 * wakes each sleeper. So wake-ups are FIFO, exactly min(n, waiting), and never spurious: a
 * waiter returns true only if its node says NOTIFIED.
 *
 * The hand-off. A waiter woken while its notifier still holds the lock races it for the lock,
 * loses, sleeps on the lock and needs a second wake-up — every time, when the two threads share
 * a core and the waiter preempts its waker. So a public `notify` defers each wake-up to the
 * notifier's next release of a lock (futex.ts `wakeLater`, paid in rawlock.ts `unlock`, i.e.
 * `release()`, the release inside `wait()`, a `using` guard's): the waiter wakes to a free
 * lock. LIST is released with `unlockInner`, which leaves them deferred. A notifier that parks
 * anywhere, or ends its synchronous run (a microtask), pays them too — so the waiter still
 * wakes when another thread releases a Python Lock for its notifier. `[notifyHeld]` (the
 * Queue's, which releases its lock its own way) and the payment of OWED (by a LIST holder that
 * may hold no lock) wake at once.
 *
 * A notified waiter does not take LIST again: its notifier unlinks the node, so the waiter
 * turns NOTIFIED into DONE (one CAS: nobody's node, but not yet on the free list) and goes
 * straight on to take the lock back — on a hand-off between two threads the work between a
 * wake-up and the next notify is the latency users see. Its next wait takes the same node
 * back if it is still DONE and its own (no free-list round trip); a waiter that finds no free
 * node first puts the DONE nodes back on the free list (the rebuild below). A notifier unlinks
 * the node before it releases LIST, so whoever holds LIST never finds a DONE node on the
 * waiting list. HEAD, TAIL, FREE, TICKETS and the nodes' NEXT and TICKET are read and written
 * only under LIST, plainly (LIST's CAS and exchange order them); WAITERS, OWED, a node's
 * STATE and OWNER are read without it and stay atomic.
 *
 * With the lock held across rounds (`notify` then `wait`), the notifier's wait is what pays its
 * deferred wake-up: the waiter wakes only once the notifier has queued itself and released the
 * lock, so that path is plain code — no generator is made, no runner entered, until the lock
 * is released (`#begin`).
 *
 * Why no wake-up is lost: a waiter sleeps comparing its STATE against WAITING; a notifier writes
 * NOTIFIED before it wakes (or defers the wake), so a notify that lands between "release the
 * lock" and "sleep" makes the sleep return at once, and one that lands after it is followed by
 * its wake — at once, or deferred, then paid as above before the notifier's thread sleeps or
 * returns to its event loop. A stray wake-up (a node reused right after a notify, a deferred
 * wake paid late) finds STATE still WAITING and sleeps again. A notifier that dies before it
 * pays leaves a NOTIFIED node asleep: its waiter sees NOTIFIED at the end of its current sleep
 * slice (liveness.ts: the same condition under which the dead notifier's lock can be taken
 * over at all), and a rebuild wakes every NOTIFIED node.
 *
 * A notify never waits (a Queue's calls must end by their timeout, and the thread that owns a
 * pool must never block on a lock a dead worker may hold): one that finds LIST held adds its
 * wake-ups to OWED and then tries LIST once more; every LIST holder, after releasing it, pays
 * OWED (it takes LIST back and wakes that many). No owed wake-up is lost: if the notifier's
 * last try fails, some thread held LIST after the add, and that thread's check of OWED follows
 * its release, which follows the add. A dead holder never pays; its taker does, on release.
 *
 * Timeouts: a waiter whose deadline passes first tries the same CAS (a notify that just won the
 * race makes the wait return true), else takes LIST and looks at its node. WAITING: it unlinks
 * it (it was not notified; a later notify will go to the next waiter instead). NOTIFIED: the
 * notify won the race and the wait returns true. Either way the decision is made against the
 * mark notifiers write under LIST, so a notify is never spent on a waiter that then reports a
 * timeout.
 *
 * Threads that die (a terminated worker). One that dies mid-wait leaves a node that would
 * swallow a notify, and one that dies while editing the list leaves LIST held and the links
 * half-written. Once the liveness table (liveness.ts) records the death:
 *   - a notifier never spends a wake-up on a dead waiter: it frees that node and wakes the next;
 *   - the next thread to want LIST takes it over (rawlock.ts) and rebuilds the list;
 *   - a waiter that finds no free node first reclaims the nodes of dead threads (and DONE ones);
 *   - a sleeping waiter that sees DEATHS move (liveness.ts) looks for a dead thread's traces
 *     here (the lock or LIST held, a node it left): a public wait repairs LIST in place and
 *     sleeps on; a queue's wait ends, spuriously, so the queue takes its lock over and looks
 *     again (a wake-up the dead thread took, or a put it finished but never announced).
 * The rebuild sets HEAD, TAIL, FREE, WAITERS and every NEXT from the nodes' own single-word
 * facts — STATE, OWNER (written before STATE) and TICKET (the FIFO order) — which are never
 * half-written, dropping every node whose OWNER is dead and freeing every DONE one.
 * `[purgeWaiters](deadId)` does the same for a thread its caller saw exit (whether or not a
 * table records it).
 *
 * Timeouts bound the whole call: a wait that cannot take LIST by its deadline returns false with
 * nothing changed. Once queued, a waiter must settle its node, and a public wait must return
 * holding the lock (Python); both waits are brief or robust: LIST is held only for a few
 * instructions, and a lock or LIST left by a dead thread is taken over.
 */
import { misuse, rangeError, typeError } from './errors.js';
import { assertCanBlock, checkTimeout, deadlineAfter, park, remaining, runAsync, runBriefly, runSync, waitBegins, wake, wakeLater, type Steps } from './futex.js';
import { acquireRestore, heldByDead, hold, holdAsync, isLockable, isOwned, releaseSave, tryRestore, type Lockable } from './lockable.js';
import { adopt, attach, handleOf, open, registerKind, revive, type Handle, type PlacementOptions, type Region } from './memory.js';
import { deaths, isDead, sliceEnd } from './liveness.js';
import * as raw from './rawlock.js';
import type { Lock } from './lock.js';
import { RLock } from './rlock.js';
import { threadId } from './thread.js';

const LIST = 1;
const WAITERS = 2;
const HEAD = 3;
const TAIL = 4;
const FREE = 5;
const CAPACITY = 6;
const TICKETS = 7;
const OWED = 8;
const NODES = 10;
/** Most wake-ups OWED holds (a notifyAll owes them all). */
const ALL_OWED = 1 << 30;
const NODE_WORDS = 4;
const STATE = 0;
const NEXT = 1;
const OWNER = 2;
const TICKET = 3;

const WAITING = 1;
const NOTIFIED = 2;
/** Its waiter saw NOTIFIED and left; off every list until a rebuild frees it. */
const DONE = 3;

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
  return (NODES + NODE_WORDS * maxWaiters) * 4 + RLock.byteLength;
}

/** A condition variable shared between threads. Python: `threading.Condition`. */
export class Condition {
  /** Bytes a Condition with room for `maxWaiters` waiters occupies (its default RLock included). */
  static byteLength(options?: { maxWaiters?: number }): number {
    return conditionBytes(checkMaxWaiters(options?.maxWaiters));
  }

  readonly #region: Region;
  readonly #i32: Int32Array;
  readonly #lock: Lockable;
  /** The node this wrapper's thread last waited on (see #enqueue), -1 before its first wait. */
  #mine = -1;

  /**
   * Create a Condition over `lock` (a Lock or RLock; default: a new RLock placed in the
   * Condition's own memory), in new shared memory or at `{ buffer, byteOffset }`.
   */
  constructor(lock?: Lock | RLock, options?: ConditionOptions) {
    if (lock !== undefined && !isLockable(lock)) throw typeError('Condition(lock): lock must be a Lock or an RLock');
    const capacity = checkMaxWaiters(options?.maxWaiters);
    const region = open(this, 'Condition', conditionBytes(capacity), options, (i32) => {
      Atomics.store(i32, LIST, raw.UNLOCKED);
      Atomics.store(i32, WAITERS, 0);
      Atomics.store(i32, HEAD, 0);
      Atomics.store(i32, TAIL, 0);
      Atomics.store(i32, CAPACITY, capacity);
      Atomics.store(i32, TICKETS, 0);
      Atomics.store(i32, OWED, 0);
      for (let k = 0; k < capacity; k++) {
        const base = NODES + k * NODE_WORDS;
        Atomics.store(i32, base + STATE, 0);
        Atomics.store(i32, base + NEXT, k + 1 < capacity ? k + 2 : 0);
        Atomics.store(i32, base + OWNER, 0);
        Atomics.store(i32, base + TICKET, 0);
      }
      Atomics.store(i32, FREE, 1);
    });
    this.#region = region;
    this.#i32 = region.i32;
    this.#lock =
      lock ?? new RLock({ buffer: region.buffer, byteOffset: region.byteOffset + region.i32.byteLength - RLock.byteLength });
  }

  /** Attach to the Condition a handle describes, and to its lock (from any thread). */
  static from(handle: Handle<'Condition'>): Condition {
    const region = attach('Condition', handle, (i32) => conditionBytes(Atomics.load(i32, CAPACITY)));
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
    return Atomics.load(this.#i32, CAPACITY);
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
    const i32 = this.#i32;
    // WAITERS counts every thread that entered wait() before we took the lock: each one
    // appended itself while holding that lock. So 0 here means nobody can be missed.
    if (n === 0 || Atomics.load(i32, WAITERS) === 0) return;
    if (raw.tryLock(i32, LIST)) {
      this.#wakeOldest(n, later);
      this.#unlockList();
      return;
    }
    // LIST is held: owe the wake-ups to its holder, then try to pay them ourselves (see OWED).
    for (let owed = Atomics.load(i32, OWED); ; ) {
      const seen = Atomics.compareExchange(i32, OWED, owed, Math.min(owed + n, ALL_OWED));
      if (seen === owed) break;
      owed = seen;
    }
    this.#payOwed();
  }

  /** Release LIST (held by the caller), then pay the wake-ups owed meanwhile (see OWED). */
  #unlockList(): void {
    raw.unlockInner(this.#i32, LIST);
    this.#payOwed();
  }

  // The load of OWED follows the release of LIST (or the add to OWED): the order the
  // no-lost-wake-up argument in the header needs. A failed tryLock leaves the debt to the
  // thread that holds LIST now.
  #payOwed(): void {
    const i32 = this.#i32;
    while (Atomics.load(i32, OWED) !== 0 && raw.tryLock(i32, LIST)) {
      this.#wakeOldest(Atomics.exchange(i32, OWED, 0), false);
      raw.unlockInner(i32, LIST);
    }
  }

  /**
   * Mark, wake and unlink the `n` oldest living waiters (LIST held by the caller): woken first,
   * since the waiter needs nothing more from the list — or, when `later`, woken after this
   * thread's next release of a lock (see the hand-off above). A dead waiter's node is freed on
   * the way and counts for nothing.
   */
  #wakeOldest(n: number, later: boolean): void {
    const i32 = this.#i32;
    for (let woken = 0; woken < n; ) {
      const node = i32[HEAD]! - 1;
      if (node < 0) break;
      const base = NODES + node * NODE_WORDS;
      const dead = isDead(Atomics.load(i32, base + OWNER));
      if (!dead) {
        Atomics.store(i32, base + STATE, NOTIFIED);
        if (later) wakeLater(i32, base + STATE);
        else wake(i32, base + STATE, 1);
        woken++;
      }
      this.#unlinkHead(node);
      if (dead) this.#free(node);
    }
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
   * A public wait's front, in plain code: queue this thread and release the lock now — the
   * release pays the wake-ups this thread deferred, and with the lock held across rounds
   * (`notify` then `wait`) its waiter's wake-up waits for exactly this — then the steps that
   * sleep and take the lock back. With LIST busy, steps that queue first.
   */
  #begin(deadline: number): Steps<number> {
    // Read with the lock held, where the caller checked what it waits for (liveness.ts).
    const seen = deaths();
    const i32 = this.#i32;
    if (!raw.tryLock(i32, LIST)) return this.#waitSteps(deadline, Infinity, false);
    const node = this.#enqueue();
    return this.#sleepSteps(node, this.#lock[releaseSave](), seen, deadline, Infinity, false);
  }

  /**
   * Wait (the lock held); take the lock back by `relock` (Infinity: however long it takes).
   * Returns WOKEN, TIMED_OUT, or UNLOCKED when the lock could not be taken back by `relock`.
   */
  *#waitSteps(deadline: number, relock: number, spurious: boolean): Steps<number> {
    // Read with the lock held, where the caller checked what it waits for (liveness.ts).
    const seen = deaths();
    if (!(yield* this.#lockList(deadline))) return TIMED_OUT;
    const node = this.#enqueue();
    return yield* this.#sleepSteps(node, this.#lock[releaseSave](), seen, deadline, relock, spurious);
  }

  /**
   * Take a free node, mark it WAITING for this thread and append it to the waiting list (LIST
   * held; released on return, or before `ERR_TOO_MANY_WAITERS` with nothing changed).
   */
  #enqueue(): number {
    const i32 = this.#i32;
    // Our last node, if still DONE (off every list, ours): no free-list round trip, no rebuild.
    let node = this.#mine;
    let base = NODES + node * NODE_WORDS;
    if (node < 0 || Atomics.load(i32, base + STATE) !== DONE || Atomics.load(i32, base + OWNER) !== threadId) {
      if (i32[FREE] === 0) this.#rebuild(0);
      node = i32[FREE]! - 1;
      if (node < 0) {
        this.#unlockList();
        throw misuse('ERR_TOO_MANY_WAITERS', `wait(): ${this.maxWaiters} threads already wait (options.maxWaiters)`);
      }
      base = NODES + node * NODE_WORDS;
      i32[FREE] = i32[base + NEXT]!;
      // OWNER and TICKET before STATE: a WAITING node always names its thread (see purgeWaiters).
      Atomics.store(i32, base + OWNER, threadId);
      this.#mine = node;
    }
    i32[base + TICKET] = i32[TICKETS]!++;
    i32[base + NEXT] = 0;
    Atomics.store(i32, base + STATE, WAITING);
    const tail = i32[TAIL]!;
    if (tail === 0) i32[HEAD] = node + 1;
    else i32[NODES + (tail - 1) * NODE_WORDS + NEXT] = node + 1;
    i32[TAIL] = node + 1;
    Atomics.add(i32, WAITERS, 1);
    this.#unlockList();
    return node;
  }

  /**
   * The rest of a wait, its `node` queued and the lock released (`saved`, from `releaseSave`):
   * sleep until notified or `deadline`, settle the node, take the lock back by `relock`.
   */
  *#sleepSteps(node: number, saved: number, seen: number, deadline: number, relock: number, spurious: boolean): Steps<number> {
    const i32 = this.#i32;
    const base = NODES + node * NODE_WORDS;
    // Sleep while our node is still WAITING: a notifier writes NOTIFIED before it wakes us.
    // Sleeps are cut short to look for a dead thread's traces whenever DEATHS has moved.
    let traced = false;
    for (let sleeps = 0; Atomics.load(i32, base + STATE) === WAITING; sleeps++) {
      const r = yield park(i32, base + STATE, WAITING, sliceEnd(deadline, sleeps));
      if (Atomics.load(i32, base + STATE) !== WAITING) break; // notified: nothing more to check
      if (r === 'timed-out' && remaining(deadline) === 0) break;
      const now = deaths();
      if (now === seen) continue;
      seen = now;
      if (!this.#deathTrace()) continue;
      if ((traced = spurious)) break;
      // Repair in place and sleep on: LIST taken over and rebuilt if a dead thread holds it,
      // dead threads' nodes reclaimed, wake-ups owed meanwhile paid (perhaps to us).
      yield* this.#lockList(Infinity);
      this.#rebuild(0);
      this.#unlockList();
    }

    // Notified: the notifier takes the node off the list; leave it DONE, take the lock back. Else
    // (timed out, or a dead thread's trace) settle the node under LIST, where a notify may still
    // win the race. A dead thread's hold on LIST or the lock is taken over and repaired.
    let notified = !traced && Atomics.compareExchange(i32, base + STATE, NOTIFIED, DONE) === NOTIFIED;
    if (!notified) notified = yield* this.#settle(node, traced);
    if (!this.#lock[tryRestore](saved) && !(yield* this.#lock[acquireRestore](saved, relock))) {
      // Out of time before the lock came back: a wake-up we took goes to the next waiter.
      if (notified) this[notifyHeld](1);
      return UNLOCKED;
    }
    return notified ? WOKEN : TIMED_OUT;
  }

  /**
   * Settle our `node` under LIST as a wait ends unnotified so far (timed out, or a dead thread's
   * trace): unlink it unless a notify marked it meanwhile, and free it. Returns whether notified.
   */
  *#settle(node: number, traced: boolean): Steps<boolean> {
    yield* this.#lockList(Infinity);
    if (traced) this.#rebuild(0);
    const notified = Atomics.load(this.#i32, NODES + node * NODE_WORDS + STATE) === NOTIFIED;
    if (!notified) this.#unlink(node);
    this.#free(node);
    this.#unlockList();
    return notified;
  }

  /**
   * Whether a dead thread left a trace here that may have cost a waiter its wake-up: the lock
   * or LIST held, or a node — a wait it never finished, or a notify it never acted on.
   */
  #deathTrace(): boolean {
    const i32 = this.#i32;
    if (this.#lock[heldByDead]() || raw.heldByDead(i32, LIST)) return true;
    for (let k = Atomics.load(i32, CAPACITY) - 1; k >= 0; k--) {
      const base = NODES + k * NODE_WORDS;
      const state = Atomics.load(i32, base + STATE);
      if (state !== 0 && state !== DONE && isDead(Atomics.load(i32, base + OWNER))) return true;
    }
    return false;
  }

  /** Take LIST (repairing it if a dead thread left it held); false if `deadline` passes. */
  *#lockList(deadline: number): Steps<boolean> {
    return raw.tryLock(this.#i32, LIST) || (yield* raw.lockSteps(this.#i32, LIST, deadline, this.#repair));
  }

  /** After LIST was taken over from a dead thread: the links may be half-written. */
  readonly #repair: raw.Repair = () => void this.#rebuild(0);

  /** Put `node` back on the free list (LIST held; it is on no waiting list). */
  #free(node: number): void {
    const i32 = this.#i32;
    const base = NODES + node * NODE_WORDS;
    Atomics.store(i32, base + STATE, 0);
    Atomics.store(i32, base + OWNER, 0);
    i32[base + NEXT] = i32[FREE]!;
    i32[FREE] = node + 1;
  }

  /** Unlink the head node (LIST held). */
  #unlinkHead(node: number): void {
    const i32 = this.#i32;
    const next = i32[NODES + node * NODE_WORDS + NEXT]!;
    i32[HEAD] = next;
    if (next === 0) i32[TAIL] = 0;
    Atomics.sub(i32, WAITERS, 1);
  }

  /** Unlink `node` wherever it is on the waiting list (LIST held); false if it is not there. */
  #unlink(node: number): boolean {
    const i32 = this.#i32;
    let prev = -1;
    for (let cur = i32[HEAD]! - 1; cur >= 0; prev = cur, cur = i32[NODES + cur * NODE_WORDS + NEXT]! - 1) {
      if (cur !== node) continue;
      if (prev < 0) {
        this.#unlinkHead(node);
        return true;
      }
      const next = i32[NODES + node * NODE_WORDS + NEXT]!;
      i32[NODES + prev * NODE_WORDS + NEXT] = next;
      if (next === 0) i32[TAIL] = prev + 1;
      Atomics.sub(i32, WAITERS, 1);
      return true;
    }
    return false;
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

  /** @internal `purgeWaiters` as steps (LIST waited for on the caller's runner). */
  *[purgeSteps](deadId: number): Steps<number> {
    const i32 = this.#i32;
    let purged = raw.takeOver(i32, LIST, deadId) ? 1 : 0;
    if (purged === 0) yield* this.#lockList(Infinity);
    purged += this.#rebuild(deadId);
    this.#unlockList();
    return purged;
  }

  /**
   * Rebuild the waiting and free lists from the nodes (LIST held), dropping the nodes of thread
   * `deadId` and of every thread the liveness table records dead, and freeing DONE ones;
   * returns how many it dropped (waits and notifies those threads never finished).
   */
  #rebuild(deadId: number): number {
    const i32 = this.#i32;
    let purged = 0;
    const capacity = Atomics.load(i32, CAPACITY);
    const waiting: number[] = [];
    let free = 0;
    for (let k = capacity - 1; k >= 0; k--) {
      const base = NODES + k * NODE_WORDS;
      const state = Atomics.load(i32, base + STATE);
      const owner = Atomics.load(i32, base + OWNER);
      if (state !== 0 && state !== DONE && (owner === deadId || isDead(owner))) {
        purged++;
      } else if (state === WAITING) {
        waiting.push(k);
        continue;
      } else if (state === NOTIFIED) {
        // Its notifier may have died between marking it and waking it.
        wake(i32, base + STATE, 1);
        continue;
      }
      Atomics.store(i32, base + STATE, 0);
      Atomics.store(i32, base + OWNER, 0);
      i32[base + NEXT] = free;
      free = k + 1;
    }
    i32[FREE] = free;
    const ticket = (k: number) => i32[NODES + k * NODE_WORDS + TICKET]!;
    waiting.sort((a, b) => (ticket(a) - ticket(b)) | 0);
    waiting.forEach((k, n) => (i32[NODES + k * NODE_WORDS + NEXT] = n + 1 < waiting.length ? waiting[n + 1]! + 1 : 0));
    i32[HEAD] = waiting.length > 0 ? waiting[0]! + 1 : 0;
    i32[TAIL] = waiting.length > 0 ? waiting[waiting.length - 1]! + 1 : 0;
    Atomics.store(i32, WAITERS, waiting.length);
    return purged;
  }
}

registerKind('Condition', (h) => Condition.from(h));
