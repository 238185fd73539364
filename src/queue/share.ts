/**
 * The part of the queue's codec (codec.ts) that keeps shared memory shared: find the
 * `SharedArrayBuffer`s, typed arrays over them and sabsync primitives inside an item, swap each
 * for a marker object that any serializer carries (`{ "\u0000sabsync": { b: id, ... } }`, the
 * buffer itself travelling by buffers.ts), and swap the markers back on the other side — a
 * primitive by reviving its handle, so it arrives live. The copy is what structured clone
 * makes of the item (class instances as plain objects, arrays with their holes and extra
 * properties), with user objects that hold the marker key escaped: plain data never comes back
 * as anything but itself.
 */
import { misuse } from '../primitives/errors.js';
import { isHandle, revive } from '../primitives/memory.js';
import { bufferOf, idOf } from './buffers.js';

/** The error for a value that cannot cross threads. */
export function unserializable(what: string, cause?: unknown): Error {
  return misuse('ERR_UNSERIALIZABLE', `cannot send ${what} through a queue`, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------------
// hasShared: find what must be shared rather than copied

function isPlain(proto: unknown): boolean {
  return proto === Object.prototype || proto === null;
}

/** A sabsync primitive: an instance (never plain data or an array) whose `handle` is a handle. */
function isPrimitive(v: object): boolean {
  return !isPlain(Object.getPrototypeOf(v)) && !Array.isArray(v) && isHandle((v as { handle?: unknown }).handle);
}

/**
 * Whether structured clone copies `o` as a plain object: plain objects and instances of
 * classes (not Date, RegExp, Error, Map, WeakMap, Promise...: those have their own tag).
 */
function isObjectLike(o: object): boolean {
  return isPlain(Object.getPrototypeOf(o)) || Object.prototype.toString.call(o) === '[object Object]';
}

/** Whether `v` itself is shared: a shared buffer, a view of one, or a sabsync primitive. */
export function isShared(v: object): boolean {
  return v instanceof SharedArrayBuffer || (ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer) || isPrimitive(v);
}

/** Whether `v` holds a shared buffer or a sabsync primitive; throws for functions and symbols. */
export function hasShared(v: unknown, seen: Set<object>): boolean {
  if (typeof v === 'function' || typeof v === 'symbol') throw unserializable(`a ${typeof v}`);
  if (typeof v !== 'object' || v === null || seen.has(v)) return false;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return v.buffer instanceof SharedArrayBuffer;
  if (isShared(v)) return true;
  let found = false;
  if (v instanceof Map) {
    for (const [k, x] of v) found = hasShared(k, seen) || hasShared(x, seen) || found;
    return found;
  }
  if (v instanceof Set) {
    for (const x of v) found = hasShared(x, seen) || found;
    return found;
  }
  // Plain objects, arrays (their elements, holes skipped, and extra properties) and class
  // instances (which structured clone copies as plain objects).
  for (const k of Object.keys(v)) found = hasShared((v as Record<string, unknown>)[k], seen) || found;
  return found;
}

// ---------------------------------------------------------------------------------------------
// share / unshare: swap buffers and primitives for markers and back
//
// A marker is a plain object whose only key is MARK. Plain data may hold that key too: such an
// object is escaped (wrapped in a `u` marker), so that no user data is ever read as a marker —
// `{ "\u0000sabsync": { h: ... } }` put by a user comes back as that same plain data, never as
// a primitive over memory the data names.
//
//   { [MARK]: { b } }              the SharedArrayBuffer with global id b (buffers.ts)
//   { [MARK]: { b, v, o, l } }     a view of class v at byte offset o, length l, over it
//   { [MARK]: { h } }              the sabsync primitive with handle h
//   { [MARK]: { u } }              the user's object u, which has a MARK key of its own

const MARK = '\u0000sabsync';
type Marker = { b?: string; v?: string; o?: number; l?: number; h?: unknown; u?: Record<string, unknown> };

/** Set own property `k` of `o`, even when it is `__proto__` (which assignment would not). */
function setOwn(o: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, writable: true, enumerable: true, configurable: true });
  else o[k] = x;
}

