/**
 * The FIFO ring's sleepers (ring.ts): who sleeps in get, put and join, and how they are woken —
 * never touched by a put or get of a number while nobody sleeps: a sleeping getter (putter)
 * marks the slot whose claim it waits for, and only the put (get) that claims a marked slot
 * reads a count here (ring.ts "Sleeping and waking").
 *
 * Words (Int32, from the ring's block: ring.ts draws TAIL, HEAD and DONE; store.ts places it):
 *
 *   word          name      meaning                                           written by
 *   ------------  --------  ------------------------------------------------  -------------------
 *   ring + 32     GETTERS   getters asleep or about to sleep                  getters (add / sub)
 *   ring + 33     PUTTERS   putters asleep or about to sleep                  putters
 *   ring + 34     JOINERS   joiners asleep or about to sleep                  joiners
 *   ring + 35     GET_GEN   bumped to wake getters (they park on it)          putters, shutdown
 *   ring + 36     PUT_GEN   bumped to wake putters                            getters, shutdown
 *   ring + 37     JOIN_GEN  bumped to wake joiners                            taskDone, shutdown
 *   ring + 39..41 PENDING   1: a wake-up of getters (putters, joiners) was    wakers (exchange to
 *                           sent since the last of them looked                1); sleepers (0)
 *   ring + 48     NAMES     3 tables of maxWaiters words: the sabsync ids of  each sleeper (CAS 0
 *                           the threads asleep in get, put, join (0: none)    -> its id -> 0)
 *
 * `what` names the three kinds of sleeper: GET (0), PUT (1), JOIN (2); each kind's words sit at
 * the same distance from the first kind's.
 *
 * Sleeping, with no lost wake-up: a getter that finds the ring empty adds itself to GETTERS,
 * reads GET_GEN, and takes its last look (ring.ts `look`): it marks the slot the next put must
 * claim (or finds it marked already, or finds an item: then it does not park) and parks on
 * GET_GEN comparing against what it read. The put that claims a marked slot publishes, then
 * reads GETTERS and, if not 0, bumps GET_GEN and wakes every getter. All of these are
 * sequentially consistent: the getter's count and read of GET_GEN come before the mark it made
 * or saw, the mark before the claim that takes it (a claim's CAS expects the marked value; no
 * put publishes at that position without one), the claim before the publish and the publish
 * before the read of GETTERS and the bump. So the putter sees the getter counted and bumps
 * after the getter's read: its park returns, or is woken. The same holds for putters (PUTTERS,
 * PUT_GEN, the mark on the slot of the item at HEAD, woken by the get that empties it) and
 * joiners (JOINERS, JOIN_GEN, no mark: woken by the taskDone that finishes the last item, which
 * reads JOINERS, and by shutdown). Every sleeper of a kind is woken, not one: a getter that
 * times out, or an async one on a blocked thread, could otherwise keep a wake-up for itself. A
 * waker skips the bump while PENDING says one was sent since the last sleeper looked: a
 * sleeper reads GEN, then clears PENDING, then looks; a waker that finds PENDING set was
 * preceded by one whose exchange followed that clear, so whose bump followed the sleeper's read
 * of GEN — its park returns. A last look that finds another thread's live claim in the way
 * (nothing to mark) naps instead (NAP: on that slot's SEQ, at most NAP_MS) and the caller looks
 * again (naps on the same claim in a row doubling, up to a second). Every sleep is cut into
 * slices (liveness.ts DEATH_CHECK_MS, doubling up to DEATH_CHECK_MAX_MS), whether or not this
 * thread knows a liveness table: so a sleeper looks again for a dead thread's claim, and for
 * the wake-up a thread killed between taking its mark and waking it never sent.
 *
 * Crash safety: a sleeper counts itself (GETTERS, PUTTERS, JOINERS) and then names itself in
 * NAMES; it leaves in the reverse order. So a name is always counted, and the recovery of a dead
 * thread (or one the liveness table records dead) takes its name and its count with one CAS of
 * the name (`forget`); a thread killed between the two steps leaves a count with no name —
 * later puts then wake a sleeper that is not there: a cost, never a lost wake-up. A sleeper
 * killed after its mark leaves the mark: the claim that takes it wakes nobody (or the others),
 * a needless slow path. A thread killed between the claim of a marked slot and its wake-up
 * took the sleepers' only mark: later puts (gets) claim unmarked slots and wake nobody, so the
 * sleepers wake at their slice's end (a second at most), at the pool's recovery of that thread
 * (which wakes everyone), or when a walk moves TAIL (HEAD) past the slot (ring.ts "Crash
 * safety"), whichever comes first.
 */
