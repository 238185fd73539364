/**
 * The storage under SharedDict and SharedList: encoded values (the queue's codec) in an arena,
 * found through an index of slots, every change made atomic by an undo log — in shared memory,
 * under the container's RLock.
 *
 *   word / bytes      name    meaning                                     written by
 *   ----------------  ------  ------------------------------------------  --------------------
 *   0                 TAG     SharedDict / SharedList (memory.ts)         the constructor, last
 *   1                 BYTES   B, bytes of each arena (multiple of 8)      the constructor
 *   2                 SLOTS   S, slots of each index                      the constructor
 *   3                 ARENA   which arena (0 / 1) holds the entries       compaction, clear
 *   4                 INDEX   which index (0 / 1) is live                 compaction, clear, pop(i)
 *   5                 COUNT   keys (dict) / length (list)                 writers
 *   6                 TOMBS   dict: TOMB slots in the live index          writers
 *   7                 USED    bytes handed out in the live arena          writers
 *   8                 LIVE    bytes of the entries the live index reaches writers
 *   9                 UNDO    pairs in the undo log; 0 = nothing pending  writers
 *   10                ORDER   dict: keys inserted so far (wraps at 2^32)  set, update
 *   11..15            —       padding
 *   16..16+2*LOG_PAIRS        undo log: (word index, old value) pairs
 *   bytes LOCK_AT     LOCK    the container's RLock (rlock.ts, 16 bytes)
 *   then              index 0, index 1: S words each
 *   then              arena 0, arena 1: B bytes each
 *
 * A slot holds EMPTY (0), TOMB (1, dict only: a deleted key a probe must walk past) or
 * `offset / 8 + 2`, where `offset` is an entry's place in the live arena. The dict's index is
 * an open-addressed hash table (linear probing, at most 3/4 of S slots used, TOMBS counted);
 * the list's index is its elements in order, slots 0..COUNT-1. An entry, 8-byte aligned:
 *
 *   u32 hash | u32 order | u32 key length in UTF-16 units (k) | u32 value length (n) |
 *   k units | n bytes
 *
 * `order` (dict only) is the key's insertion number, from the ORDER counter, kept when its
 * value is replaced: `keys()` and `entries()` sort by it, so a dict lists its keys in
 * insertion order, as Python's dict and JavaScript's Map do.
 *
 * Space: a new entry goes at USED (a bump allocator); a replaced, deleted or popped entry is
 * just no longer reached (LIVE goes down). When the bump space runs out but the live entries
 * and the new one fit, compaction copies the live entries into the *other* arena and builds
 * the other index (a dict's is rehashed, which also clears its TOMBS), then flips ARENA and
 * INDEX. So deletes free space, and the cost is memory: two arenas and two indexes.
 * `clear()` and the list's `pop(i)` flip to a rebuilt other index the same way.
 *
 * Crash safety (a thread may die at any instruction, holding the lock). Two rules:
 *   1. Entry bytes and index slots are written only where nothing reads them yet: past USED in
 *      the live arena, or anywhere in the other arena and the other index.
 *   2. Every word anything reads — the header words and the live index's slots — is changed
 *      only through `set`, which first appends (word, old value) to the undo log; the
 *      operation's last store, `commit`, empties the log: that one word publishes it all.
 * So a dead writer leaves either a committed operation or a non-empty log. The RLock goes to
 * the next thread that wants it (rawlock.ts takes a dead holder's lock over), and every
 * operation starts, lock held, with `begin()`: a non-empty log there can only be a dead
 * writer's (a live one commits or rolls back before it lets go — `finally`), and `rollback`
 * restores every word it changed, newest first. The entries it wrote are past the restored
 * USED, or in the arena that is again the other one: unreachable, overwritten later.
 *
 * Memory order: every word is read and written plainly, with the RLock held; its acquire and
 * release (sequentially consistent) order one holder's accesses before the next holder's, and
 * a dead holder's stores precede its death mark (liveness.ts), which the taker reads first.
 */
import { misuse } from '../primitives/errors.js';
import { assertCanBlock, runSync } from '../primitives/futex.js';
import { open, type PlacementOptions, type Region } from '../primitives/memory.js';
import { RLock } from '../primitives/rlock.js';
import { fetchSteps, knows, openChannel } from '../queue/buffers.js';
import { decode, fallible, sharedIds } from '../queue/codec.js';
import { logStore, rollbackLog } from '../queue/undolog.js';

