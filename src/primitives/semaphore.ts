/**
 * Semaphore and BoundedSemaphore: Python's `threading.Semaphore` / `BoundedSemaphore` in
 * shared memory.
 *
 *   word  name      meaning                                        written by
 *   ----  --------  ---------------------------------------------  --------------------------
 *   0     TAG       0x5AB5_0004 Semaphore,                         the constructor
 *                   0x5AB5_0005 BoundedSemaphore
 *   1     VALUE     the counter, >= 0 at all times                 acquirers (CAS -1),
 *                                                                  releasers (CAS +n)
 *   2     SLEEPERS  threads in the slow path of acquire: +1 for    those threads (+/-)
 *                   a blocking one, +ASYNC_SLEEPER (2^16) for an
 *                   async one
 *   3     LIMIT     largest VALUE allowed: the initial value of a  the constructor
 *                   BoundedSemaphore, 2^31 - 1 for a Semaphore
 *
 * VALUE only ever changes by compare-and-swap, so it never goes below 0 nor above LIMIT, and a
 * release that would pass LIMIT changes nothing. A BoundedSemaphore is a Semaphore whose LIMIT
 * is its initial value and whose tag says so (as in Python, it differs only in `release`).
 *
 * Why no wake-up is lost: a sleeper increments SLEEPERS *before* it reads VALUE, and sleeps
 * comparing VALUE against 0. A releaser adds to VALUE *before* it reads SLEEPERS, and notifies
 * only if it reads more than 0. All four accesses are sequentially consistent, so they fall in
 * one total order: if the releaser reads SLEEPERS == 0, its read — and the add before it —
 * precede the sleeper's increment, hence the sleeper's later read of VALUE sees the add and it
 * does not sleep. If the release lands between the sleeper's read and its park, VALUE is no
 * longer 0 and the park returns at once. A woken sleeper that finds VALUE back at 0 (another
 * thread took the permit first) sleeps again: the permit was used, none is lost.
 *
 * A release of n wakes n sleepers — unless an async one may be among them: a waitAsync
 * sleeper acts on its wake-up only when its thread next runs its event loop (never, if that
 * thread is blocked), so then the release wakes them all and the losers sleep again.
 */
import { misuse, rangeError, typeError } from './errors.js';
import { checkTimeout, deadlineAfter, park, parkingAsync, runAsync, runSync, wake, type Steps } from './futex.js';
import { hold, holdAsync } from './lockable.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type SemaphoreKind, type Region } from './memory.js';

const VALUE = 1;
const SLEEPERS = 2;
const LIMIT = 3;

const ASYNC_SLEEPER = 1 << 16;

const INT32_MAX = 0x7fffffff;

function checkCount(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number') throw typeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > INT32_MAX) {
    throw rangeError(`${what} must be an integer from ${min} to ${INT32_MAX}, got ${value}`);
  }
  return value;
}

