/**
 * Which threads sabsync started have died: one bit per sabsync id (thread.ts) in one
 * SharedArrayBuffer, so that any thread about to sleep on a lock can see that the lock's holder
 * will never release it, take it over and repair what it guards (rawlock.ts) — what pthreads
 * calls a robust mutex (EOWNERDEAD), with no kernel to tell us: the thread that started a
 * worker learns of its exit (Node's `exit` event) and marks it here.
 *
 *   word           name    meaning                                     written by
 *   -------------  ------  ------------------------------------------  ------------------------
 *   0              ID      random non-zero id of this table (a thread   its creator, before it
 *                          that meets the same table twice keeps one)   is shared
 *   1              DEATHS  deaths marked so far (wraps)                 `markDead`, after the mark
 *   2 + (i>>5)     DEAD    bit i & 31: thread i (i < DENSE_IDS) has     `markDead`, by the thread
 *                          exited and will never run again              that saw it exit
 *   SPARSE + ...   sets    ids >= DENSE_IDS that have exited: open-     `markDead`
 *                          addressing sets, the k-th of 2^(8+k) slots
 *                          after one count word (SET_COUNT)
 *
 * A mark is only ever set, never cleared: Node never reuses a thread id, so "dead" is forever.
 * Two kinds of ids: Node's are small and sequential (`threadId + 1`), so a bitmap indexed by
 * id costs a bit each; elsewhere (Web Workers, Deno's) they are random below 2^30, and a bitmap
 * indexed by them would grow to an eighth of the id — 64 MiB on average for one death. So the
 * bitmap holds the ids below DENSE_IDS (its 4 KiB are the table's first size) and every other
 * dead id goes into the sets, which grow with the number of such deaths only: a set takes
 * ids until half its slots are used (its count word says so), then the next, twice as large, is
 * appended (the buffer is growable; only a marker grows it). A slot goes from 0 to an id once
 * (a CAS, so two markers never share one); a reader probing a set stops at an empty slot, so
 * a mark made meanwhile is seen by its next look. Readers treat a set past the end as empty.

 * Happens-before: Node emits a worker's `exit` after the worker thread has stopped, so every
 * store the dead thread made precedes the mark, and a thread that reads the bit set (a
 * sequentially consistent load) and then takes the dead thread's lock over sees all of them.
 *
 * How the table travels: it is created lazily (by the first handle built, the first pool, or
 * the first mark) and carried in every handle (memory.ts) — so in a pool worker's start data,
 * whose channels are handles — and a thread adopts every table it meets: a thread the user
 * started learns it with the first primitive it is given. A thread may meet more than one
 * table (two threads each created one before they shared anything): it reads them all and
 * marks in its own (the first it had).
 *
 * How a sleeper learns of a death that happens while it sleeps: nobody can wake it — the
 * marker does not know which words the dead thread held (shared memory cannot name another
 * buffer). So while this thread knows a table, a sleep on a lock word is cut short (`sliceEnd`)
 * and then re-checks the holder (rawlock.ts); a queue's waiter does the same
 * and looks for traces of a dead thread only when DEATHS has moved (condition.ts). A death
 * marked before a sleeper read DEATHS is one it has already accounted for: it read DEATHS
 * while holding the lock under which it checked the state it waits on. The fast paths never
 * look here.
 *
 * If the marking thread itself dies (a worker that owned a pool), the marks it made stay;
 * deaths it had not yet seen are never marked, and locks those threads held stay held (a timed
 * call still returns at its timeout).
 *
 * Limits. The marker learns of a death on its event loop: while the thread that started a
 * worker is blocked in a synchronous call, that worker's death is not marked, so a sync call
 * with no timeout, on that very thread, on a lock the dead worker held, waits for good (give it
 * a timeout, or use the async twin: the pool's owner uses only those). A thread that does not
 * know the marker's table (it met none of its handles) does not see the marks. Deaths of
 * threads sabsync did not start are never marked.
 */

import { deadlineAfter } from './futex.js';

/**
 * How often a sleeper looks again whether a thread died: first after DEATH_CHECK_MS, then
 * twice as long each time, up to DEATH_CHECK_MAX_MS. A death that matters is seen within
 * about a second at worst — usually within the first slices, since a lock is rarely held
 * long — while a thread that sleeps for long (an idle pool worker) wakes once a second, not 20
 * times (measured: 4 idle pool workers cost ≈ 2% of a core at a constant 50 ms, ≈ 0.15% backing
 * off, ≈ 0.02% with no checks at all).
 */
export const DEATH_CHECK_MS = 50;
export const DEATH_CHECK_MAX_MS = 1_000;

/**
 * When the `n`th sleep (from 0) of one wait should end: `deadline`, or earlier while this
 * thread can learn of deaths (it knows a table).
 */
export function sliceEnd(deadline: number, n: number): number {
  if (tables.length === 0) return deadline;
  return Math.min(deadline, deadlineAfter(Math.min(DEATH_CHECK_MS * 2 ** n, DEATH_CHECK_MAX_MS)));
}

