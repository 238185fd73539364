/**
 * What crosses between a pool's owner and its workers, in one place (engine.ts writes tasks and
 * reads results, worker.ts the other way round):
 *
 *   - a task in its slot's area (AREA[s], slots.ts), the common case, announced on the task
 *     Queue by one number, `slot << GEN_BITS | gen` (a FIFO Queue's number takes no lock);
 *   - a task item on the task Queue `[slot, gen, fn, args, chunk, id]`, for a task whose
 *     arguments do not fit its area or hold SharedArrayBuffers or primitives (the worker must
 *     fetch those before it can decode them), or whose export the owner cannot name by index
 *     yet (no worker has reported the module's exports); `args` is the argument list, or its
 *     encoding (a Uint8Array: `takeEncoded`, `keptArgs`, `argsOf`) when the owner encoded it
 *     already to learn that it does not fit, so that each task's arguments are encoded once
 *     (but for the few at the channel's limit: `keptArgs`; and a task put again after a
 *     worker's death is encoded again, from its list: feed.ts);
 *   - a result in its task's area, the common case;
 *   - a result item on the result Queue, for a result that does not fit its area or holds
 *     SharedArrayBuffers or primitives, and for progress values; a result that does not fit
 *     goes as the encoding `write` made of it to learn that (KEPT, `keptResult`, `resultOf`),
 *     so that each result is encoded once (but for the few at the channel's limit, and those
 *     too large for it, which fail as they did).
 *
 * AREA[s], AREA_BYTES per slot, 8-aligned, holds first the task, then its result: the task is
 * written by the owner before its number is put (the put orders the writes before the taker's
 * reads), read only by the worker whose claim won (slots.ts), and that worker reads all of it
 * before it runs the task; the result is written by the same worker over it. The owner writes
 * the area again only after the task settled (slots.ts: a slot is bound again only then). A
 * copy of the number left on the Queue (re-queued after a worker died) loses its claim and
 * reads nothing.
 *
 *   as a task                                   as its result
 *   byte  what                                  byte  what
 *   ----  ------------------------------------  ----  -----------------------------------------
 *   0     ARGS (Int32): NUMBERS (the arguments  0     LEN: bytes of the encoded result (Int32)
 *         are numbers, as Float64s at byte 24)  4     OK | RAN << 1 (Int32): OK 1 for a value,
 *         or ENCODED (codec.ts `encode` of the        0 for an error description; RAN the
 *         argument list at byte 24)                   task's running time in µs (claim to
 *   4     COUNT: numbers, or bytes encoded            result, capped), which tells the owner
 *   8     FN: the export's index in the list          how long to watch
 *         the workers reported (`functionExports`) 8  the encoded result (codec.ts `encode`):
 *   12    CHUNK: 1 for a chunk of a `map`             for a number, its tag, then the Float64
 *   16    ID: the task's id (Float64), written at     at byte 16, which the owner reads in place
 *         the bind for every task: the owner reads
 *         it back for a task it puts as an item
 *   24    the arguments
 *
 * A result is written by the task's claimer before its READY CAS (slots.ts `publish`), read by
 * the owner after it saw READY: the CAS orders the plain writes before the owner's reads.
 */
import { decode, encode, fallible, NUMBER_BYTES, T_NUMBER } from '../queue/codec.js';
import { AREA_BYTES, type Slots } from './slots.js';

/** Bits of GEN in a task's number on the task Queue (slots.ts: GEN has 16). */
const GEN_BITS = 16;
const GEN_MASK = (1 << GEN_BITS) - 1;

/** The number that announces slot `slot`'s GEN `gen` task on the task Queue. */
export function taskNumber(slot: number, gen: number): number {
  return (slot << GEN_BITS) | gen;
}

/** The slot of a task's number. */
export function slotOf(n: number): number {
  return n >>> GEN_BITS;
}

/** The GEN of a task's number. */
export function genOf(n: number): number {
  return n & GEN_MASK;
}

