/**
 * The three retrieval orders over one storage engine (queue.ts): which stored item `get` takes.
 *
 * Each order keeps a table of entries in shared memory, one per stored item, `width` Int32
 * words each, starting at word `at` of the queue's words:
 *
 *   FIFO   ring of [seq, a, b, len, 112 bytes of a small item], kept by ring.ts without the lock
 *          on its common path (ring.ts draws it)
 *   LIFO   stack of [chunk, 0, len]; the newest entry is at slot count - 1
 *   heap   binary min-heap of [chunk, len, seq, priority low word, priority high word],
 *          ordered by (priority, seq): lowest priority first, FIFO among equals
 *
 * `chunk` is the item's first storage chunk and `len` its encoded length. FIFO and LIFO
 * entries also hold a number item itself, with no chunk: [float64 low word, high word,
 * INLINE] (`inline`), so a number costs no arena chunk, no free-list update and no cache line
 * of the arena. Every store to an
 * entry that may be in use goes through `t.set`, the queue's undo-logged write, so an operation
 * cut short by a dying thread can be rolled back (store.ts, "Crash safety"). FIFO and LIFO
 * insert into the slot just past the stored entries, which nothing reads until the put raises
 * COUNT (logged): like an item's bytes in free chunks, they write it directly. The heap moves
 * stored entries, so all its stores are logged. The caller holds the queue's lock.
 */

/** The table an order works on (provided by the queue). */
export interface Table {
  /** The queue's words. */
  readonly w: Int32Array;
  /** Word index of slot 0. */
  readonly at: number;
  /** Capacity in entries. */
  readonly slots: number;
  /** Word index of the FIFO head slot. */
  readonly head: number;
  /** Word index of the count of puts (the priority order's tie-break). */
  readonly seq: number;
  /** Undo-logged store. */
  set(index: number, value: number): void;
}

/** `len` of an entry that holds a number item in its first two words (FIFO / LIFO). */
export const INLINE = -1;

/** An entry: where an item is stored (`a` its first chunk), or an INLINE number (`a`, `b`). */
export interface Located {
  a: number;
  b: number;
  len: number;
}

/** A retrieval order. */
export interface Ordering {
  /** Int32 words per entry. */
  readonly width: number;
  /** Whether entries can hold a number item (`len` INLINE). */
  readonly inline: boolean;
  /** Whether the entries are a ring (ring.ts) rather than a table kept under the lock. */
  readonly ring: boolean;
  /** Add the entry of a new item (`count` entries are stored). */
  insert(t: Table, count: number, a: number, b: number, len: number, priority: number): void;
  /** Remove and return the entry of the next item to get (`count` > 0 entries are stored). */
  remove(t: Table, count: number): Located;
}

/** Write the entry of a new item into `slot`, one that is not in use (see above). */
function put3(t: Table, slot: number, a: number, b: number, len: number): void {
  const at = t.at + slot * 3;
  t.w[at] = a;
  t.w[at + 1] = b;
  t.w[at + 2] = len;
}

function get3(t: Table, slot: number): Located {
  const at = t.at + slot * 3;
  return { a: t.w[at]!, b: t.w[at + 1]!, len: t.w[at + 2]! };
}

/**
 * First in, first out: `Queue`. Its entries are the slots of a ring that takes no lock on its
 * common path (ring.ts), which inserts and removes them itself: [seq, a, b, len].
 */
export const fifo: Ordering = {
  width: 4,
  inline: true,
  ring: true,
  insert() {
    throw new Error('sabsync queue: a FIFO queue stores through its ring');
  },
  remove() {
    throw new Error('sabsync queue: a FIFO queue stores through its ring');
  },
};

/** Last in, first out: `LifoQueue`. */
export const lifo: Ordering = {
  width: 3,
  inline: true,
  ring: false,
  insert(t, count, a, b, len) {
    put3(t, count, a, b, len);
  },
  remove(t, count) {
    return get3(t, count - 1);
  },
};

// Priorities are float64s kept in two Int32 words.
const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

const CHUNK = 0;
const LEN = 1;
const SEQ = 2;
const PRIO = 3;
const W = 5;

function priorityAt(w: Int32Array, at: number): number {
  f64w[0] = w[at + PRIO]!;
  f64w[1] = w[at + PRIO + 1]!;
  return f64[0]!;
}

/** Whether entry `a` comes before entry `b`: lower priority, or equal priority and older. */
function before(w: Int32Array, a: number, b: number): boolean {
  const pa = priorityAt(w, a);
  const pb = priorityAt(w, b);
  // seq wraps after 2^32 puts: compare by signed difference.
  return pa < pb || (pa === pb && ((w[a + SEQ]! - w[b + SEQ]!) | 0) < 0);
}

function move(t: Table, from: number, to: number): void {
  for (let i = 0; i < W; i++) t.set(to + i, t.w[from + i]!);
}

/** Lowest priority first, first in first out among equal priorities: `PriorityQueue`. */
export const heap: Ordering = {
  width: W,
  inline: false,
  ring: false,
  insert(t, count, chunk, _b, len, priority) {
    // Write the new entry at the end, then sift it up.
    const seq = t.w[t.seq]!;
    t.set(t.seq, (seq + 1) | 0);
    let i = count;
    const at = (k: number) => t.at + k * W;
    f64[0] = priority;
    t.set(at(i) + CHUNK, chunk);
    t.set(at(i) + LEN, len);
    t.set(at(i) + SEQ, seq);
    t.set(at(i) + PRIO, f64w[0]!);
    t.set(at(i) + PRIO + 1, f64w[1]!);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(t.w, at(i), at(parent))) break;
      swap(t, at(i), at(parent));
      i = parent;
    }
  },
  remove(t, count) {
    const at = (k: number) => t.at + k * W;
    const top = { a: t.w[at(0) + CHUNK]!, b: 0, len: t.w[at(0) + LEN]! };
    const last = count - 1;
    if (last > 0) move(t, at(last), at(0));
    // Sift the moved entry down among the remaining `last` entries.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const child = r < last && before(t.w, at(r), at(l)) ? r : l;
      if (!before(t.w, at(child), at(i))) break;
      swap(t, at(i), at(child));
      i = child;
    }
    return top;
  },
};

function swap(t: Table, a: number, b: number): void {
  for (let i = 0; i < W; i++) {
    const x = t.w[a + i]!;
    t.set(a + i, t.w[b + i]!);
    t.set(b + i, x);
  }
}
