/**
 * What crosses between a pool's owner and its workers, in one place (engine.ts writes tasks and
 * reads results, worker.ts the other way round):
 *
 *   - a task item on the task Queue: one or more tasks, TASK_FIELDS entries each, flattened;
 *   - a result in its task's slot (RESULT[s], slots.ts), the common case;
 *   - a result item on the result Queue, for a result that does not fit its slot or holds
 *     SharedArrayBuffers or primitives (the owner must fetch those before it can decode them),
 *     and for progress values.
 *
 * RESULT[s], RESULT_BYTES per slot, 8-aligned:
 *
 *   byte   what
 *   -----  ---------------------------------------------------------------
 *   0      LEN: bytes of the encoded result (Int32)
 *   4      OK | RAN << 1 (Int32): OK 1 for a value, 0 for an error
 *          description; RAN the task's running time in µs (claim to
 *          result, capped), which tells the owner how long to watch
 *   8      the encoded result (codec.ts `encode`): for a number, its tag,
 *          then the Float64 at byte 16, which the owner reads in place
 *
 * Written by the task's claimer before its READY CAS (slots.ts `publish`), read by the owner
 * after it saw READY: the CAS orders the plain writes before the owner's reads.
 */
import { decode, encode, fallible, T_NUMBER } from '../queue/codec.js';
import { RESULT_BYTES, type Slots } from './slots.js';

/** Entries per task in a task item (`slot, gen, fn, args, chunk, id`). */
export const TASK_FIELDS = 6;

/**
 * The item a worker takes from the task Queue: one or more tasks, `TASK_FIELDS` entries each
 * (`slot, gen, fn, args, chunk, id`), flattened into one array.
 */
export type TaskItem = unknown[];

/**
 * The item a worker puts on the result Queue: a result (`ok` 1) or an error (0) that cannot go
 * in its slot, or a progress value (2: current.ts) of a running task. The owner also puts 0
 * there to wake a pump waiting on that Queue.
 */
export type ResultItem = [slot: number, gen: number, ok: 0 | 1 | 2, value: unknown] | 0;

/** The longest running time RAN records (µs); longer ones read as this. */
const MAX_RAN_US = (1 << 30) - 1;

/** The most bytes of encoded result one slot's area holds. */
export const RESULT_ROOM = RESULT_BYTES - 8;

/** The RESULT areas of one pool's control block. */
export class ResultAreas {
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  /** Unshared memory a result is copied into before `decode` (owner). */
  readonly #pad = new Uint8Array(RESULT_BYTES);

  constructor(slots: Slots) {
    const n = slots.count * RESULT_BYTES;
    this.#u8 = new Uint8Array(slots.buffer, slots.resultsAt, n);
    this.#i32 = new Int32Array(slots.buffer, slots.resultsAt, n >> 2);
    this.#f64 = new Float64Array(slots.buffer, slots.resultsAt, n >> 3);
  }

  /**
   * Write `value` (a result, or with `ok` 0 an error description) into slot `slot`'s area if it
   * belongs there (worker); false if it must go on the result Queue: too large for the area,
   * holding SharedArrayBuffers or primitives, or one that `encode` refuses (the Queue's put
   * then says why).
   */
  write(slot: number, ok: 0 | 1, value: unknown, ranUs: number): boolean {
    let bytes: Uint8Array;
    try {
      bytes = encode(value);
    } catch {
      return false;
    }
    if (bytes.length > RESULT_ROOM || fallible(bytes)) return false;
    const at = slot * RESULT_BYTES;
    this.#i32[at >> 2] = bytes.length;
    this.#i32[(at >> 2) + 1] = ok | (Math.min(ranUs, MAX_RAN_US) << 1);
    this.#u8.set(bytes, at + 8);
    return true;
  }

  /** Whether slot `slot`'s result is a value (1) or an error description (0) (owner, after READY). */
  ok(slot: number): 0 | 1 {
    return (this.#i32[((slot * RESULT_BYTES) >> 2) + 1]! & 1) as 0 | 1;
  }

  /** How long slot `slot`'s task ran, µs (owner, after READY). */
  ranUs(slot: number): number {
    return this.#i32[((slot * RESULT_BYTES) >> 2) + 1]! >>> 1;
  }

  /** Decode slot `slot`'s result (owner, after READY). */
  read(slot: number): unknown {
    const at = slot * RESULT_BYTES;
    const u8 = this.#u8;
    if (u8[at + 8] === T_NUMBER) return this.#f64[(at + 16) >> 3];
    const len = this.#i32[at >> 2]!;
    const pad = this.#pad;
    for (let i = 0; i < len; i++) pad[i] = u8[at + 8 + i]!;
    return decode(pad);
  }
}
