/**
 * The packer's other kinds: everything structured clone carries that is not plain data —
 * arrays with holes or extra keys, BigInts, Dates, RegExps, Maps, Sets, errors, boxed
 * primitives, buffers and views, shared buffers and sabsync primitives. pack.ts walks plain
 * data and hands any other value here, behind one prototype check, so plain items never pay
 * for these; the children of these values go back through pack.ts's walk.
 *
 *   tag  item              then
 *   ---  ----------------  -----------------------------------------------------------------
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
 * A view's buffer is an object of its own (two views over one buffer stay over one buffer), as
 * in structured clone. The errors kept are structured clone's: the constructor chosen by `name`
 * among ERRORS (else Error), own data `message`, `stack` if it is a string, own `cause`; other
 * properties are dropped.
 */
import { isHandle, revive } from '../primitives/memory.js';
import { bufferOf, idOf } from './buffers.js';
import { cursor, packText, readF64, readU32, room, scratch, unpackString, writeF64, writeU32 } from './bytes.js';
import { fill, made, pack, packObject, reserve, setOwn, unpack, unserializable, walk } from './pack.js';

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
function viewClass(i: number): ViewClass {
  const View = (globalThis as unknown as Record<string, ViewClass | undefined>)[VIEWS[i] ?? ''];
  if (View === undefined) throw new Error(`this runtime has no ${VIEWS[i] ?? `view class ${i}`}`);
  return View;
}
/** `%TypedArray%.prototype[Symbol.toStringTag]`: a typed array's class name (Buffer: Uint8Array). */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!.get!;

/** A BigInt as signed hexadecimal text (linear both ways, unlike decimal). */
function bigHex(v: bigint): string {
  return v < 0n ? `-${(-v).toString(16)}` : v.toString(16);
}

function hexBig(s: string): bigint {
  return s.startsWith('-') ? -BigInt(`0x${s.slice(1)}`) : BigInt(`0x${s}`);
}

/** Write one tag byte at the write cursor. */
function tag(t: number): void {
  room(cursor.w + 1);
  scratch[cursor.w++] = t;
}

// ---------------------------------------------------------------------------------------------
// pack

/**
 * Pack `v`, any value but plain data (a BigInt, or an object that is no plain object or dense
 * plain array), at the write cursor; throws `ERR_UNSERIALIZABLE` for what structured clone
 * refuses.
 */
export function packOther(v: unknown, depth: number): void {
  if (typeof v === 'bigint') {
    tag(C_BIGINT);
    return packText(bigHex(v));
  }
  if (typeof v !== 'object' || v === null) throw unserializable(`a ${typeof v}`);
  if (Array.isArray(v)) return packSparse(v, depth);
  if (ArrayBuffer.isView(v)) return packView(v, depth);
  if (v instanceof ArrayBuffer) return packBuffer(v);
  if (v instanceof SharedArrayBuffer) {
    const id = idOf(v);
    walk.ids.push(id);
    walk.shared = true;
    tag(C_SAB);
    return packText(id);
  }
  if (v instanceof Date) return packF64(C_DATE, v.getTime());
  if (v instanceof RegExp) {
    tag(C_REGEXP);
    packText(v.source);
    return packText(v.flags);
  }
  if (v instanceof Map) return packEntries(C_MAP, v, depth);
  if (v instanceof Set) return packEntries(C_SET, v, depth);
  if (v instanceof Error) return packError(v, depth);
  if (v instanceof Number) return packF64(C_BOX_NUMBER, v.valueOf());
  if (v instanceof String) {
    tag(C_BOX_STRING);
    return packText(v.valueOf());
  }
  if (v instanceof Boolean) return tag(v.valueOf() ? C_BOX_TRUE : C_BOX_FALSE);
  if (v instanceof BigInt) {
    tag(C_BOX_BIGINT);
    return packText(bigHex(v.valueOf()));
  }
  const name = Object.prototype.toString.call(v);
  if (name !== '[object Object]') throw unserializable(`a ${name.slice(8, -1)}`);
  if (isHandle((v as { handle?: unknown }).handle)) return packPrimitive(v, depth);
  // An instance of a class: structured clone copies its own properties into a plain object.
  packObject(v as Record<string, unknown>, depth);
}

