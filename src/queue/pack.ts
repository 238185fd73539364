/**
 * The queue's packer: any structured-cloneable value to tagged bytes and back, in one walk,
 * in plain JavaScript — no `node:v8`, so an item is the same set of values in every runtime.
 * `SharedArrayBuffer`s stay shared (they travel by id: buffers.ts) and sabsync primitives
 * arrive live. codec.ts wraps what this writes in an envelope.
 *
 *   tag  item              then
 *   ---  ----------------  -----------------------------------------------------------------
 *   0-3  undefined, null, false, true: nothing
 *   4    INT               i32
 *   5    FLOAT             float64 (-0, NaN and every other double that is no int32)
 *   6    STRING            u32 byte length, UTF-8
 *   7    ARRAY             u32 length, the elements (no holes, no other own keys)
 *   8    OBJECT            u32 key count, then key (a string item) and value, per own
 *                          enumerable key: plain objects, and class instances, which structured
 *                          clone copies as plain objects
 *   9    UTF16             u32 length, UTF-16 code units (a string with a lone surrogate)
 *   10   REF               u32 index: the index-th object of this item met again (a cycle or
 *                          a shared reference; objects count from 0 in the order first met)
 *   11   OBJECT_PROTO      as OBJECT, with an own `__proto__` key among its keys
 *   12   SPARSE            u32 length, u32 key count, keys and values: an array with holes or
 *                          with own keys beyond its indices
 *   13   BIGINT            its signed hexadecimal text as a string item
 *   14   DATE              float64 time value
 *   15   REGEXP            source and flags as string items
 *   16   MAP / 17 SET      u32 entry count, then the keys and values / the members
 *   18   ERROR             constructor index (ERRORS), flags (1 message, 2 stack, 4 cause),
 *                          then those present: message and stack as string items, cause
 *   19   BOX_NUMBER        float64;  20 BOX_STRING: a string item;  21 / 22 BOX_TRUE / FALSE;
 *   23   BOX_BIGINT        as BIGINT
 *   24   ARRAYBUFFER       flags (1 resizable), u32 byte length, [u32 max byte length], bytes
 *   25   VIEW              class index (VIEWS), u32 byte offset, u32 length (elements; bytes
 *                          for a DataView), then its buffer: an ARRAYBUFFER, SAB or REF item
 *   26   SAB               its global id (buffers.ts) as a string item
 *   27   PRIMITIVE         its handle (memory.ts); decoded by `revive`, so it arrives live
 *
 * All numbers little-endian. A view's buffer is an object of its own (two views over one
 * buffer stay over one buffer), as in structured clone. The errors kept are structured
 * clone's: the constructor chosen by `name` among ERRORS (else Error), own data `message`,
 * `stack` if it is a string, own `cause`; other properties are dropped.
 *
 * Cost (bench/queue.bench.mjs, "codec" rows): plain data takes the same path as before this
 * packer learnt the other types — a typeof switch, one prototype check per object, ASCII
 * strings copied by a loop; everything else is behind the prototype check. The decoder keeps
 * a table of the objects it makes only for an item that needs one (`graph`: the item has a
 * REF, is deep, or is shared).
 *
 * Trust: the walk runs user code (getters, proxies' traps), once per property. A getter may put
 * another item in the middle of a walk: codec.ts gives that inner walk a state of its own
 * (`saveWalk` / `restoreWalk`). The decoder trusts only tags the encoder wrote: no user key or
 * value can pass for a buffer or a primitive.
 */
import { misuse } from '../primitives/errors.js';
import { isHandle, revive } from '../primitives/memory.js';
import { bufferOf, idOf } from './buffers.js';

/** The error for a value that cannot cross threads. */
export function unserializable(what: string, cause?: unknown): Error {
  return misuse('ERR_UNSERIALIZABLE', `cannot send ${what} through a queue`, cause === undefined ? undefined : { cause });
}

