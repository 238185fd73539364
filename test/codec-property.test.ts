// Property tests of the queue's codec (fast-check): any structured-cloneable value — getters
// that re-enter a queue, keys that look like the codec's markers, nesting deeper than the
// compact packer goes, extra array properties, holes, Map/Set/Date/BigInt/RegExp/errors/typed
// arrays/shared buffers, cycles and shared references, errors with their cause and stack,
// every view class, resizable buffers — comes out of a queue as what
// `structuredClone` gives (same shape, same sharing, shared memory still shared), or the put
// throws a coded error and the queue is unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lock, Queue } from 'sabsync';
import { start } from './helpers/workers.js';

const MARK = '\u0000sabsync';

/** A queue that getters of generated values put into while the item is encoded. */
const side = new Queue();
/** What those getters put, in order. */
const sidePuts: unknown[] = [];

// ---------------------------------------------------------------------------------------------
// values

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(MARK, '__proto__', 'handle', 'type', 'h', 'b', 'u', 'length', '0', '7'),
);
const text = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  // Any UTF-16 code unit, lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 12 }),
);
const leaf = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, NaN, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53),
  text,
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom('a+b', '[é-ü]\\d', '^x$').chain((s) => fc.constantFrom('g', 'iu', 'y', '').map((f) => new RegExp(s, f))),
  fc
    .tuple(fc.constantFrom<ErrorConstructor[]>(Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError), fc.string({ maxLength: 10 }))
    .map(([E, m]) => new E(m)),
  fc.string({ maxLength: 6 }).map((m) => new AggregateError([1], m)),
  // Errors with a cause (any leaf), a name of their own, a stack of their own, no message.
  fc.tuple(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(new RangeError('inner')))).map(([m, cause]) => new TypeError(m, { cause })),
  fc.constantFrom('RangeError', 'Custom', '').map((name) => Object.assign(new Error('named'), { name })),
  fc.string({ maxLength: 20 }).map((stack) => Object.assign(new SyntaxError('s'), { stack })),
  fc.constant(null).map(() => new URIError()),
  fc.uint8Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 3 }),
  fc.bigInt64Array({ maxLength: 2 }),
  fc.uint8Array({ minLength: 2, maxLength: 8 }).map((a) => new Uint8Array(a.buffer, 1)),
  fc.uint8Array({ minLength: 8, maxLength: 16 }).map((a) => new DataView(a.buffer, 2, 4)),
  fc.constantFrom(Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, BigUint64Array).map((V) => new V(new ArrayBuffer(16), 8, 1)),
  fc.nat(8).map((n) => new ArrayBuffer(n, { maxByteLength: 16 })),
  fc.uint8Array({ maxLength: 8 }).map((a) => a.buffer),
  fc.nat(16).map((n) => new SharedArrayBuffer(n)),
  fc.nat(3).map((n) => new Int32Array(new SharedArrayBuffer(16), 4, n)),
  fc.oneof(fc.double(), fc.string({ maxLength: 4 }), fc.boolean(), fc.bigInt()).map((p) => Object(p) as object),
);

/** Instances of a class: structured clone copies their own properties into plain objects. */
class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
  get norm(): number {
    return 1;
  }
}

/** Define own properties (an own `__proto__` included) on `target`. */
function withOwn<T extends object>(target: T, entries: [string, unknown][]): T {
  for (const [k, v] of entries) Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  return target;
}

/** An object whose getter `k` puts `inner` into `side` and returns `v`. */
function withGetter(k: string, v: unknown, inner: unknown): object {
  return Object.defineProperty({ before: 1 }, k, {
    enumerable: true,
    configurable: true,
    get() {
      sidePuts.push(inner);
      side.put(inner);
      return v;
    },
  });
}

/** `v` nested `n` levels deep, in arrays and objects by turns. */
function nest(n: number, v: unknown): unknown {
  for (let i = 0; i < n; i++) v = i % 2 ? { d: v } : [v];
  return v;
}

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    tie('array'),
    tie('object'),
    tie('sparse'),
    tie('extras'),
    tie('map'),
    tie('set'),
    tie('getter'),
    tie('deep'),
    tie('instance'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  sparse: fc.sparseArray(tie('value'), { maxLength: 6 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((e) => withOwn({}, e)),
  extras: fc
    .tuple(fc.array(tie('value'), { maxLength: 3 }), fc.array(fc.tuple(key.filter((k) => !/^\d+$/.test(k) && k !== 'length'), tie('value')), { minLength: 1, maxLength: 3 }))
    .map(([a, e]) => withOwn(a, e)),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
  set: fc.array(tie('value'), { maxLength: 3 }).map((a) => new Set(a)),
  getter: fc
    .tuple(key.filter((k) => k !== 'before'), tie('value'), fc.oneof(leaf, fc.array(leaf, { maxLength: 3 })))
    .map(([k, v, inner]) => withGetter(k, v, inner)),
  instance: fc.tuple(tie('value'), tie('value')).map(([x, y]) => new Point(x, y)),
  deep: fc.tuple(fc.integer({ min: 40, max: 120 }), tie('value')).map(([n, v]) => nest(n, v)),
}));

