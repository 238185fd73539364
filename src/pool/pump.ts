/**
 * The owner's result side of a pool (engine.ts): the pump that sleeps on DONE_COUNT (slots.ts),
 * finds the results, takes them out of their slots, has the engine feed the freed slots, and
 * settles the Futures — and the owner's watch before it parks.
 *
 * A worker writes a task's result into the task's slot area (READY set last: items.ts,
 * slots.ts), or puts `[slot, gen, ok, value]` on the result Queue when it does not fit there or
 * holds SharedArrayBuffers or primitives (`value` the result, or the encoding the worker made
 * of it, decoded here: items.ts KEPT); then it bumps DONE_COUNT. The pump reads DONE_COUNT,
 * handles every queued result, and scans the bound slots for READY ones (#collectReady): it
 * takes each one's result out of its area (TAKEN, taken.ts) and frees the slot, has the engine
 * feed the freed slots at once (one put of many numbers, one wake-up), and only then settles
 * the Futures — one wake-up for many results, no Promise per result but the Future itself
 * (future.ts). While it settles, it takes the results that came meanwhile every SETTLE_BATCH
 * tasks, so the channel does not run dry while the owner runs Promise reactions. A run of
 * `submit()` calls that finds every slot bound takes and feeds the same way, settling nothing
 * (`takeEarly`).
 *
 * Invariants:
 *   - no result is left unseen: the pump reads DONE_COUNT before it looks, and parks only on
 *     that value after a look that found nothing — a result published after the look has moved
 *     the count, so the park returns at once (slots.ts, OWNER_ASLEEP);
 *   - a scan that finds nothing has looked at every bound slot: the pump parks only after a
 *     full scan (it loops while a scan finds something);
 *   - a taken task is still unsettled (`taken` counts in the engine's `unsettled`), ran (it can
 *     no longer be cancelled nor stopped), and settles in the order taken;
 *   - while `collecting`, the engine's settle does not feed; the pump feeds once after them (and
 *     between chunks of settling, through `#feedNow`);
 *   - `takeEarly` runs inside the caller's `submit()`: it takes, it never settles (a settle
 *     would feed and run callbacks there).
 *
 * Progress. A progress item `[slot, gen, 2, value]` goes on the result channel (and bumps
 * DONE_COUNT); the slot's PROGRESS word counts such items unread (counted before the put), and
 * the pump takes a READY slot only once it reads 0, so a task's last progress value comes
 * before its result. Reading one takes it off the count, letting the task send the next one
 * (current.ts: latest value wins; the last value is sent at the task's end even while an
 * earlier one is unread).
 *
 * The owner never blocks here: the result Queue is read with `getAsync` only (a worker killed
 * holding its lock is recovered by the owner's own `exit` handler, which a blocked owner would
 * never run), and its only busy wait is bounded and touches no lock: before it parks, the pump
 * watches DONE_COUNT for OWNER_WATCH_US, while that keeps paying (#watchResults).
 */
import { deadlineAfter } from '../primitives/futex.js';
import type { Queue } from '../queue/queue.js';
import { setProgress } from './future.js';
import { rebuildError, type ErrorDescription } from './remote.js';
import { resultOf, type ResultItem, type SlotAreas, type TaskItem } from './items.js';
import { PENDING, now as nowMs, type Slots } from './slots.js';
import { Taken } from './taken.js';
import { GEN, SLOT, TAKEN, type Task } from './task.js';
import { macrotask } from '../runtime/worker.js';

/** The pump yields with `setImmediate`, which a browser lacks: the runtime seam's stand-in. */
const setImmediate = macrotask;

