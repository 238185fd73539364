// The FIFO Queue's ring (src/queue/ring.ts) when threads die inside it: a claim left by a thread
// killed between claiming a slot and publishing (or emptying) it is settled by whoever meets it
// once the death is known (the liveness table, or the pool's recovery naming the thread), and
// the queue goes on with every item delivered exactly once. Then a stress test: producers and
// consumers of numbers, strings and objects through a small queue while workers are killed at
// random (real terminate()s) and replaced: no item is got twice, none is lost but the one a
// killed thread had in hand, nothing is left stuck. Its broken twin, a ring without crash
// safety (fixtures/unsafe-ring.mjs), must fail the same harness.
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { UnsafeRing } from './fixtures/unsafe-ring.mjs';
import { fifo, layoutOfWords, markDead, recoverQueue, sabsyncIdOf, SLOT_WORDS, SMALL } from './helpers/internals.js';
import { blocked, untilWaiters } from './helpers/blocked.js';
import { start, waitUntil, type Running } from './helpers/workers.js';

const F = 'ring.mjs';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.worker.terminate()));
});

/** Start a fixture and remember it, so that a failed test leaves no worker behind. */
function run<T>(fn: string, data: unknown, file = F, timeout = 30_000): Running<T> {
  const r = start<T>(file, fn, data, { timeout });
  running.push(r);
  return r;
}

/** A worker that claims the next put's (get's) slot and is then killed: its sabsync id. */
async function deadClaim(q: Queue<unknown>, side: 'put' | 'get', half = false): Promise<number> {
  const r = run('dieClaiming', { handle: q.handle, side, half });
  await waitUntil(() => r.progress.includes('inside'), 10_000, 'the claim to be made');
  const id = sabsyncIdOf(r.worker.threadId);
  await r.worker.terminate();
  return id;
}

/**
 * Slot counts of the rings the claim tests run on: 4 moves TAIL and HEAD at every position, 256
 * only at every 32nd (ring.ts "Positions": a claim is then past TAIL, HEAD).
 */
const RINGS = [4, 256];

/** Put and get `n` items one by one: the positions move on by `n` (past TAIL, HEAD in a lazy ring). */
function pass<T>(q: Queue<T>, n: number): void {
  for (let i = 0; i < n; i++) {
    q.put(i as T);
    q.get(0);
  }
}

