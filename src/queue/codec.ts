/**
 * The queue's codec: any structured-cloneable value to bytes and back, keeping
 * `SharedArrayBuffer`s shared and sabsync primitives live.
 *
 *   byte 0   tag        then
 *   -------  ---------  ----------------------------------------------------------------------
 *   0..3     undefined / null / false / true: nothing
 *   4        NUMBER     7 bytes of padding, the float64 at byte 8 (so -0 and NaN survive; an
 *                       item starts on an 8-byte boundary, so the queue reads it in place)
 *   5        STRING     u32 length, UTF-8 bytes
 *   6        COMPACT    plain data packed in one walk (see "compact" below): plain objects,
 *                       arrays without holes or extra properties, strings, numbers (int32 or
 *                       float64), booleans, null, undefined, and ArrayBuffers / typed arrays
 *                       spanning a whole unshared buffer as raw bytes, nested at most
 *                       PACK_DEPTH deep — the common item shapes; -0 and NaN survive
 *   7        V8         `node:v8` serialization (Map, Set, Date, BigInt, RegExp, errors,
 *                       partial views, cycles, shared references, class instances, holes,
 *                       extra array properties, deep nesting...)
 *   8        SHARED     u32 length, JSON array of the ids of the buffers the item refers to
 *                       (buffers.ts), then an encoding of the item in which every buffer, typed
 *                       array over one and sabsync primitive is replaced by a marker object
 *                       (share.ts)
 *   9        UTF16      u32 length, UTF-16 code units: a string with a lone surrogate, which
 *                       UTF-8 cannot carry and structured clone keeps
 *
 * Why this split (measured by bench/queue.bench.mjs, "codec" group, and by hand on this
 * machine): numbers and strings are the common items and cost one store or one `encodeInto`.
 * For a small object `{ id, name, tags: [3 strings] }`, JSON.stringify + encodeInto took
 * ≈ 0.77 µs and decode + JSON.parse ≈ 0.85 µs (and JSON loses -0, NaN, undefined), `node:v8`
 * ≈ 3× that, postMessage's native clone ≈ 1.7 µs for both halves; the compact packer below
 * takes ≈ 0.64 µs to encode and ≈ 0.67 µs to decode it (one walk, no text stage, short ASCII
 * strings copied by a loop). So: compact when the value is plain
 * data, `node:v8` otherwise (complete, slower). One more walk (`hasShared`) finds shared buffers
 * and primitives, which neither can carry. Where `node:v8` is missing (not Node), values that
 * need it are `ERR_UNSERIALIZABLE`. Telling an array with extra properties (which structured
 * clone keeps) from a plain one takes an `Object.keys` per array: ≈ 0.1 µs for the small
 * object's three tags, ≈ 10 ns more per element.
 *
 * Trust: the encoder runs user code (getters, proxies' traps) and must survive it — a getter
 * may put another item, in this queue or another, in the middle of an encoding (`encode`
 * gives the inner one scratch memory of its own). A getter runs once if the item is plain
 * data, and once per walk otherwise (the packer's, `hasShared`'s, `share`'s, v8's): up to
 * four times, and the item holds what the last of them returned. The decoder trusts only
 * what the encoder wrote: user keys never pass for its markers (share.ts). Decoding fails
 * only for items of the V8 and SHARED tags (`fallible`: no node:v8 in the getting runtime,
 * nesting deeper than its stack, a buffer not received), which the queue decodes before it
 * commits their get, so a failure leaves them queued; compact items are no deeper than any
 * stack can unpack.
 */
import { misuse } from '../primitives/errors.js';
import { hasShared, isShared, share, unserializable, unshare } from './share.js';
import { builtin } from '../runtime/node.js';

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
/** Tag of a number item. */
export const T_NUMBER = 4;
const T_STRING = 5;
const T_COMPACT = 6;
const T_V8 = 7;
const T_SHARED = 8;
const T_UTF16 = 9;

