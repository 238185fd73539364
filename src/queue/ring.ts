/**
 * The FIFO queue's ring: a bounded multi-producer, multi-consumer ring with a sequence word per
 * slot (Vyukov's), in which a put or get of a number takes no lock and touches no Condition,
 * and a thread killed at any instruction leaves the ring usable by everyone else.
 *
 * Its parts: the ring's words (TAIL, HEAD, DONE), the invariant they keep, "Positions" and the
 * numbers of items (positions.ts); the slots' words, where an item lives, the states of a slot's
 * SEQ and their marks (slot.ts); how a blocked put or get watches the ring and a sleeper's last
 * look, "Sleeping and waking" (watch.ts); waiting out a claim, "Crash safety" and the recovery
 * of a dead thread's claims (recovery.ts); the puts, gets and shutdown here. The Ring class is
 * built on the others (Positions, Watches, Recovery), so its put and get read TAIL, HEAD, the
 * hints and the slots as fields of their own.
 *
 * A put of a number: CAS SEQ p -> PUTTING(me); write A, B, LEN; store SEQ = p + 1 (the item
 * is visible: the put's linearization point); move TAIL to p + 1. A get: CAS SEQ p + 1 ->
 * GETTING(me); read A, B, LEN; store SEQ = p + CAP; move HEAD to p + 1. A small item: the
 * same, its putter writing LEN and BYTES while its claim holds (plain stores: the sequentially
 * consistent store of SEQ that publishes orders them before any get's claim), its getter
 * copying BYTES out (into unshared memory: codec.ts `landing`) while its claim holds and then
 * emptying the slot, before it decodes. The slot's bytes are the item's, written by one claim
 * and read by one claim: a put at p + CAP claims the slot only once it was emptied. Why a copy
 * and not a decoding straight from the slot: a browser's TextDecoder refuses a view of shared
 * memory, and a get that decoded under its claim would hold every other get at HEAD for the
 * decoding's microseconds instead of the copy's tens of nanoseconds.
 *
 * An item in chunks: its putter, holding the queue's lock (store.ts), claims the slot, takes
 * the chunks and writes A and LEN with the undo log, commits and releases the lock; then it
 * fills the chunks (its claim's: a thread killed from the commit on is settled by giving them
 * back) and publishes. Its getter claims the slot, copies the bytes out (nothing else touches
 * them), and then, holding the lock, gives the chunks back and sets LEN to NONE with the undo
 * log, commits and empties the slot. So LEN > SMALL names chunks exactly while the item owns
 * them, and NONE in a GETTING slot means that get committed. LEN is left as it was by a get (of
 * a number, a small item, or NONE after chunks): a put claims a slot whose LEN may be any value
 * <= SMALL, never one naming chunks. Neither side copies under the lock, so the lock is held for
 * a few words (and a put's walk of the chain's links), and a put and a get of big items copy at
 * the same time; the chain's links are written only under the lock, and only those of free
 * chunks (store.ts `take`, `release`). A claim is never held across a wait: a getter that finds
 * the lock taken gives its claim back, takes the lock, and claims again under it (fifo.ts
 * `ringTake`).
 *
 * Shutdown: the queue is closed by a mark. Shutdown stores SHUTDOWN, then marks the slot of the
 * first unpublished position (slot.ts MARK), waiting out a put's claim there first (and marking
 * the next slot meanwhile, so that a putter that keeps putting cannot outrun it: `closePuts`),
 * before it discards and returns. No put claims past an unpublished position, and a marked slot
 * is claimed only the slow way (`#claimPut`), which reads SHUTDOWN after its claim and gives the
 * claim back, marked, if it is set; so the common put reads no SHUTDOWN. The mark stays while the
 * queue is shut down: whoever sets that slot's SEQ without a claim of its own keeps it (a get
 * that claimed the marked slot of the lap before, when it empties it: `#emptied`; `unclaim`; a
 * recovery). So a put racing shutdown lands before shutdown returns or throws ShutDown, and no
 * put lands after it returned. A get that finds the queue shut down and empty closes it the same
 * way before it says ShutDown (a shutdown not yet at its mark, or killed before it): no put lands
 * after a get said ShutDown either, as under Python's one mutex.
 */
