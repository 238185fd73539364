/**
 * Wait on state, never on time: who is blocked on a primitive, read from its shared words.
 *
 * A test that needs "the worker is blocked in get() by now" must not sleep and hope: it waits
 * (with a timeout that fails the test) until the primitive's own memory says so. Each reader
 * below goes through the primitive's handle (`buffer`, `byteOffset`) and the layout drawn at
 * the top of its file in src/; the tag word is checked first, so a primitive that is not where
 * the handle (or the queue's layout) says fails loudly instead of reading the wrong word, and
 * test/blocked.test.ts checks every reader against threads it blocks, so a word that moved
 * within a primitive fails there first.
 *
 *   kind                 place      word read                        what it counts
 *   -------------------  ---------  -------------------------------  ------------------------------
 *   Lock, RLock          acquire    STATE (1), its CONTENDED bit     0 or 1: someone may be asleep
 *                                   (rawlock.ts)                     on it; a lock word records no
 *                                                                    more than that
 *   Condition            wait       WAITERS (2) (condition.ts)       threads on the waiting list
 *                        acquire    its lock's STATE                 as for a Lock
 *   Semaphore, Bounded   acquire    SLEEPERS (2) (semaphore.ts):     threads in the slow path of
 *                                   +1 sync, +2^16 async             acquire
 *   Event                wait       SLEEPERS (2) (event.ts)          threads in the slow path of wait
 *   Barrier              wait       COUNT (3) (barrier.ts)           threads inside wait()
 *   ReaderWriterLock     acquire    READ_WAITERS (5) + WRITE_WAITERS  read and write requests
 *                                   (6) (rwlock.ts)                  waiting (counted under its
 *                                                                    LOCK, before SEQ is read)
 *   WaitGroup, Once      wait       SLEEPERS (2) (waitgroup.ts,      threads in the slow path of
 *                                   once.ts)                         wait / call
 *   Queue                get / put  GETTERS / PUTTERS / JOINERS of    threads asleep in get / put /
 *                        / join     its ring (ring.ts, 32..34 from    join (ids: the ring's SLEEPERS
 *                                   the ring's words, store.ts)       tables, from word 48)
 *   Lifo, Prio           get / put  WAITERS of the NOT_EMPTY /       threads waiting to get / put /
 *                        / join     NOT_FULL / ALL_DONE Condition    join (store.ts places them)
 *   Queue, Lifo, Prio    acquire    the queue's Lock's STATE         as for a Lock
 *
 * Every count is raised before its thread sleeps and after the last check it makes under the
 * primitive's rules, so once a count says n, anything the test does next (a release, a put, a
 * notify) reaches those n threads: that is all "blocked" has to mean for a test.
 */
import { Condition, RLock } from 'sabsync';
import { fifo, Kind, layoutOfWords, tagOf } from './internals.js';
import { waitUntil } from './workers.js';

/** What these readers need of a handle (structurally a sabsync `Handle`). */
interface HandleLike {
  readonly type: string;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly lock?: unknown;
}

/** A primitive (anything with a `handle`) or its handle. */
export type Shared = HandleLike | { readonly handle: HandleLike };

/** Where a thread can be blocked; each kind has a default (the first place listed above). */
export type Place = 'acquire' | 'wait' | 'get' | 'put' | 'join';

// The kinds and their tag words, from the package itself (memory.ts draws the tag).
const KINDS: Record<string, number> = Kind;

// rawlock.ts: bit 0 of a lock word is CONTENDED.
const CONTENDED = 1;
// condition.ts (where its nodes start: see `nodesAt`)
const COND_WAITERS = 2;
const COND_CAPACITY = 6;
const NODE_WORDS = 4;
const NODE_STATE = 0;
const NODE_OWNER = 2;
const NODE_TICKET = 3;
const WAITING = 1;
// semaphore.ts, event.ts
const SLEEPERS = 2;
const ASYNC_SLEEPER = 1 << 16;
// barrier.ts
const BARRIER_COUNT = 3;
// rwlock.ts
const RW_READ_WAITERS = 5;
const RW_WRITE_WAITERS = 6;

const DEFAULT_PLACE: Record<string, Place> = {
  Lock: 'acquire',
  RLock: 'acquire',
  Condition: 'wait',
  Semaphore: 'acquire',
  BoundedSemaphore: 'acquire',
  Event: 'wait',
  Barrier: 'wait',
  Queue: 'get',
  LifoQueue: 'get',
  PriorityQueue: 'get',
  ReaderWriterLock: 'acquire',
  WaitGroup: 'wait',
  Once: 'wait',
};

const isQueue = (kind: string) => kind === 'Queue' || kind === 'LifoQueue' || kind === 'PriorityQueue';
// ring.ts: a FIFO Queue's sleepers are counted and named in its ring's words.
const RING_COUNTS = 32;
/** sleepers.ts PENDING: a word per place, which each entry of a sleeper of that place into a sleep clears. */
const RING_PENDING = 39;
const RING_SLEEPERS = 48;
const RING_PLACES: Partial<Record<Place, number>> = { get: 0, put: 1, join: 2 };