const C_UNDEFINED = 0;
const C_NULL = 1;
const C_FALSE = 2;
const C_TRUE = 3;
const C_INT = 4;
const C_FLOAT = 5;
/** Tag of a UTF-8 string item (u32 byte length, bytes): codec.ts lays its strings out the same. */
export const C_STRING = 6;
const C_ARRAY = 7;
const C_OBJECT = 8;
/** Tag of a UTF-16 string item (a lone surrogate): codec.ts keeps it as its own tag. */
export const C_UTF16 = 9;
const C_REF = 10;
const C_OBJECT_PROTO = 11;
const C_SPARSE = 12;
const C_BIGINT = 13;
const C_DATE = 14;
const C_REGEXP = 15;
const C_MAP = 16;
const C_SET = 17;
const C_ERROR = 18;
const C_BOX_NUMBER = 19;
const C_BOX_STRING = 20;
const C_BOX_TRUE = 21;
const C_BOX_FALSE = 22;
const C_BOX_BIGINT = 23;
const C_ARRAYBUFFER = 24;
const C_VIEW = 25;
const C_SAB = 26;
const C_PRIMITIVE = 27;

/** The error constructors structured clone keeps, by index (any other name: Error). */
const ERRORS = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'] as const;
const E_MESSAGE = 1;
const E_STACK = 2;
const E_CAUSE = 4;

/** View classes by index (append only: the index crosses threads; a runtime may lack the last). */
const VIEWS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView', 'Float16Array'] as const;
const VIEW_INDEX = new Map<string, number>(VIEWS.map((name, i) => [name, i]));
type ViewClass = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayBufferView;
const viewClass = (i: number): ViewClass => {
  const View = (globalThis as unknown as Record<string, ViewClass | undefined>)[VIEWS[i] ?? ''];
  if (View === undefined) throw new Error(`this runtime has no ${VIEWS[i] ?? `view class ${i}`}`);
  return View;
};
/** `%TypedArray%.prototype[Symbol.toStringTag]`: a typed array's class name (Buffer: Uint8Array). */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!.get!;

const utf8 = new TextEncoder();
// ignoreBOM: a string may start with U+FEFF, which a default decoder would strip.
const text = new TextDecoder('utf-8', { ignoreBOM: true });
const num = new Float64Array(1);
const numBytes = new Uint8Array(num.buffer);

// ---------------------------------------------------------------------------------------------
// scratch memory

/** This thread's scratch memory, where an item is packed (grown as needed). */
export let scratch = new Uint8Array(1024);

/** Make the scratch memory at least `n` bytes long, keeping its contents. */
export function room(n: number): void {
  if (scratch.length >= n) return;
  const bigger = new Uint8Array(Math.max(n, scratch.length * 2));
  bigger.set(scratch);
  scratch = bigger;
}

export function writeU32(at: number, n: number): void {
  scratch[at] = n;
  scratch[at + 1] = n >>> 8;
  scratch[at + 2] = n >>> 16;
  scratch[at + 3] = n >>> 24;
}

export function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function writeF64(at: number, x: number): void {
  num[0] = x;
  for (let i = 0; i < 8; i++) scratch[at + i] = numBytes[i]!;
}

function readF64(b: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) numBytes[i] = b[at + i]!;
  return num[0]!;
}

/** Write `tag`, a u32 length and `s` as UTF-8 at `at`; returns the end. */
export function writeText(tag: number, s: string, at: number): number {
  room(at + 5 + s.length * 3);
  scratch[at] = tag;
  const n = utf8.encodeInto(s, scratch.subarray(at + 5)).written;
  writeU32(at + 1, n);
  return at + 5 + n;
}

/** Read the UTF-8 text written by `writeText` at `at`. */
export function readText(b: Uint8Array, at: number): string {
  return text.decode(b.subarray(at + 5, at + 5 + readU32(b, at + 1)));
}

// ---------------------------------------------------------------------------------------------
// the walk's state

/** Where the walk writes next. */
let pos = 0;

/**
 * The objects met so far in this walk, by index: a short list scanned linearly (a small item
 * has one or two), turned into a Map past SEEN_FEW, where scanning would cost more than hashing.
 */
