/**
 * The owner's taken results (pump.ts): tasks whose results the owner has taken out of their
 * task slots (READY) and whose slots it has freed and fed again, but whose Futures it has not
 * settled yet — oldest first, each with its result (`ok` 1, a value) or error (`ok` 0).
 *
 * The owner takes results as soon as it sees them — in the pump before it settles, and inside a
 * long run of `submit()` calls, which may not settle anything — so that the workers get the
 * next tasks at once; it settles them later, from the pump, a turn's worth at a time.
 *
 * A ring: its room is what was taken and unsettled at once at the most (doubled when full, cut
 * back to `keep` when it empties), however many results pass through it — a steady flow keeps
 * it from ever emptying (the pump takes up to TASK_SLOTS at a time and settles a turn's worth).
 *
 *   tasks/values/oks  ring of `room` (a power of two): [head, head + size) mod room are taken
 */
import type { Task } from './task.js';

export class Taken {
  #tasks: (Task | undefined)[];
  #values: unknown[];
  #oks: Uint8Array;
  /** `room - 1` (room: a power of two). */
  #mask: number;
  #head = 0;
  #size = 0;
  /** The room kept when the store empties (a burst may have grown it far beyond). */
  readonly #keep: number;

  constructor(keep: number) {
    let room = 1;
    while (room < keep) room *= 2;
    this.#keep = room;
    this.#mask = room - 1;
    this.#tasks = new Array<Task | undefined>(room).fill(undefined);
    this.#values = new Array<unknown>(room).fill(undefined);
    this.#oks = new Uint8Array(room);
  }

  /** Results taken and not settled yet. */
  get size(): number {
    return this.#size;
  }

  /** Entries the store has room for now (tests: it stays bounded). */
  get room(): number {
    return this.#mask + 1;
  }

  push(task: Task, ok: 0 | 1, value: unknown): void {
    if (this.#size > this.#mask) this.#resize(2 * (this.#mask + 1));
    const i = (this.#head + this.#size++) & this.#mask;
    this.#tasks[i] = task;
    this.#values[i] = value;
    this.#oks[i] = ok;
  }

  /** The oldest taken task (size > 0); `value` and `ok` then describe its result. Its entry is cleared. */
  shift(): Task {
    const i = this.#head;
    const task = this.#tasks[i]!;
    this.value = this.#values[i];
    this.ok = this.#oks[i] as 0 | 1;
    this.#tasks[i] = undefined;
    this.#values[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    if (--this.#size === 0) {
      this.#head = 0;
      if (this.#mask + 1 > this.#keep) this.#resize(this.#keep);
    }
    return task;
  }

  /** What `shift` returned last: the result (ok 1) or error (ok 0). */
  value: unknown = undefined;
  ok: 0 | 1 = 0;

  /** New arrays of `room` entries, the taken ones first, in order. */
  #resize(room: number): void {
    const tasks = new Array<Task | undefined>(room).fill(undefined);
    const values = new Array<unknown>(room).fill(undefined);
    const oks = new Uint8Array(room);
    for (let n = 0; n < this.#size; n++) {
      const i = (this.#head + n) & this.#mask;
      tasks[n] = this.#tasks[i];
      values[n] = this.#values[i];
      oks[n] = this.#oks[i]!;
    }
    this.#tasks = tasks;
    this.#values = values;
    this.#oks = oks;
    this.#mask = room - 1;
    this.#head = 0;
  }
}
