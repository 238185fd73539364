/**
 * Stress with exact invariants for ReaderWriterLock, WaitGroup and Once: many workers, real
 * contention, totals checked at the end — and each harness run with a deliberately broken twin
 * must fail, proving that it can.
 */
import { describe, expect, test } from 'vitest';
import { Once, ReaderWriterLock, WaitGroup } from 'sabsync';
import { runMany, start, waitUntil } from './helpers/workers.js';

const FILE = 'rwlock.mjs';

describe('ReaderWriterLock: readers never overlap a writer', () => {
  const WORKERS = 6;
  const N = 20_000;
  const WRITE_EVERY = 5;

  async function mix(rw: ReaderWriterLock, broken: boolean) {
    const shared = new Int32Array(new SharedArrayBuffer(16));
    const ctl = new SharedArrayBuffer(4);
    const results = await runMany<[number, number]>(
      WORKERS,
      FILE,
      'mix',
      { handle: rw.handle, shared: shared.buffer, ctl, workers: WORKERS, n: N, writeEvery: WRITE_EVERY, broken },
      30_000,
    );
    const violations = results.reduce((a, [v]) => a + v, 0);
    const writes = results.reduce((a, [, w]) => a + w, 0);
    return { violations, writes, counter: shared[2]!, maxReading: shared[3]! };
  }

  test(`${WORKERS} workers × ${N.toLocaleString('en')} operations, one in ${WRITE_EVERY} a write: no overlap, exact total`, async () => {
    const rw = new ReaderWriterLock();
    const { violations, writes, counter } = await mix(rw, false);
    expect(violations).toBe(0);
    expect(writes).toBe(WORKERS * (N / WRITE_EVERY));
    expect(counter).toBe(writes);
    expect(rw.locked()).toBe(false);
  });

  test('the same harness catches a lock whose reads do not exclude the writer', async () => {
    const { violations } = await mix(new ReaderWriterLock(), true);
    expect(violations).toBeGreaterThan(0);
  });
});

describe('ReaderWriterLock: nobody starves', () => {
  test('a writer gets 30 writes while 4 workers stream reads (sync and async)', async () => {
    const rw = new ReaderWriterLock();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const streams = [false, true, false, true].map((async) => start<number>(FILE, 'readStream', { handle: rw.handle, ctl: ctl.buffer, async }, { timeout: 60_000 }));
    await waitUntil(() => Atomics.load(ctl, 0) === 4, 10_000, 'every reader to stream');
    try {
      const waits = await start<number[]>(FILE, 'takeMany', { handle: rw.handle, n: 30, write: true, timeout: 20_000 }, { timeout: 60_000 }).result;
      expect(waits).toHaveLength(30);
    } finally {
      Atomics.store(ctl, 1, 1);
    }
    for (const s of streams) expect(await s.result).toBeGreaterThan(0);
    expect(rw.locked()).toBe(false);
  });

  test('a reader gets 30 reads while 3 workers stream writes', async () => {
    const rw = new ReaderWriterLock();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const streams = [0, 1, 2].map(() => start<number>(FILE, 'writeStream', { handle: rw.handle, ctl: ctl.buffer }, { timeout: 60_000 }));
    await waitUntil(() => Atomics.load(ctl, 0) === 3, 10_000, 'every writer to stream');
    try {
      const waits = await start<number[]>(FILE, 'takeMany', { handle: rw.handle, n: 30, timeout: 20_000 }, { timeout: 60_000 }).result;
      expect(waits).toHaveLength(30);
    } finally {
      Atomics.store(ctl, 1, 1);
    }
    for (const s of streams) expect(await s.result).toBeGreaterThan(0);
    expect(rw.locked()).toBe(false);
  });
});

describe('WaitGroup never releases early', () => {
  const ROUNDS = 200;
  const DOERS = 4;
  const WAITERS = 2;

  async function rounds(broken: boolean): Promise<number> {
    const buffer = new SharedArrayBuffer(ROUNDS * WaitGroup.byteLength);
    const groups = Array.from({ length: ROUNDS }, (_, r) => new WaitGroup({ buffer, byteOffset: r * WaitGroup.byteLength }));
    for (const g of groups) g.add(DOERS);
    const work = new SharedArrayBuffer(ROUNDS * 4);
    const early = await runMany<number>(DOERS + WAITERS, FILE, 'waitGroupRounds', { handles: groups.map((g) => g.handle), work, doers: DOERS, broken }, 30_000);
    expect(groups.every((g) => g.count === 0)).toBe(true);
    return early.reduce((a, b) => a + b, 0);
  }

  test(`${ROUNDS} rounds, ${DOERS} doers, ${WAITERS} waiters: every wait returns after every done()`, async () => {
    expect(await rounds(false)).toBe(0);
  });

  test('the same harness catches a wait released one done() early', async () => {
    expect(await rounds(true)).toBeGreaterThan(0);
  });
});

describe('Once runs once across 8 threads', () => {
  const ROUNDS = 200;
  const THREADS = 8;

  async function rounds(broken: boolean, async = false) {
    const buffer = new SharedArrayBuffer(ROUNDS * Once.byteLength);
    const onces = Array.from({ length: ROUNDS }, (_, r) => new Once({ buffer, byteOffset: r * Once.byteLength }));
    const runs = new Int32Array(new SharedArrayBuffer(ROUNDS * 4));
    const data = {
      handles: onces.map((o) => o.handle),
      runs: runs.buffer,
      values: new SharedArrayBuffer(ROUNDS * 4),
      flags: new SharedArrayBuffer(ROUNDS * 4),
      broken,
      async,
    };
    const unseen = await runMany<number>(THREADS, FILE, 'onceRounds', data, 30_000);
    return { unseen: unseen.reduce((a, b) => a + b, 0), runs: Array.from(runs), onces };
  }

  test.each([
    ['call', false],
    ['callAsync', true],
  ])(`${ROUNDS} Onces × ${THREADS} threads (%s): each fn ran exactly once, and every call returned after it`, async (_, async) => {
    const { unseen, runs, onces } = await rounds(false, async);
    expect(runs).toEqual(Array(ROUNDS).fill(1));
    expect(unseen).toBe(0);
    expect(onces.every((o) => o.done)).toBe(true);
  });

  test('the same harness catches check-then-act instead of Once', async () => {
    const { runs } = await rounds(true);
    expect(runs.some((n) => n > 1)).toBe(true);
  });
});
