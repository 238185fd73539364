/**
 * The FIFO queue's ring: a bounded multi-producer, multi-consumer ring with a sequence word per
 * slot (Vyukov's), in which a put or get of a number takes no lock and touches no Condition,
 * and a thread killed at any instruction leaves the ring usable by everyone else.
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
 *   slot k + 0    SEQ      the slot's state, below                           its claimer
 *   slot k + 1,2  A, B     a number's float64 words, or [first chunk, 0]     its putter
 *   slot k + 3    LEN      INLINE (a number), NONE (no bytes held), 1..SMALL  its putter; its getter
 *                          (an item's bytes in the slot), or > SMALL (the    (NONE, logged: chunks)
 *                          byte length of an item in the arena's chunks)
 *   slot k + 4..  BYTES    SMALL = 112 bytes: a small item's encoding        its putter
 *
 * A slot is SLOT_WORDS = 32 words, 128 bytes: two cache lines, so neighbouring slots (the put's
 * and the get's, in a ring that keeps up) share none. The slots are the queue's entries
 * (store.ts): one per item the queue may hold, so a Queue costs 128 bytes per slot on top of
 * its arena — `new Queue()` (1 MiB of `bytes`, 16,384 slots) ≈ 3.1 MiB, `new Queue(100)` with
 * the default bytes ≈ 1.1 MiB (store.ts). Measured against heads packed four to a line (SEQ,
 * LEN, the number; BYTES apart) and SEQ words sixteen to a line, 1 → 1 threads: no gain for
 * numbers nor small items (0.9–1.1×, within the noise of single runs). A getter that keeps up
 * claims each slot right after its put, so the line crosses twice per item whatever its width;
 * what costs is the Atomics calls (≈ 10–20 ns each: 5 per put + get of a number — a claim's
 * CAS and a store each, and a put's load of SHUTDOWN — 4 in the bench's bare ring, which does
 * 2× the items/s; no load of a sleepers' count since sleepers mark slots: ≈ -17% a put + get).
 *
 * Where an item lives, by the length L of its encoding (codec.ts): a number in A, B (no
 * encoding); L <= SMALL in the slot's BYTES (the encoded small object of the queue benchmark,
 * ≈ 100 bytes, is the reason for SMALL); L > SMALL in chunks of the arena, named by A and LEN.
 * A number or a small item takes no lock, no chunk and no undo log: only the slot it claimed.
 *
 * Positions run mod M = CAP * floor(2^30 / CAP), CAP the slot count (>= 2); slot of position p:
 * p mod CAP. A slot's SEQ, for the position p whose turn it is at that slot:
 *
 *   SEQ = p            empty: a put at p may claim it
 *   SEQ = p + 1        full: holds the item put at p; a get at p may claim it
 *   SEQ = p + CAP      emptied: the item of p was got (p + CAP's put may claim it)
 *   SEQ = PUTTING(id)  claimed by the put at TAIL of thread `id` (negative: -(2 id) - 1)
 *   SEQ = GETTING(id)  claimed by the get at HEAD of thread `id` (-(2 id + 1) - 1)
 *   SEQ = p + MARK     empty, marked: a getter sleeps until the put at p publishes
 *   SEQ = p + 1 + MARK full, marked: a putter sleeps until the get at p empties the slot
 *
 * MARK = 2^30 (bit 30): positions stay below M <= 2^30 and claims are small negatives, so a
 * marked value (>= MARK) is neither; only an unclaimed value is marked (a sleeper's CAS from
 * it), and `plain` takes the mark off. A marked value is the same state as its plain one for
 * every reader — the walks, `count`, the watches, `hasItem`, shutdown, a recovery — but for a
 * claim: the first tries (plain reads, a CAS expecting the plain value) fail on it and take the
 * slow way (`#claimPut`, `#getSlow`), which claims it by a CAS expecting the marked value and
 * notes that it took a mark (`#wakeGetters`, `#wakePutters`): the put (get) then wakes the
 * sleepers after its publish (emptying), or gives the mark back with its claim (`#shutUnder`,
 * `unclaim`). The value p + CAP (emptied) is marked as the empty value of position p + CAP.
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
 * and get pay only the calls that order them: the claim's CAS, the publish (emptying) store
 * (and a put's load of SHUTDOWN); the sleepers cost nothing there until one marks a slot. Each thread keeps a
 * hint, the position after its last put (get): every earlier position was published (got) —
 * its own, and by induction every one before. A put's first try (`#fastClaimPut`, likewise
 * `get`) goes from its hint (or TAIL) past slots published or got, read as plain words, to a
 * slot still holding its position, and claims it by CAS: that is the first unpublished
 * position, where the slow way would claim. Anything else it meets sends it the slow way (from
 * TAIL, Atomics reads), which alone says FULL, BUSY or EMPTY — but for a get that finds, past
 * its hint, a slot still awaiting its put (read again as Atomics do): the queue is then empty,
 * since no put claims past an unpublished position. A put (get) moves TAIL (HEAD) from wherever
 * it is to the position after its own (`#advance`, forward only): in a ring of fewer than
 * LAZY_SLOTS slots at every position, in a larger one only at each LAG-th position, so they lag
 * by about LAG there. TAIL (HEAD) is also behind while a put (get) is between its publish
 * (emptying) and its move, or was killed there, and the puts (gets) of other threads go on from
 * their hints. Whoever needs the first unpublished position (not got) — `count`, a sleeper's
 * last look, waiting out a claim, a recovery — moves them on first (`#settledTail`,
 * `#settledHead`: a walk over slots published or got). The walk needs slot(TAIL) and
 * slot(HEAD) not yet reused by the next lap, so a put never claims a lap or more past HEAD or
 * past TAIL (it moves them on first, the slow way): however many threads stop between their
 * publish and their move, a slot past TAIL's or HEAD's position always tells which of them it
 * is about, and a put's claim seen at HEAD's slot is at HEAD (the queue is empty).
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
 * Shutdown: a put reads SHUTDOWN after its claim (and gives the claim back if set); shutdown
 * stores SHUTDOWN, then waits out the put claim at TAIL (`settlePuts`) before it discards and
 * returns. So a put racing shutdown lands before shutdown returns or throws ShutDown.
 *
 * Crash safety: a thread killed anywhere leaves at most one claim of its own, at TAIL or HEAD.
 * Whoever finds the claim of a thread the liveness table records dead (liveness.ts), or the
 * pool's recovery naming that thread, takes the queue's lock (taking it over and rolling back
 * the undo log if the dead thread held it) and settles the claim (`settle`):
 *   - PUTTING at TAIL: the put never happened. Chunks its LEN names (> SMALL: committed with
 *     the claim) go back; a number or small item half written is simply forgotten; SEQ = p.
 *   - GETTING at HEAD, LEN not NONE: the get never happened: SEQ = p + 1 (the item is there:
 *     a number or small item is only read under a claim, and a get returns its item only
 *     after emptying the slot).
 *   - GETTING at HEAD, LEN NONE: the get committed (its thread had the item): SEQ = p + CAP.
 * A thread killed after its publish or its emptying leaves TAIL or HEAD behind, which the next
 * thread that meets it moves (a put, a get, `count`, a recovery), waking the other side's
 * sleepers in case the killed thread did not; the pool's recovery of a thread wakes every
 * sleeper too. Marks (see "Sleeping and waking"): a sleeper killed after its mark leaves it, and
 * the claim that takes it makes a needless slow path and wake-up. A thread killed holding the
 * claim of a marked slot took the mark with it: whoever settles that claim (the next put or get
 * it blocks, in `waitClaim`, or the pool's recovery) sets SEQ back without the mark and wakes
 * every sleeper (`#settleHeld`), which looks again and marks again. A thread killed after the
 * publish (emptying) of a marked slot, before its wake-up, is the case above: the next thread
 * that moves TAIL (HEAD) past it wakes the other side if any sleeper is counted, the pool's
 * recovery of it wakes every sleeper, and a sleeper that knows the liveness table looks again at
 * each slice's end anyway (≤ 1 s, liveness.ts `sliceEnd`) — where nothing of these comes (no
 * pool, no liveness table, the ring lazy), a sleeper stays asleep until its timeout, as before
 * marks. A put or get waiting on a live claim (a preempted thread) spins, then naps in
 * 1 ms parks and looks again — a number's or small item's claim is held for a few
 * instructions; an item in chunks' claim for its copy, and the put or get of one of LONG_CLAIM
 * bytes or more wakes the parked when it publishes (empties) the slot. DONE is one CAS: a
 * taskDone is whole or not at all. Sleepers a dead thread left named are forgotten by the same
 * recovery (sleepers.ts "Crash safety").
 *
 * Sleeping and waking (sleepers.ts). Before sleeping, a synchronous get watches an empty ring's
 * next slot, and a put a full ring's slot ROOM_RUN items on (`watchEmpty`, `watchFull`), a
 * growing pause between polls. A sleeper then counts itself (GETTERS, PUTTERS), reads its GEN,
 * and takes a last look (`look`): a getter marks the slot of HEAD's position h if it still
 * holds h (no put claimed h: h is the first unpublished position, and TAIL never passes it
 * before its publish), a putter the slot of h if it holds h + 1 (the item at HEAD: the first
 * emptying to come is of h, since gets empty in order and HEAD passes only emptied slots), each
 * by a CAS from the plain value, and parks on its GEN (or finds the mark already set: the same).
 * The claim that takes the mark — and no publish (emptying) of h comes without one: every claim
 * of h is a CAS that expects the slot's value — comes after the mark and after the sleeper's
 * count and read of GEN, so its put (get), after the publish (emptying), reads the count, sees
 * the sleeper and bumps GEN: the park returns or is woken (sleepers.ts). A putter looks for room
 * (`roomFor`) again after its mark: a get may have emptied a slot (or chunks been given back)
 * after its first look, before HEAD's slot was read. A putter marks HEAD's slot, not the one
 * ROOM_RUN on that `watchFull` watches: woken by the first slot freed, as a put asleep on a full
 * queue must be (its timeout must not pass while there is room). If the slot holds a claim
 * instead (a put's at h on an empty ring, a get's at HEAD), there is nothing to mark: the
 * sleeper naps on the slot's SEQ (NAP, ≤ 1 ms; a put or get of LONG_CLAIM bytes wakes it) and
 * the caller looks again, or, if the claim's thread is recorded dead, parks (no mark): whoever
 * settles the claim wakes every sleeper. A getter that finds an item (or a get's claim) or a
 * putter room does not park. A mark left behind (a sleeper that timed out) costs the next claim
 * of the slot one slow way; the put or get of a number that meets no mark touches no sleeper's
 * word. Joiners mark nothing: a taskDone that finishes the last item reads JOINERS.
 *
 * Numbers of items: qsize = TAIL - HEAD; items put and not yet done = TAIL - DONE (both moved
 * on first: `#settledTail`, `#settledHead`).
 */
