// The queue's codec: every item type of API.md crosses a thread and back equal; shared memory
// stays shared; primitives arrive live; what structured clone refuses is ERR_UNSERIALIZABLE.
import { describe, expect, it } from 'vitest';
import { Condition, Lock, Queue, RLock } from 'sabsync';
import { runNode } from './helpers/node-child.js';
import { start } from './helpers/workers.js';

const F = 'queue.mjs';

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;
const shared = { s: 1 };

const samples: [string, unknown][] = [
  ['zero', 0],
  ['negative zero', -0],
  ['NaN', NaN],
  ['Infinity', -Infinity],
  ['a float', 3.141592653589793],
  ['a large integer', 2 ** 53 - 1],
  ['the empty string', ''],
  ['a unicode string', 'héllo wörld — 日本語 🎉 \u0000 \ud83d'],
  ['a string that starts with a byte-order mark', '\uFEFFbom'],
  ['an object whose key is a byte-order mark', { '\uFEFF': '\uFEFF'.repeat(40) }],
  ['a long string', 'abc'.repeat(10_000)],
  ['true', true],
  ['false', false],
  ['null', null],
  ['undefined', undefined],
  ['a BigInt', -(2n ** 100n)],
  ['a plain object', { id: 1, name: 'x'.repeat(32), tags: ['a', 'b', 'c'], nested: { deep: [1, { k: 'v' }] } }],
  ['int32 edges and floats', [2 ** 31 - 1, -(2 ** 31), 2 ** 31, -1, 0.1, 1e300, -1e-300]],
  ['short and long non-ASCII keys and values', { é: 'ü', 日本: ['🎉'], ['k'.repeat(40) + 'é']: 'v'.repeat(40) + 'ß' }],
  ['an own __proto__ key', JSON.parse('{"__proto__": 1, "a": 2}')],
  ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
  ['an object with undefined and -0 inside', { u: undefined, z: -0, n: NaN, a: [undefined, -0] }],
  ['an array with holes', [1, , 3]], // eslint-disable-line no-sparse-arrays
  ['a Map', new Map<unknown, unknown>([[1, 'one'], ['two', { 2: 2 }], [{ k: 1 }, [1]]])],
  ['a Set', new Set([1, 'a', { b: 2 }])],
  ['a Date', new Date(1_700_000_000_123)],
  ['a RegExp', /a+b*/giu],
  ['a Uint8Array', new Uint8Array([1, 2, 255])],
  ['a Float64Array', new Float64Array([0.5, -0, NaN])],
  ['a BigInt64Array', new BigInt64Array([1n, -2n])],
  ['an ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
  ['a DataView', new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)],
  ['a cycle', cyclic],
  ['a shared reference', { a: shared, b: shared }],
  ['a class instance (as a plain object)', new Point(1, 2)],
  ['an Error', new RangeError('boom')],
  ['nested Maps and Sets', { m: new Map([['s', new Set([new Date(0)])]]) }],
];

describe('codec: every item type round-trips through another thread', () => {
  it('all samples, in one queue, in order', async () => {
    const there = new Queue();
    const back = new Queue();
    for (const [, v] of samples) there.put(v);
    const w = start(F, 'echo', { from: there.handle, to: back.handle, n: samples.length });
    for (const [name, v] of samples) {
      const got = await back.getAsync(10_000);
      if (v instanceof Error) {
        expect(got, name).toBeInstanceOf(RangeError);
        expect((got as Error).message).toBe('boom');
      } else if (v instanceof Point) {
        expect(got, name).toEqual({ x: 1, y: 2 });
      } else {
        expect(got, name).toEqual(v);
        if (typeof v === 'number') expect(Object.is(got, v), name).toBe(true);
      }
    }
    expect(await w.result).toBe(samples.length);
  });

  it('keeps -0 and NaN inside objects, identity inside cycles and shared references', () => {
    const q = new Queue();
    q.put({ z: -0, list: [NaN, -0] });
    const a = q.get() as { z: number; list: number[] };
    expect(Object.is(a.z, -0) && Number.isNaN(a.list[0]) && Object.is(a.list[1], -0)).toBe(true);
    q.put(cyclic);
    const c = q.get() as Record<string, unknown>;
    expect(c.self).toBe(c);
    q.put({ a: shared, b: shared });
    const s = q.get() as { a: object; b: object };
    expect(s.a).toBe(s.b);
  });
});

