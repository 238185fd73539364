/**
 * Crash safety of ReaderWriterLock and Once: a thread that sabsync started (a pool worker) and
 * that dies holding a read, the write or the lock's internal word, waiting to write, or inside a
 * Once's fn, does not wedge the others (rwlock.ts, once.ts, liveness.ts). Deaths are real
 * `terminate()`s of pool workers, marked by the pool; the threads that wait are user-started
 * workers (sync) and this thread (async, so that its event loop can mark the death).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Once, ReaderWriterLock } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { deaths, markDead, sabsyncIdOf } from './helpers/internals.js';
import { start, timed, timedAsync } from './helpers/workers.js';
import { Victims } from './helpers/victims.js';

const TASKS = new URL('./fixtures/rwlock-tasks.mjs', import.meta.url);
const FILE = 'rwlock.mjs';
const victims = new Victims(TASKS);
const dieIn = (fn: string, ...args: unknown[]) => victims.dieIn(fn, ...args);
afterEach(() => victims.reset());


/** A user-started worker taking a read (`write`: the write) within `timeout`, released at once. */
const taker = (rw: ReaderWriterLock, write: boolean, timeout: number) =>
  start<[boolean, number]>(FILE, 'tryTake', { handle: rw.handle, write, timeout }, { timeout: 20_000 });

describe('a ReaderWriterLock whose holder was a terminated pool worker', () => {
  test('a dead reader (two levels): writers already waiting get the lock (sync in a user thread, async here)', async () => {
    const rw = new ReaderWriterLock();
    const kill = await dieIn('hold', rw, false, 2);
    expect(rw.readers).toBe(1);
    const sync = taker(rw, true, 8_000);
    await untilBlocked(rw, 1);
    const mine = timedAsync(() => rw.acquireWriteAsync(8_000));
    await untilBlocked(rw, 2);
    await kill();
    const [got, elapsed] = await mine;
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(6_000);
    expect(rw.readers).toBe(0);
    rw.releaseWrite();
    const [gotThere, elapsedThere] = await sync.result;
    expect(gotThere).toBe(true);
    expect(elapsedThere).toBeLessThan(6_000);
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
  });

  test('a dead writer: readers already waiting get their reads (sync in a user thread, async here)', async () => {
    const rw = new ReaderWriterLock();
    const kill = await dieIn('hold', rw, true, 1);
    expect(rw.writing).toBe(true);
    const sync = taker(rw, false, 8_000);
    await untilBlocked(rw, 1);
    const mine = timedAsync(() => rw.acquireReadAsync(8_000));
    await untilBlocked(rw, 2);
    await kill();
    const [got, elapsed] = await mine;
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(6_000);
    expect(rw.writing).toBe(false);
    rw.releaseRead();
    expect((await sync.result)[0]).toBe(true);
    expect(rw.locked()).toBe(false);
  });

  test.each([false, true])('after the death, a later acquire (write: %s) takes the lock at once, sync or async', async (write) => {
    const rw = new ReaderWriterLock();
    await (await dieIn('hold', rw, write, 1))();
    const [got, elapsed] = timed(() => rw.acquireWrite(1_000));
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(500);
    rw.releaseWrite();
    expect(rw.locked()).toBe(false);

    const again = new ReaderWriterLock();
    await (await dieIn('hold', again, write, 1))();
    const [gotAsync, elapsedAsync] = await timedAsync(() => again.acquireWriteAsync(1_000));
    expect(gotAsync).toBe(true);
    expect(elapsedAsync).toBeLessThan(500);
    again.releaseWrite();
    expect(again.locked()).toBe(false);
  });

  test('a dead waiting writer no longer holds readers back', async () => {
    const rw = new ReaderWriterLock();
    expect(rw.acquireRead()).toBe(true);
    const kill = await dieIn('waitToWrite', rw);
    await untilBlocked(rw, 1);
    const reader = taker(rw, false, 8_000);
    await untilBlocked(rw, 2);
    await kill();
    const [got, elapsed] = await reader.result;
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(6_000);
    rw.releaseRead();
    expect(rw.locked()).toBe(false);
    expect(blocked(rw)).toBe(0);
    expect(rw.acquireWrite(0)).toBe(true);
    rw.releaseWrite();
  });

  test('a dead reader is forgotten even when the lock last purged at the same deaths() sum this thread sees (white-box)', async () => {
    // Threads that know different liveness tables see different deaths() sums; one of them may
    // have purged at a sum that happens to equal ours after a death only we can see. Here the
    // reader's exit is marked by hand, and the lock's word 8 (where the
    // sum of the last purge was kept) is set to the sum this thread now sees.
    const rw = new ReaderWriterLock();
    expect(rw.acquireRead(0)).toBe(true);
    rw.releaseRead();
    const r = start<boolean>(FILE, 'readAndLeave', { handle: rw.handle });
    const id = sabsyncIdOf(r.worker.threadId); // before the exit, which sets threadId to -1
    expect(await r.result).toBe(true);
    await new Promise((resolve) => r.worker.once('exit', resolve));
    expect(rw.readers).toBe(1);
    markDead(id);
    const words = new Int32Array(rw.handle.buffer, rw.handle.byteOffset, 10);
    Atomics.store(words, 8, deaths());
    const [got] = await timedAsync(() => rw.acquireWriteAsync(3_000));
    expect(got).toBe(true);
    expect(rw.readers).toBe(0);
    rw.releaseWrite();
    expect(rw.locked()).toBe(false);
  });

  test('its internal word, held by a dead pool worker, is taken over: acquires and releases go on', async () => {
    const rw = new ReaderWriterLock();
    const { buffer, byteOffset } = rw.handle;
    await (await dieIn('seizeWord', buffer, byteOffset, 1))(); // LOCK is word 1 (rwlock.ts)
    const [got, elapsed] = await taker(rw, false, 2_000).result;
    expect(got).toBe(true);
    expect(elapsed).toBeLessThan(1_000);
    expect(await rw.acquireWriteAsync(1_000)).toBe(true);
    rw.releaseWrite();

    const other = new ReaderWriterLock();
    expect(other.acquireRead()).toBe(true);
    await (await dieIn('seizeWord', other.handle.buffer, other.handle.byteOffset, 1))();
    // The release itself takes the word over.
    other.releaseRead();
    expect(other.locked()).toBe(false);
  });
});

test("a Once whose runner was a terminated pool worker: the next caller runs its own fn", async () => {
  const once = new Once();
  const kill = await dieIn('insideOnce', once);
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  const sync = start<{ ok: boolean }>(FILE, 'callOnce', { handle: once.handle, ctl: ctl.buffer }, { timeout: 20_000 });
  let mine = 0;
  const myCall = once.callAsync(() => mine++);
  await untilBlocked(once, 2);
  expect(once.done).toBe(false);
  await kill();
  await myCall;
  expect((await sync.result).ok).toBe(true);
  expect(Atomics.load(ctl, 2) + mine).toBe(1);
  expect(once.done).toBe(true);
});
