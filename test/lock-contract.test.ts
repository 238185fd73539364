/**
 * The lock contract, one suite parameterised by a factory and bound once per type it applies to
 * (Lock, RLock, Condition used as a lock — over its default RLock and over a Lock — and a
 * ReaderWriterLock's write side), then what is specific to Lock and to RLock, and the
 * keep-alive of a pending acquireAsync. (test/rwlock.test.ts has the ReaderWriterLock's own.)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Condition, Lock, ReaderWriterLock, RLock, TimeoutError, type Handle } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { expectElapsed, start, timed, timedAsync, waitUntil } from './helpers/workers.js';

interface LockLike {
  acquire(timeout?: number): boolean;
  acquireAsync(timeout?: number): Promise<boolean>;
  release(): void;
  hold(timeout?: number): Disposable;
  holdAsync(timeout?: number): Promise<Disposable>;
  readonly handle: Handle;
}

interface Subject {
  name: string;
  /** The class name fixtures attach with (`X.from`) and that `revive` must return. */
  kind: 'Lock' | 'RLock' | 'Condition' | 'ReaderWriterLock';
  make(): LockLike;
  /** Whether any thread holds it. */
  locked(x: LockLike): boolean;
}

const lockedOf = (x: unknown) => (x as { locked(): boolean }).locked();

/** A ReaderWriterLock's write side as a lock (test/fixtures/locks.mjs attaches the same way). */
function writeSide(rw: ReaderWriterLock): LockLike & { rw: ReaderWriterLock } {
  return {
    rw,
    acquire: (timeout) => rw.acquireWrite(timeout),
    acquireAsync: (timeout) => rw.acquireWriteAsync(timeout),
    release: () => rw.releaseWrite(),
    hold: (timeout) => rw.write(timeout),
    holdAsync: (timeout) => rw.writeAsync(timeout),
    handle: rw.handle,
  };
}

const subjects: Subject[] = [
  { name: 'Lock', kind: 'Lock', make: () => new Lock(), locked: lockedOf },
  { name: 'RLock', kind: 'RLock', make: () => new RLock(), locked: lockedOf },
  { name: 'Condition (default RLock)', kind: 'Condition', make: () => new Condition(), locked: (c) => lockedOf((c as Condition).lock) },
  { name: 'Condition over a Lock', kind: 'Condition', make: () => new Condition(new Lock()), locked: (c) => lockedOf((c as Condition).lock) },
  {
    name: 'ReaderWriterLock (write side)',
    kind: 'ReaderWriterLock',
    make: () => writeSide(new ReaderWriterLock()),
    locked: (x) => (x as ReturnType<typeof writeSide>).rw.locked(),
  },
];

// Words of the control buffer shared with the fixtures (see test/fixtures/locks.mjs).
const HELD = 0;
const GO = 1;

/** Start a worker that holds `x` until `letGo()` is called; resolves once it holds it. */
async function heldElsewhere(kind: string, x: LockLike) {
  const ctl = new SharedArrayBuffer(8);
  const w = start('locks.mjs', 'holdUntil', { kind, handle: x.handle, ctl }, { timeout: 20_000 });
  const words = new Int32Array(ctl);
  await waitUntil(() => Atomics.load(words, HELD) === 1, 10_000, 'the worker to hold the lock');
  return {
    async letGo() {
      Atomics.store(words, GO, 1);
      Atomics.notify(words, GO);
      await w.result;
    },
  };
}

/**
 * Start a worker blocked in acquire(10 s) on `x` (held by this thread): resolves once the lock
 * word says a thread sleeps on it. Its result is [acquired, ms it spent in acquire].
 */
async function blockedAcquirer(kind: string, x: LockLike) {
  const w = start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind, handle: x.handle, timeout: 10_000 });
  await untilBlocked(x, 1, 'acquire');
  return w;
}

const BAD_RANGE = [-1, NaN, -Infinity];
const BAD_TYPE = ['5', null, {}, 5n];

/** Expect `f` to throw `type`, or (for an async twin) to return a promise rejecting with it. */
async function expectBad(f: () => unknown, type: typeof RangeError | typeof TypeError): Promise<void> {
  let outcome: unknown;
  try {
    outcome = f();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return;
  }
  await expect(outcome).rejects.toBeInstanceOf(type);
}

