/**
 * The table orders' engine: `LifoQueue` and `PriorityQueue` are built as Python builds them —
 * one mutex and three Conditions over it, NOT_EMPTY (getters wait on it), NOT_FULL (putters
 * wait on it) and ALL_DONE (joiners wait on it), all placed inside the queue's own memory, next
 * to the storage engine (store.ts, order.ts). The lock is held whenever the queue's words are
 * read or changed, and every change goes through the undo log. Notifications, on the same
 * transitions as Python's:
 *
 *   put       → NOT_EMPTY.notify()       a getter may proceed
 *   get       → NOT_FULL.notify()        a putter may proceed
 *   taskDone  → ALL_DONE.notifyAll()     when the unfinished count reaches 0
 *   shutdown  → notifyAll() on all three (immediate: after emptying the queue)
 *
 * No wake-up is lost because every check of the queue's state and every wait happens with the
 * lock held, and Condition.wait queues its waiter before it releases the lock (condition.ts). A
 * putter that is woken but whose item still does not fit waits again.
 *
 * The lock is the queue's (queue.ts), taken one way: rawlock.ts on the Lock's word (`tryLock`,
 * `lockSteps` with the queue's repair, `unlock`); the Conditions take it back through the Lock
 * object, whose take-over runs the same repair. The queue's recovery (queue.ts) takes it too.
 */
import { notifyHeld, waitSteps, type Condition } from '../primitives/condition.js';
import { Empty, Full, ShutDown } from '../primitives/errors.js';
import { remaining, waitBegins, type Steps } from '../primitives/futex.js';
import { lockBriefly, lockSteps, tryLock, unlock, type Repair } from '../primitives/rawlock.js';
import { fetchSteps, knows, tidy } from './buffers.js';
import { decode, fallible, sharedIds } from './codec.js';
import { briefDeadline, Decoded, Missing, QUEUE_SPIN, type Taken } from './policy.js';
import type { Store } from './store.js';

/** Lifo and Priority put and get over the store, under the queue's lock. */
export class Table {
  readonly #store: Store;
  /** The queue's words and the index of its lock's word. */
  readonly #w: Int32Array;
  readonly #lock: number;
  readonly #repair: Repair;
  readonly #notEmpty: Condition;
  readonly #notFull: Condition;
  readonly #allDone: Condition;
  /** After a put stored `data` (queue.ts: the shared buffers its item refers to). */
  readonly #stored: (data: number | Uint8Array) => void;

  constructor(
    store: Store,
    lock: number,
    [notEmpty, notFull, allDone]: readonly [Condition, Condition, Condition],
    repair: Repair,
    stored: (data: number | Uint8Array) => void,
  ) {
    this.#store = store;
    this.#w = store.w;
    this.#lock = lock;
    this.#repair = repair;
    this.#notEmpty = notEmpty;
    this.#notFull = notFull;
    this.#allDone = allDone;
    this.#stored = stored;
  }

