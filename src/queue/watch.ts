/**
 * How a FIFO queue's blocked put or get watches its ring (`watchFull`, `watchEmpty`, `hasItem`,
 * `roomFor`) and takes a sleeper's last look before it parks (`look`, sleepers.ts `Looker`).
 * The Ring (ring.ts) is built on this class (through recovery.ts); its positions are
 * positions.ts's, its slots slot.ts's.
 *
 * Sleeping and waking (sleepers.ts). Before sleeping, a synchronous get watches an empty ring's
 * next slot, and a put a full ring's slot ROOM_RUN items on (`watchEmpty`, `watchFull`), a
 * growing pause between polls, for a number of polls or until the caller's deadline. A sleeper then counts itself (GETTERS, PUTTERS), reads its GEN,
 * and takes a last look (`look`): a getter marks the slot of HEAD's position h if it still
 * holds h (no put claimed h: h is the first unpublished position, and TAIL never passes it
 * before its publish), a putter the slot of h if it holds h + 1 (the item at HEAD: the first
 * emptying to come is of h, since gets empty in order and HEAD passes only emptied slots), each
 * by a CAS from the plain value, and parks on its GEN (or finds the mark already set: the same).
 * The claim that takes the mark — and no publish (emptying) of h comes without one: every claim
 * of h is a CAS that expects the slot's value — comes after the mark and after the sleeper's
 * count and read of GEN, so its put (get), after the publish (emptying), reads the count, sees
 * the sleeper and bumps GEN: the park returns or is woken (sleepers.ts). A putter looks for room
 * (`roomFor`) again after its mark: a get may have emptied a slot (or chunks been given back)
 * after its first look, before HEAD's slot was read. A putter marks HEAD's slot, not the one
 * ROOM_RUN on that `watchFull` watches: woken by the first slot freed, as a put asleep on a full
 * queue must be (its timeout must not pass while there is room). If the slot holds a claim
 * instead (a put's at h on an empty ring, a get's at HEAD), there is nothing to mark: the
 * sleeper naps on the slot's SEQ (NAP, ≤ 1 ms; a put or get of LONG_CLAIM bytes, ring.ts,
 * wakes it) and the caller looks again, or, if the claim's thread is recorded dead, parks (no
 * mark): whoever settles the claim wakes every sleeper. A getter that finds an item (or a get's
 * claim) or a putter room does not park. A mark left behind (a sleeper that timed out) costs the
 * next claim of the slot one slow way; the put or get of a number that meets no mark touches no
 * sleeper's word. Joiners mark nothing: a taskDone that finishes the last item reads JOINERS.
 */
import { remaining } from '../primitives/futex.js';
import { isDead } from '../primitives/liveness.js';
import { GET, JOIN, NAP, PARK, PUT, READY } from './sleepers.js';
import { MAX_PAUSE_TURNS, PAUSE_TURNS, pause } from './policy.js';
import { Positions } from './positions.js';
import { MARK, claimer, isGetting, plain } from './slot.js';

/** How many times a sleeper's last look (`look`) reads HEAD's slot again before it naps instead. */
const LOOKS = 4;

/**
 * Free slots a put that found the ring full waits for (`watchFull`), up to half the ring: a run
 * its getters free in tens of microseconds, within the watch, so that a putter that keeps ahead
 * of them never sleeps while they work.
 */
const ROOM_RUN = 512;

/** How many loads to watch another thread's claim before napping (it is held for a few instructions). */
export const CLAIM_SPIN = 256;

/** The watches and the last look of the ring over one FIFO queue's memory. */
export class Watches extends Positions {
  /** The SEQ word and value of the claim a sleeper's last look found in its way (`look`: NAP). */
  napAt = 0;
  napOn = 0;

  /**
   * Whether half the ring is free (and `chunks` chunks): what a putter that found the ring full
   * spins for, so that it then puts a run of items instead of fighting the getters for each
   * slot, and leaves their cache lines alone meanwhile.
   */
  halfFree(chunks: number): boolean {
    return this.count <= this.limit >> 1 && this.store.freeChunks >= chunks;
  }

  /**
   * Watch a ring a put found full for at most `polls` polls, a pause between two (growing as
   * `watchEmpty`'s), until a run of slots is free: the polls left then (put again), 0 if it
   * never was (put again, then sleep). So that a putter that keeps ahead of its getters puts
   * runs of items instead of fighting them for each slot, and leaves their cache lines alone
   * meanwhile. For a put needing only a slot in a ring whose limit is its slot count, the run
   * is ROOM_RUN slots or half the ring, whichever is less, and one word is watched: the SEQ of
   * the item that many slots after the oldest, emptied once they are free; the getters touch
   * that slot once a lap, so the watch leaves their hot lines (HEAD, the slot they work on)
   * alone. Otherwise (a bounded ring of 2, an item in chunks) half the ring (`halfFree`). Not
   * past `deadline` (the put's own: 0 then, put again and say Full), so that a put with a
   * timeout shorter than the watch returns in time.
   */
  watchFull(polls: number, chunks: number, deadline: number): number {
    const w = this.w;
    if (chunks > 0 || this.limit !== this.cap) {
      while (polls > 0) {
        polls--;
        pause();
        if (this.halfFree(chunks) || this.store.shutDown) return polls;
        if (remaining(deadline) === 0) return 0;
      }
      return 0;
    }
    const p = this.add(this.settledTail(), this.m - this.cap + Math.min(this.cap >> 1, ROOM_RUN));
    const at = this.slot(p);
    const full = this.add(p, 1);
    for (let turns = PAUSE_TURNS; polls > 0; turns = turns < MAX_PAUSE_TURNS ? turns << 1 : turns) {
      polls--;
      pause(turns);
      const s = Atomics.load(w, at);
      if (plain(s) !== full && (s >= 0 || !isGetting(s))) return polls;
      if (remaining(deadline) === 0) return 0;
    }
    return 0;
  }

