// A differential test of the queue's codec against `structuredClone`: a corpus of hand-written
// edge cases and seeded random nested values (test/fixtures/codec-review.mjs) put through a queue
// in this thread and echoed through a worker (whose decoder keeps shape and string caches of its
// own), items of the two encoders interleaved at this thread's decoder. What comes out must be
// what structuredClone gives: same types, prototypes, keys in order, values, holes, sharing.
// Values structured clone refuses must throw and leave the queue unchanged.
//
// The `it.fails` cases are divergences found by this corpus (on the build before the codec's
// field sites as well as after them); each passes once its bug is fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'sabsync';
import { start, type Running } from './helpers/workers.js';
import { corpus, differs, refused } from './fixtures/codec-review.mjs';

type Case = [string, () => unknown];

/** Divergences this corpus shows on the build before the codec commits too (see the it.fails below). */
const KNOWN = new Set(['getter deletes later key']);

const BYTES = 1 << 22;

/** structuredClone's result for `make()`, or its error. */
function cloned(make: () => unknown): { value?: unknown; error?: unknown } {
  try {
    return { value: structuredClone(make()) };
  } catch (error) {
    return { error };
  }
}

describe('codec: differential against structuredClone', () => {
  const from = new Queue(0, { bytes: BYTES });
  const to = new Queue(0, { bytes: BYTES });
  let echo: Running<number>;
  beforeAll(() => {
    echo = start<number>('codec-review.mjs', 'echo', { from: from.handle, to: to.handle }, { timeout: 120_000 });
  });
  afterAll(async () => {
    from.put('stop', 10_000);
    expect(to.get(10_000)).toBe('stop');
    await echo.result;
  });

  for (const seed of [1, 2]) {
    it(`edge cases and 1000 random values (seed ${seed}), here and through a worker`, () => {
      const q = new Queue(0, { bytes: BYTES });
      const cases = (corpus(seed, 1000) as Case[]).filter(([name]) => !KNOWN.has(name));
      expect(cases.length).toBeGreaterThan(1000);
      const out: string[] = [];
      for (const [name, make] of cases) {
        const want = cloned(make);
        expect(want.error, name).toBeUndefined();
        // Put here and to the worker, then get both: this thread's decoder sees items of its
        // own encoder and the worker's in turn.
        q.put(make(), 0);
        from.put(make(), 10_000);
        const here = differs(q.get(1000), want.value);
        if (here) out.push(`${name}: ${here}`);
        const there = differs(to.get(10_000), want.value);
        if (there) out.push(`${name} (through a worker): ${there}`);
      }
      expect(out).toEqual([]);
      expect(q.qsize()).toBe(0);
    });
  }

  it('the comparison sees a difference (its broken twin)', () => {
    expect(differs({ b: 1, a: 2 }, { a: 2, b: 1 })).toMatch(/keys/);
    expect(differs([1, undefined], Object.assign(new Array(2), { 0: 1 }))).toMatch(/keys/);
    expect(differs(Object.create(null), {})).toMatch(/prototype/);
    expect(differs({ x: -0 }, { x: 0 })).toMatch(/\$\.x/);
    const o = {};
    expect(differs([{}, {}], [o, o])).toMatch(/sharing/);
  });

  it('values structured clone refuses throw as it does and leave the queue unchanged', () => {
    const q = new Queue(0, { bytes: BYTES });
    q.put('before');
    for (const [name, make] of (refused() as Case[]).filter(([n]) => !n.startsWith('proxy'))) {
      const want = cloned(make).error as Error;
      expect(want, name).toBeInstanceOf(Error);
      let got: unknown;
      try {
        q.put(make(), 0);
      } catch (e) {
        got = e;
      }
      if (want.name === 'DataCloneError') expect(got, name).toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
      // A getter's own error comes through as it is.
      else expect((got as Error).message, name).toBe(want.message);
      expect(q.qsize(), name).toBe(1);
    }
    expect(q.get(0)).toBe('before');
    q.put({ after: [1, 'two'] });
    expect(q.get(0)).toEqual({ after: [1, 'two'] });
  });
});

describe('codec: divergences from structuredClone (already on the build before the codec commits)', () => {
  it.fails('a Proxy is refused (ERR_UNSERIALIZABLE), as structuredClone refuses it', () => {
    const q = new Queue();
    expect(() => structuredClone(new Proxy({ a: 1 }, {}))).toThrow(/could not be cloned/);
    expect(() => q.put(new Proxy({ a: 1 }, {}), 0)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }) as Error);
    expect(q.qsize()).toBe(0);
  });

  it.fails('a Proxy of an array is refused (ERR_UNSERIALIZABLE), as structuredClone refuses it', () => {
    const q = new Queue();
    expect(() => q.put([new Proxy([1, 2], {})], 0)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }) as Error);
    expect(q.qsize()).toBe(0);
  });

  it.fails('a revoked Proxy is refused with ERR_UNSERIALIZABLE, not a TypeError from the packer', () => {
    const q = new Queue();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(() => q.put({ p: proxy }, 0)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }) as Error);
    expect(q.qsize()).toBe(0);
  });

  it.fails('a key a getter deleted before it was reached is left out, as structuredClone leaves it out', () => {
    const make = () => {
      const o: Record<string, unknown> = { a: 1 };
      Object.defineProperty(o, 'b', { enumerable: true, configurable: true, get: () => { delete o.c; return 2; } });
      o.c = 3;
      o.d = 4;
      return o;
    };
    const q = new Queue();
    q.put(make(), 0);
    const got = q.get(0);
    const want = structuredClone(make());
    expect(Object.keys(want)).toEqual(['a', 'b', 'd']);
    expect(differs(got, want)).toBeUndefined();
  });

  it.fails('an array element a getter deleted before it was reached stays a hole, as in structuredClone', () => {
    const make = () => {
      const a: unknown[] = [1, 2, 3];
      Object.defineProperty(a, 0, { enumerable: true, configurable: true, get: () => { a.length = 1; return 1; } });
      return a;
    };
    const q = new Queue();
    q.put(make(), 0);
    const got = q.get(0) as unknown[];
    const want = structuredClone(make());
    expect(1 in want).toBe(false);
    expect(1 in got).toBe(false);
    expect(differs(got, want)).toBeUndefined();
  });
});
