/**
 * ReaderWriterLock: many readers or one writer, in shared memory (Go's `sync.RWMutex`, Java's
 * `ReentrantReadWriteLock`, Rust's `RwLock`; Python has none).
 *
 *   word      name           meaning                                      written by
 *   --------  -------------  -------------------------------------------  ----------------------
 *   0         TAG            0x5AB5_000B                                  the constructor
 *   1         LOCK           raw lock word (rawlock.ts) guarding every    whoever changes them
 *                            word below
 *   2         SEQ            +1 after every change that may let a         LOCK holders
 *                            waiter in (wraps); waiters park on it
 *   3         WRITER         sabsync id of the write holder (0: none)     LOCK holders
 *   4         READERS        threads holding a read (slots, READS > 0)    LOCK holders
 *   5         READ_WAITERS   pending read requests (sum of RWAIT)         LOCK holders
 *   6         WRITE_WAITERS  pending write requests (sum of WWAIT)        LOCK holders
 *   7         READ_TURN      1: a writer left while readers waited; they  LOCK holders
 *                            go before the next writer
 *   8         —              unused (0)
 *   9         —              padding (the slots start on 8 bytes)
 *   10 + 4k   slot k: OWNER  sabsync id of the thread it belongs to       LOCK holders
 *   11 + 4k           READS  read levels that thread holds                LOCK holders
 *   12 + 4k           RWAIT  its read requests now waiting                LOCK holders
 *   13 + 4k           WWAIT  its write requests now waiting               LOCK holders
 *
 * The word indices, the slot table (find, claim) and the purge live in rwtable.ts; the policy
 * and the waiting here. Every word but TAG changes only under LOCK, held for a few
 * instructions; so the state is one record edited by one thread at a time, and the summary
 * words (READERS, ...) always equal what the slots say. Under LOCK the words are read and
 * written plainly: the sequentially consistent operations on LOCK that hand it from one thread
 * to the next order those accesses (as RLock's COUNT). SEQ, on which waiters park, changes with
 * `Atomics.add`; the snapshot getters and the tests' blocked.ts read WRITER, READERS and the
 * waiter counts with `Atomics.load`. A thread keeps its slot while it is idle (its next read
 * finds it at once); a thread that needs a slot and finds none free takes an idle one (all
 * counts 0) of another.
 *
 * Policy (the knob is READ_TURN). A read enters when there is no writer and no writer waits —
 * so a waiting writer stops new readers and writers never starve. A writer enters when nobody
 * holds the lock and READ_TURN is off. When a writer leaves while readers wait, READ_TURN lets
 * the readers in before the next writer (and any reader arriving meanwhile); it turns off once
 * no read request waits — so readers do not starve under a stream of writers either: phases
 * alternate. Reads are re-entrant per thread (a thread holding a read gets another level at
 * once, even while a writer waits: waiting would deadlock it), and the writer may also take
 * reads (keeping them after `releaseWrite`: a downgrade). Writes are not re-entrant, and a
 * thread holding a read that asks to write waits for itself (as in Go and Java): release first.
 * Requests of the caller's own thread that wait never hold it back (a pending `acquireWriteAsync`
 * does not stop its thread's sync `acquireRead`, nor its pending reads that thread's write): an
 * async request runs only once its thread's sync call returns, so waiting for it would never end.
 * And a sync call of a thread that has async requests of its own pending waits only for the
 * holders (a read for a writer holding the lock, a write for any holder), not for other threads'
 * waiting requests: two threads, each with an `acquireWriteAsync` pending and then blocked in a
 * sync `acquireRead`, would otherwise each wait for the other's pending write, which cannot be
 * granted while its thread is blocked — for ever. The price: such a thread's sync reads pass
 * waiting writers (and its sync write passes READ_TURN); a thread that wants the writer-first
 * order for its sync calls keeps no async request of the same lock pending meanwhile.
 *
 * Why no wake-up is lost: a waiter decides to sleep under LOCK, counts itself in READ_WAITERS
 * or WRITE_WAITERS, reads SEQ before releasing LOCK and parks comparing SEQ with that value.
 * Every change that may let someone in (a release, a waiter giving up, READ_TURN ending, a
 * purge) is made under LOCK and followed by SEQ + 1 and a notify of every sleeper when a
 * request waits; so a change after the read of SEQ makes the park return at once, and one before
 * it was seen under LOCK. The losers of a wake-up sleep again.
 *
 * Threads that die (a thread sabsync started: liveness.ts). Readers are tracked per thread in
 * the slots and the writer in WRITER, so a dead holder or waiter leaves a trace that names it.
 * A waiter's sleep is cut short while deaths can be learned (`sliceEnd`), and whenever deaths()
 * has moved since this thread's last purge of this lock (or it has not purged it yet), the LOCK
 * holder in the slow path purges: it drops the slots of dead threads, frees WRITER if its thread
 * is dead and recounts the summaries from the slots. What a thread has purged for is its own, not
 * a word of the lock: threads that know different liveness tables see different deaths() sums,
 * and a sum kept in the lock by one could equal another's after a death only the other sees,
 * which would then never be purged. A thread that died holding LOCK itself (half an edit done)
 * is taken over by the next taker, which purges the same way (its edits touch only its own slot
 * and WRITER, both dropped).
 *
 * Limits. At most SLOTS (128) threads may hold or wait for reads, or wait to write, at once; one
 * more gets `ERR_TOO_MANY_WAITERS` (nothing changed). What a dead writer was changing may be
 * half changed: the lock is freed, not repaired. Cost: every acquire and release takes LOCK
 * (one CAS and one exchange when nobody contends) and does its work as a plain call (the step
 * generator is built only to wait): a read and its release cost ≈ 0.2 µs against a Lock's ≈ 0.08
 * (measured on a busy 2-core machine), so readers gain from running in parallel when their
 * sections are longer than that.
 */