/** Shared references and cycles around a generated value. */
const item = fc.tuple(value, fc.constantFrom('plain', 'shared', 'cycle', 'lock')).map(([v, how]) => {
  if (how === 'shared') return { a: v, b: [v, { c: v }] };
  if (how === 'cycle') {
    const o: Record<string, unknown> = { v };
    o.self = o;
    const list: unknown[] = [o, v];
    list.push(list);
    return list;
  }
  if (how === 'lock') return { v, lock: LOCK };
  return v;
});

const LOCK = new Lock();

// ---------------------------------------------------------------------------------------------
// comparison: same shape, same sharing, shared memory still shared

function sharesMemory(a: SharedArrayBuffer, b: SharedArrayBuffer): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength || a.byteLength === 0) return a.byteLength === b.byteLength;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  const old = x[0]!;
  x[0] = old ^ 0xff;
  const same = y[0] === x[0];
  x[0] = old;
  return same;
}

/** Why `got` is not what `want` (a structuredClone) is, or undefined; `seen` maps want → got. */
function differs(got: unknown, want: unknown, at: string, seen: Map<object, unknown>): string | undefined {
  if (typeof want !== 'object' || want === null) {
    return Object.is(got, want) ? undefined : `${at}: got ${String(got)}, want ${String(want)}`;
  }
  if (typeof got !== 'object' || got === null) return `${at}: got ${String(got)}, want an object`;
  if (seen.has(want)) return seen.get(want) === got ? undefined : `${at}: a shared reference or cycle was not kept`;
  seen.set(want, got);
  if (Object.getPrototypeOf(got) !== Object.getPrototypeOf(want)) return `${at}: got a ${got.constructor?.name}, want a ${want.constructor?.name}`;
  if (want instanceof SharedArrayBuffer) return sharesMemory(got as SharedArrayBuffer, want) ? undefined : `${at}: shared memory not shared`;
  if (want instanceof ArrayBuffer) {
    if ((got as ArrayBuffer).resizable !== want.resizable || (got as ArrayBuffer).maxByteLength !== want.maxByteLength) return `${at}: other resizability`;
    const g = new Uint8Array(got as ArrayBuffer);
    const w = new Uint8Array(want);
    return g.length === w.length && g.every((x, i) => x === w[i]) ? undefined : `${at}: other bytes`;
  }
  if (ArrayBuffer.isView(want)) {
    const g = got as ArrayBufferView;
    if (g.byteOffset !== want.byteOffset || g.byteLength !== want.byteLength) return `${at}: other view`;
    return differs(g.buffer, want.buffer, `${at}.buffer`, seen);
  }
  if (want instanceof Number || want instanceof String || want instanceof Boolean || want instanceof BigInt) {
    return Object.is(got.valueOf(), want.valueOf()) ? undefined : `${at}: other boxed value`;
  }
  if (want instanceof Date) return Object.is((got as Date).getTime(), want.getTime()) ? undefined : `${at}: other date`;
  if (want instanceof RegExp) return String(got) === String(want) ? undefined : `${at}: other RegExp`;
  if (want instanceof Error) {
    const g = got as Error;
    if (g.name !== want.name || g.message !== want.message || g.stack !== want.stack) return `${at}: other error`;
    if (Object.hasOwn(g, 'message') !== Object.hasOwn(want, 'message') || Object.hasOwn(g, 'cause') !== Object.hasOwn(want, 'cause')) return `${at}: other error fields`;
    return Object.hasOwn(want, 'cause') ? differs(g.cause, want.cause, `${at}.cause`, seen) : undefined;
  }
  if (want instanceof Map || want instanceof Set) {
    const g = [...(got as Map<unknown, unknown>)];
    const w = [...want];
    if (g.length !== w.length) return `${at}: ${g.length} entries, want ${w.length}`;
    for (let i = 0; i < w.length; i++) {
      const d = differs(g[i], w[i], `${at}[entry ${i}]`, seen);
      if (d) return d;
    }
    return undefined;
  }
  const gk = Object.keys(got);
  const wk = Object.keys(want);
  if (gk.join('\u0001') !== wk.join('\u0001')) return `${at}: keys ${JSON.stringify(gk)}, want ${JSON.stringify(wk)}`;
  if (Array.isArray(want) && (got as unknown[]).length !== want.length) return `${at}: other length`;
  for (const k of wk) {
    const d = differs((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${JSON.stringify(k)}`, seen);
    if (d) return d;
  }
  return undefined;
}

/** What structuredClone gives for `v` (Locks stand for themselves: they arrive live), or its error. */
function cloneOf(v: unknown): { value?: unknown; error?: unknown } {
  const lock = typeof v === 'object' && v !== null && (v as { lock?: unknown }).lock === LOCK;
  try {
    return { value: lock ? { v: structuredClone((v as { v: unknown }).v), lock: LOCK } : structuredClone(v) };
  } catch (error) {
    return { error };
  } finally {
    drainSide(); // the clone ran the getters too
  }
}

/** Empty `side`: what the getters put, as it came out and as they put it. */
function drainSide(): { got: unknown[]; put: unknown[] } {
  const got: unknown[] = [];
  while (!side.empty()) got.push(side.get(0));
  return { got, put: sidePuts.splice(0) };
}

/** Compare a got item with its clone; a Lock must arrive live, over the same memory. */
function expectSame(got: unknown, want: unknown): void {
  if (typeof want === 'object' && want !== null && (want as { lock?: unknown }).lock === LOCK) {
    const g = got as { v: unknown; lock: Lock };
    expect(g.lock).toBeInstanceOf(Lock);
    expect(sharesMemory(g.lock.handle.buffer as SharedArrayBuffer, LOCK.handle.buffer as SharedArrayBuffer)).toBe(true);
    got = { v: g.v, lock: LOCK };
  }
  const d = differs(got, want, 'item', new Map([[LOCK, LOCK]]));
  if (d) expect.fail(d);
}

describe('codec properties', () => {
  it('a value comes out of a queue as structuredClone gives it, or the put throws a coded error and changes nothing', () => {
    const q = new Queue(0, { bytes: 1 << 22 });
    fc.assert(
      fc.property(item, (v) => {
        while (!q.empty()) q.get(0); // a failed run (while shrinking) may leave items
        q.put('sentinel');
        const want = cloneOf(v);
        let putError: unknown;
        try {
          q.put(v);
        } catch (e) {
          putError = e;
        }
        const inner = drainSide();
        if (putError !== undefined) {
          expect(want.error, `put threw ${String(putError)} for a value structuredClone takes`).toBeDefined();
          expect((putError as { code?: unknown }).code).toBe('ERR_UNSERIALIZABLE');
          expect(q.qsize()).toBe(1);
          return;
        }
        expect(want.error, 'put took a value structuredClone refuses').toBeUndefined();
        expect(q.qsize()).toBe(2);
        expect(q.get(0)).toBe('sentinel');
        expectSame(q.get(0), want.value);
        // Items the getters put during encoding arrive whole too.
        expect(inner.got.length).toBe(inner.put.length);
        inner.put.forEach((x, i) => expect(differs(inner.got[i], structuredClone(x), `inner ${i}`, new Map())).toBeUndefined());
      }),
      { numRuns: 300 },
    );
  });

  it('values that cannot cross threads: ERR_UNSERIALIZABLE, the queue unchanged', () => {
    const q = new Queue();
    const bad = fc.constantFrom<unknown>(() => 1, Symbol('s'), new WeakMap(), Promise.resolve(1));
    fc.assert(
      fc.property(value, bad, key, (v, b, k) => {
        for (const x of [withOwn({ v }, [[k, b]]), [v, b], new Map([[v, b]])]) {
          expect(() => q.put(x)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
          drainSide();
          expect(q.qsize()).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('through another thread: every value comes back as structuredClone gives it', async () => {
    const values = fc.sample(item, { numRuns: 60, seed: 7 }).filter((v) => cloneOf(v).error === undefined);
    const there = new Queue(0, { bytes: 1 << 22 });
    const back = new Queue(0, { bytes: 1 << 22 });
    const wants = values.map((v) => {
      const want = cloneOf(v).value;
      there.put(v);
      drainSide();
      return want;
    });
    const echo = start('queue.mjs', 'echo', { from: there.handle, to: back.handle, n: values.length });
    for (const want of wants) expectSame(await back.getAsync(10_000), want);
    expect(await echo.result).toBe(values.length);
  });
});
