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
 * A handle is a plain structured-cloneable object `{ type, buffer, byteOffset, ... }`, typed by
 * its kind (`Handle<'Lock'>`), so `Lock.from(queue.handle)` does not compile. The registry maps
 * `type` to the class's reviver so that `revive(handle)` (and the Queue's codec) can rebuild the
 * live object in any thread. Each primitive's module registers its kind when it is imported:
 * package.json lists those modules under `sideEffects`, so a bundler keeps them; `revive` of a
 * kind whose module is missing anyway names that kind.
 *
 * The object itself cannot cross threads (its state is in #private fields, which structured
 * clone skips: it would arrive as `{}`). `open` gives every primitive one own enumerable
 * property whose value has an accessor that throws; structured clone reads it, so
 * `postMessage({ lock })` or `new Worker(url, { workerData: { lock } })` fails where the mistake
 * is made, saying to send `lock.handle`. The queue's codec recognises primitives before it reads
 * their properties.
 *
 * A handle also carries `live`, the liveness table of the thread that built it (liveness.ts),
 * which attaching adopts, so that every thread handed a primitive learns which threads died.
 */
import type { Barrier } from './barrier.js';
import type { Condition } from './condition.js';
import { rangeError, typeError } from './errors.js';
import type { Event } from './event.js';
import type { Lock } from './lock.js';
import type { RLock } from './rlock.js';
import type { BoundedSemaphore, Semaphore } from './semaphore.js';
import type { ReaderWriterLock } from './rwlock.js';
import type { WaitGroup } from './waitgroup.js';
import type { Once } from './once.js';
import type { LifoQueue, PriorityQueue, Queue } from '../queue/queue.js';
import type { SharedArray } from '../shared/array.js';
import type { SharedDict } from '../shared/dict.js';
import type { SharedList } from '../shared/list.js';
import type { Value } from '../shared/value.js';
import type { Connection } from '../threads/pipe.js';
import type { SimpleQueue } from '../queue/python.js';
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
  Value: 20,
  SharedArray: 21,
  SharedDict: 22,
  SharedList: 23,
  Connection: 15,
  ReaderWriterLock: 11,
  WaitGroup: 12,
  Once: 13,
  /** No tag of its own: a SimpleQueue's memory is a Queue's (queue/python.ts). */
  SimpleQueue: 14,
} as const;
export type KindName = keyof typeof Kind;

/** What `revive` returns for each kind. */
export interface KindTypes {
  Lock: Lock;
  RLock: RLock;
  Condition: Condition;
  Semaphore: Semaphore;
  BoundedSemaphore: BoundedSemaphore;
  Event: Event;
  Barrier: Barrier;
  Queue: Queue;
  LifoQueue: LifoQueue;
  PriorityQueue: PriorityQueue;
  Value: Value;
  SharedArray: SharedArray;
  SharedDict: SharedDict;
  SharedList: SharedList;
  Connection: Connection;
  ReaderWriterLock: ReaderWriterLock;
  WaitGroup: WaitGroup;
  Once: Once;
  SimpleQueue: SimpleQueue;
}

/** Kinds whose classes extend one another: a handle of the family is typed by the family. */
export type SemaphoreKind = 'Semaphore' | 'BoundedSemaphore';
export type QueueKind = 'Queue' | 'LifoQueue' | 'PriorityQueue';

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

/**
 * The structured-cloneable description of a shared object of kind `K` (`Handle<'Lock'>`);
 * `Handle` alone is a handle of any kind.
 */
