// The queue codec's fields of an object: the packer loads and the unpacker stores the first
// UNROLLED (8) keys of an object at a site of their own per key position (pack.ts `packValues`,
// `objectOf`), the rest in a loop. Every object must come out of a queue as `structuredClone`
// gives it — same keys in the same order, values of every kind at every position — for key
// counts on both sides of the edge, for many shapes through the same sites (their caches go
// megamorphic), nested, in this thread and in another; and getters must run once each, in the
// order structuredClone runs them.
import { describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { expectEchoed } from './helpers/echo.js';

/** The own keys of `v` and of everything in it, in order: what `toStrictEqual` does not check. */
function keysOf(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) return v.map(keysOf);
  return Object.keys(v).map((k) => [k, keysOf((v as Record<string, unknown>)[k])]);
}

function expectSame(got: unknown, want: unknown): void {
  expect(got).toStrictEqual(want);
  expect(keysOf(got)).toStrictEqual(keysOf(want));
}

/** Values of each kind the packer dispatches on, the i-th for position i. */
const KINDS: unknown[] = [
  1,
  -0,
  2.5,
  2 ** 40,
  'ab',
  'x'.repeat(40),
  'é',
  '\ud800',
  true,
  null,
  undefined,
  [1, 'a', [2]],
  { in: 1 },
  10n,
  new Date(5),
  new Map([[1, 2]]),
];

/** An object of `n` keys named after `tag`, values of each kind in turn from `shift`. */
function objectOf(n: number, tag: string, shift: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[`${tag}${i}`] = KINDS[(i + shift) % KINDS.length];
  return o;
}

/** Key counts around the unrolled positions (8), and past them. */
const COUNTS = [0, 1, 2, 3, 7, 8, 9, 10, 16, 17, 40];

describe('queue codec: fields of an object', () => {
  it('every key count around the unrolled positions, values of every kind at every position', () => {
    const q = new Queue(0, { bytes: 1 << 20 });
    for (const n of COUNTS) {
      for (let shift = 0; shift < KINDS.length; shift++) {
        const v = objectOf(n, 'k', shift);
        const want = structuredClone(v);
        q.put(v);
        expectSame(q.get(5_000), want);
      }
    }
  });

  it('many shapes through the same positions, in turn, and nested in each other', () => {
    const q = new Queue(0, { bytes: 1 << 20 });
    const shapes = Array.from({ length: 24 }, (_, s) => `s${s}_`);
    for (let round = 0; round < 3; round++) {
      for (const [s, tag] of shapes.entries()) {
        const n = COUNTS[(s + round) % COUNTS.length]!;
        const v = objectOf(n, tag, s);
        v.inner = objectOf(COUNTS[(s + 3) % COUNTS.length]!, shapes[(s + 1) % shapes.length]!, round);
        const want = structuredClone(v);
        q.put(v);
        expectSame(q.get(5_000), want);
      }
    }
  });

  it('the same keys in another order are another shape', () => {
    const q = new Queue();
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    for (let r = 0; r < 12; r++) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < 12; i++) o[keys[(i + r) % 12]!] = i;
      q.put(o);
      expectSame(q.get(5_000), structuredClone(o));
    }
  });

  it('getters run once each, in the order structuredClone runs them, nested objects too', () => {
    for (const n of COUNTS) {
      const make = (log: string[]) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          Object.defineProperty(o, `g${i}`, {
            enumerable: true,
            get() {
              log.push(`g${i}`);
              return i % 3 === 0 ? { [`h${i}`]: 1, get deep() { log.push(`deep${i}`); return i; } } : i;
            },
          });
        }
        return o;
      };
      const cloned: string[] = [];
      const want = structuredClone(make(cloned));
      const put: string[] = [];
      const q = new Queue();
      q.put(make(put));
      expect(put).toStrictEqual(cloned);
      expectSame(q.get(5_000), want);
    }
  });

  it('arrays of any prototype come out as plain arrays, as structuredClone makes them', () => {
    class Tags extends Array<unknown> {}
    const q = new Queue();
    const foreign = Object.setPrototypeOf(['a', 1], { extra: true }) as unknown[];
    const bare = Object.setPrototypeOf(['b', 2, [3]], null) as unknown[];
    // eslint-disable-next-line no-sparse-arrays -- a hole, on purpose
    const holey = Object.setPrototypeOf([1, , 3], null) as unknown[];
    const named = Object.assign(Object.setPrototypeOf([4], null) as unknown[], { x: 5 });
    const sub = Tags.from(['c', 'd']);
    for (const v of [foreign, bare, holey, named, sub, { in: [bare, sub] }]) {
      const want = structuredClone(v);
      q.put(v);
      const got = q.get(5_000);
      expectSame(got, want);
      const arrays = (x: unknown): unknown => (Array.isArray(x) ? [Object.getPrototypeOf(x) === Array.prototype, x.map(arrays)] : x !== null && typeof x === 'object' ? Object.values(x).map(arrays) : null);
      expect(arrays(got)).toStrictEqual(arrays(want));
    }
  });

  it('through another thread and back: its unpacker and packer against ours', async () => {
    const values: unknown[] = [];
    for (let round = 0; round < 2; round++) for (const n of COUNTS) for (let s = 0; s < 6; s++) values.push(objectOf(n, `t${s}_`, s + round));
    await expectEchoed(values, 1 << 22, expectSame);
  });
});
