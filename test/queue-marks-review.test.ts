// Sleepers' marks on a FIFO ring's slots (src/queue/ring.ts "Sleeping and waking", "Crash
// safety"; sleepers.ts): a getter asleep on an empty ring marks the slot the next put claims, a
// putter asleep on a full one the slot of the item at HEAD, and only the claim that takes a mark
// wakes them. Here: a thread killed holding the claim of a marked slot (its sleepers still
// wake once the claim is settled: by the next put or get once the death is known, or by the
// queue's recovery naming the thread), marks left by sleepers killed asleep (every reader sees
// the plain state), and many putters and getters asleep at once on the rings where marks meet
// edge cases: 2 slots with maxsize 1 (a limit below the slot count), odd slot counts, 128 slots
// (the smallest ring that moves TAIL and HEAD lazily), positions across their wrap at M, and
// items in chunks in a small arena (putters asleep for chunks, not slots). The sleepers attach
// without the liveness table (their sleeps are not cut into slices that would hide a lost
// wake-up as a delay), and every wait has a timeout far beyond any live one.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { markDead, recoverQueue, sabsyncIdOf } from './helpers/internals.js';
import { nearWrap } from './helpers/ring.js';
import { blocked, sleepEntries, untilBlocked } from './helpers/blocked.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'queue-marks.mjs';
/** A timeout no live wait comes near: a call that reaches it missed its wake-up. */
const LONG = 5_000;

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown, timeout = 60_000, file = F): Running<T> {
  const r = start<T>(file, fn, data, { timeout });
  running.push(r);
  return r;
}

interface Target {
  readonly handle: unknown;
}

/** `q`'s handle without the liveness table: a worker that attaches with it never slices its sleeps. */
function unsliced(q: Target): unknown {
  return { ...(q.handle as object), live: undefined };
}

/** Put and get `n` items one by one: the positions move on (past TAIL, HEAD in a lazy ring). */
function pass<T>(q: Queue<T>, n: number): void {
  for (let i = 0; i < n; i++) {
    q.put(i as T);
    q.get(0);
  }
}

/** A worker that waits for a sleeper's mark on the next put's (get's) slot, takes it, and is killed: its sabsync id. */
async function deadMarkTaker(q: Target, side: 'put' | 'get'): Promise<number> {
  const r = run('dieTakingMark', { handle: q.handle, side }, 20_000);
  await waitUntil(() => r.progress.includes('inside'), 15_000, 'the marked slot to be claimed');
  const id = sabsyncIdOf(r.worker.threadId);
  await r.worker.terminate();
  return id;
}

const RINGS = [4, 256];

describe('a thread killed holding the claim of a marked slot (it took the mark, then died before its wake-up)', () => {
  it.each(RINGS)('a put that took a sleeping getter\'s mark, the death marked: the next put settles it and the getter gets that item (%i slots)', async (slots) => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    const getter = run<{ item?: number; error?: string }>('getOne', { handle: unsliced(q), timeout: LONG });
    await untilBlocked(q, 1, 'get');
    const id = await deadMarkTaker(q, 'put');
    markDead(id);
    q.put(7, LONG);
    expect(await getter.result).toEqual({ item: 7 });
  }, 30_000);

  it.each(RINGS)('the same, the death told to the queue\'s recovery only (a pool\'s): the getter sleeps on, and gets the next put\'s item (%i slots)', async (slots) => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    const getter = run<{ item?: number; error?: string }>('getOne', { handle: unsliced(q), timeout: LONG, async: true });
    await untilBlocked(q, 1, 'get');
    const id = await deadMarkTaker(q, 'put');
    expect(await recoverQueue(q, id)).toBe(true);
    expect(q.qsize()).toBe(0);
    // Woken by the recovery, the getter looked again and marked again: this put takes that mark.
    await untilBlocked(q, 1, 'get');
    q.put(8, LONG);
    expect(await getter.result).toEqual({ item: 8 });
  }, 30_000);

  it.each(RINGS)('a get that took a sleeping putter\'s mark, recovered: the item stays first, and the putter lands once it is got (%i slots)', async (slots) => {
    const q = new Queue<number>(2);
    pass(q, slots === 4 ? 5 : 37);
    q.put(1);
    q.put(2);
    const putter = run<string>('putOne', { handle: unsliced(q), x: 3, timeout: LONG });
    await untilBlocked(q, 1, 'put');
    const id = await deadMarkTaker(q, 'get');
    expect(await recoverQueue(q, id)).toBe(true);
    expect(q.qsize()).toBe(2);
    await untilBlocked(q, 1, 'put');
    expect(q.get(LONG)).toBe(1);
    expect(await putter.result).toBe('ok');
    expect(q.get(LONG)).toBe(2);
    expect(q.get(LONG)).toBe(3);
  }, 30_000);

  it('the same, the death marked: the next get settles it, gets the item, and wakes the putter', async () => {
    const q = new Queue<number>(2);
    q.put(1);
    q.put(2);
    const putter = run<string>('putOne', { handle: unsliced(q), x: 3, timeout: LONG, async: true });
    await untilBlocked(q, 1, 'put');
    const id = await deadMarkTaker(q, 'get');
    markDead(id);
    expect(q.get(LONG)).toBe(1);
    expect(await putter.result).toBe('ok');
    expect([q.get(LONG), q.get(LONG)]).toEqual([2, 3]);
  }, 30_000);
});

