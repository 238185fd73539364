/**
 * Placement and sharing: a primitive placed in caller-owned memory writes only inside its own
 * [byteOffset, byteOffset + byteLength); bad placement is refused before anything is written;
 * `X.from` / `revive` refuse a handle of the wrong kind, a foreign buffer or junk.
 */
import { describe, expect, test } from 'vitest';
import { Barrier, Condition, Connection, Event, Lock, Pipe, Queue, RLock, Semaphore, revive } from 'sabsync';
import { start, unchecked, waitUntil } from './helpers/workers.js';

const SENTINEL = 0xa5;
const PAD = 64;

/** A buffer of PAD + `byteLength` + PAD bytes, every byte SENTINEL; the region starts at PAD. */
function paddedBuffer(byteLength: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(PAD + byteLength + PAD);
  new Uint8Array(buffer).fill(SENTINEL);
  return buffer;
}

/** Offsets outside [PAD, PAD + byteLength) whose byte is no longer SENTINEL. */
function touchedOutside(buffer: SharedArrayBuffer, byteLength: number): number[] {
  const bytes = new Uint8Array(buffer);
  const touched: number[] = [];
  bytes.forEach((b, i) => {
    if ((i < PAD || i >= PAD + byteLength) && b !== SENTINEL) touched.push(i);
  });
  return touched;
}

type Placement = { buffer: SharedArrayBuffer; byteOffset: number };

const untouched = (buffer: SharedArrayBuffer) => new Uint8Array(buffer).every((b) => b === SENTINEL);