let seenFew: object[] = [];
let seenMany: Map<object, number> | undefined;
const SEEN_FEW = 16;

/** What the last walk found: ids of the shared buffers it wrote; whether it needs a table. */
export interface Walk {
  ids: string[];
  /** The item holds a REF or nests deeper than PACK_DEPTH: its decoding keeps a table. */
  graph: boolean;
  /** The item holds a shared buffer or a primitive. */
  shared: boolean;
}
let walk: Walk = { ids: [], graph: false, shared: false };

/** The walk's state, for a walk started inside another (a getter that puts): see codec.ts. */
export interface WalkState {
  scratch: Uint8Array<ArrayBuffer>;
  pos: number;
  seenFew: object[];
  seenMany: Map<object, number> | undefined;
  walk: Walk;
}

/** Put the current walk aside, and give the next one fresh scratch memory of its own. */
export function saveWalk(): WalkState {
  const saved = { scratch, pos, seenFew, seenMany, walk };
  scratch = new Uint8Array(1024);
  seenFew = [];
  seenMany = undefined;
  walk = { ids: [], graph: false, shared: false };
  return saved;
}

export function restoreWalk(s: WalkState): void {
  ({ scratch, pos, seenFew, seenMany, walk } = s);
}

/** Record `v` as met; returns -1 if it is new, else the index it was first met at. */
function visit(v: object): number {
  if (seenMany !== undefined) {
    const i = seenMany.get(v);
    if (i !== undefined) return i;
    seenMany.set(v, seenMany.size);
    return -1;
  }
  for (let i = 0; i < seenFew.length; i++) if (seenFew[i] === v) return i;
  if (seenFew.length < SEEN_FEW) {
    seenFew.push(v);
  } else {
    seenMany = new Map(seenFew.map((o, i) => [o, i]));
    seenMany.set(v, SEEN_FEW);
  }
  return -1;
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
  pos = at;
  walk.graph = false;
  walk.shared = false;
  if (walk.ids.length > 0) walk.ids = [];
  try {
    pack(v, 0);
    return pos;
  } catch (e) {
    if (overflowed(e)) throw unserializable('this value (nested too deeply for this thread)', e);
    throw e;
  } finally {
    // Forget the objects: the lists must not keep the caller's data alive.
    seenFew.length = 0;
    seenMany = undefined;
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

/**
 * Strings are copied by a loop when they are ASCII and not long: a `TextEncoder` call costs
 * ≈ 60–80 ns, more than the loop for up to ≈ 64 characters. Decoding by a loop (one string
 * concatenation per character) beats a `TextDecoder` call only up to ≈ 16 characters: keys and
 * tags like 'id' or 'name'.
 */
const SHORT_ENCODE = 64;
const SHORT_DECODE = 16;

/** Pack string `s`: UTF-8, or UTF-16 units if it is not well-formed (a lone surrogate). */
function packText(s: string): void {
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
      return;
    }
  }
  if (s.isWellFormed()) {
    pos = writeText(C_STRING, s, pos);
    return;
  }
  room(pos + 5 + n * 2);
  scratch[pos] = C_UTF16;
  writeU32(pos + 1, n);
  for (let i = 0; i < n; i++) {
    const u = s.charCodeAt(i);
    scratch[pos + 5 + 2 * i] = u;
    scratch[pos + 6 + 2 * i] = u >>> 8;
  }
  pos += 5 + n * 2;
}

/** A BigInt as signed hexadecimal text (linear both ways, unlike decimal). */
function bigHex(v: bigint): string {
  return v < 0n ? `-${(-v).toString(16)}` : v.toString(16);
}

function hexBig(s: string): bigint {
  return s.startsWith('-') ? -BigInt(`0x${s.slice(1)}`) : BigInt(`0x${s}`);
}

/** Pack string `s` at `at` (a top-level item, codec.ts); returns the end. */
export function packString(s: string, at: number): number {
  pos = at;
  packText(s);
  return pos;
}