import { park, remaining, wake, deadlineAfter, type Steps } from '../primitives/futex.js';
import { isDead } from '../primitives/liveness.js';
import { lockSteps, tryLock, unlock, type Repair } from '../primitives/rawlock.js';
import { threadId } from '../primitives/thread.js';
import { GET, JOIN, NAP, PARK, PUT, READY, Sleepers } from './sleepers.js';
import { landing } from './codec.js';
import { MAX_PAUSE_TURNS, PAUSE_TURNS, pause } from './policy.js';
import type { Layout, Store } from './store.js';

const TAIL = 0;
const HEAD = 16;
const DONE = 38;

const SEQ = 0;
const A = 1;
const B = 2;
const LEN = 3;
/** Where a small item's bytes start in its slot (a word index from the slot's start). */
const BYTES = 4;
/** Slot words: 128 bytes. */
export const SLOT_WORDS = 32;
/** The most bytes an encoded item may have to be kept in its slot (after SEQ, A, B, LEN). */
export const SMALL = (SLOT_WORDS - BYTES) * 4;

/** LEN of a slot holding a number in A, B. */
const INLINE = -1;
/** LEN of a slot whose item holds no bytes (a get of an item in chunks committed). */
const NONE = 0;

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

/**
 * The mark of a SEQ word (bit 30): a sleeper waits for the claim of its slot ("Sleeping and
 * waking"). Positions stay below M <= 2^30 and claims are negative, so only unclaimed values
 * (p, p + 1, p + CAP) are ever marked, and a marked value is p + MARK (>= MARK): never a
 * position, never a claim.
 */