/** Bytes of an encoded number: the tag, padding, and the float64 at byte 8. */
export const NUMBER_BYTES = 16;

/**
 * `node:v8`'s plain Serializer and Deserializer: they clone typed arrays as structured clone
 * does (the whole buffer, the view's offset, one buffer for the views that share it; a fresh
 * buffer on decoding). `v8.serialize` / `v8.deserialize` would not: they keep only the viewed
 * bytes, and decode views into their input or into Node's shared Buffer pool.
 */
interface V8 {
  Serializer: new () => { writeHeader(): void; writeValue(value: unknown): void; releaseBuffer(): Uint8Array };
  Deserializer: new (bytes: Uint8Array) => { readHeader(): void; readValue(): unknown };
}
const v8 = builtin<V8>('node:v8');

const utf8 = new TextEncoder();
const text = new TextDecoder();
const num = new Float64Array(1);
const numBytes = new Uint8Array(num.buffer);

let scratch = new Uint8Array(1024);

function room(n: number): void {
  if (scratch.length >= n) return;
  const bigger = new Uint8Array(Math.max(n, scratch.length * 2));
  bigger.set(scratch);
  scratch = bigger;
}


function writeU32(at: number, n: number): void {
  scratch[at] = n;
  scratch[at + 1] = n >>> 8;
  scratch[at + 2] = n >>> 16;
  scratch[at + 3] = n >>> 24;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Write `tag`, a u32 length and `s` as UTF-8 at `at`; returns the end. */
function writeText(tag: number, s: string, at: number): number {
  room(at + 5 + s.length * 3);
  scratch[at] = tag;
  const n = utf8.encodeInto(s, scratch.subarray(at + 5)).written;
  writeU32(at + 1, n);
  return at + 5 + n;
}

/** Read the UTF-8 text written by `writeText` at `at`. */
function readText(b: Uint8Array, at: number): string {
  return text.decode(b.subarray(at + 5, at + 5 + readU32(b, at + 1)));
}

function writeUtf16(s: string): number {
  room(5 + s.length * 2);
  scratch[0] = T_UTF16;
  writeU32(1, s.length);
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    scratch[5 + 2 * i] = u;
    scratch[6 + 2 * i] = u >>> 8;
  }
  return 5 + s.length * 2;
}

// ---------------------------------------------------------------------------------------------
// compact: plain data in one walk

const C_UNDEFINED = 0;
const C_NULL = 1;
const C_FALSE = 2;
const C_TRUE = 3;
const C_INT = 4;
const C_FLOAT = 5;
const C_STRING = 6;
const C_ARRAY = 7;
const C_OBJECT = 8;
const C_BYTES = 9;

/** Binary types packed as raw bytes, by index; -1 (255 in the item) is a bare ArrayBuffer. */
const VIEWS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView'] as const;
type ViewClass = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayBufferView;
const viewClass = (i: number) => (globalThis as unknown as Record<string, ViewClass>)[VIEWS[i]!]!;

/**
 * Pack an unshared ArrayBuffer, or a typed array / DataView that spans all of one (a partial
 * view keeps its whole buffer in structured clone: left to v8), as its raw bytes.
 */
function packBytes(v: ArrayBuffer | ArrayBufferView): boolean {
  let kind = 255;
  let bytes: Uint8Array;
  if (v instanceof ArrayBuffer) {
    bytes = new Uint8Array(v);
  } else {
    const buffer = v.buffer;
    if (!(buffer instanceof ArrayBuffer) || v.byteOffset !== 0 || v.byteLength !== buffer.byteLength) return false;
    kind = VIEWS.findIndex((_, i) => Object.getPrototypeOf(v) === viewClass(i).prototype);
    if (kind < 0) return false;
    bytes = new Uint8Array(buffer);
  }
  room(pos + 6 + bytes.length);
  scratch[pos] = C_BYTES;
  scratch[pos + 1] = kind;
  writeU32(pos + 2, bytes.length);
  scratch.set(bytes, pos + 6);
  pos += 6 + bytes.length;
  return true;
}