/**
 * A copy of `v` in which every shared buffer, view over one and primitive is a marker (its
 * buffers' ids added to `ids`); `memo` keeps shared references and cycles.
 */
export function share(v: unknown, ids: Set<string>, memo: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const o = v as object;
  if (memo.has(o)) return memo.get(o);
  let out: unknown;
  if (isPrimitive(o)) {
    // First: a primitive may itself be a typed array over shared memory (a SharedArray).
    out = { [MARK]: { h: share((o as { handle: unknown }).handle, ids, memo) } };
  } else if (o instanceof SharedArrayBuffer) {
    const b = idOf(o);
    ids.add(b);
    out = { [MARK]: { b } };
  } else if (ArrayBuffer.isView(o)) {
    if (!(o.buffer instanceof SharedArrayBuffer)) return o;
    const b = idOf(o.buffer);
    ids.add(b);
    const l = o instanceof DataView ? o.byteLength : (o as unknown as { length: number }).length;
    out = { [MARK]: { b, v: o.constructor.name, o: o.byteOffset, l } };
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
  } else if (Array.isArray(o) || isObjectLike(o)) {
    // Arrays keep their holes and extra properties; class instances become the plain objects
    // structured clone makes of them (so the buffers inside them are shared too).
    const r: Record<string, unknown> = Array.isArray(o) ? (new Array(o.length) as unknown as Record<string, unknown>) : {};
    const copy = Object.hasOwn(o, MARK) ? { [MARK]: { u: r } } : r;
    memo.set(o, copy);
    for (const k of Object.keys(o)) setOwn(r, k, share((o as Record<string, unknown>)[k], ids, memo));
    return copy;
  } else {
    return o;
  }
  memo.set(o, out);
  return out;
}

function resolve(m: Marker, memo: Map<object, unknown>, dense: boolean): unknown {
  if (m.h !== undefined) return revive(unshare(m.h, memo, dense));
  const sab = bufferOf(m.b!);
  if (m.v === undefined) return sab;
  const View = (globalThis as unknown as Record<string, new (b: SharedArrayBuffer, o: number, l: number) => unknown>)[m.v]!;
  return new View(sab, m.o!, m.l!);
}

/**
 * Swap the markers in a decoded `share` copy back, in place: the value as it was put, with
 * its buffers shared and its primitives live. `memo` maps each object met to what it became;
 * `dense`: the copy's arrays have no holes or extra properties (it was packed: codec.ts).
 */
export function unshare(v: unknown, memo: Map<object, unknown>, dense: boolean): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  if (memo.has(o)) return memo.get(o);
  if (Object.getPrototypeOf(o) === Object.prototype && Object.hasOwn(o, MARK)) {
    const m = o[MARK] as Marker;
    if (m.u === undefined) {
      const x = resolve(m, memo, dense);
      memo.set(o, x);
      return x;
    }
    memo.set(o, m.u);
    walk(m.u, memo, dense);
    return m.u;
  }
  memo.set(o, o);
  if (o instanceof Map) {
    const entries = [...o];
    o.clear();
    for (const [k, x] of entries) o.set(unshare(k, memo, dense), unshare(x, memo, dense));
  } else if (o instanceof Set) {
    const items = [...o];
    o.clear();
    for (const x of items) o.add(unshare(x, memo, dense));
  } else if (Array.isArray(o) || Object.getPrototypeOf(o) === Object.prototype) {
    walk(o, memo, dense);
  }
  return o;
}

/** Unshare every own property of `o` (an array's holes stay holes). */
function walk(o: Record<string, unknown>, memo: Map<object, unknown>, dense: boolean): void {
  if (dense && Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) o[i] = unshare(o[i], memo, dense);
    return;
  }
  for (const k of Object.keys(o)) setOwn(o, k, unshare(o[k], memo, dense));
}
