/**
 * Where primitives live: placement in shared memory, type tags, handles and `revive`.
 *
 * Every primitive occupies `[byteOffset, byteOffset + byteLength)` of a `SharedArrayBuffer`,
 * either a fresh one or one the caller owns (`{ buffer, byteOffset }`). Word 0 of that range is
 * the primitive's TAG: `0x5AB5` in the high half and the kind's number in the low half. The
 * constructor writes it last, after the other words are initialised; `X.from(handle)` refuses
 * memory whose tag is not X's, so a handle of the wrong kind or a foreign buffer fails with a
 * clear `TypeError` instead of corrupting memory.
 *
 * A handle is a plain structured-cloneable object `{ type, buffer, byteOffset, live, ... }`:
 * `live` is the liveness table of the thread that built it (liveness.ts), which attaching
 * adopts, so that every thread handed a primitive learns which threads died. The registry maps
 * `type` to the class's reviver so that `revive(handle)` (and the Queue's codec) can rebuild
 * the live object in any thread.
 */
import { rangeError, typeError } from './errors.js';
import { adoptTable, livenessTable } from './liveness.js';

/** Kinds of shared object, and the number stored in their tag word. */
export const Kind = {
  Lock: 1,
  RLock: 2,
  Condition: 3,
  Semaphore: 4,
  BoundedSemaphore: 5,
  Event: 6,
  Barrier: 7,
  Queue: 8,
  LifoQueue: 9,
  PriorityQueue: 10,
} as const;
export type KindName = keyof typeof Kind;

const TAG_HIGH = 0x5ab5 << 16;

/** The tag word value of a kind. */
export function tagOf(kind: KindName): number {
  return TAG_HIGH | Kind[kind];
}

/** Options accepted by every constructor to place the primitive in caller-owned memory. */
export interface PlacementOptions {
  /** Memory to live in (default: a new `SharedArrayBuffer` of exactly `byteLength`). */
  buffer?: SharedArrayBuffer;
  /** Where in `buffer` to start; a multiple of 8 (default 0). */
  byteOffset?: number;
}

/** The structured-cloneable description of a shared object. */
export interface Handle {
  readonly type: `sabsync:${KindName}`;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly [extra: string]: unknown;
}

/** A located, tagged region of shared memory. */
export interface Region {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  /** Int32 view of exactly the primitive's words; word 0 is the tag. */
  readonly i32: Int32Array;
}

function checkOffset(buffer: SharedArrayBuffer, byteOffset: unknown, byteLength: number, what: string): number {
  if (typeof byteOffset !== 'number') {
    throw typeError(`${what}.byteOffset must be a number, got ${typeof byteOffset}`);
  }
  // NaN, ±Infinity and fractions fail `% 8 === 0` too: any number that is not a valid offset is
  // a RangeError (API.md: "a multiple of 8, RangeError otherwise").
  if (!(byteOffset >= 0) || byteOffset % 8 !== 0) {
    throw rangeError(`${what}.byteOffset must be a non-negative multiple of 8, got ${byteOffset}`);
  }
  if (byteOffset + byteLength > buffer.byteLength) {
    throw rangeError(
      `${what}: ${byteLength} bytes at byteOffset ${byteOffset} do not fit in a buffer of ${buffer.byteLength} bytes`,
    );
  }
  return byteOffset;
}

/** Validate placement options and return the region for a new primitive of `byteLength` bytes. */
function allocate(kind: KindName, byteLength: number, options: PlacementOptions | undefined): Region {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw typeError(`${kind} options must be an object`);
  }
  const given = options?.buffer;
  if (given !== undefined && !(given instanceof SharedArrayBuffer)) {
    throw typeError(`${kind} options.buffer must be a SharedArrayBuffer`);
  }
  const buffer = given ?? new SharedArrayBuffer(byteLength);
  const byteOffset = checkOffset(buffer, options?.byteOffset ?? 0, byteLength, `${kind} options`);
  return { buffer, byteOffset, i32: new Int32Array(buffer, byteOffset, byteLength >> 2) };
}

