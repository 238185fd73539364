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
 *   - the owner never waits on the task channel: a number's put (`offerNumber`) never waits —
 *     a full channel, or a worker's claim at its end (a getter's on a full lap, maybe a dead
 *     one's), refuses it —, and an item goes with the async put, since an item's put takes the
 *     queue's lock, which a killed worker may hold until the owner's event loop runs that
 *     worker's `exit` handler (recovery): a blocking call here could wait forever for a
 *     recovery it is itself holding up;
 *   - a refused task is held (#requeue) and REFUSED set until a feed holds none: each take then
 *     bumps DONE_COUNT, and the pump puts it again on each wake-up (`retryRefused`) — stale
 *     entries (numbers or items of cancelled tasks, copies re-queued after a death) can fill
 *     the channel, so the next settle cannot be relied on;
 *   - one item put at a time (#feeding); numbers meanwhile wait for it, so tasks go in order;
 *   - every put follows the wake rule of slots.ts (`needsTaker`): no queued task waits for a
 *     taker;
 *   - a slot's area is written only here, between the bind and the put (slots.ts: nobody
 *     writes it between the bind and the claim), so a task re-queued after a death is still in
 *     its area.
 */
import { offerNumber, type Queue } from '../queue/queue.js';
import type { Backlog } from './backlog.js';
import { taskNumber, type SlotAreas, type TaskItem } from './items.js';
import { settleTask, type Pump } from './pump.js';
import { tooLarge } from './remote.js';
import { PENDING, type Slots } from './slots.js';
import { ARGS, CHUNK, FN, GEN, ID, IN_AREA, SLOT, type Task } from './task.js';

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
  /** A task in #requeue was refused as full: REFUSED is set, the pump puts it again when a worker takes something. */
  #full = false;
  /** An item's put is under way. */
  #feeding = false;
  /** Each export's index in the module's export names (items.ts: a task in its area names its export so). */
  #fnIndex: Map<string, number> | undefined;

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
   * in its area (items.ts) by its number, whose put takes no lock and never waits
   * (`offerNumber`: a full channel, or a worker's claim at its end, refuses it and the task is
   * held as refused); any other task as an item, with the async put (#putItem). One item put at
   * a time (#feeding); numbers meanwhile wait for it.
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
        this.#bind(task);
      } else if (task[SLOT] < 0) continue; // settled or cancelled since it was re-queued
      if (!task[IN_AREA]) {
        void this.#putItem(task);
        break;
      }
      let offered = false;
      try {
        offered = this.#tasks[offerNumber](taskNumber(task[SLOT], task[GEN]));
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

  /** Put again a task the channel refused as full, if one is held (the pump, after it read DONE_COUNT). */
  retryRefused(): void {
    if (this.#full) this.feed();
  }

  /**
   * The channel refused a task as full (it is in #requeue). Room comes when a worker takes
   * something, which may settle nothing (a stale entry: its claim fails), so the next settle
   * cannot be relied on: REFUSED makes each take bump DONE_COUNT (slots.ts), and the pump puts
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
    const queued = this.#tasks.qsize();
    if (this.#slots.needsTaker(queued)) this.#slots.wakeSleepers(queued);
    this.#owner[tasksPut]();
    this.#pump.start();
  }

  /**
   * Put a task as an item `[slot, gen, fn, args, chunk, id]` (items.ts), then feed on. One the
   * channel refuses as full is held until a worker takes something (#refused); one it refuses
   * otherwise (arguments that cannot cross, or too large) fails. Only the put's own failure
   * fails the task: once put, a worker may run it.
   */
  async #putItem(task: Task): Promise<void> {
    this.#feeding = true;
    let full = false;
    let put = false;
    try {
      await this.#tasks.putAsync([task[SLOT], task[GEN], task[FN], this.#areas.itemArgs(task[ARGS]), task[CHUNK], task[ID]], 0);
      this.#pump.put(task[SLOT], task[GEN]);
      put = true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_FULL') {
        this.#requeue.push(task);
        full = true;
      } else if (this.#bound[task[SLOT]] === task) {
        this.#owner[settleTask](task, 0, code === 'ERR_TOO_LARGE' ? tooLarge(this.#facade, 'arguments', task[FN], this.#channelBytes, error) : error);
      }
    } finally {
      this.#feeding = false;
    }
    if (put) this.#announced();
    if (full) this.#refused();
    else this.feed();
  }

  /** Bind `task` to a free slot and write it into the slot's area if it belongs there (items.ts). */
  #bind(task: Task): void {
    const slot = this.#slots.bind();
    task[SLOT] = slot;
    task[GEN] = this.#slots.genOf(slot);
    this.#bound[slot] = task;
    this.#pump.bound(slot);
    this.#submitted[slot] = this.#backlog.takenSubmitted;
    const fn = this.#fnIndex?.get(task[FN]);
    task[IN_AREA] = fn !== undefined && this.#areas.writeTask(slot, fn, task[ARGS], task[CHUNK], task[ID]);
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