describe("a thread killed holding a ring claim (between its claim and its publish)", () => {
  it.each(RINGS)('a put claim: the next put settles it once the death is marked; nothing was put (%i slots)', async (slots) => {
    const q = new Queue<string>(slots);
    pass(q, 37);
    q.put('kept');
    const id = await deadClaim(q, 'put');
    // A live claim: a put with a short timeout waits it out in vain, changing nothing.
    expect(() => q.put('early', 100)).toThrow(expect.objectContaining({ name: 'Full' }));
    expect(q.qsize()).toBe(1);
    markDead(id);
    q.put('after', 5_000);
    expect([q.get(0), q.get(0), q.qsize()]).toEqual(['kept', 'after', 0]);
    q.put('again');
    expect(q.get(0)).toBe('again');
  });

  it.each(RINGS)('a get claim: the next get settles it and gets the item (it was never taken) (%i slots)', async (slots) => {
    const q = new Queue<string>(slots);
    pass(q, 37);
    q.put('first');
    q.put('second');
    const id = await deadClaim(q, 'get');
    expect(q.qsize()).toBe(2);
    markDead(id);
    expect([q.get(5_000), q.get(0), q.qsize()]).toEqual(['first', 'second', 0]);
    for (let i = 0; i < 39; i++) q.taskDone();
    q.join();
  });

  it('a small item killed half written into its slot: the put never happened', async () => {
    const q = new Queue<{ id: number; tags: string[] }>(4);
    q.put({ id: 1, tags: ['a'] });
    const id = await deadClaim(q, 'put', true);
    markDead(id);
    q.put({ id: 2, tags: ['b', 'c'] }, 5_000);
    expect([q.get(0), q.get(0), q.qsize()]).toEqual([{ id: 1, tags: ['a'] }, { id: 2, tags: ['b', 'c'] }, 0]);
  });

  it('a small item whose getter was killed while it held the claim: got once, by the next get', async () => {
    const q = new Queue<{ id: number }>(4);
    for (let i = 1; i <= 3; i++) q.put({ id: i });
    const id = await deadClaim(q, 'get');
    markDead(id);
    expect([q.get(5_000), q.get(0), q.get(0), q.qsize()]).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, 0]);
  });

  it('a put claim on a slot a small item left (LEN a byte count, no chunks): settled, no chunk is given back', async () => {
    // 16 chunks of 64 bytes; a string of 95 characters encodes to 100 bytes: kept in its slot.
    const q = new Queue<string>(4, { bytes: 1024 });
    const small = 's'.repeat(95);
    for (let i = 0; i < 4; i++) q.put(small);
    for (let i = 0; i < 4; i++) expect(q.get(0)).toBe(small);
    // TAIL is back at slot 0, whose LEN the small item left.
    const id = await deadClaim(q, 'put');
    markDead(id);
    // Two items of 8 chunks each (512 encoded bytes) take every chunk ...
    const half = (c: string) => c.repeat(507);
    q.put(half('a'), 5_000);
    q.put(half('b'), 0);
    // ... so an item in chunks (125 bytes: 2 chunks) finds no room, had the settle "given back" none.
    const more = 'm'.repeat(120);
    expect(() => q.put(more, 0)).toThrow(expect.objectContaining({ name: 'Full' }));
    expect([q.get(0), q.get(0)]).toEqual([half('a'), half('b')]);
    q.put(more, 0);
    expect([q.get(0), q.qsize()]).toEqual([more, 0]);
  });

  it.each([
    ['put', 2],
    ['get', 2],
    ['put', 256],
    ['get', 256],
  ] as const)('a %s claim: the pool recovery ([recoverQueue]) settles it without a mark (%i slots)', async (side, slots) => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    q.put(1);
    const id = await deadClaim(q, side);
    expect(await recoverQueue(q, id)).toBe(true);
    expect(await recoverQueue(q, id)).toBe(false);
    q.put(2, 1_000);
    expect([q.get(0), q.get(0)]).toEqual([1, 2]);
  });

  it('a getter killed asleep: the living are served, the recovery forgets it', async () => {
    const q = new Queue<string>();
    const dead = start('queue.mjs', 'getOnce', { handle: q.handle });
    running.push(dead);
    const id = sabsyncIdOf(dead.worker.threadId);
    await untilWaiters(q, [id], 'get');
    await dead.worker.terminate();
    const alive = run<{ value: unknown }>('getOnce', { handle: q.handle, timeout: 10_000 }, 'queue.mjs');
    // The dead getter is still named (a table entry each, first free first) until recovered.
    await untilWaiters(q, [id, sabsyncIdOf(alive.worker.threadId)], 'get');
    q.put('for the living');
    expect((await alive.result).value).toBe('for the living');
    expect(blocked(q, 'get')).toBe(1);
    expect(await recoverQueue(q, id)).toBe(true);
    expect(blocked(q, 'get')).toBe(0);
  });
});

describe('a claim is held only while its thread works on it', () => {
  it('a getAsync that must wait for the lock holds no claim meanwhile: a sync get on its thread is served', async () => {
    const q = new Queue<string>();
    // Items too big for a slot (SMALL bytes): their bytes are in chunks.
    const [a, b] = ['a', 'b'].map((c) => c.repeat(SMALL));
    q.put(a!);
    q.put(b!);
    const holder = run('holdLock', { handle: q.handle, ms: 500 });
    await waitUntil(() => holder.progress.includes('locked'), 10_000, 'the lock to be taken');
    // Its item is in chunks: its get needs the lock, which the holder keeps for a while.
    const pending = q.getAsync(10_000);
    // Blocks this thread (the getAsync's event loop) until the lock is let go.
    expect(q.get(5_000)).toBe(a);
    expect(await pending).toBe(b);
    expect(await holder.result).toBe('released');
    expect(q.qsize()).toBe(0);
  });
});

/** The SEQ word of the slot at TAIL (negative: claimed) of a FIFO queue (ring.ts). */
function seqAtTail(q: Queue<unknown>): () => number {
  const h = q.handle as unknown as { buffer: SharedArrayBuffer; byteOffset: number };
  const l = layoutOfWords(fifo, new Int32Array(h.buffer, h.byteOffset, 16));
  const i32 = new Int32Array(h.buffer, h.byteOffset, l.arena >> 2);
  return () => Atomics.load(i32, l.entries / 4 + (Atomics.load(i32, l.ring >> 2) % l.slots) * SLOT_WORDS);
}