describe.each(subjects)('$name: the lock contract', (s) => {
  test('acquire() then release(); acquire(0) succeeds on a free lock', () => {
    const x = s.make();
    expect(s.locked(x)).toBe(false);
    expect(x.acquire()).toBe(true);
    expect(s.locked(x)).toBe(true);
    x.release();
    expect(s.locked(x)).toBe(false);
    expect(x.acquire(0)).toBe(true);
    x.release();
    expect(s.locked(x)).toBe(false);
  });

  test('acquire(0) is false while another thread holds it, true once released', async () => {
    const x = s.make();
    const other = await heldElsewhere(s.kind, x);
    const [got, ms] = timed(() => x.acquire(0));
    expect(got).toBe(false);
    expect(ms).toBeLessThan(50);
    expect(s.locked(x)).toBe(true);
    await other.letGo();
    expect(x.acquire(0)).toBe(true);
    x.release();
  });

  test('a timed acquire gives up after about the timeout, in this thread and in a worker', async () => {
    const x = s.make();
    const other = await heldElsewhere(s.kind, x);
    const [got, ms] = timed(() => x.acquire(120));
    expect(got).toBe(false);
    expectElapsed(ms, 120);
    await other.letGo();

    expect(x.acquire(5_000)).toBe(true);
    const [gotThere, msThere] = await start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: s.kind, handle: x.handle, timeout: 120 }).result;
    expect(gotThere).toBe(false);
    expectElapsed(msThere, 120);
    expect(s.locked(x)).toBe(true);
    x.release();
  });

  test('a blocked acquire returns true as soon as the holder releases', async () => {
    const x = s.make();
    expect(x.acquire(5_000)).toBe(true);
    const w = await blockedAcquirer(s.kind, x);
    x.release();
    const [got, ms] = await w.result;
    expect(got).toBe(true);
    expect(ms).toBeLessThan(5_000);
  });

  test('acquireAsync waits without blocking the event loop', async () => {
    const x = s.make();
    const other = await heldElsewhere(s.kind, x);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      expect(await x.acquireAsync(0)).toBe(false);
      let settled = false;
      const pending = x.acquireAsync(10_000).finally(() => (settled = true));
      await untilBlocked(x, 1, 'acquire');
      const before = ticks;
      await waitUntil(() => ticks >= before + 5, 10_000, 'five ticks while acquireAsync waits');
      expect(settled).toBe(false);
      const released = other.letGo();
      expect(await pending).toBe(true);
      x.release();
      await released;
    } finally {
      clearInterval(timer);
    }
  });

  test('acquireAsync(timeout) resolves false after about the timeout, the loop ticking meanwhile', async () => {
    const x = s.make();
    const other = await heldElsewhere(s.kind, x);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const [got, ms] = await timedAsync(() => x.acquireAsync(150));
      expect(got).toBe(false);
      expectElapsed(ms, 150);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
    await other.letGo();
  });

  test('hold() and holdAsync() guards release on scope exit', async () => {
    const x = s.make();
    {
      using _guard = x.hold();
      expect(s.locked(x)).toBe(true);
    }
    expect(s.locked(x)).toBe(false);
    {
      using _guard = await x.holdAsync(1_000);
      expect(s.locked(x)).toBe(true);
    }
    expect(s.locked(x)).toBe(false);
    expect(() => {
      using _guard = x.hold(1_000);
      throw new Error('boom');
    }).toThrow('boom');
    expect(s.locked(x)).toBe(false);
  });

  test('hold(timeout) / holdAsync(timeout) throw TimeoutError (ERR_TIMEOUT) when not acquired', async () => {
    const x = s.make();
    const other = await heldElsewhere(s.kind, x);
    const t0 = performance.now();
    let err: unknown;
    try {
      using _guard = x.hold(80);
    } catch (e) {
      err = e;
    }
    expectElapsed(performance.now() - t0, 80);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('ERR_TIMEOUT');
    await expect(x.holdAsync(80)).rejects.toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT' });
    expect(s.locked(x)).toBe(true);
    await other.letGo();
    expect(s.locked(x)).toBe(false);
  });

  test('bad timeouts throw RangeError / TypeError and leave the lock as it was', async () => {
    const x = s.make();
    for (const held of [false, true]) {
      if (held) expect(x.acquire(5_000)).toBe(true);
      for (const [bad, type] of [...BAD_RANGE.map((b) => [b, RangeError] as const), ...BAD_TYPE.map((b) => [b, TypeError] as const)]) {
        const t = bad as number;
        await expectBad(() => x.acquire(t), type);
        await expectBad(() => x.acquireAsync(t), type);
        await expectBad(() => x.hold(t), type);
        await expectBad(() => x.holdAsync(t), type);
        expect(s.locked(x)).toBe(held);
      }
      // Held: one release frees it (an RLock's count was not raised by the failed calls).
      if (held) x.release();
      expect(s.locked(x)).toBe(false);
    }
  });

  test.each(['from', 'revive', 'message'])('the handle reaches a worker (%s) and attaches to the same lock', async (how) => {
    const x = s.make();
    expect(x.acquire(5_000)).toBe(true);
    const ctl = new SharedArrayBuffer(8);
    const w = start<{ type: string; first: boolean; second: boolean }>('locks.mjs', 'probe', {
      kind: s.kind,
      handle: how === 'message' ? undefined : x.handle,
      how,
      ctl,
    });
    if (how === 'message') w.worker.postMessage(x.handle);
    await waitUntil(() => Atomics.load(new Int32Array(ctl), HELD) === 1, 10_000, 'the worker to try the lock');
    x.release();
    expect(await w.result).toEqual({ type: s.kind, first: false, second: true });
    expect(s.locked(x)).toBe(false);
  });
});

