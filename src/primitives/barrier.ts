/**
 * Barrier: Python's `threading.Barrier` — `parties` threads wait until all have arrived — in
 * shared memory, with CPython's state machine.
 *
 *   word  name     meaning                                         written by
 *   ----  -------  ----------------------------------------------  ---------------------------
 *   0     TAG      0x5AB5_0007                                     the constructor
 *   1     LOCK     raw lock word (rawlock.ts) guarding STATE and    wait, reset, abort
 *                  COUNT
 *   2     STATE    FILLING:   threads are arriving                 LOCK holders
 *                  DRAINING:  all arrived; they are leaving wait()
 *                  RESETTING: reset() while threads were inside;
 *                             they leave with BrokenBarrierError
 *                  BROKEN:    until reset()
 *   3     COUNT    threads inside wait() (arrived, not yet left)   LOCK holders
 *   4     SEQ      +1 after every STATE change (wraps around);     LOCK holders
 *                  sleepers park on it
 *   5     PARTIES  how many threads make the barrier pass          the constructor
 *   6-7   TIMEOUT  Float64: default timeout of wait(), ms          the constructor
 *
 * A cycle: arrivals take indices 0, 1, ... from COUNT while STATE is FILLING and sleep; the one
 * that takes `parties - 1` runs its own action (holding LOCK, as Python does, so nobody can
 * leave before it ends) and sets DRAINING; the sleepers wake, see DRAINING, and leave with
 * their index; the last one out (COUNT back to 0) sets FILLING. A thread arriving during
 * DRAINING or RESETTING waits for FILLING, so a cycle never starts before every thread of the
 * previous one has seen how it ended. A timeout, an `abort()` or an
 * action that throws sets BROKEN: every sleeper wakes and throws `BrokenBarrierError`.
 *
 * Why no wake-up is lost: a thread decides to sleep while it holds LOCK, reads SEQ before
 * releasing LOCK, and parks comparing SEQ against that value. Every STATE change is made under
 * LOCK and followed by SEQ + 1 and a notify of all sleepers, so a change made after the read of
 * SEQ makes the park return at once, and one made before it was seen under LOCK.
 *
 * A party that dies holding LOCK (a thread sabsync started, rawlock.ts) leaves STATE and COUNT
 * half-changed and can never arrive again: the next thread to want LOCK takes it over and
 * breaks the barrier, waking every sleeper with `BrokenBarrierError` (`reset()` makes it usable).
 */
import { BrokenBarrierError, rangeError, typeError } from './errors.js';
import { checkTimeout, deadlineAfter, park, remaining, runAsync, runSyncMarked, waitBegins, wake, type Steps } from './futex.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';
import * as raw from './rawlock.js';

const LOCK = 1;
const STATE = 2;
const COUNT = 3;
const SEQ = 4;
const PARTIES = 5;
const TIMEOUT_BYTE = 24;
const BYTES = 32;

const FILLING = 0;
const DRAINING = 1;
const RESETTING = 2;
const BROKEN = 3;

/** Options of `new Barrier(parties, options)`. */
export interface BarrierOptions extends PlacementOptions {
  /** Run by the last thread to arrive, before any is released; if it throws, the barrier breaks. */
  action?: () => void;
  /** Default timeout of `wait()` in ms, shared by every thread (default: wait forever). */
  timeout?: number;
}

function checkParties(parties: unknown): number {
  if (typeof parties !== 'number') throw typeError(`Barrier(parties): parties must be a number, got ${typeof parties}`);
  if (!Number.isInteger(parties) || parties < 1 || parties > 0x7fffffff) {
    throw rangeError(`Barrier(parties): parties must be an integer >= 1, got ${parties}`);
  }
  return parties;
}

function checkAction(options: { action?: unknown } | undefined, what: string): (() => void) | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw typeError(`${what} options must be an object`);
  }
  const action = options?.action;
  if (action !== undefined && typeof action !== 'function') {
    throw typeError(`${what} options.action must be a function, got ${typeof action}`);
  }
  return action as (() => void) | undefined;
}