/** Entries of a task item (`slot, gen, fn, args, chunk, id`). */
export const TASK_FIELDS = 6;

/**
 * What a worker takes from the task Queue: a task's number (its task is in its area), or a
 * task item `[slot, gen, fn, args, chunk, id]`.
 */
export type TaskItem = number | unknown[];

/**
 * The item a worker puts on the result Queue: a result (`ok` 1) or an error (0) that cannot go
 * in its area, or a progress value (2: current.ts) of a running task; `ok` 5 or 4 (1 or 0 with
 * KEPT) when `value` is the encoding of that result or error (`takeResult`, `keptResult`,
 * `resultOf`). The owner also puts 0 there to wake a pump waiting on that Queue.
 */
export type ResultItem = [slot: number, gen: number, ok: 0 | 1 | 2 | 4 | 5, value: unknown] | 0;

/**
 * The bit of a result item's `ok` that says its value is the result's encoding, a Uint8Array,
 * not the result itself (a result may be a Uint8Array: the item says which, not the value).
 */
export const KEPT = 4;

/** ARGS of a task whose arguments are numbers. */
const NUMBERS = 1;
/** ARGS of a task whose argument list is encoded. */
const ENCODED = 2;
/** Where a task's arguments start in its area. */
const ARGS_AT = 24;
/** The most bytes of arguments one area holds (numbers: 8 each). */
export const ARGS_ROOM = AREA_BYTES - ARGS_AT;

/** The longest running time RAN records (µs); longer ones read as this. */
const MAX_RAN_US = (1 << 30) - 1;

/** The most bytes of encoded result one slot's area holds. */
export const RESULT_ROOM = AREA_BYTES - 8;

/**
 * A number read from a Float64Array, as a small integer when it is one (not -0). Read as it is,
 * it is a heap double even when it holds 25, and code that computes with it runs in doubles:
 * fib(25) took ≈ 2x as long with its argument read so (bench/pool.bench.mjs).
 */
function small(v: number): number {
  const i = v | 0;
  return i === v && (i !== 0 || 1 / v > 0) ? i : v;
}

/**
 * Whether `args` surely encode to more than ARGS_ROOM bytes, judged without encoding them: a
 * string of more characters, an array of more elements, binary data of more bytes (each takes
 * at least a byte), or a SharedArrayBuffer (it never goes in an area). Large arguments then go
 * straight to the Queue's put, which encodes them once. Only the top level is looked at: those
 * large further down are encoded by `writeTask`, whose encoding the item then carries
 * (`takeEncoded`, `keptArgs`).
 */
function oversized(args: unknown[]): boolean {
  if (args.length > ARGS_ROOM) return true;
  for (const a of args) {
    if (typeof a === 'string') {
      if (a.length > ARGS_ROOM) return true;
    } else if (typeof a === 'object' && a !== null) {
      if (Array.isArray(a)) {
        if (a.length > ARGS_ROOM) return true;
      } else if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
        if (a.byteLength > ARGS_ROOM) return true;
      } else if (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer) return true;
    }
  }
  return false;
}

/**
 * Bytes a task item `[slot, gen, fn, bytes, chunk, id]` takes besides the `bytes` it carries,
 * at most, for an export name of `fnLength` characters: the item's tag and array, its numbers,
 * the name (3 bytes a character at most), the view's and the buffer's headers around the bytes
 * (16). Measured: 45–60 bytes and the name's.
 */
function keptItemBytes(fnLength: number): number {
  return 64 + 3 * fnLength;
}