import { wake, type Steps } from '../primitives/futex.js';
import { lockSteps, tryLock, unlock, type Repair } from '../primitives/rawlock.js';
import { threadId } from '../primitives/thread.js';
import { GET, PUT } from './sleepers.js';
import { landing } from './codec.js';
import * as Pos from './positions.js';
import * as Slot from './slot.js';
import { Recovery } from './recovery.js';
import type { Layout, Store } from './store.js';

export { SLOT_WORDS, SMALL } from './slot.js';

// The slot's words and helpers (slot.ts), and LAG (positions.ts), as this module's own
// constants: an imported binding costs the put and get a load more on each use (a put + get of a
// number ≈ 10% slower).
const { LAG } = Pos;
const { A, B, BYTES, INLINE, LEN, MARK, SEQ, SLOT_WORDS, SMALL } = Slot;
const { getting, isGetting, plain, putting, wordsOf } = Slot;

/** Outcomes of the lock-free steps. */
export const OK = 0;
/** No room: the ring holds its limit, or (an item in chunks) too few chunks are free. */
export const FULL = 1;
/** Another thread's claim is in the way (`waitClaim`, then try again). */
export const BUSY = 2;
export const EMPTY = 3;
/** A get claimed a number: `number()` has it; the get is complete. */
export const GOT_NUMBER = 4;
/** A get claimed an encoded item (small, or in chunks): `bytes()`, then `tryFinish` / `finishHeld` or `unclaim`. */
export const GOT_BYTES = 5;
/** The lock could not be had by the deadline (nothing changed). */
export const TIMED_OUT = 6;
/** The queue was shut down before the put's claim (nothing changed: the claim given back). */
export const SHUT = 7;

/** Slots a put's (get's) first try passes from its hint, as plain reads, before it takes the slow way. */
const SCAN = 16;

/** How many loads to watch the lock before parking on it (held for a few words). */
const LOCK_SPIN = 500;
/**
 * Bytes of an item in chunks from which its put (get) wakes threads parked on its claim when
 * it publishes (empties) the slot: the claim is held for the item's copy, and a thread that
 * waits it out (`waitClaim`) would otherwise nap 1 ms; below, a notify (≈ 50 ns) costs more.
 */
const LONG_CLAIM = 4096;

// A number's two words.
const num = new Float64Array(1);
const numWords = new Int32Array(num.buffer);

/** The ring over one FIFO queue's memory. */
export class Ring extends Recovery {
  /** The same words as bytes: small items' BYTES. */
  readonly #u8: Uint8Array;
  readonly #putMark = putting(threadId);
  readonly #getMark = getting(threadId);
  /**
   * Whether the claim this thread holds took a slot a sleeping getter (putter) marked: its put
   * (get) then wakes them after its publish (emptying), or gives the mark back with the claim.
   */
  #wakeGetters = false;
  #wakePutters = false;
  /** The position of the encoded item this thread's last get claimed (GOT_BYTES). */
  #claimed = 0;
  /** The last chunk of that item's chain once `bytes()` copied it (-1: not known). */
  #claimedLast = -1;

  constructor(store: Store, l: Layout, repair: Repair) {
    super(store, l, repair);
    this.#u8 = new Uint8Array(store.w.buffer, store.w.byteOffset, store.w.byteLength);
  }

  /** Initialise a new queue's slots: slot k waits for the put at position k. */
  static init(i32: Int32Array, l: Layout): void {
    const at = l.entries >> 2;
    for (let k = 0; k < l.slots; k++) i32[at + k * SLOT_WORDS + SEQ] = k;
  }

  /** Whether a put would find no room now: the limit reached, or no free chunk. */
  get full(): boolean {
    return this.count >= this.limit || this.store.freeChunks === 0;
  }

  // -------------------------------------------------------------------------------------------
  // Puts

