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
 *   9        UTF16      u32 length, UTF-16 code units: a string with a lone surrogate, which
 *                       UTF-8 cannot carry and structured clone keeps
 *   6        JSON       u32 length, UTF-8 JSON text — only for values JSON round-trips exactly
 *   7        V8         `node:v8` serialization (Map, Set, Date, BigInt, RegExp, typed arrays,
 *                       undefined inside, -0, NaN, cycles, shared references...)
 *   8        SHARED     u32 length, JSON array of the ids of the buffers the item refers to
 *                       (buffers.ts), then an encoding of the item in which every buffer, typed
 *                       array over one and sabsync primitive is replaced by a marker object
 *
 * Why this split (bench/queue.bench.mjs measures it): numbers and strings are the common items
 * and cost one store or one `encodeInto`. For objects, JSON + UTF-8 is about 3–4× faster than
 * `node:v8`'s serializer for small plain objects, but loses -0, NaN, undefined, Map, Date...
 * so one walk (`scan`) decides: JSON when the value round-trips exactly, v8 otherwise. The
 * same walk finds shared buffers and primitives, which neither serializer can carry. Where
 * `node:v8` is missing (not Node), values that need it are `ERR_UNSERIALIZABLE`.
 */
import { misuse } from '../primitives/errors.js';
import { isHandle, revive } from '../primitives/memory.js';
import { bufferOf, idOf } from './buffers.js';

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
/** Tag of a number item. */
export const T_NUMBER = 4;
const T_STRING = 5;
const T_JSON = 6;
const T_V8 = 7;
const T_SHARED = 8;
const T_UTF16 = 9;

/** Bytes of an encoded number: the tag, padding, and the float64 at byte 8. */
export const NUMBER_BYTES = 16;

interface V8 {
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}
const v8 = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:v8') as
  | V8
  | undefined;

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

