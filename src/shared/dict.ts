/**
 * SharedDict: what Python's `Manager().dict()` gives — a dictionary every thread reads and
 * changes — here in shared memory, with no server thread: string keys, any queue item as a
 * value (encoded by the queue's codec, so values come out as copies, and primitives and
 * shared buffers inside them arrive live).
 *
 * Memory: storage.ts draws it (header, undo log, RLock, two indexes, two arenas). The index is
 * an open-addressed hash table over the keys' FNV-1a hashes, linear probing, at most 3/4 of
 * its slots in use (keys + TOMBS); SLOTS = the power of two ≥ bytes / 24, so a dict holds at
 * most 3/4 × SLOTS keys, and B bytes of entries (an entry: 16 bytes + 2 per key character +
 * the encoded value, rounded up to 8; a number value encodes in 16 bytes).
 *
 * Every method is one operation under the dict's RLock (`transact`): atomic with respect to
 * every other method in every thread, and crash safe (storage.ts). A delete leaves a TOMB only
 * where a probe chain continues past it (the next slot is not EMPTY), else EMPTY; compaction
 * rehashes and drops every TOMB. Keys are listed in insertion order (storage.ts, `order`). Values are encoded before the lock is taken and, for `get`
 * and the iterators, decoded after it is released; `update` decodes and runs its function with
 * the lock held, which is what makes it a read-modify-write. The lock is re-entrant: the
 * function of an `update`, or code inside `hold()`, may call the dict's methods.
 */
import { typeError } from '../primitives/errors.js';
import { hold, holdAsync } from '../primitives/lockable.js';
import { adopt, attach, handleOf, registerKind, type Handle, type PlacementOptions, type Region } from '../primitives/memory.js';
import { rangeError } from '../primitives/errors.js';
import { RLock } from '../primitives/rlock.js';
import { encode } from '../queue/codec.js';
import {
  checkBytes,
  decodeValue,
  EMPTY,
  entrySize,
  full,
  hashOf,
  layoutOf,
  layoutOfWords,
  openContainer,
  Storage,
  TOMB,
  transact,
  type Layout,
} from './storage.js';

/** Options of `new SharedDict(options)`. */
export interface SharedDictOptions extends PlacementOptions {
  /** Bytes of entry storage (default 1 MiB; the dict takes about 2.3–2.7 × that in all). */
  bytes?: number;
}

function layoutFor(options: { bytes?: number } | undefined): Layout {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw typeError('SharedDict options must be an object');
  const bytes = checkBytes(options?.bytes, 'SharedDict options.bytes', rangeError, typeError);
  let slots = 8;
  while (slots * 24 < bytes) slots *= 2;
  return layoutOf(bytes, slots);
}

function checkKey(key: unknown, method: string): string {
  if (typeof key !== 'string') throw typeError(`SharedDict.${method}: key must be a string, got ${typeof key}`);
  return key;
}

/**
 * A string-keyed dictionary in shared memory. Python: `multiprocessing.Manager().dict()`.
 */
export class SharedDict<V = unknown> {
  /** Bytes a SharedDict with these options occupies (for placement with `{ buffer, byteOffset }`). */
  static byteLength(options?: { bytes?: number }): number {
    return layoutFor(options).byteLength;
  }

  readonly #region: Region;
  readonly #st: Storage;
  readonly #lock: RLock;
  /** Slot index of the key the last `#find` found (-1: absent) and where it would go. */
  #free = -1;

  /**
   * Create an empty dict with `bytes` of entry storage (default 1 MiB), in new shared memory
   * or at `{ buffer, byteOffset }`. `TypeError` / `RangeError` for a bad option.
   */
  constructor(options?: SharedDictOptions) {
    const opened = openContainer(this, 'SharedDict', layoutFor(options), options);
    this.#region = opened.region;
    this.#st = opened.st;
    this.#lock = opened.lock;
  }

  /** Attach to the SharedDict a handle describes (from any thread). */
  static from<V = unknown>(handle: Handle<'SharedDict'>): SharedDict<V> {
    return adopt(
      attach('SharedDict', handle, (i32) => layoutOfWords(i32).byteLength),
      () => new SharedDict<V>(),
    );
  }