export interface Handle<K extends KindName = KindName> {
  readonly type: `sabsync:${K}`;
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

/** Lower-case first letter: how the README names a variable of a kind (`lock`, `rLock`). */
function variableOf(kind: KindName): string {
  return kind[0]!.toLowerCase() + kind.slice(1);
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const guards = new Map<KindName, object>();

/**
 * Make `owner` (a new `kind`) fail structured clone with a message that says what to send. Its
 * own enumerable property `sendTheHandle` holds one shared object per kind whose one enumerable
 * property is an accessor that throws: structured clone reads it and fails. (A data property
 * is one store per instance; an accessor on each instance cost µs.) The class's prototype gets
 * an inspect hook, once, so that `console.log(lock)` still prints `Lock {}`, and the shared
 * object a `toJSON`, so that `JSON.stringify(lock)` still gives `{}`.
 */
export function guardClone(owner: object, kind: KindName): void {
  let guard = guards.get(kind);
  if (guard === undefined) {
    const message = `a ${kind} cannot be sent itself (it would arrive as {}): send ${variableOf(kind)}.handle and attach with ${kind}.from(handle) or revive(handle)`;
    guard = Object.freeze(
      Object.defineProperties(
        {},
        {
          [message]: {
            enumerable: true,
            get(): never {
              throw Object.assign(new TypeError(message), { code: 'ERR_UNSERIALIZABLE' });
            },
          },
          // JSON.stringify(lock) stays '{}': a log line is not a send.
          toJSON: { value: () => undefined },
        },
      ),
    );
    guards.set(kind, guard);
  }
  const proto = Object.getPrototypeOf(owner) as object;
  if (!Object.hasOwn(proto, INSPECT)) Object.defineProperty(proto, INSPECT, { value: () => `${kind} {}` });
  (owner as { sendTheHandle?: object }).sendTheHandle = guard;
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
  const i32 = new Int32Array(buffer, byteOffset, byteLength >> 2);
  // Caller-owned memory may hold anything; every init() may assume zeroed words, as in a fresh
  // buffer. Nobody else can see the region before stampTag() publishes it.
  if (given !== undefined) i32.fill(0);
  return { buffer, byteOffset, i32 };
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
 * `byteLength` bytes placed as `options` say, initialised by `init` and then tagged. `owner`
 * (the object being constructed) gets the structured-clone guard (see the header).
 */
export function open(
  owner: object,
  kind: KindName,
  byteLength: number,
  options: PlacementOptions | undefined,
  init: (i32: Int32Array) => void,
): Region {
  guardClone(owner, kind);
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
export function handleOf<K extends KindName>(kind: K, region: Region, extra?: Record<string, unknown>): Handle<K> {
  return { type: `sabsync:${kind}`, buffer: region.buffer, byteOffset: region.byteOffset, live: livenessTable(), ...extra };
}

// ---------------------------------------------------------------------------------------------
// revive

const revivers = new Map<string, (handle: Handle) => unknown>();

/**
 * Register how to rebuild a kind from its handle. Each primitive's module does this once, at
 * import: list that module under `sideEffects` in package.json (test/bundle.test.ts checks).
 */
export function registerKind<K extends KindName>(kind: K, reviver: (handle: Handle<K>) => KindTypes[K]): void {
  revivers.set(`sabsync:${kind}`, reviver as (handle: Handle) => unknown);
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
 * Attach to the shared object a handle describes, whatever its kind: `revive(lock.handle)` is a
 * `Lock`. Throws `TypeError` for anything that is not a handle of a sabsync primitive, and for a
 * kind whose module this program did not load (a bundler dropped it), naming the kind.
 */
export function revive<K extends KindName>(handle: Handle<K>): KindTypes[K];
export function revive(handle: unknown): unknown;
export function revive(handle: unknown): unknown {
  const type = typeof handle === 'object' && handle !== null ? (handle as { type?: unknown }).type : undefined;
  const reviver = typeof type === 'string' ? revivers.get(type) : undefined;
  if (reviver !== undefined) return reviver(handle as Handle);
  const kind = typeof type === 'string' && type.startsWith('sabsync:') ? type.slice(8) : undefined;
  if (kind === undefined) throw typeError('revive(handle): not a handle of a sabsync primitive');
  if (!Object.hasOwn(Kind, kind)) throw typeError(`revive(handle): unknown kind ${kind} (a handle from another version of sabsync?)`);
  throw typeError(
    `revive(handle): a ${kind} handle, but ${kind} is not loaded in this program: its module was left out ` +
      `(a bundler ignoring package.json "sideEffects"?); import { ${kind} } from 'sabsync' where you revive it`,
  );
}