  /**
   * The fast path of a synchronous put: if the lock is free and the item fits, store it and
   * return true; false (nothing changed, lock released) to run `putSteps` instead.
   */
  tryPut(data: number | Uint8Array, priority: number): boolean {
    if (!tryLock(this.#w, this.#lock)) return false;
    try {
      const store = this.#store;
      if (store.shutDown) throw new ShutDown();
      if (!store.fits(store.chunksOf(data))) return false;
      store.push(data, priority);
      this.#stored(data);
      this.#notEmpty[notifyHeld](1);
      return true;
    } finally {
      unlock(this.#w, this.#lock);
    }
  }

  /**
   * The fast path of a synchronous get: if the lock is free and an item is stored that this
   * thread can decode now, remove it and return it (`#take`); undefined (nothing changed, lock
   * released) to run `getSteps` instead.
   */
  tryGet(): Taken | undefined {
    if (!tryLock(this.#w, this.#lock)) return undefined;
    try {
      const store = this.#store;
      if (store.count === 0) {
        if (store.shutDown) throw new ShutDown();
        return undefined;
      }
      const got = this.#take();
      if (got instanceof Missing) return undefined;
      this.#notFull[notifyHeld](1);
      return got;
    } finally {
      unlock(this.#w, this.#lock);
    }
  }

  /**
   * Remove the next item (lock held, an item stored) — only if it can be decoded, so that a
   * get that fails leaves the queue exactly as it was. Most items decode without fail: the
   * removal is committed and the item decoded once the lock is released (`landed`). A
   * fallible one (codec.ts: deep nesting, shared buffers) is decoded here, before the commit: if
   * that throws, the removal is rolled back (as it would be if this thread died now: store.ts,
   * "Crash safety") and the error thrown. If it needs buffers this thread has not received,
   * the removal is rolled back and `Missing` returned: fetch them, then start over.
   */
  #take(): Taken | Missing {
    const store = this.#store;
    const item = store.pop();
    if (typeof item === 'number' || !fallible(item)) {
      store.commit();
      return item;
    }
    const ids = sharedIds(item);
    if (!knows(ids)) {
      store.rollback();
      return new Missing(ids);
    }
    let value: unknown;
    try {
      value = decode(item);
    } catch (e) {
      store.rollback();
      throw e;
    }
    store.commit();
    return new Decoded(value);
  }

  /** After a get released the lock: drain the side channel now and then; the item's value. */
  landed<T>(got: Taken): T {
    tidy();
    return (typeof got === 'number' ? got : got instanceof Decoded ? got.value : decode(got)) as T;
  }

  /**
   * Take the lock; false if `deadline` passes first (a dead holder's is taken over and the
   * queue repaired). NOWAIT waits up to NOWAIT_LOCK_MS for a holder to let go (see NOWAIT).
   */
  *lockSteps(deadline: number): Steps<boolean> {
    if (tryLock(this.#w, this.#lock)) return true;
    // The lock is held only for a copy and a few words: watch it (loads, not CASes, so the
    // holder's cache line is left alone) for QUEUE_SPIN / 4 loads before parking on it.
    for (let i = 0; i < QUEUE_SPIN >> 2; i++) {
      if (Atomics.load(this.#w, this.#lock) === 0 && tryLock(this.#w, this.#lock)) return true;
    }
    return yield* lockSteps(this.#w, this.#lock, briefDeadline(deadline), this.#repair);
  }

  /**
   * Spin (QUEUE_SPIN loads, lock released) until `ready()` may hold; then re-take the lock by
   * `deadline`. Returns whether the lock is held again. Only from a synchronous call with time
   * left.
   */
  *#spin(ready: () => boolean, deadline: number): Steps<boolean> {
    unlock(this.#w, this.#lock);
    for (let i = 0; i < QUEUE_SPIN && !ready() && remaining(deadline) > 0; i++);
    return yield* this.lockSteps(deadline);
  }

  /**
   * Wait on `c` (lock held) after a spin if `spin`; returns whether the lock is held again
   * (false: the deadline passed while taking it back).
   */
  *#await(c: Condition, ready: () => boolean, deadline: number, spin: boolean): Steps<boolean> {
    return spin ? yield* this.#spin(ready, deadline) : yield* c[waitSteps](deadline);
  }

  *putSteps(data: number | Uint8Array, priority: number, deadline: number, spin: boolean): Steps<void> {
    if (!(yield* this.lockSteps(deadline))) throw new Full();
    let held = true;
    try {
      const store = this.#store;
      const chunks = store.chunksOf(data);
      const fits = () => store.fits(chunks);
      if (store.shutDown) throw new ShutDown();
      while (!fits()) {
        if (remaining(deadline) === 0) throw new Full();
        waitBegins();
        held = yield* this.#await(this.#notFull, fits, deadline, spin);
        spin = false;
        if (!held) throw new Full();
        if (store.shutDown) throw new ShutDown();
      }
      store.push(data, priority);
      this.#stored(data);
      this.#notEmpty[notifyHeld](1);
    } finally {
      if (held) unlock(this.#w, this.#lock);
    }
  }

  *getSteps<T>(deadline: number, spin: boolean): Steps<T> {
    for (;;) {
      const got = yield* this.#takeSteps(deadline, spin);
      if (!(got instanceof Missing)) return this.landed<T>(got);
      // The lock released, wait for the buffers (ERR_UNSERIALIZABLE if they never come: the
      // item is still queued), then start over: another getter may have taken the item. A get
      // whose own deadline passes first throws Empty: nothing could be had in time.
      if (!(yield* fetchSteps(got.ids, deadline))) throw new Empty();
      spin = false;
    }
  }

  *#takeSteps(deadline: number, spin: boolean): Steps<Taken | Missing> {
    if (!(yield* this.lockSteps(deadline))) throw new Empty();
    let held = true;
    try {
      const store = this.#store;
      const some = () => store.count > 0;
      if (store.shutDown && store.count === 0) throw new ShutDown();
      while (store.count === 0) {
        if (remaining(deadline) === 0) throw new Empty();
        waitBegins();
        held = yield* this.#await(this.#notEmpty, some, deadline, spin);
        spin = false;
        if (!held) throw new Empty();
        if (store.shutDown && store.count === 0) throw new ShutDown();
      }
      const got = this.#take();
      if (!(got instanceof Missing)) this.#notFull[notifyHeld](1);
      return got;
    } finally {
      if (held) unlock(this.#w, this.#lock);
    }
  }

  /**
   * Mark one item done: false (nothing changed) if none is unfinished. The taskDone that
   * finishes the last one wakes every joiner.
   */
  done(): boolean {
    lockBriefly(this.#w, this.#lock, 'taskDone', this.#repair);
    try {
      const store = this.#store;
      if (store.unfinished === 0) return false;
      if (store.done() === 0) this.#allDone[notifyHeld](Infinity);
      return true;
    } finally {
      unlock(this.#w, this.#lock);
    }
  }

  /** Wait until no item is unfinished. */
  *joinSteps(): Steps<void> {
    yield* this.lockSteps(Infinity);
    try {
      while (this.#store.unfinished > 0) {
        waitBegins();
        yield* this.#allDone[waitSteps](Infinity);
      }
    } finally {
      unlock(this.#w, this.#lock);
    }
  }

  /** Shut down (`immediate`: discard every item, counting each as done) and wake everyone. */
  *shutdownSteps(immediate: boolean): Steps<void> {
    yield* this.lockSteps(Infinity);
    try {
      const store = this.#store;
      store.shut();
      if (immediate) {
        store.discardAll();
        this.#allDone[notifyHeld](Infinity);
      }
      this.#notEmpty[notifyHeld](Infinity);
      this.#notFull[notifyHeld](Infinity);
    } finally {
      unlock(this.#w, this.#lock);
    }
  }
}
