/**
 * SharedList: what Python's `Manager().list()` gives — a list every thread reads and changes —
 * here in shared memory, with no server thread: any queue item as an element (encoded by the
 * queue's codec, so elements come out as copies, and primitives and shared buffers inside
 * them arrive live).
 *
 * Memory: storage.ts draws it (header, undo log, RLock, two indexes, two arenas). The index is
 * the elements in order: slot i names element i's entry, slots 0..COUNT-1 are used; SLOTS =
 * bytes / 16, the most entries B bytes can hold (an entry: 16 bytes + the encoded element,
 * rounded up to 8; a number encodes in 16 bytes, so takes 32).
 *
 * Every method is one operation under the list's RLock (`transact`): atomic with respect to
 * every other method in every thread, and crash safe (storage.ts). `append`, `set`, `get` and
 * `pop()` of the last element are O(1); `pop(i)` of another element writes the other index
 * without slot i and flips to it — O(length), and never a half-shifted list. Elements are
 * encoded before the lock is taken; `get` and iteration decode after it is released, `pop`
 * before it commits (so a pop whose element cannot be decoded here removes nothing).
 */
import { rangeError, typeError } from '../primitives/errors.js';
import { hold, holdAsync } from '../primitives/lockable.js';
import { adopt, attach, handleOf, registerKind, type Handle, type PlacementOptions, type Region } from '../primitives/memory.js';
import { RLock } from '../primitives/rlock.js';
import { encode } from '../queue/codec.js';
import { checkBytes, decodeValue, EMPTY, entrySize, full, layoutOf, layoutOfWords, openContainer, Storage, transact, type Layout } from './storage.js';

/** Options of `new SharedList(options)`. */
export interface SharedListOptions extends PlacementOptions {
  /** Bytes of element storage (default 1 MiB; the list takes about 2.5 × that in all). */
  bytes?: number;
}

function layoutFor(options: { bytes?: number } | undefined): Layout {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw typeError('SharedList options must be an object');
  const bytes = checkBytes(options?.bytes, 'SharedList options.bytes', rangeError, typeError);
  return layoutOf(bytes, bytes >> 4);
}

function checkIndex(i: unknown, method: string): number {
  if (typeof i !== 'number') throw typeError(`SharedList.${method}: index must be a number, got ${typeof i}`);
  if (!Number.isInteger(i)) throw rangeError(`SharedList.${method}: index must be an integer, got ${i}`);
  return i;
}

/** A list in shared memory. Python: `multiprocessing.Manager().list()`. */
export class SharedList<T = unknown> {
  /** Bytes a SharedList with these options occupies (for placement with `{ buffer, byteOffset }`). */
  static byteLength(options?: { bytes?: number }): number {
    return layoutFor(options).byteLength;
  }

  readonly #region: Region;
  readonly #st: Storage;
  readonly #lock: RLock;

  /**
   * Create an empty list with `bytes` of element storage (default 1 MiB), in new shared memory
   * or at `{ buffer, byteOffset }`. `TypeError` / `RangeError` for a bad option.
   */
  constructor(options?: SharedListOptions) {
    const opened = openContainer(this, 'SharedList', layoutFor(options), options);
    this.#region = opened.region;
    this.#st = opened.st;
    this.#lock = opened.lock;
  }

  /** Attach to the SharedList a handle describes (from any thread). */
  static from<T = unknown>(handle: Handle<'SharedList'>): SharedList<T> {
    return adopt(
      attach('SharedList', handle, (i32) => layoutOfWords(i32).byteLength),
      () => new SharedList<T>(),
    );
  }