import { misuse, TimeoutError } from './errors.js';
import { checkTimeout, deadlineAfter, park, remaining, runAsync, runBriefly, runSyncMarked, waitBegins, wake, type Steps } from './futex.js';
import { deaths, sliceEnd } from './liveness.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from './memory.js';
import * as raw from './rawlock.js';
import {
  at,
  BYTES,
  claimSlot,
  findSlot,
  LOCK,
  purge,
  READ_TURN,
  READ_WAITERS,
  READERS,
  READS,
  RWAIT,
  SEQ,
  WRITE_WAITERS,
  WRITER,
  WWAIT,
} from './rwtable.js';
import { threadId } from './thread.js';

const me = threadId;

/** Many readers or one writer, shared between threads; writers do not starve. */
export class ReaderWriterLock {
  /** Bytes a ReaderWriterLock occupies in shared memory. */
  static readonly byteLength = BYTES;

  readonly #region: Region;
  readonly #i32: Int32Array;
  /** Where this thread's slot was last seen (checked before use). */
  #hint = 0;
  /** deaths() when this thread last purged this lock (NaN: not yet). */
  #purged = NaN;

  /** Create a free ReaderWriterLock, in new shared memory or at `{ buffer, byteOffset }`. */
  constructor(options?: PlacementOptions) {
    this.#region = open(this, 'ReaderWriterLock', BYTES, options, (i32) => {
      for (let k = 1; k < i32.length; k++) Atomics.store(i32, k, 0);
    });
    this.#i32 = this.#region.i32;
  }

  /** Attach to the ReaderWriterLock a handle describes (from any thread). */
  static from(handle: Handle<'ReaderWriterLock'>): ReaderWriterLock {
    return adopt(attach('ReaderWriterLock', handle, () => BYTES), () => new ReaderWriterLock());
  }

  /** A structured-cloneable description of this lock for `ReaderWriterLock.from` / `revive`. */
  get handle(): Handle<'ReaderWriterLock'> {
    return handleOf('ReaderWriterLock', this.#region);
  }

  /** Whether any thread holds the lock, to read or to write (a snapshot). */
  locked(): boolean {
    return Atomics.load(this.#i32, WRITER) !== 0 || Atomics.load(this.#i32, READERS) !== 0;
  }

  /** How many threads hold a read now (a snapshot). */
  get readers(): number {
    return Atomics.load(this.#i32, READERS);
  }

  /** Whether a thread holds the lock to write (a snapshot). */
  get writing(): boolean {
    return Atomics.load(this.#i32, WRITER) !== 0;
  }

  /**
   * Take a read, blocking while a writer holds the lock or waits for it, until `timeout` ms pass.
   * Returns true if taken, false on timeout (`timeout` 0: try without waiting). A thread that
   * holds a read (or the write) gets one more level at once; each needs its `releaseRead`.
   * Throws `ERR_TOO_MANY_WAITERS` if 128 other threads hold or wait for the lock.
   * Go: `RWMutex.RLock`.
   */
  acquireRead(timeout?: number): boolean {
    return this.#acquire(false, timeout);
  }

  /** Async twin of `acquireRead`. */
  async acquireReadAsync(timeout?: number): Promise<boolean> {
    return this.#acquireAsync(false, timeout);
  }

  /**
   * Take the write, blocking while any thread holds the lock, until `timeout` ms pass. Returns
   * true if taken, false on timeout. Not re-entrant: the writer asking again waits (a timeout
   * ends it); a reader asking to write waits for its own read. Go: `RWMutex.Lock`.
   */
  acquireWrite(timeout?: number): boolean {
    return this.#acquire(true, timeout);
  }

  /** Async twin of `acquireWrite`. */
  async acquireWriteAsync(timeout?: number): Promise<boolean> {
    return this.#acquireAsync(true, timeout);
  }

  /**
   * Give back one read level of the calling thread. Throws `ERR_NOT_OWNER` (nothing changed)
   * if this thread holds no read. Go: `RWMutex.RUnlock`.
   */
  releaseRead(): void {
    const i32 = this.#i32;
    this.#lockBriefly('releaseRead');
    try {
      const k = this.#slot(false);
      if (k < 0 || i32[at(k, READS)] === 0) {
        throw misuse('ERR_NOT_OWNER', 'releaseRead(): this thread holds no read of the ReaderWriterLock');
      }
      if (--i32[at(k, READS)] === 0 && --i32[READERS] === 0) this.#changed();
    } finally {
      raw.unlock(i32, LOCK);
    }
  }

  /**
   * Give back the write. Throws `ERR_NOT_OWNER` (nothing changed) if the calling thread does not
   * hold it (also when nobody does). Go: `RWMutex.Unlock`.
   */
  releaseWrite(): void {
    const i32 = this.#i32;
    this.#lockBriefly('releaseWrite');
    try {
      if (i32[WRITER] !== me) {
        throw misuse('ERR_NOT_OWNER', 'releaseWrite(): the ReaderWriterLock is not held to write by this thread');
      }
      i32[WRITER] = 0;
      if (i32[READ_WAITERS] > 0) i32[READ_TURN] = 1;
      this.#changed();
    } finally {
      raw.unlock(i32, LOCK);
    }
  }

  /** Take a read and return a guard for `using`; `TimeoutError` if not taken in time. */
  read(timeout?: number): Disposable {
    if (!this.acquireRead(timeout)) throw new TimeoutError(`ReaderWriterLock.read(): not acquired within ${timeout} ms`);
    return this.#guard(false);
  }

  /** Async twin of `read`. */
  async readAsync(timeout?: number): Promise<Disposable> {
    if (!(await this.acquireReadAsync(timeout))) throw new TimeoutError(`ReaderWriterLock.readAsync(): not acquired within ${timeout} ms`);
    return this.#guard(false);
  }

  /** Take the write and return a guard for `using`; `TimeoutError` if not taken in time. */
  write(timeout?: number): Disposable {
    if (!this.acquireWrite(timeout)) throw new TimeoutError(`ReaderWriterLock.write(): not acquired within ${timeout} ms`);
    return this.#guard(true);
  }

  /** Async twin of `write`. */
  async writeAsync(timeout?: number): Promise<Disposable> {
    if (!(await this.acquireWriteAsync(timeout))) throw new TimeoutError(`ReaderWriterLock.writeAsync(): not acquired within ${timeout} ms`);
    return this.#guard(true);
  }

  #guard(write: boolean): Disposable {
    let open = true;
    return {
      [Symbol.dispose]: () => {
        if (!open) return;
        open = false;
        if (write) this.releaseWrite();
        else this.releaseRead();
      },
    };
  }

  #acquire(write: boolean, timeout: number | undefined): boolean {
    const t = checkTimeout(timeout);
    const now = this.#tryTake(write, true);
    if (now !== undefined && (now || t === 0)) return now;
    const steps = this.#steps(write, true, deadlineAfter(t));
    // A try waits only for LOCK, held for a few instructions: no ERR_CANNOT_BLOCK for it.
    // Where this thread may not block, only a request that must wait its turn throws (waitBegins).
    return t === 0 ? runBriefly(steps, write ? 'acquireWrite' : 'acquireRead') : runSyncMarked(steps, write ? 'acquireWriteAsync' : 'acquireReadAsync');
  }

  async #acquireAsync(write: boolean, timeout: number | undefined): Promise<boolean> {
    const t = checkTimeout(timeout);
    const now = this.#tryTake(write, false);
    if (now !== undefined && (now || t === 0)) return now;
    return runAsync(this.#steps(write, false, deadlineAfter(t)));
  }

  /**
   * The fast path, a plain call: take LOCK if it is free (one CAS) and the read or write if the
   * policy allows it now (`sync`: for a sync call). True: taken; false: refused now; undefined:
   * LOCK was busy.
   */
  #tryTake(write: boolean, sync: boolean): boolean | undefined {
    const i32 = this.#i32;
    if (!raw.tryLock(i32, LOCK)) return undefined;
    try {
      return this.#grant(write, sync, -1, false);
    } finally {
      raw.unlock(i32, LOCK);
    }
  }

  /**
   * Take the read or the write if the policy allows it now (LOCK held), withdrawing the waiting
   * request of slot `k` if `waiting`; false, nothing changed, if not. `sync`: for a sync call.
   */
  #grant(write: boolean, sync: boolean, k: number, waiting: boolean): boolean {
    const i32 = this.#i32;
    // A dead thread's trace may be what blocks us: forget dead threads first.
    if (this.#purged !== deaths()) this.#purge();
    // A granted request's withdrawal wakes nobody: whoever it could let in is now held back by
    // what this call takes, until its release (which wakes them).
    if (write) {
      if (!this.#mayWrite(sync, waiting)) return false;
      if (waiting) this.#unwait(k, true);
      i32[WRITER] = me;
      return true;
    }
    const mine = this.#slot(true);
    if (!this.#mayRead(mine, sync, waiting)) return false;
    if (waiting) this.#unwait(k, false);
    if (i32[at(mine, READS)]++ === 0) i32[READERS]++;
    return true;
  }

  #lockBriefly(method: string): void {
    raw.lockBriefly(this.#i32, LOCK, method, this.#repair);
  }

  /**
   * Take a read or the write (see the policy above; `sync`: for a sync call); false if
   * `deadline` passes first.
   */
  *#steps(write: boolean, sync: boolean, deadline: number): Steps<boolean> {
    const i32 = this.#i32;
    if (!raw.tryLock(i32, LOCK)) yield* raw.lockSteps(i32, LOCK, Infinity, this.#repair);
    let k = -1;
    let waiting = false;
    try {
      for (let sleeps = 0; ; ) {
        if (this.#grant(write, sync, k, waiting)) return true;
        if (remaining(deadline) === 0) {
          // Any withdrawal may let someone in, not only the last of its kind: a reader is held
          // back only by the write requests of other threads, a writer in READ_TURN only by the
          // read requests of other threads, so fewer of them may be enough.
          if (waiting) {
            this.#unwait(k, write);
            this.#changed();
          }
          return false;
        }
        if (!waiting) {
          // A real wait begins: refused here (nothing changed yet) where this thread may not block.
          waitBegins();
          if (k < 0) k = this.#slot(true);
          i32[at(k, write ? WWAIT : RWAIT)]++;
          i32[write ? WRITE_WAITERS : READ_WAITERS]++;
          waiting = true;
        }
        // Sleep while SEQ is still the value read under LOCK: every change that may let us in
        // bumps it under LOCK. Cut short to look for dead threads while deaths can be learned.
        const seq = Atomics.load(i32, SEQ);
        raw.unlock(i32, LOCK);
        yield park(i32, SEQ, seq, sliceEnd(deadline, sleeps++));
        if (!raw.tryLock(i32, LOCK)) yield* raw.lockSteps(i32, LOCK, Infinity, this.#repair);
      }
    } finally {
      raw.unlock(i32, LOCK);
    }
  }

  /**
   * Whether the calling thread, whose slot is `k`, may take a read now (LOCK held). Waiting
   * requests of its own thread never hold it back: they are async ones, which cannot run while
   * this thread is here (a sync wait behind them would never end). A `sync` call of a thread
   * with async requests of its own pending (beside its own, if `waiting`) waits only for a writer
   * holding the lock (see `#ownPending`; asked last, so the fast path rarely looks for a slot).
   */
  #mayRead(k: number, sync: boolean, waiting: boolean): boolean {
    const i32 = this.#i32;
    if (i32[at(k, READS)] > 0) return true;
    const writer = i32[WRITER];
    if (writer !== 0) return writer === me;
    return i32[READ_TURN] !== 0 || i32[WRITE_WAITERS] === i32[at(k, WWAIT)] || (sync && this.#ownPending(waiting));
  }

  /** Whether the calling thread may take the write now (LOCK held); see `#mayRead`. */
  #mayWrite(sync: boolean, waiting: boolean): boolean {
    const i32 = this.#i32;
    if (i32[WRITER] !== 0 || i32[READERS] !== 0) return false;
    if (i32[READ_TURN] === 0) return true;
    const k = this.#slot(false);
    return k >= 0 && (i32[READ_WAITERS] === i32[at(k, RWAIT)] || (sync && this.#ownPending(waiting)));
  }

  /**
   * Whether the calling thread has requests of its own waiting (LOCK held) — async ones, beside
   * the call's own request if `waiting`. A sync call of such a thread waits only for holders,
   * not for other threads' waiting requests: two threads each blocked in a sync call behind the
   * other's pending async request would otherwise wait for each other for ever (neither async
   * request can be granted while its thread is blocked).
   */
  #ownPending(waiting: boolean): boolean {
    const i32 = this.#i32;
    const k = this.#slot(false);
    return k >= 0 && i32[at(k, RWAIT)] + i32[at(k, WWAIT)] > (waiting ? 1 : 0);
  }

  /**
   * Withdraw one waiting request of slot `k` (LOCK held); the last waiting reader ends
   * READ_TURN. The caller wakes the sleepers if the request was not granted (see `#steps`).
   */
  #unwait(k: number, write: boolean): void {
    const i32 = this.#i32;
    i32[at(k, write ? WWAIT : RWAIT)]--;
    if (--i32[write ? WRITE_WAITERS : READ_WAITERS] === 0 && !write) i32[READ_TURN] = 0;
  }

  /**
   * The calling thread's slot (LOCK held); -1 if it has none, unless `claim`: then a free or
   * idle slot becomes its own, or `ERR_TOO_MANY_WAITERS` (nothing changed) if there is none.
   */
  #slot(claim: boolean): number {
    let k = findSlot(this.#i32, this.#hint);
    if (k < 0 && claim) k = claimSlot(this.#i32);
    if (k >= 0) this.#hint = k;
    return k;
  }

  /**
   * Bump SEQ and wake every sleeper, if a request waits (LOCK held). None waiting, none can be
   * between its count and its read of SEQ (both happen under LOCK, which we hold): skip it.
   */
  #changed(): void {
    const i32 = this.#i32;
    if (i32[READ_WAITERS] + i32[WRITE_WAITERS] === 0) return;
    Atomics.add(i32, SEQ, 1);
    wake(i32, SEQ);
  }

  /**
   * Forget every dead thread (LOCK held: rwtable.ts `purge`) and, if that changed anything, wake
   * the sleepers to look again. (Only then: a purge that finds nothing wakes nobody.)
   */
  #purge(): void {
    // Read before the scan: a death marked during it moves deaths() past this value again.
    this.#purged = deaths();
    if (!purge(this.#i32)) return;
    Atomics.add(this.#i32, SEQ, 1);
    wake(this.#i32, SEQ);
  }

  /**
   * After LOCK was taken over from a dead thread: its half-done edit is dropped with it, and the
   * sleepers are woken in any case (it may have died between a change and its wake-up).
   */
  readonly #repair: raw.Repair = () => {
    this.#purge();
    Atomics.add(this.#i32, SEQ, 1);
    wake(this.#i32, SEQ);
  };
}

registerKind('ReaderWriterLock', (h) => ReaderWriterLock.from(h));