/**
 * What a task item carries for an argument list whose encoding is `bytes` (`takeEncoded`, a view
 * of the thread's scratch memory), for export `fn` on a channel of `channelBytes` (owner, right
 * after `writeTask`, before anything else encodes):
 *   - a copy of the bytes (the item's own: the scratch memory is written over by the next
 *     `encode`), when the item that carries them surely fits the channel;
 *   - null when the list is surely too large for the channel, carried either way: nested in
 *     the item, the list takes its encoding less its tag (1 byte) and less the padding before
 *     its first aligned part (3 bytes at most: pack.ts aligns each long part to the item's
 *     start, so the paddings after it are the same), plus at least the item's array header (5)
 *     — more than `bytes.length`; the task fails at once, without a copy;
 *   - undefined in between, within a few dozen bytes under the channel's limit, where the view's
 *     and the buffer's headers around the bytes take more than the list nested in the item
 *     would: the item carries the list, and its put encodes it again (a getter in it is read
 *     twice there), so that the largest list the channel takes still goes.
 */
export function keptArgs(bytes: Uint8Array, fn: string, channelBytes: number): Uint8Array | null | undefined {
  if (bytes.length + keptItemBytes(fn.length) <= channelBytes) return bytes.slice();
  return bytes.length > channelBytes ? null : undefined;
}

/**
 * The arguments of a task item as the worker runs them (worker, as it claimed the task: COMPACT
 * only, so the decode does not fail): the list, or the list decoded from the encoding the owner kept (`keptArgs`: a
 * Uint8Array of the item's own, unshared; a caller's list is always an Array).
 */
export function argsOf(args: unknown): unknown[] {
  return args instanceof Uint8Array ? (decode(args) as unknown[]) : (args as unknown[]);
}

/**
 * Bytes a result item `[slot, gen, ok, bytes]` takes besides the `bytes` it carries, at most:
 * the item's tag and array, its numbers, the view's and the buffer's headers around the bytes
 * (16). Measured: 37 bytes; a task item's bound (`keptItemBytes`) holds it with room to spare.
 */
const KEPT_RESULT_BYTES = keptItemBytes(0);

/**
 * What a result item carries for a result whose encoding is `bytes` (`takeResult`, a view of
 * the thread's scratch memory) on a result channel of `channelBytes` (worker, right after
 * `write`, before anything else encodes): a copy of the bytes (the item's own), when the item
 * that carries them surely fits the channel; else undefined, and the item carries the result,
 * which its put encodes again — a result within a few dozen bytes under the channel's limit,
 * where the headers around the bytes take more than the result nested in the item would (as
 * for `keptArgs`), so the largest result the channel takes still goes; and a result too large
 * for the channel, whose put then fails as it always did (the same error: the task's error
 * says the result does not fit the result channel).
 */
export function keptResult(bytes: Uint8Array | undefined, channelBytes: number): Uint8Array | undefined {
  return bytes !== undefined && bytes.length + KEPT_RESULT_BYTES <= channelBytes ? bytes.slice() : undefined;
}

/**
 * The value of a result item as the owner settles its task with (pump.ts, the queued result's
 * read): the value, or with KEPT in `ok` the value decoded from the encoding the worker kept
 * (COMPACT or a bare value only, but a decode that throws fails that task, not the pump).
 */
export function resultOf(ok: number, value: unknown): unknown {
  return ok & KEPT ? decode(value as Uint8Array) : value;
}

/** The areas of one pool's control block. */
export class SlotAreas {
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  /** Unshared memory an area's encoding is copied into before `decode`. */
  readonly #pad = new Uint8Array(AREA_BYTES);
  /**
   * The encoding of the argument list the last `writeTask` found too large for its area: a
   * view of the thread's scratch memory, valid until the next `encode` (`keptArgs` copies it).
   * Only an encoding that decodes without fail is offered (codec.ts `fallible`): a list holding
   * SharedArrayBuffers or primitives (the Queue carries them) or an object met twice goes as
   * the list, so that the Queue decodes that item before its get commits, as before; such a
   * list large further down is still encoded twice.
   */
  #encoded: Uint8Array | undefined;
  /**
   * The encoding of the result the last `write` found too large for its area (worker), as
   * #encoded is for a task's arguments: a view of the thread's scratch memory, offered only when
   * it decodes without fail (`fallible`: a result holding SharedArrayBuffers or primitives, or
   * an object met twice, goes as itself, and the Queue's put encodes it again, as before).
   */
  #result: Uint8Array | undefined;

