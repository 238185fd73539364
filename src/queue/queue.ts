/**
 * Queue, LifoQueue, PriorityQueue: Python's `queue` module for threads that share memory.
 *
 * Two engines under one API (store.ts draws the whole layout):
 *
 *   - A FIFO `Queue` keeps its items in a ring (ring.ts): a number's put or get takes no lock
 *     and touches no Condition; any other item is encoded, its bytes kept in the arena's chunks,
 *     which it takes and gives back under the queue's lock. Sleepers count and name themselves
 *     in the ring's words and are woken by a bump of a generation word, only when there are
 *     some. A thread that dies holding a claim leaves it for the next thread to settle (ring.ts,
 *     "Crash safety").
 *   - `LifoQueue` and `PriorityQueue` are built as Python builds them (table.ts): one mutex and
 *     three Conditions over it — NOT_EMPTY, NOT_FULL, ALL_DONE — placed inside the queue's own
 *     memory, next to the storage engine; the lock is held whenever the queue's words are read
 *     or changed, and Python's notifications are made on Python's transitions.
 *
 * The queue takes its lock one way: rawlock.ts on the Lock's word (`tryLock`, `lockSteps` with
 * the queue's repair, `unlock`); the Conditions take it back through the Lock object, whose
 * take-over runs the same repair.
 *
 * Timeouts bound the whole call: taking the lock (at first, after a spin, after a wait) or
 * waiting out another thread's claim counts against the same deadline, so a put or get returns
 * `Full` / `Empty` in time even while another thread keeps the lock (`join`, `taskDone` and
 * `shutdown` have no timeout; timeout 0 takes the lock as Python's `put_nowait` does: see
 * NOWAIT).
 *
 * A thread that dies holding the lock (a terminated worker: store.ts, "Crash safety"). Once the
 * liveness table records its death (liveness.ts), the next thread to want the lock takes it
 * over (rawlock.ts) and repairs before it goes on: it rolls back the dead thread's half-done
 * operation (the undo log), settles ring claims of dead threads, and wakes every waiter to look
 * again, since a wake-up the dead thread took may have been meant for one of them. Waiter lists
 * it left behind are repaired by their Condition (condition.ts). So a dead thread costs at most
 * its own half-done operation. The pool also runs `recoverQueue` on its own channels for each
 * worker that exits.
 *
 * Items are encoded (codec.ts) before the lock is taken and, most of them, decoded after it
 * is released: only the copy in or out of the arena happens under the lock. An item whose
 * decoding may fail (deep nesting, shared buffers) is decoded before its get is committed, so
 * that a get that throws leaves the queue exactly as it was (table.ts `#take`, fifo.ts `ringTake`).
 *
 * Fast path: a synchronous put or get first tries once (the ring's claim, or the lock) and, if
 * the item fits (or one is there), does its work without creating a step generator; only when
 * it must wait does it run the blocking algorithm, which starts over and is the one shared with
 * the async twins.
 */
import { Condition, notifyHeld, purgeSteps } from '../primitives/condition.js';
import { misuse, ShutDown, rangeError, typeError } from '../primitives/errors.js';
import { checkTimeout, runAsync, runBriefly, runSyncMarked, waitBegins, type Steps } from '../primitives/futex.js';
import { Lock } from '../primitives/lock.js';
import { repairOnTakeOver } from '../primitives/lockable.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type QueueKind, type Region } from '../primitives/memory.js';
import { lockSteps, takeOver, unlock } from '../primitives/rawlock.js';
import { Carried, learn, openChannel, tidy } from './buffers.js';
import { decode, encode, fallible, sharedIds } from './codec.js';
import { fifo, heap, lifo, type Ordering } from './order.js';
import { ringGetSteps, ringPutSteps } from './fifo.js';
import { deadlineOf, WATCH_POLLS } from './policy.js';
import { EMPTY, GOT_BYTES, GOT_NUMBER, OK, Ring, SHUT } from './ring.js';
import { JOIN } from './sleepers.js';
import { CHUNK, chunksFor, initWords, layoutOf, layoutOfWords, Store } from './store.js';
import { Table } from './table.js';

/** Default byte capacity: 1 MiB of item storage. */
export const DEFAULT_BYTES = 1 << 20;
const MAX_BYTES = 1 << 30;
/**
 * Default `maxWaiters` of each Condition: how many threads may block in get (or put, or join)
 * at once. 256 covers a pool per core on any machine this runs on; each waiter costs 16 bytes.
 */