  /** A structured-cloneable description of this list for `SharedList.from` / `revive`. */
  get handle(): Handle<'SharedList'> {
    return handleOf('SharedList', this.#region);
  }

  /** Bytes of element storage (the `bytes` option rounded up to a multiple of 8). */
  get bytes(): number {
    return this.#st.bytes;
  }

  /** How many elements the list holds. Python: `len(l)`. */
  get length(): number {
    return transact(this.#lock, this.#st, () => this.#st.count);
  }

  /**
   * Add a copy of `item` (any queue item) at the end. Throws `ERR_FULL_STORAGE` if the list
   * has no room for it, `ERR_UNSERIALIZABLE` if it cannot cross threads; the list is then
   * unchanged. Python: `l.append(x)`.
   */
  append(item: T): void {
    const data = this.#encode(item);
    transact(this.#lock, this.#st, () => {
      const st = this.#st;
      const size = entrySize(0, data.length);
      const room = st.room(size);
      if (room === 'full' || st.count >= st.slots) throw this.#full(size);
      if (room === 'compact') st.compact(false);
      st.set(st.base + st.count, st.write(0, 0, '', data));
      st.setCount(st.count + 1);
    });
  }

  /**
   * A copy of element `index` (negative: from the end, as in Python). `RangeError` if there is
   * no such element. Python: `l[i]`.
   */
  get(index: number): T {
    checkIndex(index, 'get');
    const bytes = transact(this.#lock, this.#st, () => this.#st.valueAt(this.#entry(this.#at(index, 'get'))));
    return decodeValue(bytes) as T;
  }

  /**
   * Replace element `index` (negative: from the end) with a copy of `item`. `RangeError` if
   * there is no such element; `ERR_FULL_STORAGE` / `ERR_UNSERIALIZABLE` as `append`; the list
   * is then unchanged. Python: `l[i] = x`.
   */
  set(index: number, item: T): void {
    checkIndex(index, 'set');
    const data = this.#encode(item);
    transact(this.#lock, this.#st, () => {
      const st = this.#st;
      const i = this.#at(index, 'set');
      const old = this.#entry(i);
      const size = entrySize(0, data.length);
      const room = st.room(size, st.sizeAt(old));
      if (room === 'full') throw this.#full(size);
      if (room === 'now') {
        // Written before the old one is let go: its release may hand its bytes back to the
        // bump allocator, which must not overwrite an entry a slot still names (storage.ts).
        st.set(st.base + i, st.write(0, 0, '', data));
        st.release(old);
        return;
      }
      // Give the old element up first, so that compaction does not copy it.
      st.set(st.base + i, EMPTY);
      st.release(old);
      st.compact(false);
      st.set(st.base + i, st.write(0, 0, '', data));
    });
  }

  /**
   * Remove element `index` (default -1, the last; negative: from the end) and return it.
   * `RangeError` if there is no such element (an empty list). Python: `l.pop(i)`.
   */
  pop(index = -1): T {
    checkIndex(index, 'pop');
    return transact(this.#lock, this.#st, () => {
      const st = this.#st;
      const i = this.#at(index, 'pop');
      const e = this.#entry(i);
      const value = decodeValue(st.valueAt(e)) as T;
      const n = st.count;
      if (i < n - 1) {
        const from = st.base;
        const to = st.otherIndex(false);
        const w = st.w;
        w.copyWithin(to, from, from + i);
        w.copyWithin(to + i, from + i + 1, from + n);
        st.flipIndex();
      }
      st.release(e);
      st.setCount(n - 1);
      return value;
    });
  }

  /** Remove every element. Python: `l.clear()`. */
  clear(): void {
    transact(this.#lock, this.#st, () => this.#st.clear());
  }

  /** Copies of the elements, a snapshot taken atomically. Python: `list(l)`. */
  toArray(): T[] {
    const raw = transact(this.#lock, this.#st, () => {
      const st = this.#st;
      const out: Uint8Array[] = [];
      for (let i = 0; i < st.count; i++) out.push(st.valueAt(this.#entry(i)));
      return out;
    });
    return raw.map((b) => decodeValue(b) as T);
  }

  /** Iterate over a snapshot of the elements (`toArray`). */
  [Symbol.iterator](): IterableIterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  /** How Node's `console.log` / `util.inspect` shows it: its elements, as an array's. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `SharedList ${inspect(this.toArray(), options)}`;
  }

  /**
   * Take the list's lock for a sequence of calls and return a guard for `using`: no other
   * thread's method runs on this list until it is disposed. `TimeoutError` if not had within
   * `timeout` ms.
   */
  hold(timeout?: number): Disposable {
    return hold(this.#lock, timeout, 'SharedList');
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this.#lock, timeout, 'SharedList');
  }

  // --- lock held -----------------------------------------------------------------------------

  #encode(item: unknown): Uint8Array {
    const data = encode(item);
    const size = entrySize(0, data.length);
    if (size > this.#st.bytes) throw full('SharedList', `the element takes ${size} bytes; the list holds ${this.#st.bytes} (options.bytes)`);
    return data;
  }

  #full(size: number): Error {
    const st = this.#st;
    return full('SharedList', `no room for ${size} more bytes (${st.live} of ${st.bytes} in use, ${st.count} elements; options.bytes)`);
  }

  /** The slot of Python index `index` (negative: from the end); `RangeError` if none. */
  #at(index: number, method: string): number {
    const n = this.#st.count;
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n) throw rangeError(`SharedList.${method}: index ${index} out of range (length ${n})`);
    return i;
  }

  #entry(i: number): number {
    return this.#st.entry(this.#st.w[this.#st.base + i]!);
  }
}

registerKind('SharedList', (h) => SharedList.from(h));