/**
 * How long the owner watches DONE_COUNT before it parks on it (µs). Measured (bench/pool.bench.mjs,
 * 2 vCPUs): a trivial task's result comes ≈ 5 µs after its task was put, while waking an owner
 * parked in `Atomics.waitAsync` costs ≈ 15–40 µs more, and 100–400 µs when both cores had gone
 * idle (the owner parked while the task's worker was being woken: a VM wakes a halted vCPU
 * slowly). So the owner watches while the tasks it waits for are short — the last result's
 * running time (RAN, items.ts) below OWNER_WATCH_US — and a pool of slow tasks costs it ≈
 * nothing; every WATCH_PROBE-th wait watches anyway, should the tasks have become short.
 * (Before: WATCH_MISSES watches in a row that saw no result stopped the watching; but a miss
 * also came from a slow worker wake-up, and then the owner parked in every round, which
 * kept the rounds slow: see worker.ts on the slow 1%.)
 */
const OWNER_WATCH_US = 30;
/**
 * How long the owner's watch goes on for a task put and not yet claimed (µs). Measured
 * (bench/pool.bench.mjs, 2 vCPUs): a worker woken from its sleep claims a task ≈ 25–30 µs after
 * its put, so a watch of OWNER_WATCH_US from the put ended just before the result came, and the
 * owner parked; its own wake-up then took ≈ 70 µs more, long enough for the worker's watch to
 * give up (worker.ts, OWNER_GONE_US), so the next task had to wake a worker again: one slow
 * round trip kept the next ones slow (runs of 100–200 µs round trips, ≈ 5 % of them).
 */
const OWNER_CLAIM_WATCH_US = 200;
const WATCH_PROBE = 16;

/**
 * While the owner settles the tasks it took, it looks for more results every SETTLE_BATCH
 * tasks (a power of two), and takes them once TAKE_EARLY came, while fewer than `takenMax` are
 * taken and unsettled (#settleTaken).
 */
const SETTLE_BATCH = 64;

/**
 * A run of `submit()` calls that finds every task slot bound takes the results that came
 * meanwhile, once this many did and as many tasks wait in the backlog, and feeds their slots
 * (`takeEarly`): the workers go on while the caller submits, instead of idling from their first
 * task slots' worth until the pump runs. No more results than tasks wait are taken, so that no
 * slot is left free for the next submits to put one task each (a put per task, and a wake-up
 * of a sleeping worker for many of them: ≈ 10% of the owner's time when the workers kept up),
 * but the slots freed are fed in one put.
 */
const TAKE_EARLY = 32;

/**
 * Entries of the put-order hint (#order): a power of two, room for every bound slot four times
 * over (copies put again after a death, entries not yet found stale).
 */
const ORDER_SLOTS = 4;
/** An entry of #order: slot | GEN << ORDER_GEN_SHIFT (a slot fits 10 bits: task.ts MAX_TASK_SLOTS). */
const ORDER_GEN_SHIFT = 10;
const ORDER_SLOT_MASK = (1 << ORDER_GEN_SHIFT) - 1;

/** Results handled in one turn before the pump lets the event loop run timers and I/O. */
const RESULTS_PER_TURN = 256;

/** Feed the task channel (the engine's feed; held back while the pump is `collecting`). */
export const feedTasks = Symbol('feedTasks');
/** Put again a task the channel refused as full, if the engine holds one. */
export const retryRefused = Symbol('retryRefused');
/** Settle a task with a value (`ok` 1) or an error, free its slot if bound, feed (unless `collecting`). */
export const settleTask = Symbol('settleTask');
/** A task's result was taken out of its slot: record its wait and run time (`ranUs`) and free the slot. */
export const takenOut = Symbol('takenOut');

/** What the pump asks of its engine. */
export interface PumpOwner {
  [feedTasks](): void;
  [retryRefused](): void;
  [settleTask](task: Task, ok: 0 | 1, value: unknown): void;
  [takenOut](task: Task, ranUs: number): void;
}