/** Pack `v`, nested `depth` objects deep, at `pos` (advancing it). */
function pack(v: unknown, depth: number): void {
  room(pos + 9);
  switch (typeof v) {
    case 'number':
      if ((v | 0) === v && !Object.is(v, -0)) {
        scratch[pos] = C_INT;
        writeU32(pos + 1, v);
        pos += 5;
      } else {
        scratch[pos] = C_FLOAT;
        writeF64(pos + 1, v);
        pos += 9;
      }
      return;
    case 'string':
      return packText(v);
    case 'boolean':
      scratch[pos++] = v ? C_TRUE : C_FALSE;
      return;
    case 'undefined':
      scratch[pos++] = C_UNDEFINED;
      return;
    case 'object':
      break;
    case 'bigint':
      scratch[pos++] = C_BIGINT;
      return packText(bigHex(v));
    default:
      throw unserializable(`a ${typeof v}`);
  }
  if (v === null) {
    scratch[pos++] = C_NULL;
    return;
  }
  const seen = visit(v);
  if (seen >= 0) {
    walk.graph = true;
    scratch[pos] = C_REF;
    writeU32(pos + 1, seen);
    pos += 5;
    return;
  }
  if (depth === PACK_DEPTH) walk.graph = true;
  const proto = Object.getPrototypeOf(v);
  if (proto === Array.prototype && isDense(v as unknown[])) {
    const a = v as unknown[];
    scratch[pos] = C_ARRAY;
    writeU32(pos + 1, a.length);
    pos += 5;
    for (let i = 0; i < a.length; i++) pack(a[i], depth + 1);
    return;
  }
  if (proto === Object.prototype || proto === null) return packObject(v as Record<string, unknown>, depth);
  packOther(v, depth);
}

/**
 * Whether array `a` has no holes and no own keys but its indices: then its keys are exactly
 * `0..length-1`, which holds when there are as many keys as elements and the last key (indices
 * come first, in order, then other keys) is the last index. Holes and extra properties
 * (`Object.assign([1, , 3], { x: 1 })`), which structured clone keeps, make a SPARSE item.
 */
function isDense(a: unknown[]): boolean {
  const keys = Object.keys(a);
  const n = a.length;
  return keys.length === n && (n === 0 || keys[n - 1] === String(n - 1));
}

/** Pack the own enumerable string keys of `o` and their values, as an OBJECT. */
function packObject(o: Record<string, unknown>, depth: number): void {
  const start = pos;
  const keys = Object.keys(o);
  scratch[pos] = C_OBJECT;
  writeU32(pos + 1, keys.length);
  pos += 5;
  for (const k of keys) {
    if (k === '__proto__') scratch[start] = C_OBJECT_PROTO;
    packText(k);
    pack(o[k], depth + 1);
  }
}

