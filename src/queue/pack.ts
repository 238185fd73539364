/**
 * The queue's packer: any structured-cloneable value to tagged bytes and back, in one walk,
 * in plain JavaScript — no `node:v8`, so an item is the same set of values in every runtime.
 * `SharedArrayBuffer`s stay shared (they travel by id: buffers.ts) and sabsync primitives
 * arrive live. codec.ts wraps what this writes in an envelope. This file walks plain data
 * (numbers, strings, plain objects, dense arrays) and keeps the walk's state; the string items
 * are bytes.ts's, every other kind is rich.ts's.
 *
 *   tag  item              then
 *   ---  ----------------  -----------------------------------------------------------------
 *   0-3  undefined, null, false, true: nothing
 *   4    INT               i32
 *   5    FLOAT             float64 (-0, NaN and every other double that is no int32)
 *   6    STRING            u32 byte length, UTF-8                                   (bytes.ts)
 *   7    ARRAY             u32 length, the elements (no holes, no other own keys)
 *   8    OBJECT            u8 hint, u32 byte length of the keys, zero bytes up to a multiple
 *                          of 4 from the item's start, the keys (string items), then the
 *                          values, one per key: the own enumerable keys of a plain object
 *                          or a class instance (which structured clone copies as a plain
 *                          object). The keys are the object's SHAPE: see below
 *   9    UTF16             u32 length, UTF-16 code units                            (bytes.ts)
 *   10   REF               u32 index: the index-th object of this item met again (a cycle or
 *                          a shared reference; objects count from 0 in the order first met)
 *   11   OBJECT_PROTO      u32 key count, then key and value, per key: an object with an own
 *                          `__proto__` key among its keys (made by defining each key)
 *   12   SPARSE … 27 PRIMITIVE: the other kinds                                    (rich.ts)
 *   28   ASCII             u8 length, u8 hint, [padding], characters: short ASCII   (bytes.ts)
 *
 * An item starts 4-aligned in its memory (codec.ts), and its long parts that are compared or
 * copied whole (an OBJECT's keys, the characters of an ASCII string of 8 or more) start at a
 * multiple of 4 from the item's start: a word at a time, ≈ 3× faster than a byte at a time.
 *
 * All numbers little-endian.
 *
 * Shapes. Items are mostly objects of a few shapes, met again and again. Each item still
 * carries its keys — the decoder runs on other threads, maybe several, that never saw the
 * encoder's — but neither side redoes the work per object:
 * - the encoder keeps the key bytes of recent shapes (SHAPES slots, by a hash of the keys'
 *   lengths and first characters), found again by comparing the keys `Object.keys` returns
 *   with the cached ones (V8 hands out the same internalized strings, so each comparison is one
 *   pointer test), and copies them in one block;
 * - the decoder keeps, per thread, the key bytes it last met in each of 256 slots with the keys
 *   it made of them (made the engine's own property names once met again: `keptKeys`); the
 *   item's hint (the encoder's hash) picks the slot, and the key bytes are compared whole before
 *   the keys are taken, so a wrong hint costs a miss, never wrong keys.
 * Both sides then read and write an object's first UNROLLED fields at a site of their own per
 * key position (`packValues`, `objectOf`), so that the engine's caches of those sites see one
 * key each for objects of one shape.
 * What it saves, measured: see codec.ts.
 *
 * The decoder keeps a table of the objects it makes only for an item that needs one (`graph`:
 * the item has a REF, is deep, or is shared).
 *
 * Trust: the walk runs user code (getters, proxies' traps), once per property. A getter may put
 * another item in the middle of a walk: codec.ts gives that inner walk a state of its own
 * (`saveWalk` / `restoreWalk`); the shape caches are only ever added to whole, so an inner walk
 * cannot spoil an outer one's. The decoder trusts only tags the encoder wrote: no user key or
 * value can pass for a buffer or a primitive, and an OBJECT's keys never hold `__proto__`.
 */