/** Publish an initialised region: write its tag word last. */
function stampTag(kind: KindName, region: Region): void {
  Atomics.store(region.i32, 0, tagOf(kind));
}

// `X.from(handle)` runs X's constructor on memory that already holds an X: it parks the
// attached region here and the constructor's `open()` takes it instead of allocating.
let adopted: Region | undefined;

/** Run `construct` (a `new X(...)`) so that it attaches to `region` instead of allocating. */
export function adopt<T>(region: Region, construct: () => T): T {
  adopted = region;
  try {
    return construct();
  } finally {
    adopted = undefined;
  }
}

/**
 * A constructor's first step: the region being adopted by `from`, or else new memory of
 * `byteLength` bytes placed as `options` say, initialised by `init` and then tagged.
 */
export function open(
  kind: KindName,
  byteLength: number,
  options: PlacementOptions | undefined,
  init: (i32: Int32Array) => void,
): Region {
  const region = adopted;
  if (region !== undefined) {
    adopted = undefined;
    return region;
  }
  const fresh = allocate(kind, byteLength, options);
  init(fresh.i32);
  stampTag(kind, fresh);
  return fresh;
}

/** Check that `handle` describes a `kind` and that its memory holds one; return the region. */
export function attach(kind: KindName, handle: unknown, byteLength: (region: Int32Array) => number): Region {
  const what = `${kind}.from(handle)`;
  if (typeof handle !== 'object' || handle === null) throw typeError(`${what}: handle must be an object`);
  const h = handle as Partial<Handle>;
  if (h.type !== `sabsync:${kind}`) {
    const got = typeof h.type === 'string' && h.type.startsWith('sabsync:') ? `a ${h.type.slice(8)} handle` : 'not a sabsync handle';
    throw typeError(`${what}: expected a ${kind} handle, got ${got}`);
  }
  if (!(h.buffer instanceof SharedArrayBuffer)) throw typeError(`${what}: handle.buffer must be a SharedArrayBuffer`);
  adoptTable(h.live);
  const byteOffset = checkOffset(h.buffer, h.byteOffset, 8, what);
  const head = new Int32Array(h.buffer, byteOffset, 2);
  if (Atomics.load(head, 0) !== tagOf(kind)) {
    throw typeError(`${what}: the memory at byteOffset ${byteOffset} does not hold a sabsync ${kind}`);
  }
  const size = byteLength(new Int32Array(h.buffer, byteOffset, (h.buffer.byteLength - byteOffset) >> 2));
  checkOffset(h.buffer, byteOffset, size, what);
  return { buffer: h.buffer, byteOffset, i32: new Int32Array(h.buffer, byteOffset, size >> 2) };
}

/** Build the handle of a region. */
export function handleOf(kind: KindName, region: Region, extra?: Record<string, unknown>): Handle {
  return { type: `sabsync:${kind}`, buffer: region.buffer, byteOffset: region.byteOffset, live: livenessTable(), ...extra };
}

// ---------------------------------------------------------------------------------------------
// revive

const revivers = new Map<string, (handle: Handle) => unknown>();

/** Register how to rebuild a kind from its handle (each primitive's module does this once). */
export function registerKind(kind: KindName, reviver: (handle: Handle) => unknown): void {
  revivers.set(`sabsync:${kind}`, reviver);
}

/** Whether `value` looks like a sabsync handle of a registered kind. */
export function isHandle(value: unknown): value is Handle {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    revivers.has((value as { type: string }).type) &&
    (value as { buffer?: unknown }).buffer instanceof SharedArrayBuffer
  );
}

/**
 * Attach to the shared object a handle describes, whatever its kind.
 * Throws `TypeError` for anything that is not a handle of a known kind.
 */
export function revive(handle: unknown): unknown {
  const type = typeof handle === 'object' && handle !== null ? (handle as { type?: unknown }).type : undefined;
  const reviver = typeof type === 'string' ? revivers.get(type) : undefined;
  if (reviver === undefined) throw typeError('revive(handle): not a handle of a sabsync primitive');
  return reviver(handle as Handle);
}
