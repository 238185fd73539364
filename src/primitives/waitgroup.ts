/**
 * WaitGroup: a counter of work in flight that threads can wait to reach zero (Go's
 * `sync.WaitGroup`, Java's `CountDownLatch` that can count up too), in shared memory.
 *
 *   word  name      meaning                                        written by
 *   ----  --------  ---------------------------------------------  --------------------------
 *   0     TAG       0x5AB5_000C                                    the constructor
 *   1     STATE     bits 0-23: COUNT, >= 0 at all times;           add / done (CAS)
 *                   bits 24-31: ZEROS, +1 each time COUNT reaches
 *                   0 (wraps after 256)
 *   2     SLEEPERS  threads in the slow path of wait               those threads (+1 / -1)
 *   3     GEN       +1 after each zero, once the CAS that made it  the add that made the zero
 *                   is done (32 bits, wraps); waiters park on it
 *
 * COUNT and ZEROS share one word so that reaching 0 and counting it are one compare-and-swap: a
 * waiter that reads the word knows whether a zero came after its read (ZEROS moved) — with two
 * words alone, a zero made just before a wait began but counted just after could release it
 * early. STATE changes only by CAS, so a change that would take COUNT below 0 (or past
 * 2^24 - 1) is refused with nothing changed.
 *
 * ZEROS alone wraps: a waiter woken late, after 256 zeros, could read STATE equal to its first
 * read and sleep on (ABA). GEN counts the same zeros in 32 bits, each bumped by the add that
 * made it, after its CAS. A waiter reads GEN (g0) and then STATE (z0 = its ZEROS); the zeros
 * made before that read of STATE number N0 = g0 + ((z0 - g0) mod 256), as long as fewer than
 * 256 adds are between their CAS and their bump at once (one per thread at most). So GEN
 * passing N0 means a zero was made after the first read of STATE, however many came since.
 *
 * A wait returns true once COUNT is 0 — at once if it is, else as soon as ZEROS has moved past
 * the value in the first read or GEN has passed N0: COUNT reached 0 at some moment during the
 * wait, even if an `add` raised it again at once. It never returns true before that (never
 * early): each of the three signs follows a zero made after the first read of STATE.
 *
 * Why no wake-up is lost (as in event.ts): a waiter raises SLEEPERS, then reads GEN and STATE,
 * and parks comparing GEN with exactly what it read; the zeroing `add` writes STATE, bumps GEN,
 * then reads SLEEPERS and notifies if it is above 0. All sequentially consistent: if the adder
 * reads SLEEPERS == 0, its bump precedes the waiter's increment and hence its read of GEN, which
 * sees it. Other changes of STATE (an `add` that leaves COUNT above 0) touch neither GEN nor the
 * sleepers.
 */
import { rangeError, typeError } from './errors.js';
import { checkTimeout, deadlineAfter, park, runAsync, runSync, wake, type Steps } from './futex.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';

const STATE = 1;
const SLEEPERS = 2;
const GEN = 3;

const COUNT_BITS = 0xffffff;
const ZERO = 1 << 24;
/** Largest count a WaitGroup holds. */
const MAX_COUNT = COUNT_BITS;

const countOf = (s: number) => s & COUNT_BITS;

/** What a wait compares against: ZEROS in its first read of STATE, and N0 (see the header). */
interface Start {
  zeros: number;
  made: number;
}

/** Read GEN, then STATE; undefined if COUNT is 0 now, else what the wait compares against. */
function begin(i32: Int32Array): Start | undefined {
  const g0 = Atomics.load(i32, GEN);
  const s = Atomics.load(i32, STATE);
  if (countOf(s) === 0) return undefined;
  const zeros = s & ~COUNT_BITS;
  return { zeros, made: (g0 + (((zeros >>> 24) - g0) & 0xff)) | 0 };
}

/** Whether a zero was made after the first read (`start`), from GEN `g` read before STATE `s`. */
const zeroSince = (start: Start, g: number, s: number) =>
  countOf(s) === 0 || (s & ~COUNT_BITS) !== start.zeros || ((g - start.made) | 0) > 0;

/** Sleep until a zero is made after the first read (`start`); false if `deadline` passes first. */
function* waitSteps(i32: Int32Array, start: Start, deadline: number): Steps<boolean> {
  Atomics.add(i32, SLEEPERS, 1);
  try {
    for (;;) {
      // SLEEPERS was raised before these reads: a zero after them bumps GEN and notifies us.
      const g = Atomics.load(i32, GEN);
      if (zeroSince(start, g, Atomics.load(i32, STATE))) return true;
      if ((yield park(i32, GEN, g, deadline)) === 'timed-out') {
        const last = Atomics.load(i32, GEN);
        return zeroSince(start, last, Atomics.load(i32, STATE));
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
      Atomics.store(i32, GEN, 0);
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
      if (next === 0 && c !== 0) {
        // GEN is bumped after STATE and before this read of SLEEPERS (see the header).
        Atomics.add(i32, GEN, 1);
        if (Atomics.load(i32, SLEEPERS) > 0) wake(i32, GEN);
      }
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
    const start = begin(this.#i32);
    if (start === undefined) return true;
    if (t === 0) return false;
    return runSync(waitSteps(this.#i32, start, deadlineAfter(t)), 'waitAsync');
  }

  /** Async twin of `wait`. */
  async waitAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    const start = begin(this.#i32);
    if (start === undefined) return true;
    if (t === 0) return false;
    return runAsync(waitSteps(this.#i32, start, deadlineAfter(t)));
  }
}

registerKind('WaitGroup', (h) => WaitGroup.from(h));
