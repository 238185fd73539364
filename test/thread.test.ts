/**
 * Thread / Process: start, join however the thread ends (return, throw, process.exit,
 * terminate, out of memory), arguments and results that arrive live, a lock a dead Thread held
 * taken over, daemon threads and the keep-alive (child processes), currentThread, cpuCount.
 * Every blocking join has a timeout, so a join that would hang fails instead.
 */
import { describe, expect, test } from 'vitest';
import { Executor, Lock, Process, Queue, Thread, cpuCount, currentThread } from 'sabsync';
import { fileURLToPath } from 'node:url';
import { runChild, runNode } from './helpers/node-child.js';
import { waitUntil } from './helpers/workers.js';

const MODULE = new URL('./fixtures/threads.mjs', import.meta.url);
const JOIN_MS = 20_000;

function started(target: string, args: unknown[] = [], options: Record<string, unknown> = {}): Thread {
  const t = new Thread(MODULE, target, { args, ...options });
  t.start();
  return t;
}

describe('Thread: start and join', () => {
  test('runs the target with its arguments; join returns true and result holds what it returned', () => {
    const t = new Thread(MODULE, 'add', { args: [2, 3] });
    expect(t.isAlive()).toBe(false);
    expect(t.ident).toBeUndefined();
    expect(t.result).toBeUndefined();
    t.start();
    expect(typeof t.ident).toBe('number');
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.isAlive()).toBe(false);
    expect(t.result).toBe(5);
    expect(t.error).toBeUndefined();
    expect(t.exitCode).toBe(0);
  });

  test("the default target is the module's default export; an async target's result is what it resolved to", async () => {
    const d = started('default', [40, 2]);
    const a = started('later', ['late', 20]);
    expect(await d.joinAsync(JOIN_MS)).toBe(true);
    expect(await a.joinAsync(JOIN_MS)).toBe(true);
    expect([d.result, a.result]).toEqual([42, 'late']);
  });

  test('join(timeout) returns false while the thread runs, true once it has ended', () => {
    const ctl = new SharedArrayBuffer(4);
    const t = started('spin', [ctl], { daemon: true });
    expect(t.join(0)).toBe(false);
    expect(t.join(50)).toBe(false);
    expect(t.isAlive()).toBe(true);
    t.terminate();
    expect(t.join(JOIN_MS)).toBe(true);
  });

  test('names: Thread-N counting up, or the given name; Process is the same class', () => {
    const a = new Thread(MODULE, 'add');
    const b = new Thread(MODULE, 'add');
    const na = Number(/^Thread-(\d+)$/.exec(a.name)?.[1]);
    expect(Number(/^Thread-(\d+)$/.exec(b.name)?.[1])).toBe(na + 1);
    expect(new Thread(MODULE, 'add', { name: 'reader' }).name).toBe('reader');
    a.name = 'renamed';
    expect(a.name).toBe('renamed');
    expect(Process).toBe(Thread);
    expect(new Process(MODULE, 'add')).toBeInstanceOf(Thread);
  });

  test('a second start() throws ERR_ALREADY_STARTED; daemon cannot change after start', () => {
    const t = started('add', [1, 1]);
    expect(() => t.start()).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_STARTED' }) as Error);
    expect(() => (t.daemon = true)).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_STARTED' }) as Error);
    expect(t.daemon).toBe(false);
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.result).toBe(2);
  });

  test('join, joinAsync and terminate before start() throw ERR_NOT_STARTED', async () => {
    const t = new Thread(MODULE, 'add');
    expect(() => t.join(0)).toThrow(expect.objectContaining({ code: 'ERR_NOT_STARTED' }) as Error);
    await expect(t.joinAsync(0)).rejects.toMatchObject({ code: 'ERR_NOT_STARTED' });
    expect(() => t.terminate()).toThrow(expect.objectContaining({ code: 'ERR_NOT_STARTED' }) as Error);
  });
});

