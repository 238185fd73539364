/**
 * Event: Python's `threading.Event` — a flag that threads wait for — in shared memory.
 *
 *   word  name      meaning                                        written by
 *   ----  --------  ---------------------------------------------  --------------------------
 *   0     TAG       0x5AB5_0006                                    the constructor
 *   1     STATE     bit 0: the flag (SET = 1);                     set() (CAS), clear() (AND)
 *                   bits 1-31: GENERATION, +1 on every set() that
 *                   turns the flag on (wraps around)
 *   2     SLEEPERS  threads in the slow path of wait               those threads (+1 / -1)
 *   3     —         padding to 8 bytes
 *
 * A wait begins with one read of STATE. If the flag is off, the waiter sleeps comparing STATE
 * against exactly that value — never a later one, so a set() + clear() landing right after
 * the read still counts. From an unset value the only possible change is a set(), which also
 * bumps GENERATION; so any change means "the flag was set at some moment during the wait" —
 * even when clear() follows at once, because clear() keeps the new GENERATION and STATE never
 * returns to the value the waiter compares against (short of 2^31 set()s while one waiter is
 * descheduled).
 *
 * Why no wake-up is lost: a sleeper increments SLEEPERS *before* its park compares STATE with
 * the value it saw; set() writes STATE *before* it reads SLEEPERS and notifies only if it
 * reads more than 0. These accesses are sequentially consistent: if set() reads SLEEPERS == 0,
 * its write precedes the sleeper's increment and hence the park's comparison, which then
 * fails, and the wait returns true at once.
 */
import { checkTimeout, deadlineAfter, park, runAsync, runSync, wake, type Steps } from './futex.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';

const STATE = 1;
const SLEEPERS = 2;

const SET = 1;

/**
 * Sleep while STATE is still `seen`, the unset value read when the wait began; true if it
 * changed (a set() happened since), false if `deadline` passed first.
 */
function* waitSteps(i32: Int32Array, seen: number, deadline: number): Steps<boolean> {
  Atomics.add(i32, SLEEPERS, 1);
  try {
    // SLEEPERS was raised before the park compares STATE with `seen`: a set() either shows in
    // that comparison or reads SLEEPERS > 0 and notifies.
    // A wake-up proves nothing by itself (a set() preempted between its CAS and its notify can
    // wake a later wait): only a changed STATE means a set() happened.
    for (;;) {
      const r = yield park(i32, STATE, seen, deadline);
      if (Atomics.load(i32, STATE) !== seen) return true;
      if (r === 'timed-out') return false;
    }
  } finally {
    Atomics.sub(i32, SLEEPERS, 1);
  }
}

/** A flag shared between threads that threads can wait for. Python: `threading.Event`. */
export class Event {
  /** Bytes an Event occupies in shared memory. */
  static readonly byteLength = 16;

  readonly #region: Region;
  readonly #i32: Int32Array;

  /** Create an Event whose flag is off, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'Event', Event.byteLength, options, (i32) => {
      Atomics.store(i32, STATE, 0);
      Atomics.store(i32, SLEEPERS, 0);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the Event a handle describes (from any thread). */
  static from(handle: Handle<'Event'>): Event {
    return adopt(attach('Event', handle, () => Event.byteLength), () => new Event());
  }

  /** A structured-cloneable description of this Event for `Event.from` / `revive`. */
  get handle(): Handle<'Event'> {
    return handleOf('Event', this.#region);
  }

  /** Whether the flag is on. Python: `Event.is_set()`. */
  isSet(): boolean {
    return (Atomics.load(this.#i32, STATE) & SET) !== 0;
  }

  /**
   * Turn the flag on and wake every thread waiting for it. Does nothing if it is on already.
   * Python: `Event.set()`.
   */
  set(): void {
    const i32 = this.#i32;
    for (let s = Atomics.load(i32, STATE); (s & SET) === 0; ) {
      // Next GENERATION with the flag on (`|` keeps it an Int32: it wraps around).
      const seen = Atomics.compareExchange(i32, STATE, s, (s + 2) | SET);
      if (seen === s) {
        // STATE was written before this read of SLEEPERS: see the lost-wake-up argument above.
        if (Atomics.load(i32, SLEEPERS) > 0) wake(i32, STATE);
        return;
      }
      s = seen;
    }
  }

  /** Turn the flag off; waiting threads keep waiting for the next `set()`. Python: `Event.clear()`. */
  clear(): void {
    Atomics.and(this.#i32, STATE, ~SET);
  }

  /**
   * Wait until the flag is on, or until `timeout` ms pass. Returns true if the flag was on at
   * any moment during the wait (even if cleared again at once), false on timeout.
   * Python: `Event.wait(timeout)`.
   */
  wait(timeout?: number): boolean {
    const t = checkTimeout(timeout);
    const seen = Atomics.load(this.#i32, STATE);
    if ((seen & SET) !== 0) return true;
    if (t === 0) return false;
    return runSync(waitSteps(this.#i32, seen, deadlineAfter(t)), 'waitAsync');
  }

  /** Async twin of `wait`: resolves true if the flag was on during the wait, false on timeout. */
  async waitAsync(timeout?: number): Promise<boolean> {
    const t = checkTimeout(timeout);
    const seen = Atomics.load(this.#i32, STATE);
    if ((seen & SET) !== 0) return true;
    if (t === 0) return false;
    return runAsync(waitSteps(this.#i32, seen, deadlineAfter(t)));
  }
}

registerKind('Event', (h) => Event.from(h));