/** Pack any object that is not a plain object or a dense plain array. */
function packOther(v: object, depth: number): void {
  if (Array.isArray(v)) {
    const keys = Object.keys(v);
    scratch[pos] = C_SPARSE;
    writeU32(pos + 1, v.length);
    writeU32(pos + 5, keys.length);
    pos += 9;
    for (const k of keys) {
      packText(k);
      pack((v as unknown as Record<string, unknown>)[k], depth + 1);
    }
    return;
  }
  if (ArrayBuffer.isView(v)) {
    // A SharedArray is a typed array and a primitive: it crosses as the primitive, live.
    if (isHandle((v as { handle?: unknown }).handle)) return packPrimitive(v, depth);
    const name = v instanceof DataView ? 'DataView' : (typedArrayTag.call(v) as string);
    const kind = VIEW_INDEX.get(name);
    if (kind === undefined) throw unserializable(`a ${name}`);
    room(pos + 10);
    scratch[pos] = C_VIEW;
    scratch[pos + 1] = kind;
    writeU32(pos + 2, v.byteOffset);
    writeU32(pos + 6, v instanceof DataView ? v.byteLength : (v as unknown as { length: number }).length);
    pos += 10;
    return pack(v.buffer, depth + 1);
  }
  if (v instanceof ArrayBuffer) return packBuffer(v);
  if (v instanceof SharedArrayBuffer) {
    const id = idOf(v);
    walk.ids.push(id);
    walk.shared = true;
    scratch[pos++] = C_SAB;
    return packText(id);
  }
  if (v instanceof Date) {
    scratch[pos] = C_DATE;
    writeF64(pos + 1, v.getTime());
    pos += 9;
    return;
  }
  if (v instanceof RegExp) {
    scratch[pos++] = C_REGEXP;
    packText(v.source);
    return packText(v.flags);
  }
  if (v instanceof Map) {
    const start = pos;
    pos += 5;
    let n = 0;
    for (const [k, x] of v) {
      pack(k, depth + 1);
      pack(x, depth + 1);
      n++;
    }
    // Counted as written: a getter may have changed the Map during the walk.
    scratch[start] = C_MAP;
    writeU32(start + 1, n);
    return;
  }
  if (v instanceof Set) {
    const start = pos;
    pos += 5;
    let n = 0;
    for (const x of v) {
      pack(x, depth + 1);
      n++;
    }
    scratch[start] = C_SET;
    writeU32(start + 1, n);
    return;
  }
  if (v instanceof Error) return packError(v, depth);
  if (v instanceof Number) {
    scratch[pos] = C_BOX_NUMBER;
    writeF64(pos + 1, v.valueOf());
    pos += 9;
    return;
  }
  if (v instanceof String) {
    scratch[pos++] = C_BOX_STRING;
    return packText(v.valueOf());
  }
  if (v instanceof Boolean) {
    scratch[pos++] = v.valueOf() ? C_BOX_TRUE : C_BOX_FALSE;
    return;
  }
  if (v instanceof BigInt) {
    scratch[pos++] = C_BOX_BIGINT;
    return packText(bigHex(v.valueOf()));
  }
  const tag = Object.prototype.toString.call(v);
  if (tag !== '[object Object]') throw unserializable(`a ${tag.slice(8, -1)}`);
  if (isHandle((v as { handle?: unknown }).handle)) return packPrimitive(v, depth);
  // An instance of a class: structured clone copies its own properties into a plain object.
  packObject(v as Record<string, unknown>, depth);
}

/** Pack a sabsync primitive: its handle crosses, and `revive` makes it live on the other side. */
function packPrimitive(v: object, depth: number): void {
  walk.shared = true;
  scratch[pos++] = C_PRIMITIVE;
  pack((v as { handle: unknown }).handle, depth + 1);
}

/** Pack an unshared ArrayBuffer: its bytes (and its maximum length, if resizable). */
function packBuffer(v: ArrayBuffer): void {
  const b = v as ArrayBuffer & { detached?: boolean; resizable?: boolean; maxByteLength?: number };
  if (b.detached === true) throw unserializable('a detached ArrayBuffer');
  const n = v.byteLength;
  room(pos + 10 + n);
  scratch[pos] = C_ARRAYBUFFER;
  scratch[pos + 1] = b.resizable === true ? 1 : 0;
  writeU32(pos + 2, n);
  pos += 6;
  if (b.resizable === true) {
    writeU32(pos, b.maxByteLength!);
    pos += 4;
  }
  scratch.set(new Uint8Array(v), pos);
  pos += n;
}

/** Pack an error as structured clone keeps one (see the header). */
function packError(e: Error, depth: number): void {
  const name = String(e.name);
  const kind = Math.max(0, ERRORS.indexOf(name as (typeof ERRORS)[number]));
  const message = Object.getOwnPropertyDescriptor(e, 'message');
  const stack: unknown = e.stack;
  const cause = Object.getOwnPropertyDescriptor(e, 'cause');
  let flags = 0;
  if (message !== undefined && 'value' in message) flags |= E_MESSAGE;
  if (typeof stack === 'string') flags |= E_STACK;
  if (cause !== undefined) flags |= E_CAUSE;
  room(pos + 3);
  scratch[pos] = C_ERROR;
  scratch[pos + 1] = kind;
  scratch[pos + 2] = flags;
  pos += 3;
  if (flags & E_MESSAGE) packText(String(message!.value));
  if (flags & E_STACK) packText(stack as string);
  if (flags & E_CAUSE) pack('value' in cause! ? cause.value : e.cause, depth + 1);
}