/** The state word of a FIFO queue's lock (0: free; lock.ts). */
function lockState(q: Queue<unknown>): () => number {
  const h = q.handle as unknown as { buffer: SharedArrayBuffer; byteOffset: number };
  const l = layoutOfWords(fifo, new Int32Array(h.buffer, h.byteOffset, 16));
  const i32 = new Int32Array(h.buffer, h.byteOffset, l.arena >> 2);
  return () => Atomics.load(i32, (l.lock >> 2) + 1);
}

describe('shutdown and a put in flight', () => {
  it.each([true, false])('shutdown(%s) while a put holds its claim: the put lands before shutdown returns, or throws ShutDown', async (immediate) => {
    // Wait (blocking this thread: the put runs in its own) until the put has claimed its slot:
    // it copies 40 MB into chunks before it publishes. A loaded machine may not run this thread
    // during the copy at all: the put is then seen published instead, and the round starts over.
    let q: Queue<string>;
    let putter: Running<string>;
    for (let attempt = 1; ; attempt++) {
      q = new Queue<string>(4, { bytes: 64 << 20 });
      const go = new SharedArrayBuffer(4);
      putter = run<string>('putBig', { handle: q.handle, go, mb: 40 });
      const seq = seqAtTail(q);
      Atomics.store(new Int32Array(go), 0, 1);
      Atomics.notify(new Int32Array(go), 0);
      const t0 = performance.now();
      let missed = false;
      while (seq() >= 0 && !missed) {
        if (performance.now() - t0 > 10_000) throw new Error('no claim seen');
        missed = q.qsize() > 0;
      }
      if (!missed) break;
      expect(await putter.result).toBe('ok');
      if (attempt === 5) throw new Error('the put was published before its claim was seen, 5 times');
    }
    q.shutdown(immediate);
    const size = q.qsize();
    const put = await putter.result;
    expect(['ok', 'ShutDown']).toContain(put);
    // Nothing changes after shutdown returned.
    expect(q.qsize()).toBe(size);
    if (immediate || put === 'ShutDown') {
      expect(size).toBe(0);
      expect(() => q.get(0)).toThrow(expect.objectContaining({ name: 'ShutDown' }));
      await q.joinAsync();
    } else {
      expect(size).toBe(1);
      expect(q.get(0)).toHaveLength(40 << 20);
      q.taskDone();
      await q.joinAsync();
    }
  });
});

describe('a put killed while it copies a big item into its chunks (its claim holds them, the lock is free)', () => {
  it('is settled: its chunks go back, and the queue holds what it held', async () => {
    const q = new Queue<Uint8Array | string>(4, { bytes: 64 << 20 });
    q.put('before');
    const go = new SharedArrayBuffer(4);
    const putter = run<string>('putBig', { handle: q.handle, go, mb: 40, bytes: true });
    const seq = seqAtTail(q);
    const locked = lockState(q);
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    // Wait (blocking this thread) for the copy: the slot claimed, its chunks taken (the lock
    // let go). It copies 40 MB; the kill lands in it or, rarely, after its publish.
    const t0 = performance.now();
    while (!(seq() < 0 && locked() === 0)) if (performance.now() - t0 > 10_000) throw new Error('no copy seen');
    const id = sabsyncIdOf(putter.worker.threadId);
    await putter.worker.terminate();
    markDead(id);
    // The next put meets the dead claim (if the kill came before the publish) and settles it.
    q.put('after', 10_000);
    const got: (Uint8Array | string)[] = [];
    while (q.qsize() > 0) got.push(q.get(0));
    expect(got[0]).toBe('before');
    expect(got.at(-1)).toBe('after');
    // Killed before its publish (the usual case) it put nothing; after, its item is whole.
    expect(got.length === 2 || (got.length === 3 && (got[1] as Uint8Array).length === 40 << 20 && (got[1] as Uint8Array).every((b) => b === 7))).toBe(true);
    // Every chunk is free again: an item of 60 MiB fits beside nothing else.
    q.put('z'.repeat(60 << 20), 0);
    expect(q.get(0)).toHaveLength(60 << 20);
  });
});

