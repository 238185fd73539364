/**
 * A Condition's waiter list: the threads waiting on it, in FIFO order, in shared memory — who
 * enqueues and dequeues its nodes, how a waiter sleeps on its node, and how the list recovers
 * from a thread that died waiting, notifying or editing it. The Python semantics on top (the
 * lock released and taken back, wait / waitFor / notify, the async twins) are condition.ts's.
 *
 * The list lives in the Condition's own memory, after the TAG word that memory.ts writes:
 *
 *   word      name      meaning                                        written by
 *   --------  --------  ---------------------------------------------  ------------------------
 *   0         TAG       the Condition's (memory.ts)                    the constructor
 *   1         LIST      raw lock word guarding every word below        whoever edits the list
 *                       but CAPACITY and OWED, and the nodes' NEXT
 *                       and TICKET
 *   2         WAITERS   nodes on the waiting list                      list editors (LIST held)
 *   3         HEAD      oldest waiting node + 1 (0: none)              list editors
 *   4         TAIL      newest waiting node + 1 (0: none)              list editors
 *   5         FREE      first free node + 1 (0: all in use)            list editors
 *   6         CAPACITY  maxWaiters: how many nodes there are           the constructor
 *   7         TICKETS   tickets handed out so far (wraps)              list editors
 *   8         OWED      wake-ups owed: notifies that found LIST held   a notifier (add), LIST
 *                       and left their wake-ups to its holder           holders (exchange to 0)
 *   9         —         padding (the nodes start on an 8-byte boundary)
 *   10 + 4k   node k:   STATE  0 free / WAITING / NOTIFIED / DONE      its waiter; a notifier
 *   11 + 4k             NEXT   next node + 1 on its list               list editors
 *   12 + 4k             OWNER  sabsync id of the waiting thread        its waiter
 *   13 + 4k             TICKET when it started waiting (TICKETS)       its waiter (LIST held)
 *
 * Who reads what without LIST: a notifier's fast check reads WAITERS (with the Condition's lock
 * held, under which every waiter counted itself); a sleeping waiter reads its node's STATE; a
 * waiter looking for a dead thread's traces reads every STATE and OWNER. Those words are
 * written atomically. HEAD, TAIL, FREE, TICKETS, NEXT and TICKET are touched only under LIST
 * and read and written plainly: LIST's CAS and exchange order them, and a dead thread's writes
 * all precede the mark of its death (liveness.ts), which precedes any take-over of LIST.
 *
 * The invariant: a node is on exactly one of three places — the waiting list (WAITING, or
 * NOTIFIED for an instant under LIST while its notifier unlinks it), the free list (0), or
 * nowhere (DONE: its waiter saw NOTIFIED and left; or a waiter's own node while it settles) —
 * and HEAD..TAIL holds every WAITING node in ticket order. Whoever holds LIST never finds a
 * DONE node on the waiting list.
 *
 * Enqueue (`tryEnter` / `enterSteps`, the Condition's lock held): take LIST, take a node —
 * the caller's own last node if it is still DONE and its own, else the first free one (no
 * free node: rebuild first, which frees DONE nodes) — write OWNER and TICKET, then STATE =
 * WAITING, append it, count it in WAITERS, release LIST. So a notify that takes the Condition's
 * lock after the waiter released it finds the node.
 *
 * Dequeue by a notifier (`notify(n)`, the Condition's lock held): mark the n oldest living
 * nodes NOTIFIED, wake each (at once, or deferred: futex.ts `wakeLater`, see condition.ts),
 * unlink them. So wake-ups are FIFO, exactly min(n, waiting), and never spurious: a waiter is
 * notified only if its node says NOTIFIED. The waiter then does not take LIST again: it turns
 * NOTIFIED into DONE with one CAS (`awaitSteps`) — on a hand-off between two threads the work
 * between a wake-up and the next notify is the latency users see.
 *
 * Why no wake-up is lost: a waiter sleeps comparing its STATE against WAITING; a notifier
 * writes NOTIFIED before it wakes (or defers the wake), so a notify that lands between "release
 * the lock" and "sleep" makes the sleep return at once, and one that lands after it is followed
 * by its wake. A stray wake-up (a node reused right after a notify, a deferred wake paid late)
 * finds STATE still WAITING and sleeps again. A notifier that dies before it wakes leaves a
 * NOTIFIED node asleep: its waiter sees NOTIFIED at the end of its current sleep slice
 * (liveness.ts), and a rebuild wakes every NOTIFIED node.
 *
 * A notify never waits (a Queue's calls must end by their timeout, and the thread that owns a
 * pool must never block on a lock a dead worker may hold): one that finds LIST held adds its
 * wake-ups to OWED and then tries LIST once more; every LIST holder, after releasing it, pays
 * OWED (it takes LIST back and wakes that many, at once). No owed wake-up is lost: if the
 * notifier's last try fails, some thread held LIST after the add, and that thread's check of
 * OWED follows its release, which follows the add. A dead holder never pays; its taker does.
 *
 * Dequeue by a waiter that was not notified (a timeout, or a dead thread's trace): it tries
 * the same CAS first (a notify that just won the race counts), else takes LIST and looks at
 * its node. WAITING: it unlinks it (a later notify goes to the next waiter). NOTIFIED: the
 * notify won. Either way the decision is made against the mark notifiers write under LIST, so
 * a notify is never spent on a waiter that then reports a timeout. The node is freed.
 *
 * Threads that die (a terminated worker). One that dies mid-wait leaves a node that would
 * swallow a notify, and one that dies while editing the list leaves LIST held and the links
 * half-written. Once the liveness table (liveness.ts) records the death:
 *   - a notifier never spends a wake-up on a dead waiter: it frees that node and wakes the next;
 *   - the next thread to want LIST takes it over (rawlock.ts) and rebuilds the list;
 *   - a waiter that finds no free node first reclaims the nodes of dead threads (and DONE ones);
 *   - a sleeping waiter that sees DEATHS move (liveness.ts) looks for a dead thread's traces
 *     (the Condition's lock or LIST held, a node it left): a public wait repairs LIST in place
 *     and sleeps on; a queue's wait ends, spuriously, so the queue takes its lock over and
 *     looks again (a wake-up the dead thread took, or a put it finished but never announced).
 * The rebuild sets HEAD, TAIL, FREE, WAITERS and every NEXT from the nodes' own single-word
 * facts — STATE, OWNER (written before STATE) and TICKET (the FIFO order) — which are never
 * half-written, dropping every node whose OWNER is dead and freeing every DONE one.
 * `purgeSteps(deadId)` does the same for a thread its caller saw exit (whether or not a table
 * records it).
 */