function packF64(t: number, x: number): void {
  const pos = cursor.w;
  room(pos + 9);
  scratch[pos] = t;
  writeF64(pos + 1, x);
  cursor.w = pos + 9;
}

/** An array with holes or extra own keys: every own enumerable key beside its value. */
function packSparse(v: unknown[], depth: number): void {
  const keys = Object.keys(v);
  const pos = cursor.w;
  room(pos + 9);
  scratch[pos] = C_SPARSE;
  writeU32(pos + 1, v.length);
  writeU32(pos + 5, keys.length);
  cursor.w = pos + 9;
  for (const k of keys) {
    packText(k);
    pack((v as unknown as Record<string, unknown>)[k], depth + 1);
  }
}

function packView(v: ArrayBufferView, depth: number): void {
  // A SharedArray is a typed array and a primitive: it crosses as the primitive, live.
  if (isHandle((v as { handle?: unknown }).handle)) return packPrimitive(v, depth);
  const name = v instanceof DataView ? 'DataView' : (typedArrayTag.call(v) as string);
  const kind = VIEW_INDEX.get(name);
  if (kind === undefined) throw unserializable(`a ${name}`);
  const pos = cursor.w;
  room(pos + 10);
  scratch[pos] = C_VIEW;
  scratch[pos + 1] = kind;
  writeU32(pos + 2, v.byteOffset);
  writeU32(pos + 6, v instanceof DataView ? v.byteLength : (v as unknown as { length: number }).length);
  cursor.w = pos + 10;
  pack(v.buffer, depth + 1);
}

/** A Map's keys and values, or a Set's members, counted as written (a getter may change it). */
function packEntries(t: number, v: Map<unknown, unknown> | Set<unknown>, depth: number): void {
  const start = cursor.w;
  room(start + 5);
  cursor.w = start + 5;
  let n = 0;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      pack(k, depth + 1);
      pack(x, depth + 1);
      n++;
    }
  } else {
    for (const x of v) {
      pack(x, depth + 1);
      n++;
    }
  }
  scratch[start] = t;
  writeU32(start + 1, n);
}

/** Pack a sabsync primitive: its handle crosses, and `revive` makes it live on the other side. */
function packPrimitive(v: object, depth: number): void {
  walk.shared = true;
  tag(C_PRIMITIVE);
  pack((v as { handle: unknown }).handle, depth + 1);
}

/** Pack an unshared ArrayBuffer: its bytes (and its maximum length, if resizable). */
function packBuffer(v: ArrayBuffer): void {
  const b = v as ArrayBuffer & { detached?: boolean; resizable?: boolean; maxByteLength?: number };
  if (b.detached === true) throw unserializable('a detached ArrayBuffer');
  const n = v.byteLength;
  let pos = cursor.w;
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
  cursor.w = pos + n;
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
  const pos = cursor.w;
  room(pos + 3);
  scratch[pos] = C_ERROR;
  scratch[pos + 1] = kind;
  scratch[pos + 2] = flags;
  cursor.w = pos + 3;
  if (flags & E_MESSAGE) packText(String(message!.value));
  if (flags & E_STACK) packText(stack as string);
  if (flags & E_CAUSE) pack('value' in cause! ? cause.value : e.cause, depth + 1);
}

// ---------------------------------------------------------------------------------------------
// unpack