/** A point where `parties` threads wait for each other, reusable. Python: `threading.Barrier`. */
export class Barrier {
  /** Bytes a Barrier occupies in shared memory (the same for every `parties`). */
  static byteLength(parties?: number): number {
    if (parties !== undefined) checkParties(parties);
    return BYTES;
  }

  readonly #region: Region;
  readonly #i32: Int32Array;
  readonly #action: (() => void) | undefined;
  readonly #timeout: number;

  /**
   * Create a Barrier for `parties` threads, in new shared memory or at `{ buffer, byteOffset }`.
   * `action` runs in the last thread to arrive (if that thread's Barrier object has one);
   * `timeout` is the default of `wait()`. Throws `RangeError` if `parties` is not an integer >= 1.
   */
  constructor(parties: number, options?: BarrierOptions) {
    const n = checkParties(parties);
    this.#action = checkAction(options, 'Barrier');
    const timeout = checkTimeout(options?.timeout, 'Barrier options.timeout');
    this.#region = open(this, 'Barrier', BYTES, options, (i32) => {
      Atomics.store(i32, LOCK, raw.UNLOCKED);
      Atomics.store(i32, STATE, FILLING);
      Atomics.store(i32, COUNT, 0);
      Atomics.store(i32, SEQ, 0);
      Atomics.store(i32, PARTIES, n);
      new Float64Array(i32.buffer, i32.byteOffset + TIMEOUT_BYTE, 1)[0] = timeout;
    });
    this.#i32 = this.#region.i32;
    this.#timeout = new Float64Array(this.#i32.buffer, this.#i32.byteOffset + TIMEOUT_BYTE, 1)[0]!;
  }

  /**
   * Attach to the Barrier a handle describes (from any thread), with this thread's `action`
   * (functions cannot cross threads).
   */
  static from(handle: Handle<'Barrier'>, options?: { action?: () => void }): Barrier {
    const action = checkAction(options, 'Barrier.from');
    return adopt(attach('Barrier', handle, () => BYTES), () => new Barrier(1, { action }));
  }

  /** A structured-cloneable description of this Barrier for `Barrier.from` / `revive`. */
  get handle(): Handle<'Barrier'> {
    return handleOf('Barrier', this.#region);
  }

  /** How many threads must arrive for the barrier to pass. Python: `Barrier.parties`. */
  get parties(): number {
    return Atomics.load(this.#i32, PARTIES);
  }

  /** How many threads are waiting in the current cycle. Python: `Barrier.n_waiting`. */
  get nWaiting(): number {
    return Atomics.load(this.#i32, STATE) === FILLING ? Atomics.load(this.#i32, COUNT) : 0;
  }

  /** Whether the barrier is broken. Python: `Barrier.broken`. */
  get broken(): boolean {
    return Atomics.load(this.#i32, STATE) === BROKEN;
  }

  /**
   * Wait until `parties` threads have called `wait()`, or until `timeout` ms pass (default: the
   * Barrier's `timeout` option). Returns this thread's arrival index, 0 to `parties - 1`; the
   * last to arrive runs its action before any thread is released. Throws `BrokenBarrierError`
   * if the barrier is or becomes broken, reset or aborted while waiting, or on timeout — which
   * breaks it. If the action throws, the barrier breaks and its error is rethrown here.
   * Python: `Barrier.wait(timeout)`.
   */
  wait(timeout?: number): number {
    return runSyncMarked(this.#waitSteps(this.#deadline(timeout)), 'waitAsync');
  }

  /** Async twin of `wait`. */
  async waitAsync(timeout?: number): Promise<number> {
    return runAsync(this.#waitSteps(this.#deadline(timeout)));
  }

  /**
   * Return the barrier to its initial state. Threads waiting in it now throw
   * `BrokenBarrierError`; a broken barrier is usable again. Python: `Barrier.reset()`.
   */
  reset(): void {
    raw.lockBriefly(this.#i32, LOCK, 'reset', this.#repair);
    const state = Atomics.load(this.#i32, STATE);
    // Threads still inside must first see how their cycle ended: RESETTING lets the last one
    // out restore FILLING, as DRAINING does.
    const next = Atomics.load(this.#i32, COUNT) === 0 ? FILLING : state === DRAINING ? DRAINING : RESETTING;
    this.#setState(next);
    raw.unlock(this.#i32, LOCK);
  }

  /**
   * Break the barrier: threads waiting in it, and any that call `wait()` until `reset()`, throw
   * `BrokenBarrierError`. Python: `Barrier.abort()`.
   */
  abort(): void {
    raw.lockBriefly(this.#i32, LOCK, 'abort', this.#repair);
    this.#setState(BROKEN);
    raw.unlock(this.#i32, LOCK);
  }

  #deadline(timeout: number | undefined): number {
    return deadlineAfter(timeout === undefined ? this.#timeout : checkTimeout(timeout));
  }

  *#waitSteps(deadline: number): Steps<number> {
    const i32 = this.#i32;
    if (!raw.tryLock(i32, LOCK)) yield* raw.lockSteps(i32, LOCK, Infinity, this.#repair);
    try {
      // The previous cycle is still leaving (or being reset): wait for FILLING.
      while (this.#stateIs(DRAINING) || this.#stateIs(RESETTING)) {
        // A real wait (for the previous cycle's parties), unless the deadline has passed (the
        // sleep then breaks the barrier at once): where this thread may not block, it throws here.
        if (remaining(deadline) > 0) waitBegins();
        yield* this.#sleep(deadline);
      }
      if (this.#stateIs(BROKEN)) throw new BrokenBarrierError('wait(): the barrier is broken');
      // Not the last: a real wait for the others begins, checked before this arrival counts (the
      // last one never waits, so it passes where this thread may not block).
      if (Atomics.load(i32, COUNT) + 1 !== Atomics.load(i32, PARTIES) && remaining(deadline) > 0) waitBegins();
      const index = Atomics.add(i32, COUNT, 1);
      try {
        if (index + 1 === Atomics.load(i32, PARTIES)) {
          this.#pass();
        } else {
          while (this.#stateIs(FILLING)) yield* this.#sleep(deadline);
          if (!this.#stateIs(DRAINING)) throw new BrokenBarrierError('wait(): the barrier was broken, reset or aborted while waiting');
        }
        return index;
      } finally {
        // The last one out of a passed or reset cycle opens the next one.
        if (Atomics.sub(i32, COUNT, 1) === 1 && (this.#stateIs(DRAINING) || this.#stateIs(RESETTING))) {
          this.#setState(FILLING);
        }
      }
    } finally {
      raw.unlock(i32, LOCK);
    }
  }

  /** Last arrival (LOCK held): run the action, then release the others. */
  #pass(): void {
    try {
      this.#action?.();
    } catch (error) {
      this.#setState(BROKEN);
      throw error;
    }
    this.#setState(DRAINING);
  }

  /**
   * Sleep until STATE may have changed (LOCK held on entry and on return). If the deadline has
   * passed, break the barrier and throw: a timeout breaks it, as in Python.
   */
  *#sleep(deadline: number): Steps<void> {
    const i32 = this.#i32;
    if (remaining(deadline) === 0) {
      this.#setState(BROKEN);
      throw new BrokenBarrierError('wait(): timed out; the barrier is now broken');
    }
    const seq = Atomics.load(i32, SEQ);
    raw.unlock(i32, LOCK);
    // Sleep while SEQ is still the value read under LOCK: every STATE change bumps it under LOCK.
    yield park(i32, SEQ, seq, deadline);
    if (!raw.tryLock(i32, LOCK)) yield* raw.lockSteps(i32, LOCK, Infinity, this.#repair);
  }

  /** After LOCK was taken over from a dead party: break the barrier. */
  readonly #repair: raw.Repair = () => this.#setState(BROKEN);

  #stateIs(state: number): boolean {
    return Atomics.load(this.#i32, STATE) === state;
  }

  /** Change STATE (LOCK held) and wake every sleeper to look at it. */
  #setState(state: number): void {
    Atomics.store(this.#i32, STATE, state);
    Atomics.add(this.#i32, SEQ, 1);
    wake(this.#i32, SEQ);
  }
}

registerKind('Barrier', (h) => Barrier.from(h));