describe('Thread: a blocking join returns however the thread ended', () => {
  test('the target throws: join returns, the error (with its code) is kept, exit code 1 (Python: exitcode 1 for an uncaught exception)', () => {
    const t = started('boom', ['bad value']);
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.error).toBeInstanceOf(RangeError);
    expect(t.error).toMatchObject({ message: 'bad value', code: 'E_BOOM' });
    expect(t.result).toBeUndefined();
    expect(t.exitCode).toBe(1);
  });

  test('the target rejects: joinAsync returns and keeps the error, exit code 1', async () => {
    const t = started('rejects', ['async bad']);
    expect(await t.joinAsync(JOIN_MS)).toBe(true);
    expect((t.error as Error).message).toBe('async bad');
    expect(t.exitCode).toBe(1);
  });

  test("an async target whose promise never settles: join returns, exit code 13 (Node's unsettled await), the error says so", () => {
    const t = started('never', [], { name: 'stuck' });
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.exitCode).toBe(13);
    expect(t.result).toBeUndefined();
    expect(t.error).toBeInstanceOf(Error);
    expect((t.error as Error).message).toMatch(/^thread stuck: its target's promise never settled/);
  });

  test('process.exit inside the thread: join returns, exitCode is the code, no error', () => {
    const t = started('exits', [3]);
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.exitCode).toBe(3);
    expect(t.error).toBeUndefined();
    expect(t.result).toBeUndefined();
  });

  test('terminate() while it spins: join returns', () => {
    const ctl = new SharedArrayBuffer(4);
    const t = started('spin', [ctl]);
    expect(Atomics.wait(new Int32Array(ctl), 0, 0, JOIN_MS)).not.toBe('timed-out');
    t.terminate();
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.isAlive()).toBe(false);
    expect(t.exitCode).toBe(1);
    t.terminate(); // ended: nothing to do
  });

  test('out of memory (resourceLimits): join returns, the error is ERR_WORKER_OUT_OF_MEMORY', () => {
    const t = started('hog', [], { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    expect(t.join(60_000)).toBe(true);
    expect(t.error).toMatchObject({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
  });

  test('a target that is not an export: join returns with a TypeError naming the exports', () => {
    const t = started('noSuchExport');
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.error).toBeInstanceOf(TypeError);
    expect((t.error as Error).message).toMatch(/no function export 'noSuchExport'.*add/);
  });

  test('a result that cannot cross back becomes the error (ERR_UNSERIALIZABLE)', () => {
    const t = started('returnsFunction');
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.result).toBeUndefined();
    expect(t.error).toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(t.exitCode).toBe(1);
  });
});