/** Unpack the item at the read cursor, of any tag but pack.ts's. */
export function unpackOther(b: Uint8Array): unknown {
  const r = cursor.r;
  const t = b[r]!;
  switch (t) {
    case C_SPARSE: {
      const a = made(new Array(readU32(b, r + 1)) as unknown as Record<string, unknown>);
      const n = readU32(b, r + 5);
      cursor.r = r + 9;
      for (let i = 0; i < n; i++) {
        const k = unpackString(b);
        setOwn(a, k, unpack(b));
      }
      return a;
    }
    case C_BIGINT:
      cursor.r = r + 1;
      return hexBig(unpackString(b));
    case C_DATE:
      cursor.r = r + 9;
      return made(new Date(readF64(b, r + 1)));
    case C_REGEXP: {
      cursor.r = r + 1;
      const source = unpackString(b);
      return made(new RegExp(source, unpackString(b)));
    }
    case C_MAP: {
      const n = readU32(b, r + 1);
      const m = made(new Map<unknown, unknown>());
      cursor.r = r + 5;
      for (let i = 0; i < n; i++) {
        const k = unpack(b);
        m.set(k, unpack(b));
      }
      return m;
    }
    case C_SET: {
      const n = readU32(b, r + 1);
      const s = made(new Set<unknown>());
      cursor.r = r + 5;
      for (let i = 0; i < n; i++) s.add(unpack(b));
      return s;
    }
    case C_ERROR:
      return unpackError(b);
    case C_BOX_NUMBER:
      cursor.r = r + 9;
      return made(Object(readF64(b, r + 1)) as object);
    case C_BOX_STRING:
      cursor.r = r + 1;
      return made(Object(unpackString(b)) as object);
    case C_BOX_TRUE:
    case C_BOX_FALSE:
      cursor.r = r + 1;
      return made(Object(t === C_BOX_TRUE) as object);
    case C_BOX_BIGINT:
      cursor.r = r + 1;
      return made(Object(hexBig(unpackString(b))) as object);
    case C_ARRAYBUFFER:
      return made(unpackBuffer(b));
    case C_VIEW: {
      const View = viewClass(b[r + 1]!);
      const offset = readU32(b, r + 2);
      const length = readU32(b, r + 6);
      cursor.r = r + 10;
      // The view is met before its buffer: hold its place in the table.
      const slot = reserve();
      return fill(slot, new View(unpack(b) as ArrayBufferLike, offset, length));
    }
    case C_SAB:
      cursor.r = r + 1;
      return made(bufferOf(unpackString(b)));
    case C_PRIMITIVE: {
      cursor.r = r + 1;
      const slot = reserve();
      return fill(slot, revive(unpack(b)));
    }
    default:
      throw new Error(`sabsync queue: corrupt item (tag ${t})`);
  }
}

function unpackBuffer(b: Uint8Array): ArrayBuffer {
  let r = cursor.r;
  const resizable = b[r + 1] === 1;
  const n = readU32(b, r + 2);
  r += 6;
  let buffer: ArrayBuffer;
  if (resizable) {
    const max = readU32(b, r);
    r += 4;
    buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength: max });
    new Uint8Array(buffer).set(b.subarray(r, r + n));
  } else {
    buffer = b.slice(r, r + n).buffer;
  }
  cursor.r = r + n;
  return buffer;
}

/**
 * Make an error of class `E`. `quiet`: with V8's stack capture off, for an error whose stack is
 * about to be replaced by the one it carried (measured: capturing costs ≈ 10× the rest of its
 * decoding).
 */
function newError(E: ErrorConstructor, message: string | undefined, quiet: boolean): Error {
  const Limited = Error as { stackTraceLimit?: number };
  const limit = Limited.stackTraceLimit;
  if (!quiet || typeof limit !== 'number') return message === undefined ? new E() : new E(message);
  Limited.stackTraceLimit = 0;
  try {
    return message === undefined ? new E() : new E(message);
  } finally {
    Limited.stackTraceLimit = limit;
  }
}

function unpackError(b: Uint8Array): Error {
  const r = cursor.r;
  const E = (globalThis as unknown as Record<string, ErrorConstructor>)[ERRORS[b[r + 1]!] ?? 'Error'] ?? Error;
  const flags = b[r + 2]!;
  cursor.r = r + 3;
  const message = flags & E_MESSAGE ? unpackString(b) : undefined;
  const stack = flags & E_STACK ? unpackString(b) : undefined;
  const e = made(newError(E, message, stack !== undefined));
  if (stack !== undefined) {
    e.stack = stack;
    if (e.stack !== stack) Object.defineProperty(e, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
  }
  if (flags & E_CAUSE) Object.defineProperty(e, 'cause', { value: unpack(b), writable: true, enumerable: false, configurable: true });
  return e;
}
