/**
 * WaitGroup: a counter of work in flight that threads can wait to reach zero (Go's
 * `sync.WaitGroup`, Java's `CountDownLatch` that can count up too), in shared memory.
 *
 *   word  name      meaning                                        written by
 *   ----  --------  ---------------------------------------------  --------------------------
 *   0     TAG       0x5AB5_000C                                    the constructor
 *   1     STATE     bits 0-23: COUNT, >= 0 at all times;           add / done (CAS)
 *                   bits 24-31: ZEROS, +1 each time COUNT reaches
 *                   0 (wraps); waiters park on this word
 *   2     SLEEPERS  threads in the slow path of wait               those threads (+1 / -1)
 *   3     —         padding to 8 bytes
 *
 * COUNT and ZEROS share one word so that reaching 0 and counting it are one compare-and-swap: a
 * waiter that reads the word knows whether a zero came after its read (ZEROS moved) — with two
 * words, a zero made just before a wait began but counted just after could release it early.
 * STATE changes only by CAS, so a change that would take COUNT below 0 (or past 2^24 - 1) is
 * refused with nothing changed.
 *
 * A wait returns true once COUNT is 0 — at once if it is, else as soon as ZEROS has moved past
 * the value in the first read: COUNT reached 0 at some moment during the wait, even if an `add`
 * raised it again at once. It never returns true before that (never early).
 *
 * Why no wake-up is lost (as in event.ts): a waiter raises SLEEPERS, then reads STATE, and parks
 * comparing STATE with exactly what it read; the zeroing `add` writes STATE, then reads SLEEPERS
 * and notifies if it is above 0. All sequentially consistent: if the adder reads SLEEPERS == 0,
 * its write precedes the waiter's increment and hence its read, which sees the new ZEROS. Other
 * changes of STATE (an `add` that leaves COUNT above 0) notify nobody: a park that compares
 * against an older value returns at once and the waiter parks again on the new one.
 */
import { rangeError, typeError } from './errors.js';
import { checkTimeout, deadlineAfter, park, runAsync, runSync, wake, type Steps } from './futex.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';

const STATE = 1;
const SLEEPERS = 2;

const COUNT_BITS = 0xffffff;
const ZERO = 1 << 24;
/** Largest count a WaitGroup holds. */
const MAX_COUNT = COUNT_BITS;

const countOf = (s: number) => s & COUNT_BITS;

/** Sleep until COUNT is 0 or ZEROS moves past its value in `first`; false if `deadline` passes first. */
function* waitSteps(i32: Int32Array, first: number, deadline: number): Steps<boolean> {
  const zeros = first & ~COUNT_BITS;
  Atomics.add(i32, SLEEPERS, 1);
  try {
    for (;;) {
      // SLEEPERS was raised before this read: a zero after it notifies us.
      const s = Atomics.load(i32, STATE);
      if (countOf(s) === 0 || (s & ~COUNT_BITS) !== zeros) return true;
      if ((yield park(i32, STATE, s, deadline)) === 'timed-out') {
        const last = Atomics.load(i32, STATE);
        return countOf(last) === 0 || (last & ~COUNT_BITS) !== zeros;
      }
    }
  } finally {
    Atomics.sub(i32, SLEEPERS, 1);
  }
}

/** A counter of work in flight that threads wait for to reach zero. Go: `sync.WaitGroup`. */
export class WaitGroup {
  /** Bytes a WaitGroup occupies in shared memory. */
  static readonly byteLength = 16;

  readonly #region: Region;
  readonly #i32: Int32Array;

  /** Create a WaitGroup whose count is 0, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'WaitGroup', WaitGroup.byteLength, options, (i32) => {
      Atomics.store(i32, STATE, 0);
      Atomics.store(i32, SLEEPERS, 0);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the WaitGroup a handle describes (from any thread). */
  static from(handle: Handle<'WaitGroup'>): WaitGroup {
    return adopt(attach('WaitGroup', handle, () => WaitGroup.byteLength), () => new WaitGroup());
  }

  /** A structured-cloneable description of this WaitGroup for `WaitGroup.from` / `revive`. */
  get handle(): Handle<'WaitGroup'> {
    return handleOf('WaitGroup', this.#region);
  }

  /** The count now (a snapshot). */
  get count(): number {
    return countOf(Atomics.load(this.#i32, STATE));
  }

  /**
   * Add `n` (default 1; negative to take away) to the count; reaching 0 releases every waiter.
   * Throws `TypeError` / `RangeError` for an `n` that is not an integer, and `RangeError` if the
   * count would go below 0 (or past 2^24 - 1); nothing changes then. Go: `WaitGroup.Add`.
   */
  add(n = 1): void {
    if (typeof n !== 'number') throw typeError(`add(n): n must be a number, got ${typeof n}`);
    if (!Number.isInteger(n)) throw rangeError(`add(n): n must be an integer, got ${n}`);
    const i32 = this.#i32;
    for (let s = Atomics.load(i32, STATE); ; ) {
      const c = countOf(s);
      const next = c + n;
      if (next < 0) throw rangeError(`add(${n}): the WaitGroup's count ${c} would go below 0`);
      if (next > MAX_COUNT) throw rangeError(`add(${n}): the WaitGroup's count ${c} would pass ${MAX_COUNT}`);
      // Reaching 0 counts a zero in the same CAS (`| 0` keeps it an Int32: ZEROS wraps).
      const zeros = next === 0 && c !== 0 ? (s & ~COUNT_BITS) + ZERO : s & ~COUNT_BITS;
      const seen = Atomics.compareExchange(i32, STATE, s, (zeros | next) | 0);
      if (seen !== s) {
        s = seen;
        continue;
      }
      // STATE was written before this read of SLEEPERS (see the header).
      if (next === 0 && c !== 0 && Atomics.load(i32, SLEEPERS) > 0) wake(i32, STATE);
      return;
    }
  }

  /** Take 1 from the count: `add(-1)`. `RangeError` (nothing changed) if it is 0. Go: `WaitGroup.Done`. */
  done(): void {
    this.add(-1);
  }

  /**
   * Wait until the count is 0, or until `timeout` ms pass. Returns true if it was 0 at some
   * moment during the wait, false on timeout. Go: `WaitGroup.Wait`.
   */
  wait(timeout?: number): boolean {
    const t = checkTimeout(timeout);
    const first = Atomics.load(this.#i32, STATE);
    if (countOf(first) === 0) return true;
    if (t === 0) return false;
    return runSync(waitSteps(this.#i32, first, deadlineAfter(t)), 'waitAsync');
  }

  /** Async twin of `wait`. */
  async waitAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    const first = Atomics.load(this.#i32, STATE);
    if (countOf(first) === 0) return true;
    if (t === 0) return false;
    return runAsync(waitSteps(this.#i32, first, deadlineAfter(t)));
  }
}

registerKind('WaitGroup', (h) => WaitGroup.from(h));