/** The result side of one pool. */
export class Pump {
  readonly #owner: PumpOwner;
  readonly #slots: Slots;
  readonly #areas: SlotAreas;
  readonly #tasks: Queue<TaskItem>;
  readonly #results: Queue<ResultItem>;
  /** The engine's bound tasks by slot (its own array: the engine binds and unbinds). */
  readonly #bound: (Task | undefined)[];
  readonly #takenMax: number;
  #pumping = false;
  /** Settling tasks: the engine's settle holds its feed back; the pump feeds once, after them. */
  #collecting = false;
  /** The owner's watches in a row that saw no result come, and waits since they stopped paying. */
  #unpaidWaits = 0;
  /** Slot and GEN of the last task put on the task channel (#watchResults), slot -1 before any. */
  #lastPutSlot = -1;
  #lastPutGen = 0;
  /** Running time of the last task taken, µs (#watchResults). */
  #lastRunUs = 0;
  /** The pump waits in the result Queue's getAsync (an exit's drain may take its item). */
  #queueWait = false;
  /** Bound slots lie below this index (the scan ends there; the free stack reuses low slots first). */
  #scanEnd = 0;
  /** The scan of READY slots (#collectReady): DONE_COUNT as it last read it, the bumps it has not matched with a result, where it goes on. */
  #scanSeen = 0;
  #owed = 0;
  #cursor = 0;
  /**
   * The put-order hint (#collectInOrder): `slot | GEN << 10` of each task put on the task
   * channel, oldest first, in a ring [#orderHead, #orderTail) (positions grow; `& #orderMask`
   * indexes). A hint only: an entry whose slot holds another GEN (or none) now is stale and
   * dropped; a put that finds the ring full is not recorded; whatever it misses, the scan of
   * every bound slot after it finds (the bumps owed are not all matched).
   */
  readonly #order: Int32Array;
  readonly #orderMask: number;
  #orderHead = 0;
  #orderTail = 0;
  /** Tasks #take took out of their slots, with their results, not settled yet (taken.ts). */
  readonly #taken: Taken;

  constructor(owner: PumpOwner, slots: Slots, areas: SlotAreas, tasks: Queue<TaskItem>, results: Queue<ResultItem>, bound: (Task | undefined)[]) {
    this.#owner = owner;
    this.#slots = slots;
    this.#areas = areas;
    this.#tasks = tasks;
    this.#results = results;
    this.#bound = bound;
    this.#takenMax = 2 * slots.count;
    this.#taken = new Taken(this.#takenMax);
    let room = 1;
    while (room < ORDER_SLOTS * slots.count) room *= 2;
    this.#order = new Int32Array(room);
    this.#orderMask = room - 1;
  }

  /** Tasks taken out of their slots and not settled yet. */
  get taken(): number {
    return this.#taken.size;
  }

  /** Whether the pump is settling tasks (the engine's settle then does not feed). */
  get collecting(): boolean {
    return this.#collecting;
  }

