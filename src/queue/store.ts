/**
 * The queue's shared memory and its storage engine: encoded items in an arena of fixed-size
 * chunks, retrieved in an order (order.ts). Every access below is made with the queue's lock
 * held (queue.ts), except the single-word reads of `qsize()` / `full()` and, in a FIFO queue,
 * the copies of an item's bytes into and out of the chunks its ring claim owns (`write`,
 * `read`: ring.ts).
 *
 *   word             name        meaning                                      written by
 *   ---------------  ----------  -------------------------------------------  ---------------
 *   0                TAG         0x5AB5_0008 / _0009 / _000A (memory.ts)      the constructor
 *   1                MAXSIZE     items allowed at once (0: no item limit)     the constructor
 *   2                CHUNKS      N, chunks of CHUNK bytes in the arena        the constructor
 *   3                WAITERS     maxWaiters of each of the three Conditions   the constructor
 *   4                COUNT       items stored                                 put, get
 *   5                UNFINISHED  items put and not yet taskDone()             put, taskDone
 *   6                SHUTDOWN    0 running / 1 shut down                      shutdown
 *   7                FREE_HEAD   first free chunk                             put, get
 *   8                FREE_TAIL   last free chunk                              get
 *   9                FREE_COUNT  free chunks                                  put, get
 *   10               HEAD        FIFO: slot of the oldest entry (order.ts)    get
 *   11               SEQ         PriorityQueue: puts so far (FIFO tie-break)  put (order.ts)
 *   12               UNDO        pairs in the undo log; 0 = no write pending  every writer
 *   13..15           —           padding
 *   16..16+2*UNDO_PAIRS          undo log: (word index, old value) pairs
 *   then (bytes)     ring words  FIFO only (ring.ts draws them): three cache lines (the put
 *                                position, the get position, the sleepers' words), then
 *                                3 × maxWaiters words: who sleeps in get, put and join
 *   then (bytes)     Lock        the queue's mutex (lock.ts)
 *   then             3 × Condition  not empty, not full, all tasks done, over that Lock
 *   then (words)     NEXT[N]     chunk links: free list, and each item's chain
 *   then             entries     SLOTS × width words (order.ts; FIFO: ring.ts's slots of
 *                                SLOT_WORDS = 32 words, 128 bytes); SLOTS = min(MAXSIZE || N,
 *                                N), at least 2 for the FIFO ring
 *   then (bytes)     arena       N × CHUNK bytes of encoded items
 *
 * What a queue costs (`byteLength`): ≈ 18 KiB of words, Lock and Conditions (256 waiters)
 * + 4 bytes of NEXT and 64 of arena per chunk + SLOTS entries. A FIFO `Queue`'s slot is 128
 * bytes (it holds an item of up to SMALL = 112 encoded bytes itself: ring.ts), so
 * `new Queue()` (1 MiB, 16,384 chunks and slots) takes ≈ 3.1 MiB, `new Queue(100)` ≈ 1.1 MiB,
 * `new Queue(0, { bytes: 8 MiB })` ≈ 24.5 MiB; a LifoQueue's entry is 12 bytes, a
 * PriorityQueue's 20. `bytes` still bounds the arena, `maxsize` (or N) the items.
 *
 * Chunks: a number put in a FIFO or LIFO queue takes none (its entry holds it, order.ts), nor
 * does an item of at most SMALL encoded bytes in a FIFO queue (its slot holds it, ring.ts);
 * any other item of L encoded bytes takes the first ceil(L / CHUNK) chunks of the free list,
 * linked by NEXT, and gives them back to the tail of the free list when it is got. Any free
 * chunk fits any item, so no order of gets ever fragments the arena (a LIFO or priority get
 * takes items from the middle of the arrival order). Chunks given back in arrival order keep
 * the free list mostly ascending, so a large item is mostly one contiguous run: copies go run
 * by run, not chunk by chunk.
 *
 * Crash safety (a worker may be terminated at any instruction): an item's bytes are written
 * into chunks that are still free, and a LIFO entry into the slot past the stored ones
 * (order.ts), which nothing reads until COUNT says so; then every other word is changed
 * through `set`, which first appends (index, old value) to the undo log, and `commit` empties
 * the log. A thread that dies holding the lock leaves either nothing visible (data written,
 * no metadata) or a non-empty log, which `rollback` undoes — called by the thread that takes
 * the lock over from the dead one (queue.ts), before it or anyone else looks at the words. So a
 * half-done put or get is never visible. A FIFO queue's ring (ring.ts) uses the same log for
 * what it does under the lock (an item's chunks and the slot words naming them: `take`,
 * `release`); its lock-free words have crash-safety rules of their own (ring.ts). COUNT, HEAD,
 * SEQ and UNFINISHED are the table orders' only: the ring derives its counts from its positions.
 */