const ID = 0;
const DEATHS = 1;
const DEAD = 2;
const INITIAL_BYTES = 4096;
/** Ids below this are marked in the bitmap (words DEAD.. up to the table's first 4 KiB). */
export const DENSE_IDS = ((INITIAL_BYTES >> 2) - DEAD) * 32;
/** First word of the first set. */
const SPARSE = INITIAL_BYTES >> 2;
/** Slots of the first set (a power of two); each next set has twice as many. */
const FIRST_SET_SLOTS = 256;
/** Most sets: up to 2^(8+MAX_SETS) − 256 slots, half of them usable (≈ 8 million dead ids). */
const MAX_SETS = 16;
/** Word 0 of a set: how many slots are used. */
const SET_COUNT = 0;
const MAX_BYTES = (SPARSE + MAX_SETS + FIRST_SET_SLOTS * (2 ** MAX_SETS - 1)) << 2;

/** First word of set `k`. */
function setStart(k: number): number {
  return SPARSE + k + FIRST_SET_SLOTS * (2 ** k - 1);
}

/** Where `id`'s probe starts in a set of `slots` slots (Fibonacci hashing). */
function home(id: number, slots: number): number {
  return Math.imul(id, 0x9e3779b1) >>> (32 - Math.log2(slots));
}

/** The tables this thread knows; the first is the one it marks in. */
const tables: Int32Array[] = [];

function create(): SharedArrayBuffer {
  const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
  const sab = new Growable(INITIAL_BYTES, { maxByteLength: MAX_BYTES });
  const i32 = new Int32Array(sab);
  Atomics.store(i32, ID, 1 + Math.floor(Math.random() * 0x7ffffffe));
  tables.push(i32);
  return sab;
}

/** This thread's table, created if it has none yet. */
export function livenessTable(): SharedArrayBuffer {
  return (tables[0]?.buffer as SharedArrayBuffer | undefined) ?? create();
}

/** Most tables a thread keeps (more only come from threads that never shared anything). */
const MAX_TABLES = 16;

/** Learn a table met in a handle or in start data (anything else is ignored). */
export function adoptTable(sab: unknown): void {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < INITIAL_BYTES || tables.length >= MAX_TABLES) return;
  const i32 = new Int32Array(sab);
  const id = Atomics.load(i32, ID);
  if (id !== 0 && !tables.some((t) => Atomics.load(t, ID) === id)) tables.push(i32);
}

/** Grow `sab` to at least `need` bytes; false if it cannot (a runtime without growable buffers). */
function grow(sab: SharedArrayBuffer, need: number): boolean {
  // Markers in other threads may grow it at the same time (a grow to less than the current
  // length throws): try again.
  for (let tries = 0; sab.byteLength < need && tries < 3; tries++) {
    try {
      (sab as unknown as { grow(n: number): void }).grow(Math.min(MAX_BYTES, Math.max(need, sab.byteLength * 2)));
    } catch {
      // grown meanwhile, or not growable
    }
  }
  return sab.byteLength >= need;
}

/** Put `id` (>= DENSE_IDS) into the first set of `sab` with room; false if none could be made. */
function markSparse(sab: SharedArrayBuffer, id: number): boolean {
  for (let k = 0; k < MAX_SETS; k++) {
    const start = setStart(k);
    const slots = FIRST_SET_SLOTS << k;
    if (!grow(sab, (start + 1 + slots) << 2)) return false;
    const i32 = new Int32Array(sab);
    if (Atomics.load(i32, start + SET_COUNT) >= slots >> 1) continue;
    for (let n = 0, at = home(id, slots); n < slots; n++, at = (at + 1) & (slots - 1)) {
      const seen = Atomics.compareExchange(i32, start + 1 + at, 0, id);
      if (seen === id) return true;
      if (seen === 0) {
        Atomics.add(i32, start + SET_COUNT, 1);
        return true;
      }
    }
  }
  return false;
}

/** Whether `id` (>= DENSE_IDS) is in a set of table `t`. */
function inSets(t: Int32Array, id: number): boolean {
  for (let k = 0; k < MAX_SETS; k++) {
    const start = setStart(k);
    const slots = FIRST_SET_SLOTS << k;
    if (start + 1 + slots > t.length) return false;
    for (let n = 0, at = home(id, slots); n < slots; n++, at = (at + 1) & (slots - 1)) {
      const v = Atomics.load(t, start + 1 + at);
      if (v === id) return true;
      if (v === 0) break;
    }
    // Sets fill in order: one less than half full was never passed over.
    if (Atomics.load(t, start + SET_COUNT) < slots >> 1) return false;
  }
  return false;
}

/** Record that the thread with sabsync id `id` has exited (the caller saw it exit). */
export function markDead(id: number): void {
  const sab = livenessTable();
  // A runtime that cannot grow the table leaves an id past its first 4 KiB unmarked.
  if (id < DENSE_IDS) Atomics.or(new Int32Array(sab), DEAD + (id >>> 5), 1 << (id & 31));
  else markSparse(sab, id);
  Atomics.add(new Int32Array(sab), DEATHS, 1);
}

/** A number that changes whenever a death is marked in a table this thread knows. */
export function deaths(): number {
  let n = 0;
  for (const t of tables) n = (n + Atomics.load(t, DEATHS)) | 0;
  return n;
}

/** Whether the thread with sabsync id `id` is known to have exited. */
export function isDead(id: number): boolean {
  if (id < DENSE_IDS) {
    const word = DEAD + (id >>> 5);
    for (const t of tables) if ((Atomics.load(t, word) & (1 << (id & 31))) !== 0) return true;
    return false;
  }
  for (const t of tables) if (inSets(t, id)) return true;
  return false;
}
