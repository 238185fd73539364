/**
 * The words of a ReaderWriterLock (drawn in rwlock.ts), and its per-thread table: which thread
 * holds how many reads and which requests wait, so that a release by a thread that holds nothing
 * is refused and a dead thread's share can be dropped. Every function here runs with the lock's
 * LOCK word held (rwlock.ts), so the words are read and written plainly.
 */
import { misuse } from './errors.js';
import { isDead } from './liveness.js';
import { threadId } from './thread.js';

export const LOCK = 1;
export const SEQ = 2;
export const WRITER = 3;
export const READERS = 4;
export const READ_WAITERS = 5;
export const WRITE_WAITERS = 6;
export const READ_TURN = 7;
const SLOTS_AT = 10;
/** How many threads may hold or wait for the lock at once (a writer holding needs no slot). */
export const SLOTS = 128;
const SLOT_WORDS = 4;
/** Slot fields: the thread it belongs to, its read levels, its waiting read and write requests. */
export const OWNER = 0;
export const READS = 1;
export const RWAIT = 2;
export const WWAIT = 3;
/** Bytes of a ReaderWriterLock. */
export const BYTES = (SLOTS_AT + SLOTS * SLOT_WORDS) * 4;

const me = threadId;

/** Word `field` of slot `k`. */
export const at = (k: number, field: number): number => SLOTS_AT + k * SLOT_WORDS + field;

/** Where the calling thread's slot is: -1 if it has none (`hint`: where it was last seen). */
export function findSlot(i32: Int32Array, hint: number): number {
  if (i32[at(hint, OWNER)] === me) return hint;
  for (let k = 0; k < SLOTS; k++) if (i32[at(k, OWNER)] === me) return k;
  return -1;
}

/**
 * Make a free or idle slot (all counts 0: its thread keeps it while idle, so that its next read
 * finds it at once) the calling thread's; `ERR_TOO_MANY_WAITERS`, nothing changed, if none is.
 */
export function claimSlot(i32: Int32Array): number {
  for (let k = 0; k < SLOTS; k++) {
    if (i32[at(k, READS)] === 0 && i32[at(k, RWAIT)] === 0 && i32[at(k, WWAIT)] === 0) {
      i32[at(k, OWNER)] = me;
      return k;
    }
  }
  throw misuse('ERR_TOO_MANY_WAITERS', `ReaderWriterLock: more than ${SLOTS} threads hold or wait for it at once`);
}

/**
 * Forget every dead thread: drop its slot, free the write it held, and recount the summary
 * words from the slots. Returns whether anything changed (then the caller wakes the sleepers).
 */
export function purge(i32: Int32Array): boolean {
  let changed = false;
  const writer = i32[WRITER];
  if (writer !== 0 && isDead(writer)) {
    i32[WRITER] = 0;
    changed = true;
  }
  let readers = 0;
  let readWaiters = 0;
  let writeWaiters = 0;
  for (let k = 0; k < SLOTS; k++) {
    const owner = i32[at(k, OWNER)];
    if (owner === 0) continue;
    if (isDead(owner)) {
      for (let f = 0; f < SLOT_WORDS; f++) i32[at(k, f)] = 0;
      continue;
    }
    if (i32[at(k, READS)] > 0) readers++;
    readWaiters += i32[at(k, RWAIT)];
    writeWaiters += i32[at(k, WWAIT)];
  }
  changed = recount(i32, READERS, readers) || changed;
  changed = recount(i32, READ_WAITERS, readWaiters) || changed;
  changed = recount(i32, WRITE_WAITERS, writeWaiters) || changed;
  if (readWaiters === 0) changed = recount(i32, READ_TURN, 0) || changed;
  return changed;
}

/** Set word `index` to `value`; whether it differed. */
function recount(i32: Int32Array, index: number, value: number): boolean {
  if (i32[index] === value) return false;
  i32[index] = value;
  return true;
}