describe('placement in caller-owned memory', () => {
  test('X.byteLength', () => {
    expect(Lock.byteLength).toBe(8);
    expect(RLock.byteLength).toBe(16);
    const sizes = [1, 2, 3, 128, 1000].map((maxWaiters) => Condition.byteLength({ maxWaiters }));
    for (const size of sizes) expect(size % 8).toBe(0);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1]!);
    expect(Condition.byteLength()).toBe(Condition.byteLength({ maxWaiters: 128 }));
    expect(() => Condition.byteLength({ maxWaiters: 0 })).toThrow(RangeError);
  });

  test('Lock writes only inside its bytes, used from this thread and from a worker', async () => {
    const buffer = paddedBuffer(Lock.byteLength);
    const lock = new Lock({ buffer, byteOffset: PAD });
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(20)).toBe(false);
    lock.release();
    expect(await lock.acquireAsync()).toBe(true);
    const [got] = await start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: 'Lock', handle: lock.handle, timeout: 20 }).result;
    expect(got).toBe(false);
    lock.release();
    const [gotThere] = await start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: 'Lock', handle: lock.handle, timeout: 1_000 }).result;
    expect(gotThere).toBe(true);
    expect(touchedOutside(buffer, Lock.byteLength)).toEqual([]);
    expect(lock.locked()).toBe(false);
  });

  test('RLock writes only inside its bytes', async () => {
    const buffer = paddedBuffer(RLock.byteLength);
    const lock = new RLock({ buffer, byteOffset: PAD });
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(5_000)).toBe(true);
    const [got] = await start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: 'RLock', handle: lock.handle, timeout: 20 }).result;
    expect(got).toBe(false);
    lock.release();
    lock.release();
    expect(touchedOutside(buffer, RLock.byteLength)).toEqual([]);
    expect(lock.locked()).toBe(false);
  });

  test.each([
    ['its default RLock', () => undefined],
    ['a Lock placed elsewhere', () => new Lock()],
  ])('Condition with %s writes only inside its bytes, waiters and notifier included', async (_name, lockOf) => {
    const maxWaiters = 3;
    const byteLength = Condition.byteLength({ maxWaiters });
    const buffer = paddedBuffer(byteLength);
    const cond = new Condition(lockOf(), { buffer, byteOffset: PAD, maxWaiters });
    expect(cond.acquire(5_000)).toBe(true);
    expect(cond.wait(10)).toBe(false);
    cond.notifyAll();
    cond.release();
    const ctl = new Int32Array(new SharedArrayBuffer(64));
    const waiters = [0, 1, 2].map((index) =>
      start<{ result: boolean }>('condition.mjs', 'waiter', { handle: cond.handle, ctl: ctl.buffer }, { index }),
    );
    await waitUntil(() => Atomics.load(ctl, 0) === 3, 10_000, 'three waiters');
    expect(cond.acquire(5_000)).toBe(true);
    expect(() => cond.wait(10)).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_WAITERS' }));
    cond.notify(3);
    cond.release();
    expect((await Promise.all(waiters.map((w) => w.result))).map((r) => r.result)).toEqual([true, true, true]);
    expect(touchedOutside(buffer, byteLength)).toEqual([]);
  });

  // Each row: the bytes the primitive takes, and a use of a fresh one placed at `p`.
  const rows: [string, () => number, (p: Placement) => void][] = [
    ['Queue', () => Queue.byteLength(4), (p) => {
      const q = new Queue<number>(4, p);
      q.put(1, 0);
      expect(q.get(0)).toBe(1);
      q.taskDone();
      expect(q.qsize()).toBe(0);
    }],
    ['Condition', () => Condition.byteLength(), (p) => {
      const c = new Condition(undefined, p);
      expect(c.acquire(0)).toBe(true);
      expect(c.wait(1)).toBe(false);
      c.release();
    }],
    ['Event', () => Event.byteLength, (p) => {
      const e = new Event(p);
      expect(e.isSet()).toBe(false);
      expect(e.wait(1)).toBe(false);
    }],
    ['Semaphore', () => Semaphore.byteLength, (p) => {
      const s = new Semaphore(2, p);
      expect([s.acquire(0), s.acquire(0), s.acquire(0)]).toEqual([true, true, false]);
    }],
    ['Barrier', () => Barrier.byteLength(1), (p) => {
      const b = new Barrier(1, p);
      expect(b.wait(1_000)).toBe(0);
      expect(b.broken).toBe(false);
    }],
    ['Pipe', () => Connection.byteLength(), (p) => {
      const [a, b] = Pipe(true, p);
      a.send('x');
      expect(b.recv(0)).toBe('x');
      expect(a.poll(0)).toBe(false);
    }],
  ];
  test.each(rows)('%s placed in memory full of old bytes starts as a fresh one', (_, size, use) => {
    const buffer = paddedBuffer(size());
    use({ buffer, byteOffset: PAD });
    expect(touchedOutside(buffer, size())).toEqual([]);
  });

  test('primitives side by side in one buffer stay independent', () => {
    const buffer = new SharedArrayBuffer(Lock.byteLength * 2 + RLock.byteLength);
    const a = new Lock({ buffer, byteOffset: 0 });
    const b = new Lock({ buffer, byteOffset: 8 });
    const r = new RLock({ buffer, byteOffset: 16 });
    expect(a.acquire(0)).toBe(true);
    expect(b.locked()).toBe(false);
    expect(b.acquire(0)).toBe(true);
    expect(r.locked()).toBe(false);
    a.release();
    expect(b.locked()).toBe(true);
    b.release();
    expect(r.acquire(0)).toBe(true);
    expect(a.locked() || b.locked()).toBe(false);
    r.release();
  });

  test('a Condition fits exactly in Condition.byteLength({ maxWaiters }) bytes, not one fewer', () => {
    const n = Condition.byteLength({ maxWaiters: 4 });
    expect(new Condition(undefined, { buffer: new SharedArrayBuffer(n), maxWaiters: 4 }).maxWaiters).toBe(4);
    expect(() => new Condition(undefined, { buffer: new SharedArrayBuffer(n - 1), maxWaiters: 4 })).toThrow(RangeError);
    expect(() => new Condition(undefined, { buffer: new SharedArrayBuffer(n + 8), byteOffset: 16, maxWaiters: 4 })).toThrow(RangeError);
  });

  const makers = [
    ['Lock', (o: object) => new Lock(o), Lock.byteLength],
    ['RLock', (o: object) => new RLock(o), RLock.byteLength],
    ['Condition', (o: object) => new Condition(undefined, o), Condition.byteLength()],
  ] as const;

  test.each(makers)('%s: bad byteOffset is a RangeError (nothing written)', (_name, make, byteLength) => {
    const buffer = paddedBuffer(byteLength);
    for (const byteOffset of [4, 12, 1, 1.5, -8, NaN, Infinity, PAD * 2 + 8, buffer.byteLength]) {
      expect(() => make({ buffer, byteOffset }), `byteOffset ${byteOffset}`).toThrow(RangeError);
    }
    expect(() => make({ buffer, byteOffset: '8' })).toThrow(TypeError);
    expect(untouched(buffer)).toBe(true);
  });

  test.each(makers)('%s: a buffer that is not a SharedArrayBuffer (or options not an object) is a TypeError', (_name, make, byteLength) => {
    for (const buffer of [new ArrayBuffer(byteLength), new Int32Array(new SharedArrayBuffer(byteLength)), 'buffer', 8]) {
      expect(() => make({ buffer, byteOffset: 0 })).toThrow(TypeError);
    }
    expect(() => make(5 as unknown as object)).toThrow(TypeError);
  });
});

