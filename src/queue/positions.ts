/**
 * The positions of the FIFO queue's ring (ring.ts): TAIL and HEAD, how far they may lag behind
 * the puts and gets, and the walk that moves them on (`settledTail`, `settledHead`). The Ring
 * is built on this class (watch.ts, recovery.ts, ring.ts); its slots are drawn in slot.ts.
 *
 * Words (Int32, indices into the queue's words; store.ts places the block and the slots):
 *
 *   word          name     meaning                                           written by
 *   ------------  -------  ------------------------------------------------  --------------------
 *   ring + 0      TAIL     the next put's position (mod M), or one behind    CAS forward: a putter,
 *                          it ("Positions")                                  or a helper
 *   ring + 16     HEAD     the next get's position (mod M), or one behind    CAS forward: a getter,
 *                          it                                                or a helper
 *   ring + 32..37          the sleepers' counts and generations (sleepers.ts)
 *   ring + 38     DONE     taskDone()s so far, and items discarded (mod M)   taskDone, shutdown
 *   ring + 39..   the sleepers' PENDING words and tables of names (sleepers.ts)
 *   slot k + ..            a slot's words (slot.ts)
 *
 * The invariant: TAIL moves past p only after slot p left the value p (claimed by a put, then
 * published), and HEAD past p only after slot p left p + 1 (claimed by a get, then emptied).
 * A put claims only at the first unpublished position, a get only at the first position not
 * got: at most one PUTTING and one GETTING slot exist, and a claim names its thread. Unlike
 * Vyukov's ring, a claimer moves TAIL / HEAD after its work, not before: the claim is the CAS of
 * SEQ. Anyone who finds a slot published (or emptied) while TAIL (HEAD) still names its
 * position moves TAIL (HEAD) on itself, so a thread that stops after its publish stops nobody.
 *
 * Positions. An Atomics call costs ≈ 10 ns here, a plain read ≈ 1.5 ns, so the common put
 * and get pay only the calls that order them: the claim's CAS, the publish (emptying) store;
 * the sleepers cost nothing there until one marks a slot, nor does shutdown (it closes the ring
 * by a mark: ring.ts "Shutdown"). Each thread keeps a
 * hint, the position after its last put (get): every earlier position was published (got) —
 * its own, and by induction every one before. A put's first try (ring.ts `#fastClaimPut`,
 * likewise `get`) goes from its hint (or TAIL) past slots published or got, read as plain words, to a
 * slot still holding its position, and claims it by CAS: that is the first unpublished
 * position, where the slow way would claim. Anything else it meets sends it the slow way (from
 * TAIL, Atomics reads), which alone says FULL, BUSY or EMPTY — but for a get that finds, past
 * its hint, a slot still awaiting its put (read again as Atomics do): the queue is then empty,
 * since no put claims past an unpublished position. A put (get) moves TAIL (HEAD) from wherever
 * it is to the position after its own (`advance`, forward only): in a ring of fewer than
 * LAZY_SLOTS slots at every position, in a larger one only at each LAG-th position, so they lag
 * by about LAG there. TAIL (HEAD) is also behind while a put (get) is between its publish
 * (emptying) and its move, or was killed there, and the puts (gets) of other threads go on from
 * their hints. Whoever needs the first unpublished position (not got) — `count`, a sleeper's
 * last look, waiting out a claim, a recovery — moves them on first (`settledTail`,
 * `settledHead`: a walk over slots published or got). The walk needs slot(TAIL) and
 * slot(HEAD) not yet reused by the next lap, so a put never claims a lap or more past HEAD or
 * past TAIL (it moves them on first, the slow way): however many threads stop between their
 * publish and their move, a slot past TAIL's or HEAD's position always tells which of them it
 * is about, and a put's claim seen at HEAD's slot is at HEAD (the queue is empty).
 *
 * Numbers of items: qsize = TAIL - HEAD; items put and not yet done = TAIL - DONE (both moved
 * on first: `settledTail`, `settledHead`).
 */
import { GET, JOIN, PUT, Sleepers } from './sleepers.js';
import * as Slot from './slot.js';
import type { Layout, Store } from './store.js';

// Own constants, not imported bindings, for the walk and `slot` on the put's and get's path
// (ring.ts: an imported binding costs a load more on each use).
const { SLOT_WORDS, isGetting, plain } = Slot;

const TAIL = 0;
const HEAD = 16;
const DONE = 38;

/**
 * How far TAIL (HEAD) may lag behind the position the puts (gets) reached, in a ring of at least
 * LAZY_SLOTS slots: a put (get) moves it only at each LAG-th position, from wherever it is (see
 * "Positions"). A smaller ring moves it at every position.
 */
export const LAG = 32;
const LAZY_SLOTS = 4 * LAG;

/**
 * TAIL and HEAD of the ring over one FIFO queue's memory, and what a Ring needs to walk its
 * positions (the fields below are the Ring's own: watch.ts, recovery.ts, ring.ts).
 */
export class Positions {
  protected readonly w: Int32Array;
  protected readonly store: Store;
  protected readonly cap: number;
  /** CAP - 1 if CAP is a power of 2, else -1 (`slot`). */
  protected readonly mask: number;
  protected readonly limit: number;
  protected readonly m: number;
  protected readonly slots: number;
  protected readonly tail: number;
  protected readonly head: number;
  protected readonly r: number;
  protected readonly sleeping: Sleepers;
  /** Whether TAIL and HEAD are moved at each LAG-th position only (LAZY_SLOTS slots or more). */
  protected readonly lazy: boolean;
  /**
   * This thread's hints: the position after its last put (get), -1 until it made one. Every
   * position before a hint was published (got): see "Positions".
   */
  protected putAt = -1;
  protected getAt = -1;

