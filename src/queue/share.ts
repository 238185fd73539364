/**
 * The part of the queue's codec (codec.ts) that keeps shared memory shared: find the
 * `SharedArrayBuffer`s, typed arrays over them and sabsync primitives inside an item, swap each
 * for a marker object that any serializer carries (`{ "\u0000sabsync": { b: id, ... } }`, the
 * buffer itself travelling by buffers.ts), and swap the markers back on the other side — a
 * primitive by reviving its handle, so it arrives live.
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

function isPrimitive(v: object): boolean {
  return isHandle((v as { handle?: unknown }).handle);
}

/** Whether `v` holds a shared buffer or a sabsync primitive; throws for functions and symbols. */
export function hasShared(v: unknown, seen: Set<object>): boolean {
  if (typeof v === 'function' || typeof v === 'symbol') throw unserializable(`a ${typeof v}`);
  if (typeof v !== 'object' || v === null || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(v)) return v.buffer instanceof SharedArrayBuffer;
  let found = false;
  if (Array.isArray(v)) {
    for (const x of v) found = hasShared(x, seen) || found;
    return found;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    if (isPrimitive(v)) return true;
    if (v instanceof Map) {
      for (const [k, x] of v) found = hasShared(k, seen) || hasShared(x, seen) || found;
      return found;
    }
    if (v instanceof Set) {
      for (const x of v) found = hasShared(x, seen) || found;
      return found;
    }
  }
  for (const k of Object.keys(v)) found = hasShared((v as Record<string, unknown>)[k], seen) || found;
  return found;
}

// ---------------------------------------------------------------------------------------------
// share / unshare: swap buffers and primitives for markers and back

const MARK = '\u0000sabsync';
type Marker = { [MARK]: { b?: string; v?: string; o?: number; l?: number; h?: unknown } };

export function share(v: unknown, ids: Set<string>, memo: Map<object, unknown>): unknown {
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

export function unshare(v: unknown, seen: Set<object>): unknown {
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
