/**
 * One submitted task as the engine (engine.ts) keeps it: its Future itself, with its call, its
 * slot while it is bound to one (slots.ts) and its per-task options' upkeep — one object per
 * task and no closure: the Future's cancel, running and abort reach the shared STATE word and
 * the engine through the hooks below.
 *
 * No submit time here: the engine keeps it in a Float64Array (backlog.ts, then per slot), since
 * a double in an object's field is a heap number of its own, copied by every scavenge the task
 * lives through.
 */
import { abortRunning, Future, isRunning, tryCancel, whenCancelled } from './future.js';
import { ABORTED, type Slots } from './slots.js';

/** `Future.cancel()` won for a task: the engine forgets it. */
export const dropCancelled = Symbol('dropCancelled');
/** A running task is asked to stop (abort, timeout). */
export const stopTask = Symbol('stopTask');

/** What a Task asks of its engine. */
export interface TaskOwner {
  [dropCancelled](task: Task): void;
  [stopTask](task: Task, kind: number, reason: unknown): void;
}

/** One submitted task: its Future, which asks its slot's STATE word while it is bound to one. */
export class Task extends Future<unknown> {
  readonly engine: TaskOwner;
  readonly slots: Slots;
  readonly fn: string;
  readonly args: unknown[];
  readonly chunk: 0 | 1;
  readonly id: number;
  readonly timeout: number | undefined;
  /** The slot while bound (slots.ts), else -1 (in the backlog, or settled). */
  slot = -1;
  gen = 0;
  /** Whether the task is written in its slot's area (announced by its number), else put as an item (items.ts). */
  inArea = false;
  /** ABORTED or TIMED_OUT once asked to stop while running; `reason` is what its future rejects with. */
  stop = 0;
  reason: unknown;
  /** Per-task options' upkeep: the timeout's timer, the signal's listener. */
  timer: ReturnType<typeof setTimeout> | undefined;
  unlisten: (() => void) | undefined;

  constructor(engine: TaskOwner, slots: Slots, fn: string, args: unknown[], chunk: 0 | 1, id: number, timeout: number | undefined) {
    super();
    this.engine = engine;
    this.slots = slots;
    this.fn = fn;
    this.args = args;
    this.chunk = chunk;
    this.id = id;
    this.timeout = timeout;
  }

  /** A task in the backlog is cancelled by its Future alone; a bound one by the STATE CAS (PENDING -> CANCELLED). */
  override [tryCancel](): boolean {
    return this.slot < 0 || this.slots.cancel(this.slot, this.gen);
  }

  override [isRunning](): boolean {
    return this.slot >= 0 && this.slots.claimer(this.slot, this.gen) >= 0;
  }

  override [abortRunning](reason: unknown): void {
    this.engine[stopTask](this, ABORTED, reason);
  }

  /** `Future.cancel()` won. */
  override [whenCancelled](): void {
    this.engine[dropCancelled](this);
  }
}

// As for every Future (future.ts): `await`, `Promise.resolve` and `Promise.all` take a Task as it is.
Object.defineProperty(Task.prototype, 'constructor', { value: Promise, writable: true, configurable: true });