  constructor(slots: Slots) {
    const n = slots.count * AREA_BYTES;
    this.#u8 = new Uint8Array(slots.buffer, slots.areasAt, n);
    this.#i32 = new Int32Array(slots.buffer, slots.areasAt, n >> 2);
    this.#f64 = new Float64Array(slots.buffer, slots.areasAt, n >> 3);
  }

  // ---- the task (owner writes, claimer reads) ----

  /**
   * Write slot `slot`'s task into its area (owner, before its number is put): export index
   * `fn`, its arguments, `chunk`, `id`. False (the area unchanged in what matters) if it must
   * go on the Queue as an item: arguments too large for the area (`takeEncoded` then gives
   * their encoding if it made one), holding SharedArrayBuffers or primitives, or ones `encode`
   * refuses (the Queue's put then says why). Never throws: a getter (or a proxy's trap) in the
   * list that throws sends it as an item, whose put fails the task with that error.
   */
  writeTask(slot: number, fn: number, args: unknown[], chunk: 0 | 1): boolean {
    this.#encoded = undefined;
    try {
      return this.#writeTask(slot, fn, args, chunk);
    } catch {
      return false;
    }
  }

  /** `writeTask` of a call whose one argument is the number `x`, with no list made for it (owner). */
  writeNumber(slot: number, fn: number, x: number): void {
    const w = (slot * AREA_BYTES) >> 2;
    this.#f64[(slot * AREA_BYTES + ARGS_AT) >> 3] = x;
    this.#i32[w] = NUMBERS;
    this.#i32[w + 1] = 1;
    this.#i32[w + 2] = fn;
    this.#i32[w + 3] = 0;
  }

  /** Write slot `slot`'s task id (owner, at the bind: every task, in its area or not). */
  writeTaskId(slot: number, id: number): void {
    this.#f64[(slot * AREA_BYTES + 16) >> 3] = id;
  }

  /**
   * The encoding the last `writeTask` made of an argument list too large for the area, if any
   * (see #encoded), given up here: no view of a scratch memory that may be replaced is held.
   */
  takeEncoded(): Uint8Array | undefined {
    const bytes = this.#encoded;
    this.#encoded = undefined;
    return bytes;
  }

