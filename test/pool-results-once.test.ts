// Each task's result is encoded once on the worker (src/pool/items.ts). A result that is small at
// the top level and large further down (an object holding a long string, a large nested array)
// is encoded by the check whether it fits the task's slot (`write`), which keeps that encoding
// for the result item (`takeResult`, `keptResult`, KEPT); the owner decodes it (`resultOf`, in
// pump.ts). Seen from outside: a getter in the result is read once per task, as structured
// clone reads it, and the owner gets the value of that one read. Encoded twice (once for the
// check, again inside the item), the getter ran twice and the owner got the second read.
import { describe, expect, it } from 'vitest';
import { Executor, Lock } from 'sabsync';
import { largestFitting } from './helpers/pool.js';

const tasks = new URL('./fixtures/pool-results-once.mjs', import.meta.url);
/** The result channel's bytes (src/pool/engine.ts CHANNEL_BYTES). */
const CHANNEL_BYTES = 1 << 20;

describe("a task's result is encoded once on the worker", () => {
  it('a result small at the top and large further down: its getter is read once, and the owner gets that read', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const counts = new Int32Array(new SharedArrayBuffer(64));
    // An object holding a long string.
    expect(await ex.submit('counted', counts, 0, 1000)).toEqual({ pad: 'x'.repeat(1000), extra: undefined, n: 1 });
    expect(counts[0]).toBe(1);
    // An object holding a large nested array (its getter beside it).
    const big = Array.from({ length: 5000 }, (_, k) => ({ k }));
    expect(await ex.submit('counted', counts, 1, 0, big)).toEqual({ pad: '', extra: big, n: 1 });
    expect(counts[1]).toBe(1);
    // The getter deep in arrays, beside a long array.
    const long = Array.from({ length: 300 }, (_, k) => k);
    expect(await ex.submit('countedDeep', counts, 2, 300)).toEqual([long, [[{ pad: '', extra: undefined, n: 1 }]]]);
    expect(counts[2]).toBe(1);
    // Small enough for the slot: read once too.
    expect(await ex.submit('counted', counts, 3, 10)).toEqual({ pad: 'x'.repeat(10), extra: undefined, n: 1 });
    expect(counts[3]).toBe(1);
    // Many in a row, two workers: each read once, each whole.
    const fs = Array.from({ length: 40 }, (_, k) => ex.submit('counted', counts, 4 + (k % 8), 500 + k));
    const got = await Promise.all(fs.map((f) => f.result()));
    got.forEach((v, k) => expect((v as { pad: string }).pad).toBe('x'.repeat(500 + k)));
    expect(Array.from(counts.slice(4, 12))).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
  }, 30_000);

  it('results of many kinds arrive intact, in the slot or on the channel, kept or not', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const values: unknown[] = [
      7,
      -0,
      NaN,
      'short',
      'é'.repeat(2000),
      'a\ud800b'.repeat(500), // lone surrogates
      'x'.repeat(10_000),
      new Uint8Array([1, 2, 3]),
      new Uint8Array(5000).map((_, k) => k & 255), // a large Uint8Array: the result itself, not an encoding
      new Uint8Array(new ArrayBuffer(3000), 8, 1000).fill(9), // a view at an offset
      new Uint8Array([6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), // bytes that look like an encoding
      new Float64Array(1000).map((_, k) => k / 3),
      [new Uint8Array(400), new Uint8Array(400)],
      { deep: [[[{ s: 'd'.repeat(300), u: undefined, z: -0, big: 12345678901234567890n }]]] },
      new Map(Array.from({ length: 200 }, (_, k) => [k, `v${k}`] as const)),
      new Set(Array.from({ length: 300 }, (_, k) => k)),
      new Date(0),
      Array.from({ length: 1000 }, (_, k) => (k % 2 ? `s${k}` : k)),
      { sparse: Object.assign(new Array(600), { 5: 'five', 500: 'five hundred' }) },
    ];
    for (const v of values) expect(await ex.submit('echo', v)).toEqual(v);
    expect(await ex.submit('boxedText', 100_000)).toEqual({ s: 'y'.repeat(100_000) });
    expect(await ex.submit('boxedBytes', 300_000)).toEqual({ b: new Uint8Array(300_000) });
    // One object met twice (a graph: goes as itself): still one object on arrival.
    const [a, b] = (await ex.submit('twice', 1000)) as [unknown, unknown];
    expect(a).toBe(b);
    expect(a).toEqual({ s: 'z'.repeat(1000) });
    // A Lock deep in a large result (goes as itself): arrives live.
    const r = (await ex.submit('lockDeep', 1000)) as { pad: string; deep: [{ lock: Lock }] };
    expect(r.pad).toBe('q'.repeat(1000));
    expect(r.deep[0].lock).toBeInstanceOf(Lock);
    expect(r.deep[0].lock.acquire(0)).toBe(true);
    r.deep[0].lock.release();
    // A SharedArrayBuffer deep in a large result: shared, not copied.
    const sab = new SharedArrayBuffer(16);
    const back = (await ex.submit('echo', { pad: 'p'.repeat(1000), deep: [sab] })) as { deep: [SharedArrayBuffer] };
    new Int32Array(back.deep[0])[0] = 42;
    expect(new Int32Array(sab)[0]).toBe(42);
    // A large error: its description goes kept, and the error comes back whole.
    const e = await ex.submit('failLarge', 5000).exception();
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe('m'.repeat(5000));
    expect(await ex.submit('echo', 5)).toBe(5);
  }, 30_000);

  it('a result too large for the channel fails as before; the largest one it carries still goes; the pool goes on', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    const message = /^Executor: the result of task 'boxedText' does not fit the result channel \(1048576 bytes encoded at most\); pass large data in a SharedArrayBuffer/;
    const over = await ex.submit('boxedText', 2 << 20).exception();
    expect(over).toMatchObject({ code: 'ERR_TOO_LARGE' });
    expect((over as Error).message).toMatch(message);
    // The largest string a result item [slot, gen, ok, { s }] holding the result fits the channel with.
    const lo = largestFitting((len) => [511, 65535, 1, { s: 'y'.repeat(len) }], CHANNEL_BYTES);
    expect(await ex.submit('boxedText', lo)).toEqual({ s: 'y'.repeat(lo) });
    const next = await ex.submit('boxedText', lo + 64).exception();
    expect(next).toMatchObject({ code: 'ERR_TOO_LARGE' });
    expect((next as Error).message).toMatch(message);
    expect(await ex.submit('echo', 5)).toBe(5);
  }, 60_000);
});
