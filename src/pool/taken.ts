/**
 * The owner's taken results (engine.ts): tasks whose results the owner has taken out of their
 * task slots (READY) and whose slots it has freed and fed again, but whose Futures it has not
 * settled yet — oldest first, each with its result (`ok` 1, a value) or error (`ok` 0).
 *
 * The owner takes results as soon as it sees them — in the pump before it settles, and inside a
 * long run of `submit()` calls, which may not settle anything — so that the workers get the
 * next tasks at once; it settles them later, from the pump, a turn's worth at a time.
 *
 *   tasks/values/oks  [ settled … | head: oldest unsettled … | end ]
 */
import type { Task } from './task.js';

export class Taken {
  #tasks: (Task | undefined)[];
  #values: unknown[];
  #oks: number[];
  #head = 0;
  #end = 0;
  /** The room kept when the store empties (a burst may have grown it far beyond). */
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
    this.#tasks = new Array<Task | undefined>(keep).fill(undefined);
    this.#values = new Array<unknown>(keep).fill(undefined);
    this.#oks = new Array<number>(keep).fill(0);
  }

  /** Results taken and not settled yet. */
  get size(): number {
    return this.#end - this.#head;
  }

  push(task: Task, ok: 0 | 1, value: unknown): void {
    const i = this.#end++;
    if (i < this.#tasks.length) {
      this.#tasks[i] = task;
      this.#values[i] = value;
      this.#oks[i] = ok;
    } else {
      this.#tasks.push(task);
      this.#values.push(value);
      this.#oks.push(ok);
    }
  }

  /** The oldest taken task (size > 0); `value` and `ok` then describe its result. Its entry is cleared. */
  shift(): Task {
    const i = this.#head++;
    const task = this.#tasks[i]!;
    this.value = this.#values[i];
    this.ok = this.#oks[i] as 0 | 1;
    this.#tasks[i] = undefined;
    this.#values[i] = undefined;
    if (this.#head === this.#end) this.#reset();
    return task;
  }

  /** What `shift` returned last: the result (ok 1) or error (ok 0). */
  value: unknown = undefined;
  ok: 0 | 1 = 0;

  #reset(): void {
    this.#head = this.#end = 0;
    if (this.#tasks.length > this.#keep) {
      this.#tasks.length = this.#keep;
      this.#values.length = this.#keep;
      this.#oks.length = this.#keep;
    }
  }
}
