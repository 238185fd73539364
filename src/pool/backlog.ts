/**
 * The owner's backlog (engine.ts, feed.ts): submitted tasks not bound to a task slot yet,
 * oldest first, in the owner's own memory — where a million of them cost no shared memory and
 * cancelling one costs nothing (a cancelled task stays in the array until `next` skips it).
 * `waiting` counts the ones not cancelled.
 *
 * Beside each task, its submit time (slots.ts `clock`, ms) in a Float64Array: kept on the task
 * it would be a heap number per task (see task.ts).
 *
 *   #tasks  [ taken … | head: oldest not taken … | end ]      #times: the same indices
 */
import type { Task } from './task.js';

/** Past this many taken entries (and half the array), the arrays are cut down. */
const COMPACT_AFTER = 1024;
/** The fewest times the backlog has room for. */
const MIN_TIMES = 64;
/** Room for times that compacting keeps (a steady flow of tasks reuses it). */
const KEEP_TIMES = 4 * COMPACT_AFTER;

export class Backlog {
  #tasks: Task[] = [];
  #times = new Float64Array(MIN_TIMES);
  #head = 0;
  #waiting = 0;
  /** Submit time of the task `next` returned last. */
  #taken = 0;

  /** Tasks in the backlog that are not cancelled. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Submit time (ms) of the task `next` returned last. */
  get takenSubmitted(): number {
    return this.#taken;
  }

  /** Add `task`, submitted at `time` (ms). */
  push(task: Task, time: number): void {
    if (this.#tasks.length === this.#times.length) this.#grow();
    this.#times[this.#tasks.length] = time;
    this.#tasks.push(task);
    this.#waiting++;
  }

  /** Room for more times: twice the size. */
  #grow(): void {
    const times = new Float64Array(this.#times.length * 2);
    times.set(this.#times);
    this.#times = times;
  }

  /** Drop the taken entries (and room the times no longer need). */
  #compact(): void {
    const tasks = this.#tasks;
    const head = this.#head;
    const left = tasks.length - head;
    if (this.#times.length > 4 * Math.max(KEEP_TIMES, left)) {
      const times = new Float64Array(Math.max(KEEP_TIMES, 2 * left));
      times.set(this.#times.subarray(head, tasks.length));
      this.#times = times;
    } else this.#times.copyWithin(0, head, tasks.length);
    this.#tasks = tasks.slice(head);
    this.#head = 0;
  }

  /** A task in the backlog was cancelled: it no longer counts (`next` skips it). */
  dropped(): void {
    this.#waiting--;
  }

  /** Take the oldest task not done (cancelled), or undefined; its submit time is `takenSubmitted`. */
  next(): Task | undefined {
    const tasks = this.#tasks;
    while (this.#head < tasks.length) {
      const i = this.#head++;
      const task = tasks[i]!;
      tasks[i] = undefined as unknown as Task;
      if (task.done()) continue;
      this.#waiting--;
      this.#taken = this.#times[i]!;
      if (this.#head > COMPACT_AFTER && this.#head * 2 > tasks.length) this.#compact();
      return task;
    }
    return undefined;
  }

  /** Call `f` on every task still in the backlog (cancelled ones too). */
  forEach(f: (task: Task) => void): void {
    for (let i = this.#head; i < this.#tasks.length; i++) f(this.#tasks[i]!);
  }

  /** Empty the backlog (its tasks were settled otherwise). */
  clear(): void {
    this.#tasks = [];
    this.#head = 0;
    this.#waiting = 0;
  }
}
