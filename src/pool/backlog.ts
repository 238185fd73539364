/**
 * The owner's backlog (engine.ts): submitted tasks not bound to a task slot yet, oldest first,
 * in the owner's own memory — where a million of them cost no shared memory and cancelling one
 * costs nothing (a cancelled task stays in the array until `next` skips it). `waiting` counts
 * the ones not cancelled.
 */
import type { Task } from './task.js';

/** Past this many taken entries (and half the array), the array is cut down. */
const COMPACT_AFTER = 1024;

export class Backlog {
  #tasks: Task[] = [];
  #head = 0;
  #waiting = 0;

  /** Tasks in the backlog that are not cancelled. */
  get waiting(): number {
    return this.#waiting;
  }

  push(task: Task): void {
    this.#tasks.push(task);
    this.#waiting++;
  }

  /** A task in the backlog was cancelled: it no longer counts (`next` skips it). */
  dropped(): void {
    this.#waiting--;
  }

  /** Take the oldest task not done (cancelled), or undefined. */
  next(): Task | undefined {
    const tasks = this.#tasks;
    while (this.#head < tasks.length) {
      const task = tasks[this.#head]!;
      tasks[this.#head++] = undefined as unknown as Task;
      if (this.#head > COMPACT_AFTER && this.#head * 2 > tasks.length) {
        this.#tasks = tasks.slice(this.#head);
        this.#head = 0;
      }
      if (!task.future.done()) {
        this.#waiting--;
        return task;
      }
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
