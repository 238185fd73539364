/**
 * Which threads sabsync started have died: one bit per sabsync id (thread.ts) in one
 * SharedArrayBuffer, so that any thread about to sleep on a lock can see that the lock's holder
 * will never release it, take it over and repair what it guards (rawlock.ts) — what pthreads
 * calls a robust mutex (EOWNERDEAD), with no kernel to tell us: the thread that started a
 * worker learns of its exit (Node's `exit` event) and marks it here.
 *
 *   word         name   meaning                                       written by
 *   -----------  -----  --------------------------------------------  --------------------------
 *   0            ID     random non-zero id of this table (a thread     its creator, before it is
 *                       that meets the same table twice keeps one)     shared
 *   1            DEATHS deaths marked so far (wraps)                   `markDead`, after the bit
 *   2 + (i>>5)   DEAD   bit i & 31: thread i has exited and will       `markDead`, by the thread
 *                       never run again                                that saw it exit
 *
 * A bit is only ever set, never cleared: Node never reuses a thread id, so "dead" is forever.
 * The buffer is growable (up to 2^30 ids, the range of sabsync ids); only a marker grows it,
 * readers treat an id past the end as alive.
 *
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
  return Math.min(deadline, performance.now() + Math.min(DEATH_CHECK_MS * 2 ** n, DEATH_CHECK_MAX_MS));
}

const ID = 0;
const DEATHS = 1;
const DEAD = 2;
const INITIAL_BYTES = 4096;
const MAX_BYTES = (DEAD << 2) + (1 << 27);

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

/** Record that the thread with sabsync id `id` has exited (the caller saw it exit). */
export function markDead(id: number): void {
  const sab = livenessTable();
  const word = DEAD + (id >>> 5);
  const need = (word + 1) << 2;
  // Markers in other threads may grow it at the same time (a grow to less than the current
  // length throws): try again. A runtime that cannot grow it leaves the id unmarked.
  for (let tries = 0; sab.byteLength < need && tries < 3; tries++) {
    try {
      (sab as unknown as { grow(n: number): void }).grow(Math.min(MAX_BYTES, Math.max(need, sab.byteLength * 2)));
    } catch {
      // grown meanwhile, or not growable
    }
  }
  const i32 = new Int32Array(sab);
  if (word < i32.length) Atomics.or(i32, word, 1 << (id & 31));
  Atomics.add(i32, DEATHS, 1);
}

/** A number that changes whenever a death is marked in a table this thread knows. */
export function deaths(): number {
  let n = 0;
  for (const t of tables) n = (n + Atomics.load(t, DEATHS)) | 0;
  return n;
}

/** Whether the thread with sabsync id `id` is known to have exited. */
export function isDead(id: number): boolean {
  const word = DEAD + (id >>> 5);
  for (const t of tables) {
    if (word < t.length && (Atomics.load(t, word) & (1 << (id & 31))) !== 0) return true;
  }
  return false;
}