export const DEFAULT_QUEUE_WAITERS = 256;
const MAX_WAITERS = 1 << 16;

export { QUEUE_SPIN } from './policy.js';

/**
 * Recover the queue after thread `deadId` died: roll back an operation it left half done,
 * release the lock if it held it, forget its waits, and wake everyone to re-check. Resolves
 * to whether anything was recovered. It never blocks the calling thread: a waiter-list lock
 * another thread holds is waited for on the event loop (async parks), so the owner of the
 * threads keeps handling exits meanwhile — the holder may be another dead thread, whose exit
 * marks it dead and lets the wait take the list over. For the pool, which knows who exited.
 */
export const recoverQueue = Symbol('sabsync.recoverQueue');


/** `shutdown` as a Promise, for the pool's owner, which must never block its event loop. */
export const shutdownAsync = Symbol('sabsync.shutdownAsync');

/**
 * A FIFO queue's put that never waits, not even for its lock or another thread's claim (either
 * may be a dead thread's, settled only once the owner's event loop records the death): true if
 * put, false (nothing changed) if the queue is full, a claim holds its end, or an item in chunks
 * finds the lock taken. For the pool's owner, which puts its tasks' numbers and items with it
 * and must never block its event loop. Throws ShutDown once shut down, and as `put` does for an
 * item that cannot cross or can never fit.
 */
export const offer = Symbol('sabsync.offer');

/** Options of `new Queue(maxsize, options)`. */
export interface QueueOptions extends PlacementOptions {
  /** Byte capacity of the item storage (default 1 MiB); rounded up to 64-byte chunks. */
  bytes?: number;
  /** How many threads may wait at once in each of get, put and join (default 256). */
  maxWaiters?: number;
}

type QueueClass = abstract new (...args: never[]) => Queue<unknown>;
const kinds = new Map<QueueClass, { kind: QueueKind; order: Ordering }>();

function checkMaxsize(maxsize: unknown): number {
  if (typeof maxsize !== 'number') throw typeError(`maxsize must be a number, got ${typeof maxsize}`);
  if (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > MAX_BYTES) {
    throw rangeError(`maxsize must be an integer from 0 (no limit) to ${MAX_BYTES}, got ${maxsize}`);
  }
  return maxsize;
}

function checkOptions(options: QueueOptions | undefined): { chunks: number; maxWaiters: number } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw typeError('Queue options must be an object');
  const bytes = options?.bytes ?? DEFAULT_BYTES;
  if (typeof bytes !== 'number') throw typeError(`Queue options.bytes must be a number, got ${typeof bytes}`);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_BYTES) {
    throw rangeError(`Queue options.bytes must be an integer from 1 to ${MAX_BYTES}, got ${bytes}`);
  }
  const maxWaiters = options?.maxWaiters ?? DEFAULT_QUEUE_WAITERS;
  if (typeof maxWaiters !== 'number') throw typeError(`Queue options.maxWaiters must be a number, got ${typeof maxWaiters}`);
  if (!Number.isInteger(maxWaiters) || maxWaiters < 1 || maxWaiters > MAX_WAITERS) {
    throw rangeError(`Queue options.maxWaiters must be an integer from 1 to ${MAX_WAITERS}, got ${maxWaiters}`);
  }
  return { chunks: chunksFor(bytes), maxWaiters };
}

/** A multi-producer, multi-consumer FIFO queue in shared memory. Python: `queue.Queue`. */
export class Queue<T = unknown> {
  /** Bytes a queue of these parameters occupies (for placement with `{ buffer, byteOffset }`). */
  static byteLength(maxsize = 0, options?: { bytes?: number; maxWaiters?: number }): number {
    const { chunks, maxWaiters } = checkOptions(options);
    return layoutOf(kinds.get(this)!.order, checkMaxsize(maxsize), chunks, maxWaiters).byteLength;
  }

  readonly #kind: QueueKind;
  readonly #region: Region;
  readonly #store: Store;
  /** The FIFO ring (a `Queue`); undefined for the table orders (Lifo, Priority). */
  readonly #ring: Ring | undefined;
  /** The table orders' engine (Lifo, Priority); undefined for a `Queue`. */
  readonly #table: Table | undefined;
  readonly #conditions: readonly [Condition, Condition, Condition];
  /** The queue's words and the index of its lock's word: every take and release goes here. */
  readonly #w: Int32Array;
  readonly #lock: number;
  readonly #repairHeld: () => void;
  /** `#stored`, bound once for the ring's steps (fifo.ts). */
  readonly #storedHook = (data: number | Uint8Array) => this.#stored(data);
  /** Shared buffers of the items this thread put that may still be queued (see `handle`). */
  readonly #carried = new Carried();

