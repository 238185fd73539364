/**
 * A FIFO queue's ring set near the wrap of its positions at M (src/queue/positions.ts), for the
 * tests that run puts, gets and shutdowns across it.
 */
import type { Queue } from 'sabsync';
import { fifo, layoutOfWords, SLOT_WORDS } from './internals.js';

/** positions.ts: the words of TAIL, HEAD and DONE from the ring's start. */
const TAIL = 0;
const HEAD = 16;
const DONE = 38;

/**
 * Stand the ring of a new queue `q` (no thread has used it) at position M - `before`, empty with
 * nothing unfinished, as if M - `before` items had been put, got and marked done: TAIL, HEAD and
 * DONE there, and each slot's SEQ the next position that maps to it. Its slot count and M.
 */
export function nearWrap(q: Queue<unknown>, before: number): { cap: number; m: number } {
  const h = q.handle;
  const l = layoutOfWords(fifo, new Int32Array(h.buffer, h.byteOffset, 16));
  const i32 = new Int32Array(h.buffer, h.byteOffset, l.arena >> 2);
  const cap = l.slots;
  const m = cap * Math.floor(2 ** 30 / cap);
  const at = m - before;
  for (let j = 0; j < cap; j++) {
    const p = (at + j) % m;
    i32[(l.entries >> 2) + (p % cap) * SLOT_WORDS] = p;
  }
  const r = l.ring >> 2;
  i32[r + TAIL] = at;
  i32[r + HEAD] = at;
  i32[r + DONE] = at;
  return { cap, m };
}