  constructor(store: Store, l: Layout) {
    this.w = store.w;
    this.store = store;
    this.cap = l.slots;
    this.mask = (l.slots & (l.slots - 1)) === 0 ? l.slots - 1 : -1;
    this.limit = l.limit;
    this.m = l.slots * Math.floor(2 ** 30 / l.slots);
    this.slots = l.entries >> 2;
    this.r = l.ring >> 2;
    this.tail = this.r + TAIL;
    this.head = this.r + HEAD;
    this.sleeping = new Sleepers(store.w, this.r, l.maxWaiters);
    this.lazy = l.slots >= LAZY_SLOTS;
  }

  /**
   * The first word of the slot of position `p`. A mask when CAP is a power of 2 (the default
   * queue's): a division costs more than the rest of a put's arithmetic.
   */
  protected slot(p: number): number {
    return this.slots + (this.mask >= 0 ? p & this.mask : p % this.cap) * SLOT_WORDS;
  }

  /** Position `p` (< M) plus `k` (0 <= k < M), mod M: no division. */
  protected add(p: number, k: number): number {
    const q = p + k;
    return q >= this.m ? q - this.m : q;
  }

  /** How far position `a` is past `b` (both < M), mod M: no division. */
  protected from(a: number, b: number): number {
    const d = a - b;
    return d < 0 ? d + this.m : d;
  }

  /**
   * Items stored (a snapshot). TAIL and HEAD left behind by a thread killed between its publish
   * (emptying) and its move are moved on first, so a killed thread never makes the queue look
   * full (or empty) to `qsize`, `full`, `empty` or a bounded put's limit.
   */
  get count(): number {
    const t = this.settledTail();
    const h = this.settledHead();
    const n = this.from(t, h);
    // A get may complete at a position TAIL has not yet moved past: HEAD one ahead.
    return n > this.cap ? 0 : n;
  }

  /**
   * Move TAIL or HEAD (`word`) forward to `p` (a position every earlier one of which was
   * published, or got) from wherever it is, unless it is there or past it already: on return
   * it is. `cur`: where the caller expects it (one CAS when right). Forward means less than
   * half of M ahead; another thread's move in between is only forward, so the loop ends.
   */
  protected advance(word: number, p: number, cur: number): void {
    const w = this.w;
    const m = this.m;
    for (;;) {
      const ahead = this.from(p, cur);
      if (ahead === 0 || ahead >= m >> 1) return;
      const was = Atomics.compareExchange(w, word, cur, p);
      if (was === cur) return;
      cur = was;
    }
  }

  /** TAIL, once moved past every published slot (a put publishes before it moves TAIL). */
  protected settledTail(): number {
    const w = this.w;
    for (;;) {
      const t = Atomics.load(w, this.tail);
      const s = Atomics.load(w, this.slot(t));
      const u = plain(s);
      const published =
        u === this.add(t, 1) ||
        u === this.add(t, this.cap) ||
        (s < 0 && isGetting(s) && this.settledHead() === t && Atomics.load(w, this.slot(t)) === s);
      if (!published) return t;
      this.moveTail(t);
    }
  }

  /** HEAD, once moved past every emptied slot (a get empties its slot before it moves HEAD). */
  protected settledHead(): number {
    const w = this.w;
    for (;;) {
      const h = Atomics.load(w, this.head);
      if (plain(Atomics.load(w, this.slot(h))) !== this.add(h, this.cap)) return h;
      this.moveHead(h);
    }
  }

  /**
   * Move TAIL (HEAD) from `p` on for a put (get) that published (emptied) the slot of `p` and
   * did not move it: the thread was killed, or is about to. The mover wakes the other side's
   * sleepers too, in case that thread was killed before its own wake-up.
   */
  protected moveTail(p: number): void {
    if (Atomics.compareExchange(this.w, this.tail, p, this.add(p, 1)) === p && this.sleeping.any(GET)) {
      this.sleeping.wake(GET);
    }
  }

  protected moveHead(p: number): void {
    if (Atomics.compareExchange(this.w, this.head, p, this.add(p, 1)) === p && this.sleeping.any(PUT)) {
      this.sleeping.wake(PUT);
    }
  }

  /** Items put and not yet marked done. */
  get unfinished(): number {
    return this.from(this.settledTail(), Atomics.load(this.w, this.r + DONE));
  }

  /** Mark one item done: false (nothing changed) if none is unfinished. */
  done(): boolean {
    const w = this.w;
    for (;;) {
      const d = Atomics.load(w, this.r + DONE);
      const left = this.from(this.settledTail(), d);
      if (left === 0) return false;
      if (Atomics.compareExchange(w, this.r + DONE, d, this.add(d, 1)) !== d) continue;
      if (left === 1 && this.sleeping.any(JOIN)) this.sleeping.wake(JOIN);
      return true;
    }
  }

  /** Count one discarded item as done (shutdown); never below 0. */
  protected discarded(): void {
    const w = this.w;
    for (;;) {
      const d = Atomics.load(w, this.r + DONE);
      if (this.from(this.settledTail(), d) === 0) return;
      if (Atomics.compareExchange(w, this.r + DONE, d, this.add(d, 1)) === d) return;
    }
  }
}
