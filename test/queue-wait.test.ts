// How a FIFO Queue's blocked put or get waits (src/queue/ring.ts `watchEmpty`, `watchFull`;
// sleepers.ts): a synchronous get that finds the ring empty watches its next slot for a while,
// a growing pause between polls, then sleeps; a put that finds it full watches for a run of
// free slots, puts if there is room after all, then sleeps. A wake-up lost anywhere on the way
// leaves a side asleep for good in these runs: round trips (each side waits for the other's
// answer) and streams through a full queue, with one side napping now and then so that the
// other's watch runs out and it sleeps. The workers attach from handles without the liveness
// table (`live`), so their sleeps are not cut into slices (liveness.ts `sliceEnd`) that would
// hide a lost wake-up as a delay; every call has a timeout far beyond any live wait, so a lost
// wake-up fails the run instead of hanging it. On rings of 4 slots and of 256 (TAIL and
// HEAD moved lazily); and with 3 putters and 3 getters, sync and async, some calls giving up
// after 1 ms (a sleeper leaving its mark on a slot: ring.ts "Sleeping and waking"). Its broken twin, a ring that reads the sleeper's flag before it publishes
// (fixtures/lost-wake-ring.mjs), must fail the same round trips.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { LostWakeRing } from './fixtures/lost-wake-ring.mjs';
import { start, type Running } from './helpers/workers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

interface Outcome {
  /** Steps completed. */
  done: number;
  /** The name of the error that ended the run early (Full, Empty: a lost wake-up). */
  error?: string;
  /** Numbers got out of order (consumers, the pinging side). */
  wrong?: number;
}

function run(fn: string, data: Record<string, unknown>): Promise<Outcome> {
  const r = start<Outcome>('wait.mjs', fn, data, { timeout: 60_000 });
  running.push(r);
  return r.result;
}

/** A timeout no live wait comes near: a call that reaches it missed its wake-up. */
const LONG = 5_000;
/** A nap that outlasts any watch (≈ 2,000 polls of at most ≈ 0.2 µs): the other side sleeps. */
const NAP_MS = 1;

interface Target {
  readonly handle: unknown;
}

/** `q`'s handle without the liveness table: a worker that attaches with it never slices its sleeps. */
function unsliced(q: Target): unknown {
  return { ...(q.handle as object), live: undefined };
}

/** `n` round trips: ping puts i on `there`, echo gets it and puts it on `back`, ping gets it back. */
async function roundTrips(there: Target, back: Target, n: number, timeout: number): Promise<[Outcome, Outcome]> {
  const common = { there: unsliced(there), back: unsliced(back), n, timeout, napMs: NAP_MS };
  return Promise.all([run('ping', { ...common, napEvery: 7 }), run('echo', { ...common, napEvery: 5 })]);
}

/** `n` numbers from a producer to a consumer, the side `napper` napping every `every`-th. */
async function stream(q: Queue<number>, n: number, napper: 'produce' | 'consume', every: number): Promise<[Outcome, Outcome]> {
  const common = { handle: unsliced(q), n, timeout: LONG, napMs: NAP_MS };
  return Promise.all([
    run('produce', { ...common, napEvery: napper === 'produce' ? every : 0 }),
    run('consume', { ...common, napEvery: napper === 'consume' ? every : 0 }),
  ]);
}

describe.each([4, 256])('a Queue of %i slots: no lost wake-up', (slots) => {
  it('1,500 round trips, each side napping now and then (the other watches in vain, then sleeps): all come back, in order', async () => {
    const [pinged, echoed] = await roundTrips(new Queue<number>(slots), new Queue<number>(slots), 1_500, LONG);
    expect(pinged).toEqual({ done: 1_500, wrong: 0 });
    expect(echoed).toEqual({ done: 1_500 });
  }, 60_000);

  it('a stream through the full queue, the getter napping every 40th (the putter watches for room in vain, then sleeps): all delivered, in order', async () => {
    const [produced, consumed] = await stream(new Queue<number>(slots), 8_000, 'consume', 40);
    expect(produced).toEqual({ done: 8_000 });
    expect(consumed).toEqual({ done: 8_000, wrong: 0 });
  }, 60_000);

  it('a stream, the putter napping every 40th (the getter drains, watches, then sleeps): all delivered, in order', async () => {
    const [produced, consumed] = await stream(new Queue<number>(slots), 8_000, 'produce', 40);
    expect(produced).toEqual({ done: 8_000 });
    expect(consumed).toEqual({ done: 8_000, wrong: 0 });
  }, 60_000);
});

/**
 * `producers` producers of `n` numbers each and as many consumers through a Queue of `slots`
 * slots, each thread's calls sync, async or both by turns (`modes`), every 13th call first
 * trying with a 1 ms timeout (it may give up, its sleeper's mark left behind), each side napping
 * now and then: several getters and several putters asleep at once, on both sides.
 */
async function many(slots: number, producers: number, n: number): Promise<[Outcome[], (Outcome & { sum: number })[]]> {
  const q = new Queue<number>(slots);
  const handle = unsliced(q);
  const modes = ['sync', 'async', 'mixed'];
  const common = { handle, n, timeout: LONG, napMs: NAP_MS, shortEvery: 13, shortMs: 1 };
  const made = Array.from({ length: producers }, (_, id) =>
    run('manyProduce', { ...common, id, mode: modes[id % 3], napEvery: 37 + id }),
  );
  const got = Array.from({ length: producers }, (_, k) =>
    run('manyConsume', { ...common, gets: n, mode: modes[(k + 1) % 3], napEvery: 41 + k }),
  );
  return [await Promise.all(made), (await Promise.all(got)) as (Outcome & { sum: number })[]];
}

describe.each([4, 256])('a Queue of %i slots, 3 putters and 3 getters (sync, async, both), timeouts given up', (slots) => {
  it('3 × 2,000 numbers: all delivered once, each putter\'s in order, no call waits for a wake-up that never comes', async () => {
    const n = 2_000;
    const [made, got] = await many(slots, 3, n);
    for (const m of made) expect(m).toEqual({ done: n });
    for (const g of got) expect([g.done, g.error, g.wrong]).toEqual([n, undefined, 0]);
    const all = 3 * n;
    expect(got.reduce((a, g) => a + g.sum, 0)).toBe((all * (all - 1)) / 2);
  }, 60_000);
});

it('the same round trips catch a ring that reads the sleeper flag before it publishes (a lost wake-up)', async () => {
  const [pinged, echoed] = await roundTrips(new LostWakeRing(), new LostWakeRing(), 1_500, 1_000);
  // One side gave up waiting for a wake-up that was never sent.
  expect([pinged.error, echoed.error].filter((e) => e !== undefined).length).toBeGreaterThan(0);
}, 60_000);
