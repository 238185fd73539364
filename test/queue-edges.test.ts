// Queue edges: retrieval order against a model, arena wrapping, items that cross threads
// (primitives, queues, shared buffers), and recovery after a thread dies inside an operation.
import { describe, expect, it } from 'vitest';
import { Full, LifoQueue, Lock, PriorityQueue, Queue } from 'sabsync';
import { blocked, untilBlocked, untilWaiters } from './helpers/blocked.js';
import { recoverQueue, sabsyncIdOf } from './helpers/internals.js';
import { start, waitUntil } from './helpers/workers.js';

type AnyQueue = Queue<unknown>;
const flavours = [
  { name: 'Queue', make: (m?: number, o?: { bytes?: number }): AnyQueue => new Queue(m, o) },
  { name: 'LifoQueue', make: (m?: number, o?: { bytes?: number }): AnyQueue => new LifoQueue(m, o) },
  { name: 'PriorityQueue', make: (m?: number, o?: { bytes?: number }): AnyQueue => new PriorityQueue(m, o) },
];
const F = 'queue.mjs';

describe('order', () => {
  it('Queue is FIFO, LifoQueue LIFO, PriorityQueue lowest first and FIFO among equals', () => {
    const q = new Queue();
    const l = new LifoQueue();
    const p = new PriorityQueue<string>();
    for (let i = 0; i < 5; i++) {
      q.put(i);
      l.put(i);
    }
    for (const pair of [[3, 'a'], [1, 'b'], [3, 'c'], [-0.5, 'd'], [1, 'e'], [Infinity, 'f'], [-Infinity, 'g']] as [number, string][]) p.put(pair);
    expect([0, 1, 2, 3, 4].map(() => q.get())).toEqual([0, 1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map(() => l.get())).toEqual([4, 3, 2, 1, 0]);
    expect([0, 1, 2, 3, 4, 5, 6].map(() => p.get()[1])).toEqual(['g', 'd', 'b', 'e', 'a', 'c', 'f']);
  });

  it('PriorityQueue refuses anything but [number, value] pairs (TypeError), unchanged', () => {
    const p = new PriorityQueue();
    for (const bad of ['x', 3, [1], [1, 2, 3], ['1', 'a'], [NaN, 'a'], null]) {
      expect(() => p.put(bad as never)).toThrow(TypeError);
    }
    expect(p.qsize()).toBe(0);
  });

  it.each(flavours)('$name matches a model over random interleavings that wrap a small arena', ({ make }) => {
    // A deterministic pseudo-random walk of puts and gets with items of varied sizes.
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const q = make(0, { bytes: 2048 });
    const model: [number, string][] = [];
    let seq = 0;
    for (let step = 0; step < 2500; step++) {
      if (model.length > 0 && (rand(2) === 0 || q.full())) {
        let at = 0;
        if (q instanceof LifoQueue) at = model.length - 1;
        else if (q instanceof PriorityQueue) {
          for (let k = 1; k < model.length; k++) if (model[k]![0] < model[at]![0]) at = k;
        }
        const [prio, value] = model.splice(at, 1)[0]!;
        expect(q.get(0)).toEqual(q instanceof PriorityQueue ? [prio, value] : value);
      } else {
        const value = `${seq++}:${'y'.repeat(rand(300))}`;
        const prio = rand(5);
        try {
          q.put(q instanceof PriorityQueue ? [prio, value] : value, 0);
          model.push([prio, value]);
        } catch (e) {
          expect(e).toBeInstanceOf(Full);
        }
      }
      expect(q.qsize()).toBe(model.length);
    }
  });
});

describe('across threads', () => {
  it('a Lock sent through the queue arrives live and locked on the other side', async () => {
    const q = new Queue();
    const lock = new Lock();
    lock.acquire();
    const r = start(F, 'inspectLock', { handle: q.handle, release: true });
    await untilBlocked(q, 1, 'get');
    q.put({ lock });
    const seen = await r.result;
    expect(seen).toEqual({ isLock: true, locked: true, acquired: false });
    expect(lock.locked()).toBe(false);
  });

  it('a queue sent through a queue: the worker answers on it', async () => {
    const requests = new Queue<{ replyTo: Queue<unknown>; n: number }>();
    const w = start<number>(F, 'doubler', { handle: requests.handle });
    const replies = [new Queue(), new Queue()];
    for (let n = 0; n < 6; n++) requests.put({ replyTo: replies[n % 2]!, n });
    const answers = [];
    for (let n = 0; n < 6; n++) answers.push(await replies[n % 2]!.getAsync(10_000));
    requests.shutdown();
    expect(answers).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ n, doubled: n * 2 })));
    expect(await w.result).toBe(6);
  });

  it('a worker that started after the item was put still receives its shared buffers', async () => {
    const q = new Queue();
    const sab = new SharedArrayBuffer(16);
    new Int32Array(sab)[1] = 42;
    const lock = new Lock();
    lock.acquire();
    q.put({ lock, view: new Int32Array(sab) });
    const seen = await start(F, 'inspectLock', { handle: q.handle, release: true }).result;
    expect(seen).toEqual({ isLock: true, locked: true, acquired: false });
  });

  it('a worker handed the queue after the put decodes its buffers while the putter blocks', async () => {
    const q = new Queue();
    const answers = new Queue();
    const lock = new Lock();
    lock.acquire();
    q.put({ lock });
    const w = start(F, 'inspectAndAnswer', { handle: q.handle, answers: answers.handle });
    // This thread now blocks (bounded): only the queue's handle can have carried the buffer.
    expect(answers.get(10_000)).toEqual({ isLock: true, locked: true });
    expect(await w.result).toBe('done');
    q.join();
  });

  it('wraps a 4 KiB arena many times with items of varied sizes between threads', async () => {
    const q = new Queue(0, { bytes: 4096 });
    const n = 3000;
    const p = start<number>(F, 'putVaried', { handle: q.handle, count: n });
    for (let i = 0; i < n; i++) {
      const got = (await q.getAsync(10_000)) as string;
      expect(got).toBe(`${i}:` + 'x'.repeat((i * 7919) % 1500));
    }
    expect(await p.result).toBe(n);
    expect(q.qsize()).toBe(0);
  });
});