  /**
   * Claim the slot at TAIL for a put: its position, or FULL / BUSY / SHUT (nothing claimed).
   * Moves a TAIL left behind by a put that published.
   */
  #claimPut(): number {
    const w = this.w;
    // TAIL may lag (lazy): moved to this thread's hint first, so that the walk below is short.
    if (this.putAt >= 0) this.advance(this.tail, this.putAt, Atomics.load(w, this.tail));
    for (;;) {
      const t = Atomics.load(w, this.tail);
      const at = this.slot(t);
      const s = Atomics.load(w, at);
      const u = plain(s);
      if (u === t) {
        if (this.limit < this.cap && this.count >= this.limit) return -FULL;
        // Never a lap past HEAD (positions.ts "Positions"); once HEAD is moved on it is not (the item
        // of t - CAP was got), so this is a safeguard.
        if (this.from(t, this.settledHead()) >= this.cap) return -FULL;
        // Marked (s !== t): a getter sleeps on it, woken after the publish; or the queue was
        // shut down (`closePuts`).
        if (Atomics.compareExchange(w, at, s, this.#putMark) === s) {
          this.#wakeGetters = s !== t;
          if (this.#shut(t, at)) return -SHUT;
          return t;
        }
        continue;
      }
      if (s >= 0) {
        // Published (or already got) at t: TAIL was left behind.
        if (u === this.add(t, 1) || u === this.add(t, this.cap)) {
          this.moveTail(t);
          continue;
        }
        if (Atomics.load(w, this.tail) !== t) continue;
        // Full at the lap before: the item of t - CAP is still there.
        return -FULL;
      }
      // A get's claim: of the item published at t before TAIL moved past it (HEAD = t; read
      // SEQ again, so that the claim seen is one that existed while HEAD was t), or of the
      // item of t - CAP (the ring is full).
      if (isGetting(s) && this.settledHead() === t && Atomics.load(w, at) === s) {
        this.moveTail(t);
        continue;
      }
      if (Atomics.load(w, this.tail) !== t) continue;
      return -BUSY;
    }
  }

  /**
   * The first try of a put's claim, from plain reads (a hint: an Atomics call costs ≈ 10 ns
   * here, a plain read ≈ 1.5 ns): from this thread's hint (or TAIL), past slots published or
   * got, to a slot still holding its position, claimed by CAS. Every position before the one
   * claimed was published (the hint's, TAIL's, and each slot passed), so the claim is at the
   * first unpublished position, where `#claimPut` would make it. -1 (nothing claimed) on
   * anything else: `#claimPut` then decides from Atomics reads (FULL, BUSY are never said from
   * a hint). Not for a ring whose limit is below its slot count (it counts first).
   */
  #fastClaimPut(): number {
    const w = this.w;
    if (this.limit !== this.cap) return -1;
    let t = this.putAt;
    if (t < 0) t = w[this.tail]!;
    for (let k = 0; k < SCAN; k++) {
      const at = this.slot(t);
      const s = w[at]!;
      // A marked slot (a sleeper's: watch.ts "Sleeping and waking") is none of these: `#claimPut`.
      if (s === t) {
        // Not a lap or more past HEAD or TAIL (either may lag): else `#claimPut` moves them on
        // first. A plain read is a value the word had, and they only move forward, so the claim
        // is less than a lap past what they are at its CAS (positions.ts "Positions").
        if (this.from(t, w[this.head]!) >= this.cap || this.from(t, w[this.tail]!) >= this.cap) return -1;
        return Atomics.compareExchange(w, at, t, this.#putMark) === t ? t : -1;
      }
      const next = this.add(t, 1);
      if (s !== next && s !== this.add(t, this.cap)) return -1;
      t = next;
    }
    return -1;
  }

  /**
   * Claim for a put: `#fastClaimPut`, else `#claimPut` — its position, or FULL / BUSY / SHUT
   * (negated; nothing claimed).
   */
  #claim(): number {
    const t = this.#fastClaimPut();
    return t >= 0 ? t : this.#claimPut();
  }