describe('attaching: X.from and revive', () => {
  test('revive returns a live object of the right class on the same memory', () => {
    const lock = new Lock();
    const rlock = new RLock();
    const cond = new Condition(new Lock());
    const l2 = revive(lock.handle) as Lock;
    expect(l2).toBeInstanceOf(Lock);
    expect(l2.acquire(0)).toBe(true);
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(revive(rlock.handle)).toBeInstanceOf(RLock);
    const c2 = revive(cond.handle) as Condition;
    expect(c2).toBeInstanceOf(Condition);
    expect(c2.lock).toBeInstanceOf(Lock);
    expect(c2.acquire(5_000)).toBe(true);
    expect((cond.lock as Lock).locked()).toBe(true);
    cond.release();
    // A structured clone of a handle shares the memory (a new SharedArrayBuffer object, same bytes).
    const cloned = Lock.from(structuredClone(lock.handle));
    expect(cloned.acquire(0)).toBe(true);
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(cloned.locked()).toBe(false);
  });

  test('X.from of a handle of another kind: TypeError naming both kinds', () => {
    const rlock = new RLock();
    const lock = new Lock();
    expect(() => Lock.from(unchecked(rlock.handle))).toThrow(TypeError);
    expect(() => Lock.from(unchecked(rlock.handle))).toThrow(/expected a Lock handle.*RLock/);
    expect(() => RLock.from(unchecked(lock.handle))).toThrow(/expected a RLock handle.*Lock/);
    expect(() => Condition.from(unchecked(lock.handle))).toThrow(/expected a Condition handle.*Lock/);
  });

  test('X.from of memory that does not hold one (a foreign or zeroed buffer, or forged offsets): TypeError', () => {
    const zeroed = { type: 'sabsync:Lock', buffer: new SharedArrayBuffer(64), byteOffset: 0 } as const;
    expect(() => Lock.from(zeroed)).toThrow(TypeError);
    expect(() => Lock.from(zeroed)).toThrow(/does not hold a sabsync Lock/);
    expect(() => RLock.from({ ...zeroed, type: 'sabsync:RLock' })).toThrow(/does not hold a sabsync RLock/);
    expect(() => Condition.from({ ...zeroed, type: 'sabsync:Condition' })).toThrow(/does not hold a sabsync Condition/);

    // A Lock-typed handle pointing at an RLock placed in the same buffer.
    const buffer = new SharedArrayBuffer(32);
    new Lock({ buffer, byteOffset: 0 });
    new RLock({ buffer, byteOffset: 8 });
    expect(() => Lock.from({ type: 'sabsync:Lock', buffer, byteOffset: 8 })).toThrow(/does not hold a sabsync Lock/);
    expect(() => Lock.from({ type: 'sabsync:Lock', buffer, byteOffset: 24 })).toThrow(TypeError);
    expect(() => Lock.from({ type: 'sabsync:Lock', buffer: new ArrayBuffer(8), byteOffset: 0 } as never)).toThrow(TypeError);

    // A Condition handle whose lock is not a lock.
    const cond = new Condition();
    expect(() => Condition.from({ ...cond.handle, lock: { junk: true } })).toThrow(TypeError);
    expect(() => Condition.from({ ...cond.handle, lock: new Condition().handle })).toThrow(TypeError);
  });

  test('revive / X.from of junk: TypeError', () => {
    for (const junk of [undefined, null, 42, 'sabsync:Lock', {}, { type: 'sabsync:Nope', buffer: new SharedArrayBuffer(8), byteOffset: 0 }, { type: 'sabsync:Lock' }]) {
      expect(() => revive(junk), String(junk)).toThrow(TypeError);
      expect(() => Lock.from(junk as never), String(junk)).toThrow(TypeError);
    }
  });

  test('handles survive structured cloning into a worker that then uses the lock', async () => {
    const buffer = paddedBuffer(Lock.byteLength);
    const lock = new Lock({ buffer, byteOffset: PAD });
    expect(lock.acquire(5_000)).toBe(true);
    const w = start('locks.mjs', 'releaseForeign', { kind: 'Lock', handle: lock.handle, how: 'revive' });
    expect(await w.result).toEqual({ ok: true });
    expect(lock.locked()).toBe(false);
    expect(touchedOutside(buffer, Lock.byteLength)).toEqual([]);
  });
});
