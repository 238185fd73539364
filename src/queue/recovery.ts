/**
 * How the FIFO queue's ring (ring.ts) waits out another thread's claim (`waitClaim`) and
 * settles the claims of dead threads (`settle`). The Ring is built on this class; its positions
 * are positions.ts's, its slots slot.ts's, its sleepers' watches watch.ts's.
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
 * A thread killed after its publish or its emptying may leave TAIL or HEAD behind, which the
 * next thread that meets it moves (a put, a get, `count`, a recovery); the pool's recovery of a
 * thread wakes every sleeper. Marks (watch.ts "Sleeping and waking"): a sleeper killed after its mark leaves
 * it, and the claim that takes it makes a needless slow path and wake-up. A thread killed holding the
 * claim of a marked slot took the mark with it: whoever settles that claim (the next put or get
 * it blocks, in `waitClaim`, or the pool's recovery) sets SEQ back without the mark and wakes
 * every sleeper (`settleHeld`), which looks again and marks again. A thread killed after the
 * publish (emptying) of a marked slot, before its wake-up, took the only mark: later puts
 * (gets) claim unmarked slots and wake nobody (`advance` wakes nobody either; a walk that moves
 * TAIL (HEAD) does, if a sleeper is counted). The pool's recovery of that thread wakes every
 * sleeper, and every sleep is cut into slices, liveness table or not (50 ms doubling to 1 s:
 * sleepers.ts), so such a sleeper looks again within a second and finds the item (the room).
 * A put or get waiting on a live claim (a preempted thread) spins, then naps in
 * 1 ms parks and looks again — a number's or small item's claim is held for a few
 * instructions; an item in chunks' claim for its copy, and the put or get of one of
 * LONG_CLAIM (ring.ts) bytes or more wakes the parked when it publishes (empties) the slot.
 * DONE is one CAS: a taskDone is whole or not at all. Once the queue is shut down, a settled
 * claim leaves its slot marked (`#closed`): the claim may have taken the mark that closes the
 * ring to puts (ring.ts "Shutdown"). Sleepers a dead thread left named are
 * forgotten by the same recovery (sleepers.ts "Crash safety").
 */
import { park, remaining, deadlineAfter, type Steps } from '../primitives/futex.js';
import { isDead } from '../primitives/liveness.js';
import { lockSteps, unlock, type Repair } from '../primitives/rawlock.js';
import { A, LEN, MARK, NONE, SEQ, SMALL, claimer, isGetting } from './slot.js';
import type { Layout, Store } from './store.js';
import { CLAIM_SPIN, Watches } from './watch.js';

/** Waiting out claims, and the recovery of a dead thread's, over one FIFO queue's ring. */
export class Recovery extends Watches {
  /** The queue's lock: its STATE word. */
  protected readonly lockWord: number;
  protected readonly repair: Repair;

  constructor(store: Store, l: Layout, repair: Repair) {
    super(store, l);
    // The Lock's STATE is its word 1 (lock.ts).
    this.lockWord = (l.lock >> 2) + 1;
    this.repair = repair;
  }

  /** Wake every sleeper (shutdown, and after a dead thread's traces were repaired). */
  wakeEveryone(): void {
    this.sleeping.wakeEveryone();
  }

  /**
   * Wait out another thread's claim in the way of a put (`put`) or a get: watch it, then nap in
   * 1 ms parks; a claim of a dead thread is settled. False if `deadline` passed first.
   */
  *waitClaim(put: boolean, deadline: number): Steps<boolean> {
    const w = this.w;
    const p = put ? this.settledTail() : this.settledHead();
    const at = this.slot(p);
    const s = Atomics.load(w, at);
    if (s >= 0) return true;
    for (let i = 0; i < CLAIM_SPIN; i++) if (Atomics.load(w, at) !== s) return true;
    if (isDead(claimer(s))) {
      if (!(yield* lockSteps(w, this.lockWord, deadline, this.repair))) return false;
      try {
        this.settleHeld(0);
      } finally {
        unlock(w, this.lockWord);
      }
      return true;
    }
    if (remaining(deadline) === 0) return false;
    yield park(w, at, s, Math.min(deadline, deadlineAfter(1)));
    return true;
  }

  /** Give back the chunks of the item in slot `at` (lock held), LEN NONE; committed. */
  protected release(at: number, last = -1): void {
    const store = this.store;
    store.release(this.w[at + A]!, this.w[at + LEN]!, last);
    store.set(at + LEN, NONE);
    store.commit();
  }

  // -------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Settle the claims of dead threads (the lock held): those of thread `deadId` (one its
   * caller saw exit) and of every thread the liveness table records dead. Returns whether
   * there were any; if so, every sleeper is woken to look again.
   */
  protected settleHeld(deadId: number): boolean {
    const w = this.w;
    const dead = (s: number) => s < 0 && (claimer(s) === deadId || isDead(claimer(s)));
    let settled = false;
    // TAIL and HEAD read as moved on first: a put's claim is at the first unpublished position,
    // a get's at the first not got (they may lag behind those: positions.ts "Positions").
    const tail = Atomics.load(w, this.tail);
    const head = Atomics.load(w, this.head);
    const t = this.settledTail();
    let at = this.slot(t);
    let s = Atomics.load(w, at);
    if (dead(s) && !isGetting(s)) {
      // The put never happened: chunks it took go back (its claim was committed with them);
      // a LEN <= SMALL is a number's or small item's, or left by an earlier get: no chunks.
      if (w[at + LEN]! > SMALL) this.release(at);
      Atomics.compareExchange(w, at + SEQ, s, this.#closed(t));
      settled = true;
    }
    const h = this.settledHead();
    at = this.slot(h);
    s = Atomics.load(w, at);
    if (dead(s) && isGetting(s)) {
      if (w[at + LEN] === NONE) {
        // The get committed: its thread had the item.
        Atomics.compareExchange(w, at + SEQ, s, this.#closed(this.add(h, this.cap)));
        Atomics.compareExchange(w, this.head, h, this.add(h, 1));
      } else {
        Atomics.compareExchange(w, at + SEQ, s, this.#closed(this.add(h, 1)));
      }
      settled = true;
    }
    // TAIL or HEAD a killed thread left behind after its publish (emptying): moved on above. In
    // a lazy ring they lag by design, which says nothing of a death.
    if (!this.lazy && (t !== tail || h !== head)) settled = true;
    // Sleepers it left named: their counts go (a recovery that wins the name takes the count).
    if (this.sleeping.forget(deadId)) settled = true;
    // A thread that exited may have been killed between its publish (emptying) and its
    // wake-up: its recovery wakes every sleeper to look again.
    if (settled || deadId !== 0) this.wakeEveryone();
    return settled;
  }

  /**
   * The SEQ value `v` a settled claim leaves, marked once the queue is shut down: the claim may
   * have taken shutdown's mark (ring.ts `closePuts`), which must stay (SHUTDOWN read after the
   * claim was seen, which came after that mark). A mark nobody needed costs a slow way.
   */
  #closed(v: number): number {
    return this.store.shutDown ? v + MARK : v;
  }

  /** `settleHeld` for a caller holding the lock (the queue's repair, its recovery). */
  settle(deadId: number): boolean {
    return this.settleHeld(deadId);
  }
}