  /**
   * Whether the queue was shut down before the claim of position `t` (slot word `at`), made the
   * slow way, was made: then it is given back, marked. The claim is made, then SHUTDOWN read,
   * both sequentially consistent; shutdown stores SHUTDOWN, then marks the first unpublished
   * position, waiting out a put's claim there first (`closePuts`). A put claims the fast way
   * (`#fastClaimPut`) only a slot holding its plain position, so after that mark only the slow
   * way, which comes here. So either this put sees the shutdown and puts nothing, or its claim
   * is seen and waited for: a put never lands after `shutdown` returned (Python's put holds the
   * mutex that shutdown takes).
   */
  #shut(t: number, at: number): boolean {
    if (!this.store.shutDown) return false;
    // Given back marked, whether or not it took a mark: the queue stays closed (shutdown wakes
    // every sleeper anyway).
    Atomics.store(this.w, at + SEQ, t + MARK);
    this.#wakeGetters = false;
    return true;
  }

  /**
   * Close the ring to puts (shutdown, after SHUTDOWN is stored): mark the slot of the first
   * unpublished position, once no put holds a claim there (a dead putter's claim is settled).
   * That slot holds its position (empty) or, the ring full, the item of the lap before (marked as
   * by a sleeping putter: the get that empties it keeps the mark, `#emptied`). Marked already (a
   * sleeper's mark): nothing to do, the next claim of it is the slow way's all the same.
   * Made by shutdown, and again by every get that finds the queue shut down and empty before it
   * says so (fifo.ts), so that a shutdown stalled or killed before its mark never leaves puts
   * landing after gets said ShutDown. False if a claim outlasted `deadline` (nothing is closed
   * then, but the marks made are kept: closing twice is closing once).
   */
  *closePuts(deadline: number): Steps<boolean> {
    const w = this.w;
    for (;;) {
      const t = this.settledTail();
      const at = this.slot(t);
      const s = Atomics.load(w, at);
      const u = plain(s);
      if (u === t || u === this.add(t, this.m - this.cap + 1)) {
        if (s !== u || Atomics.compareExchange(w, at, s, s + MARK) === s) return true;
        continue;
      }
      // Published since (marked or not: a putter waiting for chunks marks the item at HEAD), or
      // got: look again from TAIL.
      if (s >= 0) continue;
      // A put's claim at t (or, the ring full, a get's of the item of the lap before): waited
      // out. The next position's slot is marked first, so that the putter's next put, made
      // before this loop looks again, takes the slow way.
      if (!isGetting(s)) this.#markAt(this.add(t, 1));
      if (!(yield* this.waitClaim(!isGetting(s), deadline))) return false;
    }
  }

  /** Mark the slot of position `p` if it holds p (empty) or the item of the lap before (`closePuts`). */
  #markAt(p: number): void {
    const w = this.w;
    const at = this.slot(p);
    const s = Atomics.load(w, at);
    if (s === p || s === this.add(p, this.m - this.cap + 1)) Atomics.compareExchange(w, at, s, s + MARK);
  }

  /**
   * Publish the item of the put that claimed position `t`, move TAIL (lazily: at each LAG-th
   * position, from wherever it is), and wake sleeping getters if the claim took their mark.
   */
  #publish(t: number, at: number): void {
    const w = this.w;
    const next = this.add(t, 1);
    Atomics.store(w, at + SEQ, next);
    this.putAt = next;
    if (!this.lazy) this.advance(this.tail, next, t);
    else if (next % LAG === 0) this.advance(this.tail, next, Atomics.load(w, this.tail));
    if (this.#wakeGetters) this.#wakeMarked(GET);
  }

  /** After the publish (emptying) of a claim that took a sleeper's mark: wake the sleepers of `what`. */
  #wakeMarked(what: number): void {
    if (what === GET) this.#wakeGetters = false;
    else this.#wakePutters = false;
    if (this.sleeping.any(what)) this.sleeping.wake(what);
  }

  /** Put a number: OK, FULL, BUSY or SHUT (nothing changed). No lock. */
  putNumber(x: number): number {
    const t = this.#claim();
    if (t < 0) return -t;
    const w = this.w;
    const at = this.slot(t);
    num[0] = x;
    w[at + A] = numWords[0]!;
    w[at + B] = numWords[1]!;
    w[at + LEN] = INLINE;
    this.#publish(t, at);
    return OK;
  }

  /**
   * Copy a small item's bytes into the BYTES of slot `at`: word by word when `data` sits at a
   * multiple of 4 in its buffer with whole words to read (the codec's scratch memory: ≈ 30 ns
   * for 100 bytes, against ≈ 70 ns for TypedArray.set), byte by byte otherwise.
   */
  #writeSmall(at: number, data: Uint8Array): void {
    const n = data.length;
    const words = wordsOf(data, n, 0);
    const w = this.w;
    const to = at + BYTES;
    if (words !== undefined) {
      const from = data.byteOffset >> 2;
      for (let i = 0, k = (n + 3) >> 2; i < k; i++) w[to + i] = words[from + i]!;
      return;
    }
    this.#u8.set(data, to << 2);
  }

  /** Copy the `len` bytes of the small item in slot `at` into `item` (unshared), as `#writeSmall`. */
  #readSmall(at: number, len: number, item: Uint8Array): void {
    const words = wordsOf(item, len, 1);
    const w = this.w;
    const from = at + BYTES;
    if (words !== undefined) {
      const to = item.byteOffset >> 2;
      for (let i = 0, k = (len + 3) >> 2; i < k; i++) words[to + i] = w[from + i]!;
      return;
    }
    const u8 = this.#u8;
    for (let i = 0, b = from << 2; i < len; i++) item[i] = u8[b + i]!;
  }

  /**
   * Put an encoded item of at most SMALL bytes into its slot: OK, FULL, BUSY or SHUT (nothing
   * changed). No lock, no chunk: the bytes are written while the claim holds.
   */
  #putSmall(data: Uint8Array): number {
    const t = this.#claim();
    if (t < 0) return -t;
    const at = this.slot(t);
    this.w[at + LEN] = data.length;
    this.#writeSmall(at, data);
    this.#publish(t, at);
    return OK;
  }

  /**
   * Put an encoded item: of at most SMALL bytes, into its slot (`#putSmall`, no lock); else
   * into chunks: OK, FULL, BUSY, or TIMED_OUT if the lock could not be had
   * by `deadline` (nothing changed but for a dead thread's claim settled on the way).
   */
  *putBytes(data: Uint8Array, chunks: number, deadline: number): Steps<number> {
    if (data.length <= SMALL) return this.#putSmall(data);
    if (!this.#tryLockSpinning() && !(yield* lockSteps(this.w, this.lockWord, deadline, this.repair))) return TIMED_OUT;
    return this.#putBytesHeld(data, chunks);
  }

  /** `putBytes` if the lock is free now (a small item needs none); BUSY (nothing changed) if not. */
  tryPutBytes(data: Uint8Array, chunks: number): number {
    if (data.length <= SMALL) return this.#putSmall(data);
    return this.#tryLockSpinning() ? this.#putBytesHeld(data, chunks) : BUSY;
  }

  /**
   * Take the lock if it is free, or freed within LOCK_SPIN loads: it is held for a few words
   * of the free list, and a park costs a futex round trip. Loads, not CASes, while watching.
   */
  #tryLockSpinning(): boolean {
    const w = this.w;
    if (tryLock(w, this.lockWord)) return true;
    for (let i = 0; i < LOCK_SPIN; i++) {
      if (Atomics.load(w, this.lockWord) === 0 && tryLock(w, this.lockWord)) return true;
    }
    return false;
  }

  /** `putBytes` with the lock taken; releases it. */
  #putBytesHeld(data: Uint8Array, chunks: number): number {
    const store = this.store;
    let t: number;
    let at: number;
    let first: number;
    try {
      if (store.freeChunks < chunks) return FULL;
      t = this.#claimPut();
      if (t < 0) {
        if (t === -BUSY) this.settleHeld(0);
        return -t;
      }
      at = this.slot(t);
      first = store.take(data.length);
      store.set(at + A, first);
      store.set(at + B, 0);
      store.set(at + LEN, data.length);
      store.commit();
    } finally {
      unlock(this.w, this.lockWord);
    }
    // The chunks are this claim's (LEN names them, committed): filled without the lock, so a
    // get that gives chunks back meanwhile does not wait for the copy.
    store.write(first, data);
    this.#publish(t, at);
    if (data.length >= LONG_CLAIM) wake(this.w, at + SEQ, Infinity);
    return OK;
  }

  // -------------------------------------------------------------------------------------------
  // Gets

  /**
   * Claim the item at HEAD: GOT_NUMBER (the get is complete: `number()`), GOT_BYTES (claimed,
   * a small item or one in chunks: `bytes()`, then `tryFinish()` / `finishHeld()` or
   * `unclaim()`), EMPTY or BUSY. No lock.
   */
  get(): number {
    const w = this.w;
    // The first try, from plain reads (as `#fastClaimPut`): from this thread's hint (or HEAD),
    // past slots got, to a published slot, claimed by CAS — every position before it was got,
    // so the claim is at the first position not got, where the slow way below would make it.
    // A slot still awaiting its put there (read again, as Atomics do) is an empty queue: no put
    // claims past an unpublished position.
    let h = this.getAt;
    if (h < 0) h = w[this.head]!;
    for (let k = 0; k < SCAN; k++) {
      const at = this.slot(h);
      const s = w[at]!;
      const full = this.add(h, 1);
      if (s === full) {
        if (Atomics.compareExchange(w, at, full, this.#getMark) === full) return this.#gotAt(h, at);
        break;
      }
      if (s === h) {
        if (Atomics.load(w, at) !== h) break;
        this.getAt = h;
        return EMPTY;
      }
      if (s !== this.add(h, this.cap)) break;
      h = full;
    }
    return this.#getSlow();
  }

  /** `get` the slow way: from HEAD, read as Atomics do. */
  #getSlow(): number {
    const w = this.w;
    // HEAD may lag (lazy): moved to this thread's hint first, so that the walk below is short.
    if (this.getAt >= 0) this.advance(this.head, this.getAt, Atomics.load(w, this.head));
    for (;;) {
      const h = Atomics.load(w, this.head);
      const at = this.slot(h);
      const s = Atomics.load(w, at);
      const u = plain(s);
      const full = this.add(h, 1);
      if (u === full) {
        if (Atomics.compareExchange(w, at, s, this.#getMark) !== s) continue;
        // Marked (s !== full): a putter sleeps on it, woken after the emptying.
        this.#wakePutters = s !== full;
        return this.#gotAt(h, at);
      }
      if (u === h) {
        // Awaiting its put (marked: a getter sleeps on it).
        if (Atomics.load(w, this.head) !== h) continue;
        this.getAt = h;
        return EMPTY;
      }
      if (s >= 0) {
        // h + CAP or later: the item of h was got and HEAD left behind.
        this.moveHead(h);
        continue;
      }
      if (Atomics.load(w, this.head) !== h) continue;
      // Another get's claim, at h (a claim is made at HEAD, which moves after it).
      if (isGetting(s)) return BUSY;
      // A put's claim, at h: the queue is empty (h is the first unpublished position). Not at
      // h + CAP: a put claims less than a lap past HEAD as it is at the claim's CAS, and HEAD
      // was h before the claim was read (slot h was past h - CAP then) and is h after it.
      this.getAt = h;
      return EMPTY;
    }
  }

  /** The get that claimed slot `at` of position `h`: a number is read and the slot emptied. */
  #gotAt(h: number, at: number): number {
    const w = this.w;
    if (w[at + LEN] !== INLINE) {
      this.#claimed = h;
      this.#claimedLast = -1;
      return GOT_BYTES;
    }
    numWords[0] = w[at + A]!;
    numWords[1] = w[at + B]!;
    this.#emptied(h, at);
    return GOT_NUMBER;
  }

  /** The number the last `get` returned GOT_NUMBER for. */
  number(): number {
    return num[0]!;
  }

  /**
   * A copy of the encoded item the last `get` claimed (GOT_BYTES), in unshared memory
   * (codec.ts `landing`, which may run past the item).
   */
  bytes(): Uint8Array {
    const at = this.slot(this.#claimed);
    const len = this.w[at + LEN]!;
    if (len > SMALL) {
      const item = this.store.read(this.w[at + A]!, len);
      this.#claimedLast = this.store.lastRead;
      return item;
    }
    const item = landing(len, this.#u8[(at + BYTES) << 2]!);
    this.#readSmall(at, len, item);
    return item;
  }

  /** Give back the claim of the last GOT_BYTES: the item stays first in the queue. */
  unclaim(): void {
    const h = this.#claimed;
    const full = this.add(h, 1);
    // A mark the claim took is given back with it.
    Atomics.compareExchange(this.w, this.slot(h) + SEQ, this.#getMark, this.#wakePutters ? full + MARK : full);
    this.#wakePutters = false;
  }

  /**
   * Take the queue's lock (by `deadline`: false if not), for a get that then claims under it
   * (`get`, `finishHeld` or `unlock`): a claim is never held while waiting for the lock.
   */
  *lock(deadline: number): Steps<boolean> {
    return this.#tryLockSpinning() || (yield* lockSteps(this.w, this.lockWord, deadline, this.repair));
  }

  /** Let go of the lock `lock` took. */
  unlock(): void {
    unlock(this.w, this.lockWord);
  }

  /** `finish` for a get that claimed while holding the lock (`lock`); releases it. */
  finishHeld(): void {
    this.#finishHeld();
  }

  /** `finish` if the lock is free now, or not needed: a small item (true); false (still claimed) if not. */
  tryFinish(): boolean {
    const h = this.#claimed;
    const at = this.slot(h);
    if (this.w[at + LEN]! <= SMALL) {
      this.#emptied(h, at);
      return true;
    }
    if (!this.#tryLockSpinning()) return false;
    this.#finishHeld();
    return true;
  }

  #finishHeld(): void {
    const h = this.#claimed;
    const at = this.slot(h);
    const len = this.w[at + LEN]!;
    try {
      // A small item holds no chunk: nothing to give back.
      if (len > SMALL) this.release(at, this.#claimedLast);
    } finally {
      unlock(this.w, this.lockWord);
    }
    this.#emptied(h, at);
    if (len >= LONG_CLAIM) wake(this.w, at + SEQ, Infinity);
  }

  /**
   * Empty slot `at` of position `h` after its get, and wake sleeping putters if the claim took
   * their mark. A mark the claim took may be shutdown's (`closePuts`: the ring was full): kept on
   * the emptied value once the queue is shut down (SHUTDOWN read after the claim, which came
   * after that mark), so that no put claims the slot the fast way.
   */
  #emptied(h: number, at: number): void {
    const w = this.w;
    const next = this.add(h, 1);
    const e = this.add(h, this.cap);
    Atomics.store(w, at + SEQ, this.#wakePutters && this.store.shutDown ? e + MARK : e);
    this.getAt = next;
    if (!this.lazy) this.advance(this.head, next, h);
    else if (next % LAG === 0) this.advance(this.head, next, Atomics.load(w, this.head));
    if (this.#wakePutters) this.#wakeMarked(PUT);
  }

  // -------------------------------------------------------------------------------------------
  // Tasks

  /** Discard every item (shutdown(true)), counting each as done. */
  *discardAll(): Steps<void> {
    for (;;) {
      const got = this.get();
      if (got === EMPTY) return;
      if (got === BUSY) {
        yield* this.waitClaim(false, Infinity);
        continue;
      }
      if (got === GOT_BYTES && !this.tryFinish()) {
        // Never wait for the lock holding the claim: give it back, take the lock, claim again.
        this.unclaim();
        yield* this.lock(Infinity);
        const again = this.get();
        if (again === GOT_BYTES) this.#finishHeld();
        else {
          this.unlock();
          if (again !== GOT_NUMBER) continue;
        }
      }
      this.discarded();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Waiting

  /**
   * Sleep until a get may find an item (`what` GET), a put room for `chunks` chunks (PUT), or
   * no item is unfinished (JOIN) — or, for a get or put, the queue is shut down; or `deadline`
   * passes or a slice ends (the caller looks again). `n`: how many sleeps this call made before
   * (the slice grows with it: sleepers.ts). Throws ERR_TOO_MANY_WAITERS (nothing changed) past maxWaiters sleepers.
   */
  sleep(what: number, chunks: number, deadline: number, n: number): Steps<void> {
    return this.sleeping.sleep(what, chunks, deadline, n, this);
  }

  /** The sabsync ids asleep in get (`what` GET), put or join. */
  sleepers(what: number): number[] {
    return this.sleeping.names(what);
  }
}
