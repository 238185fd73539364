/**
 * One submitted task as the engine (engine.ts) keeps it: its call, its slot while it is bound
 * to one (slots.ts), its per-task options' upkeep, and — while bound — its Future's control
 * (TaskControl), so that a task costs no closure: the Future reaches the shared STATE word and
 * the engine through this object.
 */
import { Future, type TaskControl } from './future.js';
import { ABORTED, clock, type Slots } from './slots.js';

/** `Future.cancel()` won for a task: the engine forgets it. */
export const dropCancelled = Symbol('dropCancelled');
/** A running task is asked to stop (abort, timeout). */
export const stopTask = Symbol('stopTask');

/** What a Task asks of its engine. */
export interface TaskOwner {
  [dropCancelled](task: Task): void;
  [stopTask](task: Task, kind: number, reason: unknown): void;
}

/** One submitted task; also its Future's control while it is bound to a slot. */
export class Task implements TaskControl {
  readonly future: Future<unknown>;
  slot = -1;
  gen = 0;
  /** Whether the task is written in its slot's area (announced by its number), else put as an item (items.ts). */
  inArea = false;
  /** When it was submitted (slots.ts `clock`). */
  readonly submitted = clock();
  /** ABORTED or TIMED_OUT once asked to stop while running; `reason` is what its future rejects with. */
  stop = 0;
  reason: unknown;
  /** Per-task options' upkeep: the timeout's timer, the signal's listener. */
  timer: ReturnType<typeof setTimeout> | undefined;
  unlisten: (() => void) | undefined;

  constructor(
    readonly engine: TaskOwner,
    readonly slots: Slots,
    readonly fn: string,
    readonly args: unknown[],
    readonly chunk: 0 | 1,
    readonly id: number,
    readonly timeout: number | undefined,
  ) {
    this.future = new Future(this);
  }

  /** `Future.cancel()` won (Future's cancel hook). */
  cancelled(): void {
    this.engine[dropCancelled](this);
  }

  cancel(): boolean {
    return this.slots.cancel(this.slot, this.gen);
  }

  running(): boolean {
    return this.slots.claimer(this.slot, this.gen) >= 0;
  }

  abort(reason: unknown): void {
    this.engine[stopTask](this, ABORTED, reason);
  }
}