  /**
   * Whether a put of an item of `chunks` chunks might find room now: a slot, and that many free
   * chunks. A number or a small item (0 chunks) needs only the slot — not `!full`, which is also
   * true with no chunk free: a sleeping put's last look must ask what it needs, since a get that
   * frees a slot wakes only the putters it finds counted.
   */
  roomFor(chunks: number): boolean {
    return this.count < this.limit && this.store.freeChunks >= chunks;
  }

  /**
   * Watch the slot at HEAD of a ring found empty for at most `polls` polls, a pause between
   * two (policy.ts `pause`: a poll pulls the cache line the putter is writing): the polls left
   * once it changed (an item may be there: `get` again), 0 if it did not — by `deadline` (the
   * get's own: a get with a timeout shorter than the watch returns in time).
   */
  watchEmpty(polls: number, deadline: number): number {
    const w = this.w;
    // The position the last EMPTY was found at (`get` keeps it as the hint).
    const h = this.getAt >= 0 ? this.getAt : this.settledHead();
    const at = this.slot(h);
    for (let turns = PAUSE_TURNS; polls > 0; turns = turns < MAX_PAUSE_TURNS ? turns << 1 : turns) {
      polls--;
      pause(turns);
      const s = Atomics.load(w, at);
      // A put's claim is about to publish: watched on, not got at (it would find EMPTY); a
      // sleeping getter's mark changes nothing.
      if (plain(s) !== h && (s >= 0 || isGetting(s))) return polls;
      if (remaining(deadline) === 0) return 0;
    }
    return 0;
  }

  /** Whether a get might find an item now (one published, or claimed by another get). */
  hasItem(): boolean {
    const w = this.w;
    const h = this.settledHead();
    const s = Atomics.load(w, this.slot(h));
    return plain(s) !== h && (s >= 0 || isGetting(s));
  }

  /**
   * A sleeper's last look before it parks, after it counted itself and read its GEN (sleepers.ts
   * `Looker`): READY if a get may find an item (GET), a put room for `chunks` chunks (PUT), or
   * the queue was shut down (GET, PUT); or if no item is unfinished (JOIN: a shutdown changes
   * nothing, a joiner waits for the last taskDone or the discard of shutdown(true)). Else a getter (putter) marks the slot
   * whose claim comes next — the first position not put (the item at HEAD) — or finds it marked,
   * and PARKs: the claim that takes the mark wakes it ("Sleeping and waking"). A claim in that
   * slot's way: NAP on it if its thread lives (no mark to make), PARK if dead (whoever settles
   * it wakes every sleeper).
   */
  look(what: number, chunks: number): number {
    // Not the shutdown: join() waits for every item's taskDone after shutdown(false) too (Python's
    // semantics); shutdown(true) counts the discarded items done first, then wakes every joiner.
    if (what === JOIN) return this.unfinished === 0 ? READY : PARK;
    const w = this.w;
    let at = 0;
    let s = 0;
    for (let k = 0; k < LOOKS; k++) {
      if (this.store.shutDown || (what === PUT && this.roomFor(chunks))) return READY;
      const h = this.settledHead();
      at = this.slot(h);
      s = Atomics.load(w, at);
      const u = plain(s);
      const full = this.add(h, 1);
      // The value the slot holds while this sleeper must wait: no put at h yet (a getter), the
      // item of h not got (a putter: the first get to empty a slot is at h).
      const waiting = what === GET ? h : full;
      if (u === waiting) {
        if (s === u && Atomics.compareExchange(w, at, u, u + MARK) !== u) continue;
        // Marked. A put's room may have come before the mark (a get between its `roomFor` and
        // the mark, chunks given back): looked for again, after it.
        if (what === PUT && this.roomFor(chunks)) return READY;
        return PARK;
      }
      if (s < 0) {
        // A get's claim at HEAD: an item is there (a getter looks again: BUSY, `waitClaim`).
        if (what === GET && isGetting(s)) return READY;
        if (isDead(claimer(s))) return PARK;
        // Watched a while first (a number's claim is held for a few instructions), as
        // `waitClaim` does: once it ends, look again; else nap on it.
        let n = 0;
        while (n < CLAIM_SPIN && Atomics.load(w, at) === s) n++;
        if (n === CLAIM_SPIN) break;
        continue;
      }
      if (what === GET && u === full) return READY;
      // HEAD moved on meanwhile (or a putter found the ring empty at HEAD: room, looked for
      // again): look again.
    }
    this.napAt = at;
    this.napOn = s;
    return NAP;
  }
}
