// Review of the FIFO Queue closed to puts by shutdown's mark (src/queue/ring.ts "Shutdown",
// `closePuts`). Python holds one mutex across a put's check of is_shutdown and its append, a
// get's check and its pop, and shutdown: so once a get has raised ShutDown (shut down and
// empty), no put can land any more, and no put lands after shutdown returned. The ring marks the
// first unpublished position's slot some time after it stored SHUTDOWN; a get that reads
// SHUTDOWN and finds the ring empty closes it itself before it says ShutDown (fifo.ts). The
// tests below stage the window in between with real threads and shared words (a claim held
// alive, a shutdown killed while it waits). The stress rounds check the whole contract: no put
// lands after shutdown returned or after a get said ShutDown, every item put is got once (or
// discarded by shutdown(true)), every blocked thread wakes.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue, ShutDown } from 'sabsync';
import { fifo, layoutOfWords } from './helpers/internals.js';
import { nearWrap } from './helpers/ring.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'queue-close-review.mjs';
/** store.ts: the SHUTDOWN word (0 running, 1 shut down), the first thing shutdown writes. */
const SHUTDOWN = 6;

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

function run<T>(fn: string, data: unknown, timeout = 30_000): Running<T> {
  const r = start<T>(F, fn, data, { timeout });
  running.push(r);
  return r;
}

/** The queue's words from its handle (store.ts; the ring's words follow: ring.ts). */
function wordsOf(q: Queue<unknown>): Int32Array {
  const h = q.handle;
  const l = layoutOfWords(fifo, new Int32Array(h.buffer, h.byteOffset, 16));
  return new Int32Array(h.buffer, h.byteOffset, l.arena >> 2);
}