import { misuse } from '../primitives/errors.js';
import { align4, C_ASCII, C_STRING, C_UTF16, cursor, packText, readF64, readU32, readWordsOf, room, scratch, scratch32, swapScratch, unpackAscii, unpackString, unpackUtf16, unpackUtf8, wordBase, writeF64, words, writeU32 } from './bytes.js';
import { packOther, unpackOther } from './rich.js';

// What pack.ts exported before bytes.ts was split off it, still reachable from here.
export { C_STRING, C_UTF16, readText, readU32, room, scratch, writeText, writeU32 } from './bytes.js';

/** The error for a value that cannot cross threads. */
export function unserializable(what: string, cause?: unknown): Error {
  return misuse('ERR_UNSERIALIZABLE', `cannot send ${what} through a queue`, cause === undefined ? undefined : { cause });
}

export const C_UNDEFINED = 0;
export const C_NULL = 1;
export const C_FALSE = 2;
export const C_TRUE = 3;
const C_INT = 4;
const C_FLOAT = 5;
const C_ARRAY = 7;
const C_OBJECT = 8;
export const C_REF = 10;
export const C_OBJECT_PROTO = 11;

// ---------------------------------------------------------------------------------------------
// the walk's state

/**
 * The objects met so far in this walk, by index: the first SEEN_FEW in a short list scanned
 * linearly (a small item has one or two), then a Map, where scanning would cost more than hashing.
 */
const SEEN_FEW = 16;
let seenFew: unknown[] = new Array<unknown>(SEEN_FEW).fill(undefined);
let seenCount = 0;
let seenMany: Map<object, number> | undefined;

/** What the last walk found: ids of the shared buffers it wrote; whether it needs a table. */
export interface Walk {
  ids: string[];
  /** The item holds a REF or nests deeper than PACK_DEPTH: its decoding keeps a table. */
  graph: boolean;
  /** The item holds a shared buffer or a primitive. */
  shared: boolean;
}
export let walk: Walk = { ids: [], graph: false, shared: false };

/** The walk's state, for a walk started inside another (a getter that puts): see codec.ts. */
export interface WalkState {
  scratch: Uint8Array<ArrayBuffer>;
  pos: number;
  seenFew: unknown[];
  seenCount: number;
  seenMany: Map<object, number> | undefined;
  walk: Walk;
}

/** Put the current walk aside, and give the next one fresh scratch memory of its own. */
export function saveWalk(): WalkState {
  const saved = { scratch: swapScratch(new Uint8Array(1024)), pos: cursor.w, seenFew, seenCount, seenMany, walk };
  seenFew = new Array<unknown>(SEEN_FEW).fill(undefined);
  seenCount = 0;
  seenMany = undefined;
  walk = { ids: [], graph: false, shared: false };
  return saved;
}

export function restoreWalk(s: WalkState): void {
  swapScratch(s.scratch);
  cursor.w = s.pos;
  ({ seenFew, seenCount, seenMany, walk } = s);
}

/** Record `v` as met; returns -1 if it is new, else the index it was first met at. */
function visit(v: object): number {
  if (seenMany !== undefined) {
    const i = seenMany.get(v);
    if (i !== undefined) return i;
    seenMany.set(v, seenMany.size);
    return -1;
  }
  for (let i = 0; i < seenCount; i++) if (seenFew[i] === v) return i;
  if (seenCount < SEEN_FEW) {
    seenFew[seenCount++] = v;
  } else {
    seenMany = new Map<object, number>();
    for (let i = 0; i < SEEN_FEW; i++) seenMany.set(seenFew[i] as object, i);
    seenMany.set(v, SEEN_FEW);
  }
  return -1;
}

/** Forget the objects met: the lists must not keep the caller's data alive. */
function forget(): void {
  for (let i = 0; i < seenCount; i++) seenFew[i] = undefined;
  seenCount = 0;
  seenMany = undefined;
}

