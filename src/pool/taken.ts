/**
 * The owner's taken results (pump.ts): tasks whose results the owner has taken out of their
 * task slots (READY) and whose slots it has freed and fed again, but whose Futures it has not
 * settled yet — oldest first, each with its result (`ok` 1, a value) or error (`ok` 0).
 *
 * The owner takes results as soon as it sees them — in the pump before it settles, and inside a
 * long run of `submit()` calls, which may not settle anything — so that the workers get the
 * next tasks at once; it settles them later, from the pump, a turn's worth at a time.
 *
 * A queue of fixed chunks, not one ring: a run of `submit()` calls takes results for as long as
 * it lasts (up to the whole burst: 100,000 in a burst of 100,000 trivial tasks), and a ring
 * that doubled to hold them and was cut back once empty copied every entry several times per
 * burst, and allocated its large arrays again each burst. Chunks are never copied; a used-up
 * chunk is kept as the spare for the next one needed, so a steady flow allocates nothing and the
 * store holds at most two chunks beyond those its entries fill, however many results pass.
 *
 *   head chunk [headAt …) → … → tail chunk [… tailAt): the taken entries, oldest first
 */
import type { Task } from './task.js';

/** One chunk of entries (`tasks`, `values`, `oks` by index), and the next one. */
class Chunk {
  readonly tasks: (Task | undefined)[];
  readonly values: unknown[];
  readonly oks: Uint8Array;
  next: Chunk | undefined = undefined;

  // Holey arrays (no fill): every entry is written before it is read.
  constructor(entries: number) {
    this.tasks = new Array<Task | undefined>(entries);
    this.values = new Array<unknown>(entries);
    this.oks = new Uint8Array(entries);
  }
}

export class Taken {
  /** Entries per chunk. */
  readonly #entries: number;
  #head: Chunk;
  #headAt = 0;
  #tail: Chunk;
  #tailAt = 0;
  #size = 0;
  /** A used-up chunk kept for the next one needed (a steady flow allocates none). */
  #spare: Chunk | undefined = undefined;
  /** Chunks made and not dropped (tests: `room`). */
  #chunks = 1;

  /** A store whose chunks hold `entries` each. */
  constructor(entries: number) {
    this.#entries = entries;
    this.#head = this.#tail = new Chunk(entries);
  }

  /** Results taken and not settled yet. */
  get size(): number {
    return this.#size;
  }

  /** Entries the store has room for now, its spare chunk included (tests: it stays bounded). */
  get room(): number {
    return this.#chunks * this.#entries;
  }

  push(task: Task, ok: 0 | 1, value: unknown): void {
    let tail = this.#tail;
    if (this.#tailAt === this.#entries) {
      const next = this.#spare ?? this.#made();
      this.#spare = undefined;
      tail = tail.next = this.#tail = next;
      this.#tailAt = 0;
    }
    const i = this.#tailAt++;
    tail.tasks[i] = task;
    tail.values[i] = value;
    tail.oks[i] = ok;
    this.#size++;
  }

  /** The oldest taken task (size > 0); `value` and `ok` then describe its result. Its entry is cleared. */
  shift(): Task {
    let head = this.#head;
    if (this.#headAt === this.#entries) {
      // Used up (a later chunk holds the entries): the spare, the chunk before it dropped.
      const next = head.next!;
      head.next = undefined;
      if (this.#spare === undefined) this.#spare = head;
      else this.#chunks--;
      head = this.#head = next;
      this.#headAt = 0;
    }
    const i = this.#headAt++;
    const task = head.tasks[i]!;
    this.value = head.values[i];
    this.ok = head.oks[i] as 0 | 1;
    head.tasks[i] = undefined;
    head.values[i] = undefined;
    if (--this.#size === 0) {
      // Empty: the chunks after the head hold nothing (the tail is the head): start it again.
      this.#headAt = this.#tailAt = 0;
    }
    return task;
  }

  /** What `shift` returned last: the result (ok 1) or error (ok 0). */
  value: unknown = undefined;
  ok: 0 | 1 = 0;

  #made(): Chunk {
    this.#chunks++;
    return new Chunk(this.#entries);
  }
}