/** The FIFO Queue's ring words and which of its places `place` is, or undefined. */
function ringPlace(h: HandleLike, kind: string, place: Place): { words: Int32Array; what: number; maxWaiters: number } | undefined {
  const what = RING_PLACES[place];
  if (kind !== 'Queue' || what === undefined) return undefined;
  const layout = layoutOfWords(fifo, wordsAt(h.buffer, h.byteOffset, kind));
  const words = new Int32Array(h.buffer, h.byteOffset + layout.ring, RING_SLEEPERS + 3 * layout.maxWaiters);
  return { words, what, maxWaiters: layout.maxWaiters };
}
/** Kinds whose count at 'acquire' is a true count (not a lock word's 0 or 1). */
const counts = (kind: string) => isSemaphore(kind) || kind === 'ReaderWriterLock';
const isSemaphore = (kind: string) => kind === 'Semaphore' || kind === 'BoundedSemaphore';

function handleOf(x: Shared): HandleLike {
  return 'handle' in x ? x.handle : x;
}

function kindOf(h: HandleLike): string {
  const kind = h.type.replace(/^sabsync:/, '');
  if (!(kind in KINDS)) throw new TypeError(`not a sabsync handle: ${h.type}`);
  return kind;
}

/** The Int32 words of the `kind` at `byteOffset` of `buffer`, after checking its tag. */
function wordsAt(buffer: SharedArrayBuffer, byteOffset: number, kind: string): Int32Array {
  const words = new Int32Array(buffer, byteOffset, (buffer.byteLength - byteOffset) >> 2);
  const tag = Atomics.load(words, 0);
  if (tag !== tagOf(kind as keyof typeof Kind)) {
    throw new Error(`no ${kind} at byteOffset ${byteOffset} (tag 0x${(tag >>> 0).toString(16)}): has its layout moved?`);
  }
  return words;
}

/** 0 or 1: whether the lock word of the `kind` at `byteOffset` says someone may be asleep on it. */
function lockSleepers(buffer: SharedArrayBuffer, byteOffset: number, kind: string): number {
  return Atomics.load(wordsAt(buffer, byteOffset, kind), 1) & CONTENDED;
}

/** Byte offset, in the queue's buffer, of the queue's Lock or of the Condition waited on at `place`. */
function queuePart(h: HandleLike, kind: string, place: Place): number {
  const layout = layoutOfWords(fifo, wordsAt(h.buffer, h.byteOffset, kind));
  const parts: Partial<Record<Place, number>> = {
    acquire: layout.lock,
    get: layout.conditions[0],
    put: layout.conditions[1],
    join: layout.conditions[2],
  };
  const at = parts[place];
  if (at === undefined) throw new RangeError(`nobody blocks at '${place}' of a ${kind}`);
  return h.byteOffset + at;
}

/** The words of the Condition whose list holds the threads waiting at `place` of `h`. */
function conditionWords(h: HandleLike, kind: string, place: Place): Int32Array {
  if (kind === 'Condition' && place === 'wait') return wordsAt(h.buffer, h.byteOffset, kind);
  if (isQueue(kind) && place !== 'acquire') return wordsAt(h.buffer, queuePart(h, kind, place), 'Condition');
  throw new RangeError(`no waiting list at '${place}' of a ${kind}`);
}

/**
 * How many threads are blocked on `x` at `place` (default: the kind's first place in the
 * table above) now. A lock word says only 0 or 1.
 */
export function blocked(x: Shared, place?: Place): number {
  const h = handleOf(x);
  const kind = kindOf(h);
  const at = place ?? DEFAULT_PLACE[kind]!;
  if (at === 'acquire') {
    if (kind === 'Lock' || kind === 'RLock') return lockSleepers(h.buffer, h.byteOffset, kind);
    if (isSemaphore(kind)) {
      const s = Atomics.load(wordsAt(h.buffer, h.byteOffset, kind), SLEEPERS);
      return (s % ASYNC_SLEEPER) + Math.floor(s / ASYNC_SLEEPER);
    }
    if (kind === 'Condition') {
      const lock = h.lock as HandleLike;
      return lockSleepers(lock.buffer, lock.byteOffset, kindOf(lock));
    }
    if (isQueue(kind)) return lockSleepers(h.buffer, queuePart(h, kind, at), 'Lock');
    if (kind === 'ReaderWriterLock') {
      const words = wordsAt(h.buffer, h.byteOffset, kind);
      return Atomics.load(words, RW_READ_WAITERS) + Atomics.load(words, RW_WRITE_WAITERS);
    }
  }
  const ring = ringPlace(h, kind, at);
  if (ring !== undefined) return Atomics.load(ring.words, RING_COUNTS + ring.what);
  if (at === 'wait' && (kind === 'WaitGroup' || kind === 'Once')) return Atomics.load(wordsAt(h.buffer, h.byteOffset, kind), SLEEPERS);
  if (at === 'wait' && kind === 'Event') return Atomics.load(wordsAt(h.buffer, h.byteOffset, kind), SLEEPERS);
  if (at === 'wait' && kind === 'Barrier') return Atomics.load(wordsAt(h.buffer, h.byteOffset, kind), BARRIER_COUNT);
  return Atomics.load(conditionWords(h, kind, at), COND_WAITERS);
}

