/**
 * ReaderWriterLock: what is not a plain lock's contract (its write side is bound in
 * test/lock-contract.test.ts) — many readers at once, a waiting writer stops new readers, readers
 * that waited go before the next writer, per-thread reads (re-entrant, ERR_NOT_OWNER from a
 * thread that holds none), guards, async twins, bad inputs, placement and the slot table's limit.
 * Real worker threads; every "it is blocked by now" is read from the lock's words (blocked.ts).
 */
import { describe, expect, test } from 'vitest';
import { ReaderWriterLock, TimeoutError, revive } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { expectElapsed, start, thrown, timed, timedAsync, waitUntil } from './helpers/workers.js';

const FILE = 'rwlock.mjs';
const HELD = 0;
const GO = 1;

type Seen = { readers: number; writing: boolean } | undefined;

/** A worker holding a read (or the write) until `letGo()`; resolves once it holds it. */
async function holder(rw: ReaderWriterLock, write = false, levels = 1) {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const w = start<boolean>(FILE, 'holdUntil', { handle: rw.handle, ctl: ctl.buffer, write, levels }, { timeout: 30_000 });
  await waitUntil(() => Atomics.load(ctl, HELD) === 1, 10_000, `the worker to hold a ${write ? 'write' : 'read'}`);
  return {
    async letGo() {
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, GO);
      expect(await w.result).toBe(true);
    },
  };
}

/**
 * A worker asking for a read (or the write) within `timeout`; once it has it, it raises its
 * HELD word and keeps it until `letGo()`.
 */
function asker(rw: ReaderWriterLock, write: boolean, timeout = 10_000) {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const w = start<[boolean, number, Seen]>(FILE, 'tryTake', { handle: rw.handle, write, timeout, ctl: ctl.buffer }, { timeout: 30_000 });
  return {
    holds: () => Atomics.load(ctl, HELD) === 1,
    async letGo() {
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, GO);
      return w.result;
    },
    result: w.result,
  };
}

/** Try a read (or the write) in a fresh worker, releasing at once; [got, ms]. */
async function tryThere(rw: ReaderWriterLock, write: boolean, timeout: number): Promise<[boolean, number]> {
  const [got, ms] = await start<[boolean, number, Seen]>(FILE, 'tryTake', { handle: rw.handle, write, timeout }).result;
  return [got, ms];
}