const BYTES = 1;
const SLOTS = 2;
const ARENA = 3;
const INDEX = 4;
const COUNT = 5;
const TOMBS = 6;
const USED = 7;
const LIVE = 8;
const UNDO = 9;
const ORDER = 10;
const LOG = 16;
/** Most words one operation changes: a set that compacts first logs under 16. */
const LOG_PAIRS = 24;
/** Where the RLock sits, in bytes from the container's start. */
export const LOCK_AT = (LOG + 2 * LOG_PAIRS) * 4;
const INDEXES_AT = LOCK_AT + RLock.byteLength;

export const EMPTY = 0;
export const TOMB = 1;
/** Bytes of an entry before its key. */
const HEAD = 16;

/** Largest `bytes` a container takes (each of its two arenas). */
export const MAX_BYTES = 1 << 28;
/** Default `bytes`. */
export const DEFAULT_BYTES = 1 << 20;

/** Where the parts of a container live, in bytes from its start. */
export interface Layout {
  readonly bytes: number;
  readonly slots: number;
  readonly arenas: number;
  readonly byteLength: number;
}

export function layoutOf(bytes: number, slots: number): Layout {
  const arenas = (INDEXES_AT + 2 * slots * 4 + 7) & ~7;
  return { bytes, slots, arenas, byteLength: arenas + 2 * bytes };
}

/** The layout recorded in an existing container's words. */
export function layoutOfWords(i32: Int32Array): Layout {
  return layoutOf(Atomics.load(i32, BYTES), Atomics.load(i32, SLOTS));
}

/** Initialise a new container's words (the tag is stamped afterwards, by memory.ts). */
export function initWords(i32: Int32Array, l: Layout): void {
  i32.fill(0, 1, INDEXES_AT >> 2);
  Atomics.store(i32, BYTES, l.bytes);
  Atomics.store(i32, SLOTS, l.slots);
  i32.fill(EMPTY, INDEXES_AT >> 2, (INDEXES_AT >> 2) + 2 * l.slots);
}

/** Bytes an entry with a key of `units` UTF-16 units and a value of `len` bytes takes. */
export function entrySize(units: number, len: number): number {
  return (HEAD + 2 * units + len + 7) & ~7;
}