// ---------------------------------------------------------------------------------------------
// unpack

let rpos = 0;
/** Whether this decoding keeps the table of objects made (`graph` and shared items). */
let tracking = false;
let table: unknown[] = [];

/**
 * Unpack the item at `at` of `b`. `graph`: the item may refer back to its objects (REF), so
 * keep a table of them.
 */
export function unpackItem(b: Uint8Array, at: number, graph: boolean): unknown {
  rpos = at;
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

function unpackUtf16(b: Uint8Array): string {
  const n = readU32(b, rpos + 1);
  const at = rpos + 5;
  rpos = at + 2 * n;
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = b[at + 2 * i]! | (b[at + 1 + 2 * i]! << 8);
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
  return s;
}

/**
 * Recently decoded short strings (keys, tags), by a hash of their bytes. An item's keys are
 * mostly the keys of the items before it; returning the same string again spares building it
 * (a concatenation per character), and for a key (which V8 keeps internalized) makes the
 * property store that follows one V8 has cached. Measured on the small object: decode
 * ≈ 650 → ≈ 460 ns.
 */
const recent: string[] = new Array<string>(256).fill('');

/** Unpack the UTF-8 string laid out as a STRING item at `at` (its tag byte is not read). */
export function unpackStringAt(b: Uint8Array, at: number): string {
  rpos = at;
  return unpackShort(b);
}

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

/** Unpack a string item (STRING or UTF16). */
function unpackString(b: Uint8Array): string {
  if (b[rpos] === C_STRING) return unpackShort(b);
  if (b[rpos] === C_UTF16) return unpackUtf16(b);
  throw new Error(`sabsync queue: corrupt item (a string expected, tag ${b[rpos]})`);
}

/** Set own property `k` of `o`, even when it is `__proto__` (which assignment would not). */
function setOwn(o: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, writable: true, enumerable: true, configurable: true });
  else o[k] = x;
}

/** Record a new object in the table (when tracking); returns it. */
function made<T>(o: T): T {
  if (tracking) table.push(o);
  return o;
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
    case C_FLOAT: {
      const v = readF64(b, rpos + 1);
      rpos += 9;
      return v;
    }
    case C_STRING:
      return unpackShort(b);
    case C_ARRAY: {
      const a = made(new Array(readU32(b, rpos + 1)));
      rpos += 5;
      for (let i = 0; i < a.length; i++) a[i] = unpack(b);
      return a;
    }
    case C_OBJECT: {
      const n = readU32(b, rpos + 1);
      const o: Record<string, unknown> = made({});
      rpos += 5;
      for (let i = 0; i < n; i++) {
        const k = b[rpos] === C_STRING ? unpackShort(b) : unpackString(b);
        o[k] = unpack(b);
      }
      return o;
    }
    default:
      return unpackOther(b);
  }
}