const MARK = 1 << 30;
/** A SEQ value without its mark. */
const plain = (s: number) => (s >= MARK ? s - MARK : s);

const putting = (id: number) => -(id * 2) - 1;
const getting = (id: number) => -(id * 2 + 1) - 1;
/** The thread of a claim (a negative SEQ). */
const claimer = (s: number) => (-s - 1) >>> 1;
/** Whether a claim is a get's. */
const isGetting = (s: number) => ((-s - 1) & 1) === 1;

/**
 * How far TAIL (HEAD) may lag behind the position the puts (gets) reached, in a ring of at least
 * LAZY_SLOTS slots: a put (get) moves it only at each LAG-th position, from wherever it is (see
 * "Positions"). A smaller ring moves it at every position.
 */
const LAG = 32;
const LAZY_SLOTS = 4 * LAG;
/** How many times a sleeper's last look (`look`) reads HEAD's slot again before it naps instead. */
const LOOKS = 4;
/** Slots a put's (get's) first try passes from its hint, as plain reads, before it takes the slow way. */
const SCAN = 16;

/**
 * Free slots a put that found the ring full waits for (`watchFull`), up to half the ring: a run
 * its getters free in tens of microseconds, within the watch, so that a putter that keeps ahead
 * of them never sleeps while they work.
 */
const ROOM_RUN = 512;

/** How many loads to watch the lock before parking on it (held for a few words). */
const LOCK_SPIN = 500;
/** How many loads to watch another thread's claim before napping (it is held for a few instructions). */
const CLAIM_SPIN = 256;
/**
 * Bytes of an item in chunks from which its put (get) wakes threads parked on its claim when
 * it publishes (empties) the slot: the claim is held for the item's copy, and a thread that
 * waits it out (`waitClaim`) would otherwise nap 1 ms; below, a notify (≈ 50 ns) costs more.
 */
const LONG_CLAIM = 4096;

// A number's two words.
const num = new Float64Array(1);
const numWords = new Int32Array(num.buffer);

/**
 * Views of whole words over the last buffer a put copied a small item from (0) and a get
 * copied one into (1): the codec's scratch and landing memory, reused from item to item. Kept
 * with the array they were made for (`wordArrays`: the codec hands the same view out again
 * for items of one length, and a get copies into the one landing array) and how many bytes of
 * whole words that array's buffer holds from its start (`wordRoom`, -1 if it does not start at
 * a multiple of 4): reading `.buffer` costs ≈ 30 ns here, a third of a small item's copy. A
 * view's buffer and offset never change, nor does the length of the codec's buffers.
 */
const wordArrays: (Uint8Array | undefined)[] = [undefined, undefined];
const wordRoom = [-1, -1];
const wordViews: Int32Array<ArrayBufferLike>[] = [new Int32Array(0), new Int32Array(0)];

/**
 * An Int32Array over the whole words of `bytes`'s buffer, if `bytes` starts at a multiple of 4
 * and its first `n` bytes rounded up to whole words lie in that buffer (so a copy of them may
 * go word by word); else undefined. `side`: 0 a put's, 1 a get's (each keeps its last view).
 */
function wordsOf(bytes: Uint8Array, n: number, side: number): Int32Array<ArrayBufferLike> | undefined {
  if (bytes !== wordArrays[side]) {
    const buffer = bytes.buffer;
    wordArrays[side] = bytes;
    wordRoom[side] = (bytes.byteOffset & 3) !== 0 ? -1 : (buffer.byteLength & ~3) - bytes.byteOffset;
    if (buffer !== wordViews[side]!.buffer) wordViews[side] = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }
  return ((n + 3) & ~3) <= wordRoom[side]! ? wordViews[side] : undefined;
}

/** The ring over one FIFO queue's memory. */
export class Ring {
  readonly #w: Int32Array;
  /** The same words as bytes: small items' BYTES. */
  readonly #u8: Uint8Array;
  readonly #store: Store;
  readonly #cap: number;
  /** CAP - 1 if CAP is a power of 2, else -1 (`#slot`). */
  readonly #mask: number;
  readonly #limit: number;
  readonly #m: number;
  readonly #slots: number;
  readonly #tail: number;
  readonly #head: number;
  readonly #r: number;
  readonly #lock: number;
  readonly #sleepers: Sleepers;
  readonly #repair: Repair;
  readonly #putMark = putting(threadId);
  readonly #getMark = getting(threadId);
  /** Whether TAIL and HEAD are moved at each LAG-th position only (LAZY_SLOTS slots or more). */
  readonly #lazy: boolean;
  /**
   * This thread's hints: the position after its last put (get), -1 until it made one. Every
   * position before a hint was published (got): see "Positions".
   */
  #putAt = -1;
  #getAt = -1;
  /**
   * Whether the claim this thread holds took a slot a sleeping getter (putter) marked: its put
   * (get) then wakes them after its publish (emptying), or gives the mark back with the claim.
   */
  #wakeGetters = false;
  #wakePutters = false;
  /** The SEQ word and value of the claim a sleeper's last look found in its way (`look`: NAP). */
  napAt = 0;
  napOn = 0;
  /** The position of the encoded item this thread's last get claimed (GOT_BYTES). */
  #claimed = 0;
  /** The last chunk of that item's chain once `bytes()` copied it (-1: not known). */
  #claimedLast = -1;