import { misuse } from '../primitives/errors.js';
import { deadlineAfter, park, wake, type Steps } from '../primitives/futex.js';
import { DEATH_CHECK_MAX_MS, DEATH_CHECK_MS, isDead } from '../primitives/liveness.js';
import { threadId } from '../primitives/thread.js';

const COUNT = 32;
const GEN = 35;
const PENDING = 39;
const NAMES = 48;

/** Kinds of sleeper (`what`). */
export const GET = 0;
export const PUT = 1;
export const JOIN = 2;

/** What a sleeper's last look found (`Looker.look`): no park — a get may find an item, a put room (or either the queue shut down), no item is unfinished. */
export const READY = 0;
/** Park on the kind's GEN: a wake-up is sure to come (the slot whose claim it waits for is marked). */
export const PARK = 1;
/** Another thread's claim is in the way: nap on its SEQ (`napAt` holding `napOn`), NAP_MS at most. */
export const NAP = 2;
/**
 * The first nap on a claim (ring.ts "Sleeping and waking"): a live claim is held for a few
 * instructions, or an item's copy. Naps in a row on the same claim (the same slot holding the
 * same value: a preempted thread, or one killed unbeknown to this thread) double, up to
 * DEATH_CHECK_MAX_MS, so a claim that never ends costs a look a second, not a thousand.
 */
const NAP_MS = 1;

/** What a sleeper asks of the ring on its last look before it parks. */
export interface Looker {
  /**
   * Look whether a get may find an item (GET), a put room for `chunks` chunks (PUT), or either
   * the queue shut down, or no item is unfinished (JOIN): READY; else PARK once the slot whose claim
   * will wake this sleeper is marked, or NAP (`napAt`, `napOn`).
   */
  look(what: number, chunks: number): number;
  readonly napAt: number;
  readonly napOn: number;
}

/** The sleepers of one ring, over its words. */
export class Sleepers {
  readonly #w: Int32Array;
  /** The ring's first word. */
  readonly #r: number;
  readonly #names: number;
  readonly #maxWaiters: number;
  /** The claim this thread napped on last (`napAt`, `napOn`), and how many naps in a row it took. */
  #napAt = -1;
  #napOn = 0;
  #naps = 0;

  constructor(w: Int32Array, ring: number, maxWaiters: number) {
    this.#w = w;
    this.#r = ring;
    this.#names = ring + NAMES;
    this.#maxWaiters = maxWaiters;
  }