import { Condition } from '../primitives/condition.js';
import { Lock } from '../primitives/lock.js';
import { landing, NUMBER_BYTES, T_NUMBER } from './codec.js';
import { INLINE, type Ordering, type Table } from './order.js';
import { SLOT_WORDS } from './ring.js';
import { logStore, rollbackLog } from './undolog.js';

const MAXSIZE = 1;
const CHUNKS = 2;
const WAITERS = 3;
const COUNT = 4;
const UNFINISHED = 5;
const SHUTDOWN = 6;
const FREE_HEAD = 7;
const FREE_TAIL = 8;
const FREE_COUNT = 9;
const HEAD = 10;
const SEQ = 11;
const UNDO = 12;
const LOG = 16;
/** Most stores one operation makes: a heap sift of 2^24 entries logs under 300. */
const UNDO_PAIRS = 384;

/** Bytes per arena chunk: a 16-byte item wastes little, a 64 KiB item is 1,024 links. */
export const CHUNK = 64;

// A number held in an entry as two Int32 words.
const num = new Float64Array(1);
const numWords = new Int32Array(num.buffer);

/** Where each part of a queue lives, in bytes from the queue's start. */
export interface Layout {
  readonly maxsize: number;
  readonly chunks: number;
  readonly maxWaiters: number;
  readonly slots: number;
  /** Items the queue may hold at once: `slots`, or 1 for a FIFO ring of 2 with maxsize 1. */
  readonly limit: number;
  /** The FIFO ring's words (ring.ts), in bytes. */
  readonly ring: number;
  readonly lock: number;
  readonly conditions: readonly [number, number, number];
  readonly next: number;
  readonly entries: number;
  readonly arena: number;
  readonly byteLength: number;
}

/** Compute the layout of a queue (all offsets are multiples of 8). */
export function layoutOf(order: Ordering, maxsize: number, chunks: number, maxWaiters: number): Layout {
  const limit = maxsize > 0 ? Math.min(maxsize, chunks) : chunks;
  // The ring tells "full at this lap" from "empty at the next" only with 2 slots or more.
  const slots = order.ring ? Math.max(2, limit) : limit;
  const cond = Condition.byteLength({ maxWaiters });
  const ring = (LOG + 2 * UNDO_PAIRS) * 4;
  // Every order has the block (unused but by the ring), so that the parts after it sit at
  // the same offsets in the three kinds.
  const lock = ring + ringBytes(maxWaiters);
  const c0 = lock + Lock.byteLength;
  const next = c0 + 3 * cond;
  const entries = next + chunks * 4;
  const arena = (entries + slots * (order.ring ? SLOT_WORDS : order.width) * 4 + 7) & ~7;
  return {
    maxsize,
    chunks,
    maxWaiters,
    slots,
    limit,
    ring,
    lock,
    conditions: [c0, c0 + cond, c0 + 2 * cond],
    next,
    entries,
    arena,
    byteLength: arena + chunks * CHUNK,
  };
}

/** Read the parameters of an existing queue's words and compute its layout. */
export function layoutOfWords(order: Ordering, i32: Int32Array): Layout {
  return layoutOf(order, Atomics.load(i32, MAXSIZE), Atomics.load(i32, CHUNKS), Atomics.load(i32, WAITERS));
}