let pos = 0;

/**
 * Strings are copied by a loop when they are ASCII and not long: a `TextEncoder` call costs
 * ≈ 60–80 ns, more than the loop for up to ≈ 64 characters. Decoding by a loop (one string
 * concatenation per character) beats a `TextDecoder` call only up to ≈ 16 characters: keys and
 * tags like 'id' or 'name'.
 */
const SHORT_ENCODE = 64;
const SHORT_DECODE = 16;

/** Pack string `s`; false if it is not well-formed (a lone surrogate: left to v8). */
function packText(s: string): boolean {
  const n = s.length;
  if (n <= SHORT_ENCODE) {
    room(pos + 5 + n);
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      scratch[pos + 5 + i] = c;
    }
    if (i === n) {
      scratch[pos] = C_STRING;
      writeU32(pos + 1, n);
      pos += 5 + n;
      return true;
    }
  }
  if (!s.isWellFormed()) return false;
  pos = writeText(C_STRING, s, pos);
  return true;
}

/**
 * The objects packed so far in this walk: a short list scanned linearly (a small item has one
 * or two), turned into a Set past SEEN_FEW, where scanning would cost more than hashing.
 */
const seenFew: object[] = [];
let seenMany: Set<object> | undefined;
const SEEN_FEW = 16;

/** Record `v` as packed; false if it was already (a cycle or a shared reference). */
function firstVisit(v: object): boolean {
  if (seenMany !== undefined) {
    if (seenMany.has(v)) return false;
    seenMany.add(v);
    return true;
  }
  for (let i = 0; i < seenFew.length; i++) if (seenFew[i] === v) return false;
  if (seenFew.length < SEEN_FEW) seenFew.push(v);
  else (seenMany = new Set(seenFew)).add(v);
  return true;
}

/**
 * Whether the last `packItem` that failed stopped at a shared buffer, a view of one or a
 * primitive: then the item holds something shared, and no walk need look for it (`hasShared`).
 */
let stoppedAtShared = false;

/** Pack `v` at `at` as the compact body of an item; false if it is not plain data. */
function packItem(v: unknown, at: number): boolean {
  pos = at;
  stoppedAtShared = false;
  try {
    return pack(v, 0);
  } finally {
    // Forget the objects: the lists must not keep the caller's data alive.
    seenFew.length = 0;
    seenMany = undefined;
  }
}

/**
 * Objects nested deeper than this are left to v8. The compact decoder recurses once per level,
 * and a compact item is decoded after its get is committed (queue.ts), so its depth must fit in
 * any thread's stack; a deeper item is decoded before, where a stack overflow leaves it queued.
 */
const PACK_DEPTH = 64;

/**
 * Pack `v`, nested `depth` objects deep, at `pos` (advancing it); false as soon as `v` holds
 * anything that is not plain data, an object seen before (cycles and shared references keep
 * their identity through v8), or objects nested deeper than PACK_DEPTH.
 */