  /** Slot `slot` was bound (the scan reaches it). */
  bound(slot: number): void {
    if (slot >= this.#scanEnd) this.#scanEnd = slot + 1;
  }

  /** Every slot is free again (the scan starts from nothing). */
  allFree(): void {
    this.#scanEnd = 0;
  }

  /** Slot `slot`'s GEN `gen` task was put on the task channel last (#watchResults). */
  put(slot: number, gen: number): void {
    this.#lastPutSlot = slot;
    this.#lastPutGen = gen;
    if (this.#orderTail - this.#orderHead > this.#orderMask && !this.#dropStale()) return; // full: not recorded
    this.#order[this.#orderTail++ & this.#orderMask] = slot | (gen << ORDER_GEN_SHIFT);
  }

  /** Drop the stale entries of #order (its ring is full); whether that made room. */
  #dropStale(): boolean {
    const order = this.#order;
    const mask = this.#orderMask;
    let w = this.#orderHead;
    for (let r = this.#orderHead; r !== this.#orderTail; r++) {
      const e = order[r & mask]!;
      const task = this.#bound[e & ORDER_SLOT_MASK];
      if (task !== undefined && task[GEN] === e >>> ORDER_GEN_SHIFT) order[w++ & mask] = e;
    }
    this.#orderTail = w;
    return w - this.#orderHead <= mask;
  }

  /**
   * Settle finished tasks while any task is bound. Started from a microtask, never inside the
   * caller's `submit()`: the pump's first turn may watch for results (#watchResults), and a
   * submit returns at once.
   */
  start(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => void this.#pumpResults());
  }

  /**
   * The owner's loop: read DONE_COUNT, handle every result on the Queue and settle every task
   * whose result is in its slot; when that found none, watch DONE_COUNT briefly, then sleep on
   * it. Reading the count before looking means a task finished after the look has moved it, so
   * the sleep returns at once: no result is left unseen (slots.ts).
   */
  async #pumpResults(): Promise<void> {
    try {
      let turn = 0;
      while (this.#slots.available < this.#slots.count || this.#taken.size > 0) {
        const seen = this.#slots.completions();
        // A task refused as full: put it again after reading the count, so that a take after
        // this try moves it (a worker's take bumps it while REFUSED is set).
        this.#owner[retryRefused]();
        let got = this.#results.empty() ? 0 : await this.#takeQueued();
        got += this.collect();
        if (got === 0) {
          if (!this.#watchResults(seen)) await this.#slots.awaitCompletion(seen);
        } else if ((turn += got) >= RESULTS_PER_TURN) {
          turn = 0;
          await new Promise(setImmediate);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Settle the bound tasks whose result is in their slot (READY), and those taken before (a
   * turn's worth: #settleTaken); returns the READY slots found plus the tasks settled — a task
   * found and settled in one call counts twice, which only sizes the pump's turn, and 0 means
   * nothing was found nor settled (the pump may then park). Their results are taken out of the
   * slots first and the slots fed at once — one put of many numbers and one wake-up —, and only
   * then are their Futures settled: the workers run the next tasks while the owner settles
   * (Promise reactions, callbacks), instead of waiting for it. While it settles, every
   * SETTLE_BATCH tasks, results that came meanwhile are taken and their slots fed too (up to
   * `takenMax` in all), so the channel does not run dry while the owner is busy — the workers
   * would go to sleep, and waking them costs more than the look.
   * `full`: look at every bound slot (a worker died: everything published must be seen).
   */
  collect(full = false): number {
    this.#collecting = true;
    let got: number;
    try {
      got = this.#collectReady(full);
      if (got > 0) this.#feedNow();
      got += this.#settleTaken();
    } finally {
      this.#collecting = false;
    }
    // Feed what the settles held back (#collecting): slots a done callback freed (a cancel),
    // tasks it submitted, slots freed since the last feed.
    if (got > 0) this.#owner[feedTasks]();
    return got;
  }

  /** Feed while #collecting (which holds back the feed of each settle). */
  #feedNow(): void {
    this.#collecting = false;
    try {
      this.#owner[feedTasks]();
    } finally {
      this.#collecting = true;
    }
  }

  /**
   * The scan. A worker bumps DONE_COUNT after each result it publishes, so the bumps since the
   * last scan (#owed) bound the READY slots no scan has found yet: the scan stops once it found
   * that many, where it stopped the next one starts (#cursor, so no slot waits behind busier
   * ones), and it looks at all bound slots only when the bumps were not all results (progress
   * items, results on the Queue, wake-ups) — then #owed starts again at 0. With 512 bound slots
   * and a few results per wake-up, a scan of them all cost more than settling what it found.
   * A scan that finds nothing has looked at every slot, so the pump parks only after a full
   * scan (it loops while a scan finds something). The scan by slot comes after a pass in put
   * order (#collectInOrder), which finds most results first. `most`: stop once that many are
   * found (`takeEarly`).
   */
  #collectReady(full: boolean, most = Infinity): number {
    const seen = this.#slots.completions();
    const owed = (this.#owed += (seen - this.#scanSeen) | 0);
    this.#scanSeen = seen;
    const want = Math.min(owed, most);
    // In put order first; by slot if that found fewer than owed, or none (then every slot is
    // looked at: a scan that finds nothing has looked at every bound slot).
    let got = full ? 0 : this.#collectInOrder(want);
    if (got > 0 && got >= want) {
      this.#owed = owed - got;
      return got;
    }
    const end = this.#scanEnd;
    let slot = this.#cursor < end ? this.#cursor : 0;
    for (let n = 0; n < end; n++, slot = slot + 1 < end ? slot + 1 : 0) {
      const task = this.#bound[slot];
      if (task === undefined || !this.#slots.ready(slot, task[GEN])) continue;
      got++;
      // Its last progress item is on the Queue (put before READY): the pump's next turn takes it first.
      if (!this.#slots.progressPending(slot)) this.#take(task, slot);
      if (got >= want && !full) {
        this.#owed = owed - got;
        this.#cursor = slot + 1;
        return got;
      }
    }
    this.#owed = 0;
    return got;
  }

  /**
   * The scan's first pass, in put order (#order): tasks finish about in the order they were put,
   * while slots are bound in no useful order (the free stack), so a scan by slot looked at many
   * slots per result found (≈ 5% of the owner's time in a burst). Walks the entries from the
   * oldest, takes the READY tasks (a READY one with progress unread stays, uncounted: the scan
   * by slot counts it), drops the stale entries, keeps the others in order, and stops once it
   * found `owed`; returns how many it found (and took).
   */
  #collectInOrder(owed: number): number {
    const order = this.#order;
    const mask = this.#orderMask;
    const head = this.#orderHead;
    const tail = this.#orderTail;
    // Entries kept are written from `head` on; once the walk stops at `r`, they move up to end
    // at `r`, so that [#orderHead, #orderTail) stays whole.
    let w = head;
    let r = head;
    let got = 0;
    while (r !== tail && got < owed) {
      const e = order[r++ & mask]!;
      const slot = e & ORDER_SLOT_MASK;
      const task = this.#bound[slot];
      if (task === undefined || task[GEN] !== e >>> ORDER_GEN_SHIFT) continue; // stale
      if (!this.#slots.ready(slot, task[GEN]) || this.#slots.progressPending(slot)) {
        order[w++ & mask] = e;
        continue;
      }
      got++;
      this.#take(task, slot);
    }
    const kept = w - head;
    for (let i = kept - 1; i >= 0; i--) order[(r - kept + i) & mask] = order[(head + i) & mask]!;
    this.#orderHead = r - kept;
    return got;
  }

  /**
   * Take `task`'s result out of its slot's area and have the engine record its latencies and
   * free the slot; the task is settled by #settleTaken. Meanwhile it is TAKEN: it ran, so it can
   * no longer be cancelled (task.ts) nor stopped, and it still counts as unsettled.
   */
  #take(task: Task, slot: number): void {
    let ok = this.#areas.ok(slot);
    const ranUs = this.#areas.ranUs(slot);
    this.#lastRunUs = ranUs;
    let value: unknown;
    try {
      value = this.#areas.read(slot);
      if (!ok) value = rebuildError(value as ErrorDescription);
    } catch (error) {
      ok = 0;
      value = error;
    }
    this.#owner[takenOut](task, ranUs);
    task[SLOT] = TAKEN;
    this.#taken.push(task, ok, value);
  }

  /**
   * Settle the tasks #take took, in the order taken, RESULTS_PER_TURN at most, taking more on
   * the way (see `collect`); returns how many it settled plus how many READY slots the scans on
   * the way found.
   */
  #settleTaken(): number {
    const taken = this.#taken;
    let got = 0;
    for (let i = 0; i < RESULTS_PER_TURN && taken.size > 0; i++) {
      if ((i & (SETTLE_BATCH - 1)) === SETTLE_BATCH - 1 && taken.size < this.#takenMax && ((this.#slots.completions() - this.#scanSeen) | 0) + this.#owed >= TAKE_EARLY) {
        const more = this.#collectReady(false);
        if (more > 0) this.#feedNow();
        got += more;
      }
      const task = taken.shift();
      this.#owner[settleTask](task, taken.ok, taken.value);
      got++;
    }
    return got;
  }

  /** Settle every taken task now (terminate, break: the pump may not come again). */
  settleAllTaken(): void {
    const taken = this.#taken;
    while (taken.size > 0) {
      const task = taken.shift();
      this.#owner[settleTask](task, taken.ok, taken.value);
    }
  }

  /**
   * In `submit()`, every task slot bound and `waiting` tasks in the backlog: take the results
   * that came since the last look, once TAKE_EARLY did and as many tasks wait, and no more
   * than wait, so that the feed after it refills their slots in one put (see TAKE_EARLY).
   * Nothing is settled here — a submit returns before any callback runs —; the pump settles
   * them.
   */
  takeEarly(waiting: number): void {
    // #collectReady runs here outside #collecting: sound only while #take settles nothing (a
    // settle would feed, and run callbacks, inside the caller's submit()).
    if (waiting < TAKE_EARLY || ((this.#slots.completions() - this.#scanSeen) | 0) + this.#owed < TAKE_EARLY) return;
    if (this.#collectReady(false, waiting) > 0) this.start();
  }

  /** Handle the results on the Queue (waiting for their buffers if they have not arrived); returns how many. */
  async #takeQueued(): Promise<number> {
    let got = 0;
    this.#queueWait = true;
    try {
      while (!this.#results.empty()) {
        const item = await this.#results.getAsync();
        if (item !== 0) this.#onResult(item);
        got++;
      }
    } finally {
      this.#queueWait = false;
    }
    return got;
  }

  /**
   * Before the pump sleeps: watch DONE_COUNT for OWNER_WATCH_US while that pays; whether it
   * moved from `seen`. While the last task put is still unclaimed and alone on the channel (its
   * worker is being woken), the watch goes on until it is claimed, up to OWNER_CLAIM_WATCH_US,
   * then OWNER_WATCH_US more: a result that comes right after a slow worker wake-up must not find
   * the owner parked (see OWNER_CLAIM_WATCH_US).
   */
  #watchResults(seen: number): boolean {
    if (this.#lastRunUs > OWNER_WATCH_US && ++this.#unpaidWaits % WATCH_PROBE !== 0) return false;
    const slots = this.#slots;
    let end = deadlineAfter(OWNER_WATCH_US / 1000);
    const limit = deadlineAfter(OWNER_CLAIM_WATCH_US / 1000);
    // Only while it is the one task queued: behind others, it waits for busy workers, not a wake-up.
    let unclaimed = this.#lastPutSlot >= 0 && this.#tasks.qsize() <= 1 && slots.stateOf(this.#lastPutSlot, this.#lastPutGen) === PENDING;
    for (;;) {
      if (slots.completions() !== seen) return true;
      const now = nowMs();
      if (now < end) continue;
      if (!unclaimed || now >= limit) return false;
      unclaimed = slots.stateOf(this.#lastPutSlot, this.#lastPutGen) === PENDING;
      if (!unclaimed) end = deadlineAfter(OWNER_WATCH_US / 1000);
    }
  }

  /** Wake the pump when tasks were settled without a result, or an exit took its Queue item. */
  wake(): void {
    if (!this.#pumping) return;
    this.#slots.completed();
    // A full result channel already has items for the pump: nothing to do then.
    if (this.#queueWait) this.#results.putAsync(0, 0).catch(() => {});
  }

  #onResult([slot, gen, ok, value]: Exclude<ResultItem, 0>): void {
    const task = this.#bound[slot];
    if (task === undefined || task[GEN] !== gen) return; // a copy of a task settled already
    if (ok === 2) {
      this.#slots.progressRead(slot);
      task[setProgress](value);
      return;
    }
    // A kept encoding (items.ts KEPT) is decoded here; should that fail, the task fails with it.
    let settled: 0 | 1 = ok & 1 ? 1 : 0;
    let v: unknown;
    try {
      v = resultOf(ok, value);
      if (!settled) v = rebuildError(v as ErrorDescription);
    } catch (error) {
      settled = 0;
      v = error;
    }
    this.#owner[settleTask](task, settled, v);
  }

  /** Handle every result already on the channel (after a worker died, before judging it). */
  async drain(): Promise<void> {
    for (;;) {
      let item: ResultItem;
      try {
        item = await this.#results.getAsync(0);
      } catch {
        return;
      }
      if (item !== 0) this.#onResult(item);
    }
  }
}