/**
 * The word where a Condition's node 0 starts: after its header, whose length is what
 * `Condition.byteLength` leaves once the nodes and the default RLock are taken out (the
 * layout in condition.ts: header, CAPACITY nodes, an RLock) — so a header that grows a word
 * moves the nodes here too.
 */
function nodesAt(capacity: number): number {
  return Condition.byteLength({ maxWaiters: capacity }) / 4 - NODE_WORDS * capacity - RLock.byteLength / 4;
}

/**
 * The sabsync ids (thread.ts) of the threads on the waiting list at `place` of `x` (a
 * Condition's `wait`, a queue's `get`, `put` or `join`), oldest first (a FIFO Queue's: in the
 * order of its ring's table, which keeps no age): read from the nodes'
 * STATE, OWNER and TICKET words (condition.ts), which are never half-written.
 */
export function waitersOf(x: Shared, place?: Place): number[] {
  const h = handleOf(x);
  const kind = kindOf(h);
  const ring = ringPlace(h, kind, place ?? DEFAULT_PLACE[kind]!);
  if (ring !== undefined) {
    const ids: number[] = [];
    for (let k = 0; k < ring.maxWaiters; k++) {
      const id = Atomics.load(ring.words, RING_SLEEPERS + ring.what * ring.maxWaiters + k);
      if (id !== 0) ids.push(id);
    }
    return ids;
  }
  const words = conditionWords(h, kind, place ?? DEFAULT_PLACE[kind]!);
  const capacity = Atomics.load(words, COND_CAPACITY);
  const first = nodesAt(capacity);
  const nodes: [ticket: number, owner: number][] = [];
  for (let k = 0; k < capacity; k++) {
    const base = first + k * NODE_WORDS;
    if (Atomics.load(words, base + NODE_STATE) === WAITING) {
      nodes.push([Atomics.load(words, base + NODE_TICKET), Atomics.load(words, base + NODE_OWNER)]);
    }
  }
  return nodes.sort((a, b) => a[0] - b[0]).map(([, owner]) => owner);
}

/**
 * Resolve once at least `n` threads are blocked on `x` at `place` (see `blocked`); throw, and
 * so fail the test, if that takes more than `timeout` ms. On a lock word `n` must be 1.
 */
export async function untilBlocked(x: Shared, n = 1, place?: Place, timeout = 10_000): Promise<void> {
  const h = handleOf(x);
  const kind = kindOf(h);
  const at = place ?? DEFAULT_PLACE[kind]!;
  if (n > 1 && at === 'acquire' && !counts(kind)) throw new RangeError(`a lock word cannot count ${n} sleepers: wait for 1`);
  await waitUntil(() => blocked(h, at) >= n, timeout, `${n} thread(s) blocked at '${at}' of a ${kind}`);
}

/**
 * Resolve once the waiting list at `place` of `x` holds exactly the threads with sabsync ids
 * `ids`, oldest first (see `waitersOf`); throw, failing the test, after `timeout` ms.
 */
export async function untilWaiters(x: Shared, ids: number[], place?: Place, timeout = 10_000): Promise<void> {
  const want = ids.join(',');
  let seen = '';
  await waitUntil(
    () => (seen = waitersOf(x, place).join(',')) === want,
    timeout,
    () => `the waiters at '${place ?? 'default'}' to be [${want}] (last seen: [${seen}])`,
  );
}

/**
 * How many of 5 tries a sleeper at `place` ('get', 'put', 'join') of the FIFO Queue `x` entered
 * a sleep again within 100 ms, `settleMs` after the call (seen through its place's PENDING word,
 * set by hand each try, which each entry into a sleep clears). A parked sleeper looks again only
 * at its slice's end (50 ms doubling to a second: sleepers.ts): after 2.5 s at most one of the 5
 * windows (≤ 100 ms each) sees an entry, where a sleeper that looks again every millisecond or at
 * once, over and over, is seen in all 5.
 */
export async function sleepEntries(x: Shared, place: 'get' | 'put' | 'join', settleMs = 2_500): Promise<number> {
  const h = handleOf(x);
  const ring = ringPlace(h, kindOf(h), place);
  if (ring === undefined) throw new RangeError(`sleepEntries: not a FIFO Queue's place: ${place}`);
  const at = RING_PENDING + ring.what;
  await new Promise((r) => setTimeout(r, settleMs));
  let entries = 0;
  for (let k = 0; k < 5; k++) {
    Atomics.store(ring.words, at, 1);
    const end = Date.now() + 100;
    while (Date.now() < end && Atomics.load(ring.words, at) === 1) await new Promise((r) => setTimeout(r, 5));
    if (Atomics.load(ring.words, at) === 0) entries++;
  }
  return entries;
}
