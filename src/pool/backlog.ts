/**
 * The owner's backlog (engine.ts, feed.ts): submitted tasks not bound to a task slot yet,
 * oldest first, in the owner's own memory — where a million of them cost no shared memory and
 * cancelling one costs nothing (a cancelled task stays until `next` skips it). `waiting`
 * counts the ones not cancelled.
 *
 * Beside each task, its submit time (slots.ts `clock`, ms) in a Float64Array: kept on the task
 * it would be a heap number per task (see task.ts).
 *
 * A queue of fixed chunks, as taken.ts's store is, not one array: a burst of submits grows the
 * backlog to the whole burst (100,000 in a burst of 100,000 trivial tasks when the workers
 * trail the owner), and one array that grew to hold them copied every entry several times per
 * burst (regrown, then cut down as it emptied: ≈ 6% of the owner's time in such a burst),
 * besides a large array in the old generation into which every new task was stored (a
 * remembered-set entry each). A used-up chunk is kept as the spare for the next one needed.
 *
 *   head chunk [headAt …) → … → tail chunk [… tailAt): the tasks, oldest first
 */
import type { Task } from './task.js';

/** Tasks per chunk. */
const CHUNK = 1024;

/** One chunk of tasks and their submit times (by index), and the next one. */
class Chunk {
  // A holey array (no fill): every entry is written before it is read.
  readonly tasks: (Task | undefined)[] = new Array<Task | undefined>(CHUNK);
  readonly times = new Float64Array(CHUNK);
  next: Chunk | undefined = undefined;
}

export class Backlog {
  #head = new Chunk();
  #headAt = 0;
  #tail = this.#head;
  #tailAt = 0;
  /** A used-up chunk kept for the next one needed (a steady flow allocates none). */
  #spare: Chunk | undefined = undefined;
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
    let tail = this.#tail;
    if (this.#tailAt === CHUNK) {
      const next = this.#spare ?? new Chunk();
      this.#spare = undefined;
      tail = tail.next = this.#tail = next;
      this.#tailAt = 0;
    }
    const i = this.#tailAt++;
    tail.tasks[i] = task;
    tail.times[i] = time;
    this.#waiting++;
  }

  /** A task in the backlog was cancelled: it no longer counts (`next` skips it). */
  dropped(): void {
    this.#waiting--;
  }

  /** Take the oldest task not done (cancelled), or undefined; its submit time is `takenSubmitted`. */
  next(): Task | undefined {
    for (;;) {
      let head = this.#head;
      if (this.#headAt === this.#tailAt && head === this.#tail) {
        // Empty: start the chunk again.
        this.#headAt = this.#tailAt = 0;
        return undefined;
      }
      if (this.#headAt === CHUNK) {
        // Used up (a later chunk holds the tasks): kept as the spare.
        const next = head.next!;
        head.next = undefined;
        this.#spare = head;
        head = this.#head = next;
        this.#headAt = 0;
      }
      const i = this.#headAt++;
      const task = head.tasks[i]!;
      head.tasks[i] = undefined;
      if (task.done()) continue;
      this.#waiting--;
      this.#taken = head.times[i]!;
      return task;
    }
  }

  /** Call `f` on every task still in the backlog (cancelled ones too). */
  forEach(f: (task: Task) => void): void {
    for (let chunk: Chunk | undefined = this.#head, at = this.#headAt; chunk !== undefined; chunk = chunk.next, at = 0) {
      for (let i = at; i < (chunk === this.#tail ? this.#tailAt : CHUNK); i++) f(chunk.tasks[i]!);
    }
  }

  /** Empty the backlog (its tasks were settled otherwise). */
  clear(): void {
    this.#head = this.#tail = new Chunk();
    this.#headAt = this.#tailAt = 0;
    this.#spare = undefined;
    this.#waiting = 0;
  }
}
