/**
 * Python's other queue names: `JoinableQueue` (= Queue) and `SimpleQueue` (no item limit, no
 * task tracking), across real threads.
 */
import { describe, expect, test } from 'vitest';
import { Empty, JoinableQueue, Queue, SimpleQueue, revive } from 'sabsync';
import { expectElapsed, start, thrown, timed, timedAsync } from './helpers/workers.js';

describe('JoinableQueue', () => {
  test('is Queue itself: task tracking, join', () => {
    expect(JoinableQueue).toBe(Queue);
    const q: JoinableQueue<number> = new JoinableQueue<number>();
    q.put(1);
    expect(q.get()).toBe(1);
    q.taskDone();
    q.join();
    expect(revive(q.handle)).toBeInstanceOf(Queue);
  });
});

describe('SimpleQueue', () => {
  test("Python's surface: put / get in order, the nowait forms, empty, qsize; no task tracking, no limit", async () => {
    const q = new SimpleQueue<number | string>();
    expect(q.empty()).toBe(true);
    expect(q.qsize()).toBe(0);
    for (let i = 0; i < 1_000; i++) q.put(i);
    q.putNowait('last');
    await q.putAsync('async');
    expect(q.qsize()).toBe(1_002);
    expect(q.empty()).toBe(false);
    for (let i = 0; i < 1_000; i++) expect(q.get()).toBe(i);
    expect(q.getNowait()).toBe('last');
    expect(await q.getAsync()).toBe('async');
    expect(q.empty()).toBe(true);
    for (const name of ['taskDone', 'join', 'joinAsync', 'maxsize', 'full', 'shutdown']) expect(name in q).toBe(false);
  });

  test('an empty get: Empty (ERR_EMPTY) at once or after about its timeout, sync and async, nothing removed', async () => {
    const q = new SimpleQueue();
    expect(thrown(() => q.getNowait())).toEqual({ name: 'Empty', code: 'ERR_EMPTY' });
    const t0 = performance.now();
    expect(() => q.get(80)).toThrow(Empty);
    expectElapsed(performance.now() - t0, 80);
    const [err, ms] = await timedAsync(() => q.getAsync(80).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(Empty);
    expectElapsed(ms, 80);
    q.put('x');
    const [got, fast] = timed(() => q.get(1_000));
    expect(got).toBe('x');
    expect(fast).toBeLessThan(500);
  });

  test.each(['from', 'revive'])('another thread attaches (%s), gets what was put and puts back', async (how) => {
    const q = new SimpleQueue<number>();
    const w = start<{ type: string; got: number[] }>('queue-names.mjs', 'echoSum', { handle: q.handle, n: 100, how });
    for (let i = 1; i <= 100; i++) q.put(i);
    expect(await w.result).toEqual({ type: 'SimpleQueue', got: Array.from({ length: 100 }, (_, i) => i + 1) });
    expect(await q.getAsync(10_000)).toBe(5_050);
  });

  test('it arrives live as a queue item; its handle is its own kind', () => {
    const sq = new SimpleQueue<string>();
    const carrier = new Queue();
    carrier.put({ sq });
    const got = (carrier.get() as { sq: SimpleQueue<string> }).sq;
    expect(got).toBeInstanceOf(SimpleQueue);
    got.put('through');
    expect(sq.get(0)).toBe('through');
    expect(sq.handle.type).toBe('sabsync:SimpleQueue');
    expect(() => Queue.from(sq.handle as never)).toThrow(/expected a Queue handle, got a SimpleQueue handle/);
    expect(() => SimpleQueue.from(carrier.handle as never)).toThrow(/expected a SimpleQueue handle, got a Queue handle/);
    expect(() => SimpleQueue.from(null as never)).toThrow(TypeError);
    expect(() => structuredClone(sq)).toThrow(/send simpleQueue\.handle/);
  });

  test('options and placement: bad options refused, byteLength, writes only inside its bytes', () => {
    expect(() => new SimpleQueue({ bytes: 0 })).toThrow(RangeError);
    expect(() => new SimpleQueue({ bytes: '1' as never })).toThrow(TypeError);
    expect(() => new SimpleQueue(5 as never)).toThrow(/unbounded and takes no maxsize/);
    const size = SimpleQueue.byteLength({ bytes: 1024 });
    expect(size).toBe(Queue.byteLength(0, { bytes: 1024 }));
    const buffer = new SharedArrayBuffer(8 + size + 8);
    // Sentinels around the region only: a Queue is placed in zeroed memory (store.ts initWords).
    new Uint8Array(buffer, 0, 8).fill(0xa5);
    new Uint8Array(buffer, 8 + size).fill(0xa5);
    const q = new SimpleQueue<string>({ buffer, byteOffset: 8, bytes: 1024 });
    q.put('placed');
    expect(q.get(0)).toBe('placed');
    const bytes = new Uint8Array(buffer);
    expect([...bytes.subarray(0, 8), ...bytes.subarray(8 + size)].every((b) => b === 0xa5)).toBe(true);
  });
});
