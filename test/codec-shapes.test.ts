// The codec's caches: object keys kept per shape by the encoder and by each decoding thread,
// recent short ASCII strings kept by each decoding thread. Whatever the caches hold, an item
// comes out as structuredClone gives it: the same keys in the same order, the same values, plain
// objects whatever the prototype put in, getters read once — on the putting thread, and on other
// threads that decode with caches of their own.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { start } from './helpers/workers.js';

const F = 'queue.mjs';

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

/** The keys of every object and array inside `v`, in order, as one list of paths. */
function keyOrder(v: unknown, at = '', out: string[] = []): string[] {
  if (typeof v !== 'object' || v === null || v instanceof Date) return out;
  const keys = Object.keys(v);
  out.push(`${at}: ${JSON.stringify(keys)}`);
  for (const k of keys) keyOrder((v as Record<string, unknown>)[k], `${at}.${k}`, out);
  return out;
}

function expectClone(got: unknown, want: unknown, what: string): void {
  expect(isDeepStrictEqual(got, want), `${what}: got ${JSON.stringify(got)}`).toBe(true);
  expect(keyOrder(got), what).toEqual(keyOrder(want));
}

/** Items that meet the caches again with a difference, each next to the one it differs from. */
function items(): [string, unknown][] {
  const list: [string, unknown][] = [];
  const add = (what: string, v: unknown) => list.push([what, v]);
  for (let i = 0; i < 5; i++) add(`one shape, values ${i}`, { id: i, name: 'n'.repeat(i * 9), tags: ['red', 'green', 'blue'].slice(i % 3) });
  add('the same keys in another order', { tags: [], name: 'b', id: 1 });
  add('and back', { id: 2, name: 'a', tags: [1] });
  add('an extra key', { id: 3, name: 'c', tags: [], extra: true });
  add('a key less', { id: 4, name: 'd' });
  add('number-like keys (indices first, in order)', { b: 'y', 1: 'x', 0: 'z' });
  add('the same keys inserted the other way', { 0: 'z', 1: 'x', b: 'y' });
  add('keys that look like numbers but are not indices', { '01': 1, '-1': 2, '1.5': 3, 4294967295: 4, 4294967294: 5, ' 1': 6 });
  add('the empty object and the empty key', {});
  add('the empty key', { '': '' });
  add('a class instance: a plain object of its own properties', new Point(1, 2));
  add('a plain object of the same shape', { x: 3, y: 4 });
  add('a null-prototype object of the same shape', Object.assign(Object.create(null) as object, { x: 5, y: 6 }));
  add('inherited keys are not own', Object.assign(Object.create({ inherited: 1 }) as object, { x: 7, y: 8 }));
  add(
    'a getter is read once, as a value',
    Object.defineProperty({ x: 9 }, 'y', { get: () => 10, enumerable: true }),
  );
  add('non-enumerable and symbol keys are dropped', Object.defineProperty({ x: 11, y: 12, [Symbol('s')]: 1 }, 'hidden', { value: 1, enumerable: false }));
  add('an own __proto__ key', JSON.parse('{"__proto__": {"x": 1}, "y": 2}'));
  add('then keys of the same lengths', { abcdefghi: 1, y: 2 });
  // The encoder finds a shape by its keys' lengths and first characters; these collide.
  for (let i = 0; i < 3; i++) {
    add(`colliding shapes ${i} (a)`, { ab: i, cd: 'v' });
    add(`colliding shapes ${i} (b)`, { ax: i, cy: 'w' });
  }
  add('key bytes split differently', { ab: 1, c: 2 });
  add('key bytes split differently (b)', { a: 1, bc: 2 });
  // The decoder finds a short string by its length and first, middle and last characters.
  for (const s of ['abcde', 'aXcde', 'abcde', 'abXde', 'abcdX', 'abcde']) add(`colliding strings: ${s}`, { s, [s]: s });
  for (let n = 0; n <= 70; n += 1) add(`an ASCII string of ${n} characters, as key and value`, { [`k${'y'.repeat(n)}`]: 'z'.repeat(n) });
  add('ASCII edges', { '\u0000': '\u007f', '\u0080': 'é', é: '\u007f\u0080' });
  add('nested objects of one shape', { a: { a: { a: 1 } } });
  add('more shapes than the caches hold', Array.from({ length: 300 }, (_, i) => ({ [`key${i}`]: i, [`k${i % 7}`]: `v${i % 5}` })));
  add('and again', Array.from({ length: 300 }, (_, i) => ({ [`key${i}`]: -i, [`k${i % 7}`]: `w${i % 5}` })));
  add('shapes inside Maps, Sets, errors and sparse arrays', {
    m: new Map([[{ id: 1 }, { id: 2 }]]),
    s: new Set([{ id: 3 }]),
    e: new RangeError('r', { cause: { id: 4 } }),
    // eslint-disable-next-line no-sparse-arrays
    a: Object.assign([{ id: 5 }, , { id: 6 }], { id: 7 }),
  });
  return list;
}

describe('codec: shapes and strings met again', () => {
  it('on one thread, every item as structuredClone gives it, twice over (cold caches, then warm)', () => {
    const q = new Queue(0, { bytes: 1 << 22 });
    for (let round = 0; round < 2; round++) {
      for (const [what, v] of items()) {
        const want = structuredClone(v);
        q.put(v);
        expectClone(q.get(0), want, `${what} (round ${round})`);
      }
    }
  });

  it('a getter runs once per put, and the value it returns is the one that arrives', () => {
    const q = new Queue();
    let reads = 0;
    const shaped = { a: 1, b: 2 };
    q.put(shaped);
    q.get(0);
    const item = Object.defineProperty({ a: 1 }, 'b', {
      get: () => ++reads,
      enumerable: true,
    });
    for (let i = 1; i <= 3; i++) {
      q.put(item);
      expect(q.get(0)).toEqual({ a: 1, b: i });
    }
    expect(reads).toBe(3);
  });

  it('through two other threads at once, each with caches of its own', async () => {
    const there = new Queue(0, { bytes: 1 << 22 });
    const back = new Queue(0, { bytes: 1 << 22 });
    const list = [...items(), ...items()];
    const wants = list.map(([, v]) => structuredClone(v));
    list.forEach(([, v], i) => there.put([i, v]));
    const half = list.length >> 1;
    const a = start<number>(F, 'echo', { from: there.handle, to: back.handle, n: half });
    const b = start<number>(F, 'echo', { from: there.handle, to: back.handle, n: list.length - half });
    const seen = new Set<number>();
    for (let k = 0; k < list.length; k++) {
      const [i, got] = (await back.getAsync(10_000)) as [number, unknown];
      expect(seen.has(i)).toBe(false);
      seen.add(i);
      expectClone(got, wants[i], `${list[i]![0]} (item ${i})`);
    }
    expect((await a.result) + (await b.result)).toBe(list.length);
  });
});