  constructor(store: Store, l: Layout, repair: Repair) {
    this.#w = store.w;
    this.#u8 = new Uint8Array(store.w.buffer, store.w.byteOffset, store.w.byteLength);
    this.#store = store;
    this.#cap = l.slots;
    this.#mask = (l.slots & (l.slots - 1)) === 0 ? l.slots - 1 : -1;
    this.#limit = l.limit;
    this.#m = l.slots * Math.floor(2 ** 30 / l.slots);
    this.#slots = l.entries >> 2;
    this.#r = l.ring >> 2;
    this.#tail = this.#r + TAIL;
    this.#head = this.#r + HEAD;
    // The Lock's STATE is its word 1 (lock.ts).
    this.#lock = (l.lock >> 2) + 1;
    this.#sleepers = new Sleepers(store.w, this.#r, l.maxWaiters);
    this.#repair = repair;
    this.#lazy = l.slots >= LAZY_SLOTS;
  }

  /** Initialise a new queue's slots: slot k waits for the put at position k. */
  static init(i32: Int32Array, l: Layout): void {
    const at = l.entries >> 2;
    for (let k = 0; k < l.slots; k++) i32[at + k * SLOT_WORDS + SEQ] = k;
  }

  /**
   * The first word of the slot of position `p`. A mask when CAP is a power of 2 (the default
   * queue's): a division costs more than the rest of a put's arithmetic.
   */
  #slot(p: number): number {
    return this.#slots + (this.#mask >= 0 ? p & this.#mask : p % this.#cap) * SLOT_WORDS;
  }

  /** Position `p` (< M) plus `k` (0 <= k < M), mod M: no division. */
  #add(p: number, k: number): number {
    const q = p + k;
    return q >= this.#m ? q - this.#m : q;
  }

  /** How far position `a` is past `b` (both < M), mod M: no division. */
  #from(a: number, b: number): number {
    const d = a - b;
    return d < 0 ? d + this.#m : d;
  }

  /**
   * Items stored (a snapshot). TAIL and HEAD left behind by a thread killed between its publish
   * (emptying) and its move are moved on first, so a killed thread never makes the queue look
   * full (or empty) to `qsize`, `full`, `empty` or a bounded put's limit.
   */
  get count(): number {
    const t = this.#settledTail();
    const h = this.#settledHead();
    const n = this.#from(t, h);
    // A get may complete at a position TAIL has not yet moved past: HEAD one ahead.
    return n > this.#cap ? 0 : n;
  }

  /** Whether a put would find no room now: the limit reached, or no free chunk. */
  get full(): boolean {
    return this.count >= this.#limit || this.#store.freeChunks === 0;
  }

  // -------------------------------------------------------------------------------------------
  // Puts

  /**
   * Claim the slot at TAIL for a put: its position, or FULL / BUSY (nothing claimed). Moves a
   * TAIL left behind by a put that published.
   */
  #claimPut(): number {
    const w = this.#w;
    // TAIL may lag (lazy): moved to this thread's hint first, so that the walk below is short.
    if (this.#putAt >= 0) this.#advance(this.#tail, this.#putAt, Atomics.load(w, this.#tail));
    for (;;) {
      const t = Atomics.load(w, this.#tail);
      const at = this.#slot(t);
      const s = Atomics.load(w, at);
      const u = plain(s);
      if (u === t) {
        if (this.#limit < this.#cap && this.count >= this.#limit) return -FULL;
        // Never a lap past HEAD (see "Positions"); once HEAD is moved on it is not (the item
        // of t - CAP was got), so this is a safeguard.
        if (this.#from(t, this.#settledHead()) >= this.#cap) return -FULL;
        // Marked (s !== t): a getter sleeps on it, woken after the publish.
        if (Atomics.compareExchange(w, at, s, this.#putMark) === s) {
          this.#wakeGetters = s !== t;
          return t;
        }
        continue;
      }
      if (s >= 0) {
        // Published (or already got) at t: TAIL was left behind.
        if (u === this.#add(t, 1) || u === this.#add(t, this.#cap)) {
          this.#moveTail(t);
          continue;
        }
        if (Atomics.load(w, this.#tail) !== t) continue;
        // Full at the lap before: the item of t - CAP is still there.
        return -FULL;
      }
      // A get's claim: of the item published at t before TAIL moved past it (HEAD = t; read
      // SEQ again, so that the claim seen is one that existed while HEAD was t), or of the
      // item of t - CAP (the ring is full).
      if (isGetting(s) && this.#settledHead() === t && Atomics.load(w, at) === s) {
        this.#moveTail(t);
        continue;
      }
      if (Atomics.load(w, this.#tail) !== t) continue;
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
    const w = this.#w;
    if (this.#limit !== this.#cap) return -1;
    let t = this.#putAt;
    if (t < 0) t = w[this.#tail]!;
    for (let k = 0; k < SCAN; k++) {
      const at = this.#slot(t);
      const s = w[at]!;
      // A marked slot (a sleeper's: "Sleeping and waking") is none of these: `#claimPut`.
      if (s === t) {
        // Not a lap or more past HEAD or TAIL (either may lag): else `#claimPut` moves them on
        // first. A plain read is a value the word had, and they only move forward, so the claim
        // is less than a lap past what they are at its CAS (see "Positions").
        if (this.#from(t, w[this.#head]!) >= this.#cap || this.#from(t, w[this.#tail]!) >= this.#cap) return -1;
        return Atomics.compareExchange(w, at, t, this.#putMark) === t ? t : -1;
      }
      const next = this.#add(t, 1);
      if (s !== next && s !== this.#add(t, this.#cap)) return -1;
      t = next;
    }
    return -1;
  }

  /** Claim for a put: `#fastClaimPut`, else `#claimPut`. */
  #claim(): number {
    const t = this.#fastClaimPut();
    return t >= 0 ? t : this.#claimPut();
  }

  /**
   * Move TAIL or HEAD (`word`) forward to `p` (a position every earlier one of which was
   * published, or got) from wherever it is, unless it is there or past it already: on return
   * it is. `cur`: where the caller expects it (one CAS when right). Forward means less than
   * half of M ahead; another thread's move in between is only forward, so the loop ends.
   */
  #advance(word: number, p: number, cur: number): void {
    const w = this.#w;
    const m = this.#m;
    for (;;) {
      const ahead = this.#from(p, cur);
      if (ahead === 0 || ahead >= m >> 1) return;
      const was = Atomics.compareExchange(w, word, cur, p);
      if (was === cur) return;
      cur = was;
    }
  }

  /**
   * Whether the queue was shut down before the claim of position `t` was made (then given
   * back). The claim is made, then SHUTDOWN read, both sequentially consistent; `shutdown`
   * stores SHUTDOWN, then waits out the put claim at TAIL (`settlePuts`). So either this put
   * sees the shutdown and puts nothing, or its claim is seen and waited for: a put never lands
   * after `shutdown` returned (Python's put holds the mutex that shutdown takes).
   */
  #shutUnder(t: number, at: number): boolean {
    if (!this.#store.shutDown) return false;
    // A mark the claim took is given back with it (shutdown wakes every sleeper anyway).
    Atomics.store(this.#w, at + SEQ, this.#wakeGetters ? t + MARK : t);
    this.#wakeGetters = false;
    return true;
  }

  /**
   * Wait until no put holds a claim at TAIL (shutdown, after SHUTDOWN is stored: every later
   * claim sees it and is given back, see `#shutUnder`); a dead putter's claim is settled.
   */
  *settlePuts(): Steps<void> {
    const w = this.#w;
    for (;;) {
      const s = Atomics.load(w, this.#slot(this.#settledTail()));
      if (s >= 0 || isGetting(s)) return;
      yield* this.waitClaim(true, Infinity);
    }
  }

  /**
   * Publish the item of the put that claimed position `t`, move TAIL (lazily: at each LAG-th
   * position, from wherever it is), and wake sleeping getters if the claim took their mark.
   */
  #publish(t: number, at: number): void {
    const w = this.#w;
    const next = this.#add(t, 1);
    Atomics.store(w, at + SEQ, next);
    this.#putAt = next;
    if (!this.#lazy) this.#advance(this.#tail, next, t);
    else if (next % LAG === 0) this.#advance(this.#tail, next, Atomics.load(w, this.#tail));
    if (this.#wakeGetters) this.#wakeMarked(GET);
  }

  /** After the publish (emptying) of a claim that took a sleeper's mark: wake the sleepers of `what`. */
  #wakeMarked(what: number): void {
    if (what === GET) this.#wakeGetters = false;
    else this.#wakePutters = false;
    if (this.#sleepers.any(what)) this.#sleepers.wake(what);
  }

  /** Put a number: OK, FULL, BUSY or SHUT (nothing changed). No lock. */
  putNumber(x: number): number {
    const t = this.#claim();
    if (t < 0) return -t;
    const w = this.#w;
    const at = this.#slot(t);
    if (this.#shutUnder(t, at)) return SHUT;
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
    const w = this.#w;
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
    const w = this.#w;
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
    const at = this.#slot(t);
    if (this.#shutUnder(t, at)) return SHUT;
    this.#w[at + LEN] = data.length;
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
    if (!this.#tryLockSpinning() && !(yield* lockSteps(this.#w, this.#lock, deadline, this.#repair))) return TIMED_OUT;
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
    const w = this.#w;
    if (tryLock(w, this.#lock)) return true;
    for (let i = 0; i < LOCK_SPIN; i++) {
      if (Atomics.load(w, this.#lock) === 0 && tryLock(w, this.#lock)) return true;
    }
    return false;
  }

  /** `putBytes` with the lock taken; releases it. */
  #putBytesHeld(data: Uint8Array, chunks: number): number {
    const store = this.#store;
    let t: number;
    let at: number;
    let first: number;
    try {
      if (store.freeChunks < chunks) return FULL;
      t = this.#claimPut();
      if (t < 0) {
        if (t === -BUSY) this.#settleHeld(0);
        return -t;
      }
      at = this.#slot(t);
      if (this.#shutUnder(t, at)) return SHUT;
      first = store.take(data.length);
      store.set(at + A, first);
      store.set(at + B, 0);
      store.set(at + LEN, data.length);
      store.commit();
    } finally {
      unlock(this.#w, this.#lock);
    }
    // The chunks are this claim's (LEN names them, committed): filled without the lock, so a
    // get that gives chunks back meanwhile does not wait for the copy.
    store.write(first, data);
    this.#publish(t, at);
    if (data.length >= LONG_CLAIM) wake(this.#w, at + SEQ, Infinity);
    return OK;
  }

  /**
   * Whether half the ring is free (and `chunks` chunks): what a putter that found the ring full
   * spins for, so that it then puts a run of items instead of fighting the getters for each
   * slot, and leaves their cache lines alone meanwhile.
   */
  halfFree(chunks: number): boolean {
    return this.count <= this.#limit >> 1 && this.#store.freeChunks >= chunks;
  }

  /**
   * Watch a ring a put found full for at most `polls` polls, a pause between two (growing as
   * `watchEmpty`'s), until a run of slots is free: the polls left then (put again), 0 if it
   * never was (put again, then sleep). So that a putter that keeps ahead of its getters puts
   * runs of items instead of fighting them for each slot, and leaves their cache lines alone
   * meanwhile. For a put needing only a slot in a ring whose limit is its slot count, the run
   * is ROOM_RUN slots or half the ring, whichever is less, and one word is watched: the SEQ of
   * the item that many slots after the oldest, emptied once they are free; the getters touch
   * that slot once a lap, so the watch leaves their hot lines (HEAD, the slot they work on)
   * alone. Otherwise (a bounded ring of 2, an item in chunks) half the ring (`halfFree`).
   */
  watchFull(polls: number, chunks: number): number {
    const w = this.#w;
    if (chunks > 0 || this.#limit !== this.#cap) {
      while (polls > 0) {
        polls--;
        pause();
        if (this.halfFree(chunks) || this.#store.shutDown) return polls;
      }
      return 0;
    }
    const p = this.#add(this.#settledTail(), this.#m - this.#cap + Math.min(this.#cap >> 1, ROOM_RUN));
    const at = this.#slot(p);
    const full = this.#add(p, 1);
    for (let turns = PAUSE_TURNS; polls > 0; turns = turns < MAX_PAUSE_TURNS ? turns << 1 : turns) {
      polls--;
      pause(turns);
      const s = Atomics.load(w, at);
      if (plain(s) !== full && (s >= 0 || !isGetting(s))) return polls;
    }
    return 0;
  }

  /**
   * Whether a put of an item of `chunks` chunks might find room now: a slot, and that many free
   * chunks. A number or a small item (0 chunks) needs only the slot — not `!full`, which is also
   * true with no chunk free: a sleeping put's last look must ask what it needs, since a get that
   * frees a slot wakes only the putters it finds counted.
   */
  roomFor(chunks: number): boolean {
    return this.count < this.#limit && this.#store.freeChunks >= chunks;
  }

  // -------------------------------------------------------------------------------------------
  // Gets

  /**
   * Claim the item at HEAD: GOT_NUMBER (the get is complete: `number()`), GOT_BYTES (claimed,
   * a small item or one in chunks: `bytes()`, then `tryFinish()` / `finishHeld()` or
   * `unclaim()`), EMPTY or BUSY. No lock.
   */
  get(): number {
    const w = this.#w;
    // The first try, from plain reads (as `#fastClaimPut`): from this thread's hint (or HEAD),
    // past slots got, to a published slot, claimed by CAS — every position before it was got,
    // so the claim is at the first position not got, where the slow way below would make it.
    // A slot still awaiting its put there (read again, as Atomics do) is an empty queue: no put
    // claims past an unpublished position.
    let h = this.#getAt;
    if (h < 0) h = w[this.#head]!;
    for (let k = 0; k < SCAN; k++) {
      const at = this.#slot(h);
      const s = w[at]!;
      const full = this.#add(h, 1);
      if (s === full) {
        if (Atomics.compareExchange(w, at, full, this.#getMark) === full) return this.#gotAt(h, at);
        break;
      }
      if (s === h) {
        if (Atomics.load(w, at) !== h) break;
        this.#getAt = h;
        return EMPTY;
      }
      if (s !== this.#add(h, this.#cap)) break;
      h = full;
    }
    return this.#getSlow();
  }

  /** `get` the slow way: from HEAD, read as Atomics do. */
  #getSlow(): number {
    const w = this.#w;
    // HEAD may lag (lazy): moved to this thread's hint first, so that the walk below is short.
    if (this.#getAt >= 0) this.#advance(this.#head, this.#getAt, Atomics.load(w, this.#head));
    for (;;) {
      const h = Atomics.load(w, this.#head);
      const at = this.#slot(h);
      const s = Atomics.load(w, at);
      const u = plain(s);
      const full = this.#add(h, 1);
      if (u === full) {
        if (Atomics.compareExchange(w, at, s, this.#getMark) !== s) continue;
        // Marked (s !== full): a putter sleeps on it, woken after the emptying.
        this.#wakePutters = s !== full;
        return this.#gotAt(h, at);
      }
      if (u === h) {
        // Awaiting its put (marked: a getter sleeps on it).
        if (Atomics.load(w, this.#head) !== h) continue;
        this.#getAt = h;
        return EMPTY;
      }
      if (s >= 0) {
        // h + CAP or later: the item of h was got and HEAD left behind.
        this.#moveHead(h);
        continue;
      }
      if (Atomics.load(w, this.#head) !== h) continue;
      // Another get's claim, at h (a claim is made at HEAD, which moves after it).
      if (isGetting(s)) return BUSY;
      // A put's claim, at h: the queue is empty (h is the first unpublished position). Not at
      // h + CAP: a put claims less than a lap past HEAD as it is at the claim's CAS, and HEAD
      // was h before the claim was read (slot h was past h - CAP then) and is h after it.
      this.#getAt = h;
      return EMPTY;
    }
  }

  /** The get that claimed slot `at` of position `h`: a number is read and the slot emptied. */
  #gotAt(h: number, at: number): number {
    const w = this.#w;
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
    const at = this.#slot(this.#claimed);
    const len = this.#w[at + LEN]!;
    if (len > SMALL) {
      const item = this.#store.read(this.#w[at + A]!, len);
      this.#claimedLast = this.#store.lastRead;
      return item;
    }
    const item = landing(len, this.#u8[(at + BYTES) << 2]!);
    this.#readSmall(at, len, item);
    return item;
  }

  /** Give back the claim of the last GOT_BYTES: the item stays first in the queue. */
  unclaim(): void {
    const h = this.#claimed;
    const full = this.#add(h, 1);
    // A mark the claim took is given back with it.
    Atomics.compareExchange(this.#w, this.#slot(h) + SEQ, this.#getMark, this.#wakePutters ? full + MARK : full);
    this.#wakePutters = false;
  }

  /**
   * Take the queue's lock (by `deadline`: false if not), for a get that then claims under it
   * (`get`, `finishHeld` or `unlock`): a claim is never held while waiting for the lock.
   */
  *lock(deadline: number): Steps<boolean> {
    return this.#tryLockSpinning() || (yield* lockSteps(this.#w, this.#lock, deadline, this.#repair));
  }

  /** Let go of the lock `lock` took. */
  unlock(): void {
    unlock(this.#w, this.#lock);
  }

  /** `finish` for a get that claimed while holding the lock (`lock`); releases it. */
  finishHeld(): void {
    this.#finishHeld();
  }

  /** `finish` if the lock is free now, or not needed: a small item (true); false (still claimed) if not. */
  tryFinish(): boolean {
    const h = this.#claimed;
    const at = this.#slot(h);
    if (this.#w[at + LEN]! <= SMALL) {
      this.#emptied(h, at);
      return true;
    }
    if (!this.#tryLockSpinning()) return false;
    this.#finishHeld();
    return true;
  }

  #finishHeld(): void {
    const h = this.#claimed;
    const at = this.#slot(h);
    const len = this.#w[at + LEN]!;
    try {
      // A small item holds no chunk: nothing to give back.
      if (len > SMALL) this.#release(at, this.#claimedLast);
    } finally {
      unlock(this.#w, this.#lock);
    }
    this.#emptied(h, at);
    if (len >= LONG_CLAIM) wake(this.#w, at + SEQ, Infinity);
  }

  /** Give back the chunks of the item in slot `at` (lock held), LEN NONE; committed. */
  #release(at: number, last = -1): void {
    const store = this.#store;
    store.release(this.#w[at + A]!, this.#w[at + LEN]!, last);
    store.set(at + LEN, NONE);
    store.commit();
  }

  /** Empty slot `at` of position `h` after its get, and wake sleeping putters if the claim took their mark. */
  #emptied(h: number, at: number): void {
    const w = this.#w;
    const next = this.#add(h, 1);
    Atomics.store(w, at + SEQ, this.#add(h, this.#cap));
    this.#getAt = next;
    if (!this.#lazy) this.#advance(this.#head, next, h);
    else if (next % LAG === 0) this.#advance(this.#head, next, Atomics.load(w, this.#head));
    if (this.#wakePutters) this.#wakeMarked(PUT);
  }

  /**
   * Watch the slot at HEAD of a ring found empty for at most `polls` polls, a pause between
   * two (policy.ts `pause`: a poll pulls the cache line the putter is writing): the polls left
   * once it changed (an item may be there: `get` again), 0 if it did not.
   */
  watchEmpty(polls: number): number {
    const w = this.#w;
    // The position the last EMPTY was found at (`get` keeps it as the hint).
    const h = this.#getAt >= 0 ? this.#getAt : this.#settledHead();
    const at = this.#slot(h);
    for (let turns = PAUSE_TURNS; polls > 0; turns = turns < MAX_PAUSE_TURNS ? turns << 1 : turns) {
      polls--;
      pause(turns);
      const s = Atomics.load(w, at);
      // A put's claim is about to publish: watched on, not got at (it would find EMPTY); a
      // sleeping getter's mark changes nothing.
      if (plain(s) !== h && (s >= 0 || isGetting(s))) return polls;
    }
    return 0;
  }

  /** Whether a get might find an item now (one published, or claimed by another get). */
  hasItem(): boolean {
    const w = this.#w;
    const h = this.#settledHead();
    const s = Atomics.load(w, this.#slot(h));
    return plain(s) !== h && (s >= 0 || isGetting(s));
  }

  // -------------------------------------------------------------------------------------------
  // Tasks

  /** TAIL, once moved past every published slot (a put publishes before it moves TAIL). */
  #settledTail(): number {
    const w = this.#w;
    for (;;) {
      const t = Atomics.load(w, this.#tail);
      const s = Atomics.load(w, this.#slot(t));
      const u = plain(s);
      const published =
        u === this.#add(t, 1) ||
        u === this.#add(t, this.#cap) ||
        (s < 0 && isGetting(s) && this.#settledHead() === t && Atomics.load(w, this.#slot(t)) === s);
      if (!published) return t;
      this.#moveTail(t);
    }
  }

  /** HEAD, once moved past every emptied slot (a get empties its slot before it moves HEAD). */
  #settledHead(): number {
    const w = this.#w;
    for (;;) {
      const h = Atomics.load(w, this.#head);
      if (plain(Atomics.load(w, this.#slot(h))) !== this.#add(h, this.#cap)) return h;
      this.#moveHead(h);
    }
  }

  /**
   * Move TAIL (HEAD) from `p` on for a put (get) that published (emptied) the slot of `p` and
   * did not move it: the thread was killed, or is about to. The mover wakes the other side's
   * sleepers too, in case that thread was killed before its own wake-up.
   */
  #moveTail(p: number): void {
    if (Atomics.compareExchange(this.#w, this.#tail, p, this.#add(p, 1)) === p && this.#sleepers.any(GET)) {
      this.#sleepers.wake(GET);
    }
  }

  #moveHead(p: number): void {
    if (Atomics.compareExchange(this.#w, this.#head, p, this.#add(p, 1)) === p && this.#sleepers.any(PUT)) {
      this.#sleepers.wake(PUT);
    }
  }

  /** Items put and not yet marked done. */
  get unfinished(): number {
    return this.#from(this.#settledTail(), Atomics.load(this.#w, this.#r + DONE));
  }

  /** Mark one item done: false (nothing changed) if none is unfinished. */
  done(): boolean {
    const w = this.#w;
    for (;;) {
      const d = Atomics.load(w, this.#r + DONE);
      const left = this.#from(this.#settledTail(), d);
      if (left === 0) return false;
      if (Atomics.compareExchange(w, this.#r + DONE, d, this.#add(d, 1)) !== d) continue;
      if (left === 1 && this.#sleepers.any(JOIN)) this.#sleepers.wake(JOIN);
      return true;
    }
  }

  /** Count one discarded item as done (shutdown); never below 0. */
  #discarded(): void {
    const w = this.#w;
    for (;;) {
      const d = Atomics.load(w, this.#r + DONE);
      if (this.#from(this.#settledTail(), d) === 0) return;
      if (Atomics.compareExchange(w, this.#r + DONE, d, this.#add(d, 1)) === d) return;
    }
  }

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
      this.#discarded();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Waiting

  /** Wake every sleeper (shutdown, and after a dead thread's traces were repaired). */
  wakeEveryone(): void {
    this.#sleepers.wakeEveryone();
  }

  /**
   * Sleep until a get may find an item (`what` GET), a put room for `chunks` chunks (PUT), or
   * no item is unfinished (JOIN) — or the queue is shut down, `deadline` passes or a slice ends
   * (the caller looks again). `n`: how many sleeps this call made before (liveness.ts
   * `sliceEnd`). Throws ERR_TOO_MANY_WAITERS (nothing changed) past maxWaiters sleepers.
   */
  sleep(what: number, chunks: number, deadline: number, n: number): Steps<void> {
    return this.#sleepers.sleep(what, chunks, deadline, n, this);
  }

  /**
   * A sleeper's last look before it parks, after it counted itself and read its GEN (sleepers.ts
   * `Looker`): READY if a get may find an item (GET), a put room for `chunks` chunks (PUT), no
   * item is unfinished (JOIN), or the queue was shut down. Else a getter (putter) marks the slot
   * whose claim comes next — the first position not put (the item at HEAD) — or finds it marked,
   * and PARKs: the claim that takes the mark wakes it ("Sleeping and waking"). A claim in that
   * slot's way: NAP on it if its thread lives (no mark to make), PARK if dead (whoever settles
   * it wakes every sleeper).
   */
  look(what: number, chunks: number): number {
    if (what === JOIN) return this.unfinished === 0 || this.#store.shutDown ? READY : PARK;
    const w = this.#w;
    let at = 0;
    let s = 0;
    for (let k = 0; k < LOOKS; k++) {
      if (this.#store.shutDown || (what === PUT && this.roomFor(chunks))) return READY;
      const h = this.#settledHead();
      at = this.#slot(h);
      s = Atomics.load(w, at);
      const u = plain(s);
      const full = this.#add(h, 1);
      // The value the slot holds while this sleeper must wait: no put at h yet (a getter), the
      // item of h not got (a putter: the first get to empty a slot is at h).
      const waiting = what === GET ? h : full;
      if (u === waiting) {
        if (s === u && Atomics.compareExchange(w, at, u, u + MARK) !== u) continue;
        // Marked. A put's room may have come before the mark (a get between its `roomFor` and
        // the mark, chunks given back): looked for again, after it.
        if (what === PUT && this.roomFor(chunks)) return READY;
        return PARK;
      }
      if (s < 0) {
        // A get's claim at HEAD: an item is there (a getter looks again: BUSY, `waitClaim`).
        if (what === GET && isGetting(s)) return READY;
        if (isDead(claimer(s))) return PARK;
        // Watched a while first (a number's claim is held for a few instructions), as
        // `waitClaim` does: once it ends, look again; else nap on it.
        let n = 0;
        while (n < CLAIM_SPIN && Atomics.load(w, at) === s) n++;
        if (n === CLAIM_SPIN) break;
        continue;
      }
      if (what === GET && u === full) return READY;
      // HEAD moved on meanwhile (or a putter found the ring empty at HEAD: room, looked for
      // again): look again.
    }
    this.napAt = at;
    this.napOn = s;
    return NAP;
  }

  /** The sabsync ids asleep in get (`what` GET), put or join. */
  sleepers(what: number): number[] {
    return this.#sleepers.names(what);
  }

  /**
   * Wait out another thread's claim in the way of a put (`put`) or a get: watch it, then nap in
   * 1 ms parks; a claim of a dead thread is settled. False if `deadline` passed first.
   */
  *waitClaim(put: boolean, deadline: number): Steps<boolean> {
    const w = this.#w;
    const p = put ? this.#settledTail() : this.#settledHead();
    const at = this.#slot(p);
    const s = Atomics.load(w, at);
    if (s >= 0) return true;
    for (let i = 0; i < CLAIM_SPIN; i++) if (Atomics.load(w, at) !== s) return true;
    if (isDead(claimer(s))) {
      if (!(yield* lockSteps(w, this.#lock, deadline, this.#repair))) return false;
      try {
        this.#settleHeld(0);
      } finally {
        unlock(w, this.#lock);
      }
      return true;
    }
    if (remaining(deadline) === 0) return false;
    yield park(w, at, s, Math.min(deadline, deadlineAfter(1)));
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Settle the claims of dead threads (the lock held): those of thread `deadId` (one its
   * caller saw exit) and of every thread the liveness table records dead. Returns whether
   * there were any; if so, every sleeper is woken to look again.
   */
  #settleHeld(deadId: number): boolean {
    const w = this.#w;
    const dead = (s: number) => s < 0 && (claimer(s) === deadId || isDead(claimer(s)));
    let settled = false;
    // TAIL and HEAD read as moved on first: a put's claim is at the first unpublished position,
    // a get's at the first not got (they may lag behind those: "Positions").
    const tail = Atomics.load(w, this.#tail);
    const head = Atomics.load(w, this.#head);
    const t = this.#settledTail();
    let at = this.#slot(t);
    let s = Atomics.load(w, at);
    if (dead(s) && !isGetting(s)) {
      // The put never happened: chunks it took go back (its claim was committed with them);
      // a LEN <= SMALL is a number's or small item's, or left by an earlier get: no chunks.
      if (w[at + LEN]! > SMALL) this.#release(at);
      Atomics.compareExchange(w, at + SEQ, s, t);
      settled = true;
    }
    const h = this.#settledHead();
    at = this.#slot(h);
    s = Atomics.load(w, at);
    if (dead(s) && isGetting(s)) {
      if (w[at + LEN] === NONE) {
        // The get committed: its thread had the item.
        Atomics.compareExchange(w, at + SEQ, s, this.#add(h, this.#cap));
        Atomics.compareExchange(w, this.#head, h, this.#add(h, 1));
      } else {
        Atomics.compareExchange(w, at + SEQ, s, this.#add(h, 1));
      }
      settled = true;
    }
    // TAIL or HEAD a killed thread left behind after its publish (emptying): moved on above. In
    // a lazy ring they lag by design, which says nothing of a death.
    if (!this.#lazy && (t !== tail || h !== head)) settled = true;
    // Sleepers it left named: their counts go (a recovery that wins the name takes the count).
    if (this.#sleepers.forget(deadId)) settled = true;
    // A thread that exited may have been killed between its publish (emptying) and its
    // wake-up: its recovery wakes every sleeper to look again.
    if (settled || deadId !== 0) this.wakeEveryone();
    return settled;
  }

  /** `#settleHeld` for a caller holding the lock (the queue's repair, its recovery). */
  settle(deadId: number): boolean {
    return this.#settleHeld(deadId);
  }
}