/**
 * Objects nested deeper than this make the item a `graph`. The decoder recurses once per level,
 * and a plain item is decoded after its get is committed (queue.ts), so its depth must fit in
 * any thread's stack; a deeper item is decoded before, where a stack overflow leaves it queued.
 */
const PACK_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// pack

/**
 * Pack `v` into the scratch memory at `at`; returns the end. `lastWalk()` tells what it held.
 * Throws `ERR_UNSERIALIZABLE` for what structured clone refuses (functions, symbols, WeakMaps,
 * Promises, ...) and for a value nested deeper than this thread's stack can walk.
 */
export function packItem(v: unknown, at: number): number {
  cursor.w = at;
  walk.graph = false;
  walk.shared = false;
  if (walk.ids.length > 0) walk.ids = [];
  try {
    pack(v, 0);
    return cursor.w;
  } catch (e) {
    if (overflowed(e)) throw unserializable('this value (nested too deeply for this thread)', e);
    throw e;
  } finally {
    forget();
  }
}

/** What the last `packItem` found. */
export function lastWalk(): Walk {
  return walk;
}

/** Whether `e` is the engine's stack overflow (a RangeError; V8 and JSC say "call stack"). */
function overflowed(e: unknown): boolean {
  return e instanceof RangeError && /call stack|too much recursion/i.test(e.message);
}

/** Pack string `s` at `at` (a top-level item, codec.ts); returns the end. */
export function packString(s: string, at: number): number {
  cursor.w = at;
  packText(s);
  return cursor.w;
}

/** Pack `x` as an INT if it is an int32 (not -0): whether it was. */
function packInt(x: unknown): boolean {
  if (typeof x !== 'number' || (x | 0) !== x || (x === 0 && 1 / x < 0)) return false;
  const pos = cursor.w;
  if (pos + 5 > scratch.length) room(pos + 5);
  const buf = scratch;
  buf[pos] = C_INT;
  buf[pos + 1] = x;
  buf[pos + 2] = x >> 8;
  buf[pos + 3] = x >> 16;
  buf[pos + 4] = x >> 24;
  cursor.w = pos + 5;
  return true;
}

/** Pack `v`, nested `depth` objects deep, at the write cursor (advancing it). */
export function pack(v: unknown, depth: number): void {
  const pos = cursor.w;
  if (pos + 9 > scratch.length) room(pos + 9);
  // Tests of `typeof v` against constants, not a switch on it: the engine compiles each test to
  // a check of v's type, where a switch first makes the type's name (a builtin call).
  if (typeof v === 'string') return packText(v);
  if (typeof v === 'number') {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      scratch[pos] = C_INT;
      writeU32(pos + 1, v);
      cursor.w = pos + 5;
    } else {
      scratch[pos] = C_FLOAT;
      writeF64(pos + 1, v);
      cursor.w = pos + 9;
    }
    return;
  }
  if (typeof v === 'boolean') {
    scratch[pos] = v ? C_TRUE : C_FALSE;
    cursor.w = pos + 1;
    return;
  }
  if (v === undefined) {
    scratch[pos] = C_UNDEFINED;
    cursor.w = pos + 1;
    return;
  }
  // bigint, or what structured clone refuses
  if (typeof v !== 'object') return packOther(v, depth);
  if (v === null) {
    scratch[pos] = C_NULL;
    cursor.w = pos + 1;
    return;
  }
  const seen = visit(v);
  if (seen >= 0) {
    walk.graph = true;
    scratch[pos] = C_REF;
    writeU32(pos + 1, seen);
    cursor.w = pos + 5;
    return;
  }
  if (depth === PACK_DEPTH) walk.graph = true;
  // An array by `Array.isArray` (inlined by the engine), not by its prototype
  // (`Object.getPrototypeOf` is a call into the engine's runtime, ≈ 15 ns): structured clone makes
  // a plain array of any array, whatever its prototype (a subclass's instance, a null one), and
  // a dense one comes out the same from an ARRAY as from a SPARSE item.
  if (Array.isArray(v) && isDense(v as unknown[])) {
    const a = v as unknown[];
    const n = a.length;
    scratch[pos] = C_ARRAY;
    writeU32(pos + 1, n);
    cursor.w = pos + 5;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      // A string or an int element is the common case: no second dispatch.
      if (typeof x === 'string') packText(x);
      else if (!packInt(x)) pack(x, depth + 1);
    }
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if ((proto === Object.prototype || proto === null) && !Array.isArray(v)) return packObject(v as Record<string, unknown>, depth);
  packOther(v, depth);
}

