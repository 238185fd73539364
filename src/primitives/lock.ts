/**
 * Lock: Python's `threading.Lock` in shared memory.
 *
 *   word  name   meaning                                         written by
 *   ----  -----  ----------------------------------------------  ---------------------------
 *   0     TAG    0x5AB5_0001, set once when constructed          the constructor
 *   1     STATE  the raw lock word: its values (UNLOCKED,          acquirers, releasers,
 *                LOCKED by a holder, CONTENDED and ASYNC bits)    a taker from a dead holder
 *                and its writers are drawn in rawlock.ts
 *
 * No owner semantics, as in Python: any thread may release a held Lock, and the holder
 * acquiring again blocks (deadlocks without a timeout). The holder's id is still recorded in
 * STATE so that a Condition can check ownership and so that the next acquirer can take over a
 * lock whose holder died (rawlock.ts). The lost-wake-up argument is rawlock.ts's.
 */
import { misuse } from './errors.js';
import { checkTimeout, deadlineAfter, runAsync, runBriefly, runSync, type Steps } from './futex.js';
import {
  acquireRestore,
  heldByDead,
  hold,
  holdAsync,
  isOwned,
  recoverLock,
  releaseSave,
  repairOnTakeOver,
  tryRestore,
  type Lockable,
} from './lockable.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';
import * as raw from './rawlock.js';

const STATE = 1;

/** A mutual-exclusion lock shared between threads. Python: `threading.Lock`. */
export class Lock implements Lockable {
  /** Bytes a Lock occupies in shared memory. */
  static readonly byteLength = 8;

  readonly #region: Region;
  readonly #i32: Int32Array;
  /** @internal What to repair after taking this lock over from a dead holder (the Queue's). */
  [repairOnTakeOver]: raw.Repair | undefined;

  /** Create an unlocked Lock, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'Lock', Lock.byteLength, options, (i32) => Atomics.store(i32, STATE, raw.UNLOCKED));
    this.#i32 = this.#region.i32;
  }

  /** Attach to the Lock a handle describes (from any thread). */
  static from(handle: Handle<'Lock'>): Lock {
    return adopt(attach('Lock', handle, () => Lock.byteLength), () => new Lock());
  }

  /** A structured-cloneable description of this Lock for `Lock.from` / `revive`. */
  get handle(): Handle<'Lock'> {
    return handleOf('Lock', this.#region);
  }

  /**
   * Acquire the lock, blocking until it is free or `timeout` ms pass.
   * Returns true if acquired, false on timeout (`timeout` 0: try once without blocking).
   * A lock whose holder was a thread sabsync started that has since died is taken over.
   * Python: `Lock.acquire(blocking, timeout)`.
   */
  acquire(timeout?: number): boolean {
    const t = checkTimeout(timeout);
    if (raw.tryLock(this.#i32, STATE)) return true;
    const steps = this.#lockSteps(deadlineAfter(t));
    return t === 0 ? runBriefly(steps, 'acquire') : runSync(steps, 'acquireAsync');
  }

  /** Async twin of `acquire`: resolves true if acquired, false on timeout. */
  async acquireAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    if (raw.tryLock(this.#i32, STATE)) return true;
    return runAsync(this.#lockSteps(deadlineAfter(t)));
  }

  #lockSteps(deadline: number): Steps<boolean> {
    return raw.lockSteps(this.#i32, STATE, deadline, this[repairOnTakeOver]);
  }

  /**
   * Release the lock. Any thread may release it. Throws `ERR_NOT_LOCKED` if it is not locked.
   * Python: `Lock.release()`.
   */
  release(): void {
    if (!raw.unlock(this.#i32, STATE)) throw misuse('ERR_NOT_LOCKED', 'release(): the Lock is not locked');
  }

  /** Whether the lock is held by any thread. Python: `Lock.locked()`. */
  locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== raw.UNLOCKED;
  }

  /** Acquire and return a guard for `using`; `TimeoutError` if not acquired in time. */
  hold(timeout?: number): Disposable {
    return hold(this, timeout, 'Lock');
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this, timeout, 'Lock');
  }

  /** @internal Whether the calling thread took this lock. */
  [isOwned](): boolean {
    return raw.heldByMe(this.#i32, STATE);
  }

  /** @internal */
  [releaseSave](): number {
    raw.unlock(this.#i32, STATE);
    return 0;
  }

  /** @internal */
  *[acquireRestore](saved: number, deadline = Infinity): Steps<boolean> {
    return this[tryRestore](saved) || (yield* this.#lockSteps(deadline));
  }

  /** @internal */
  [tryRestore](_saved: number): boolean {
    return raw.tryLock(this.#i32, STATE);
  }

  /** @internal */
  [heldByDead](): boolean {
    return raw.heldByDead(this.#i32, STATE);
  }

  /** @internal */
  [recoverLock](deadId: number): boolean {
    return raw.recover(this.#i32, STATE, deadId);
  }
}

registerKind('Lock', (h) => Lock.from(h));
