/**
 * How a queue's put or get waits: its spinning policy and its deadlines, shared by the FIFO
 * ring's steps (fifo.ts) and the table orders' (table.ts).
 */
import { deadlineAfter } from '../primitives/futex.js';

/**
 * Spinning policy. When a synchronous get finds the queue empty (or a put finds it full), it
 * first lets go of the lock and watches the queue for up to this many loads (≈ 10–20 µs)
 * before it sleeps on a Condition (table.ts; a FIFO ring watches WATCH_POLLS polls instead). Between two busy threads the other side usually delivers
 * within that time, and a sleep costs a futex wake-up — tens of µs on a VM, far more than one
 * item — so without the spin a consumer that keeps up with its producer pays a wake-up per
 * item (bench/queue.bench.mjs). Once per call, never in async twins (their event loop has
 * other work) and never with timeout 0.
 */
export const QUEUE_SPIN = 2_000;

/**
 * The deadline of a put or get with timeout 0 (`putNowait`, `getNowait`): it never waits for
 * room or an item (it has passed: `remaining` is 0), but it takes the lock as Python's does —
 * a live thread holds it for a few instructions, a dead one's is taken over — so that `Full` /
 * `Empty` say the queue was full / empty, never that another thread was inside it.
 *
 * Yet not for ever: a dead holder is taken over only once its death is marked, and the thread
 * that marks it may be this very one, blocked here (liveness.ts, "Limits"). So the wait for the
 * lock ends after NOWAIT_LOCK_MS, far beyond any live holder's copy, with `Full` / `Empty`.
 */
export const NOWAIT = -1;
const NOWAIT_LOCK_MS = 1_000;

/**
 * A pause between two polls of another thread's words: `turns` turns of a loop that touches no
 * shared memory (≈ 0.4 ns each here), so that a spinning thread does not keep pulling the cache
 * line the other one writes.
 */
export function pause(turns = PAUSE_TURNS): void {
  let x = 0;
  for (let i = 0; i < turns; i++) x = (x + i) | 0;
  if (x === -1) throw new Error('unreachable');
}
/**
 * Polls of a FIFO ring's synchronous put (get) that found it full (empty) before it sleeps
 * (watch.ts `watchFull`, `watchEmpty`; fewer if the call's deadline comes first): with pauses
 * growing to MAX_PAUSE_TURNS, ≈ 100 µs —
 * longer than QUEUE_SPIN's loads, so that a putter waiting for a run of free slots sees its
 * getters free them; bounded, since two threads sharing one core (a loaded machine) gain
 * nothing from a watch but the other's lost time slice.
 */
export const WATCH_POLLS = 500;

/** Turns of a pause: ≈ 15 ns. */
export const PAUSE_TURNS = 32;
/**
 * The longest pause of a put or get watching a full or empty ring (ring.ts `watchFull`,
 * `watchEmpty`): each pause doubles from PAUSE_TURNS to this (≈ 200 ns), so that a getter that
 * caught up with its putter lets a few items gather before it looks again instead of pulling
 * each slot's cache line as it is written — the line then moves once, not two or three times.
 */
export const MAX_PAUSE_TURNS = 512;

/** The deadline of a put or get with validated timeout `t` (NOWAIT for 0). */
export function deadlineOf(t: number): number {
  return t === 0 ? NOWAIT : deadlineAfter(t);
}

/** The deadline for taking the lock or waiting out a claim: NOWAIT waits NOWAIT_LOCK_MS. */
export function briefDeadline(deadline: number): number {
  return deadline === NOWAIT ? deadlineAfter(NOWAIT_LOCK_MS) : deadline;
}

/** A got item: a number, a plain item's encoding (decoded after the lock), or a decoded value. */
export type Taken = number | Uint8Array | Decoded;

/** A fallible item's value, decoded before its get was committed. */
export class Decoded {
  constructor(readonly value: unknown) {}
}

/** The buffers a stored item needs that this thread has not received (nothing was removed). */
export class Missing {
  constructor(readonly ids: readonly string[]) {}
}