describe('a thread killed after its publish (emptying), before it moved TAIL (HEAD)', () => {
  /** A worker that stops a get (put) there and is then killed: its sabsync id. */
  async function stopped(q: Queue<unknown>, side: 'put' | 'get'): Promise<number> {
    const r = run('dieBeforeMoving', { handle: q.handle, side });
    await waitUntil(() => r.progress.includes('stopped'), 10_000, 'the thread to stop');
    const id = sabsyncIdOf(r.worker.threadId);
    await r.worker.terminate();
    return id;
  }

  it('a get: the queue reads empty, and a put finds room (maxsize 1)', async () => {
    const q = new Queue<number>(1);
    q.put(42);
    await stopped(q, 'get');
    expect([q.qsize(), q.empty(), q.full()]).toEqual([0, true, false]);
    q.putNowait(8);
    expect([q.qsize(), q.full(), q.get(0), q.qsize()]).toEqual([1, true, 8, 0]);
  });

  it.each(RINGS)('a put: its item is counted and got (%i slots)', async (slots) => {
    const q = new Queue<number>(slots);
    pass(q, 37);
    await stopped(q, 'put');
    expect([q.qsize(), q.empty()]).toEqual([1, false]);
    expect([q.get(0), q.qsize(), q.empty()]).toEqual([7, 0, true]);
  });

  it('a putter asleep on the full queue is woken by the recovery of the get', async () => {
    // Attached without the liveness table, the putter learns of no death itself; but its sleep is
    // cut into slices all the same (50 ms doubling to 1 s: sleepers.ts), and one that ends between
    // the kill and the recovery lets it find the emptied slot on its own look (HEAD moved on):
    // the recovery then has nothing to settle. So tried until the recovery comes first (on a
    // quiet machine the first try); every try ends with the item put and got.
    let recovered = false;
    for (let attempt = 0; attempt < 5 && !recovered; attempt++) {
      const q = new Queue<number>(1);
      q.put(42);
      const handle = { ...(q.handle as object), live: undefined };
      const putter = run<{ name?: string }>('putOnce', { handle, item: 9, timeout: 10_000 }, 'queue.mjs');
      await untilWaiters(q, [sabsyncIdOf(putter.worker.threadId)], 'put');
      const id = await stopped(q, 'get');
      recovered = await recoverQueue(q, id);
      expect((await putter.result).name).toBeUndefined();
      expect([q.get(0), q.qsize()]).toEqual([9, 0]);
    }
    expect(recovered).toBe(true);
  });

  it('a getter asleep on the empty queue is woken by the recovery of the put', async () => {
    const q = new Queue<number>(4);
    const getter = run<{ value: unknown }>('getOnce', { handle: q.handle, timeout: 10_000 }, 'queue.mjs');
    await untilWaiters(q, [sabsyncIdOf(getter.worker.threadId)], 'get');
    const id = await stopped(q, 'put');
    await recoverQueue(q, id);
    expect((await getter.result).value).toBe(7);
  });
});

/** What the stress harness needs of a queue on this thread. */
interface Target {
  readonly handle: unknown;
  qsize(): number;
}

interface Readings {
  /** Items got more than once. */
  twice: number;
  /** Items never got, beyond those a killed thread may have had in hand. */
  lost: number;
  /** Producers that gave up: no room for 3 s (nobody could get any more). */
  stuck: number;
  /** The kills stopped: no put (or get) returned for STALL_MS. */
  stalled: number;
  /** Items left in the queue. */
  left: number;
}

/** How long the kill loop waits for the next victim to make progress before it calls it stalled. */
const STALL_MS = 8_000;

/** Poll shared state until `predicate` holds (true) or STALL_MS pass (false). */
async function until(predicate: () => boolean): Promise<boolean> {
  try {
    await waitUntil(predicate, STALL_MS);
    return true;
  } catch {
    return false;
  }
}

const PRODUCERS = 3;
const CONSUMERS = 3;
const PER = 5_000;

/**
 * PRODUCERS × PER items through `q` to CONSUMERS, killing a random worker `kills` times and
 * starting a replacement (a producer goes on two items past the last put that returned: the
 * one in between may or may not have been put). Returns the invariants' readings.
 */
