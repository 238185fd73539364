/**
 * One submitted task as the engine (engine.ts) keeps it: its Future itself, with its call, its
 * slot while it is bound to one (slots.ts) and its per-task options' upkeep — one object per
 * task and no closure: the Future's cancel, running and abort reach the shared STATE word and
 * the engine through the hooks below. Its fields are private (see Task), and it lets go of them
 * once settled.
 *
 * No submit time here: the engine keeps it in a Float64Array (backlog.ts, then per slot), since
 * a double in an object's field is a heap number of its own, copied by every scavenge the task
 * lives through. No id either: the feed numbers a task as it binds it, in its slot's area
 * (feed.ts, items.ts).
 */
import { abortRunning, extra, Future, isRunning, released, tryCancel, whenCancelled } from './future.js';
import { ABORTED, type Slots } from './slots.js';

/** `task[SLOT]` of a task whose result the engine has taken out of its slot and is about to settle it with. */
export const TAKEN = -2;

/** `Future.cancel()` won for a task: the engine forgets it. */
export const dropCancelled = Symbol('dropCancelled');
/** A running task is asked to stop (abort, timeout). */
export const stopTask = Symbol('stopTask');

/** What a Task asks of its engine. */
export interface TaskOwner {
  /** The engine's control block (slots.ts): a bound task's STATE word is there. */
  readonly taskSlots: Slots;
  [dropCancelled](task: Task): void;
  [stopTask](task: Task, kind: number, reason: unknown): void;
}

/** The upkeep of a task with per-task options, or asked to stop: made only for such a task. */
export class TaskUpkeep {
  /** The `timeout` option (ms of running time). */
  readonly timeout: number | undefined;
  /** ABORTED or TIMED_OUT once asked to stop while running (Task[STOP]), else 0. */
  stop = 0;
  /** What the future rejects with once the task was asked to stop (Task[STOP]). */
  reason: unknown = undefined;
  /** The timeout's timer, the signal's listener (stops.ts). */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  unlisten: (() => void) | undefined = undefined;

  constructor(timeout: number | undefined) {
    this.timeout = timeout;
  }
}

/** The keys by which the engine reaches a Task's state (the private fields behind them). */
export const ENGINE = Symbol('sabsync.task.engine');
export const FN = Symbol('sabsync.task.fn');
export const ARGS = Symbol('sabsync.task.args');
/** The one argument of a task submitted with one (ONE_ARG), else undefined. */
export const ONE = Symbol('sabsync.task.one');
export const CHUNK = Symbol('sabsync.task.chunk');
export const SLOT = Symbol('sabsync.task.slot');
export const GEN = Symbol('sabsync.task.gen');
export const IN_AREA = Symbol('sabsync.task.inArea');
export const STOP = Symbol('sabsync.task.stop');
export const UPKEEP = Symbol('sabsync.task.upkeep');
/** The task's upkeep, made now if it has none. */
export const UPKEPT = Symbol('sabsync.task.upkept');

/** The arguments of a settled task: none (it lets go of its own). */
const NO_ARGS: unknown[] = [];

/**
 * Task[#bits]: the small per-task numbers in one Smi field (a burst keeps one Task per task in
 * flight, and every field is 8 bytes more that each scavenge copies and each mark visits):
 *
 *   bits    what
 *   ------  --------------------------------------------------------------------------------
 *   0–9     SLOT + 2: the slot while bound (0 … TASK_SLOTS - 1), -1 (backlog, settled), TAKEN
 *   10–25   GEN of the slot while bound (16 bits, slots.ts)
 *   26      IN_AREA
 *   27      CHUNK
 *   28      ONE_ARG: #args is the call's one argument, not its list (Engine.submitOne)
 *
 * 29 bits: a Smi on every V8 build (31 bits with pointer compression), never a heap number.
 * STOP, set for few tasks, is in the task's upkeep.
 */
const SLOT_BITS = 10;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const GEN_SHIFT = SLOT_BITS;
const GEN_MASK = 0xffff << GEN_SHIFT;
const IN_AREA_BIT = 1 << 26;
const CHUNK_BIT = 1 << 27;
const ONE_ARG_BIT = 1 << 28;
/** The most task slots SLOT's 10 bits hold (slot + 2 < 1024). */
export const MAX_TASK_SLOTS = SLOT_MASK - 2;

/**
 * One submitted task: its Future, which asks its slot's STATE word while it is bound to one.
 * Few fields (see #bits above, and future.ts), all private: a Future shows no own properties
 * (`Object.keys(future)` is empty, `console.log` prints no engine) and nobody but the engine
 * can change them. The engine reaches them by the symbol-keyed accessors below, which an
 * optimized caller inlines as field accesses. Once the task is settled (or cancelled) it lets
 * go of what it no longer needs — its engine, call and upkeep (#released) —: a future kept
 * after its pool is gone keeps neither the pool nor the task's arguments alive.
 */
