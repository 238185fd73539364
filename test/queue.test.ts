// The queue contract (Python's queue module, 3.13), run against Queue, LifoQueue and
// PriorityQueue with real worker threads and real timeouts.
import { describe, expect, it } from 'vitest';
import { Empty, Full, LifoQueue, Lock, PriorityQueue, Queue, ShutDown } from 'sabsync';
import { blocked, untilBlocked } from './helpers/blocked.js';
import { expectElapsed, start, thrown, timed, timedAsync, unchecked } from './helpers/workers.js';

type AnyQueue = Queue<unknown>;
interface Flavour {
  name: string;
  make: (maxsize?: number, options?: { bytes?: number }) => AnyQueue;
  /** The i-th item to put (PriorityQueue: a pair). */
  item: (i: number) => unknown;
}

const flavours: Flavour[] = [
  { name: 'Queue', make: (m, o) => new Queue(m, o), item: (i) => i },
  { name: 'LifoQueue', make: (m, o) => new LifoQueue(m, o), item: (i) => i },
  { name: 'PriorityQueue', make: (m, o) => new PriorityQueue(m, o), item: (i) => [i, `v${i}`] },
];

const F = 'queue.mjs';

describe.each(flavours)('$name', ({ make, item }) => {
  it('put and get, qsize / empty / full, Full and Empty without waiting', () => {
    const q = make(2);
    expect([q.qsize(), q.empty(), q.full(), q.maxsize]).toEqual([0, true, false, 2]);
    q.put(item(1));
    q.putNowait(item(2));
    expect([q.qsize(), q.empty(), q.full()]).toEqual([2, false, true]);
    expect(() => q.putNowait(item(3))).toThrow(Full);
    expect(() => q.put(item(3), 0)).toThrow(expect.objectContaining({ code: 'ERR_FULL' }));
    expect(q.qsize()).toBe(2);
    q.get();
    q.getNowait();
    expect(() => q.getNowait()).toThrow(Empty);
    expect(() => q.get(0)).toThrow(expect.objectContaining({ code: 'ERR_EMPTY' }));
  });

  it('timeouts: a put on a full queue throws Full, a get on an empty one throws Empty, after the timeout', async () => {
    const q = make(1);
    const [, e1] = timed(() => expect(() => q.get(80)).toThrow(Empty));
    expectElapsed(e1, 80);
    q.put(item(1));
    const [, e2] = timed(() => expect(() => q.put(item(2), 80)).toThrow(Full));
    expectElapsed(e2, 80);
    const [, e3] = await timedAsync(() => expect(q.putAsync(item(2), 80)).rejects.toThrow(Full));
    expectElapsed(e3, 80);
    q.get();
    const [, e4] = await timedAsync(() => expect(q.getAsync(80)).rejects.toThrow(Empty));
    expectElapsed(e4, 80);
    expect(q.qsize()).toBe(0);
  });

  it('a blocked get in another thread is released by a put', async () => {
    const q = make();
    const r = start<{ value: unknown }>(F, 'getOnce', { handle: q.handle });
    await untilBlocked(q, 1, 'get');
    q.put(item(7));
    expect((await r.result).value).toEqual(item(7));
  });

  it('a blocked put in another thread is released by a get', async () => {
    const q = make(1);
    q.put(item(1));
    const r = start<{ code?: string }>(F, 'putOnce', { handle: q.handle, item: item(2) });
    await untilBlocked(q, 1, 'put');
    expect(q.qsize()).toBe(1);
    expect(q.get()).toEqual(item(1));
    expect((await r.result).code).toBeUndefined();
    expect(q.get(5_000)).toEqual(item(2));
  });

  it('taskDone / join: join waits for every item, taskDone too often is ERR_TASK_DONE', async () => {
    const q = make();
    q.put(item(1));
    q.put(item(2));
    const r = start<string>(F, 'joinOnce', { handle: q.handle });
    await untilBlocked(q, 1, 'join');
    q.get();
    q.taskDone();
    q.get();
    // One item unfinished: the joiner is still on the list (it is notified only at 0).
    expect(blocked(q, 'join')).toBe(1);
    q.taskDone();
    expect(await r.result).toBe('joined');
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
    q.join();
    await q.joinAsync();
  });

  it('shutdown(): puts throw ShutDown, gets drain what is left, then throw ShutDown', async () => {
    const q = make();
    q.put(item(1));
    q.put(item(2));
    q.shutdown();
    expect(() => q.put(item(3))).toThrow(ShutDown);
    await expect(q.putAsync(item(3))).rejects.toThrow(ShutDown);
    expect(q.qsize()).toBe(2);
    q.get();
    q.get();
    expect(() => q.get()).toThrow(expect.objectContaining({ code: 'ERR_SHUTDOWN' }));
    await expect(q.getAsync()).rejects.toThrow(ShutDown);
  });

  it('shutdown(true): discards the items, counts them done, releases a blocked join', async () => {
    const q = make();
    q.put(item(1));
    q.put(item(2));
    const r = start<string>(F, 'joinOnce', { handle: q.handle, useAsync: true });
    await untilBlocked(q, 1, 'join');
    q.shutdown(true);
    expect(await r.result).toBe('joined');
    expect(q.qsize()).toBe(0);
    expect(() => q.get(0)).toThrow(ShutDown);
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_TASK_DONE' }));
  });

  it('shutdown wakes blocked getters (sync and async) and putters in other threads', async () => {
    const empty = make();
    const full = make(1);
    full.put(item(1));
    const g1 = start<{ code?: string }>(F, 'getOnce', { handle: empty.handle });
    const g2 = start<{ code?: string }>(F, 'getOnce', { handle: empty.handle, useAsync: true });
    const p = start<{ code?: string }>(F, 'putOnce', { handle: full.handle, item: item(2) });
    await untilBlocked(empty, 2, 'get');
    await untilBlocked(full, 1, 'put');
    empty.shutdown();
    full.shutdown();
    expect((await g1.result).code).toBe('ERR_SHUTDOWN');
    expect((await g2.result).code).toBe('ERR_SHUTDOWN');
    expect((await p.result).code).toBe('ERR_SHUTDOWN');
    expect(full.get()).toEqual(item(1));
  });

  it('for await ends when the queue is shut down and drained', async () => {
    const q = make();
    const r = start<unknown[]>(F, 'iterate', { handle: q.handle });
    for (let i = 0; i < 5; i++) q.put(item(i));
    q.shutdown();
    expect(await r.result).toHaveLength(5);
  });

  it('bad input: RangeError / TypeError, and the queue is unchanged', () => {
    expect(() => make(-1)).toThrow(RangeError);
    expect(() => make(1.5)).toThrow(RangeError);
    expect(() => make('3' as unknown as number)).toThrow(TypeError);
    expect(() => make(0, { bytes: 0 })).toThrow(RangeError);
    expect(() => make(0, { bytes: -64 })).toThrow(RangeError);
    const q = make(3);
    q.put(item(1));
    expect(() => q.put(item(2), -1)).toThrow(RangeError);
    expect(() => q.put(item(2), NaN)).toThrow(RangeError);
    expect(() => q.get(-5)).toThrow(RangeError);
    expect(thrown(() => q.put(() => 1)).code).toMatch(/ERR_UNSERIALIZABLE|ERR_INVALID_ARG_TYPE/);
    expect(q.qsize()).toBe(1);
    q.get();
    q.taskDone();
    q.join();
  });

  it('oversize and unserializable items fail at once and leave the queue unchanged', () => {
    const q = make(0, { bytes: 256 });
    expect(q.bytes).toBe(256);
    const big = q instanceof PriorityQueue ? [1, 'x'.repeat(300)] : 'x'.repeat(300);
    const [, elapsed] = timed(() => expect(() => q.put(big)).toThrow(expect.objectContaining({ code: 'ERR_TOO_LARGE' })));
    expect(elapsed).toBeLessThan(1_000);
    const bad = [{ f() {} }, Symbol('s'), new WeakMap(), { nested: [1, () => 2] }];
    for (const b of bad) {
      const it = q instanceof PriorityQueue ? [1, b] : b;
      expect(() => q.put(it)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    }
    expect(q.qsize()).toBe(0);
    q.join();
  });

  it('bytes exhausted makes the queue full', () => {
    const q = make(0, { bytes: 128 });
    q.put(item(1));
    q.put(item(2));
    expect(q.full()).toBe(true);
    expect(() => q.put(item(3), 20)).toThrow(Full);
    q.get();
    q.put(item(3));
  });

  it('placement: byteLength and { buffer, byteOffset }, from(handle) attaches to the same queue', () => {
    const Ctor = make().constructor as typeof Queue;
    const size = Ctor.byteLength(4, { bytes: 1024 });
    const buffer = new SharedArrayBuffer(size + 64);
    const q = new Ctor(4, { bytes: 1024, buffer, byteOffset: 64 });
    expect(q.handle.byteOffset).toBe(64);
    expect(() => new Ctor(4, { bytes: 1024, buffer, byteOffset: 60 })).toThrow(RangeError);
    const again = Ctor.from(q.handle);
    q.put(item(9));
    expect(again.get()).toEqual(item(9));
    expect(() => Queue.from(unchecked(new Lock().handle))).toThrow(TypeError);
  });
});