describe('many readers or one writer', () => {
  test('four workers hold reads at once; no writer gets in meanwhile; then one does', async () => {
    const rw = new ReaderWriterLock();
    const readers = await Promise.all([0, 1, 2, 3].map(() => holder(rw)));
    expect(rw.readers).toBe(4);
    expect(rw.writing).toBe(false);
    expect(rw.locked()).toBe(true);
    expect(rw.acquireWrite(0)).toBe(false);
    const [got, ms] = await tryThere(rw, true, 100);
    expect(got).toBe(false);
    expectElapsed(ms, 100);
    // No writer waits now: one more reader enters.
    expect(rw.acquireRead(0)).toBe(true);
    expect(rw.readers).toBe(5);
    rw.releaseRead();
    for (const r of readers) await r.letGo();
    expect(rw.locked()).toBe(false);
    expect(rw.acquireWrite(0)).toBe(true);
    expect(rw.writing).toBe(true);
    expect(await tryThere(rw, false, 0).then(([g]) => g)).toBe(false);
    rw.releaseWrite();
    expect(rw.locked()).toBe(false);
  });

  test('a waiting writer stops new readers; it gets the lock once the readers have left', async () => {
    const rw = new ReaderWriterLock();
    const reader = await holder(rw);
    const writer = asker(rw, true);
    await untilBlocked(rw, 1);
    expect(rw.acquireRead(0)).toBe(false);
    const [got, ms] = timed(() => rw.acquireRead(100));
    expect(got).toBe(false);
    expectElapsed(ms, 100);
    expect((await tryThere(rw, false, 100))[0]).toBe(false);
    // The refused readers left nothing behind: only the writer waits.
    expect(blocked(rw)).toBe(1);
    expect(rw.readers).toBe(1);
    await reader.letGo();
    await waitUntil(writer.holds, 10_000, 'the writer to get the lock');
    expect(rw.writing).toBe(true);
    expect(rw.readers).toBe(0);
    const [wrote, , seen] = await writer.letGo();
    expect(wrote).toBe(true);
    expect(seen).toEqual({ readers: 0, writing: true });
    expect(rw.acquireRead(0)).toBe(true);
    rw.releaseRead();
  });

  test('a writer that gives up waiting lets the readers it held back in', async () => {
    const rw = new ReaderWriterLock();
    const first = await holder(rw);
    const writer = asker(rw, true, 300);
    await untilBlocked(rw, 1);
    const reader = asker(rw, false);
    await untilBlocked(rw, 2);
    // The writer's timeout passes while the first reader still reads: the second gets in.
    await waitUntil(reader.holds, 10_000, 'the held-back reader to get its read');
    const [wrote, ms] = await writer.result;
    expect(wrote).toBe(false);
    expectElapsed(ms, 300);
    expect(rw.readers).toBe(2);
    expect((await reader.letGo())[0]).toBe(true);
    await first.letGo();
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });

  test('a writer that gives up wakes a reader whose own pending async write is then the only one', async () => {
    // An async read: a sync one would not wait behind the other writer at all (see the next describe).
    // Placed, and the reader attaches by a hand-built handle: it knows no liveness table, so
    // nothing but a wake-up cuts its sleep short.
    const buffer = new SharedArrayBuffer(ReaderWriterLock.byteLength);
    const rw = new ReaderWriterLock({ buffer, byteOffset: 0 });
    const first = await holder(rw);
    const ctl = new Int32Array(new SharedArrayBuffer(12));
    const x = start<[boolean, boolean]>(FILE, 'asyncWriteThenRead', { buffer, ctl: ctl.buffer, timeout: 60_000, async: true }, { timeout: 90_000 });
    await untilBlocked(rw, 1);
    const writer = asker(rw, true, 1500);
    await untilBlocked(rw, 2);
    Atomics.store(ctl, 2, 1);
    Atomics.notify(ctl, 2);
    // Its read waits behind the other writer (its own async write does not hold it back).
    await untilBlocked(rw, 3);
    const [wrote] = await writer.result;
    expect(wrote).toBe(false);
    await waitUntil(() => Atomics.load(ctl, HELD) === 1, 10_000, 'the held-back reader to get its read');
    expect(rw.readers).toBe(2);
    Atomics.store(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    await first.letGo();
    expect(await x.result).toEqual([true, true]);
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });

  test('readers that waited while a writer held the lock go before the next writer', async () => {
    const rw = new ReaderWriterLock();
    const first = await holder(rw, true);
    const reader = asker(rw, false);
    await untilBlocked(rw, 1);
    const next = asker(rw, true);
    await untilBlocked(rw, 2);
    await first.letGo();
    await waitUntil(reader.holds, 10_000, 'the waiting reader to get its read');
    // The next writer still waits: the reader went first.
    expect(next.holds()).toBe(false);
    expect(rw.writing).toBe(false);
    expect(blocked(rw)).toBe(1);
    const [read, , readSeen] = await reader.letGo();
    expect(read).toBe(true);
    expect(readSeen).toEqual({ readers: 1, writing: false });
    await waitUntil(next.holds, 10_000, 'the next writer to get the lock');
    const [wrote] = await next.letGo();
    expect(wrote).toBe(true);
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });
});

describe('reads belong to threads', () => {
  test('reads are re-entrant, even while a writer waits; each level needs its release', async () => {
    const rw = new ReaderWriterLock();
    expect(rw.acquireRead()).toBe(true);
    const writer = asker(rw, true);
    await untilBlocked(rw, 1);
    expect(rw.acquireRead(0)).toBe(true);
    expect(await rw.acquireReadAsync(0)).toBe(true);
    expect(rw.readers).toBe(1);
    rw.releaseRead();
    rw.releaseRead();
    expect(writer.holds()).toBe(false);
    rw.releaseRead();
    await waitUntil(writer.holds, 10_000, 'the writer to get the lock');
    expect((await writer.letGo())[0]).toBe(true);
    expect(thrown(() => rw.releaseRead())).toEqual({ name: 'SabsyncError', code: 'ERR_NOT_OWNER' });
  });

  test('the writer may take reads and keep them after releaseWrite (a downgrade)', async () => {
    const rw = new ReaderWriterLock();
    expect(rw.acquireWrite()).toBe(true);
    expect(rw.acquireRead(0)).toBe(true);
    rw.releaseWrite();
    expect(rw.writing).toBe(false);
    expect(rw.readers).toBe(1);
    expect((await tryThere(rw, true, 0))[0]).toBe(false);
    expect((await tryThere(rw, false, 1_000))[0]).toBe(true);
    rw.releaseRead();
    expect(rw.locked()).toBe(false);
  });

  test('writes are not re-entrant, and a reader asking to write waits for its own read: false by the timeout, nothing left behind', () => {
    const rw = new ReaderWriterLock();
    expect(rw.acquireWrite()).toBe(true);
    expect(rw.acquireWrite(0)).toBe(false);
    const [got, ms] = timed(() => rw.acquireWrite(60));
    expect(got).toBe(false);
    expectElapsed(ms, 60);
    rw.releaseWrite();
    expect(rw.acquireRead()).toBe(true);
    const [upgraded, ms2] = timed(() => rw.acquireWrite(60));
    expect(upgraded).toBe(false);
    expectElapsed(ms2, 60);
    expect(blocked(rw)).toBe(0);
    expect(rw.readers).toBe(1);
    rw.releaseRead();
    expect(rw.locked()).toBe(false);
  });

  test('release by a thread that does not hold it: ERR_NOT_OWNER, nothing changed', async () => {
    const rw = new ReaderWriterLock();
    const notOwner = { name: 'SabsyncError', code: 'ERR_NOT_OWNER' };
    expect(thrown(() => rw.releaseRead())).toEqual(notOwner);
    expect(thrown(() => rw.releaseWrite())).toEqual(notOwner);
    expect(rw.locked()).toBe(false);

    expect(rw.acquireRead()).toBe(true);
    expect(await start(FILE, 'releaseForeign', { handle: rw.handle }).result).toEqual(notOwner);
    expect(await start(FILE, 'releaseForeign', { handle: rw.handle, write: true }).result).toEqual(notOwner);
    expect(thrown(() => rw.releaseWrite())).toEqual(notOwner);
    expect(rw.readers).toBe(1);
    rw.releaseRead();

    expect(rw.acquireWrite()).toBe(true);
    expect(await start(FILE, 'releaseForeign', { handle: rw.handle, write: true }).result).toEqual(notOwner);
    expect(await start(FILE, 'releaseForeign', { handle: rw.handle }).result).toEqual(notOwner);
    expect(thrown(() => rw.releaseRead())).toEqual(notOwner);
    expect(rw.writing).toBe(true);
    rw.releaseWrite();
    expect(rw.locked()).toBe(false);
  });
});

describe('guards and async twins', () => {
  test('read() / write() / readAsync() / writeAsync() release on scope exit; a second dispose does nothing', async () => {
    const rw = new ReaderWriterLock();
    {
      using _r = rw.read();
      using _r2 = rw.read(0);
      expect(rw.readers).toBe(1);
      expect(rw.acquireWrite(0)).toBe(false);
    }
    expect(rw.locked()).toBe(false);
    {
      using _w = rw.write(1_000);
      expect(rw.writing).toBe(true);
    }
    expect(rw.locked()).toBe(false);
    {
      using _r = await rw.readAsync();
      expect(rw.readers).toBe(1);
    }
    {
      using _w = await rw.writeAsync(1_000);
      expect(rw.writing).toBe(true);
    }
    expect(rw.locked()).toBe(false);
    const g = rw.read();
    g[Symbol.dispose]();
    g[Symbol.dispose]();
    expect(rw.locked()).toBe(false);
    expect(() => {
      using _w = rw.write();
      throw new Error('boom');
    }).toThrow('boom');
    expect(rw.locked()).toBe(false);
  });

  test('a guard not had in time throws TimeoutError (ERR_TIMEOUT), nothing held', async () => {
    const rw = new ReaderWriterLock();
    const writer = await holder(rw, true);
    expect(() => rw.read(50)).toThrow(TimeoutError);
    expect(() => rw.write(0)).toThrow(expect.objectContaining({ code: 'ERR_TIMEOUT' }));
    await expect(rw.readAsync(50)).rejects.toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT' });
    await expect(rw.writeAsync(50)).rejects.toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT' });
    expect(blocked(rw)).toBe(0);
    await writer.letGo();
    expect(rw.locked()).toBe(false);
  });

  test.each([
    ['Read', false],
    ['Write', true],
  ])('acquire%sAsync waits without blocking the event loop and resolves once it may', async (_, write) => {
    const rw = new ReaderWriterLock();
    // A reader is held off by a writer; a writer by a reader.
    const other = await holder(rw, !write);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const take = () => (write ? rw.acquireWriteAsync(10_000) : rw.acquireReadAsync(10_000));
      expect(await (write ? rw.acquireWriteAsync(0) : rw.acquireReadAsync(0))).toBe(false);
      let settled = false;
      const pending = take().finally(() => (settled = true));
      await untilBlocked(rw, 1);
      const before = ticks;
      await waitUntil(() => ticks >= before + 5, 10_000, 'five ticks while it waits');
      expect(settled).toBe(false);
      const [timedOut, ms] = await timedAsync(() => (write ? rw.acquireWriteAsync(80) : rw.acquireReadAsync(80)));
      expect(timedOut).toBe(false);
      expectElapsed(ms, 80);
      await other.letGo();
      expect(await pending).toBe(true);
      if (write) rw.releaseWrite();
      else rw.releaseRead();
    } finally {
      clearInterval(timer);
    }
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });

  test("a thread's own pending async request never holds back its sync call (which would wait for it forever)", async () => {
    const rw = new ReaderWriterLock();
    const until = (f: () => boolean) => {
      const end = performance.now() + 10_000;
      while (!f()) if (performance.now() > end) throw new Error('state not reached');
    };
    // A read waits async behind a worker's write; the write leaves, so readers have their turn —
    // but this thread's sync acquireWrite must not wait for its own async read, which cannot
    // run before the sync call returns.
    let ctl = new Int32Array(new SharedArrayBuffer(8));
    let w = start(FILE, 'holdUntil', { handle: rw.handle, ctl: ctl.buffer, write: true }, { timeout: 30_000 });
    await waitUntil(() => Atomics.load(ctl, HELD) === 1, 10_000, 'the worker to write');
    const read = rw.acquireReadAsync(10_000);
    await untilBlocked(rw, 1);
    Atomics.store(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    until(() => !rw.writing);
    expect(rw.acquireWrite(5_000)).toBe(true);
    rw.releaseWrite();
    expect(await read).toBe(true);
    rw.releaseRead();
    await w.result;

    // The other way: a write waits async behind a worker's read; this thread's sync read goes.
    ctl = new Int32Array(new SharedArrayBuffer(8));
    w = start(FILE, 'holdUntil', { handle: rw.handle, ctl: ctl.buffer }, { timeout: 30_000 });
    await waitUntil(() => Atomics.load(ctl, HELD) === 1, 10_000, 'the worker to read');
    const write = rw.acquireWriteAsync(10_000);
    await untilBlocked(rw, 1);
    expect(rw.acquireRead(5_000)).toBe(true);
    rw.releaseRead();
    Atomics.store(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    await w.result;
    expect(await write).toBe(true);
    rw.releaseWrite();
    expect(rw.locked()).toBe(false);
  });

  test('two threads, each with its own async write pending, both get a sync read while no writer holds the lock', async () => {
    // Each read would otherwise wait behind the other thread's pending write, which cannot be
    // granted while its thread is blocked in that read: a deadlock.
    const rw = new ReaderWriterLock();
    const first = await holder(rw);
    const ctls = [0, 1].map(() => new Int32Array(new SharedArrayBuffer(12)));
    const xs = ctls.map((ctl) => start<[boolean, boolean]>(FILE, 'asyncWriteThenRead', { handle: rw.handle, ctl: ctl.buffer, timeout: 60_000 }, { timeout: 90_000 }));
    await untilBlocked(rw, 2);
    for (const ctl of ctls) {
      Atomics.store(ctl, 2, 1);
      Atomics.notify(ctl, 2);
    }
    await waitUntil(() => ctls.every((ctl) => Atomics.load(ctl, HELD) === 1), 10_000, 'both sync reads to be granted');
    expect(rw.readers).toBe(3);
    expect(rw.writing).toBe(false);
    for (const ctl of ctls) {
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, GO);
    }
    await first.letGo();
    for (const x of xs) expect(await x.result).toEqual([true, true]);
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });

  test('two threads, each with its own async read pending, both get a sync write in turn once the readers have their turn', async () => {
    // The writer leaves while their reads wait: READ_TURN. Each sync write would otherwise wait
    // for the other thread's pending read, which cannot be granted while its thread is blocked.
    const rw = new ReaderWriterLock();
    const writer = await holder(rw, true);
    const ctls = [0, 1].map(() => new Int32Array(new SharedArrayBuffer(12)));
    const xs = ctls.map((ctl) => start<[boolean, boolean]>(FILE, 'asyncReadThenWrite', { handle: rw.handle, ctl: ctl.buffer, timeout: 60_000 }, { timeout: 90_000 }));
    await untilBlocked(rw, 2);
    for (const ctl of ctls) {
      Atomics.store(ctl, 2, 1);
      Atomics.notify(ctl, 2);
    }
    await untilBlocked(rw, 4);
    await writer.letGo();
    // One gets the write; once it lets go, the other does.
    for (let n = 1; n <= 2; n++) {
      await waitUntil(() => ctls.filter((ctl) => Atomics.load(ctl, HELD) === 1).length === n, 10_000, `sync write ${n} to be granted`);
      expect(rw.writing).toBe(true);
      const ctl = ctls.find((c) => Atomics.load(c, HELD) === 1 && Atomics.load(c, GO) === 0)!;
      Atomics.store(ctl, GO, 1);
      Atomics.notify(ctl, GO);
    }
    for (const x of xs) expect(await x.result).toEqual([true, true]);
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });
});

describe('inputs, sharing, placement, limits', () => {
  const BAD: [unknown, typeof RangeError | typeof TypeError][] = [
    [-1, RangeError],
    [NaN, RangeError],
    [-Infinity, RangeError],
    ['5', TypeError],
    [null, TypeError],
    [{}, TypeError],
    [5n, TypeError],
  ];

  test('bad timeouts: RangeError / TypeError at once or as a rejection, the lock as it was', async () => {
    const rw = new ReaderWriterLock();
    for (const held of ['none', 'read', 'write'] as const) {
      if (held === 'read') expect(rw.acquireRead()).toBe(true);
      if (held === 'write') expect(rw.acquireWrite()).toBe(true);
      for (const [bad, type] of BAD) {
        const t = bad as number;
        for (const f of [
          () => rw.acquireRead(t),
          () => rw.acquireWrite(t),
          () => rw.read(t),
          () => rw.write(t),
          () => rw.acquireReadAsync(t),
          () => rw.acquireWriteAsync(t),
          () => rw.readAsync(t),
          () => rw.writeAsync(t),
        ]) {
          let outcome: unknown;
          try {
            outcome = f();
          } catch (e) {
            expect(e).toBeInstanceOf(type);
            continue;
          }
          await expect(outcome).rejects.toBeInstanceOf(type);
        }
      }
      expect(rw.readers).toBe(held === 'read' ? 1 : 0);
      expect(rw.writing).toBe(held === 'write');
      expect(blocked(rw)).toBe(0);
      if (held === 'read') rw.releaseRead();
      if (held === 'write') rw.releaseWrite();
      expect(rw.locked()).toBe(false);
    }
  });

  test('the handle: from, revive, a wrong kind refused', async () => {
    const rw = new ReaderWriterLock();
    expect(revive(rw.handle)).toBeInstanceOf(ReaderWriterLock);
    const again = ReaderWriterLock.from(rw.handle);
    expect(again.acquireWrite(0)).toBe(true);
    expect(rw.writing).toBe(true);
    // Ownership is the thread's, not the wrapper's.
    rw.releaseWrite();
    expect(() => ReaderWriterLock.from({ ...rw.handle, type: 'sabsync:Lock' } as never)).toThrow(TypeError);
    expect(() => structuredClone(rw)).toThrow(/send readerWriterLock\.handle/);
    expect((await tryThere(rw, true, 1_000))[0]).toBe(true);
  });

  test('placed in caller-owned memory, it writes only inside its bytes', async () => {
    expect(ReaderWriterLock.byteLength % 8).toBe(0);
    const PAD = 64;
    const buffer = new SharedArrayBuffer(PAD + ReaderWriterLock.byteLength + PAD);
    new Uint8Array(buffer).fill(0xa5);
    const rw = new ReaderWriterLock({ buffer, byteOffset: PAD });
    const reader = await holder(rw);
    expect(rw.acquireRead(0)).toBe(true);
    rw.releaseRead();
    const writer = asker(rw, true);
    await untilBlocked(rw, 1);
    await reader.letGo();
    await waitUntil(writer.holds, 10_000, 'the writer');
    await writer.letGo();
    const bytes = new Uint8Array(buffer);
    const outside = [...bytes.subarray(0, PAD), ...bytes.subarray(PAD + ReaderWriterLock.byteLength)];
    expect(outside.every((b) => b === 0xa5)).toBe(true);
    expect(() => new ReaderWriterLock({ buffer, byteOffset: 4 })).toThrow(RangeError);
    expect(() => new ReaderWriterLock({ buffer, byteOffset: 2 * PAD + 8 })).toThrow(RangeError);
  });

  test('a 129th thread needing a slot gets ERR_TOO_MANY_WAITERS, nothing changed (white-box: 128 slots held)', () => {
    const rw = new ReaderWriterLock();
    // rwtable.ts: READERS is word 4, slots from word 10, 4 words each (OWNER, READS, RWAIT, WWAIT).
    const words = new Int32Array(rw.handle.buffer, rw.handle.byteOffset, ReaderWriterLock.byteLength / 4);
    for (let k = 0; k < 128; k++) {
      words[10 + 4 * k] = 900_000 + k; // ids of no thread: alive as far as anyone knows
      words[10 + 4 * k + 1] = 1;
    }
    words[4] = 128;
    const before = Array.from(words);
    expect(thrown(() => rw.acquireRead(0))).toEqual({ name: 'SabsyncError', code: 'ERR_TOO_MANY_WAITERS' });
    expect(thrown(() => rw.acquireWrite(10))).toEqual({ name: 'SabsyncError', code: 'ERR_TOO_MANY_WAITERS' });
    expect(Array.from(words)).toEqual(before);
    // A try to write needs no slot: it is refused by the readers.
    expect(rw.acquireWrite(0)).toBe(false);
    // One slot let go: this thread takes it.
    words[10 + 1] = 0;
    words[4] = 127;
    expect(rw.acquireRead(0)).toBe(true);
    expect(rw.readers).toBe(128);
    rw.releaseRead();
  });
});