/** `p`, or a rejection naming `what` if it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function release(go: SharedArrayBuffer): void {
  const g = new Int32Array(go);
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
}

describe('a get that said ShutDown while a put could still land', () => {
  // ring.ts closePuts: a get's claim at the slot to close (the ring full) is waited out without
  // marking anything. Killed there, the shutdown leaves SHUTDOWN stored and no mark: every get of
  // an empty ring says ShutDown from then on, and every put of a number (or small item) that
  // claims the fast way lands — for good. The same window opens, live, whenever the shutting
  // thread is descheduled between `store.shut()` and its mark (next test).
  it('a shutdown killed while it waits out a get\'s claim on a full ring: the gets drain and say ShutDown, then a put lands', async () => {
    const q = new Queue<number>(4);
    for (let i = 0; i < 4; i++) q.put(i);
    const go = new SharedArrayBuffer(4);
    const holder = run<number>('holdClaim', { handle: q.handle, side: 'get', go });
    await waitUntil(() => holder.progress.includes('inside'), 10_000, 'the get claim on the item at HEAD');
    const shutter = run<string>('shutdownQueue', { handle: q.handle });
    const words = wordsOf(q);
    await waitUntil(() => Atomics.load(words, SHUTDOWN) === 1, 10_000, 'SHUTDOWN stored');
    // closePuts cannot return while the claim holds the slot it must mark: it is waiting.
    expect(shutter.progress).toEqual([]);
    await shutter.worker.terminate();
    await expect(shutter.result).rejects.toThrow();
    release(go);
    expect(await holder.result).toBe(0);
    expect([q.get(0), q.get(0), q.get(0)]).toEqual([1, 2, 3]);
    expect(() => q.get(0)).toThrow(ShutDown);
    // A consumer has been told the queue is shut down and drained. This put must not land.
    let landed = true;
    try {
      q.put(9, 0);
    } catch (e) {
      if (!(e instanceof ShutDown)) throw e;
      landed = false;
    }
    expect({ landed, qsize: q.qsize() }).toEqual({ landed: false, qsize: 0 });
  }, 30_000);

  // The state a shutdown is in between `this.#store.shut()` and closePuts' CAS of the mark
  // (queue.ts #shutdownSteps): written here by hand, as a thread descheduled (or killed) right
  // there leaves it. The old build read SHUTDOWN after every put's claim and refused this put.
  it('SHUTDOWN stored, the mark not yet made: a get says ShutDown, then a put of a number (and of an object) lands', () => {
    const q = new Queue<unknown>(8);
    q.put(1);
    expect(q.get(0)).toBe(1);
    const words = wordsOf(q as Queue<unknown>);
    Atomics.store(words, SHUTDOWN, 1);
    expect(() => q.get(0)).toThrow(ShutDown);
    // putAsync's steps read SHUTDOWN first and refuse; the sync put's first try reads nothing.
    const outcome = (f: () => void) => {
      try {
        f();
        return 'landed';
      } catch (e) {
        return e instanceof ShutDown ? 'ShutDown' : String(e);
      }
    };
    const number = outcome(() => q.put(2, 0));
    const object = outcome(() => q.put({ a: 1 }, 0));
    // The shutdown goes on and returns (closes behind whatever landed).
    q.shutdown();
    expect({ number, object, qsize: q.qsize() }).toEqual({ number: 'ShutDown', object: 'ShutDown', qsize: 0 });
  });

  // Not new on this branch (the old settlePuts waited out the put's claim the same way, and the
  // get read SHUTDOWN and an empty slot the same way), but the same contract: the put lands
  // before shutdown returns, after a get said ShutDown — a consumer that stops on ShutDown
  // leaves the item in the queue for good.
  it('a put holding its claim while shutdown runs: a get meanwhile says ShutDown, then the put lands', async () => {
    const q = new Queue<number>(4);
    const go = new SharedArrayBuffer(4);
    const holder = run<number>('holdClaim', { handle: q.handle, side: 'put', go, x: 42 });
    await waitUntil(() => holder.progress.includes('inside'), 10_000, 'the put claim');
    const shutter = run<string>('shutdownQueue', { handle: q.handle });
    const words = wordsOf(q);
    await waitUntil(() => Atomics.load(words, SHUTDOWN) === 1, 10_000, 'SHUTDOWN stored');
    const getter = run<{ item?: number; error?: string }>('getOne', { handle: q.handle, timeout: 10_000 });
    // The get either answers now (today: ShutDown at once) or waits for the put's item; either
    // way the claim is let go after this, and a get that waits gets 42.
    await within(getter.result, 1_000, 'the get').catch(() => {});
    release(go);
    expect(await holder.result).toBe(0);
    expect(await shutter.result).toBe('returned');
    expect(await getter.result).toEqual({ item: 42 });
  }, 30_000);
});

// Risk (a regression: the old settlePuts returned on a get's claim): closePuts waits out a get's
// claim at the slot it must close (the ring full), forever if its thread died unseen — one sabsync
// did not start, or one whose starter is the very thread blocked in the sync shutdown() (liveness.ts
// "Limits"). shutdown() has no timeout.
it.fails('a getter killed unseen holding the claim of the item at HEAD of a full ring: shutdown() still returns', async () => {
  const q = new Queue<number>(4);
  for (let i = 0; i < 4; i++) q.put(i);
  const go = new SharedArrayBuffer(4);
  const holder = run<number>('holdClaim', { handle: q.handle, side: 'get', go });
  await waitUntil(() => holder.progress.includes('inside'), 10_000, 'the get claim on the item at HEAD');
  await holder.worker.terminate();
  // A live shutdown takes microseconds; the old build returned at once here.
  expect(await run<string>('shutdownQueue', { handle: q.handle }, 10_000).result).toBe('returned');
}, 30_000);

interface PutOutcome {
  puts: number;
  late: number;
  afterGetShut: number;
}
interface GetOutcome {
  items: number[];
  late: number;
}


const PUTTERS = 3;
const GETTERS = 3;
const LONG = 15_000;

/**
 * One stress round: PUTTERS putters and GETTERS getters (sync and async) on a queue of
 * `maxsize`, the owner's shutdown(`immediate`) once `at` puts returned. `broken`: the owner
 * says it returned before it even starts, and waits for two more puts of some putter (3 × 2 in
 * all, by pigeonhole) first — a put then lands "after" and the round must see it.
 */
