// A synchronous put or get of a FIFO Queue watches the ring for a while before it sleeps
// (src/queue/watch.ts `watchEmpty`, `watchFull`: ≈ 100 µs of polls on this kind of machine, more
// under load). The watch ends by the call's deadline too, so that a call with a shorter timeout
// returns by its deadline, not after the watch.
//
// Measured as medians of many calls, each timed call beside an untimed twin that never watches
// (timeout 0, interleaved): one call may be preempted on a loaded machine, most are not. The
// margin (TIMEOUT + SLACK over the twin) is a fraction of the watch's length here, where the old
// watch (bounded by its poll count alone) made these calls 150–300 µs late; on a much faster
// machine that watch would be shorter and this test could no longer tell the two apart.
import { describe, expect, it } from 'vitest';
import { Empty, Full, Queue } from 'sabsync';

/** The timeout of the timed calls, in ms (20 µs: far below the watch). */
const TIMEOUT = 0.02;
/** What a timed call may take beyond its untimed twin and its timeout, in ms. */
const SLACK = 0.05;
const CALLS = 201;

/** Milliseconds `f` takes, which must throw `expected`. */
function timeThrow(f: () => unknown, expected: typeof Empty | typeof Full): number {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof expected)) throw e;
    return ms;
  }
  throw new Error('the call did not throw');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median ms of the timed call and of its untimed twin, interleaved. */
function medians(timed: () => unknown, untimed: () => unknown, expected: typeof Empty | typeof Full): [number, number] {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    a.push(timeThrow(timed, expected));
    b.push(timeThrow(untimed, expected));
  }
  return [median(a), median(b)];
}

describe('a sync call with a timeout shorter than the watch before sleeping returns by its deadline', () => {
  it('get on an empty queue', () => {
    const q = new Queue<number>();
    const [timed, untimed] = medians(() => q.get(TIMEOUT), () => q.get(0), Empty);
    expect(timed).toBeGreaterThanOrEqual(TIMEOUT);
    expect(timed - untimed).toBeLessThan(TIMEOUT + SLACK);
    expect(q.qsize()).toBe(0);
  });

  it.each([2, 300])('put of a number on a full queue (maxsize %i)', (maxsize) => {
    const q = new Queue<number>(maxsize);
    for (let i = 0; i < maxsize; i++) q.put(i);
    const [timed, untimed] = medians(() => q.put(-1, TIMEOUT), () => q.put(-1, 0), Full);
    expect(timed).toBeGreaterThanOrEqual(TIMEOUT);
    expect(timed - untimed).toBeLessThan(TIMEOUT + SLACK);
    expect(q.qsize()).toBe(maxsize);
    expect(q.get(0)).toBe(0);
  });

  it('put of an item in chunks on a queue whose bytes are taken', () => {
    const q = new Queue<string>(0, { bytes: 4096 });
    q.put('x'.repeat(3000));
    const big = 'y'.repeat(3000);
    const [timed, untimed] = medians(() => q.put(big, TIMEOUT), () => q.put(big, 0), Full);
    expect(timed).toBeGreaterThanOrEqual(TIMEOUT);
    expect(timed - untimed).toBeLessThan(TIMEOUT + SLACK);
    expect(q.qsize()).toBe(1);
  });
});