import { misuse } from './errors.js';
import { HANDOFF_SPIN_LOADS, SPIN_LOADS, park, remaining, wake, wakeLater, type Steps } from './futex.js';
import { deaths, isDead, sliceEnd } from './liveness.js';
import * as raw from './rawlock.js';
import { threadId } from './thread.js';

const LIST = 1;
const WAITERS = 2;
const HEAD = 3;
const TAIL = 4;
const FREE = 5;
const CAPACITY = 6;
const TICKETS = 7;
const OWED = 8;
const NODES = 10;
/** Most wake-ups OWED holds (a notifyAll owes them all). */
const ALL_OWED = 1 << 30;
const NODE_WORDS = 4;
const STATE = 0;
const NEXT = 1;
const OWNER = 2;
const TICKET = 3;

const WAITING = 1;
const NOTIFIED = 2;
/** Its waiter saw NOTIFIED and left; off every list until it waits on it again or a rebuild frees it. */
const DONE = 3;

/** The waiting threads of one Condition, over the Condition's words (see the layout above). */
export class WaiterList {
  /** Bytes the list takes for `capacity` waiters, the Condition's TAG word included. */
  static byteLength(capacity: number): number {
    return (NODES + NODE_WORDS * capacity) * 4;
  }

  /** Write an empty list with room for `capacity` waiters (a new Condition's memory). */
  static init(i32: Int32Array, capacity: number): void {
    Atomics.store(i32, LIST, raw.UNLOCKED);
    Atomics.store(i32, WAITERS, 0);
    Atomics.store(i32, HEAD, 0);
    Atomics.store(i32, TAIL, 0);
    Atomics.store(i32, CAPACITY, capacity);
    Atomics.store(i32, TICKETS, 0);
    Atomics.store(i32, OWED, 0);
    for (let k = 0; k < capacity; k++) {
      const base = NODES + k * NODE_WORDS;
      Atomics.store(i32, base + STATE, 0);
      Atomics.store(i32, base + NEXT, k + 1 < capacity ? k + 2 : 0);
      Atomics.store(i32, base + OWNER, 0);
      Atomics.store(i32, base + TICKET, 0);
    }
    Atomics.store(i32, FREE, 1);
  }