async function round(maxsize: number, immediate: boolean, at: number, broken = false, wrap = false) {
  const q = new Queue<number>(maxsize);
  // Shutdown's mark, and the positions it compares, across the wrap at M.
  if (wrap) nearWrap(q, 1 + Math.floor(Math.random() * 2 * at));
  const flags = new SharedArrayBuffer(12);
  const f = new Int32Array(flags);
  const common = { handle: q.handle, flags, timeout: LONG, immediate };
  const putters = Array.from({ length: PUTTERS }, (_, id) => run<PutOutcome>('stressPut', { ...common, id: id + 1, async: id === 1 }, 3 * LONG));
  const getters = Array.from({ length: GETTERS }, (_, k) => run<GetOutcome>('stressGet', { ...common, async: k === 2 }, 3 * LONG));
  await waitUntil(() => Atomics.load(f, 2) >= at, LONG, `${at} puts`);
  if (broken) {
    const before = Atomics.load(f, 2);
    Atomics.store(f, 0, 1);
    await waitUntil(() => Atomics.load(f, 2) >= before + 2 * PUTTERS, LONG, 'more puts');
  }
  q.shutdown(immediate);
  Atomics.store(f, 0, 1);
  const made = await Promise.all(putters.map((p) => p.result));
  const got = await Promise.all(getters.map((g) => g.result));
  return { q, made, got };
}

async function check({ q, made, got }: Awaited<ReturnType<typeof round>>, immediate: boolean): Promise<void> {
  const put = new Set<number>();
  made.forEach((m, k) => {
    for (let i = 0; i < m.puts; i++) put.add((k + 1) * 1e6 + i);
  });
  // What the getters left behind: nothing, since a get says ShutDown only once the ring is
  // closed and empty (a put that landed after the gets said ShutDown would show here).
  const left: number[] = [];
  for (;;) {
    try {
      left.push(q.get(0));
      q.taskDone();
    } catch (e) {
      if (!(e instanceof ShutDown)) throw e;
      break;
    }
  }
  expect(left).toEqual([]);
  const all = got.flatMap((g) => g.items);
  const seen = new Set(all);
  expect(seen.size).toBe(all.length);
  for (const x of all) expect(put.has(x)).toBe(true);
  if (!immediate) expect(seen.size).toBe(put.size);
  expect(made.map((m) => m.late)).toEqual(made.map(() => 0));
  expect(got.map((g) => g.late)).toEqual(got.map(() => 0));
  expect(q.qsize()).toBe(0);
  expect(() => q.put(0, 0)).toThrow(ShutDown);
  expect(() => q.get(0)).toThrow(ShutDown);
  // Every item got was marked done, every other one discarded: join() returns.
  await within(q.joinAsync(), LONG, 'join() to return');
}

describe('stress: putters and getters on a small ring, shutdown at a random point', () => {
  // maxsize 1: a ring of 2 slots with a limit of 1 (no first try of a put); 4: the first tries;
  // wrap: positions start just below M, so shutdown comes about when they wrap.
  it.each([
    [false, 4, false],
    [true, 4, false],
    [false, 1, false],
    [true, 1, false],
    [false, 4, true],
    [true, 1, true],
  ])('shutdown(%s), maxsize %i, across the wrap at M: %s — no put lands after it returned, each item got once (or discarded), nobody stays blocked', async (immediate, maxsize, wrap) => {
    for (let r = 0; r < 6; r++) {
      const res = await round(maxsize, immediate, Math.floor(Math.random() * 3_000), false, wrap);
      await check(res, immediate);
    }
  }, 120_000);

  it('the broken twin: an owner that says it returned before its shutdown ran is caught', async () => {
    const res = await round(4, false, 200, true);
    expect(res.made.reduce((a, m) => a + m.late, 0)).toBeGreaterThan(0);
  }, 60_000);
});
