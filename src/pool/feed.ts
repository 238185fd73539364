/**
 * The owner's task side of a pool (engine.ts): from the backlog into task slots and onto the
 * task channel.
 *
 * While a task slot is free, `feed` binds the oldest backlog task to a slot (STATE =
 * GEN|PENDING, slots.ts), writes it into the slot's area (fn index, arguments, chunk, id:
 * items.ts) and puts the task's number `slot, gen` on the task Queue — a FIFO Queue's number
 * takes no lock —, or, when the task does not fit there (large arguments, SharedArrayBuffers or
 * primitives among them, or no worker has reported the module's exports yet), puts the item
 * `[slot, gen, fn, args, chunk, id]` instead. Slots freed by one scan of results are fed
 * together (pump.ts), with one WAKE bump that wakes as many sleepers as tasks are queued
 * (slots.ts: k tasks get k takers).
 *
 * Invariants:
 *   - the owner never waits on the task channel: a put goes at once (`offer`) or is refused —
 *     a full channel, a worker's claim at its end (a getter's on a full lap, maybe a dead
 *     one's), or for an item in chunks the queue's lock taken, which a killed worker may hold
 *     until the owner's event loop runs that worker's `exit` handler (recovery): a blocking
 *     call here could wait forever for a recovery it is itself holding up. A refused number is
 *     held (below); a refused item goes with the async put, which waits on the event loop;
 *   - a run of submit() calls puts its tasks without a turn of the event loop, items too (each
 *     `offer`ed first): the workers take them while the caller's synchronous code goes on. (An
 *     item that always went with the async put held every task after it until the event loop
 *     turned — before the first worker reports the module's exports, every task is an item);
 *   - a refused task is held (#requeue) and REFUSED set until a feed holds none: each take then
 *     bumps DONE_COUNT, and the pump puts it again on each wake-up (`retryRefused`) — stale
 *     entries (numbers or items of cancelled tasks, copies re-queued after a death) can fill
 *     the channel, so the next settle cannot be relied on;
 *   - one async put of an item at a time (#feeding); tasks meanwhile wait for it, so they go
 *     in order;
 *   - the feed is not re-entered while it writes or encodes a task's arguments (#bind, and
 *     #putItem's offer of an item that carries its list; #feeding): the caller's code runs
 *     there (getters, proxies' traps), and may cancel or settle that task (its slot is free
 *     again: the task is dropped, or what was put of it is a stale entry whose claim fails) or
 *     others, or submit: the feeds that starts wait for the one under way, which goes on
 *     binding; so no task is bound to a slot whose area another task's arguments are still
 *     being written to, and tasks go on the channel in the order they were submitted;
 *   - a task's arguments are encoded once (items.ts `keptArgs`): the encoding the area's check
 *     made goes with the task (#kept) until its item is put, or the task settles or is
 *     cancelled — also while the full channel refuses it. A task put again after a worker's
 *     death is encoded again from its list (keeping every put item's encoding until its claim
 *     would hold up to TASK_SLOTS large lists): a getter in it is read again, and the copy a
 *     worker claims first runs;
 *   - every put follows the wake rule of slots.ts (`needsTaker`): no queued task waits for a
 *     taker;
 *   - a slot's area is written only here, between the bind and the put (slots.ts: nobody
 *     writes it between the bind and the claim), so a task re-queued after a death is still in
 *     its area.
 */
import { misuse } from '../primitives/errors.js';
import { offer, type Queue } from '../queue/queue.js';
import type { Backlog } from './backlog.js';
import { keptArgs, taskNumber, type SlotAreas, type TaskItem } from './items.js';
import { settleTask, type Pump } from './pump.js';
import { tooLarge } from './remote.js';
import { PENDING, type Slots } from './slots.js';
import { ARGS, CHUNK, FN, GEN, IN_AREA, ONE, SLOT, type Task } from './task.js';

/** What `#putItem` did with a task's item: put it, started the async put, or dropped the task (failed, or gone). */
const PUT = 0;
const WAITING = 1;
const DROPPED = 2;

/** A task as an item (items.ts TaskItem): `[slot, gen, fn, args, chunk, id]`. */
type Item = [slot: number, gen: number, fn: string, args: unknown, chunk: 0 | 1, id: number];

