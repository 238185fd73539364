// The queue codec's aligned layout and caches (items 8-aligned at byte 0, keys and
// ASCII strings of 8 or more 4-aligned, the encoder's cache of recent short ASCII strings by
// hint, the last shape looked up first, chunked items without the bounce copy). Every value
// must come out of a queue exactly as `structuredClone` gives it — same keys in the same order,
// -0, lone surrogates — in this thread and in another, whatever the caches on either side hold:
// strings of one hint and one length that differ, shapes of one hash that differ, the same keys
// in another order, lengths at every threshold (7/8 aligned, 64/65 ASCII, 112/113 in a ring
// slot, chunk edges), typed arrays at odd offsets, an encode that fails half-way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LifoQueue, PriorityQueue, Queue } from 'sabsync';
import { expectEchoed } from './helpers/echo.js';

// ---------------------------------------------------------------------------------------------
// helpers

/** The own keys of `v` and of everything in it, in order: what `toStrictEqual` does not check. */
function keysOf(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return null;
  if (Array.isArray(v)) return v.map(keysOf);
  return Object.keys(v).map((k) => [k, keysOf((v as Record<string, unknown>)[k])]);
}

/**
 * `v` with every typed array or DataView replaced by what tells it apart — class, offset,
 * length, its whole buffer as base64 — so that large ones compare fast (`toStrictEqual` walks
 * their elements one by one).
 */
function flat(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) {
    const b = v.buffer as ArrayBuffer;
    return { view: v.constructor.name, byteOffset: v.byteOffset, byteLength: v.byteLength, buffer: Buffer.from(b).toString('base64'), size: b.byteLength };
  }
  if (Array.isArray(v)) return v.map(flat);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(o, k, { value: flat((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}

/** Assert `got` is `want` exactly: values (Object.is for numbers), types, and key order. */
function expectSame(got: unknown, want: unknown): void {
  expect(flat(got)).toStrictEqual(flat(want));
  expect(keysOf(got)).toStrictEqual(keysOf(want));
}

/**
 * Strings of length `n` sharing the encoder's hint (length, first, middle and last characters:
 * bytes.ts `packText`) and so the decoder's cache slot, differing elsewhere; `k` picks one.
 * Lengths below 4 have no other position: then the strings differ in the hint too.
 */
function sameHint(n: number, k: number): string {
  const chars = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26)));
  const free = [...Array(n).keys()].filter((i) => i !== 0 && i !== n >> 1 && i !== n - 1);
  if (free.length === 0) {
    if (n > 0) chars[n - 1] = String.fromCharCode(65 + (k % 26));
  } else {
    // k in base 26 over the free positions, from both ends: strings that differ in their first
    // word, their last whole word, and their last bytes past it.
    let x = k;
    for (let j = 0; j < free.length && (j === 0 || x > 0); j++) {
      const c = String.fromCharCode(65 + (x % 26));
      chars[free[j]!] = c;
      chars[free[free.length - 1 - j]!] = c;
      x = Math.floor(x / 26);
    }
  }
  return chars.join('');
}

/**
 * Strings of length `n` and one hint that differ in one character only: the free position
 * `where` of 0 (first), 1 (middle), 2 (last) — in the first word, a middle word, the bytes past
 * the last whole word — `k` picking the character.
 */
function oneApart(n: number, where: 0 | 1 | 2, k: number): string {
  const chars = [...sameHint(n, 0)];
  const free = [...Array(n).keys()].filter((i) => i !== 0 && i !== n >> 1 && i !== n - 1);
  if (free.length === 0) return chars.join('');
  const at = free[where === 0 ? 0 : where === 1 ? free.length >> 1 : free.length - 1]!;
  chars[at] = String.fromCharCode(65 + (k % 26));
  return chars.join('');
}

/** The hint bytes.ts writes for an ASCII string (to prove `sameHint` collides). */
function hintOf(s: string): number {
  const n = s.length;
  return (n * 7 + s.charCodeAt(0) * 31 + s.charCodeAt(n >> 1) * 17 + s.charCodeAt(n - 1)) & 255;
}