export class Task extends Future<unknown> {
  #engine: TaskOwner | undefined;
  #fn: string;
  /** The arguments' list, or with ONE_ARG the one argument (no list kept per task until its bind). */
  #args: unknown;
  /** SLOT, GEN, IN_AREA, CHUNK, ONE_ARG (see above); SLOT -1 to begin with. */
  #bits: number;
  // The upkeep, made for a task with options (signal, timeout) or once it is asked to stop, is
  // the Future's `extra` (with its listeners): not a field of every task.

  /** A call of `fn` with the arguments `args`, or with `one` the one argument `args`. */
  constructor(engine: TaskOwner, fn: string, args: unknown, chunk: 0 | 1, one: boolean) {
    super();
    this.#engine = engine;
    this.#fn = fn;
    this.#args = args;
    this.#bits = 1 | (chunk === 1 ? CHUNK_BIT : 0) | (one ? ONE_ARG_BIT : 0); // SLOT -1
  }

  /** The engine (undefined once settled). */
  get [ENGINE](): TaskOwner | undefined {
    return this.#engine;
  }
  /** The export called ('' once settled). */
  get [FN](): string {
    return this.#fn;
  }
  /** Its arguments (none once settled): with ONE_ARG, a new list of its one argument. */
  get [ARGS](): unknown[] {
    return this.#bits & ONE_ARG_BIT ? [this.#args] : (this.#args as unknown[]);
  }
  get [ONE](): unknown {
    return this.#bits & ONE_ARG_BIT ? this.#args : undefined;
  }
  get [CHUNK](): 0 | 1 {
    return this.#bits & CHUNK_BIT ? 1 : 0;
  }
  /** The slot while bound (slots.ts), else -1 (in the backlog, or settled), or TAKEN. */
  get [SLOT](): number {
    return (this.#bits & SLOT_MASK) - 2;
  }
  set [SLOT](slot: number) {
    this.#bits = (this.#bits & ~SLOT_MASK) | (slot + 2);
  }
  get [GEN](): number {
    return (this.#bits & GEN_MASK) >>> GEN_SHIFT;
  }
  set [GEN](gen: number) {
    this.#bits = (this.#bits & ~GEN_MASK) | (gen << GEN_SHIFT);
  }
  /** Whether the task is written in its slot's area (announced by its number), else put as an item (items.ts). */
  get [IN_AREA](): boolean {
    return (this.#bits & IN_AREA_BIT) !== 0;
  }
  set [IN_AREA](inArea: boolean) {
    this.#bits = inArea ? this.#bits | IN_AREA_BIT : this.#bits & ~IN_AREA_BIT;
  }
  /** ABORTED or TIMED_OUT once asked to stop while running (`upkeep.reason`: what its future rejects with), else 0. */
  get [STOP](): number {
    const upkeep = this[extra] as TaskUpkeep | undefined;
    return upkeep === undefined ? 0 : upkeep.stop;
  }
  set [STOP](stop: number) {
    this[UPKEPT]().stop = stop;
  }
  get [UPKEEP](): TaskUpkeep | undefined {
    return this[extra] as TaskUpkeep | undefined;
  }
  set [UPKEEP](upkeep: TaskUpkeep | undefined) {
    this[extra] = upkeep;
  }

  /** The task's upkeep, made now if it has none. */
  [UPKEPT](): TaskUpkeep {
    let upkeep = this[extra] as TaskUpkeep | undefined;
    if (upkeep === undefined) this[extra] = upkeep = new TaskUpkeep(undefined);
    return upkeep;
  }

  /**
   * A task in the backlog is cancelled by its Future alone; a bound one by the STATE CAS
   * (PENDING -> CANCELLED); a TAKEN one ran. (Only a pending Future asks: its engine is there.)
   */
  override [tryCancel](): boolean {
    const slot = this[SLOT];
    if (slot >= 0) return this.#engine!.taskSlots.cancel(slot, this[GEN]);
    return slot !== TAKEN;
  }

  override [isRunning](): boolean {
    const slot = this[SLOT];
    return slot >= 0 && this.#engine!.taskSlots.claimer(slot, this[GEN]) >= 0;
  }

  override [abortRunning](reason: unknown): void {
    this.#engine![stopTask](this, ABORTED, reason);
  }

  /** `Future.cancel()` won. */
  override [whenCancelled](): void {
    this.#engine![dropCancelled](this);
  }

  /** Settled or cancelled (the engine is done with it): let go of the engine, the call and the upkeep. */
  override [released](): void {
    this.#engine = undefined;
    this.#fn = '';
    this.#args = NO_ARGS;
    this.#bits &= ~ONE_ARG_BIT;
    this[extra] = undefined;
    this[SLOT] = -1;
  }
}

// As for every Future (future.ts): `await`, `Promise.resolve` and `Promise.all` take a Task as it is.
Object.defineProperty(Task.prototype, 'constructor', { value: Promise, writable: true, configurable: true });
