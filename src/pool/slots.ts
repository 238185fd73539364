/**
 * The pool's control block: one SharedArrayBuffer of Int32 words that the owning thread and its
 * workers share, next to the task and result Queues.
 *
 *   word           name         meaning                                     written by
 *   -------------  -----------  ------------------------------------------  --------------------
 *   w (< workers)  CURRENT[w]   what worker w is doing: STARTING (-3:       the owner (STARTING
 *                               importing the module, running the              before it starts a
 *                               initializer), TAKING (-1: taking an item,      worker, IDLE after
 *                               or holding one it has not claimed yet),        its exit); worker w
 *                               BUSY (1: running a task it claimed),           (the rest)
 *                               SLEEPING (-5: idle, asleep on WAKE after
 *                               its last look found the channel empty),
 *                               RETIRED (-2: left on purpose), QUIT (-4:
 *                               called process.exit while STARTING), IDLE
 *                               (0: no worker)
 *   workers + s    STATE[s]     task slot s: CLAIMER << 19 | GEN << 3 | ST  the owner (bind, DONE,
 *                               ST: PENDING, RUNNING, DONE, CANCELLED,         CANCELLED); a worker
 *                               READY (its result is in AREA[s]);              (its claim, READY,
 *                               CLAIMER: worker index + 1 while RUNNING        and `finished`)
 *                               and its result is not sent yet (then 0)
 *   workers+count  WATCHER      the idle worker watching the empty task     a worker (CAS 0 -> w+1
 *                               channel (worker.ts): worker index + 1, or      and back); the owner
 *                               0 when none is                                 (w+1 -> 0 when w dies)
 *   workers+count  WAKE         a counter that idle workers who are not     whoever puts tasks on
 *     + 1                       watching sleep on; bumped (and notified)       the channel (`wakeIdle`)
 *                               when queued tasks need another taker
 *   workers+count  LIVE         workers started and not retiring: the owner the owner (+1 at a
 *     + 2                       counts them, an idle worker leaves only        start, -1 at an exit
 *                               by a CAS that keeps LIVE >= minWorkers         it did not agree to);
 *                                                                              an idle worker (CAS
 *                                                                              n -> n-1 to leave)
 *   ABORT[s]       ABORT[s]     GEN << 3 | KIND once slot s's GEN task was  the owner (store, then
 *   (after LIVE)                asked to stop: KIND ABORTED (1) or TIMED_OUT   notify: the task's
 *                               (2); stale GENs mean nothing; 0 at a bind      signal may wait on it)
 *   PROGRESS[s]    PROGRESS[s]  progress items of slot s's task on the result the worker running the
 *   (after ABORT)               channel unread: at most one sent by            task (0 -> 1 as it
 *                               `progress()` (latest value wins, the worker    puts one; +1 for the
 *                               keeps newer ones meanwhile), plus the last     last value); the owner
 *                               value sent at the task's end, so the owner     (-1 as it reads one,
 *                               settles the result only after both             0 at bind)
 *   DONE_COUNT     DONE_COUNT   tasks finished: bumped after each result is  a worker (`completed`);
 *   (after                      published (READY, or put on the result         the owner (to wake its
 *   PROGRESS)                   Queue) and each progress item put; the         own pump)
 *                               owner's pump sleeps on it
 *   DONE_COUNT+1   OWNER_ASLEEP 1 while the owner may sleep on DONE_COUNT:     the owner
 *                               a worker notifies only then
 *   DONE_COUNT+2   SLEEPERS[k]  workers asleep on WAKE or about to be, one  worker w (sets its bit
 *     + k, k <                  bit each: worker w is bit w % 32 of word       before its last look,
 *     ⌈workers/32⌉              ⌊w / 32⌋; a putter bumps WAKE only when        clears it once awake);
 *                               some bit is set (`sleepers()` counts them)     the owner (clears it
 *                                                                              at w's exit)
 *   after SLEEPERS REFUSED      1 while the owner holds a task the task     the owner (1 before it
 *                               channel refused (full, or a claim at its       puts the task again,
 *                               end): a worker that takes anything, or gives   0 once none is
 *                               up its claim there (worker.ts lookAgain),      refused)
 *                               then bumps DONE_COUNT, so the owner's pump
 *                               wakes and puts it again
 *   after REFUSED  KILLING[w]   1 while the owner decides whether to        the owner (crew.ts
 *                               terminate worker w for a task that overran     `kill`: 1, then 0
 *                               its timeout; worker w, after each result it    unless it terminates
 *                               sends, waits while it is 1 (below)             w; 0 at w's start)
 * SLEEPERS is exact: its bits are the workers between their count (before the last look) and
 * their count-out (once awake), and a dead one only until the owner handles its exit. Each
 * change is one atomic operation on the worker's own bit — Atomics.or to count, Atomics.and to
 * count out — so a worker killed between any two of its instructions has set its bit or not,
 * with nothing half done; the owner clears the bit at the exit (crew.ts) whatever CURRENT says
 * (SLEEPING, TAKING, ...). Clearing twice is clearing once, so the worker's own count-out and the
 * owner's never subtract twice; and the owner's comes after the thread's last instruction, so
 * nothing sets the bit again until a new worker starts at index w (after the clear) — where the
 * runtime's exit comes after the thread's end (Node, Bun; the web after a grace period:
 * runtime/worker.ts); Deno reports a terminated worker's exit while the thread may still run, a
 * known limit (README, Runtimes). A count
 * word beside a per-worker "counted" word could not be exact: a worker killed between the add
 * and the other word's store leaves the owner unable to tell whether the add happened. Why it
 * matters: a dead worker left counted costs every later put a WAKE bump and a notify for nobody
 * (the owner and a taker skip them only while no bit is set); a live one counted out could let
 * a put skip the sleeper that should take its task (a lost wake-up). The count a putter reads
 * (`sleepers()`) is one load for up to 32 workers, one per 32 beyond.
 * KILLING closes the window between the owner's decision to terminate a worker whose task
 * overran its timeout (stops.ts) and the termination itself, which lands in the worker only at
 * its next interrupt check, and later still if the owner's thread is descheduled in between: a
 * worker that finished the task meanwhile could claim the next one, and the kill would take
 * that innocent task down. The owner sets KILLING[w], then looks for a task w claims that was
 * asked to stop with TIMED_OUT, and terminates w only if it finds one (else it clears the word
 * and wakes w); worker w reads KILLING[w] after each result it publishes (the READY CAS, or the
 * CAS that clears CLAIMER) and before it takes another task, and waits while it is 1. All
 * sequentially consistent, store then load on each side: if the owner's look still found the
 * task claimed, the worker's read comes after the owner's store and sees 1, so w takes nothing
 * more before its end; if it found the claim gone, w is not terminated (and waited, if at all,
 * only until the owner cleared the word).
 * Then, 8-aligned, one Float64 per slot, STARTED[s]: when slot s's task was claimed (ms,
 * `performance.timeOrigin + performance.now()`, a clock every thread shares), written by the
 * claimer right after its claim, NaN from the bind until then. A plain (non-atomic) Float64:
 * its readers are the owner after the task's result (the READY CAS, or the result Queue's lock,
 * orders it) and the owner's timeout check, which treats NaN — claimed, not yet stamped — as
 * "just started". Then AREA[s], AREA_BYTES per slot (8-aligned): slot s's task, written by the
 * owner before it announces the task, then its result, written by its claimer before READY
 * (items.ts draws it).
 *
 * A task slot holds one task (or one chunk of a `map`) from the moment the owner puts it on the
 * task channel until its result comes back or it is cancelled; then the slot is free again and
 * its next task gets the next GEN (16 bits, wrapping). Every task item carries (slot, gen), so a
 * stale item — a task cancelled while still queued, or a copy re-queued after a worker died
 * (engine.ts) — can never claim the slot's next task: its compare-and-swap expects its own GEN.
 *
 * The decisive transitions are compare-and-swaps on STATE, so exactly one side wins:
 *   - a worker claims a task with CAS(GEN|PENDING -> w+1|GEN|RUNNING) and runs it only if that
 *     won; the claimer's index is in the same word, so when worker w dies the owner finds the
 *     one task it was running with no window in which the claim is made but not recorded;
 *   - `Future.cancel()` is CAS(GEN|PENDING -> GEN|CANCELLED): it wins only against a task that
 *     no worker has claimed, and a claimed task can never be cancelled or claimed twice;
 *   - a result that fits its slot is published with CAS(w+1|GEN|RUNNING -> GEN|READY) after
 *     its bytes are written into AREA[s] (items.ts): a worker that dies before the CAS —
 *     even halfway through writing the bytes — leaves RUNNING, and the owner fails the task
 *     (its worker died running it); one that dies after it leaves a whole result, which the
 *     owner delivers: a result written survives the worker that wrote it;
 *   - a result that goes on the result channel instead is followed by CAS(w+1|GEN|RUNNING ->
 *     GEN|RUNNING), clearing CLAIMER: a dead or timed-out worker is charged only with a task
 *     whose result it has not sent (the result was put first, so it is never lost).
 * AREA[s] is written by the owner only while slot s's task is PENDING (before it is announced),
 * then only by the claimer of slot s's current GEN, and the owner binds the
 * slot again only after that task settled: from its result (the claimer is done with the
 * area), or from its claimer's death (its `exit` event: the thread runs no more).
 *
 * Nobody sleeps on STATE, so there is no wake-up to lose: the owner sleeps on DONE_COUNT,
 * which every finished task bumps after publishing its result, and deaths are reported by the
 * worker's `exit` event. OWNER_ASLEEP is set before the owner's park compares DONE_COUNT, and
 * read by a worker after its bump: all sequentially consistent, so either the park sees the
 * new count or the worker sees the flag and notifies. The owner reads DONE_COUNT before it
 * looks for finished tasks, so a task published after the look has moved the count.
 *
 * WATCHER lets one idle worker at a time spin on the empty task channel; the others sleep on
 * WAKE (worker.ts says why). Nobody sleeps on WATCHER: a worker that dies while watching only
 * leaves the token taken until the owner clears it at its exit (crew.ts), meanwhile idle
 * workers sleep without watching — slower, never stuck.
 *
 * No queued task is left without a taker (the rule `needsTaker` applies after every put):
 * whoever puts tasks on the channel wakes WAKE sleepers unless the channel is empty again (a
 * worker took what was put), or a watcher holds the token (it takes a task and wakes sleepers
 * for the rest: below), or SLEEPERS is 0 (a worker counts itself there before its last look at
 * the channel, so a putter that reads 0 after its put is followed by that look, which sees the
 * task: the notify, a system call with the futex table's lock, is paid only when someone may
 * sleep). k tasks on the channel get k takers: a putter wakes min(queued, SLEEPERS) sleepers
 * with one WAKE bump (one feed may put many numbers), and a worker that takes a task — a woken
 * sleeper or a watcher — and sees tasks left wakes min(left, SLEEPERS) more, so a wake-up lost
 * to a race between takers is passed on by the taker that got the task. A watcher that sees a
 * task takes it with the token still held, gives the token back, then looks again and wakes
 * sleepers if tasks are left; a watcher that saw none gives the token back before its last
 * look at the channel, and wakes sleepers for what is left if that look took a task; a
 * sleeper reads WAKE before its last look. So while a watcher is there, the owner (the
 * putter in a burst) pays no notify: the watcher does, off the owner's thread.
 * All of these are sequentially consistent, so either the putter sees no watcher (and wakes a
 * sleeper), or the watcher's look after giving the token back sees the task, or the sleeper's
 * WAKE has moved by the time it parks (it does not sleep).
 * A look that sees an item it cannot take yet (its SharedArrayBuffers have not arrived on that
 * thread) waits for it on the channel instead (worker.ts). A wake-up handed to a worker as it
 * died is lost with it, so the owner wakes every sleeper after each worker's exit (engine.ts).
 *
 * STARTING and QUIT tell a worker that cannot start from one that was killed while starting:
 * a worker's own `process.exit` (in the task module at import, say) runs its `exit` listener,
 * which turns STARTING into QUIT; `terminate()` runs no JavaScript in the worker, so a killed
 * worker leaves STARTING. The owner breaks the pool on the first (crew.ts).
 */