/** The lengths where the layout changes: empty, 1, around ALIGNED (8), around SHORT_ASCII (64). */
const EDGES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 31, 32, 33, 62, 63, 64, 65, 66, 127, 128, 255, 256];

/** A typed array over bytes that are a known pattern, at byte offset `off`, `n` bytes long. */
function pattern(n: number, off: number): Uint8Array {
  const b = new Uint8Array(n + off + 8);
  for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 17) & 255;
  return new Uint8Array(b.buffer, off, n);
}

/** Put each of `values` into `q` and get it back, checking each against structuredClone. */
function roundTrips(q: Queue<unknown>, values: unknown[]): void {
  for (const v of values) {
    const want = structuredClone(v);
    q.put(v, 5_000);
    expectSame(q.get(5_000), want);
  }
}

const makers = [() => new Queue(0, { bytes: 1 << 21 }), () => new LifoQueue(0, { bytes: 1 << 21 })];

// ---------------------------------------------------------------------------------------------
// values

const asciiKey = fc.oneof(
  fc.string({ maxLength: 12, unit: fc.constantFrom(...'abcdefghAB01_$'.split('')) }),
  fc.constantFrom('a', 'b', '0', '1', '10', '4294967295', '-1', '01', 'abcdefg', 'abcdefgh', 'abcdefghi', 'x'.repeat(64), 'x'.repeat(65)),
);
const key = fc.oneof(asciiKey, fc.string({ maxLength: 10 }), fc.constantFrom('é', 'é'.repeat(8), '\ud800', 'a\udc00bcdefgh', '__proto__'));
const text = fc.oneof(
  fc.nat(70).chain((n) => fc.nat(40).map((k) => sameHint(n, k))),
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 12 }),
);
const leaf = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, NaN, 2 ** 31, null, undefined, true),
  fc.tuple(fc.nat(300), fc.nat(7)).map(([n, off]) => pattern(n, off)),
  fc.tuple(fc.nat(40), fc.nat(3)).map(([n, off]) => new Int16Array(pattern(2 * n + 2 * off, 0).buffer, 2 * off, n)),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(key, tie('v'), { maxKeys: 6 }),
    // One key set, another order: the same keys as another object's, differently ordered.
    fc.shuffledSubarray(['abcdefgh', 'abXdefgh', 'a', 'b', 'id', 'name'], { minLength: 1 }).chain((ks) =>
      fc.tuple(...ks.map(() => tie('v'))).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]]))),
    ),
  ),
})).v;

// ---------------------------------------------------------------------------------------------

describe('queue codec caches: strings', () => {
  it('sameHint makes strings of one hint that differ', () => {
    for (const n of [4, 8, 9, 31, 64]) {
      const a = sameHint(n, 1);
      const b = sameHint(n, 2);
      expect(a).not.toBe(b);
      expect(a.length).toBe(n);
      expect(hintOf(a)).toBe(hintOf(b));
    }
  });

  for (const make of makers) {
    it(`${make().constructor.name}: strings of one hint and length, alternating, at every edge length`, () => {
      const q = make();
      for (const n of EDGES) {
        const a = sameHint(n, 1);
        const b = sameHint(n, 2);
        const c = sameHint(n, 3);
        // Top-level, in an array, as an object's value and as a key: each place its alignment.
        roundTrips(q, [a, b, a, c, b, [a, b, a], [b, a], { [a]: b, [b]: a }, { [b]: a, [a]: b }, { x: a }, { x: b }, { xy: b, [c]: [a, c] }]);
        for (const where of [0, 1, 2] as const) {
          const [x, y] = [oneApart(n, where, 1), oneApart(n, where, 2)];
          roundTrips(q, [x, y, x, { [x]: 1 }, { [y]: 1 }, { [x]: y }, [y, x, y]]);
        }
        // Non-ASCII and lone surrogates in the same slots.
        roundTrips(q, [a.slice(0, -1) + 'é', a, a.slice(0, -1) + '\ud800', a]);
      }
    });
  }

  it('long items of mixed strings in chunks and ring slots, lengths around 112 and the chunk edges', () => {
    const q = new Queue(0, { bytes: 1 << 20 });
    const values: unknown[] = [];
    for (let n = 90; n < 300; n++) {
      values.push({ s: sameHint(n % 70, n), t: 'x'.repeat(n - 80), u: [sameHint(8, n), sameHint(9, n)] });
      values.push(sameHint(64, n) + 'y'.repeat(n - 90));
    }
    roundTrips(q, values);
  });
});