/** Tasks were put on the task channel: the engine starts the workers they want (crew.ts). */
export const tasksPut = Symbol('tasksPut');

/** What the feed asks of its engine. */
export interface FeedOwner {
  [settleTask](task: Task, ok: 0 | 1, value: unknown): void;
  [tasksPut](): void;
}

/** The task side of one pool. */
export class Feed {
  readonly #owner: FeedOwner;
  readonly #facade: string;
  readonly #slots: Slots;
  readonly #areas: SlotAreas;
  readonly #tasks: Queue<TaskItem>;
  /** The most a task's encoded arguments may take (ERR_TOO_LARGE names it). */
  readonly #channelBytes: number;
  readonly #backlog: Backlog;
  readonly #pump: Pump;
  /** The engine's bound tasks by slot, and their submit times (`clock`, ms): a Float64Array, not a heap number per task. */
  readonly #bound: (Task | undefined)[];
  readonly #submitted: Float64Array;
  /** Bound tasks to put on the task channel again (a dead worker may have taken them), or that found it full. */
  readonly #requeue: Task[] = [];
  /** A task in #requeue was refused (full, or a claim at the channel's end): REFUSED is set, the pump puts it again when a worker takes something or gives up its claim. */
  #full = false;
  /** An item's put is under way, or a task's arguments are being written (#bind). */
  #feeding = false;
  /**
   * The encoding of one task's arguments (#keptFor), which its area's check made, for its
   * item's put (items.ts `keptArgs`): kept until that put succeeds or fails for good, or the
   * task is gone (settled, cancelled). Only the task bound last, or held refused, has one: the
   * feed binds no task while one is held (#requeue first).
   */
  #kept: Uint8Array | undefined = undefined;
  #keptFor: Task | undefined = undefined;
  /** Each export's index in the module's export names (items.ts: a task in its area names its export so). */
  #fnIndex: Map<string, number> | undefined;
  /** The id of the next task bound (`currentTask().id`: unique in the pool, in bind order). */
  #nextId = 1;

  constructor(
    owner: FeedOwner,
    facade: string,
    slots: Slots,
    areas: SlotAreas,
    tasks: Queue<TaskItem>,
    channelBytes: number,
    backlog: Backlog,
    pump: Pump,
    bound: (Task | undefined)[],
    submitted: Float64Array,
  ) {
    this.#owner = owner;
    this.#facade = facade;
    this.#slots = slots;
    this.#areas = areas;
    this.#tasks = tasks;
    this.#channelBytes = channelBytes;
    this.#backlog = backlog;
    this.#pump = pump;
    this.#bound = bound;
    this.#submitted = submitted;
  }

  /** The module's export names, as the first worker reported them: tasks are written into their areas from now on. */
  named(names: string[]): void {
    this.#fnIndex ??= new Map(names.map((name, i) => [name, i]));
  }