  #writeTask(slot: number, fn: number, args: unknown[], chunk: 0 | 1): boolean {
    const w = (slot * AREA_BYTES) >> 2;
    const n = args.length;
    let numbers = n <= ARGS_ROOM >> 3;
    for (let i = 0; numbers && i < n; i++) numbers = typeof args[i] === 'number';
    if (numbers) {
      const f = (slot * AREA_BYTES + ARGS_AT) >> 3;
      for (let i = 0; i < n; i++) this.#f64[f + i] = args[i] as number;
      this.#i32[w] = NUMBERS;
      this.#i32[w + 1] = n;
    } else {
      if (oversized(args)) return false; // the item's put encodes them: once, not twice
      let bytes: Uint8Array;
      try {
        bytes = encode(args);
      } catch {
        return false;
      }
      if (fallible(bytes)) return false;
      if (bytes.length > ARGS_ROOM) {
        this.#encoded = bytes;
        return false;
      }
      this.#u8.set(bytes, slot * AREA_BYTES + ARGS_AT);
      this.#i32[w] = ENCODED;
      this.#i32[w + 1] = bytes.length;
    }
    this.#i32[w + 2] = fn;
    this.#i32[w + 3] = chunk;
    return true;
  }

  /** The export index of slot `slot`'s task (its claimer). */
  taskFn(slot: number): number {
    return this.#i32[((slot * AREA_BYTES) >> 2) + 2]!;
  }

  /** Whether slot `slot`'s task is a chunk of a `map` (its claimer). */
  taskChunk(slot: number): 0 | 1 {
    return this.#i32[((slot * AREA_BYTES) >> 2) + 3] as 0 | 1;
  }

  /** The id of slot `slot`'s task (its claimer; the owner, for a task it puts as an item). */
  taskId(slot: number): number {
    return this.#f64[(slot * AREA_BYTES + 16) >> 3]!;
  }

  /** The arguments of slot `slot`'s task (its claimer, before it writes the result). */
  taskArgs(slot: number): unknown[] {
    const w = (slot * AREA_BYTES) >> 2;
    const n = this.#i32[w + 1]!;
    if (this.#i32[w] === NUMBERS) {
      const f = (slot * AREA_BYTES + ARGS_AT) >> 3;
      const args = new Array<unknown>(n);
      for (let i = 0; i < n; i++) args[i] = small(this.#f64[f + i]!);
      return args;
    }
    return this.#decode(slot * AREA_BYTES + ARGS_AT, n) as unknown[];
  }

  /** Decode `len` bytes at byte `at` (copied out of shared memory first: the decoder reads unshared bytes). */
  #decode(at: number, len: number): unknown {
    const u8 = this.#u8;
    const pad = this.#pad;
    for (let i = 0; i < len; i++) pad[i] = u8[at + i]!;
    return decode(pad);
  }

  // ---- the result (claimer writes, owner reads) ----

  /**
   * Write `value` (a result, or with `ok` 0 an error description) into slot `slot`'s area if it
   * belongs there (worker); false if it must go on the result Queue: too large for the area,
   * holding SharedArrayBuffers or primitives, or one that `encode` refuses (the Queue's put
   * then says why). A result too large for the area whose encoding decodes without fail leaves
   * that encoding for `takeResult`, so that its item carries it (`keptResult`): each result is
   * encoded once (a getter in it is read once, and the owner gets that read).
   */
  write(slot: number, ok: 0 | 1, value: unknown, ranUs: number): boolean {
    const at = slot * AREA_BYTES;
    if (typeof value === 'number') {
      // What `encode` writes for a number (codec.ts), without its copy.
      this.#u8[at + 8] = T_NUMBER;
      this.#f64[(at + 16) >> 3] = value;
      this.#i32[at >> 2] = NUMBER_BYTES;
      this.#i32[(at >> 2) + 1] = ok | (Math.min(ranUs, MAX_RAN_US) << 1);
      return true;
    }
    this.#result = undefined; // before every `false` (a number always fits)
    let bytes: Uint8Array;
    try {
      bytes = encode(value);
    } catch {
      return false;
    }
    if (fallible(bytes)) return false;
    if (bytes.length > RESULT_ROOM) {
      this.#result = bytes;
      return false;
    }
    this.#i32[at >> 2] = bytes.length;
    this.#i32[(at >> 2) + 1] = ok | (Math.min(ranUs, MAX_RAN_US) << 1);
    this.#u8.set(bytes, at + 8);
    return true;
  }

  /**
   * The encoding the last `write` made of a result too large for the area, if any (see
   * #result), given up here: no view of a scratch memory that may be replaced is held.
   */
  takeResult(): Uint8Array | undefined {
    const bytes = this.#result;
    this.#result = undefined;
    return bytes;
  }

  /** Whether slot `slot`'s result is a value (1) or an error description (0) (owner, after READY). */
  ok(slot: number): 0 | 1 {
    return (this.#i32[((slot * AREA_BYTES) >> 2) + 1]! & 1) as 0 | 1;
  }

  /** How long slot `slot`'s task ran, µs (owner, after READY). */
  ranUs(slot: number): number {
    return this.#i32[((slot * AREA_BYTES) >> 2) + 1]! >>> 1;
  }

  /** Decode slot `slot`'s result (owner, after READY). */
  read(slot: number): unknown {
    const at = slot * AREA_BYTES;
    if (this.#u8[at + 8] === T_NUMBER) return small(this.#f64[(at + 16) >> 3]!);
    return this.#decode(at + 8, this.#i32[at >> 2]!);
  }
}