/**
 * Whether array `a` has no holes and no own keys but its indices: then its keys are exactly
 * `0..length-1`, which holds when there are as many keys as elements and the last key (indices
 * come first, in order, then other keys) is the last index. Holes and extra properties
 * (`Object.assign([1, , 3], { x: 1 })`), which structured clone keeps, make a SPARSE item.
 */
function isDense(a: unknown[]): boolean {
  const n = a.length;
  if (n === 0) return Object.keys(a).length === 0;
  const keys = Object.keys(a);
  return keys.length === n && keys[n - 1] === (n <= INDEX_NAMES.length ? INDEX_NAMES[n - 1] : String(n - 1));
}

/** '0', '1', ...: the last key of a dense array, made once. */
const INDEX_NAMES: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** Shapes the encoder keeps: the keys of each, and their bytes as written (see the header). */
const SHAPES = 64;
const shapeKeys: (string[] | undefined)[] = new Array<string[] | undefined>(SHAPES).fill(undefined);
const shapeBytes: Uint8Array[] = new Array<Uint8Array>(SHAPES).fill(new Uint8Array(0));
/** The same bytes as words (their buffers are padded to whole words). */
const shapeWords: Int32Array[] = new Array<Int32Array>(SHAPES).fill(new Int32Array(0));
const shapeHints: number[] = new Array<number>(SHAPES).fill(0);

/** The slot of the shape the last OBJECT packed was of: items in a row mostly share one. */
let lastShape = 0;

/** Pack the own enumerable string keys of `o` and their values, as an OBJECT. */
export function packObject(o: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(o);
  const n = keys.length;
  // The last shape first: its keys compared (pointer tests) before any hashing.
  let slot = lastShape;
  let known = shapeKeys[slot];
  let same = known !== undefined && known.length === n;
  for (let i = 0; same && i < n; i++) same = known![i] === keys[i];
  if (!same) {
    let h = n;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      h = (h * 31 + k.length * 7 + (k.length > 0 ? k.charCodeAt(0) : 0)) | 0;
    }
    slot = (h ^ (h >>> 11)) & (SHAPES - 1);
    known = shapeKeys[slot];
    same = known !== undefined && known.length === n;
    for (let i = 0; same && i < n; i++) same = known![i] === keys[i];
  }
  const start = cursor.w;
  if (same) {
    const bytes = shapeBytes[slot]!;
    const len = bytes.length;
    if (start + 9 + len > scratch.length) room(start + 9 + len);
    const buf = scratch;
    buf[start] = C_OBJECT;
    buf[start + 1] = shapeHints[slot]!;
    buf[start + 2] = len;
    buf[start + 3] = len >>> 8;
    buf[start + 4] = len >>> 16;
    buf[start + 5] = len >>> 24;
    // The keys start 4-aligned: copied a word at a time.
    const at = (start + 9) & ~3;
    for (let i = start + 6; i < at; i++) buf[i] = 0;
    const w = scratch32;
    const from = shapeWords[slot]!;
    const to = at >> 2;
    const nw = len >> 2;
    for (let i = 0; i < nw; i++) w[to + i] = from[i]!;
    for (let i = nw << 2; i < len; i++) buf[at + i] = bytes[i]!;
    cursor.w = at + len;
  } else if (!writeShape(keys, slot, start)) {
    return packProtoKeyed(o, keys, depth);
  }
  lastShape = slot;
  packValues(o, keys, depth + 1);
}