describe('queue codec caches: objects and shapes', () => {
  it('shapes of one hash (same key lengths and first characters) and the same keys in another order', () => {
    const q = new Queue(0, { bytes: 1 << 20 });
    const shapes = [
      { abcdefgh: 1, x: 2 },
      { abXdefgh: 1, x: 2 },
      { x: 2, abcdefgh: 1 },
      { abcdefgh: 1, xy: 2 },
      { abcdefgh: 1 },
      { abcdefgh: 1, x: 2, y: 3 },
      { 1: 'a', abcdefgh: 'b' },
      { abcdefgh: 'b', 2: 'a' },
      {},
      { ab: { abcdefgh: 1, x: 2 }, cd: { abXdefgh: 1, x: 2 } },
    ];
    for (let round = 0; round < 4; round++) roundTrips(q, round % 2 === 0 ? shapes : [...shapes].reverse());
  });

  it('an own __proto__ key among the same keys otherwise', () => {
    const q = new Queue();
    const proto = JSON.parse('{"__proto__": 1, "abcdefgh": 2}') as Record<string, unknown>;
    roundTrips(q, [{ abcdefgh: 2 }, proto, { abcdefgh: 2 }, proto]);
  });

  it('an encode that fails half-way changes nothing: the next items of the same shapes and strings come out right', () => {
    const q = new Queue();
    const bad = { abcdefghij: 'klmnopqrst', deep: { abcdefgh: 'abcdefghijk', f: () => 1 } };
    const good = { abcdefghij: 'klmnopqrst', deep: { abcdefgh: 'abcdefghijk', f: 1 } };
    roundTrips(q, [good]);
    expect(() => q.put(bad)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    expect(q.qsize()).toBe(0);
    const alike = { abcdefghij: 'klmnopqrsT', deep: { abcdefgh: 'abcdefghijK', f: 2 } };
    roundTrips(q, [good, alike, good]);
    // Too large for the queue, after strings and shapes were cached on the way.
    const small = new Queue(0, { bytes: 256 });
    expect(() => small.put({ abcdefghij: 'z'.repeat(40), big: 'q'.repeat(400) })).toThrow(expect.objectContaining({ code: 'ERR_TOO_LARGE' }));
    expect(small.qsize()).toBe(0);
    roundTrips(small, [{ abcdefghij: 'z'.repeat(40), big: 'q' }]);
  });

  it('a getter that puts into the same queue, mid-item, leaves both items right', () => {
    const q = new Queue();
    const inner = { abcdefgh: sameHint(9, 1), x: sameHint(9, 2) };
    const outer = {
      abcdefgh: sameHint(9, 2),
      get x(): string {
        q.put(inner);
        return sameHint(9, 1);
      },
      y: [sameHint(8, 3), sameHint(8, 4)],
    };
    q.put(outer);
    expectSame(q.get(1_000), structuredClone(inner));
    expectSame(q.get(1_000), { abcdefgh: sameHint(9, 2), x: sameHint(9, 1), y: [sameHint(8, 3), sameHint(8, 4)] });
  });
});

describe('queue codec caches: a get in the middle of a put', () => {
  it('a getter that gets (decodes) an item of the same shapes and strings mid-encode leaves both right', () => {
    const q = new Queue();
    const other = new Queue();
    const got: unknown[] = [];
    const stored = { abcdefgh: oneApart(12, 1, 3), x: [oneApart(12, 2, 4)] };
    other.put(stored);
    const outer = {
      abcdefgh: oneApart(12, 1, 4),
      get x(): string[] {
        got.push(other.get(1_000));
        return [oneApart(12, 2, 5)];
      },
    };
    q.put(outer);
    expectSame(got[0], structuredClone(stored));
    expectSame(q.get(1_000), { abcdefgh: oneApart(12, 1, 4), x: [oneApart(12, 2, 5)] });
  });
});

describe('queue codec caches: chunked bytes', () => {
  it('typed arrays at every offset and length around the chunk, slot and 64 KiB edges', () => {
    const q = new Queue(0, { bytes: 1 << 21 });
    const lifo = new LifoQueue(0, { bytes: 1 << 21 });
    const pq = new PriorityQueue(0, { bytes: 1 << 21 });
    for (const n of [0, 1, 63, 64, 65, 100, 111, 112, 113, 255, 256, 257, 4095, 65535, 65536, 65537]) {
      for (const off of [0, 1, 3, 4, 7]) {
        const a = pattern(n, off);
        roundTrips(q, [a, { k: a }, ['abcdefgh', a, 'abcdefghi']]);
        roundTrips(lifo, [a]);
        pq.put([n, a], 5_000);
        expectSame(pq.get(5_000), [n, structuredClone(a)]);
      }
    }
  });

  it('large items while others wait in the ring: chains that wrap the arena round-trip', () => {
    // 70 KiB items through a queue of 256 KiB: the free list wraps, chains are split in runs.
    const q = new Queue(0, { bytes: 1 << 18 });
    const sizes = [70_000, 70_001, 69_999, 5, 70_003, 113, 64, 70_002];
    const held: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const a = pattern(sizes[i % sizes.length]!, i % 8);
      q.put(a, 5_000);
      held.push(a);
      if (held.length === 3) expectSame(q.get(5_000), structuredClone(held.shift()));
    }
    while (held.length > 0) expectSame(q.get(5_000), structuredClone(held.shift()));
  });
});