/** Initialise the words of a new queue (the tag is stamped afterwards, by memory.ts). */
export function initWords(i32: Int32Array, l: Layout): void {
  Atomics.store(i32, MAXSIZE, l.maxsize);
  Atomics.store(i32, CHUNKS, l.chunks);
  Atomics.store(i32, WAITERS, l.maxWaiters);
  Atomics.store(i32, FREE_HEAD, 0);
  Atomics.store(i32, FREE_TAIL, l.chunks - 1);
  Atomics.store(i32, FREE_COUNT, l.chunks);
  const next = l.next >> 2;
  for (let k = 0; k < l.chunks; k++) i32[next + k] = k + 1;
}

/** Bytes of the FIFO ring's own words: three cache lines, then its sleepers' tables (ring.ts). */
function ringBytes(maxWaiters: number): number {
  return (192 + 3 * maxWaiters * 4 + 7) & ~7;
}

/** Bytes from which a copy into the arena from a source not 8-aligned goes through `bounce`. */
const BOUNCE_FROM = 256;
/** The most bytes `bounce` holds (a longer copy goes through it piece by piece). */
const BOUNCE_PIECE = 256 * 1024;
/** This thread's unshared, 8-aligned stage for copies into the arena (`Store.#bounce`). */
let bounce = new Uint8Array(0);

/** Chunks an item of `len` encoded bytes takes. */
export function chunksFor(len: number): number {
  return Math.ceil(len / CHUNK);
}

/** The storage engine over one queue's memory. */
export class Store implements Table {
  readonly w: Int32Array;
  readonly at: number;
  readonly slots: number;
  readonly head = HEAD;
  readonly seq = SEQ;
  readonly #next: number;
  readonly #bytes: Uint8Array;
  readonly #f64: Float64Array;
  readonly #order: Ordering;

  constructor(buffer: SharedArrayBuffer, byteOffset: number, l: Layout, order: Ordering) {
    this.w = new Int32Array(buffer, byteOffset, l.arena >> 2);
    this.at = l.entries >> 2;
    this.slots = l.slots;
    this.#next = l.next >> 2;
    this.#bytes = new Uint8Array(buffer, byteOffset + l.arena, l.chunks * CHUNK);
    this.#f64 = new Float64Array(buffer, byteOffset + l.arena, (l.chunks * CHUNK) >> 3);
    this.#order = order;
  }

  /** Items stored (a single-word read: usable without the lock, as an estimate). */
  get count(): number {
    return Atomics.load(this.w, COUNT);
  }

  /** Whether no item may be added now: MAXSIZE items (or a full table), or no free chunk. */
  get full(): boolean {
    return this.count >= this.slots || Atomics.load(this.w, FREE_COUNT) === 0;
  }