/** Unpack an item of any tag but the plain-data ones. */
function unpackOther(b: Uint8Array): unknown {
  const tag = b[rpos]!;
  switch (tag) {
    case C_UTF16:
      return unpackUtf16(b);
    case C_REF: {
      const i = readU32(b, rpos + 1);
      rpos += 5;
      if (!tracking || i >= table.length) throw new Error(`sabsync queue: corrupt item (reference ${i})`);
      return table[i];
    }
    case C_OBJECT_PROTO: {
      const n = readU32(b, rpos + 1);
      const o: Record<string, unknown> = made({});
      rpos += 5;
      for (let i = 0; i < n; i++) {
        const k = unpackString(b);
        setOwn(o, k, unpack(b));
      }
      return o;
    }
    case C_SPARSE: {
      const a = made(new Array(readU32(b, rpos + 1)) as unknown as Record<string, unknown>);
      const n = readU32(b, rpos + 5);
      rpos += 9;
      for (let i = 0; i < n; i++) {
        const k = unpackString(b);
        setOwn(a, k, unpack(b));
      }
      return a;
    }
    case C_BIGINT:
      rpos++;
      return hexBig(unpackString(b));
    case C_DATE:
      rpos += 9;
      return made(new Date(readF64(b, rpos - 8)));
    case C_REGEXP: {
      rpos++;
      const source = unpackString(b);
      return made(new RegExp(source, unpackString(b)));
    }
    case C_MAP: {
      const n = readU32(b, rpos + 1);
      const m = made(new Map<unknown, unknown>());
      rpos += 5;
      for (let i = 0; i < n; i++) {
        const k = unpack(b);
        m.set(k, unpack(b));
      }
      return m;
    }
    case C_SET: {
      const n = readU32(b, rpos + 1);
      const s = made(new Set<unknown>());
      rpos += 5;
      for (let i = 0; i < n; i++) s.add(unpack(b));
      return s;
    }
    case C_ERROR:
      return unpackError(b);
    case C_BOX_NUMBER:
      rpos += 9;
      return made(Object(readF64(b, rpos - 8)) as object);
    case C_BOX_STRING:
      rpos++;
      return made(Object(unpackString(b)) as object);
    case C_BOX_TRUE:
    case C_BOX_FALSE:
      rpos++;
      return made(Object(tag === C_BOX_TRUE) as object);
    case C_BOX_BIGINT:
      rpos++;
      return made(Object(hexBig(unpackString(b))) as object);
    case C_ARRAYBUFFER: {
      const resizable = b[rpos + 1] === 1;
      const n = readU32(b, rpos + 2);
      rpos += 6;
      let buffer: ArrayBuffer;
      if (resizable) {
        const max = readU32(b, rpos);
        rpos += 4;
        buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength: max });
        new Uint8Array(buffer).set(b.subarray(rpos, rpos + n));
      } else {
        buffer = b.slice(rpos, rpos + n).buffer;
      }
      rpos += n;
      return made(buffer);
    }
    case C_VIEW: {
      const View = viewClass(b[rpos + 1]!);
      const offset = readU32(b, rpos + 2);
      const length = readU32(b, rpos + 6);
      rpos += 10;
      // The view is met before its buffer: hold its place in the table.
      const slot = tracking ? table.push(undefined) - 1 : -1;
      const view = new View(unpack(b) as ArrayBufferLike, offset, length);
      if (tracking) table[slot] = view;
      return view;
    }
    case C_SAB: {
      rpos++;
      return made(bufferOf(unpackString(b)));
    }
    case C_PRIMITIVE: {
      rpos++;
      const slot = tracking ? table.push(undefined) - 1 : -1;
      const live = revive(unpack(b));
      if (tracking) table[slot] = live;
      return live;
    }
    default:
      throw new Error(`sabsync queue: corrupt item (tag ${tag})`);
  }
}

function newError(E: ErrorConstructor, message: string | undefined): Error {
  return message === undefined ? new E() : new E(message);
}

/**
 * Run `make` with V8's stack capture off: an error whose stack is about to be replaced by the
 * one it carried need not capture its own (measured: ≈ 10× the rest of its decoding).
 */
function withoutTrace<T>(make: () => T): T {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  if (typeof limit !== 'number') return make();
  E.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    E.stackTraceLimit = limit;
  }
}

function unpackError(b: Uint8Array): Error {
  const E = (globalThis as unknown as Record<string, ErrorConstructor>)[ERRORS[b[rpos + 1]!] ?? 'Error'] ?? Error;
  const flags = b[rpos + 2]!;
  rpos += 3;
  const message = flags & E_MESSAGE ? unpackString(b) : undefined;
  const stack = flags & E_STACK ? unpackString(b) : undefined;
  const e = made(stack === undefined ? newError(E, message) : withoutTrace(() => newError(E, message)));
  if (stack !== undefined) {
    e.stack = stack;
    if (e.stack !== stack) Object.defineProperty(e, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
  }
  if (flags & E_CAUSE) Object.defineProperty(e, 'cause', { value: unpack(b), writable: true, enumerable: false, configurable: true });
  return e;
}