import { deadlineAfter, park, runAsync, wake, type ParkResult, type Steps } from '../primitives/futex.js';

export const IDLE = 0;
export const TAKING = -1;
export const BUSY = 1;
export const RETIRED = -2;
export const STARTING = -3;
export const QUIT = -4;
export const SLEEPING = -5;
/** CURRENT of a worker that left after `idleTimeout` idle (not replaced). */
export const LEFT = -6;

/** KIND of an ABORT word. */
export const ABORTED = 1;
export const TIMED_OUT = 2;

export const PENDING = 0;
export const RUNNING = 1;
export const DONE = 2;
export const CANCELLED = 3;
/** ST of a task whose result is in its slot's RESULT area. */
export const READY = 4;

/** Bytes of one slot's AREA: its task, then its result (items.ts). */
export const AREA_BYTES = 256;

/** Most workers one pool may have: CLAIMER has 13 bits. */
export const MAX_WORKERS = (1 << 13) - 1;

const GEN_MASK = 0xffff;
const ST_BITS = 3;
const ST_MASK = 7;
const CLAIMER_SHIFT = 19;

function word(gen: number, st: number): number {
  return (gen << ST_BITS) | st;
}

/** The number of bits set in a 32-bit word. */
function bitCount(bits: number): number {
  bits -= (bits >>> 1) & 0x55555555;
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return Math.imul((bits + (bits >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function genIn(w: number): number {
  return (w >>> ST_BITS) & GEN_MASK;
}

function* completionSteps(i32: Int32Array, index: number, seen: number): Steps<ParkResult> {
  Atomics.store(i32, index + 1, 1); // OWNER_ASLEEP, before the park compares DONE_COUNT
  return yield park(i32, index, seen, Infinity);
}

function* verdictSteps(i32: Int32Array, index: number, deadline: number): Steps<ParkResult> {
  return yield park(i32, index, 1, deadline);
}

/**
 * How long one slice of a worker's wait for its verdict lasts (ms): the wait is asynchronous
 * and in slices, so the worker's event loop turns meanwhile and a runtime that ends a thread
 * only between two of its jobs (or not while it is parked in a blocking wait) still ends it.
 */
const VERDICT_SLICE_MS = 5;

function* sleepSteps(i32: Int32Array, index: number, seen: number, deadline: number): Steps<ParkResult> {
  return yield park(i32, index, seen, deadline);
}

/**
 * The global `performance` and its `timeOrigin`, read once: in Node the global is a getter on
 * globalThis (≈ 50 ns a read, more than `now()` itself), and the owner and the workers read the
 * clock several times per task.
 */
const perf = performance;
const timeOrigin = perf.timeOrigin;

/** `performance.now()`. */
export function now(): number {
  return perf.now();
}

/** The clock STARTED uses: ms, the same on every thread. */
export function clock(): number {
  return timeOrigin + perf.now();
}

/** `clock()` at the moment `now()` read `at`. */
export function clockAt(at: number): number {
  return timeOrigin + at;
}

/** The shared words of one pool. */
export class Slots {
  readonly i32: Int32Array;
  readonly workers: number;
  readonly count: number;
  /** STARTED[s] (see the table). */
  readonly started: Float64Array;
  readonly #gens: Uint16Array;
  readonly #free: number[];
  readonly #live: number;
  readonly #abort: number;
  readonly #progress: number;
  /** Index of DONE_COUNT (OWNER_ASLEEP follows it). */
  readonly #done: number;
  /** Index of SLEEPERS[0], and of the word after the last SLEEPERS word (REFUSED). */
  readonly #sleepers: number;
  readonly #refused: number;
  /** Index of KILLING[0]. */
  readonly #killing: number;
  /** Byte offset of AREA[0] in the buffer. */
  readonly areasAt: number;

  /** Create the control block (owner), or attach to `buffer` (worker). */
  constructor(workers: number, count: number, buffer?: SharedArrayBuffer) {
    this.workers = workers;
    this.count = count;
    this.#live = workers + count + 2;
    this.#abort = this.#live + 1;
    this.#progress = this.#abort + count;
    this.#done = this.#progress + count;
    this.#sleepers = this.#done + 2;
    this.#refused = this.#sleepers + ((workers + 31) >>> 5);
    this.#killing = this.#refused + 1;
    const words = (this.#killing + workers + 1) & ~1; // STARTED starts 8-aligned
    this.areasAt = words * 4 + count * 8;
    const sab = buffer ?? new SharedArrayBuffer(this.areasAt + count * AREA_BYTES);
    this.i32 = new Int32Array(sab, 0, words);
    this.started = new Float64Array(sab, words * 4, count);
    this.#gens = new Uint16Array(buffer === undefined ? count : 0);
    this.#free = buffer === undefined ? Array.from({ length: count }, (_, s) => count - 1 - s) : [];
  }

  get buffer(): SharedArrayBuffer {
    return this.i32.buffer as SharedArrayBuffer;
  }

  /** Free task slots left (owner). */
  get available(): number {
    return this.#free.length;
  }

  /** Take a free slot for a new task and publish it as PENDING under a fresh GEN (owner); returns the slot. */
  bind(): number {
    const slot = this.#free.pop()!;
    const gen = (this.#gens[slot]! + 1) & GEN_MASK;
    this.#gens[slot] = gen;
    this.started[slot] = NaN;
    Atomics.store(this.i32, this.#progress + slot, 0);
    // A stop request of the task 65,536 binds ago (the same 16-bit GEN) must not reach this one.
    Atomics.store(this.i32, this.#abort + slot, 0);
    Atomics.store(this.i32, this.workers + slot, word(gen, PENDING));
    return slot;
  }

  /** The GEN a slot was last bound with (owner). */
  genOf(slot: number): number {
    return this.#gens[slot]!;
  }

  /** Mark a bound slot DONE and make it free again (owner). */
  release(slot: number, gen: number): void {
    Atomics.store(this.i32, this.workers + slot, word(gen, DONE));
    this.#free.push(slot);
  }

  /** ST of slot `slot` if it still holds GEN `gen`, else DONE. */
  stateOf(slot: number, gen: number): number {
    const w = Atomics.load(this.i32, this.workers + slot);
    return genIn(w) === gen ? w & ST_MASK : DONE;
  }

  /** The index of the worker running slot `slot`'s GEN `gen` task, or -1. */
  claimer(slot: number, gen: number): number {
    const w = Atomics.load(this.i32, this.workers + slot);
    return genIn(w) === gen && (w & ST_MASK) === RUNNING ? (w >>> CLAIMER_SHIFT) - 1 : -1;
  }

  /** Claim slot `slot`'s GEN `gen` task for worker `w`: PENDING -> RUNNING (worker). */
  claim(slot: number, gen: number, w: number): boolean {
    const pending = word(gen, PENDING);
    const running = ((w + 1) << CLAIMER_SHIFT) | word(gen, RUNNING);
    return Atomics.compareExchange(this.i32, this.workers + slot, pending, running) === pending;
  }

  /**
   * Worker `w` has put the result of slot `slot`'s GEN `gen` task on the result channel: clear
   * the CLAIMER (RUNNING stays until the owner reads the result). From then on the task is no
   * longer charged to `w`: a timeout does not terminate `w` for it, and if `w` dies the owner
   * finds the result on the channel instead of failing the task (worker).
   */
  finished(slot: number, gen: number, w: number): void {
    const running = ((w + 1) << CLAIMER_SHIFT) | word(gen, RUNNING);
    Atomics.compareExchange(this.i32, this.workers + slot, running, word(gen, RUNNING));
  }

  /**
   * Worker `w` has written the result of slot `slot`'s GEN `gen` task into AREA[slot]:
   * RUNNING -> READY (worker). False if the CAS lost (the task was settled without this
   * result: the pool was terminated or broken).
   */
  publish(slot: number, gen: number, w: number): boolean {
    const running = ((w + 1) << CLAIMER_SHIFT) | word(gen, RUNNING);
    return Atomics.compareExchange(this.i32, this.workers + slot, running, word(gen, READY)) === running;
  }

  /** Whether slot `slot`'s GEN `gen` task has its result in AREA[slot] (owner). */
  ready(slot: number, gen: number): boolean {
    return Atomics.load(this.i32, this.workers + slot) === word(gen, READY);
  }

  /** Count one more finished task (or progress item) and wake the owner if it sleeps on DONE_COUNT. */
  completed(): void {
    Atomics.add(this.i32, this.#done, 1);
    if (Atomics.load(this.i32, this.#done + 1) !== 0) wake(this.i32, this.#done, 1);
  }

  /** DONE_COUNT, read by the owner before it looks for finished tasks. */
  completions(): number {
    return Atomics.load(this.i32, this.#done);
  }

  /** Sleep until DONE_COUNT moves from `seen` (owner, without blocking its event loop). */
  async awaitCompletion(seen: number): Promise<void> {
    await runAsync(completionSteps(this.i32, this.#done, seen));
    Atomics.store(this.i32, this.#done + 1, 0);
  }

  /** Cancel slot `slot`'s GEN `gen` task if unclaimed: PENDING -> CANCELLED (owner). */
  cancel(slot: number, gen: number): boolean {
    const pending = word(gen, PENDING);
    return Atomics.compareExchange(this.i32, this.workers + slot, pending, word(gen, CANCELLED)) === pending;
  }

  /** Worker `w`'s CURRENT word. */
  current(w: number): number {
    return Atomics.load(this.i32, w);
  }

  /** Set worker `w`'s CURRENT word. */
  setCurrent(w: number, value: number): void {
    Atomics.store(this.i32, w, value);
  }

  /** Take the WATCHER token for worker `w` if nobody holds it (worker). */
  watch(w: number): boolean {
    return Atomics.compareExchange(this.i32, this.workers + this.count, 0, w + 1) === 0;
  }

  /** Give the WATCHER token back if worker `w` holds it (the worker, or the owner when `w` died). */
  unwatch(w: number): void {
    Atomics.compareExchange(this.i32, this.workers + this.count, w + 1, 0);
  }

  /**
   * After tasks were put on a channel now holding `queued` items: whether a sleeping worker
   * must be woken to take them: when no watcher is there. A watcher takes one of them and
   * wakes sleepers for the rest itself (worker.ts, takeSoon and passOn), so the putter — the
   * owner, in a burst — pays no notify (a system call; ≈ 13% of the owner's profile in a burst
   * when the owner woke sleepers for every feed of many tasks). None when the channel is empty
   * again: a worker has taken what was put. (Waking one then only made it find nothing — and,
   * on a machine with as many cores as workers, spin as the next watcher for a whole watch,
   * taking the core the owner and the task's worker needed.)
   */
  needsTaker(queued: number): boolean {
    return queued > 0 && Atomics.load(this.i32, this.workers + this.count) === 0;
  }

  /** The WAKE counter, read by a worker before its last look at the channel. */
  wakeCount(): number {
    return Atomics.load(this.i32, this.workers + this.count + 1);
  }

  /**
   * Wake up to `queued` workers sleeping on WAKE, as many as may be (SLEEPERS): after a put
   * that `needsTaker`, or a take that left `queued` tasks on the channel.
   */
  wakeSleepers(queued: number): void {
    const sleepers = this.sleepers();
    if (sleepers > 0 && queued > 0) this.wakeIdle(Math.min(queued, sleepers));
  }

  /** SLEEPERS: how many workers are asleep on WAKE or about to be (none: a put needs to wake nobody). */
  sleepers(): number {
    const first = Atomics.load(this.i32, this.#sleepers);
    let n = first === 0 ? 0 : bitCount(first);
    for (let i = this.#sleepers + 1; i < this.#refused; i++) {
      const bits = Atomics.load(this.i32, i);
      if (bits !== 0) n += bitCount(bits);
    }
    return n;
  }

  /** Say whether the owner holds a task the task channel refused (REFUSED; owner). */
  setRefused(on: boolean): void {
    Atomics.store(this.i32, this.#refused, on ? 1 : 0);
  }

  /**
   * After a worker took something from the task channel (room freed): if the owner holds a
   * refused task, bump DONE_COUNT so that its pump wakes and puts it again.
   */
  tookTask(): void {
    if (Atomics.load(this.i32, this.#refused) !== 0) this.completed();
  }

  /** Count worker `w` in SLEEPERS: set its bit, one atomic step (the worker, before its last look at the channel). */
  countSleeper(w: number): void {
    Atomics.or(this.i32, this.#sleepers + (w >>> 5), 1 << (w & 31));
  }

  /**
   * Count worker `w` out of SLEEPERS: clear its bit (the worker once awake, or once its last look
   * took something; the owner at its exit, whatever it was doing: clearing twice is clearing once).
   */
  uncountSleeper(w: number): void {
    Atomics.and(this.i32, this.#sleepers + (w >>> 5), ~(1 << (w & 31)));
  }

  /** Wake up to `count` workers sleeping on WAKE. */
  wakeIdle(count = 1): void {
    Atomics.add(this.i32, this.workers + this.count + 1, 1);
    wake(this.i32, this.workers + this.count + 1, count);
  }

  /**
   * Sleep until WAKE moves from `seen` or `deadline` (performance.now() ms) passes (worker;
   * keeps its event loop running meanwhile). Resolves 'timed-out' for the deadline.
   */
  sleep(seen: number, deadline = Infinity): Promise<ParkResult> {
    return runAsync(sleepSteps(this.i32, this.workers + this.count + 1, seen, deadline));
  }

  /**
   * Say whether the owner is deciding to terminate worker `w` (KILLING; owner): true before it
   * looks for `w`'s timed-out task, false if it will not terminate `w` (or `w` is new), which
   * lets `w` go on if it waits.
   */
  setKilling(w: number, on: boolean): void {
    Atomics.store(this.i32, this.#killing + w, on ? 1 : 0);
    if (!on) wake(this.i32, this.#killing + w);
  }

  /**
   * After publishing a result, before taking another task (worker `w`, when `killing(w)`): wait
   * while the owner decides whether to terminate `w` (KILLING), without blocking the event loop.
   * Never resolves if it terminates `w` — unless the runtime lets a terminated thread run on,
   * and a replacement's start at `w` clears the word (worker.ts checks its id then).
   */
  async awaitVerdict(w: number): Promise<void> {
    while (this.killing(w)) await runAsync(verdictSteps(this.i32, this.#killing + w, deadlineAfter(VERDICT_SLICE_MS)));
  }

  /** Whether the owner is deciding to terminate worker `w` (KILLING). */
  killing(w: number): boolean {
    return Atomics.load(this.i32, this.#killing + w) !== 0;
  }

  /** Whether worker `w` claims a task (RUNNING) that was asked to stop with TIMED_OUT (owner, about to terminate `w`). */
  runsTimedOut(w: number): boolean {
    for (let s = 0; s < this.count; s++) {
      const st = Atomics.load(this.i32, this.workers + s);
      if ((st & ST_MASK) === RUNNING && st >>> CLAIMER_SHIFT === w + 1 && this.abortKind(s, genIn(st)) === TIMED_OUT) return true;
    }
    return false;
  }

  /** Count a worker started (owner, +1) or gone without leaving on its own (owner, -1). */
  addLive(n: number): void {
    Atomics.add(this.i32, this.#live, n);
  }

  /** Workers counted in LIVE. */
  live(): number {
    return Atomics.load(this.i32, this.#live);
  }

  /** Leave LIVE if more than `min` workers would stay (an idle worker about to exit); whether it did. */
  leave(min: number): boolean {
    for (;;) {
      const n = Atomics.load(this.i32, this.#live);
      if (n <= min) return false;
      if (Atomics.compareExchange(this.i32, this.#live, n, n - 1) === n) return true;
    }
  }

  /** Ask slot `slot`'s GEN `gen` task to stop (owner): KIND ABORTED or TIMED_OUT; a first KIND stays. */
  abort(slot: number, gen: number, kind: number): void {
    const i = this.#abort + slot;
    const old = Atomics.load(this.i32, i);
    if (old >>> ST_BITS === gen && (old & ST_MASK) !== 0) return;
    Atomics.store(this.i32, i, word(gen, kind));
    wake(this.i32, i);
  }

  /** The KIND slot `slot`'s GEN `gen` task was asked to stop with, or 0. */
  abortKind(slot: number, gen: number): number {
    const w = Atomics.load(this.i32, this.#abort + slot);
    return w >>> ST_BITS === gen ? w & ST_MASK : 0;
  }

  /** Index of ABORT[slot] in `i32` (a task's signal waits on it). */
  abortIndex(slot: number): number {
    return this.#abort + slot;
  }

  /**
   * Count a progress item of slot `slot` unread before it is put (worker): false if one already
   * is, unless `last` (the task's last value, sent even then: counted too).
   */
  progressSent(slot: number, last: boolean): boolean {
    if (last) {
      Atomics.add(this.i32, this.#progress + slot, 1);
      return true;
    }
    return Atomics.compareExchange(this.i32, this.#progress + slot, 0, 1) === 0;
  }

  /** A counted progress item of slot `slot` was read (owner), or not put after all (worker). */
  progressRead(slot: number): void {
    Atomics.sub(this.i32, this.#progress + slot, 1);
  }

  /** Whether slot `slot` has a progress item unread (worker). */
  progressPending(slot: number): boolean {
    return Atomics.load(this.i32, this.#progress + slot) !== 0;
  }
}