describe('Thread: every reader sees the one outcome, within its own timeout', () => {
  // The outcome is one item on the mailbox: the first reader takes it. Ended here means STATE
  // says so (isAlive), with the outcome still unread: no join has run yet.
  async function ended(target: string, args: unknown[] = []): Promise<Thread> {
    const t = started(target, args);
    await waitUntil(() => !t.isAlive(), JOIN_MS, `${target} to end`);
    return t;
  }
  /** Far below the 5 s an outcome read may wait for buffers, far above a loaded machine's jitter. */
  const QUICK_MS = 2_000;

  test('two joinAsync(100) at once: both true at once, both see the result', async () => {
    const t = await ended('add', [40, 2]);
    const t0 = performance.now();
    expect(await Promise.all([t.joinAsync(100), t.joinAsync(100)])).toEqual([true, true]);
    expect(performance.now() - t0).toBeLessThan(QUICK_MS);
    expect(t.result).toBe(42);
  });

  test('result, error and join(0) while a joinAsync is in flight: the outcome at once', async () => {
    const t = await ended('add', [40, 2]);
    const t0 = performance.now();
    const joining = t.joinAsync();
    expect(t.result).toBe(42);
    expect(t.error).toBeUndefined();
    expect(t.join(0)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(QUICK_MS);
    expect(await joining).toBe(true);
    expect(t.result).toBe(42);

    const u = await ended('boom', ['kaboom']);
    const joiningU = u.joinAsync(100);
    expect(u.join(100)).toBe(true);
    expect(u.error).toMatchObject({ message: 'kaboom', code: 'E_BOOM' });
    expect(await joiningU).toBe(true);
    expect(u.result).toBeUndefined();
  });

  test('an outcome holding shared memory (a Lock): three readers at once, one live Lock', async () => {
    const t = await ended('newLock');
    const all = Promise.all([t.joinAsync(1_000), t.joinAsync(1_000)]);
    const lock = t.result as Lock;
    expect(await all).toEqual([true, true]);
    expect(lock).toBeInstanceOf(Lock);
    expect(t.result).toBe(lock);
    expect(lock.acquire(0)).toBe(true);
    lock.release();
  });
});

describe('Thread: what crosses, and what a dead thread leaves', () => {
  test('a Lock and a shared buffer arrive live: 3 threads × 5000 increments under the lock', () => {
    const lock = new Lock();
    const counter = new SharedArrayBuffer(4);
    const threads = [0, 1, 2].map(() => started('count', [counter, lock, 5_000]));
    for (const t of threads) expect(t.join(JOIN_MS)).toBe(true);
    expect(threads.map((t) => t.result)).toEqual([5_000, 5_000, 5_000]);
    expect(new Int32Array(counter)[0]).toBe(15_000);
    expect(lock.locked()).toBe(false);
  });

  test('a primitive made in the thread comes back live as its result', () => {
    const t = started('newLock');
    expect(t.join(JOIN_MS)).toBe(true);
    const lock = t.result as Lock;
    expect(lock).toBeInstanceOf(Lock);
    expect(lock.acquire(0)).toBe(true);
    lock.release();
  });

  test('a lock held by a Thread that died (process.exit) is taken over by a blocked acquire', () => {
    const lock = new Lock();
    const ctl = new SharedArrayBuffer(4);
    const t = started('dieHolding', [lock, ctl]);
    // This thread blocks in acquire while the thread dies: only the supervisor can mark it dead.
    expect(Atomics.wait(new Int32Array(ctl), 0, 0, JOIN_MS)).not.toBe('timed-out');
    expect(lock.acquire(JOIN_MS)).toBe(true);
    lock.release();
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.exitCode).toBe(7);
  });

  test('a lock held by a Thread that was terminated is taken over by a blocked acquire', () => {
    const lock = new Lock();
    const ctl = new SharedArrayBuffer(4);
    const t = started('holdAndSpin', [lock, ctl]);
    expect(Atomics.wait(new Int32Array(ctl), 0, 0, JOIN_MS)).not.toBe('timed-out');
    expect(lock.acquire(0)).toBe(false);
    t.terminate();
    expect(lock.acquire(JOIN_MS)).toBe(true);
    lock.release();
    expect(t.join(JOIN_MS)).toBe(true);
  });

  test('arguments that cannot cross: start() throws ERR_UNSERIALIZABLE and the thread stays unstarted', () => {
    const t = new Thread(MODULE, 'add', { args: [() => 1] });
    expect(() => t.start()).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }) as Error);
    expect(t.isAlive()).toBe(false);
    expect(() => t.join(0)).toThrow(expect.objectContaining({ code: 'ERR_NOT_STARTED' }) as Error);
  });

  test('a Thread starts a Thread of its own (daemon by inheritance from a daemon creator)', () => {
    const t = started('nested', [20, 22], { daemon: true, name: 'outer' });
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.error).toBeUndefined();
    expect(t.result).toEqual([42, true, 'outer']);
  });

  test('a Queue argument arrives live', () => {
    const q = new Queue<number>();
    const t = started('count', [new SharedArrayBuffer(4), new Lock(), 1]);
    q.put(1);
    expect(t.join(JOIN_MS)).toBe(true);
    const u = new Thread(MODULE, 'later', { args: [q, 0] });
    u.start();
    expect(u.join(JOIN_MS)).toBe(true);
    const back = u.result as Queue<number>;
    expect(back).toBeInstanceOf(Queue);
    expect(back.get(0)).toBe(1);
  });
});

describe('bad arguments: TypeError / RangeError / ERR_MODULE_NOT_FOUND', () => {
  test.each([
    ['a number as module', () => new Thread(1 as unknown as string)],
    ['a relative path as module', () => new Thread('./fixtures/threads.mjs')],
    ['an empty target', () => new Thread(MODULE, '')],
    ['a non-string target', () => new Thread(MODULE, 3 as unknown as string)],
    ['args not an array', () => new Thread(MODULE, 'add', { args: 1 as unknown as unknown[] })],
    ['a non-string name', () => new Thread(MODULE, 'add', { name: 1 as unknown as string })],
    ['a non-boolean daemon', () => new Thread(MODULE, 'add', { daemon: 1 as unknown as boolean })],
    ['options not an object', () => new Thread(MODULE, 'add', null as unknown as object)],
  ])('%s: TypeError', (_, make) => {
    expect(make).toThrow(TypeError);
  });

  test('a file that does not exist: ERR_MODULE_NOT_FOUND', () => {
    expect(() => new Thread(new URL('./fixtures/nope.mjs', import.meta.url))).toThrow(expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }) as Error);
  });

  test('bad timeouts and settings change nothing', () => {
    const t = started('add', [1, 2]);
    expect(() => t.join(-1)).toThrow(RangeError);
    expect(() => t.join(Number.NaN)).toThrow(RangeError);
    expect(() => t.join('1' as unknown as number)).toThrow(TypeError);
    const u = new Thread(MODULE, 'add');
    expect(() => (u.daemon = 'yes' as unknown as boolean)).toThrow(TypeError);
    expect(() => (u.name = 3 as unknown as string)).toThrow(TypeError);
    expect(u.daemon).toBe(false);
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.result).toBe(3);
  });
});