/**
 * Pack the values of `o`'s `keys` in order, nested `depth` deep. One load site per key position
 * up to UNROLLED: each site's inline cache sees the key at its position — one name for one
 * shape, a few for a few — where a single site sees every key and goes megamorphic (a lookup
 * per load): measured ≈ 15 ns less per key for objects of one shape, the same for many.
 */
function packValues(o: Record<string, unknown>, keys: readonly string[], depth: number): void {
  const n = keys.length;
  if (n === 0) return;
  packValue(o[keys[0]!], depth);
  if (n === 1) return;
  packValue(o[keys[1]!], depth);
  if (n === 2) return;
  packValue(o[keys[2]!], depth);
  if (n === 3) return;
  packValue(o[keys[3]!], depth);
  if (n === 4) return;
  packValue(o[keys[4]!], depth);
  if (n === 5) return;
  packValue(o[keys[5]!], depth);
  if (n === 6) return;
  packValue(o[keys[6]!], depth);
  if (n === 7) return;
  packValue(o[keys[7]!], depth);
  for (let i = UNROLLED; i < n; i++) packValue(o[keys[i]!], depth);
}

/** Key positions with a property access site of their own (`packValues`, `objectOf`). */
const UNROLLED = 8;

/** Pack `x`, nested `depth` deep: a string or an int without a second dispatch. */
function packValue(x: unknown, depth: number): void {
  if (typeof x === 'string') packText(x);
  else if (!packInt(x)) pack(x, depth);
}

/**
 * Write the OBJECT header and keys of a shape met for the first time (in its slot), and keep
 * its bytes; false (nothing written) if a key is `__proto__`, which an OBJECT never holds.
 */
function writeShape(keys: string[], slot: number, start: number): boolean {
  const n = keys.length;
  for (let i = 0; i < n; i++) if (keys[i] === '__proto__') return false;
  room(start + 9);
  const at = align4(start + 6);
  for (let i = start + 6; i < at; i++) scratch[i] = 0;
  cursor.w = at;
  for (let i = 0; i < n; i++) packText(keys[i]!);
  const len = cursor.w - at;
  // The hint: the slot, and two bits of the key count (the decoder has 256 slots).
  const hint = slot | ((n & 3) << 6);
  scratch[start] = C_OBJECT;
  scratch[start + 1] = hint;
  writeU32(start + 2, len);
  const kept = new Uint8Array(align4(len));
  kept.set(scratch.subarray(at, cursor.w));
  shapeBytes[slot] = kept.subarray(0, len);
  shapeWords[slot] = new Int32Array(kept.buffer);
  shapeKeys[slot] = keys;
  shapeHints[slot] = hint;
  return true;
}

