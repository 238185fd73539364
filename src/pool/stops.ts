/**
 * Stopping tasks from the owner's side (engine.ts): the caller's AbortSignal and the per-task
 * `timeout`. Both end in the engine's `stopTask` for a running task (its slot's ABORT word) or in
 * the Future's cancel for one not started.
 *
 * Signals: one listener per signal, however many tasks share it (a listener per task would cost
 * one each, and Node warns past 10 on one signal); it goes once the last of them settles. When
 * it fires, the tasks not started are cancelled first, then the running ones stopped: a running
 * one stopped first could free its worker to claim one of the others before its turn came.
 *
 * Timeouts: a task with a `timeout` has an owner timer: while the task is not running it looks
 * again later; once STARTED (stamped by the claimer) is `timeout` ms old it stops the task with
 * TIMED_OUT and a TimeoutError, and TIMEOUT_GRACE_MS later terminates the worker still running
 * it (the crew replaces it like any dead worker; the task settles with its TimeoutError).
 */
import { TimeoutError } from '../primitives/errors.js';
import { PENDING, TIMED_OUT, clock, type Slots } from './slots.js';
import { ENGINE, FN, GEN, SLOT, STOP, stopTask, UPKEEP, UPKEPT, type Task } from './task.js';

/**
 * How long a task that overran its `timeout` may go on after its signal fired before its
 * worker is terminated and replaced (API.md: 1 s).
 */
export const TIMEOUT_GRACE_MS = 1000;

/** How often a task with a `timeout` that has not started yet is looked at again (ms, at least). */
const TIMEOUT_POLL_MS = 5;

/** The signals and timeouts of one pool's tasks. */
export class Stops {
  readonly #facade: string;
  readonly #slots: Slots;
  /** Terminate worker `w` (its task overran its timeout and its grace period). */
  readonly #kill: (w: number) => void;
  /** The unsettled tasks of each caller's signal, and how to stop listening to it. */
  readonly #signals = new Map<AbortSignal, Set<Task>>();
  readonly #unlisteners = new Map<AbortSignal, () => void>();

  constructor(facade: string, slots: Slots, kill: (w: number) => void) {
    this.#facade = facade;
    this.#slots = slots;
    this.#kill = kill;
  }

  /** Abort `task` when `signal` fires (`task[UPKEEP].unlisten` stops that). */
  listen(task: Task, signal: AbortSignal): void {
    let tasks = this.#signals.get(signal);
    if (tasks === undefined) {
      const shared = (tasks = new Set());
      const onAbort = () => {
        this.#signals.delete(signal);
        this.#unlisteners.delete(signal);
        const all = [...shared];
        for (const t of all) t.cancel();
        for (const t of all) t.abort(signal.reason);
      };
      this.#signals.set(signal, tasks);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unlisteners.set(signal, () => signal.removeEventListener('abort', onAbort));
    }
    const shared = tasks;
    shared.add(task);
    task[UPKEPT]().unlisten = () => {
      shared.delete(task);
      if (shared.size === 0 && this.#signals.get(signal) === shared) {
        this.#signals.delete(signal);
        this.#unlisteners.get(signal)?.();
        this.#unlisteners.delete(signal);
      }
    };
  }

  /** Look at `task`'s running time in `ms`; time it out once it ran longer than its timeout. */
  armTimeout(task: Task, ms: number): void {
    const upkeep = task[UPKEPT]();
    upkeep.timer = setTimeout(() => this.#checkTimeout(task), ms);
    upkeep.timer.unref?.();
  }

  /** Drop a settled task's timer and signal listener. */
  forget(task: Task): void {
    const upkeep = task[UPKEEP];
    if (upkeep === undefined) return;
    if (upkeep.timer !== undefined) clearTimeout(upkeep.timer);
    upkeep.timer = undefined;
    upkeep.unlisten?.();
    upkeep.unlisten = undefined;
  }

  #checkTimeout(task: Task): void {
    const upkeep = task[UPKEPT]();
    upkeep.timer = undefined;
    if (task.done() || task[STOP] !== 0) return;
    const timeout = upkeep.timeout!;
    const claimer = task[SLOT] < 0 ? -1 : this.#slots.claimer(task[SLOT], task[GEN]);
    if (claimer < 0) {
      // Not started yet (or its result is on its way): look again later.
      if (task[SLOT] < 0 || this.#slots.stateOf(task[SLOT], task[GEN]) === PENDING) this.armTimeout(task, Math.max(TIMEOUT_POLL_MS, timeout));
      return;
    }
    const started = this.#slots.started[task[SLOT]]!;
    const ran = started === started ? clock() - started : 0;
    if (ran < timeout) return this.armTimeout(task, timeout - ran);
    task[ENGINE]![stopTask](task, TIMED_OUT, new TimeoutError(`${this.#facade}: task '${task[FN]}' ran longer than its timeout of ${timeout} ms`));
    // A task that ignores its signal has its worker terminated after the grace period.
    const slot = task[SLOT];
    const gen = task[GEN];
    upkeep.timer = setTimeout(() => {
      upkeep.timer = undefined;
      const w = this.#slots.claimer(slot, gen);
      if (w >= 0 && !task.done()) this.#kill(w);
    }, TIMEOUT_GRACE_MS);
    upkeep.timer.unref?.();
  }
}