  /** A structured-cloneable description of this dict for `SharedDict.from` / `revive`. */
  get handle(): Handle<'SharedDict'> {
    return handleOf('SharedDict', this.#region);
  }

  /** Bytes of entry storage (the `bytes` option rounded up to a multiple of 8). */
  get bytes(): number {
    return this.#st.bytes;
  }

  /** How many keys the dict holds. Python: `len(d)`. */
  get size(): number {
    return transact(this.#lock, this.#st, () => this.#st.count);
  }

  /** A copy of the value of `key`, or `fallback` (default undefined) if absent. Python: `d.get(k, default)`. */
  get(key: string): V | undefined;
  get<F>(key: string, fallback: F): V | F;
  get(key: string, fallback?: unknown): unknown {
    checkKey(key, 'get');
    const hash = hashOf(key);
    const bytes = transact(this.#lock, this.#st, () => {
      const i = this.#find(key, hash);
      return i < 0 ? undefined : this.#st.valueAt(this.#entry(i));
    });
    return bytes === undefined ? fallback : decodeValue(bytes);
  }

  /** Whether `key` is in the dict. Python: `k in d`. */
  has(key: string): boolean {
    checkKey(key, 'has');
    const hash = hashOf(key);
    return transact(this.#lock, this.#st, () => this.#find(key, hash) >= 0);
  }

  /**
   * Set `key` to a copy of `value` (any queue item). Throws `ERR_FULL_STORAGE` if the dict has
   * no room for it, `ERR_UNSERIALIZABLE` if it cannot cross threads; the dict is then
   * unchanged. Returns the dict. Python: `d[k] = v`.
   */
  set(key: string, value: V): this {
    checkKey(key, 'set');
    const hash = hashOf(key);
    const data = this.#encode(key, value);
    transact(this.#lock, this.#st, () => this.#put(key, hash, data));
    return this;
  }

  /** Remove `key`; whether it was there. Its bytes are free again. Python: `del d[k]`. */
  delete(key: string): boolean {
    checkKey(key, 'delete');
    const hash = hashOf(key);
    return transact(this.#lock, this.#st, () => {
      const i = this.#find(key, hash);
      if (i < 0) return false;
      this.#remove(i);
      return true;
    });
  }

  /** Remove every key. Python: `d.clear()`. */
  clear(): void {
    transact(this.#lock, this.#st, () => this.#st.clear());
  }

  /**
   * Read-modify-write `key` under the dict's lock: call `fn` with a copy of its value
   * (undefined if absent), store what it returns, and return that. No other thread's method
   * runs on this dict in between. If `fn` throws, or the result cannot be stored
   * (`ERR_FULL_STORAGE`, `ERR_UNSERIALIZABLE`), the key keeps its value and the error is
   * thrown. `fn` may call this dict's methods (the lock is re-entrant).
   */
  update<R extends V>(key: string, fn: (old: V | undefined) => R): R {
    checkKey(key, 'update');
    if (typeof fn !== 'function') throw typeError(`SharedDict.update: fn must be a function, got ${typeof fn}`);
    const hash = hashOf(key);
    return transact(this.#lock, this.#st, () => {
      const i = this.#find(key, hash);
      const old = i < 0 ? undefined : (decodeValue(this.#st.valueAt(this.#entry(i))) as V);
      const next = fn(old);
      this.#put(key, hash, this.#encode(key, next));
      return next;
    });
  }

  /** The keys, a snapshot taken atomically. Python: `d.keys()` (a list from a Manager dict). */
  keys(): string[] {
    return transact(this.#lock, this.#st, () => this.#walk((e) => this.#st.keyAt(e)));
  }

  /** Copies of the values, a snapshot taken atomically. Python: `d.values()`. */
  values(): V[] {
    const raw = transact(this.#lock, this.#st, () => this.#walk((e) => this.#st.valueAt(e)));
    return raw.map((b) => decodeValue(b) as V);
  }

  /** `[key, value]` pairs, a snapshot taken atomically. Python: `d.items()`. */
  entries(): [string, V][] {
    const raw = transact(this.#lock, this.#st, () => this.#walk((e) => [this.#st.keyAt(e), this.#st.valueAt(e)] as const));
    return raw.map(([k, b]) => [k, decodeValue(b) as V]);
  }

  /** Iterate over a snapshot of the entries, as a Map does. */
  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** How Node's `console.log` / `util.inspect` shows it: its entries, as a Map's. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `SharedDict ${inspect(new Map(this.entries()), options).replace(/^Map\(\d+\) /, '')}`;
  }

  /**
   * Take the dict's lock for a sequence of calls and return a guard for `using`: no other
   * thread's method runs on this dict until it is disposed. `TimeoutError` if not had within
   * `timeout` ms.
   */
  hold(timeout?: number): Disposable {
    return hold(this.#lock, timeout, 'SharedDict');
  }

  /** Async twin of `hold`. */
  holdAsync(timeout?: number): Promise<Disposable> {
    return holdAsync(this.#lock, timeout, 'SharedDict');
  }

  // --- the hash table (lock held) --------------------------------------------------------------

  /** Encode a value for `key`, checking it can ever fit. */
  #encode(key: string, value: unknown): Uint8Array {
    const data = encode(value);
    const size = entrySize(key.length, data.length);
    if (size > this.#st.bytes) {
      throw full('SharedDict', `the entry for this key takes ${size} bytes; the dict holds ${this.#st.bytes} (options.bytes)`);
    }
    return data;
  }

  #entry(i: number): number {
    return this.#st.entry(this.#st.w[this.#st.base + i]!);
  }

  /** The slot index holding `key`, or -1 (and `#free`: where it would go). */
  #find(key: string, hash: number): number {
    const st = this.#st;
    const w = st.w;
    const base = st.base;
    const mask = st.slots - 1;
    let free = -1;
    for (let j = hash & mask, probes = 0; probes < st.slots; probes++, j = (j + 1) & mask) {
      const s = w[base + j]!;
      if (s === EMPTY) {
        this.#free = free < 0 ? j : free;
        return -1;
      }
      if (s === TOMB) {
        if (free < 0) free = j;
      } else {
        const e = st.entry(s);
        if (st.hashAt(e) === hash && st.keyEquals(e, key)) return j;
      }
    }
    this.#free = free;
    return -1;
  }

  #remove(i: number): void {
    const st = this.#st;
    const e = this.#entry(i);
    const next = st.w[st.base + ((i + 1) & (st.slots - 1))]!;
    // A probe stops at EMPTY: a slot before an EMPTY one ends no chain that needs it.
    if (next === EMPTY) {
      st.set(st.base + i, EMPTY);
    } else {
      st.set(st.base + i, TOMB);
      st.setTombs(st.tombs + 1);
    }
    st.setCount(st.count - 1);
    st.release(e);
  }

  /** Store `data` under `key`; every check before the first store (a throw changes nothing). */
  #put(key: string, hash: number, data: Uint8Array): void {
    const st = this.#st;
    const size = entrySize(key.length, data.length);
    const maxKeys = (st.slots >> 2) * 3;
    const i = this.#find(key, hash);
    const old = i < 0 ? -1 : this.#entry(i);
    const room = st.room(size, old < 0 ? 0 : st.sizeAt(old));
    // The key's insertion number: kept when its value is replaced.
    let order = -1;
    if (room === 'full') throw full('SharedDict', `no room for ${size} more bytes (${st.live} of ${st.bytes} in use; options.bytes)`);
    if (old < 0 && st.count + 1 > maxKeys) throw full('SharedDict', `it holds ${st.count} keys, the most for its bytes (${st.bytes})`);
    if (old >= 0) {
      if (room === 'now') {
        st.set(st.base + i, st.write(hash, st.orderAt(old), key, data));
        st.release(old);
        return;
      }
      order = st.orderAt(old);
      this.#remove(i);
    }
    if (room === 'compact' || st.count + st.tombs + 1 > maxKeys) {
      st.compact(true);
      this.#find(key, hash);
    }
    const slot = this.#free;
    if (st.w[st.base + slot] === TOMB) st.setTombs(st.tombs - 1);
    st.set(st.base + slot, st.write(hash, order < 0 ? st.nextOrder() : order, key, data));
    st.setCount(st.count + 1);
  }

  /** Map every live entry, in insertion order. */
  #walk<T>(f: (e: number) => T): T[] {
    const st = this.#st;
    const found: number[] = [];
    for (let j = 0; j < st.slots; j++) {
      const s = st.w[st.base + j]!;
      if (s >= 2) found.push(st.entry(s));
    }
    found.sort((a, b) => st.orderAt(a) - st.orderAt(b));
    return found.map(f);
  }
}

registerKind('SharedDict', (h) => SharedDict.from(h));