  /** Whether sleepers of `what` may be asleep (counted): one load, by a put (get) that claimed a marked slot. */
  any(what: number): boolean {
    return Atomics.load(this.#w, this.#r + COUNT + what) !== 0;
  }

  /**
   * Wake the sleepers of `what` unless a wake-up is pending already: one since the last of them
   * looked at the ring (PENDING), so that a getter that keeps emptying slots while a putter
   * wakes up pays for one wake-up, not one per get.
   */
  wake(what: number): void {
    if (Atomics.exchange(this.#w, this.#r + PENDING + what, 1) === 0) this.#wakeAll(what);
  }

  /** Wake every sleeper (shutdown, and after a dead thread's traces were repaired). */
  wakeEveryone(): void {
    this.#wakeAll(GET);
    this.#wakeAll(PUT);
    this.#wakeAll(JOIN);
  }

  /** Bump the generation word of `what` and wake everyone parked on it. */
  #wakeAll(what: number): void {
    const gen = this.#r + GEN + what;
    Atomics.add(this.#w, gen, 1);
    wake(this.#w, gen, Infinity);
  }

  /**
   * Sleep as a sleeper of `what` until woken, unless `ring.look(what, chunks)` is READY on the
   * last look (a nap if NAP) — or `deadline` passes or a slice ends (the caller looks again). `n`: how many sleeps
   * the call made before (the slice grows with it). Throws ERR_TOO_MANY_WAITERS (nothing
   * changed) if maxWaiters threads sleep already.
   */
  *sleep(what: number, chunks: number, deadline: number, n: number, ring: Looker): Steps<void> {
    const w = this.#w;
    const count = this.#r + COUNT + what;
    const gen = this.#r + GEN + what;
    // Counted first, then named in the table: a thread killed in between is counted with no
    // name (a needless wake-up later), never named uncounted.
    Atomics.add(w, count, 1);
    const entry = this.#enter(what);
    if (entry < 0) {
      Atomics.sub(w, count, 1);
      throw misuse('ERR_TOO_MANY_WAITERS', `${this.#maxWaiters} threads already wait (options.maxWaiters)`);
    }
    try {
      const g = Atomics.load(w, gen);
      // After reading GEN: a waker that finds PENDING set by one whose bump followed this
      // store also bumped after our read, so the park below returns (see PENDING).
      Atomics.store(w, this.#r + PENDING + what, 0);
      const seen = ring.look(what, chunks);
      if (seen !== NAP) this.#naps = 0;
      if (seen === READY) return;
      // Sliced, whether or not this thread can learn of deaths ("Crash safety").
      const end = Math.min(deadline, deadlineAfter(Math.min(DEATH_CHECK_MS * 2 ** n, DEATH_CHECK_MAX_MS)));
      if (seen === NAP) {
        if (ring.napAt === this.#napAt && ring.napOn === this.#napOn) this.#naps++;
        else {
          this.#napAt = ring.napAt;
          this.#napOn = ring.napOn;
          this.#naps = 0;
        }
        yield park(w, ring.napAt, ring.napOn, Math.min(end, deadlineAfter(Math.min(NAP_MS * 2 ** this.#naps, DEATH_CHECK_MAX_MS))));
      } else yield park(w, gen, g, end);
    } finally {
      // Named and counted: unnamed first. A recovery that took the name took the count too.
      if (Atomics.compareExchange(w, entry, threadId, 0) === threadId) Atomics.sub(w, count, 1);
    }
  }

  /** Name this thread in the table of `what`: the word it took, or -1 if all are taken (maxWaiters). */
  #enter(what: number): number {
    const w = this.#w;
    const first = this.#names + what * this.#maxWaiters;
    for (let k = 0; k < this.#maxWaiters; k++) {
      if (Atomics.compareExchange(w, first + k, 0, threadId) === 0) return first + k;
    }
    return -1;
  }

  /** The sabsync ids named in the table of `what`. */
  names(what: number): number[] {
    const ids: number[] = [];
    const first = this.#names + what * this.#maxWaiters;
    for (let k = 0; k < this.#maxWaiters; k++) {
      const id = Atomics.load(this.#w, first + k);
      if (id !== 0) ids.push(id);
    }
    return ids;
  }

  /**
   * Forget the sleepers thread `deadId` (one its caller saw exit) and every thread the liveness
   * table records dead left named: each name and its count go. Whether there were any.
   */
  forget(deadId: number): boolean {
    const w = this.#w;
    let forgot = false;
    for (let what = GET; what <= JOIN; what++) {
      const first = this.#names + what * this.#maxWaiters;
      for (let k = 0; k < this.#maxWaiters; k++) {
        const id = Atomics.load(w, first + k);
        if (id !== 0 && (id === deadId || isDead(id)) && Atomics.compareExchange(w, first + k, id, 0) === id) {
          Atomics.sub(w, this.#r + COUNT + what, 1);
          forgot = true;
        }
      }
    }
    return forgot;
  }
}