  /**
   * Create an empty queue holding at most `maxsize` items (0: as many as fit in
   * `options.bytes`), in new shared memory or at `{ buffer, byteOffset }`.
   * Throws `TypeError` / `RangeError` for a bad maxsize or option.
   */
  constructor(maxsize = 0, options?: QueueOptions) {
    const { kind, order } = kinds.get(new.target)!;
    const { chunks, maxWaiters } = checkOptions(options);
    const wanted = layoutOf(order, checkMaxsize(maxsize), chunks, maxWaiters);
    let made: { lock: Lock; conditions: Condition[] } | undefined;
    const region = open(this, kind, wanted.byteLength, options, (i32) => {
      initWords(i32, wanted);
      if (order.ring) Ring.init(i32, wanted);
      const place = (at: number) => ({ buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset + at });
      const lock = new Lock(place(wanted.lock));
      made = { lock, conditions: wanted.conditions.map((at) => new Condition(lock, { ...place(at), maxWaiters })) };
    });
    const l = made === undefined ? layoutOfWords(order, region.i32) : wanted;
    if (made === undefined) {
      // Attaching (from): the parts exist already; find them at the layout's offsets.
      const place = (type: string, at: number) => ({ type, buffer: region.buffer, byteOffset: region.byteOffset + at });
      const lock = place('sabsync:Lock', l.lock) as Handle<'Lock'>;
      made = {
        lock: Lock.from(lock),
        conditions: l.conditions.map((at) => Condition.from({ ...place('sabsync:Condition', at), lock } as Handle<'Condition'>)),
      };
    }
    this.#kind = kind;
    this.#region = region;
    this.#store = new Store(region.buffer, region.byteOffset, l, order);
    this.#repairHeld = () => this.#repair();
    this.#conditions = made.conditions as [Condition, Condition, Condition];
    // The Lock's STATE is its word 1 (lock.ts): the queue takes and releases it there.
    this.#w = this.#store.w;
    this.#lock = (l.lock >> 2) + 1;
    this.#ring = order.ring ? new Ring(this.#store, l, this.#repairHeld) : undefined;
    this.#table = order.ring ? undefined : new Table(this.#store, this.#lock, this.#conditions, this.#repairHeld, this.#storedHook);
    // Every wrapper of the queue's Lock repairs the queue when it takes the lock over: each
    // Condition's (a Condition attached from a handle revives a wrapper of its own) — the
    // queue's own takes pass the same repair to rawlock.ts.
    const wrappers = new Set([made.lock, ...made.conditions.map((c) => c.lock as Lock)]);
    for (const lock of wrappers) lock[repairOnTakeOver] = this.#repairHeld;
    openChannel();
  }

  /**
   * Attach to the queue a handle describes (from any thread): `Queue.from<T>(handle)`. The
   * handle's type admits the three queue kinds; attaching a Queue to a LifoQueue's handle
   * (or the reverse) throws `TypeError`.
   */
  static from<T = unknown>(handle: Handle<QueueKind>): Queue<T> {
    const { kind, order } = kinds.get(this)!;
    const region = attach(kind, handle, (i32) => layoutOfWords(order, i32).byteLength);
    const pairs = learn(handle.buffers);
    const q = adopt(region, () => new (this as new () => Queue<T>)());
    // Handed on from here, the queue carries what it was handed.
    (q as Queue<unknown>).#carried.learned(pairs);
    return q;
  }

