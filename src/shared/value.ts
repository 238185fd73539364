/**
 * Value: Python's `multiprocessing.Value` — one number of a C type in shared memory, with an
 * RLock beside it for read-modify-write sequences.
 *
 *   bytes   name   meaning                                         written by
 *   ------  -----  ----------------------------------------------  ---------------------------
 *   0..4    TAG    0x5AB5_0014 (memory.ts)                         the constructor, last
 *   4..8    CODE   typecode index (typecodes.ts) | HAS_LOCK bit    the constructor
 *   8..24   LOCK   an RLock (rlock.ts), when HAS_LOCK              its acquirers and owner
 *   24..32  VALUE  the number, in the typecode's typed array       any thread, `value = x`
 *
 * Every read and write of VALUE is one atomic access, whatever the code: integer codes of up
 * to 32 bits through `Atomics.load` / `store` on their own typed array, 'q' / 'Q' on a
 * BigInt64Array, 'f' as its 32 bits and 'd' as its 64 bits through an integer view. So a
 * reader never sees half a write. What is *not* atomic is a sequence: `v.value += 1` reads,
 * then writes, and another thread's write in between is lost — hold the lock around it, as in
 * Python (`with v.get_lock(): v.value += 1`):
 *
 *     using _ = v.getLock()!.hold();
 *     v.value += 1;
 *
 * A write happens before any read that sees it (sequentially consistent atomics). The lock is
 * an ordinary RLock: a thread that dies holding it is taken over by the next acquirer; the
 * value itself is always whole, so there is nothing to repair.
 */
import { typeError } from '../primitives/errors.js';
import { adopt, attach, handleOf, open, registerKind, type Handle, type PlacementOptions, type Region } from '../primitives/memory.js';
import { RLock } from '../primitives/rlock.js';
import { checkElement, codeInfo, infoAt, type CodeInfo, type AnyTyped, type ElementOf, type Typecode } from './typecodes.js';

const CODE = 1;
const HAS_LOCK = 1 << 8;
const LOCK_AT = 8;
const VALUE_AT = 24;

// Scratch for moving a float's bits through an integer view.
const f32 = new Float32Array(1);
const f32bits = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64bits = new BigInt64Array(f64.buffer);

/** Options of `new Value(typecode, init, options)`. */
export interface ValueOptions extends PlacementOptions {
  /** Whether the value gets an RLock for `getLock()` (default true; Python's `lock=`). */
  lock?: boolean;
}

/**
 * One number in shared memory, of a C type named by a typecode. Python:
 * `multiprocessing.Value(typecode, value, lock=True)`.
 */
export class Value<C extends Typecode = Typecode> {
  /** Bytes a Value occupies in shared memory (any typecode). */
  static readonly byteLength = 32;

  readonly #region: Region;
  readonly #info: CodeInfo;
  readonly #lock: RLock | undefined;
  /** Atomic view of VALUE: the code's own typed array, or an integer view of a float's bits. */
  readonly #cell: AnyTyped;

  /**
   * Create a Value of `typecode` (b B h H i I q Q f d) holding `init` (default 0, or 0n for
   * 'q' / 'Q'), wrapped as the matching typed array wraps it, in new shared memory or at
   * `{ buffer, byteOffset }`. `{ lock: false }`: no lock (`getLock()` is undefined).
   * Throws `TypeError` for a typecode that is not a string or an `init` of the wrong type
   * (a bigint for 'q' / 'Q', a number otherwise), `RangeError` for an unknown typecode.
   */
  constructor(typecode: C, init?: ElementOf<C>, options?: ValueOptions) {
    let info = codeInfo(typecode, 'Value');
    let withLock = true;
    if (!fromHandle) {
      if (options !== undefined && (typeof options !== 'object' || options === null)) throw typeError('Value options must be an object');
      const lock = options?.lock ?? true;
      if (typeof lock !== 'boolean') throw typeError(`Value options.lock must be a boolean, got ${typeof lock}`);
      withLock = lock;
      if (init !== undefined) checkElement(info, init, 'Value');
    }
    this.#region = open(this, 'Value', Value.byteLength, options, (i32) => {
      Atomics.store(i32, CODE, info.index | (withLock ? HAS_LOCK : 0));
      if (withLock) new RLock({ buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset + LOCK_AT });
    });
    const { buffer, byteOffset, i32 } = this.#region;
    const word = Atomics.load(i32, CODE);
    info = infoAt(word & 0xff);
    this.#info = info;
    this.#lock = (word & HAS_LOCK) === 0 ? undefined : RLock.from({ type: 'sabsync:RLock', buffer, byteOffset: byteOffset + LOCK_AT });
    const at = byteOffset + VALUE_AT;
    this.#cell = info.code === 'f' ? new Int32Array(buffer, at, 1) : info.code === 'd' ? new BigInt64Array(buffer, at, 1) : new info.View(buffer, at, 1);
    if (init !== undefined && !fromHandle) this.value = init;
  }

  /** Attach to the Value a handle describes (from any thread). */
  static from<C extends Typecode = Typecode>(handle: Handle<'Value'>): Value<C> {
    const region = attach('Value', handle, () => Value.byteLength);
    const code = infoAt(Atomics.load(region.i32, CODE) & 0xff).code;
    fromHandle = true;
    try {
      return adopt(region, () => new Value(code as C));
    } finally {
      fromHandle = false;
    }
  }

  /** A structured-cloneable description of this Value for `Value.from` / `revive`. */
  get handle(): Handle<'Value'> {
    return handleOf('Value', this.#region);
  }

  /** The typecode given to the constructor. */
  get typecode(): C {
    return this.#info.code as C;
  }

  /** How Node's `console.log` / `util.inspect` shows it: `Value('i', 5)`. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `Value('${this.typecode}', ${inspect(this.value, options)})`;
  }

  /**
   * The number, read atomically. Setting it stores atomically, wrapped as the typecode's typed
   * array wraps it; `TypeError` (nothing stored) for a value of the wrong type.
   * Python: `Value.value`.
   */
  get value(): ElementOf<C> {
    const cell = this.#cell;
    switch (this.#info.code) {
      case 'f':
        f32bits[0] = Atomics.load(cell as Int32Array, 0);
        return f32[0] as ElementOf<C>;
      case 'd':
        f64bits[0] = Atomics.load(cell as BigInt64Array, 0);
        return f64[0] as ElementOf<C>;
      default:
        return Atomics.load(cell as Int32Array, 0) as ElementOf<C>;
    }
  }

  set value(v: ElementOf<C>) {
    checkElement(this.#info, v, 'Value.value');
    const cell = this.#cell;
    switch (this.#info.code) {
      case 'f':
        f32[0] = v as number;
        Atomics.store(cell as Int32Array, 0, f32bits[0]!);
        return;
      case 'd':
        f64[0] = v as number;
        Atomics.store(cell as BigInt64Array, 0, f64bits[0]!);
        return;
      default:
        (Atomics.store as (a: typeof cell, i: number, x: unknown) => unknown)(cell, 0, v);
    }
  }

  /** The value's RLock, or undefined for `{ lock: false }`. Python: `Value.get_lock()`. */
  getLock(): RLock | undefined {
    return this.#lock;
  }
}

// `Value.from` runs the constructor on existing memory: it must neither check nor store `init`.
let fromHandle = false;

registerKind('Value', (h) => Value.from(h));
