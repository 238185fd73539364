/**
 * `currentTask()`: what a task function running in a pool worker knows of itself — its id, its
 * abort state and signal, and a way to report progress. The worker (worker.ts) opens a scope
 * around every task it runs; outside one, `currentTask()` is undefined.
 *
 * Abort. The owner asks a task to stop by writing its slot's ABORT word (slots.ts: GEN << 2 |
 * KIND) and notifying it. `aborted` is one `Atomics.load` of that word, so a synchronous loop
 * sees an abort without returning to its event loop. `signal` is an AbortSignal for async code:
 * made on first use, it fires at once if the word already says so, else an async park on the
 * word (futex.ts) fires it when the owner's notify comes. Lost wake-up: the park compares the
 * word with the value read just before, so a store between that read and the park makes the
 * park return at once. The scope's end wakes the park itself, so none outlives its task.
 *
 * Progress. At most one progress item per task waits unread on the result channel (PROGRESS[s]:
 * slots.ts). `progress(v)` sends v when none does, else keeps it as the latest value, sent at
 * the next call that finds the channel's copy read, or just before the task's result. So the
 * owner sees the latest value, and a task reporting in a tight loop costs one load per call.
 *
 * The scope lives under a global Symbol, not a module variable: a task module that reaches
 * 'sabsync' through another copy of the package still finds the worker's scope.
 */
import { AbortError, TimeoutError } from '../primitives/errors.js';
import { park, runAsync, wake, type Steps } from '../primitives/futex.js';
import { TIMED_OUT, type Slots } from './slots.js';

/** What `currentTask()` returns inside a pool task. */
export interface TaskContext {
  /** The task's id, unique in its pool. */
  readonly id: number;
  /** Fires when the task is aborted (`future.abort()`, the caller's signal) or times out. */
  readonly signal: AbortSignal;
  /** Whether the task was asked to stop: read from shared memory, fresh at every read. */
  readonly aborted: boolean;
  /** Throw the abort reason (AbortError, or TimeoutError for a timeout) if the task was asked to stop. */
  throwIfAborted(): void;
  /** Report progress to `future.onProgress` callbacks on the owning thread; the latest value wins. */
  progress(value: unknown): void;
}

/** Sends a progress item for slot `slot`'s GEN `gen` task; false if the channel is full now. */
export type ProgressSender = (slot: number, gen: number, value: unknown) => boolean;

const SCOPE = Symbol.for('sabsync.currentTask');

function* changeSteps(i32: Int32Array, index: number, seen: number): Steps<void> {
  yield park(i32, index, seen, Infinity);
}

/** The scope of one running task (worker side). */
export class TaskScope implements TaskContext {
  readonly id: number;
  readonly #slots: Slots;
  readonly #slot: number;
  readonly #gen: number;
  readonly #send: ProgressSender;
  #controller: AbortController | undefined;
  #ended = false;
  #latest: unknown;
  #unsent = false;

  constructor(slots: Slots, slot: number, gen: number, id: number, send: ProgressSender) {
    this.#slots = slots;
    this.#slot = slot;
    this.#gen = gen;
    this.id = id;
    this.#send = send;
  }

  get aborted(): boolean {
    return this.#slots.abortKind(this.#slot, this.#gen) !== 0;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = (this.#controller = new AbortController());
      const kind = this.#slots.abortKind(this.#slot, this.#gen);
      if (kind !== 0) controller.abort(reasonOf(kind));
      else if (!this.#ended) void this.#watch(controller);
    }
    return this.#controller.signal;
  }

  throwIfAborted(): void {
    const kind = this.#slots.abortKind(this.#slot, this.#gen);
    if (kind !== 0) throw reasonOf(kind);
  }

  progress(value: unknown): void {
    if (this.#ended) return;
    this.#latest = value;
    this.#unsent = true;
    this.#flush(false);
  }

  /** Send the unsent latest value: when none is unread (or, with `force`, anyway). */
  #flush(force: boolean): void {
    if (!this.#unsent) return;
    // Counted before the put, so the owner never settles the result with this value unread.
    if (!this.#slots.progressSent(this.#slot, force)) return;
    let sent: boolean;
    try {
      sent = this.#send(this.#slot, this.#gen, this.#latest);
    } catch (error) {
      // A value that cannot cross: dropped, and thrown to the task.
      this.#unsent = false;
      this.#slots.progressRead(this.#slot);
      throw error;
    }
    this.#unsent = !sent; // the channel was full: sent at a later call
    if (!sent) this.#slots.progressRead(this.#slot);
  }

  async #watch(controller: AbortController): Promise<void> {
    const i32 = this.#slots.i32;
    const index = this.#slots.abortIndex(this.#slot);
    for (;;) {
      const seen = Atomics.load(i32, index);
      const kind = this.#slots.abortKind(this.#slot, this.#gen);
      if (kind !== 0) return controller.abort(reasonOf(kind));
      if (this.#ended) return;
      await runAsync(changeSteps(i32, index, seen));
    }
  }

  /** @internal The task has returned (worker): send the latest progress, stop the signal's watch. */
  end(): void {
    try {
      this.#flush(true);
    } catch {
      // progress() threw this to the task already
    }
    this.#ended = true;
    if (this.#controller !== undefined) wake(this.#slots.i32, this.#slots.abortIndex(this.#slot));
  }
}

function reasonOf(kind: number): Error {
  return kind === TIMED_OUT ? new TimeoutError('the task ran longer than its timeout') : new AbortError();
}

/** Open `scope` as the current task's (worker). */
export function enterTask(scope: TaskScope | undefined): void {
  (globalThis as Record<symbol, unknown>)[SCOPE] = scope;
}

/**
 * The task running on this thread, or undefined outside a pool task. Call it at the start of
 * the task and keep the object: after an `await`, a task's leftover callbacks run when the
 * worker may be running its next task.
 */
export function currentTask(): TaskContext | undefined {
  return (globalThis as Record<symbol, unknown>)[SCOPE] as TaskContext | undefined;
}