describe('currentThread, cpuCount', () => {
  test("on the main thread: 'MainThread', isMain, an ident", () => {
    const me = currentThread();
    expect(me.name).toBe('MainThread');
    expect(me.isMain).toBe(true);
    expect(Number.isInteger(me.ident)).toBe(true);
  });

  test("in a Thread: its name and ident, not main", () => {
    const t = started('me', [], { name: 'inner' });
    expect(t.join(JOIN_MS)).toBe(true);
    expect(t.result).toEqual({ name: 'inner', ident: t.ident, isMain: false });
    expect(t.ident).not.toBe(currentThread().ident);
  });

  test("in a pool worker: the pool's worker name", async () => {
    await using ex = new Executor(MODULE, { maxWorkers: 1 });
    expect(await ex.submit('workerName')).toBe('ExecutorWorker-1');
  });

  test('cpuCount() is a positive integer', () => {
    expect(Number.isInteger(cpuCount())).toBe(true);
    expect(cpuCount()).toBeGreaterThanOrEqual(1);
  });
});

describe('child processes: the keep-alive and the excepthook', () => {
  const script = (name: string) => new URL(`./fixtures/threads/${name}`, import.meta.url);

  test('a non-daemon Thread keeps the process alive until it ends', async () => {
    const run = await runNode(script('keepalive.mjs'), ['normal'], { timeout: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('daemon=false');
    expect(run.stdout).toContain('thread wrote');
  });

  test('a daemon Thread does not: the process exits before it writes', async () => {
    const run = await runNode(script('keepalive.mjs'), ['daemon'], { timeout: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('daemon=true');
    expect(run.stdout).not.toContain('thread wrote');
  });

  test('a module that starts a Thread of itself at top level, unguarded: the thread fails with ERR_BOOTSTRAPPING, the process exits', async () => {
    const run = await runNode(script('bootstrap-thread.mjs'), [], { timeout: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('result=undefined code=ERR_BOOTSTRAPPING exitCode=1');
    expect(run.stdout).toMatch(/message=cannot start gen-2 while this thread \(gen-1\) is still importing its module .*bootstrap-thread\.mjs.*currentThread\(\)\.isMain/);
    expect(run.stderr).toMatch(/Exception in thread gen-1:\nSabsyncError: cannot start gen-2/);
    expect(run.stderr).not.toContain('runaway');
  });

  test.each(['pool', 'executor'])('a module that creates a %s of itself at top level, unguarded: its task fails with ERR_BOOTSTRAPPING as the cause, the process exits', async (kind) => {
    const env = { ...process.env, SABSYNC_BOOTSTRAP_KIND: kind };
    const run = await runChild(process.execPath, [fileURLToPath(script('bootstrap-pool.mjs'))], { timeout: 30_000, env });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('error=ERR_WORKER_CRASHED cause=ERR_BOOTSTRAPPING');
    expect(run.stdout).toMatch(new RegExp(`message=cannot create a ${kind === 'pool' ? 'Pool' : 'Executor'} while .*currentThread\\(\\)\\.isMain`));
    expect(run.stderr).not.toContain('runaway');
  });

  test('the same module guarded by if (currentThread().isMain): the Thread, the Pool and the Executor run', async () => {
    const run = await runNode(script('bootstrap-guarded.mjs'), [], { timeout: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('thread=worked error=undefined exitCode=0 pool=worked executor=worked');
  });

  test("the target's error is printed to stderr with the thread's name; the creator goes on", async () => {
    const run = await runNode(script('excepthook.mjs'), [], { timeout: 30_000 });
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Exception in thread Worker-7:\nRangeError: kaboom/);
    expect(run.stdout).toContain('error=kaboom code=E_BOOM');
  });
});