describe('waiter capacity', () => {
  it('maxWaiters: one waiter too many is ERR_TOO_MANY_WAITERS and the queue stays usable; bad values are RangeError', async () => {
    expect(() => new Queue(0, { maxWaiters: 0 })).toThrow(RangeError);
    expect(() => new Queue(0, { maxWaiters: 1.5 })).toThrow(RangeError);
    const q = new Queue(0, { maxWaiters: 1 });
    // Two getters for one waiter slot: whichever comes second is refused, the other waits.
    const getters = [0, 1].map(() => start<{ value?: unknown; code?: string }>(F, 'getOnce', { handle: q.handle, timeout: 15_000 }));
    const refused = await Promise.race(getters.map((g) => g.result));
    expect(refused.code).toBe('ERR_TOO_MANY_WAITERS');
    q.put('served');
    const both = await Promise.all(getters.map((g) => g.result));
    expect(both.map((r) => r.value ?? r.code).sort()).toEqual(['ERR_TOO_MANY_WAITERS', 'served']);
    q.put('again');
    expect(q.get(0)).toBe('again');
  });
});

describe('recovery after a thread dies inside the queue ([recoverQueue], for the pool)', () => {
  it('rolls back a half-done operation and releases the lock the dead thread held (a LifoQueue: its words are undo-logged)', async () => {
    const q = new LifoQueue(4);
    q.put('kept');
    const r = start(F, 'dieInside', { handle: q.handle });
    await waitUntil(() => r.progress.includes('inside'), 10_000, 'the worker to be inside');
    const id = sabsyncIdOf(r.worker.threadId);
    expect(q.qsize()).toBe(99);
    await r.worker.terminate();
    expect(await recoverQueue(q, id)).toBe(true);
    expect(q.qsize()).toBe(1);
    expect(q.get(1_000)).toBe('kept');
    q.taskDone();
    q.join();
    q.put('after');
    expect(q.get(0)).toBe('after');
    expect(await recoverQueue(q, id)).toBe(false);
  });

  it('forgets a getter that died while waiting, so puts reach the living', async () => {
    const q = new Queue();
    const dead = start(F, 'getOnce', { handle: q.handle });
    const id = sabsyncIdOf(dead.worker.threadId);
    await untilWaiters(q, [id], 'get');
    await dead.worker.terminate();
    expect(await recoverQueue(q, id)).toBe(true);
    expect(blocked(q, 'get')).toBe(0);
    const alive = start<{ value: unknown }>(F, 'getOnce', { handle: q.handle, timeout: 10_000 });
    await untilWaiters(q, [sabsyncIdOf(alive.worker.threadId)], 'get');
    q.put('for the living');
    expect((await alive.result).value).toBe('for the living');
    expect(q.qsize()).toBe(0);
  });
});