/** Pack an object with an own `__proto__` key: an OBJECT_PROTO, each key beside its value. */
function packProtoKeyed(o: Record<string, unknown>, keys: string[], depth: number): void {
  const start = cursor.w;
  room(start + 5);
  scratch[start] = C_OBJECT_PROTO;
  writeU32(start + 1, keys.length);
  cursor.w = start + 5;
  for (const k of keys) {
    packText(k);
    pack(o[k], depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// unpack

/** Whether this decoding keeps the table of objects made (`graph` and shared items). */
let tracking = false;
let table: unknown[] = [];

/**
 * Unpack the item at `at` of `b`. `graph`: the item may refer back to its objects (REF), so
 * keep a table of them.
 */
export function unpackItem(b: Uint8Array, at: number, graph: boolean): unknown {
  readWordsOf(b);
  cursor.r = at;
  tracking = graph;
  if (!graph) return unpack(b);
  table = [];
  try {
    return unpack(b);
  } finally {
    // Forget the objects: the table must not keep the item alive.
    tracking = false;
    table = [];
  }
}

/** Unpack the UTF-8 string laid out as a STRING item at `at` (its tag byte is not read). */
export function unpackStringAt(b: Uint8Array, at: number): string {
  cursor.r = at;
  return unpackUtf8(b);
}

/** Record a new object in the table (when tracking); returns it. */
export function made<T>(o: T): T {
  if (tracking) table.push(o);
  return o;
}

/** Hold a place in the table for an object made after its parts (-1 when not tracking). */
export function reserve(): number {
  return tracking ? table.push(undefined) - 1 : -1;
}

/** Fill the place `reserve` held. */
export function fill<T>(slot: number, o: T): T {
  if (slot >= 0) table[slot] = o;
  return o;
}

/** The index-th object made in this item (a REF). */
function refTo(i: number): unknown {
  if (!tracking || i >= table.length) throw new Error(`sabsync queue: corrupt item (reference ${i})`);
  return table[i];
}

/** Shapes the decoder keeps (see the header): by the item's hint, key bytes (and words) and the keys. */
const knownBytes: Uint8Array[] = new Array<Uint8Array>(256).fill(new Uint8Array(0));
const knownWords: Int32Array[] = new Array<Int32Array>(256).fill(new Int32Array(0));
const knownKeys: string[][] = new Array<string[]>(256).fill([]);
/**
 * Whether a kept shape's keys were made the engine's own names (`internalized`): at its first
 * hit, not when it is kept, so that shapes met once (more shapes than the cache holds, cycling)
 * never pay for it (≈ 1 µs a key).
 */
const knownInterned = new Uint8Array(256);

/** The keys of the OBJECT whose `len` key bytes start at `at` (4-aligned); leaves the cursor past them. */
function keysAt(b: Uint8Array, hint: number, at: number, len: number): readonly string[] {
  const end = at + len;
  cursor.r = end;
  const bytes = knownBytes[hint]!;
  if (bytes.length === len) {
    if (wordBase >= 0) {
      // Whole words, then the bytes past them (inline: a call here costs more than the test).
      const w = words;
      const kw = knownWords[hint]!;
      const base = wordBase + (at >> 2);
      const nw = len >> 2;
      let i = 0;
      while (i < nw && w[base + i] === kw[i]) i++;
      if (i === nw) {
        i <<= 2;
        while (i < len && bytes[i] === b[at + i]) i++;
        if (i === len) return keptKeys(hint);
      }
    } else {
      let i = 0;
      while (i < len && bytes[i] === b[at + i]) i++;
      if (i === len) return keptKeys(hint);
    }
  }
  const keys: string[] = [];
  cursor.r = at;
  while (cursor.r < end) {
    const k = b[cursor.r] === C_ASCII ? unpackAscii(b) : unpackString(b);
    if (k === '__proto__') throw new Error('sabsync queue: corrupt item (an OBJECT keyed __proto__)');
    keys.push(k);
  }
  if (cursor.r !== end) throw new Error('sabsync queue: corrupt item (keys overrun)');
  const kept = new Uint8Array(align4(len));
  kept.set(b.subarray(at, end));
  knownBytes[hint] = kept.subarray(0, len);
  knownWords[hint] = new Int32Array(kept.buffer);
  knownKeys[hint] = keys;
  knownInterned[hint] = 0;
  return keys;
}

/** The keys of the kept shape `hint`, met again: made the engine's own names the first time. */
function keptKeys(hint: number): readonly string[] {
  const keys = knownKeys[hint]!;
  if (knownInterned[hint] === 0) {
    for (let i = 0; i < keys.length; i++) keys[i] = internalized(keys[i]!);
    knownInterned[hint] = 1;
  }
  return keys;
}

/**
 * `k` as the engine keeps property names: a key read back from an object. A key made from the
 * item's bytes is a fresh string; every store of it into an object would look it up in the
 * engine's table of names (V8: ≈ 30 ns a store, in its megamorphic keyed store), where the name
 * read back is found by pointer — one lookup per shape met, not one per object and key.
 */
function internalized(k: string): string {
  return Object.keys({ [k]: 0 })[0]!;
}

/** Unpack the item at the read cursor. */
export function unpack(b: Uint8Array): unknown {
  const r = cursor.r;
  switch (b[r]) {
    case C_UNDEFINED:
      cursor.r = r + 1;
      return undefined;
    case C_NULL:
      cursor.r = r + 1;
      return null;
    case C_FALSE:
      cursor.r = r + 1;
      return false;
    case C_TRUE:
      cursor.r = r + 1;
      return true;
    case C_INT:
      cursor.r = r + 5;
      return b[r + 1]! | (b[r + 2]! << 8) | (b[r + 3]! << 16) | (b[r + 4]! << 24);
    case C_FLOAT:
      cursor.r = r + 9;
      return readF64(b, r + 1);
    case C_ASCII:
      return unpackAscii(b);
    case C_STRING:
      return unpackUtf8(b);
    case C_UTF16:
      return unpackUtf16(b);
    case C_ARRAY: {
      // Lengths read inline: this switch leaves the engine no room to inline a call.
      const n = (b[r + 1]! | (b[r + 2]! << 8) | (b[r + 3]! << 16) | (b[r + 4]! << 24)) >>> 0;
      const a = made(new Array<unknown>(n));
      cursor.r = r + 5;
      for (let i = 0; i < n; i++) a[i] = unpack(b);
      return a;
    }
    case C_OBJECT: {
      const len = (b[r + 2]! | (b[r + 3]! << 8) | (b[r + 4]! << 16) | (b[r + 5]! << 24)) >>> 0;
      const at = (r + 9) & ~3;
      cursor.r = at;
      return objectOf(b, len === 0 ? NO_KEYS : keysAt(b, b[r + 1]!, at, len));
    }
    case C_REF:
      cursor.r = r + 5;
      return refTo(readU32(b, r + 1));
    case C_OBJECT_PROTO: {
      const n = readU32(b, r + 1);
      const o: Record<string, unknown> = made({});
      cursor.r = r + 5;
      for (let i = 0; i < n; i++) {
        const k = unpackString(b);
        setOwn(o, k, unpack(b));
      }
      return o;
    }
    default:
      return unpackOther(b);
  }
}

const NO_KEYS: readonly string[] = Object.freeze([]);

/**
 * A new object of `keys`, their values unpacked in order from the read cursor. One store site
 * per key position up to UNROLLED, as `packValues` loads: each site's inline cache sees one
 * transition for one shape, where a single site goes megamorphic (measured, 3 keys: ≈ 12 ns
 * against ≈ 110 ns per object; objects of many shapes cost as before: their keys are made the
 * engine's names only once their shape is met again, `keptKeys`).
 */
function objectOf(b: Uint8Array, keys: readonly string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (tracking) table.push(o);
  const n = keys.length;
  if (n === 0) return o;
  o[keys[0]!] = unpack(b);
  if (n === 1) return o;
  o[keys[1]!] = unpack(b);
  if (n === 2) return o;
  o[keys[2]!] = unpack(b);
  if (n === 3) return o;
  o[keys[3]!] = unpack(b);
  if (n === 4) return o;
  o[keys[4]!] = unpack(b);
  if (n === 5) return o;
  o[keys[5]!] = unpack(b);
  if (n === 6) return o;
  o[keys[6]!] = unpack(b);
  if (n === 7) return o;
  o[keys[7]!] = unpack(b);
  for (let i = UNROLLED; i < n; i++) o[keys[i]!] = unpack(b);
  return o;
}

/** Set own property `k` of `o`, even when it is `__proto__` (which assignment would not). */
export function setOwn(o: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, writable: true, enumerable: true, configurable: true });
  else o[k] = x;
}