  /**
   * Announce tasks on the channel while there are task slots (re-queued copies first): a task
   * in its area (items.ts) by its number, whose put takes no lock and never waits (`offer`: a
   * full channel, or a worker's claim at its end, refuses it and the task is held as refused);
   * any other task as an item (#putItem: at once if the channel takes it without a wait, else
   * with the async put, which the feed then waits for: #feeding).
   */
  feed(): void {
    if (this.#feeding) return;
    let put = 0;
    let refused = false;
    for (;;) {
      let task = this.#requeue.pop();
      if (task === undefined) {
        if (this.#slots.available === 0) break;
        task = this.#backlog.next();
        if (task === undefined) break;
        if (!this.#bind(task)) continue; // cancelled or failed as it was bound: its slot is free again
      } else if (task[SLOT] < 0) {
        if (task === this.#keptFor) this.#kept = this.#keptFor = undefined;
        continue; // settled or cancelled since it was re-queued
      }
      if (!task[IN_AREA]) {
        const r = this.#putItem(task);
        if (r === WAITING) break;
        if (r === PUT) put++;
        continue;
      }
      let offered = false;
      try {
        offered = this.#tasks[offer](taskNumber(task[SLOT], task[GEN]));
      } catch {
        // shut down: held, like a refused task, until the engine's own shutdown settles it
      }
      if (!offered) {
        // Full, or a claim at the channel's end (maybe a dead worker's: never waited for here):
        // held until a worker takes something (#refused); stale entries may fill the channel.
        this.#requeue.push(task);
        refused = true;
        break;
      }
      this.#pump.put(task[SLOT], task[GEN]);
      put++;
    }
    if (refused) this.#refused();
    else if (this.#full && !this.#feeding) {
      this.#full = false; // nothing refused is held any more
      this.#slots.setRefused(false);
    }
    if (put > 0) this.#announced();
  }

  /** Put again a task the channel refused, if one is held (the pump, after it read DONE_COUNT). */
  retryRefused(): void {
    if (this.#full) this.feed();
  }

  /**
   * The channel refused a task (it is in #requeue): full, or a worker's claim at its end. Room
   * comes when a worker takes something, which may settle nothing (a stale entry: its claim
   * fails), or gives up its claim (worker.ts lookAgain), so the next settle cannot be relied
   * on: REFUSED makes each take and each such give-up bump DONE_COUNT (slots.ts), and the pump puts
   * the task again on each wake-up until it goes (`retryRefused`). REFUSED stays set from the
   * first refusal until a feed holds no refused task, so a take after any retry is seen; the
   * pump is woken once now for a take that came between this refusal and the store.
   */
  #refused(): void {
    if (!this.#full) {
      this.#full = true;
      this.#slots.setRefused(true);
      this.#pump.wake();
    }
    this.#pump.start();
  }

  /** After tasks were put: takers for them (slots.ts, `needsTaker`), workers for them, a pump for their results. */
  #announced(): void {
    // SLEEPERS first, read after the put as the wake rule wants: with none asleep (workers busy
    // in a burst) there is nobody to wake, and the channel's size is not read (it walks the
    // ring's positions: ≈ 3% of the owner's time in a burst of trivial tasks).
    if (this.#slots.sleepers() > 0) {
      const queued = this.#tasks.qsize();
      if (this.#slots.needsTaker(queued)) this.#slots.wakeSleepers(queued);
    }
    this.#owner[tasksPut]();
    this.#pump.start();
  }

  /**
   * Put a task as an item `[slot, gen, fn, args, chunk, id]` (items.ts): at once if the channel
   * takes it without any wait (`offer`: PUT); else with the async put, which goes on meanwhile
   * and feeds on once it is done (#putItemAsync: WAITING). The offer encodes the item with the
   * feed closed (#feeding), as #bind does: a getter or proxy trap in an argument list carried as
   * itself runs there, and may submit or cancel. An item the offer refuses for good (it cannot
   * cross, is too large, the channel is shut down) fails its task here (DROPPED), as the async
   * put's failure does; one it refuses for now (full, a claim at the channel's end, its lock
   * taken) is encoded again by the async put (a list carried as itself is then read twice, as
   * for one that holds SharedArrayBuffers: items.ts). A task its own arguments' code cancelled or
   * settled meanwhile is dropped (DROPPED; a copy put already is a stale entry, its claim fails).
   */
  #putItem(task: Task): typeof PUT | typeof WAITING | typeof DROPPED {
    const kept = task === this.#keptFor ? this.#kept : undefined;
    const slot = task[SLOT];
    const gen = task[GEN];
    const item: Item = [slot, gen, task[FN], kept ?? task[ARGS], task[CHUNK], this.#areas.taskId(slot)];
    let put = false;
    this.#feeding = true;
    try {
      put = this.#tasks[offer](item);
    } catch (error) {
      this.#feeding = false;
      this.#putFailed(task, error, kept);
      return DROPPED;
    }
    this.#feeding = false;
    if (put) {
      if (kept !== undefined) this.#kept = this.#keptFor = undefined;
      this.#pump.put(slot, gen);
      return PUT;
    }
    if (task[SLOT] !== slot) {
      if (kept !== undefined) this.#kept = this.#keptFor = undefined;
      return DROPPED;
    }
    void this.#putItemAsync(task, item, kept);
    return WAITING;
  }

  /** A task's item could not be put, not for want of room (`error`): its task fails with it, if still bound. */
  #putFailed(task: Task, error: unknown, kept: Uint8Array | undefined): void {
    if (kept !== undefined) this.#kept = this.#keptFor = undefined;
    if (this.#bound[task[SLOT]] !== task) return;
    const code = (error as { code?: string }).code;
    this.#owner[settleTask](task, 0, code === 'ERR_TOO_LARGE' ? tooLarge(this.#facade, 'arguments', task[FN], this.#channelBytes, error) : error);
  }

  /**
   * Put a task's `item` with the async put, then feed on. One the channel refuses as full is
   * held until a worker takes something (#refused); one it refuses otherwise (arguments that
   * cannot cross, or too large) fails. Only the put's own failure fails the task: once put, a
   * worker may run it.
   */
  async #putItemAsync(task: Task, item: Item, kept: Uint8Array | undefined): Promise<void> {
    this.#feeding = true;
    let full = false;
    let put = false;
    try {
      await this.#tasks.putAsync(item, 0);
      this.#pump.put(item[0], item[1]);
      put = true;
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_FULL') {
        this.#requeue.push(task);
        full = true;
      } else this.#putFailed(task, error, kept);
    } finally {
      if (!full && kept !== undefined) this.#kept = this.#keptFor = undefined; // held with the task while refused
      this.#feeding = false;
    }
    if (put) this.#announced();
    if (full) this.#refused();
    else this.feed();
  }

  /**
   * Bind `task` to a free slot and write it into the slot's area if it belongs there (items.ts),
   * or keep the encoding the area's check made for its item (#keep). False if the task is gone:
   * the caller's code that writing its arguments ran cancelled or settled it (its slot is free
   * again, and no other task was bound to it meanwhile: #feeding holds off the feed that code
   * started), or its arguments are too large for the channel (it failed).
   */
  #bind(task: Task): boolean {
    const slot = this.#slots.bind();
    task[SLOT] = slot;
    task[GEN] = this.#slots.genOf(slot);
    this.#bound[slot] = task;
    this.#pump.bound(slot);
    this.#submitted[slot] = this.#backlog.takenSubmitted;
    this.#areas.writeTaskId(slot, this.#nextId++);
    const fn = this.#fnIndex?.get(task[FN]);
    const one = task[ONE];
    if (fn !== undefined && typeof one === 'number') {
      // One number (Executor.submit(fn, x)): no list made for it, no caller's code to run.
      this.#areas.writeNumber(slot, fn, one);
      task[IN_AREA] = true;
      return true;
    }
    this.#feeding = true;
    task[IN_AREA] = fn !== undefined && this.#areas.writeTask(slot, fn, task[ARGS], task[CHUNK]);
    const bytes = task[IN_AREA] ? undefined : this.#areas.takeEncoded();
    const bound = task[SLOT] === slot && (bytes === undefined || this.#keep(task, bytes));
    this.#feeding = false;
    return bound;
  }

  /**
   * Keep `bytes`, the encoding of `task`'s arguments (scratch memory), for its item's put, as
   * items.ts `keptArgs` says; or fail the task at once if they are too large for the channel
   * anyway (false then): neither copied nor encoded again.
   */
  #keep(task: Task, bytes: Uint8Array): boolean {
    const kept = keptArgs(bytes, task[FN], this.#channelBytes);
    if (kept === null) {
      const cause = misuse('ERR_TOO_LARGE', `the arguments take ${bytes.length} bytes encoded; the queue holds ${this.#channelBytes}`);
      this.#owner[settleTask](task, 0, tooLarge(this.#facade, 'arguments', task[FN], this.#channelBytes, cause));
      return false;
    }
    if (kept !== undefined) {
      this.#kept = kept;
      this.#keptFor = task;
    }
    return true;
  }

  /** Put again every bound task that no worker has claimed (a dead worker may have taken it). */
  requeueUnclaimed(): void {
    const held = new Set(this.#requeue);
    // From the last slot down: #requeue is popped from its end, so the lowest slot goes first.
    for (let slot = this.#bound.length - 1; slot >= 0; slot--) {
      const task = this.#bound[slot];
      if (task === undefined || this.#slots.stateOf(task[SLOT], task[GEN]) !== PENDING) continue;
      if (!held.has(task)) this.#requeue.push(task);
    }
    this.feed();
  }
}