/** A worker that takes a sleeper's mark, publishes (empties) the slot, and is killed before its wake-up: its sabsync id. */
async function deadPublisher(q: Target, side: 'put' | 'get', x: number, move: boolean): Promise<number> {
  const r = run('diePublishingMarked', { handle: q.handle, side, x, move }, 20_000);
  await waitUntil(() => r.progress.includes('inside'), 15_000, 'the marked slot to be published');
  const id = sabsyncIdOf(r.worker.threadId);
  await r.worker.terminate();
  return id;
}

// A thread killed between its publish (emptying) of a marked slot and its wake-up. Before marks,
// every put (get) read the sleepers' count after its publish (emptying), so the next one woke
// the sleepers a killed thread left asleep; now only the claim of a marked slot does, and the
// sleeper's mark was taken by the killed thread: later puts (gets) claim unmarked slots, wake
// nobody, and a sleeper without the liveness table or a pool's recovery sleeps on beside the
// items (the room) until its timeout — unless its sleep is cut into slices: every sleep is
// (sleepers.ts "Crash safety"), so it wakes at its slice's end (a second at most), well within
// LONG. The handles are `unsliced` (no liveness table): only the slices can rescue it here.
describe('a thread killed after the publish (emptying) of a marked slot, before its wake-up; later puts (gets) go on', () => {
  it.each([[4, true], [256, false]])('a getter asleep on %i slots (TAIL moved: %s) is woken by one of the later puts, not only by its timeout', async (slots, move) => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    // A get whose timeout is far away: one that ends at its timeout still finds the item then.
    const getter = run<{ item?: number; error?: string }>('getOne', { handle: unsliced(q), timeout: 4 * LONG });
    await untilBlocked(q, 1, 'get');
    // Read once, before: reading \`q.handle\` counts the items (\`qsize()\`: a walk of TAIL that
    // wakes getters if it moves it).
    const h = q.handle;
    await deadPublisher({ handle: h }, 'put', 1, move);
    // The dead thread's item is there; two more come.
    q.put(2, LONG);
    q.put(3, LONG);
    // The getter wakes within LONG (a live wake-up takes milliseconds). Watched on its name in
    // the sleepers' table only: `qsize()` walks TAIL on, and a walk that moves it wakes getters
    // (in a lazy ring, where TAIL lags by design, that walk is what rescues the getter).
    await waitUntil(() => blocked(h, 'get') === 0, LONG, 'the getter to wake');
    expect(await getter.result).toEqual({ item: 1 });
    expect(q.qsize()).toBe(2);
  }, 30_000);

  it('the same getter attached with the liveness table wakes at its slice\'s end (≤ 1 s: liveness.ts `sliceEnd`), no later than that', async () => {
    const q = new Queue<number>(4);
    pass(q, 37);
    const getter = run<{ item?: number; error?: string }>('getOne', { handle: q.handle, timeout: 4 * LONG });
    await untilBlocked(q, 1, 'get');
    const h = q.handle;
    await deadPublisher({ handle: h }, 'put', 1, true);
    q.put(2, LONG);
    await waitUntil(() => blocked(h, 'get') === 0, LONG, 'the getter to wake');
    expect(await getter.result).toEqual({ item: 1 });
  }, 30_000);

  it('a putter asleep on a full queue is woken by a later get, not only by its timeout', async () => {
    const q = new Queue<number>(2);
    q.put(1);
    q.put(2);
    const putter = run<string>('putOne', { handle: unsliced(q), x: 3, timeout: 4 * LONG });
    await untilBlocked(q, 1, 'put');
    const h = q.handle;
    // The dead thread got (and lost) 1; this get takes 2: the queue is empty, the putter asleep.
    await deadPublisher({ handle: h }, 'get', 0, true);
    expect(q.get(LONG)).toBe(2);
    // The putter's 3 lands within LONG (a live wake-up takes milliseconds).
    await waitUntil(() => blocked(h, 'put') === 0, LONG, 'the putter to wake');
    expect(await putter.result).toBe('ok');
    expect(q.get(0)).toBe(3);
  }, 30_000);
});

