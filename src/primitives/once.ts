/**
 * Once: run an initialisation exactly once across threads (Go's `sync.Once`, Rust's
 * `std::sync::Once`), in shared memory.
 *
 *   word  name      meaning                                        written by
 *   ----  --------  ---------------------------------------------  --------------------------
 *   0     TAG       0x5AB5_000D                                    the constructor
 *   1     STATE     IDLE (0): nobody has finished a fn yet, nobody  callers (CAS), the runner
 *                   runs one; DONE (-1): a fn has finished; any
 *                   other value: the sabsync id of the thread
 *                   running its fn now (the RUNNER)
 *   2     SLEEPERS  callers waiting for the runner                 those callers (+1 / -1)
 *   3     —         padding to 8 bytes
 *
 * A caller that finds IDLE takes the turn (CAS IDLE -> its id) and runs its own fn: when the fn
 * returns, STATE becomes DONE and every waiter returns; when it throws, STATE goes back to IDLE,
 * the error goes to that caller, and the waiters race for the next turn (each runs its own fn).
 * A caller that finds DONE returns at once: the fn's effects happen before that return (the
 * runner writes DONE after its fn, sequentially consistent, and the caller reads it).
 *
 * Why no wake-up is lost (as in event.ts): a waiter raises SLEEPERS, then reads STATE, and parks
 * comparing STATE with exactly that runner id; the runner writes STATE (DONE or IDLE) before it
 * reads SLEEPERS, and wakes every sleeper if it reads more than 0.
 *
 * A runner that dies mid-fn (a thread sabsync started: liveness.ts) will never write DONE: a
 * waiter's sleep is cut short while deaths can be learned (`sliceEnd`), and a caller that finds
 * a dead runner takes the turn from it (CAS from exactly that id: one caller wins) and runs its
 * own fn, as after a fn that threw.
 *
 * A sync `call` in the runner's own thread (from inside the fn, or while this thread's
 * `callAsync` is running one) would wait for itself forever: it throws `ERR_CANNOT_BLOCK` instead.
 */
import { misuse, typeError } from './errors.js';
import { park, runAsync, runSyncMarked, waitBegins, wake, type Steps } from './futex.js';
import { isDead, sliceEnd } from './liveness.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';
import { threadId } from './thread.js';

const STATE = 1;
const SLEEPERS = 2;

const IDLE = 0;
const DONE = -1;

const me = threadId;

/**
 * Wait for the turn: true once this caller holds it (STATE is its id: it must run its fn),
 * false once a fn has finished (DONE).
 */
function* turnSteps(i32: Int32Array): Steps<boolean> {
  let sleeping = false;
  try {
    for (let sleeps = 0; ; ) {
      const s = Atomics.load(i32, STATE);
      if (s === DONE) return false;
      if (s === IDLE || (s !== me && isDead(s))) {
        // From exactly the value read: of several callers, one takes the turn.
        if (Atomics.compareExchange(i32, STATE, s, me) === s) return true;
        continue;
      }
      if (!sleeping) {
        // A real wait for the runner begins: refused here (nothing changed) where this thread
        // may not block. Raise SLEEPERS, then read STATE again before parking on it (see the header).
        waitBegins();
        Atomics.add(i32, SLEEPERS, 1);
        sleeping = true;
        continue;
      }
      // Sleep while the same runner runs; cut short to see whether it died.
      yield park(i32, STATE, s, sliceEnd(Infinity, sleeps++));
    }
  } finally {
    if (sleeping) Atomics.sub(i32, SLEEPERS, 1);
  }
}

function checkFn(fn: unknown, method: string): void {
  if (typeof fn !== 'function') throw typeError(`${method}(fn): fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
}

/** Run a function once across threads; later callers wait for it. Go: `sync.Once`. */
export class Once {
  /** Bytes a Once occupies in shared memory. */
  static readonly byteLength = 16;

  readonly #region: Region;
  readonly #i32: Int32Array;

  /** Create a Once that has run nothing, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'Once', Once.byteLength, options, (i32) => {
      Atomics.store(i32, STATE, IDLE);
      Atomics.store(i32, SLEEPERS, 0);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the Once a handle describes (from any thread). */
  static from(handle: Handle<'Once'>): Once {
    return adopt(attach('Once', handle, () => Once.byteLength), () => new Once());
  }

  /** A structured-cloneable description of this Once for `Once.from` / `revive`. */
  get handle(): Handle<'Once'> {
    return handleOf('Once', this.#region);
  }

  /** Whether a fn has finished (returned without throwing). */
  get done(): boolean {
    return Atomics.load(this.#i32, STATE) === DONE;
  }

  /**
   * Run `fn` if no fn has finished yet and no other caller is running one; else wait until the
   * running one has finished and return (if it threw, or its thread died, the next waiter runs
   * its own fn). What `fn` throws is rethrown here, and the Once stays not done. `fn`'s effects
   * happen before every `call` that returns without running it. Throws `TypeError` if `fn` is not
   * a function, `ERR_CANNOT_BLOCK` if it would wait for this very thread (a `call` from inside
   * the fn). Go: `Once.Do`.
   */
  call(fn: () => unknown): void {
    checkFn(fn, 'call');
    const i32 = this.#i32;
    const s = Atomics.load(i32, STATE);
    if (s === DONE) return;
    let mine = s === IDLE && Atomics.compareExchange(i32, STATE, IDLE, me) === IDLE;
    if (!mine) {
      if (Atomics.load(i32, STATE) === me) {
        throw misuse('ERR_CANNOT_BLOCK', 'call(): this thread is running this Once\'s fn; waiting for it here would never end');
      }
      mine = runSyncMarked(turnSteps(i32), 'callAsync');
    }
    if (!mine) return;
    try {
      fn();
    } catch (error) {
      this.#finish(IDLE);
      throw error;
    }
    this.#finish(DONE);
  }

  /**
   * Async twin of `call`: waits without blocking the event loop, and awaits what `fn` returns
   * (an async fn is finished when its promise settles).
   */
  async callAsync(fn: () => unknown): Promise<void> {
    checkFn(fn, 'callAsync');
    if (!(await runAsync(turnSteps(this.#i32)))) return;
    try {
      await fn();
    } catch (error) {
      this.#finish(IDLE);
      throw error;
    }
    this.#finish(DONE);
  }

  /** End this thread's turn with `state` and wake every waiter. */
  #finish(state: number): void {
    const i32 = this.#i32;
    Atomics.store(i32, STATE, state);
    // STATE was written before this read of SLEEPERS (see the header).
    if (Atomics.load(i32, SLEEPERS) > 0) wake(i32, STATE);
  }
}

registerKind('Once', (h) => Once.from(h));
