/**
 * RLock: Python's `threading.RLock` — a re-entrant lock owned by one thread at a time.
 *
 *   word  name   meaning                                         written by
 *   ----  -----  ----------------------------------------------  ---------------------------
 *   0     TAG    0x5AB5_0002                                     the constructor
 *   1     STATE  raw lock word (rawlock.ts); its holder id is    acquirers, the owner
 *                the OWNER of the RLock
 *   2     COUNT  how many times the owner has acquired it        the owner only
 *   3     —      padding to 8 bytes
 *
 * An RLock whose owner died (a thread sabsync started, rawlock.ts) is taken over by the next
 * acquirer, which starts a count of its own.
 *
 * Ownership lives in shared memory, not in the JS wrapper: any wrapper of the same RLock in the
 * same thread sees the same owner. COUNT is touched only by the thread whose id is in STATE, so
 * it needs no lock of its own and is read and written plainly: the sequentially consistent
 * operations on STATE that hand the lock from one owner to the next order those accesses.
 */
import { misuse } from './errors.js';
import { checkTimeout, deadlineAfter, runAsync, runBriefly, runSync, type Steps } from './futex.js';
import { acquireRestore, heldByDead, hold, holdAsync, isOwned, recoverLock, releaseSave, tryRestore, type Lockable } from './lockable.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';
import * as raw from './rawlock.js';

const STATE = 1;
const COUNT = 2;

/** A re-entrant lock shared between threads. Python: `threading.RLock`. */
export class RLock implements Lockable {
  /** Bytes an RLock occupies in shared memory. */
  static readonly byteLength = 16;

  readonly #region: Region;
  readonly #i32: Int32Array;

  /** Create an unowned RLock, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'RLock', RLock.byteLength, options, (i32) => {
      Atomics.store(i32, STATE, raw.UNLOCKED);
      Atomics.store(i32, COUNT, 0);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the RLock a handle describes (from any thread). */
  static from(handle: Handle<'RLock'>): RLock {
    return adopt(attach('RLock', handle, () => RLock.byteLength), () => new RLock());
  }

  /** A structured-cloneable description of this RLock for `RLock.from` / `revive`. */
  get handle(): Handle<'RLock'> {
    return handleOf('RLock', this.#region);
  }

  /**
   * Acquire the lock: at once if this thread owns it already (one more level), else blocking
   * until it is free or `timeout` ms pass. Returns false on timeout.
   * Python: `RLock.acquire(blocking, timeout)`.
   */
  acquire(timeout?: number): boolean {
    const t = checkTimeout(timeout);
    if (this.#tryAcquire()) return true;
    const steps = raw.lockSteps(this.#i32, STATE, deadlineAfter(t));
    if (!(t === 0 ? runBriefly(steps, 'acquire') : runSync(steps, 'acquireAsync'))) return false;
    this.#i32[COUNT] = 1;
    return true;
  }

  /** Async twin of `acquire`. */
  async acquireAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    if (this.#tryAcquire()) return true;
    if (!(await runAsync(raw.lockSteps(this.#i32, STATE, deadlineAfter(t))))) return false;
    this.#i32[COUNT] = 1;
    return true;
  }

  /** The fast path: take the free lock (one CAS), or one more level of our own. */
  #tryAcquire(): boolean {
    const i32 = this.#i32;
    if (raw.tryLock(i32, STATE)) {
      i32[COUNT] = 1;
      return true;
    }
    if (!raw.heldByMe(i32, STATE)) return false;
    i32[COUNT]++;
    return true;
  }

  /**
   * Release one level; the lock is free when the count returns to 0.
   * Throws `ERR_NOT_OWNER` if the calling thread does not own it (also when nobody does).
   * Python: `RLock.release()`.
   */
  release(): void {
    const i32 = this.#i32;
    if (!raw.heldByMe(i32, STATE)) {
      throw misuse('ERR_NOT_OWNER', 'release(): the RLock is not owned by this thread');
    }
    if (--i32[COUNT] === 0) raw.unlock(i32, STATE);
  }

  /** Whether any thread owns the lock. Python: `RLock.locked()` (3.14). */
  locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== raw.UNLOCKED;
  }

  /** Acquire and return a guard for `using`; `TimeoutError` if not acquired in time. */
  hold(timeout?: number): Disposable {
    return hold(this, timeout, 'RLock');
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this, timeout, 'RLock');
  }

  /** @internal */
  [isOwned](): boolean {
    return raw.heldByMe(this.#i32, STATE);
  }

  /** @internal Release every level at once; returns the count to restore. */
  [releaseSave](): number {
    const count = this.#i32[COUNT]!;
    this.#i32[COUNT] = 0;
    raw.unlock(this.#i32, STATE);
    return count;
  }

  /** @internal */
  *[acquireRestore](count: number, deadline = Infinity): Steps<boolean> {
    if (this[tryRestore](count)) return true;
    if (!(yield* raw.lockSteps(this.#i32, STATE, deadline))) return false;
    this.#i32[COUNT] = count;
    return true;
  }

  /** @internal */
  [tryRestore](count: number): boolean {
    if (!raw.tryLock(this.#i32, STATE)) return false;
    this.#i32[COUNT] = count;
    return true;
  }

  /** @internal */
  [heldByDead](): boolean {
    return raw.heldByDead(this.#i32, STATE);
  }

  /** @internal */
  [recoverLock](deadId: number): boolean {
    if (raw.holderOf(this.#i32, STATE) !== deadId) return false;
    Atomics.store(this.#i32, COUNT, 0);
    return raw.recover(this.#i32, STATE, deadId);
  }
}

registerKind('RLock', (h) => RLock.from(h));
