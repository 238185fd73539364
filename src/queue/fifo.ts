/**
 * A FIFO Queue's put and get over its ring (ring.ts), as steps driven by the sync runner or the
 * async twin: try, wait out another thread's claim, spin (sync only), then sleep — with Python's
 * outcomes (`Full`, `Empty`, `ShutDown`) and the item's buffers fetched as the table orders'
 * get does (table.ts). No lock for a number or a small item (kept in its slot); the lock only
 * around an item's chunks (ring.ts).
 */
import { Empty, Full, ShutDown } from '../primitives/errors.js';
import { remaining, waitBegins, type Steps } from '../primitives/futex.js';
import { fetchSteps, knows, tidy } from './buffers.js';
import { decode, fallible, sharedIds } from './codec.js';
import { briefDeadline, Decoded, Missing, WATCH_POLLS } from './policy.js';
import { BUSY, GOT_BYTES, GOT_NUMBER, OK, SHUT, SMALL, TIMED_OUT, type Ring } from './ring.js';
import { GET, PUT } from './sleepers.js';
import type { Store } from './store.js';

export function* ringPutSteps(
  ring: Ring | undefined,
  store: Store,
  stored: (data: number | Uint8Array) => void,
  data: number | Uint8Array,
  chunks: number,
  deadline: number,
  spin: boolean,
): Steps<void> {
  ring = ring!;
  // A small item is kept in its slot: it waits for a slot, never for chunks.
  if (typeof data !== 'number' && data.length <= SMALL) chunks = 0;
  // Polls left to watch a full ring before sleeping (sync only: `spin`), once per call.
  let polls = spin ? WATCH_POLLS : 0;
  for (let sleeps = 0; ; ) {
    if (store.shutDown) throw new ShutDown();
    const r = typeof data === 'number' ? ring.putNumber(data) : yield* ring.putBytes(data, chunks, briefDeadline(deadline));
    if (r === OK) {
      stored(data);
      return;
    }
    if (r === TIMED_OUT) throw new Full();
    if (r === SHUT) throw new ShutDown();
    if (r === BUSY) {
      if (!(yield* ring.waitClaim(true, briefDeadline(deadline)))) throw new Full();
      continue;
    }
    if (remaining(deadline) === 0) throw new Full();
    waitBegins();
    if (polls > 0) {
      polls = ring.watchFull(polls, chunks, deadline);
      continue;
    }
    yield* ring.sleep(PUT, chunks, deadline, sleeps++);
  }
}

export function* ringGetSteps<T>(ring: Ring | undefined, store: Store, deadline: number, spin: boolean): Steps<T> {
  ring = ring!;
  for (let sleeps = 0; ; ) {
    const r = ring.get();
    if (r === GOT_NUMBER) {
      tidy();
      return ring.number() as T;
    }
    if (r === GOT_BYTES) {
      const got = yield* ringTake(ring, deadline);
      if (got === undefined) continue;
      if (got instanceof Missing) {
        // The item stays queued: wait for its buffers (ERR_UNSERIALIZABLE if they never
        // come), then start over; Empty if the get's own deadline passes first.
        if (!(yield* fetchSteps(got.ids, deadline))) throw new Empty();
        spin = false;
        continue;
      }
      tidy();
      return got.value as T;
    }
    if (r === BUSY) {
      if (!(yield* ring.waitClaim(false, briefDeadline(deadline)))) throw new Empty();
      continue;
    }
    if (store.shutDown) {
      if (ring.hasItem()) continue;
      // Shut down and empty only once closed to puts (ring.ts "Shutdown"): closed here too, in
      // case the shutdown has not made its mark yet (or never will: killed), and a put that
      // claimed before the mark is waited out and its item got.
      if (!(yield* ring.closePuts(briefDeadline(deadline)))) throw new Empty();
      if (ring.hasItem()) continue;
      throw new ShutDown();
    }
    if (remaining(deadline) === 0) throw new Empty();
    waitBegins();
    if (spin) {
      spin = false;
      ring.watchEmpty(WATCH_POLLS, deadline);
      continue;
    }
    yield* ring.sleep(GET, 0, deadline, sleeps++);
  }
}

/**
 * Complete the get of the item this thread claimed (GOT_BYTES: in its slot or in chunks). The claim is never
 * held across a wait (every other get would meet it and wait, this thread's own sync get
 * included): if the lock is not free at once, the claim is given back, the lock taken, and the
 * get at HEAD made again under it (`undefined`: no item there now, start over). A plain item
 * is decoded after its get commits (its decoding does not fail; the bytes are this thread's
 * copy); a fallible one before, so that a decoding that fails leaves it queued (the claim
 * given back), as does a missing buffer (`Missing`: fetch, then start over). Empty if the lock
 * is not had by the get's deadline.
 */
function* ringTake(ring: Ring, deadline: number): Steps<Decoded | Missing | undefined> {
  const got = claimed(ring, false);
  if (got !== undefined) return got;
  if (!(yield* ring.lock(briefDeadline(deadline)))) throw new Empty();
  const r = ring.get();
  if (r === GOT_NUMBER) {
    ring.unlock();
    return new Decoded(ring.number());
  }
  if (r !== GOT_BYTES) {
    ring.unlock();
    return undefined;
  }
  return claimed(ring, true);
}

/**
 * The item of this thread's claim: finished (the lock held: `held`; else if it is free now),
 * or Missing (the claim given back); undefined if the lock is busy (the claim given back).
 */
function claimed(ring: Ring, held: boolean): Decoded | Missing | undefined {
  const item = ring.bytes();
  const release = () => {
    ring.unclaim();
    if (held) ring.unlock();
  };
  if (!fallible(item)) {
    if (held) ring.finishHeld();
    else if (!ring.tryFinish()) {
      ring.unclaim();
      return undefined;
    }
    return new Decoded(decode(item));
  }
  const ids = sharedIds(item);
  if (!knows(ids)) {
    release();
    return new Missing(ids);
  }
  let value: unknown;
  try {
    value = decode(item);
  } catch (e) {
    release();
    throw e;
  }
  if (held) ring.finishHeld();
  else if (!ring.tryFinish()) {
    ring.unclaim();
    return undefined;
  }
  return new Decoded(value);
}