// A getter on an empty queue whose next slot holds the put claim of a thread killed with no
// liveness table to tell (nor a pool): `look` finds a claim it cannot know dead, spins, naps
// 1 ms, and looks again, for as long as the get's timeout (forever without one), unless naps
// in a row on the same claim back off (sleepers.ts NAP_MS: doubling up to a second, like the
// slices every sleep is cut into). Seen through PENDING, which each entry into a sleep clears:
// set by hand, it stays set while the getter stays parked (helpers/blocked.ts `sleepEntries`).
// After 2.5 s both the slices and the naps have grown to a second: at most one of the 5 windows
// (≤ 100 ms each) sees an entry; a getter napping 1 ms at a time is seen in all 5.

it('the control: a getter on an empty queue with no claim in its way stays parked between its slices (a second apart by then)', async () => {
  const q = new Queue<number>(4);
  pass(q, 5);
  const h = q.handle;
  run('getOne', { handle: unsliced({ handle: h }), timeout: 4 * LONG });
  await untilBlocked({ handle: h }, 1, 'get');
  expect(await sleepEntries({ handle: h }, 'get')).toBeLessThanOrEqual(1);
}, 30_000);

it('a getter behind the claim of a thread killed unbeknown (no liveness table) naps longer and longer (a second apart by then), not every millisecond', async () => {
  const q = new Queue<number>(4);
  pass(q, 5);
  const killer = run('dieClaiming', { handle: unsliced(q), side: 'put' }, 20_000, 'ring.mjs');
  await waitUntil(() => killer.progress.includes('inside'), 15_000, 'the claim to be made');
  await killer.worker.terminate();
  const h = q.handle;
  run('getOne', { handle: unsliced({ handle: h }), timeout: 4 * LONG });
  await untilBlocked({ handle: h }, 1, 'get');
  expect(await sleepEntries({ handle: h }, 'get')).toBeLessThanOrEqual(1);
}, 30_000);

describe('a sleeper killed asleep leaves its mark: every reader sees the plain state', () => {
  it.each([2, 4, 5, 256])('a getter\'s mark on the empty slot (%i slots): empty, qsize 0, puts and gets go on, a new getter is woken', async (slots) => {
    const q = new Queue<number>(slots);
    pass(q, 41);
    const r = run('sleepInGet', { handle: unsliced(q) });
    await untilBlocked(q, 1, 'get');
    await r.worker.terminate();
    expect([q.qsize(), q.empty(), q.full()]).toEqual([0, true, false]);
    expect(() => q.getNowait()).toThrow(expect.objectContaining({ name: 'Empty' }));
    q.putNowait(5);
    expect([q.qsize(), q.empty()]).toEqual([1, false]);
    expect(q.getNowait()).toBe(5);
    const getter = run<{ item?: number }>('getOne', { handle: unsliced(q), timeout: LONG });
    await untilBlocked(q, 1, 'get');
    q.put(6, LONG);
    expect(await getter.result).toEqual({ item: 6 });
  }, 30_000);

  it.each([1, 2, 3, 5])('a putter\'s mark on the item at HEAD (maxsize %i): full, qsize, the item got in order, a new putter is woken', async (maxsize) => {
    const q = new Queue<number>(maxsize);
    pass(q, 41);
    for (let i = 0; i < maxsize; i++) q.put(i);
    const r = run('sleepInPut', { handle: unsliced(q), x: -1 });
    await untilBlocked(q, 1, 'put');
    await r.worker.terminate();
    expect([q.qsize(), q.full(), q.empty()]).toEqual([maxsize, true, false]);
    expect(() => q.putNowait(-2)).toThrow(expect.objectContaining({ name: 'Full' }));
    expect(q.getNowait()).toBe(0);
    const putter = run<string>('putOne', { handle: unsliced(q), x: 100, timeout: LONG });
    if (maxsize === 1) {
      // Room already: the put lands.
      expect(await putter.result).toBe('ok');
    } else {
      q.putNowait(99);
      await untilBlocked(q, 1, 'put');
      expect(q.get(LONG)).toBe(1);
      expect(await putter.result).toBe('ok');
    }
    expect(q.qsize()).toBe(maxsize);
  }, 30_000);
});