async function killStress(q: Target, kills: number, numbersOnly: boolean): Promise<Readings> {
  const total = PRODUCERS * PER;
  const seen = new SharedArrayBuffer(total * 4);
  const progress = new Int32Array(new SharedArrayBuffer((PRODUCERS + kills) * 4));
  const stop = new SharedArrayBuffer(4);
  let slots = 0;
  const producers: { r: Running<string>; slot: number; to: number }[] = [];
  const consumers: Running<string>[] = [];
  const produce = (from: number, to: number) => {
    const slot = slots++;
    progress[slot] = from - 1;
    producers.push({ r: run('stressProducer', { handle: q.handle, from, to, progress: progress.buffer, slot, numbersOnly }), slot, to });
  };
  const consume = () => consumers.push(run('stressConsumer', { handle: q.handle, seen, stop }));
  for (let p = 0; p < PRODUCERS; p++) produce(p * PER, (p + 1) * PER);
  for (let c = 0; c < CONSUMERS; c++) consume();

  const inHand = new Set<number>();
  let consumersKilled = 0;
  let stalled = 0;
  const counts = new Int32Array(seen);
  const got = () => counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < kills; k++) {
    // Producers and consumers by turns, each killed while it works: a producer once its puts
    // have moved on since it started, a consumer once more items have been got.
    const working = producers.filter((p) => Atomics.load(progress, p.slot) < p.to - 1);
    if (k % 2 === 0 && working.length > 0) {
      const victim = working[Math.floor(Math.random() * working.length)]!;
      const from = Atomics.load(progress, victim.slot);
      if (!(await until(() => Atomics.load(progress, victim.slot) > from + 20 || Atomics.load(progress, victim.slot) >= victim.to - 1))) {
        stalled++;
        break;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      const id = sabsyncIdOf(victim.r.worker.threadId);
      await victim.r.worker.terminate();
      markDead(id);
      producers.splice(producers.indexOf(victim), 1);
      const last = Atomics.load(progress, victim.slot);
      if (last + 1 < victim.to) inHand.add(last + 1);
      if (last + 2 < victim.to) produce(last + 2, victim.to);
    } else {
      const victim = consumers[Math.floor(Math.random() * consumers.length)]!;
      const before = got();
      // Near the end fewer than 20 items may be left to get (the rest were put and got, or went
      // with a killed producer or consumer): that is not a stall.
      const nearEnd = () => got() + inHand.size + consumersKilled + 20 >= total;
      if (!(await until(() => got() > before + 20 || working.length === 0 || nearEnd()))) {
        stalled++;
        break;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      const id = sabsyncIdOf(victim.worker.threadId);
      await victim.worker.terminate();
      markDead(id);
      consumers.splice(consumers.indexOf(victim), 1);
      consumersKilled++;
      consume();
    }
  }
  const outcomes = await Promise.all(producers.map((p) => p.r.result));
  Atomics.store(new Int32Array(stop), 0, 1);
  await Promise.all(consumers.map((c) => c.result));
  let twice = 0;
  let missing = 0;
  for (let n = 0; n < total; n++) {
    if (counts[n]! > 1) twice++;
    if (counts[n] === 0 && !inHand.has(n)) missing++;
  }
  return { twice, lost: Math.max(0, missing - consumersKilled), stuck: outcomes.filter((o) => o === 'stuck').length, stalled, left: q.qsize() };
}

describe('kill stress', () => {
  it(`${PRODUCERS} producers × ${PER} numbers, strings and objects, ${CONSUMERS} consumers, maxsize 32, 12 random kills: exactly once, nothing stuck`, async () => {
    const q = new Queue(32, { bytes: 16 * 1024 });
    expect(await killStress(q, 12, false)).toEqual({ twice: 0, lost: 0, stuck: 0, stalled: 0, left: 0 });
    q.put(7);
    q.put('usable');
    expect([q.get(0), q.get(0)]).toEqual([7, 'usable']);
  }, 60_000);

  it(`the same with numbers only, maxsize 512 (TAIL and HEAD moved lazily, the claims' first tries from hints)`, async () => {
    const q = new Queue(512);
    expect(await killStress(q, 12, true)).toEqual({ twice: 0, lost: 0, stuck: 0, stalled: 0, left: 0 });
    q.put(7);
    q.put('usable');
    expect([q.get(0), q.get(0)]).toEqual([7, 'usable']);
  }, 60_000);

  it('the same harness catches a ring that is not crash-safe (a killed put wedges every get)', async () => {
    const readings = await killStress(new UnsafeRing(32), 12, true);
    expect(readings.lost + readings.stuck + readings.stalled).toBeGreaterThan(0);
  }, 60_000);
});