  /** How many waiters the list in `i32` has room for. */
  static capacityOf(i32: Int32Array): number {
    return Atomics.load(i32, CAPACITY);
  }

  readonly #i32: Int32Array;
  /** Whether the Condition's lock is held by a dead thread (a trace that may cost a wake-up). */
  readonly #lockHeldByDead: () => boolean;
  /** The node this wrapper's thread last waited on (see #enqueue), -1 before its first wait. */
  #mine = -1;

  constructor(i32: Int32Array, lockHeldByDead: () => boolean) {
    this.#i32 = i32;
    this.#lockHeldByDead = lockHeldByDead;
  }

  /** How many threads may wait at once. */
  get capacity(): number {
    return Atomics.load(this.#i32, CAPACITY);
  }

  // -------------------------------------------------------------------------------------------
  // Enqueue (the Condition's lock held)

  /**
   * Queue the calling thread if LIST is free now, in plain code (no steps to drive); its node,
   * or -1 with nothing changed when LIST is held. Throws `ERR_TOO_MANY_WAITERS` (nothing
   * changed) when every node is taken.
   */
  tryEnter(): number {
    return raw.tryLock(this.#i32, LIST) ? this.#enqueue() : -1;
  }

  /** `tryEnter`, waiting for LIST until `deadline`: -1 (nothing changed) if it passes first. */
  *enterSteps(deadline: number): Steps<number> {
    return (yield* this.#lockList(deadline)) ? this.#enqueue() : -1;
  }

  /** Take a node, mark it WAITING for this thread and append it (LIST held; released on return). */
  #enqueue(): number {
    const i32 = this.#i32;
    // Our last node, if still DONE (nowhere, ours): no free-list round trip, no rebuild.
    let node = this.#mine;
    let base = NODES + node * NODE_WORDS;
    if (node < 0 || Atomics.load(i32, base + STATE) !== DONE || Atomics.load(i32, base + OWNER) !== threadId) {
      if (i32[FREE] === 0) this.#rebuild(0);
      node = i32[FREE]! - 1;
      if (node < 0) {
        this.#unlockList();
        throw misuse('ERR_TOO_MANY_WAITERS', `wait(): ${this.capacity} threads already wait (options.maxWaiters)`);
      }
      base = NODES + node * NODE_WORDS;
      i32[FREE] = i32[base + NEXT]!;
      // OWNER and TICKET before STATE: a WAITING node always names its thread (see purgeSteps).
      Atomics.store(i32, base + OWNER, threadId);
      this.#mine = node;
    }
    i32[base + TICKET] = i32[TICKETS]!++;
    i32[base + NEXT] = 0;
    Atomics.store(i32, base + STATE, WAITING);
    const tail = i32[TAIL]!;
    if (tail === 0) i32[HEAD] = node + 1;
    else i32[NODES + (tail - 1) * NODE_WORDS + NEXT] = node + 1;
    i32[TAIL] = node + 1;
    Atomics.add(i32, WAITERS, 1);
    this.#unlockList();
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // Sleep, and dequeue by the waiter

  /**
   * Sleep on our queued `node` (the Condition's lock released) until notified or `deadline`,
   * then take the node off every list; returns whether it was notified. `seen` is DEATHS as
   * read with the lock held. A dead thread's trace (`spurious`: a queue's wait) ends the sleep
   * unnotified; else it is repaired in place and the sleep goes on.
   */
  *awaitSteps(node: number, seen: number, deadline: number, spurious: boolean): Steps<boolean> {
    const i32 = this.#i32;
    const base = NODES + node * NODE_WORDS;
    // Sleep while our node is still WAITING: a notifier writes NOTIFIED before it wakes us.
    // Sleeps are cut short to look for a dead thread's traces whenever DEATHS has moved.
    let traced = false;
    for (let sleeps = 0; Atomics.load(i32, base + STATE) === WAITING; sleeps++) {
      const r = yield park(i32, base + STATE, WAITING, sliceEnd(deadline, sleeps), sleeps === 0 ? HANDOFF_SPIN_LOADS : SPIN_LOADS);
      if (Atomics.load(i32, base + STATE) !== WAITING) break; // notified: nothing more to check
      if (r === 'timed-out' && remaining(deadline) === 0) break;
      const now = deaths();
      if (now === seen) continue;
      seen = now;
      if (!this.#deathTrace()) continue;
      if ((traced = spurious)) break;
      // Repair in place and sleep on: LIST taken over and rebuilt if a dead thread holds it,
      // dead threads' nodes reclaimed, wake-ups owed meanwhile paid (perhaps to us).
      yield* this.#lockList(Infinity);
      this.#rebuild(0);
      this.#unlockList();
    }
    // Notified: the notifier took the node off the list; leave it DONE. Else (timed out, or a
    // dead thread's trace) settle it under LIST, where a notify may still win the race.
    if (!traced && Atomics.compareExchange(i32, base + STATE, NOTIFIED, DONE) === NOTIFIED) return true;
    return yield* this.#settle(node, traced);
  }

  /**
   * Settle our `node` under LIST as a wait ends unnotified so far (timed out, or a dead thread's
   * trace): unlink it unless a notify marked it meanwhile, and free it. Returns whether notified.
   */
  *#settle(node: number, traced: boolean): Steps<boolean> {
    yield* this.#lockList(Infinity);
    if (traced) this.#rebuild(0);
    const notified = Atomics.load(this.#i32, NODES + node * NODE_WORDS + STATE) === NOTIFIED;
    if (!notified) this.#unlink(node);
    this.#free(node);
    this.#unlockList();
    return notified;
  }

  /**
   * Whether a dead thread left a trace here that may have cost a waiter its wake-up: the lock
   * or LIST held, or a node — a wait it never finished, or a notify it never acted on.
   */
  #deathTrace(): boolean {
    const i32 = this.#i32;
    if (this.#lockHeldByDead() || raw.heldByDead(i32, LIST)) return true;
    for (let k = Atomics.load(i32, CAPACITY) - 1; k >= 0; k--) {
      const base = NODES + k * NODE_WORDS;
      const state = Atomics.load(i32, base + STATE);
      if (state !== 0 && state !== DONE && isDead(Atomics.load(i32, base + OWNER))) return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Dequeue by a notifier (the Condition's lock held)

  /**
   * Mark and unlink the `n` oldest living waiters and wake them: at once, or when `later`,
   * after this thread's next release of a lock (futex.ts `wakeLater`). Never waits (OWED).
   */
  notify(n: number, later: boolean): void {
    const i32 = this.#i32;
    // WAITERS counts every thread that entered its wait before the caller took the lock: each
    // one queued itself while holding that lock. So 0 here means nobody can be missed.
    if (n === 0 || Atomics.load(i32, WAITERS) === 0) return;
    if (raw.tryLock(i32, LIST)) {
      this.#wakeOldest(n, later);
      this.#unlockList();
      return;
    }
    // LIST is held: owe the wake-ups to its holder, then try to pay them ourselves (see OWED).
    for (let owed = Atomics.load(i32, OWED); ; ) {
      const seen = Atomics.compareExchange(i32, OWED, owed, Math.min(owed + n, ALL_OWED));
      if (seen === owed) break;
      owed = seen;
    }
    this.#payOwed();
  }

  /**
   * Mark, wake and unlink the `n` oldest living waiters (LIST held): woken first, since the
   * waiter needs nothing more from the list, or deferred when `later`. A dead waiter's node is
   * freed on the way and counts for nothing.
   */
  #wakeOldest(n: number, later: boolean): void {
    const i32 = this.#i32;
    for (let woken = 0; woken < n; ) {
      const node = i32[HEAD]! - 1;
      if (node < 0) break;
      const base = NODES + node * NODE_WORDS;
      const dead = isDead(Atomics.load(i32, base + OWNER));
      if (!dead) {
        Atomics.store(i32, base + STATE, NOTIFIED);
        if (later) wakeLater(i32, base + STATE);
        else wake(i32, base + STATE, 1);
        woken++;
      }
      this.#unlinkHead(node);
      if (dead) this.#free(node);
    }
  }

  // -------------------------------------------------------------------------------------------
  // LIST, and what its holders owe

  /** Take LIST (repairing it if a dead thread left it held); false if `deadline` passes. */
  *#lockList(deadline: number): Steps<boolean> {
    return raw.tryLock(this.#i32, LIST) || (yield* raw.lockSteps(this.#i32, LIST, deadline, this.#repair));
  }

  /** After LIST was taken over from a dead thread: the links may be half-written. */
  readonly #repair: raw.Repair = () => void this.#rebuild(0);

  /**
   * Release LIST (held by the caller), then pay the wake-ups owed meanwhile (see OWED). An
   * inner release: the caller's deferred wake-ups wait for the release of the Condition's lock.
   */
  #unlockList(): void {
    raw.unlockInner(this.#i32, LIST);
    this.#payOwed();
  }

  // The load of OWED follows the release of LIST (or the add to OWED): the order the
  // no-lost-wake-up argument in the header needs. A failed tryLock leaves the debt to the
  // thread that holds LIST now.
  #payOwed(): void {
    const i32 = this.#i32;
    while (Atomics.load(i32, OWED) !== 0 && raw.tryLock(i32, LIST)) {
      this.#wakeOldest(Atomics.exchange(i32, OWED, 0), false);
      raw.unlockInner(i32, LIST);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Links (LIST held)

  /** Put `node` back on the free list (it is on no waiting list). */
  #free(node: number): void {
    const i32 = this.#i32;
    const base = NODES + node * NODE_WORDS;
    Atomics.store(i32, base + STATE, 0);
    Atomics.store(i32, base + OWNER, 0);
    i32[base + NEXT] = i32[FREE]!;
    i32[FREE] = node + 1;
  }

  /** Unlink the head node. */
  #unlinkHead(node: number): void {
    const i32 = this.#i32;
    const next = i32[NODES + node * NODE_WORDS + NEXT]!;
    i32[HEAD] = next;
    if (next === 0) i32[TAIL] = 0;
    Atomics.sub(i32, WAITERS, 1);
  }

  /** Unlink `node` wherever it is on the waiting list; false if it is not there. */
  #unlink(node: number): boolean {
    const i32 = this.#i32;
    let prev = -1;
    for (let cur = i32[HEAD]! - 1; cur >= 0; prev = cur, cur = i32[NODES + cur * NODE_WORDS + NEXT]! - 1) {
      if (cur !== node) continue;
      if (prev < 0) {
        this.#unlinkHead(node);
        return true;
      }
      const next = i32[NODES + node * NODE_WORDS + NEXT]!;
      i32[NODES + prev * NODE_WORDS + NEXT] = next;
      if (next === 0) i32[TAIL] = prev + 1;
      Atomics.sub(i32, WAITERS, 1);
      return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Forget the waits of dead thread `deadId` and repair the list, taking LIST over if that
   * thread died holding it (else waiting for LIST on the caller's runner); returns how many
   * traces of it were found (its waits, and LIST if it held it).
   */
  *purgeSteps(deadId: number): Steps<number> {
    const i32 = this.#i32;
    let purged = raw.takeOver(i32, LIST, deadId) ? 1 : 0;
    if (purged === 0) yield* this.#lockList(Infinity);
    purged += this.#rebuild(deadId);
    this.#unlockList();
    return purged;
  }

  /**
   * Rebuild the waiting and free lists from the nodes (LIST held), dropping the nodes of thread
   * `deadId` and of every thread the liveness table records dead, and freeing DONE ones;
   * returns how many it dropped (waits and notifies those threads never finished).
   */
  #rebuild(deadId: number): number {
    const i32 = this.#i32;
    let purged = 0;
    const capacity = Atomics.load(i32, CAPACITY);
    const waiting: number[] = [];
    let free = 0;
    for (let k = capacity - 1; k >= 0; k--) {
      const base = NODES + k * NODE_WORDS;
      const state = Atomics.load(i32, base + STATE);
      const owner = Atomics.load(i32, base + OWNER);
      if (state !== 0 && state !== DONE && (owner === deadId || isDead(owner))) {
        purged++;
      } else if (state === WAITING) {
        waiting.push(k);
        continue;
      } else if (state === NOTIFIED) {
        // Its notifier may have died between marking it and waking it.
        wake(i32, base + STATE, 1);
        continue;
      }
      Atomics.store(i32, base + STATE, 0);
      Atomics.store(i32, base + OWNER, 0);
      i32[base + NEXT] = free;
      free = k + 1;
    }
    i32[FREE] = free;
    const ticket = (k: number) => i32[NODES + k * NODE_WORDS + TICKET]!;
    waiting.sort((a, b) => (ticket(a) - ticket(b)) | 0);
    waiting.forEach((k, n) => (i32[NODES + k * NODE_WORDS + NEXT] = n + 1 < waiting.length ? waiting[n + 1]! + 1 : 0));
    i32[HEAD] = waiting.length > 0 ? waiting[0]! + 1 : 0;
    i32[TAIL] = waiting.length > 0 ? waiting[waiting.length - 1]! + 1 : 0;
    Atomics.store(i32, WAITERS, waiting.length);
    return purged;
  }
}