  /** Chunks an item takes: its encoding's, or none for a number an entry holds (order.ts). */
  chunksOf(item: number | Uint8Array): number {
    return typeof item === 'number' ? (this.#order.inline ? 0 : 1) : chunksFor(item.length);
  }

  /**
   * Whether an item of `chunks` chunks may be added now: fewer than MAXSIZE items (SLOTS is
   * MAXSIZE, or less when the arena is smaller) and enough free chunks. Atomic loads: spinners
   * poll it.
   */
  fits(chunks: number): boolean {
    return Atomics.load(this.w, COUNT) < this.slots && Atomics.load(this.w, FREE_COUNT) >= chunks;
  }

  /** Undo-logged store of a metadata word. */
  set(index: number, value: number): void {
    logStore(this.w, UNDO, LOG, index, value);
  }

  /** End the current operation: its stores stay. */
  commit(): void {
    this.w[UNDO] = 0;
  }

  /** Undo the stores of an operation that its thread did not finish; whether there were any. */
  rollback(): boolean {
    return rollbackLog(this.w, UNDO, LOG) > 0;
  }

  /**
   * Store an item: a number (written in place) or its encoding. The caller has checked `fits`.
   * `priority` is used by the priority order only.
   */
  push(item: number | Uint8Array, priority: number): void {
    const w = this.w;
    if (typeof item === 'number' && this.#order.inline) {
      num[0] = item;
      const count = w[COUNT]!;
      this.#order.insert(this, count, numWords[0]!, numWords[1]!, INLINE, priority);
      this.set(COUNT, count + 1);
      this.set(UNFINISHED, w[UNFINISHED]! + 1);
      this.commit();
      return;
    }
    const len = typeof item === 'number' ? NUMBER_BYTES : item.length;
    const first = w[FREE_HEAD]!;
    let last = first;
    if (typeof item === 'number') {
      this.#bytes[first * CHUNK] = T_NUMBER;
      this.#f64[(first * CHUNK + 8) >> 3] = item;
    } else {
      last = this.#copy(first, len, item, true);
    }
    const k = chunksFor(len);
    const free = w[FREE_COUNT]!;
    if (k < free) this.set(FREE_HEAD, w[this.#next + last]!);
    this.set(FREE_COUNT, free - k);
    const count = w[COUNT]!;
    this.#order.insert(this, count, first, 0, len, priority);
    this.set(COUNT, count + 1);
    this.set(UNFINISHED, w[UNFINISHED]! + 1);
    this.commit();
  }

  /**
   * Remove the next item: a number, or a copy of its encoding in unshared memory (`landing`,
   * which may run past the item). The removal is left uncommitted: the caller `commit`s it, or
   * `rollback`s it to leave the item where it was (queue.ts, when the item cannot be decoded).
   */
  pop(): number | Uint8Array {
    const w = this.w;
    const { a: chunk, b, len } = this.#order.remove(this, w[COUNT]!);
    if (len === INLINE) {
      numWords[0] = chunk;
      numWords[1] = b;
      this.set(COUNT, w[COUNT]! - 1);
      return num[0]!;
    }
    let item: number | Uint8Array;
    let last = chunk;
    if (len === NUMBER_BYTES && this.#bytes[chunk * CHUNK] === T_NUMBER) {
      item = this.#f64[(chunk * CHUNK + 8) >> 3]!;
    } else {
      item = landing(len, this.#bytes[chunk * CHUNK]!);
      last = this.#copy(chunk, len, item, false);
    }
    const free = w[FREE_COUNT]!;
    if (free === 0) this.set(FREE_HEAD, chunk);
    else this.set(this.#next + w[FREE_TAIL]!, chunk);
    this.set(FREE_TAIL, last);
    this.set(FREE_COUNT, free + chunksFor(len));
    this.set(COUNT, w[COUNT]! - 1);
    return item;
  }

  /**
   * Take the chunks for an item of `len` bytes from the free list (lock held; logged, not
   * committed): its first chunk. Its bytes are written afterwards, lock or no lock (`write`):
   * the chain's links are not changed while the item owns it. The caller has checked
   * `freeChunks`.
   */
  take(len: number): number {
    const w = this.w;
    const first = w[FREE_HEAD]!;
    let last = first;
    for (let done = CHUNK; done < len; done += CHUNK) last = w[this.#next + last]!;
    const k = chunksFor(len);
    const free = w[FREE_COUNT]!;
    if (k < free) this.set(FREE_HEAD, w[this.#next + last]!);
    this.set(FREE_COUNT, free - k);
    return first;
  }

  /** Copy `data` into the chain of chunks at `first` that `take` gave for it (no lock needed). */
  write(first: number, data: Uint8Array): void {
    this.#copy(first, data.length, data, true);
  }

  /**
   * Give the chain of an item of `len` bytes at chunk `first` back (lock held; logged). `last`:
   * its last chunk if known (`lastRead`), else found by walking the chain.
   */
  release(first: number, len: number, last = -1): void {
    const w = this.w;
    if (last < 0) {
      last = first;
      for (let done = CHUNK; done < len; done += CHUNK) last = w[this.#next + last]!;
    }
    const free = w[FREE_COUNT]!;
    if (free === 0) this.set(FREE_HEAD, first);
    else this.set(this.#next + w[FREE_TAIL]!, first);
    this.set(FREE_TAIL, last);
    this.set(FREE_COUNT, free + chunksFor(len));
  }

  /**
   * A copy of the item of `len` bytes at chunk `first`, in unshared memory (`landing`). No lock
   * needed by the one thread that owns the item: nothing else writes its chunks or its links.
   */
  read(first: number, len: number): Uint8Array {
    const item = landing(len, this.#bytes[first * CHUNK]!);
    this.lastRead = this.#copy(first, len, item, false);
    return item;
  }

  /** The last chunk of the chain the last `read` copied (for `release`, without a walk). */
  lastRead = -1;

  /** Free chunks (a single-word read: an estimate without the lock). */
  get freeChunks(): number {
    return Atomics.load(this.w, FREE_COUNT);
  }

  /** The item limit given to the constructor (0: none). */
  get maxsize(): number {
    return this.w[MAXSIZE]!;
  }

  /** Chunks in the arena. */
  get chunks(): number {
    return this.w[CHUNKS]!;
  }

  /** Whether the queue is shut down. */
  get shutDown(): boolean {
    return Atomics.load(this.w, SHUTDOWN) !== 0;
  }

  /** Mark the queue shut down (lock held for the table orders; the ring needs none). */
  shut(): void {
    Atomics.store(this.w, SHUTDOWN, 1);
  }

  /** Items put and not yet marked done (table orders; lock held). */
  get unfinished(): number {
    return this.w[UNFINISHED]!;
  }

  /** Count one item done (table orders; lock held, committed); the count left. */
  done(): number {
    const left = this.w[UNFINISHED]! - 1;
    this.set(UNFINISHED, left);
    this.commit();
    return left;
  }

  /** Discard every stored item, counting each done (table orders; lock held, committed). */
  discardAll(): void {
    while (this.count > 0) {
      this.pop();
      const unfinished = this.w[UNFINISHED]!;
      if (unfinished > 0) this.set(UNFINISHED, unfinished - 1);
      this.commit();
    }
  }

  /**
   * Copy `n` bytes of `data` from `from` to the arena at byte `to`, through unshared memory
   * 8-aligned like the arena: V8 copies into (or out of) shared memory a word at a time only
   * when source and target are aligned alike, else a byte at a time — ≈ 7× slower for 64 KiB.
   * The codec's items start 8-aligned (codec.ts `view`) and skip this stage; it is for bytes
   * from elsewhere.
   */
  #bounce(data: Uint8Array, from: number, n: number, to: number): void {
    if (bounce.length < Math.min(n, BOUNCE_PIECE)) bounce = new Uint8Array(Math.min(Math.max(n, bounce.length * 2), BOUNCE_PIECE));
    for (let k = 0; k < n; k += BOUNCE_PIECE) {
      const m = Math.min(BOUNCE_PIECE, n - k);
      bounce.set(data.subarray(from + k, from + k + m));
      this.#bytes.set(m === bounce.length ? bounce : bounce.subarray(0, m), to + k);
    }
  }

  /**
   * Copy `len` bytes between `data` and the chain starting at chunk `first`, one contiguous run
   * of chunks at a time (`into`: data → arena); returns the chain's last chunk.
   */
  #copy(first: number, len: number, data: Uint8Array, into: boolean): number {
    const w = this.w;
    const next = this.#next;
    let c = first;
    for (let done = 0; ; ) {
      const start = c;
      let size = CHUNK;
      while (size < len - done && w[next + c] === c + 1) {
        c++;
        size += CHUNK;
      }
      const n = Math.min(size, len - done);
      if (into && ((data.byteOffset + done) & 7) !== 0 && n >= BOUNCE_FROM) this.#bounce(data, done, n, start * CHUNK);
      // The whole item in one run (the usual case) needs no view of it.
      else if (into) this.#bytes.set(n === data.length ? data : data.subarray(done, done + n), start * CHUNK);
      else data.set(this.#bytes.subarray(start * CHUNK, start * CHUNK + n), done);
      done += n;
      if (done === len) return c;
      c = w[next + c]!;
    }
  }
}