function pack(v: unknown, depth: number): boolean {
  room(pos + 9);
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v && !Object.is(v, -0)) {
        scratch[pos] = C_INT;
        writeU32(pos + 1, v);
        pos += 5;
      } else {
        scratch[pos] = C_FLOAT;
        num[0] = v;
        for (let i = 0; i < 8; i++) scratch[pos + 1 + i] = numBytes[i]!;
        pos += 9;
      }
      return true;
    case 'string':
      return packText(v);
    case 'boolean':
      scratch[pos++] = v ? C_TRUE : C_FALSE;
      return true;
    case 'undefined':
      scratch[pos++] = C_UNDEFINED;
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) {
    scratch[pos++] = C_NULL;
    return true;
  }
  if (depth === PACK_DEPTH || !firstVisit(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    // Holes and extra properties (`Object.assign([1], { x: 1 })`), which structured clone
    // keeps, are left to v8: an array without holes has exactly its indices as keys when it
    // has as many keys as elements.
    if (proto !== Array.prototype || Object.keys(v).length !== v.length) return false;
    scratch[pos] = C_ARRAY;
    writeU32(pos + 1, v.length);
    pos += 5;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if ((x === undefined && !(i in v)) || !pack(x, depth + 1)) return false;
    }
    return true;
  }
  if (proto !== Object.prototype && proto !== null) {
    if ((ArrayBuffer.isView(v) || v instanceof ArrayBuffer) && packBytes(v)) return true;
    stoppedAtShared = isShared(v);
    return false;
  }
  const keys = Object.keys(v);
  scratch[pos] = C_OBJECT;
  writeU32(pos + 1, keys.length);
  pos += 5;
  for (const k of keys) {
    if (k === '__proto__' || !packText(k) || !pack((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

let rpos = 0;

function unpackText(b: Uint8Array): string {
  const n = readU32(b, rpos + 1);
  const at = rpos + 5;
  rpos = at + n;
  if (n <= SHORT_DECODE) {
    let s = '';
    let i = 0;
    for (; i < n && b[at + i]! <= 0x7f; i++) s += String.fromCharCode(b[at + i]!);
    if (i === n) return s;
  }
  return text.decode(b.subarray(at, at + n));
}

/**
 * Recently decoded short strings (keys, tags), by a hash of their bytes. An item's keys are
 * mostly the keys of the items before it; returning the same string again spares building it
 * (a concatenation per character), and for a key (which V8 keeps internalized) makes the
 * property store that follows one V8 has cached. Measured on the small object: decode
 * ≈ 650 → ≈ 460 ns.
 */
const recent: string[] = new Array<string>(256).fill('');

/** `unpackText`, through `recent` for strings of up to SHORT_DECODE bytes. */
function unpackShort(b: Uint8Array): string {
  const n = readU32(b, rpos + 1);
  const at = rpos + 5;
  if (n > SHORT_DECODE) return unpackText(b);
  let h = n;
  for (let i = 0; i < n; i++) h = (h * 31 + b[at + i]!) | 0;
  const slot = h & 255;
  const k = recent[slot]!;
  if (k.length === n) {
    let i = 0;
    while (i < n && k.charCodeAt(i) === b[at + i]) i++;
    if (i === n) {
      rpos = at + n;
      return k;
    }
  }
  const s = unpackText(b);
  // Only ASCII strings are kept (the only ones whose length is their byte count), so a hit's
  // characters, equal to the bytes, are exactly what these bytes decode to.
  if (s.length === n) recent[slot] = s;
  return s;
}

function unpack(b: Uint8Array): unknown {
  switch (b[rpos]) {
    case C_UNDEFINED:
      rpos++;
      return undefined;
    case C_NULL:
      rpos++;
      return null;
    case C_FALSE:
      rpos++;
      return false;
    case C_TRUE:
      rpos++;
      return true;
    case C_INT: {
      const v = readU32(b, rpos + 1) | 0;
      rpos += 5;
      return v;
    }
    case C_FLOAT:
      for (let i = 0; i < 8; i++) numBytes[i] = b[rpos + 1 + i]!;
      rpos += 9;
      return num[0];
    case C_STRING:
      return unpackShort(b);
    case C_ARRAY: {
      const a = new Array(readU32(b, rpos + 1));
      rpos += 5;
      for (let i = 0; i < a.length; i++) a[i] = unpack(b);
      return a;
    }
    case C_OBJECT: {
      const n = readU32(b, rpos + 1);
      const o: Record<string, unknown> = {};
      rpos += 5;
      for (let i = 0; i < n; i++) {
        const k = unpackShort(b);
        o[k] = unpack(b);
      }
      return o;
    }
    case C_BYTES: {
      const kind = b[rpos + 1]!;
      const n = readU32(b, rpos + 2);
      const buffer = b.slice(rpos + 6, rpos + 6 + n).buffer;
      rpos += 6 + n;
      return kind === 255 ? buffer : new (viewClass(kind))(buffer);
    }
    default:
      throw new Error(`sabsync queue: corrupt item (compact tag ${b[rpos]})`);
  }
}

// ---------------------------------------------------------------------------------------------
// encode / decode

/** Encode a value that holds nothing shared at `at`: packed if it is plain data, else by v8. */
function encodeBody(v: unknown, at: number): number {
  if (packItem(v, at + 1)) {
    scratch[at] = T_COMPACT;
    return pos;
  }
  return encodeV8(v, at);
}

/** Encode `v` by `node:v8` at `at`; returns the end. */
function encodeV8(v: unknown, at: number): number {
  if (v8 === undefined) throw unserializable('this value (it needs node:v8, which this runtime lacks)');
  let bytes: Uint8Array;
  try {
    const serializer = new v8.Serializer();
    serializer.writeHeader();
    serializer.writeValue(v);
    bytes = serializer.releaseBuffer();
  } catch (e) {
    throw unserializable('this value', e);
  }
  room(at + 1 + bytes.length);
  scratch[at] = T_V8;
  scratch.set(bytes, at + 1);
  return at + 1 + bytes.length;
}

/**
 * Whether an `encode` is running. Encoding reads the item's properties, so a getter may put
 * another item (into this queue or another) in the middle of it: that inner `encode` must not
 * write over the outer one's scratch memory, cursor and list of packed objects.
 */
let encoding = false;

/**
 * Encode `value`. Returns a view of this thread's scratch memory, valid until the next call.
 * Throws `ERR_UNSERIALIZABLE` for what structured clone refuses (functions, symbols, ...) and
 * for a value nested deeper than this thread's stack can walk.
 */
export function encode(value: unknown): Uint8Array {
  if (encoding) return encodeReentered(value);
  encoding = true;
  try {
    return encodeValue(value);
  } finally {
    encoding = false;
  }
}

/**
 * `encode` called from inside another (by a getter of the outer item): the inner item gets
 * scratch memory of its own, and the outer one's is put back as it was. The view returned
 * stays valid: nothing else writes to the inner scratch.
 */
function encodeReentered(value: unknown): Uint8Array {
  const outer = { scratch, pos, seenFew: seenFew.splice(0), seenMany, stoppedAtShared };
  scratch = new Uint8Array(1024);
  seenMany = undefined;
  try {
    return encodeValue(value);
  } finally {
    ({ scratch, pos, seenMany, stoppedAtShared } = outer);
    seenFew.length = 0;
    seenFew.push(...outer.seenFew);
  }
}

function encodeValue(value: unknown): Uint8Array {
  let end: number;
  switch (typeof value) {
    case 'number':
      scratch[0] = T_NUMBER;
      num[0] = value;
      scratch.set(numBytes, 8);
      end = NUMBER_BYTES;
      break;
    case 'string':
      // Laid out as the packer's strings (tag, u32 length, UTF-8): packed by its ASCII loop.
      pos = 0;
      if (packText(value)) {
        scratch[0] = T_STRING;
        end = pos;
      } else {
        end = writeUtf16(value);
      }
      break;
    case 'undefined':
      scratch[0] = T_UNDEFINED;
      end = 1;
      break;
    case 'boolean':
      scratch[0] = value ? T_TRUE : T_FALSE;
      end = 1;
      break;
    default:
      if (value === null) {
        scratch[0] = T_NULL;
        end = 1;
      } else if (packItem(value, 1)) {
        scratch[0] = T_COMPACT;
        end = pos;
      } else {
        end = encodeObject(value as object);
      }
  }
  return scratch.subarray(0, end);
}

/** Encode an object that is not plain data: by v8, with its shared parts swapped for markers. */
function encodeObject(value: object): number {
  let marked: unknown;
  const ids = new Set<string>();
  try {
    if (!stoppedAtShared && !hasShared(value, new Set())) return encodeV8(value, 0);
    marked = share(value, ids, new Map());
  } catch (e) {
    throw overflowed(e) ? unserializable('this value (nested too deeply for this thread)', e) : e;
  }
  return encodeBody(marked, writeText(T_SHARED, JSON.stringify([...ids]), 0));
}

/** Whether `e` is the engine's stack overflow (a RangeError; V8 and JSC say "call stack"). */
function overflowed(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

let landingPad = new Uint8Array(1024);

/** The ids of an item that refers to no shared buffer. */
export const NO_IDS: readonly string[] = Object.freeze([]);

/**
 * Unshared memory to copy an encoded item of `len` bytes into, before `decode`. Items decoded
 * into fresh objects reuse one scratch area, handed out whole (no view made per item: their
 * decoding reads only the lengths written in the item); a v8-encoded or shared item gets its
 * own copy of exactly `len` bytes (the v8 deserializer takes its input to its end).
 */
export function landing(len: number, tag: number): Uint8Array {
  if (tag === T_V8 || tag === T_SHARED) return new Uint8Array(len);
  if (landingPad.length < len) landingPad = new Uint8Array(Math.max(len, landingPad.length * 2));
  return landingPad;
}

/** The ids of the shared buffers an encoded item refers to (none: an empty array). */
export function sharedIds(bytes: Uint8Array): readonly string[] {
  if (bytes[0] !== T_SHARED) return NO_IDS;
  return JSON.parse(readText(bytes, 0)) as string[];
}

function decodeAt(bytes: Uint8Array, at: number): unknown {
  switch (bytes[at]) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER:
      numBytes.set(bytes.subarray(at + 8, at + 16));
      return num[0];
    case T_STRING:
      rpos = at;
      return unpackShort(bytes);
    case T_UTF16: {
      const units = new Uint16Array(readU32(bytes, at + 1));
      for (let i = 0; i < units.length; i++) units[i] = bytes[at + 5 + 2 * i]! | (bytes[at + 6 + 2 * i]! << 8);
      let s = '';
      for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
      return s;
    }
    case T_COMPACT:
      rpos = at + 1;
      return unpack(bytes);
    case T_V8:
      if (v8 === undefined) throw unserializable('this value (it needs node:v8, which this runtime lacks)');
      return deserialize(bytes.subarray(at + 1));
    case T_SHARED: {
      const body = at + 5 + readU32(bytes, at + 1);
      return unshare(decodeAt(bytes, body), new Map(), bytes[body] === T_COMPACT);
    }
    default:
      throw new Error(`sabsync queue: corrupt item (tag ${bytes[at]})`);
  }
}

function deserialize(bytes: Uint8Array): unknown {
  const deserializer = new v8!.Deserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

/**
 * Whether decoding this item may fail: it needs node:v8 (which the getting runtime may lack,
 * and whose decoder recurses once per level), or shared buffers (which may not have arrived).
 * The queue decodes such an item before it commits the get, so that a failure leaves the item
 * queued; any other item decodes without fail, after the get.
 */
export function fallible(bytes: Uint8Array): boolean {
  return bytes[0] === T_V8 || bytes[0] === T_SHARED;
}

/**
 * Decode an item from unshared memory. The buffers of `sharedIds(bytes)` must be known to
 * this thread (buffers.ts `fetchSteps`). Any failure is `ERR_UNSERIALIZABLE`, naming its cause:
 * an item nested too deeply for this thread's stack, a runtime without node:v8, a buffer not
 * received, a primitive whose kind this bundle lacks.
 */
export function decode(bytes: Uint8Array): unknown {
  try {
    return decodeAt(bytes, 0);
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ERR_UNSERIALIZABLE') throw e;
    throw misuse('ERR_UNSERIALIZABLE', `cannot decode this queue item in this thread: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}