/** Take one permit if VALUE > 0. The whole fast path: a CAS loop that never waits. */
function tryTake(i32: Int32Array): boolean {
  for (let v = Atomics.load(i32, VALUE); v > 0; ) {
    const seen = Atomics.compareExchange(i32, VALUE, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/** Take one permit, sleeping while VALUE is 0; false if `deadline` passes first. */
function* acquireSteps(i32: Int32Array, deadline: number): Steps<boolean> {
  const sleeper = parkingAsync() ? ASYNC_SLEEPER : 1;
  Atomics.add(i32, SLEEPERS, sleeper);
  try {
    for (;;) {
      if (tryTake(i32)) return true;
      // Sleep while VALUE is still 0: SLEEPERS was raised before tryTake read VALUE, so a
      // release either shows in that read or sees SLEEPERS > 0 and notifies.
      if ((yield park(i32, VALUE, 0, deadline)) === 'timed-out') return false;
    }
  } finally {
    Atomics.sub(i32, SLEEPERS, sleeper);
  }
}

/**
 * A counter of permits shared between threads: `acquire` takes one (waiting while there are
 * none), `release` gives some back. Python: `threading.Semaphore`.
 */
export class Semaphore {
  /** Bytes a Semaphore (or BoundedSemaphore) occupies in shared memory. */
  static readonly byteLength = 16;

  readonly #region: Region;
  readonly #i32: Int32Array;
  readonly #kind: 'Semaphore' | 'BoundedSemaphore';

  /**
   * Create a Semaphore holding `value` permits (default 1), in new shared memory or at
   * `{ buffer, byteOffset }`. Throws `RangeError` if `value` is negative or not an integer.
   */
  constructor(value = 1, options?: PlacementOptions) {
    const kind = this instanceof BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore';
    const initial = checkCount(value, `${kind}(value)`, 0);
    this.#kind = kind;
    this.#region = open(this, kind, Semaphore.byteLength, options, (i32) => {
      Atomics.store(i32, VALUE, initial);
      Atomics.store(i32, SLEEPERS, 0);
      Atomics.store(i32, LIMIT, kind === 'BoundedSemaphore' ? initial : INT32_MAX);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the Semaphore a handle describes (from any thread). */
  static from(handle: Handle<SemaphoreKind>): Semaphore {
    return adopt(attach('Semaphore', handle, () => Semaphore.byteLength), () => new Semaphore());
  }

  /** A structured-cloneable description of this semaphore for `from` / `revive`. */
  get handle(): Handle<SemaphoreKind> {
    return handleOf(this.#kind, this.#region);
  }

  /** How many permits are available now. Python: `Semaphore._value`. */
  get value(): number {
    return Atomics.load(this.#i32, VALUE);
  }

  /**
   * Take one permit, blocking while there are none until `timeout` ms pass.
   * Returns true if taken, false on timeout (`timeout` 0: try once without blocking).
   * Python: `Semaphore.acquire(blocking, timeout)`.
   */
  acquire(timeout?: number): boolean {
    const t = checkTimeout(timeout);
    if (tryTake(this.#i32)) return true;
    if (t === 0) return false;
    return runSync(acquireSteps(this.#i32, deadlineAfter(t)), 'acquireAsync');
  }

  /** Async twin of `acquire`: resolves true if a permit was taken, false on timeout. */
  async acquireAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    if (tryTake(this.#i32)) return true;
    if (t === 0) return false;
    return runAsync(acquireSteps(this.#i32, deadlineAfter(t)));
  }

  /**
   * Give back `n` permits (default 1), waking up to `n` waiting threads. Any thread may release.
   * Throws `RangeError` if `n` is not an integer >= 1 (or the value would pass 2^31 - 1);
   * a BoundedSemaphore throws `ERR_OVER_RELEASE` if the value would pass its initial value.
   * Nothing changes when it throws. Python: `Semaphore.release(n)`.
   */
  release(n = 1): void {
    checkCount(n, 'release(n): n', 1);
    const i32 = this.#i32;
    const limit = Atomics.load(i32, LIMIT);
    for (let v = Atomics.load(i32, VALUE); ; ) {
      if (v > limit - n) {
        if (this.#kind === 'BoundedSemaphore') {
          throw misuse('ERR_OVER_RELEASE', `release(${n}): the BoundedSemaphore would pass its initial value ${limit}`);
        }
        throw rangeError(`release(${n}): the Semaphore's value would pass ${limit}`);
      }
      const seen = Atomics.compareExchange(i32, VALUE, v, v + n);
      if (seen === v) break;
      v = seen;
    }
    // VALUE was raised before this read of SLEEPERS: see the lost-wake-up argument above.
    const sleepers = Atomics.load(i32, SLEEPERS);
    if (sleepers > 0) wake(i32, VALUE, sleepers >= ASYNC_SLEEPER ? Infinity : n);
  }

  /** Take a permit and return a guard for `using`; `TimeoutError` if none came in time. */
  hold(timeout?: number): Disposable {
    return hold(this, timeout, this.#kind);
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this, timeout, this.#kind);
  }
}

/**
 * A Semaphore that refuses to be released above its initial value (`ERR_OVER_RELEASE`): it
 * catches a release without a matching acquire. Python: `threading.BoundedSemaphore`.
 */
export class BoundedSemaphore extends Semaphore {
  /** Attach to the BoundedSemaphore a handle describes (from any thread). */
  static override from(handle: Handle<SemaphoreKind>): BoundedSemaphore {
    return adopt(attach('BoundedSemaphore', handle, () => Semaphore.byteLength), () => new BoundedSemaphore());
  }
}

registerKind('Semaphore', (h) => Semaphore.from(h));
registerKind('BoundedSemaphore', (h) => BoundedSemaphore.from(h));