function unserializable(what: string, cause?: unknown): Error {
  return misuse('ERR_UNSERIALIZABLE', `cannot send ${what} through a queue`, cause === undefined ? undefined : { cause });
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
// scan: one walk that decides JSON vs v8 and finds what must be shared

const NOT_JSON = 1;
const SHARES = 2;

function isPrimitive(v: object): boolean {
  return isHandle((v as { handle?: unknown }).handle);
}

function scan(v: unknown, seen: Set<object>): number {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return 0;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? 0 : NOT_JSON;
    case 'undefined':
    case 'bigint':
      return NOT_JSON;
    case 'function':
    case 'symbol':
      throw unserializable(`a ${typeof v}`);
  }
  if (v === null) return 0;
  const o = v as object;
  // A second visit is a cycle or a shared reference: JSON would throw or duplicate it.
  if (seen.has(o)) return NOT_JSON;
  seen.add(o);
  if (o instanceof SharedArrayBuffer) return SHARES | NOT_JSON;
  if (ArrayBuffer.isView(o)) return NOT_JSON | (o.buffer instanceof SharedArrayBuffer ? SHARES : 0);
  const proto = Object.getPrototypeOf(o);
  let flags = 0;
  if (Array.isArray(o)) {
    if (proto !== Array.prototype) flags = NOT_JSON;
    for (let i = 0; i < o.length; i++) flags |= i in o ? scan(o[i], seen) : NOT_JSON;
    return flags;
  }
  if (proto !== Object.prototype && proto !== null) {
    if (isPrimitive(o)) return SHARES | NOT_JSON;
    flags = NOT_JSON;
    if (o instanceof Map) {
      for (const [k, x] of o) flags |= scan(k, seen) | scan(x, seen);
      return flags;
    }
    if (o instanceof Set) {
      for (const x of o) flags |= scan(x, seen);
      return flags;
    }
  }
  for (const k of Object.keys(o)) {
    const x = (o as Record<string, unknown>)[k];
    flags |= x === undefined || k === '__proto__' ? NOT_JSON : scan(x, seen);
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// share / unshare: swap buffers and primitives for markers and back

const MARK = '\u0000sabsync';
type Marker = { [MARK]: { b?: string; v?: string; o?: number; l?: number; h?: unknown } };

function share(v: unknown, ids: Set<string>, memo: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const o = v as object;
  if (memo.has(o)) return memo.get(o);
  let out: unknown;
  if (o instanceof SharedArrayBuffer) {
    const b = idOf(o);
    ids.add(b);
    out = { [MARK]: { b } };
  } else if (ArrayBuffer.isView(o)) {
    if (!(o.buffer instanceof SharedArrayBuffer)) return o;
    const b = idOf(o.buffer);
    ids.add(b);
    const l = o instanceof DataView ? o.byteLength : (o as unknown as { length: number }).length;
    out = { [MARK]: { b, v: o.constructor.name, o: o.byteOffset, l } };
  } else if (Array.isArray(o)) {
    const a: unknown[] = [];
    memo.set(o, a);
    for (const x of o) a.push(share(x, ids, memo));
    return a;
  } else if (o instanceof Map) {
    const m = new Map();
    memo.set(o, m);
    for (const [k, x] of o) m.set(share(k, ids, memo), share(x, ids, memo));
    return m;
  } else if (o instanceof Set) {
    const s = new Set();
    memo.set(o, s);
    for (const x of o) s.add(share(x, ids, memo));
    return s;
  } else if (isPrimitive(o)) {
    out = { [MARK]: { h: share((o as { handle: unknown }).handle, ids, memo) } };
  } else if (Object.getPrototypeOf(o) === Object.prototype || Object.getPrototypeOf(o) === null) {
    const r: Record<string, unknown> = {};
    memo.set(o, r);
    for (const k of Object.keys(o)) r[k] = share((o as Record<string, unknown>)[k], ids, memo);
    return r;
  } else {
    return o;
  }
  memo.set(o, out);
  return out;
}

function resolve(m: Marker[typeof MARK]): unknown {
  if (m.h !== undefined) return revive(unshare(m.h, new Set()));
  const sab = bufferOf(m.b!);
  if (m.v === undefined) return sab;
  const View = (globalThis as unknown as Record<string, new (b: SharedArrayBuffer, o: number, l: number) => unknown>)[m.v]!;
  return new View(sab, m.o!, m.l!);
}

function unshare(v: unknown, seen: Set<object>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  if (MARK in o && Object.getPrototypeOf(o) === Object.prototype) return resolve((o as Marker)[MARK]);
  if (seen.has(o)) return o;
  seen.add(o);
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) o[i] = unshare(o[i], seen);
  } else if (o instanceof Map) {
    const entries = [...o];
    o.clear();
    for (const [k, x] of entries) o.set(unshare(k, seen), unshare(x, seen));
  } else if (o instanceof Set) {
    const items = [...o];
    o.clear();
    for (const x of items) o.add(unshare(x, seen));
  } else if (Object.getPrototypeOf(o) === Object.prototype) {
    for (const k of Object.keys(o)) o[k] = unshare(o[k], seen);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// encode / decode

/** Encode an object that holds nothing shared at `at`, by JSON or v8; returns the end. */
function encodeObject(v: unknown, jsonSafe: boolean, at: number): number {
  if (jsonSafe) return writeText(T_JSON, JSON.stringify(v), at);
  if (v8 === undefined) throw unserializable('this value (it needs node:v8, which this runtime lacks)');
  let bytes: Uint8Array;
  try {
    bytes = v8.serialize(v);
  } catch (e) {
    throw unserializable('this value', e);
  }
  room(at + 1 + bytes.length);
  scratch[at] = T_V8;
  scratch.set(bytes, at + 1);
  return at + 1 + bytes.length;
}

/**
 * Encode `value`. Returns a view of this thread's scratch memory, valid until the next call.
 * Throws `ERR_UNSERIALIZABLE` for what structured clone refuses (functions, symbols, ...).
 */
export function encode(value: unknown): Uint8Array {
  let end: number;
  switch (typeof value) {
    case 'number':
      scratch[0] = T_NUMBER;
      num[0] = value;
      scratch.set(numBytes, 8);
      end = NUMBER_BYTES;
      break;
    case 'string':
      end = value.isWellFormed() ? writeText(T_STRING, value, 0) : writeUtf16(value);
      break;
    case 'undefined':
      scratch[0] = T_UNDEFINED;
      end = 1;
      break;
    case 'boolean':
      scratch[0] = value ? T_TRUE : T_FALSE;
      end = 1;
      break;
    default: {
      if (value === null) {
        scratch[0] = T_NULL;
        end = 1;
        break;
      }
      const flags = scan(value, new Set());
      if ((flags & SHARES) === 0) {
        end = encodeObject(value, flags === 0, 0);
        break;
      }
      const ids = new Set<string>();
      const marked = share(value, ids, new Map());
      end = writeText(T_SHARED, JSON.stringify([...ids]), 0);
      end = encodeObject(marked, scan(marked, new Set()) === 0, end);
    }
  }
  return scratch.subarray(0, end);
}

/** The ids of the shared buffers an encoded item refers to (none: an empty array). */
export function sharedIds(bytes: Uint8Array): string[] {
  if (bytes[0] !== T_SHARED) return [];
  return JSON.parse(text.decode(bytes.subarray(5, 5 + readU32(bytes, 1)))) as string[];
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
      return text.decode(bytes.subarray(at + 5, at + 5 + readU32(bytes, at + 1)));
    case T_UTF16: {
      const units = new Uint16Array(readU32(bytes, at + 1));
      for (let i = 0; i < units.length; i++) units[i] = bytes[at + 5 + 2 * i]! | (bytes[at + 6 + 2 * i]! << 8);
      let s = '';
      for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
      return s;
    }
    case T_JSON:
      return JSON.parse(text.decode(bytes.subarray(at + 5, at + 5 + readU32(bytes, at + 1))));
    case T_V8:
      if (v8 === undefined) throw unserializable('this value (it needs node:v8, which this runtime lacks)');
      return v8.deserialize(bytes.subarray(at + 1));
    case T_SHARED:
      return unshare(decodeAt(bytes, at + 5 + readU32(bytes, at + 1)), new Set());
    default:
      throw new Error(`sabsync queue: corrupt item (tag ${bytes[at]})`);
  }
}

/**
 * Decode an item from unshared memory. The buffers of `sharedIds(bytes)` must be known to
 * this thread (buffers.ts `fetchSteps`).
 */
export function decode(bytes: Uint8Array): unknown {
  return decodeAt(bytes, 0);
}