interface Outcome {
  done: number;
  error?: string;
  wrong?: number;
  sum?: number;
}


/**
 * 3 producers of `n` numbers and 3 consumers through `q`, sync, async or both by turns, every
 * 13th call first trying with a 1 ms timeout (a mark left behind), each side napping now and then.
 */
async function many(q: Queue<number>, n: number): Promise<[Outcome[], Outcome[]]> {
  const handle = unsliced(q);
  const modes = ['sync', 'async', 'mixed'];
  const common = { handle, n, timeout: LONG, napMs: 1, shortEvery: 13, shortMs: 1 };
  const made = [0, 1, 2].map((id) => run<Outcome>('manyProduce', { ...common, id, mode: modes[id % 3], napEvery: 37 + id }).result);
  const got = [0, 1, 2].map((k) => run<Outcome>('manyConsume', { ...common, gets: n, mode: modes[(k + 1) % 3], napEvery: 41 + k }).result);
  return [await Promise.all(made), await Promise.all(got)];
}

function expectAll(made: Outcome[], got: Outcome[], n: number): void {
  for (const m of made) expect(m).toEqual({ done: n });
  for (const g of got) expect([g.done, g.error, g.wrong]).toEqual([n, undefined, 0]);
  const all = 3 * n;
  expect(got.reduce((a, g) => a + (g.sum ?? 0), 0)).toBe((all * (all - 1)) / 2);
}

describe('3 putters and 3 getters asleep at once (sync, async, both; timeouts given up)', () => {
  it.each([1, 3, 5, 128])('maxsize %i: all delivered once, in order, no call waits for a wake-up that never comes', async (maxsize) => {
    const n = 1_500;
    const q = new Queue<number>(maxsize);
    const [made, got] = await many(q, n);
    expectAll(made, got, n);
    expect(q.qsize()).toBe(0);
  }, 60_000);

  it.each([1, 3, 128])('maxsize %i, across the positions\' wrap at M: the same', async (maxsize) => {
    const n = 1_000;
    const q = new Queue<number>(maxsize);
    nearWrap(q, 700);
    const [made, got] = await many(q, n);
    expectAll(made, got, n);
    expect(q.qsize()).toBe(0);
  }, 60_000);

  it('items in chunks in a small arena (putters asleep for chunks, not slots): all delivered whole, in order', async () => {
    const n = 400;
    const q = new Queue<string>(0, { bytes: 8 * 1024 });
    const handle = unsliced(q);
    const modes = ['sync', 'async', 'mixed'];
    const common = { handle, n, timeout: LONG, shortEvery: 11, shortMs: 1 };
    const made = [0, 1, 2].map((id) => run<Outcome>('bigProduce', { ...common, id, mode: modes[id % 3] }).result);
    const got = [0, 1, 2].map((k) => run<Outcome>('bigConsume', { ...common, gets: n, mode: modes[(k + 1) % 3] }).result);
    for (const m of await Promise.all(made)) expect(m).toEqual({ done: n });
    for (const g of await Promise.all(got)) expect(g).toEqual({ done: n, wrong: 0 });
    expect(q.qsize()).toBe(0);
  }, 60_000);
});