describe('queue codec caches: properties', () => {
  it('any sequence of values through two queues and a LifoQueue in this thread', () => {
    const qs = [new Queue(0, { bytes: 1 << 21 }), new Queue(0, { bytes: 1 << 21 }), new LifoQueue(0, { bytes: 1 << 21 })];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), value), { minLength: 1, maxLength: 10 }), (items) => {
        for (const [i, v] of items) roundTrips(qs[i]!, [v]);
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('through another thread and back: its decoder and encoder caches against ours', async () => {
    const values: unknown[] = fc.sample(value, { numRuns: 300, seed: 5 });
    // And the collisions in a row, so the other thread's caches are hit and missed by them.
    for (const n of EDGES) values.push(sameHint(n, 1), sameHint(n, 2), { [sameHint(n, 1)]: sameHint(n, 3) }, { [sameHint(n, 2)]: sameHint(n, 3) });
    values.push({ abcdefgh: 1, x: 2 }, { abXdefgh: 1, x: 2 }, { x: 2, abcdefgh: 1 }, pattern(65_537, 3), pattern(113, 1));
    await expectEchoed(values, 1 << 23, expectSame);
  });
});

describe('queue codec: known divergences from structuredClone (a getter that changes the object being put)', () => {
  // structuredClone reads each key only while it is still an own property (HTML
  // StructuredSerializeInternal: "if ! HasOwnProperty(value, key)"); the packer writes every key
  // Object.keys gave, so a key a getter deleted arrives as undefined.
  it.fails('a key deleted by an earlier getter is left out, as structuredClone does', () => {
    const q = new Queue();
    const make = () => ({
      get a() {
        delete (this as { b?: number }).b;
        return 1;
      },
      b: 2,
      c: 3,
    });
    // Each side its own object: the getter changes the one it runs on.
    const want = structuredClone(make());
    expect(Object.keys(want)).toStrictEqual(['a', 'c']);
    q.put(make());
    expectSame(q.get(1_000), want);
  });

  it.fails('an array shortened by a getter keeps holes past its new length, as structuredClone does', () => {
    const q = new Queue();
    const a = [1, 2, 3];
    Object.defineProperty(a, 0, {
      get() {
        a.length = 1;
        return 9;
      },
      enumerable: true,
      configurable: true,
    });
    const want = structuredClone((() => {
      const b = [1, 2, 3];
      Object.defineProperty(b, 0, { get() { b.length = 1; return 9; }, enumerable: true, configurable: true });
      return b;
    })());
    q.put(a);
    expectSame(q.get(1_000), want);
  });
});