describe('Lock specifics (Python semantics: no owner)', () => {
  test('another thread may release it', async () => {
    const lock = new Lock();
    expect(lock.acquire(5_000)).toBe(true);
    expect(await start('locks.mjs', 'releaseForeign', { kind: 'Lock', handle: lock.handle }).result).toEqual({ ok: true });
    expect(lock.locked()).toBe(false);
    expect(lock.acquire(0)).toBe(true);
    lock.release();
  });

  test('a release from a third thread wakes a thread blocked in acquire', async () => {
    const lock = new Lock();
    expect(lock.acquire(5_000)).toBe(true);
    const sleeper = await blockedAcquirer('Lock', lock);
    expect(await start('locks.mjs', 'releaseForeign', { kind: 'Lock', handle: lock.handle }).result).toEqual({ ok: true });
    const [got] = await sleeper.result;
    expect(got).toBe(true);
    expect(lock.locked()).toBe(false);
  });

  test('release() of an unlocked Lock throws ERR_NOT_LOCKED and it stays unlocked', async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'ERR_NOT_LOCKED' }));
    expect(lock.locked()).toBe(false);
    expect(await start('locks.mjs', 'releaseForeign', { kind: 'Lock', handle: lock.handle }).result).toMatchObject({ code: 'ERR_NOT_LOCKED' });
    expect(lock.locked()).toBe(false);
    expect(lock.acquire(0)).toBe(true);
    lock.release();
  });

  test('the holder acquiring again is not re-entrant: false after the timeout, one release frees it', () => {
    const lock = new Lock();
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(0)).toBe(false);
    const [got, ms] = timed(() => lock.acquire(100));
    expect(got).toBe(false);
    expectElapsed(ms, 100);
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
  });
});

describe('RLock specifics (owned by one thread, re-entrant)', () => {
  const tryThere = (lock: RLock) =>
    start<[boolean, number]>('locks.mjs', 'tryAcquire', { kind: 'RLock', handle: lock.handle, timeout: 0 }).result.then(([got]) => got);

  test('the owner re-enters (even with timeout 0); free only when the count returns to 0', async () => {
    const lock = new RLock();
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(0)).toBe(true);
    expect(await lock.acquireAsync(0)).toBe(true);
    lock.release();
    lock.release();
    expect(lock.locked()).toBe(true);
    expect(await tryThere(lock)).toBe(false);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(await tryThere(lock)).toBe(true);
  });

  test('another thread blocks until the owner has released every level', async () => {
    const lock = new RLock();
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(5_000)).toBe(true);
    const w = await blockedAcquirer('RLock', lock);
    lock.release();
    // Still ours after one of two levels, the worker still asleep on it.
    expect(lock.locked()).toBe(true);
    expect(lock.acquire(0)).toBe(true);
    lock.release();
    expect(blocked(lock)).toBe(1);
    lock.release();
    const [got] = await w.result;
    expect(got).toBe(true);
  });

  test('release by a thread that does not own it: ERR_NOT_OWNER, count unchanged', async () => {
    const lock = new RLock();
    expect(lock.acquire(5_000)).toBe(true);
    expect(lock.acquire(5_000)).toBe(true);
    expect(await start('locks.mjs', 'releaseForeign', { kind: 'RLock', handle: lock.handle }).result).toMatchObject({ code: 'ERR_NOT_OWNER' });
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  test('release when nobody holds it: ERR_NOT_OWNER, still free', async () => {
    const lock = new RLock();
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'ERR_NOT_OWNER' }));
    expect(lock.acquire(5_000)).toBe(true);
    lock.release();
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'ERR_NOT_OWNER' }));
    expect(lock.locked()).toBe(false);
    expect(await tryThere(lock)).toBe(true);
  });
});

describe('keep-alive', () => {
  test('a pending acquireAsync keeps a Node process alive until it settles', async () => {
    const script = fileURLToPath(new URL('./fixtures/keepalive.mjs', import.meta.url));
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [script], { cwd, timeout: 15_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      });
    });
    expect({ code, stdout: stdout.trim() }, stderr).toEqual({ code: 0, stdout: 'acquired' });
  });
});