  /**
   * A structured-cloneable description of this queue for `from` / `revive`. It also carries
   * the shared buffers of every item still queued that this thread put (`buffers`, buffers.ts
   * `Carried`), so that a thread handed the queue can decode those items without asking —
   * even when every thread that knows the buffers is blocked.
   */
  get handle(): Handle<QueueKind> {
    const buffers = this.#carried.entries(this.qsize() === 0);
    return handleOf(this.#kind, this.#region, buffers === undefined ? undefined : { buffers });
  }

  /** The item limit given to the constructor (0: none). Python: `Queue.maxsize`. */
  get maxsize(): number {
    return this.#store.maxsize;
  }

  /** Byte capacity of the item storage (the `bytes` option rounded up to whole chunks). */
  get bytes(): number {
    return this.#store.chunks * CHUNK;
  }

  /**
   * Put `item` at the end of the queue, blocking while the queue is full (`maxsize` items, or
   * not enough free bytes) until `timeout` ms pass. Throws `Full` on timeout (`timeout` 0: at
   * once), `ShutDown` if the queue is or becomes shut down, `ERR_TOO_LARGE` (at once) if the
   * item can never fit, `ERR_UNSERIALIZABLE` if it cannot cross threads; on a thread that may
   * not block (a browser main thread), `ERR_CANNOT_BLOCK` only if it would have to wait for
   * room. The queue is then unchanged. Python: `Queue.put(item, block, timeout)`.
   */
  put(item: T, timeout?: number): void {
    const t = checkTimeout(timeout);
    const ring = this.#ring;
    if (ring !== undefined) {
      if (typeof item === 'number') {
        // Shut down, the ring is closed to puts by a mark (ring.ts "Shutdown"): SHUT, FULL or
        // BUSY go to the steps, which throw ShutDown first.
        if (ring.putNumber(item) === OK) return;
        runSyncMarked(ringPutSteps(this.#ring, this.#store, this.#storedHook, item, 0, deadlineOf(t), true), 'putAsync');
        return;
      }
      const data = this.#encode(item) as Uint8Array;
      const chunks = chunksFor(data.length);
      // Shut down: SHUT (or FULL, BUSY: ShutDown from the steps), as for a number.
      if (ring.tryPutBytes(data, chunks) === OK) {
        this.#stored(data);
        return;
      }
      runSyncMarked(ringPutSteps(this.#ring, this.#store, this.#storedHook, data, chunks, deadlineOf(t), true), 'putAsync');
      return;
    }
    const priority = this.#priority(item);
    const data = this.#encode(item);
    const table = this.#table!;
    if (table.tryPut(data, priority)) return;
    runSyncMarked(table.putSteps(data, priority, deadlineOf(t), true), 'putAsync');
  }

  /** Async twin of `put`. */
  async putAsync(item: T, timeout?: number): Promise<void> {
    const deadline = deadlineOf(checkTimeout(timeout));
    const priority = this.#priority(item);
    const data = this.#encode(item);
    // The encoding lives in this thread's scratch memory: keep a copy across the awaits.
    const kept = typeof data === 'number' ? data : data.slice();
    if (this.#ring !== undefined) {
      return runAsync(ringPutSteps(this.#ring, this.#store, this.#storedHook, kept, typeof kept === 'number' ? 0 : chunksFor(kept.length), deadline, false));
    }
    return runAsync(this.#table!.putSteps(kept, priority, deadline, false));
  }

  /** Put without blocking: `Full` if there is no room. Python: `Queue.put_nowait`. */
  putNowait(item: T): void {
    this.put(item, 0);
  }

  /**
   * Remove and return the item at the front of the queue, blocking while it is empty until
   * `timeout` ms pass. Throws `Empty` on timeout (nothing is removed), `ShutDown` once the
   * queue is shut down and empty; in Deno, `ERR_CANNOT_BLOCK` for an item whose shared buffers
   * have not reached this thread yet (buffers.ts: only `getAsync` can wait for them; the item
   * stays queued); on a thread that may not block (a browser main thread), `ERR_CANNOT_BLOCK`
   * only if it would have to wait for an item. Python: `Queue.get(block, timeout)`.
   */
  get(timeout?: number): T {
    const t = checkTimeout(timeout);
    const ring = this.#ring;
    if (ring !== undefined) {
      let r = ring.get();
      // The deadline, once the get may wait: the watch below ends by it too, and the steps wait
      // for what is left of it.
      let deadline: number | undefined;
      // Watch for the next item here, before any generator is made: between two busy threads
      // the other side usually delivers within the watch (policy.ts WATCH_POLLS, watch.ts
      // `watchEmpty`: a growing pause between polls).
      if (r === EMPTY && t !== 0 && !this.#store.shutDown) {
        deadline = deadlineOf(t);
        for (let polls = WATCH_POLLS; r === EMPTY && polls > 0; ) {
          polls = ring.watchEmpty(polls, deadline);
          r = ring.get();
        }
      }
      if (r === GOT_NUMBER) {
        tidy();
        return ring.number() as T;
      }
      if (r === GOT_BYTES) {
        const item = ring.bytes();
        // A plain item's decoding does not fail: decoded after its get commits (the bytes are
        // this thread's copy), so that no other get waits on the claim meanwhile.
        if (!fallible(item) && ring.tryFinish()) {
          const value = decode(item);
          tidy();
          return value as T;
        }
        ring.unclaim();
      }
      return runSyncMarked(ringGetSteps<T>(this.#ring, this.#store, deadline ?? deadlineOf(t), r === EMPTY ? false : true), 'getAsync');
    }
    const table = this.#table!;
    const got = table.tryGet();
    if (got === undefined) return runSyncMarked(table.getSteps<T>(deadlineOf(t), true), 'getAsync');
    return table.landed<T>(got);
  }

  /** Async twin of `get`. */
  getAsync(timeout?: number): Promise<T> {
    const deadline = deadlineOf(checkTimeout(timeout));
    if (this.#ring !== undefined) return runAsync(ringGetSteps<T>(this.#ring, this.#store, deadline, false));
    return runAsync(this.#table!.getSteps<T>(deadline, false));
  }

  /** Get without blocking: `Empty` if there is nothing. Python: `Queue.get_nowait`. */
  getNowait(): T {
    return this.get(0);
  }

  /** How many items the queue holds (a snapshot). Python: `Queue.qsize()`. */
  qsize(): number {
    return this.#ring !== undefined ? this.#ring.count : this.#store.count;
  }

  /** Whether the queue holds no item (a snapshot). Python: `Queue.empty()`. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** Whether a put would block now: `maxsize` items or no free bytes. Python: `Queue.full()`. */
  full(): boolean {
    return this.#ring !== undefined ? this.#ring.full : this.#store.full;
  }

  /**
   * Mark one item got earlier as processed. When every item put has been marked, `join()`
   * returns. Throws `ERR_TASK_DONE` (nothing changed) if called more times than items were put.
   * Python: `Queue.task_done()`.
   */
  taskDone(): void {
    const done = this.#ring !== undefined ? this.#ring.done() : this.#table!.done();
    if (!done) throw misuse('ERR_TASK_DONE', 'taskDone() called more times than items were put');
  }

  /**
   * Block until every item ever put has been marked with `taskDone()` (or removed by
   * `shutdown(true)`). Python: `Queue.join()`.
   */
  join(): void {
    runSyncMarked(this.#joinSteps(), 'joinAsync');
  }

  /** Async twin of `join`. */
  joinAsync(): Promise<void> {
    return runAsync(this.#joinSteps());
  }

  /**
   * Shut the queue down: later puts throw `ShutDown`, gets drain what is left and then throw
   * `ShutDown`; blocked putters and getters wake to find out. `immediate`: also discard every
   * item (counting each as done, which releases `join()`). Python 3.13: `Queue.shutdown`.
   */
  shutdown(immediate = false): void {
    runBriefly(this.#shutdownSteps(immediate), 'shutdown');
  }

  /** @internal `shutdown` for an owner that must never block its event loop (the pool). */
  [shutdownAsync](immediate = false): Promise<void> {
    return runAsync(this.#shutdownSteps(immediate));
  }

  *#shutdownSteps(immediate: boolean): Steps<void> {
    const ring = this.#ring;
    if (ring !== undefined) {
      this.#store.shut();
      // A put that claimed before the shutdown lands now, before it returns, and none after
      // (ring.ts "Shutdown").
      yield* ring.closePuts(Infinity);
      if (immediate) yield* ring.discardAll();
      ring.wakeEveryone();
      return;
    }
    yield* this.#table!.shutdownSteps(immediate);
  }

  /** Get items as they come (`getAsync`) until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.getAsync();
      } catch (e) {
        if (e instanceof ShutDown) return;
        throw e;
      }
      yield item;
    }
  }

  /** @internal */
  [recoverQueue](deadId: number): Promise<boolean> {
    return runAsync(this.#recoverSteps(deadId));
  }

  *#recoverSteps(deadId: number): Steps<boolean> {
    // The waiter lists first: each Condition repairs its own under its own list lock (taken
    // over from a dead thread if one died holding it). This needs no queue lock, which a live
    // thread — even the caller, in an async put parked on that very list lock — may hold.
    let purged = 0;
    for (const c of this.#conditions) purged += yield* c[purgeSteps](deadId);
    // If the dead thread held the queue lock, take it over: nobody else can be inside, so its
    // half-done operation (if any) can be undone before anyone looks.
    const tookOver = takeOver(this.#w, this.#lock, deadId);
    if (tookOver) this.#repair();
    // Else a notify may still have been spent on the dead thread: wake everyone to re-check.
    else if (purged > 0) for (const c of this.#conditions) c[notifyHeld](Infinity);
    let settled = false;
    if (this.#ring !== undefined) {
      // A claim the dead thread left in the ring (ring.ts, "Crash safety"), settled under the
      // lock: waited for on the event loop if a live thread holds it.
      if (!tookOver) yield* lockSteps(this.#w, this.#lock, Infinity, this.#repairHeld);
      settled = this.#ring.settle(deadId);
      unlock(this.#w, this.#lock);
    } else if (tookOver) unlock(this.#w, this.#lock);
    return tookOver || purged > 0 || settled;
  }

  /**
   * The lock was taken over from a dead thread (held now): undo its half-done operation, settle
   * the ring claims of dead threads, and wake every waiter to re-check — a wake-up the dead
   * thread took may have been meant for one.
   */
  #repair(): void {
    this.#store.rollback();
    if (this.#ring !== undefined) {
      this.#ring.settle(0);
      this.#ring.wakeEveryone();
    }
    for (const c of this.#conditions) c[notifyHeld](Infinity);
  }

  /** The priority of an item (0 unless this is a PriorityQueue); checks its shape. */
  #priority(item: unknown): number {
    return this.#kind === 'PriorityQueue' ? priorityOf(item) : 0;
  }

  /** Check and encode an item: its bytes, or the number itself. */
  #encode(item: unknown): number | Uint8Array {
    if (typeof item === 'number') return item;
    const data = encode(item);
    if (chunksFor(data.length) > this.#store.chunks) {
      throw misuse('ERR_TOO_LARGE', `the item takes ${data.length} bytes; the queue holds ${this.bytes} (options.bytes)`);
    }
    return data;
  }

  [offer](item: T): boolean {
    const ring = this.#ring!;
    const data = this.#encode(item);
    const r = typeof data === 'number' ? ring.putNumber(data) : ring.tryPutBytes(data, chunksFor(data.length));
    if (r === OK) {
      this.#stored(data);
      return true;
    }
    // SHUT, or FULL / BUSY on a queue shut down meanwhile: ShutDown as a put says it.
    if (r === SHUT || this.#store.shutDown) throw new ShutDown();
    return false;
  }

  /** After a put stored `data`: note the shared buffers its item refers to. */
  #stored(data: number | Uint8Array): void {
    if (typeof data !== 'number' && fallible(data)) {
      const ids = sharedIds(data);
      if (ids.length > 0) this.#carried.stored(ids, this.qsize() === 1);
    }
  }

  *#joinSteps(): Steps<void> {
    const ring = this.#ring;
    if (ring !== undefined) {
      for (let sleeps = 0; ring.unfinished > 0; ) {
        waitBegins();
        yield* ring.sleep(JOIN, 0, Infinity, sleeps++);
      }
      return;
    }
    yield* this.#table!.joinSteps();
  }
}

function priorityOf(item: unknown): number {
  if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'number' || Number.isNaN(item[0])) {
    throw typeError('PriorityQueue items must be [priority: number (not NaN), value] pairs');
  }
  return item[0];
}

/** A last-in, first-out queue in shared memory. Python: `queue.LifoQueue`. */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** Attach to the LifoQueue a handle describes (from any thread). */
  declare static from: <T = unknown>(handle: Handle<QueueKind>) => LifoQueue<T>;
}

/**
 * A queue of `[priority, value]` pairs, lowest priority first, first in first out among equal
 * priorities; `get` returns the whole pair. Python: `queue.PriorityQueue`.
 */
export class PriorityQueue<T = unknown> extends Queue<[number, T]> {
  /**
   * Attach to the PriorityQueue a handle describes (from any thread). (The second signature is
   * the base class's, which a subclass's static side must keep: `T` means another thing here.)
   */
  declare static from: {
    <T = unknown>(handle: Handle<QueueKind>): PriorityQueue<T>;
    <T = unknown>(handle: Handle<QueueKind>): Queue<T>;
  };
}

kinds.set(Queue, { kind: 'Queue', order: fifo });
kinds.set(LifoQueue, { kind: 'LifoQueue', order: lifo });
kinds.set(PriorityQueue, { kind: 'PriorityQueue', order: heap });
registerKind('Queue', (h) => Queue.from(h));
registerKind('LifoQueue', (h) => LifoQueue.from(h));
registerKind('PriorityQueue', (h) => PriorityQueue.from(h));