describe('codec: shared memory stays shared, primitives arrive live', () => {
  it('a SharedArrayBuffer and typed arrays over it share memory with the sender', async () => {
    const there = new Queue();
    const back = new Queue();
    const sab = new SharedArrayBuffer(64);
    const view = new Int32Array(sab, 8, 4);
    there.put({ sab, view, bytes: new Uint8Array(sab, 1, 3), dv: new DataView(sab, 4, 4) });
    const w = start(F, 'echo', { from: there.handle, to: back.handle, n: 1 });
    const got = (await back.getAsync(10_000)) as { sab: SharedArrayBuffer; view: Int32Array; bytes: Uint8Array; dv: DataView };
    await w.result;
    expect(got.sab).toBeInstanceOf(SharedArrayBuffer);
    expect([got.view.byteOffset, got.view.length, got.bytes.byteOffset, got.bytes.length, got.dv.byteOffset, got.dv.byteLength]).toEqual([8, 4, 1, 3, 4, 4]);
    got.view[0] = 1234;
    expect(view[0]).toBe(1234);
    expect(got.view.buffer).toBe(got.sab);
  });

  it('Lock, RLock, Condition and Queue inside items arrive live', async () => {
    const there = new Queue();
    const back = new Queue();
    const lock = new Lock();
    const rlock = new RLock();
    const cond = new Condition(new Lock());
    const inner = new Queue();
    there.put([lock, new Map([['r', rlock]]), new Set([cond]), { inner }]);
    const w = start(F, 'echo', { from: there.handle, to: back.handle, n: 1 });
    const [l, m, s, o] = (await back.getAsync(10_000)) as [Lock, Map<string, RLock>, Set<Condition>, { inner: Queue<string> }];
    await w.result;
    expect(l).toBeInstanceOf(Lock);
    lock.acquire();
    expect(l.locked()).toBe(true);
    lock.release();
    expect(m.get('r')).toBeInstanceOf(RLock);
    expect([...s][0]).toBeInstanceOf(Condition);
    inner.put('through');
    expect(o.inner.get(0)).toBe('through');
  });

  it('the same buffer sent many times stays one buffer on the other side', async () => {
    const there = new Queue();
    const back = new Queue();
    const lock = new Lock();
    for (let i = 0; i < 50; i++) there.put({ i, lock });
    const w = start(F, 'echo', { from: there.handle, to: back.handle, n: 50 });
    const got: { i: number; lock: Lock }[] = [];
    for (let i = 0; i < 50; i++) got.push((await back.getAsync(10_000)) as { i: number; lock: Lock });
    await w.result;
    expect(got.map((g) => g.i)).toEqual([...Array(50).keys()]);
    expect(got.every((g) => g.lock instanceof Lock)).toBe(true);
  });
});

describe('codec: what cannot cross threads', () => {
  it('functions, symbols, WeakMaps, Promises are ERR_UNSERIALIZABLE and leave the queue unchanged', () => {
    const q = new Queue();
    q.put('before');
    const bads = [() => 1, Symbol('x'), { f: () => 1 }, [Symbol.iterator], new WeakMap(), Promise.resolve(1), new Map([[1, () => 1]])];
    for (const [i, bad] of bads.entries()) {
      expect(() => q.put(bad), `bad item ${i}`).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    }
    expect(q.qsize()).toBe(1);
    expect(q.get()).toBe('before');
  });
});

describe('codec: no node:v8', () => {
  it('with node:v8 hidden from the package, Map, Set, Date, BigInt, RegExp, errors, boxed values, views, holes and cycles still cross a queue', async () => {
    const run = await runNode(new URL('./fixtures/no-v8.mjs', import.meta.url), [], { timeout: 15_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ same: Array(8).fill(true), asked: 0 });
  });
});