/** FNV-1a over a key's UTF-16 units. */
export function hashOf(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

/** The error of a container with no room; thrown before anything is changed. */
export function full(what: string, message: string): Error {
  return misuse('ERR_FULL_STORAGE', `${what}: ${message}`);
}

/**
 * A test's hook, called after each logged store with the operation's store count so far: a
 * worker that stops there (and is terminated) dies in the middle of a write.
 */
let afterStore: ((stores: number) => void) | undefined;

/** Set (or clear) the hook called after each logged store (tests only; not in index.ts). */
export function setAfterStore(hook: ((stores: number) => void) | undefined): void {
  afterStore = hook;
}

/** What a container's constructor opens: its memory, the storage engine over it, its lock. */
export interface Opened {
  region: Region;
  st: Storage;
  lock: RLock;
}

/**
 * Open a SharedDict or SharedList of layout `wanted`: create it (in new memory or at
 * `{ buffer, byteOffset }`), or take the region `X.from` is attaching to (memory.ts adopt).
 */
export function openContainer(owner: object, kind: 'SharedDict' | 'SharedList', wanted: Layout, options: PlacementOptions | undefined): Opened {
  const region = open(owner, kind, wanted.byteLength, options, (i32) => {
    initWords(i32, wanted);
    new RLock({ buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset + LOCK_AT });
  });
  const { buffer, byteOffset, i32 } = region;
  const st = new Storage(buffer, byteOffset, layoutOfWords(i32));
  const lock = RLock.from({ type: 'sabsync:RLock', buffer, byteOffset: byteOffset + LOCK_AT });
  openChannel();
  return { region, st, lock };
}

/** The storage engine over one container's memory (every call: lock held). */
export class Storage {
  readonly w: Int32Array;
  readonly bytes: number;
  readonly slots: number;
  readonly #u8: Uint8Array;
  readonly #u16: Uint16Array;
  readonly #arenas: number;

  constructor(buffer: SharedArrayBuffer, byteOffset: number, l: Layout) {
    this.w = new Int32Array(buffer, byteOffset, l.byteLength >> 2);
    this.#u8 = new Uint8Array(buffer, byteOffset, l.byteLength);
    this.#u16 = new Uint16Array(buffer, byteOffset, l.byteLength >> 1);
    this.bytes = l.bytes;
    this.slots = l.slots;
    this.#arenas = l.arenas;
  }

  // --- transactions --------------------------------------------------------------------------

  /** Lock just taken: roll back the operation a dead holder left half done, if any. */
  begin(): void {
    if (this.w[UNDO] !== 0) this.rollback();
  }

  /** Undo-logged store of a word anything reads (a header word or a live slot). */
  set(word: number, value: number): void {
    const logged = logStore(this.w, UNDO, LOG, word, value);
    if (afterStore !== undefined) afterStore(logged);
  }

  /** End the operation: its stores stay. */
  commit(): void {
    this.w[UNDO] = 0;
  }

  /** Undo the current operation's stores, newest first. */
  rollback(): void {
    rollbackLog(this.w, UNDO, LOG);
  }

  // --- header --------------------------------------------------------------------------------

  get count(): number {
    return this.w[COUNT]!;
  }
  setCount(n: number): void {
    this.set(COUNT, n);
  }
  get tombs(): number {
    return this.w[TOMBS]!;
  }
  setTombs(n: number): void {
    this.set(TOMBS, n);
  }
  /** Bytes of the live entries. */
  get live(): number {
    return this.w[LIVE]!;
  }

  // --- index ---------------------------------------------------------------------------------

  /** Word index of slot 0 of index `k` (0 / 1). */
  #indexWord(k: number): number {
    return (INDEXES_AT >> 2) + k * this.slots;
  }

  /** Word index of slot 0 of the live index. */
  get base(): number {
    return this.#indexWord(this.w[INDEX]!);
  }

  /**
   * Word index of slot 0 of the other index, to fill and then `flipIndex`; cleared unless
   * `clear` is false (a list that writes slots 0..COUNT-1 itself: nothing reads past COUNT).
   */
  otherIndex(clear = true): number {
    const other = this.#indexWord(1 - this.w[INDEX]!);
    if (clear) this.w.fill(EMPTY, other, other + this.slots);
    return other;
  }

  /** Make the other index the live one (logged). */
  flipIndex(): void {
    this.set(INDEX, 1 - this.w[INDEX]!);
  }

  // --- entries -------------------------------------------------------------------------------

  /** Byte offset (from the container's start) of the entry slot value `s` names. */
  entry(s: number): number {
    return this.#arenas + this.w[ARENA]! * this.bytes + (s - 2) * 8;
  }

  hashAt(e: number): number {
    return this.w[e >> 2]!;
  }

  /** The insertion number of the entry at `e` (dict). */
  orderAt(e: number): number {
    return this.w[(e >> 2) + 1]! >>> 0;
  }

  /** The next insertion number (logged: a dict's new key takes it). */
  nextOrder(): number {
    const n = (this.w[ORDER]! + 1) | 0;
    this.set(ORDER, n);
    return n >>> 0;
  }

  /** Bytes the entry at `e` takes. */
  sizeAt(e: number): number {
    return entrySize(this.w[(e >> 2) + 2]!, this.w[(e >> 2) + 3]!);
  }

  keyEquals(e: number, key: string): boolean {
    const n = this.w[(e >> 2) + 2]!;
    if (n !== key.length) return false;
    const u16 = this.#u16;
    const at = (e + HEAD) >> 1;
    for (let i = 0; i < n; i++) if (u16[at + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  keyAt(e: number): string {
    const n = this.w[(e >> 2) + 2]!;
    const at = (e + HEAD) >> 1;
    let s = '';
    for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...this.#u16.subarray(at + i, at + Math.min(n, i + 4096)));
    return s;
  }

  /** A copy of the entry's encoded value, in unshared memory. */
  valueAt(e: number): Uint8Array {
    const at = e + HEAD + 2 * this.w[(e >> 2) + 2]!;
    return this.#u8.slice(at, at + this.w[(e >> 2) + 3]!);
  }

  // --- space ---------------------------------------------------------------------------------

  /**
   * Whether an entry of `size` bytes can be written with `freed` bytes of live entries given
   * up first: 'now' (bump space left), 'compact' (only after compaction), 'full' (never).
   */
  room(size: number, freed = 0): 'now' | 'compact' | 'full' {
    const w = this.w;
    if (w[USED]! + size <= this.bytes) return 'now';
    return w[LIVE]! - freed + size <= this.bytes ? 'compact' : 'full';
  }

  /**
   * Write an entry at USED (unreached until a slot names it; `room` said 'now') and account
   * for it; returns the slot value that names it.
   */
  write(hash: number, order: number, key: string, data: Uint8Array): number {
    const w = this.w;
    const off = w[USED]!;
    const e = this.#arenas + w[ARENA]! * this.bytes + off;
    const size = entrySize(key.length, data.length);
    w[e >> 2] = hash;
    w[(e >> 2) + 1] = order;
    w[(e >> 2) + 2] = key.length;
    w[(e >> 2) + 3] = data.length;
    const u16 = this.#u16;
    const at = (e + HEAD) >> 1;
    for (let i = 0; i < key.length; i++) u16[at + i] = key.charCodeAt(i);
    this.#u8.set(data, e + HEAD + 2 * key.length);
    this.set(USED, off + size);
    this.set(LIVE, w[LIVE]! + size);
    return (off >> 3) + 2;
  }

  /** The entry at `e` is no longer reached (its slot was changed): account for its bytes. */
  release(e: number): void {
    const w = this.w;
    const size = this.sizeAt(e);
    this.set(LIVE, w[LIVE]! - size);
    // The newest entry gives its bytes straight back to the bump allocator.
    const off = e - this.#arenas - w[ARENA]! * this.bytes;
    if (off + size === w[USED]) this.set(USED, off);
  }

  /** Drop every entry: a cleared other index becomes live, the arena starts over. */
  clear(): void {
    this.otherIndex();
    this.flipIndex();
    this.set(COUNT, 0);
    this.set(TOMBS, 0);
    this.set(USED, 0);
    this.set(LIVE, 0);
  }

  /**
   * Copy the live entries into the other arena and index and make those live. `hashed`: the
   * index is a hash table (rehash by each entry's hash; TOMBS become 0), else a list (slots
   * 0..COUNT-1 keep their order).
   */
  compact(hashed: boolean): void {
    const w = this.w;
    const from = this.base;
    const to = this.otherIndex();
    const mask = this.slots - 1;
    const target = this.#arenas + (1 - w[ARENA]!) * this.bytes;
    const n = hashed ? this.slots : w[COUNT]!;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const s = w[from + i]!;
      if (s < 2) continue;
      const e = this.entry(s);
      const size = this.sizeAt(e);
      this.#u8.copyWithin(target + used, e, e + size);
      const moved = (used >> 3) + 2;
      if (hashed) {
        let j = w[e >> 2]! & mask;
        while (w[to + j] !== EMPTY) j = (j + 1) & mask;
        w[to + j] = moved;
      } else {
        w[to + i] = moved;
      }
      used += size;
    }
    this.set(ARENA, 1 - w[ARENA]!);
    this.flipIndex();
    this.set(USED, used);
    this.set(LIVE, used);
    if (hashed) this.set(TOMBS, 0);
  }
}

/**
 * Check a `bytes` option: an integer from 64 to MAX_BYTES, rounded up to a multiple of 8.
 * `what` names the option in errors.
 */
export function checkBytes(bytes: unknown, what: string, rangeError: (m: string) => Error, typeError: (m: string) => Error): number {
  if (bytes === undefined) return DEFAULT_BYTES;
  if (typeof bytes !== 'number') throw typeError(`${what} must be a number, got ${typeof bytes}`);
  if (!Number.isInteger(bytes) || bytes < 64 || bytes > MAX_BYTES) {
    throw rangeError(`${what} must be an integer from 64 to ${MAX_BYTES}, got ${bytes}`);
  }
  return (bytes + 7) & ~7;
}

// ---------------------------------------------------------------------------------------------
// What SharedDict and SharedList share around the engine

/**
 * Run `body` as one operation: take the container's lock (waiting as long as it takes; a
 * dead holder's is taken over; `ERR_CANNOT_BLOCK` naming `holdAsync` where it would have to
 * wait and this thread may not block), roll back what a dead writer left (`begin`), run, commit — or
 * roll back if `body` throws, so a call that throws changes nothing — and let the lock go.
 */
export function transact<T>(lock: RLock, st: Storage, body: () => T): T {
  if (!lock.acquire(0)) {
    // Where this thread may not block (a browser main thread), the way in is an awaited
    // `holdAsync()`: inside it the lock is this thread's, and no method waits.
    assertCanBlock('holdAsync');
    lock.acquire();
  }
  try {
    st.begin();
    const r = body();
    st.commit();
    return r;
  } catch (e) {
    st.rollback();
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * Decode a value copied out of a container. One that refers to shared buffers this thread has
 * not received waits for them on the queue's side channel (buffers.ts) first.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  if (fallible(bytes)) {
    const ids = sharedIds(bytes);
    if (!knows(ids)) runSync(fetchSteps(ids, Infinity), 'the container method (no async twin)');
  }
  return decode(bytes);
}
