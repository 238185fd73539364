/**
 * Shared data: Value, SharedArray, SharedDict, SharedList (multiprocessing.Value / Array,
 * Manager().dict() / .list()). The contract, single-threaded; then real worker threads:
 * exact totals under contention (and deterministic lock-step twins showing what a bare
 * read-then-write loses), every appended item exactly once, live travel, and containers whose
 * writer was terminated in the middle of a write.
 */
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { Barrier, Executor, Lock, Queue, revive, SharedArray, SharedDict, SharedList, Value, type Typecode } from 'sabsync';
import { markDead, sabsyncIdOf, setAfterStore } from './helpers/internals.js';
import { runMany, start, unchecked, waitUntil } from './helpers/workers.js';

const FILE = 'shared.mjs';

/** Run `f` and return the error it throws (fails the test if it does not throw). */
function thrown(f: () => unknown): { name?: string; code?: string; message?: string } {
  try {
    f();
  } catch (e) {
    return e as { name?: string; code?: string };
  }
  throw new Error('expected a throw');
}

// -------------------------------------------------------------------------------------------------
describe('Value', () => {
  const wraps: [Typecode, number | bigint, number | bigint][] = [
    ['b', 300, 44],
    ['b', -129, 127],
    ['B', -1, 255],
    ['h', 40_000, -25_536],
    ['H', -1, 65_535],
    ['i', 2 ** 31, -(2 ** 31)],
    ['I', -1, 2 ** 32 - 1],
    ['i', 1.9, 1],
    ['i', -1.9, -1],
    ['i', NaN, 0],
    ['q', 2n ** 63n, -(2n ** 63n)],
    ['Q', -1n, 2n ** 64n - 1n],
    ['f', 1.1, Math.fround(1.1)],
    ['d', Math.PI, Math.PI],
    ['d', -0, -0],
  ];
  test.each(wraps)("Value('%s', %s) reads %s, as the typed array wraps it (constructor and setter)", (code, init, want) => {
    const v = new Value(code, unchecked(init));
    expect(Object.is(v.value, want)).toBe(true);
    const w = new Value(code);
    w.value = unchecked(init);
    expect(Object.is(w.value, want)).toBe(true);
    expect(v.typecode).toBe(code);
  });

  test('defaults to 0 (0n for q / Q); getLock() is an RLock, undefined with { lock: false }', () => {
    expect(new Value('i').value).toBe(0);
    expect(new Value('q').value).toBe(0n);
    const v = new Value('d', 1.5);
    const lock = v.getLock()!;
    expect(lock.acquire(0)).toBe(true);
    expect(lock.acquire(0)).toBe(true); // re-entrant
    lock.release();
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(new Value('i', 1, { lock: false }).getLock()).toBeUndefined();
  });

  test('travels by handle (from, revive) with its lock, and as a queue item', () => {
    const v = new Value('h', 5);
    const a = Value.from(v.handle);
    a.value = 9;
    expect(v.value).toBe(9);
    const r = revive(v.handle);
    expect(r).toBeInstanceOf(Value);
    expect(r.getLock()!.acquire(0)).toBe(true);
    expect(v.getLock()!.locked()).toBe(true);
    r.getLock()!.release();
    const q = new Queue();
    q.put({ v });
    const got = (q.get() as { v: Value<'h'> }).v;
    got.value = -3;
    expect(v.value).toBe(-3);
    expect(Value.from(new Value('i', 1, { lock: false }).handle).getLock()).toBeUndefined();
  });

  test('bad inputs: TypeError / RangeError, nothing stored', () => {
    expect(thrown(() => new Value(unchecked('x'))).name).toBe('RangeError');
    expect(thrown(() => new Value(unchecked('l'))).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => new Value(unchecked(3))).name).toBe('TypeError');
    expect(thrown(() => new Value('i', unchecked(1n))).name).toBe('TypeError');
    expect(thrown(() => new Value('q', unchecked(1))).name).toBe('TypeError');
    expect(thrown(() => new Value('i', 1, unchecked({ lock: 'yes' }))).name).toBe('TypeError');
    expect(thrown(() => new Value('i', 1, { byteOffset: 4, buffer: new SharedArrayBuffer(64) })).name).toBe('RangeError');
    const v = new Value('i', 7);
    expect(thrown(() => (v.value = unchecked('8'))).name).toBe('TypeError');
    expect(v.value).toBe(7);
    expect(thrown(() => Value.from(unchecked(new Lock().handle))).name).toBe('TypeError');
  });

  test('placement: Value.byteLength bytes at { buffer, byteOffset }, nothing written outside', () => {
    const buffer = new SharedArrayBuffer(8 + Value.byteLength + 8);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0xee);
    const v = new Value('d', 2.5, { buffer, byteOffset: 8 });
    expect(v.value).toBe(2.5);
    expect([...bytes.subarray(0, 8), ...bytes.subarray(8 + Value.byteLength)].every((b) => b === 0xee)).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------------
describe('SharedArray', () => {
  const views: [Typecode, string, number | bigint, number | bigint][] = [
    ['b', 'Int8Array', 200, -56],
    ['B', 'Uint8Array', 256 + 7, 7],
    ['h', 'Int16Array', 2 ** 15, -(2 ** 15)],
    ['H', 'Uint16Array', -2, 65_534],
    ['i', 'Int32Array', 2 ** 32 + 5, 5],
    ['I', 'Uint32Array', -5, 2 ** 32 - 5],
    ['q', 'BigInt64Array', 2n ** 64n + 3n, 3n],
    ['Q', 'BigUint64Array', -3n, 2n ** 64n - 3n],
    ['f', 'Float32Array', 0.1, Math.fround(0.1)],
    ['d', 'Float64Array', 0.1, 0.1],
  ];
  test.each(views)("'%s' is a %s: index access, wrapping, length, iteration", (code, cls, put, want) => {
    const zero = code === 'q' || code === 'Q' ? 0n : 0;
    const arr = new SharedArray(code, 4);
    expect(arr.length).toBe(4);
    expect([...arr]).toEqual([zero, zero, zero, zero]);
    arr[3] = unchecked(put);
    expect(arr[3]).toBe(want);
    expect(arr instanceof SharedArray).toBe(true);
    expect((arr as unknown as object).constructor.name).toBe(cls);
    expect(arr.typecode).toBe(code);
    expect(arr.getObj()[3]).toBe(want);
    const init = new SharedArray(code, unchecked([put, zero]));
    expect([...init]).toEqual([want, zero]);
  });

  test('new SharedArray(code, values), getLock, getObj share the memory; from / revive / queue attach live', () => {
    const arr = new SharedArray('i', [1, 2, 3]);
    const obj = arr.getObj();
    expect(obj).toBeInstanceOf(Int32Array);
    obj[0] = 10;
    expect(arr[0]).toBe(10);
    const other = SharedArray.from<'i'>(arr.handle);
    other[1] = 20;
    expect(arr[1]).toBe(20);
    const r = revive(arr.handle);
    expect(r instanceof SharedArray).toBe(true);
    expect(r.getLock()!.acquire(0)).toBe(true);
    expect(arr.getLock()!.locked()).toBe(true);
    r.getLock()!.release();
    const q = new Queue();
    q.put([arr]);
    const [got] = q.get() as [SharedArray<'i'>];
    expect(got instanceof SharedArray).toBe(true);
    got[2] = 30;
    expect([...arr]).toEqual([10, 20, 30]);
    expect(new SharedArray('d', 2, { lock: false }).getLock()).toBeUndefined();
    // What makes a new array is a plain typed array (species), not a SharedArray.
    expect(arr.getObj().map((x) => x * 2) instanceof SharedArray).toBe(false);
    expect(new Int32Array(4) instanceof SharedArray).toBe(false);
  });

  test('placement: SharedArray.byteLength(code, n) bytes at { buffer, byteOffset }', () => {
    const n = 5;
    const size = SharedArray.byteLength('h', n);
    const buffer = new SharedArrayBuffer(16 + size + 8);
    const bytes = new Uint8Array(buffer);
    bytes.fill(0xee);
    const arr = new SharedArray('h', [1, 2, 3, 4, 5], { buffer, byteOffset: 16 });
    expect([...arr]).toEqual([1, 2, 3, 4, 5]);
    expect([...bytes.subarray(0, 16), ...bytes.subarray(16 + size)].every((b) => b === 0xee)).toBe(true);
  });

  test('bad inputs: typecodes, lengths, values', () => {
    expect(thrown(() => new SharedArray(unchecked('z'), 3)).name).toBe('RangeError');
    expect(thrown(() => new SharedArray(unchecked(null), 3)).name).toBe('TypeError');
    expect(thrown(() => new SharedArray('i', -1)).name).toBe('RangeError');
    expect(thrown(() => new SharedArray('i', 1.5)).name).toBe('RangeError');
    expect(thrown(() => new SharedArray('i', unchecked('3'))).name).toBe('TypeError');
    expect(thrown(() => new SharedArray('i', unchecked(undefined))).name).toBe('TypeError');
    expect(thrown(() => new SharedArray('q', unchecked([1, 2]))).name).toBe('TypeError');
    expect(thrown(() => new SharedArray('d', unchecked([1, 'x']))).name).toBe('TypeError');
    expect(thrown(() => new SharedArray('d', 1, unchecked({ lock: 1 }))).name).toBe('TypeError');
    expect(thrown(() => SharedArray.from(unchecked(new Value('i').handle))).name).toBe('TypeError');
  });

  test('4 workers × 5,000 Atomics.add on every element of an Int32 SharedArray: exact', async () => {
    const arr = new SharedArray('i', 8);
    await runMany(4, FILE, 'arrayAdds', { handle: arr.handle, n: 5_000 }, 30_000);
    expect([...arr]).toEqual(new Array(8).fill(20_000));
  });
});

// -------------------------------------------------------------------------------------------------
describe('SharedDict', () => {
  test('Map-like surface: get/set/has/delete/size/keys/values/entries/clear, get with a fallback', () => {
    const d = new SharedDict<unknown>();
    expect(d.size).toBe(0);
    expect(d.get('a')).toBeUndefined();
    expect(d.get('a', 'none')).toBe('none');
    expect(d.set('a', 1).set('b', { x: [1, 'two', null] })).toBe(d);
    d.set('', 'empty key');
    d.set('ünï€ødé 🙂', new Map([[1, new Date(0)]]));
    expect(d.size).toBe(4);
    expect(d.has('a')).toBe(true);
    expect(d.has('c')).toBe(false);
    expect(d.get('b')).toEqual({ x: [1, 'two', null] });
    expect(d.get('')).toBe('empty key');
    expect(d.get('ünï€ødé 🙂')).toEqual(new Map([[1, new Date(0)]]));
    expect(new Set(d.keys())).toEqual(new Set(['a', 'b', '', 'ünï€ødé 🙂']));
    expect(new Map(d.entries())).toEqual(new Map([...d]));
    expect(d.values()).toContain(1);
    d.set('a', 'replaced');
    expect(d.get('a')).toBe('replaced');
    expect(d.size).toBe(4);
    expect(d.delete('a')).toBe(true);
    expect(d.delete('a')).toBe(false);
    expect(d.size).toBe(3);
    d.clear();
    expect(d.size).toBe(0);
    expect(d.keys()).toEqual([]);
    d.set('after', 1);
    expect(d.entries()).toEqual([['after', 1]]);
  });

  test('keys in insertion order, as a Map: a replaced key keeps its place, a re-added one goes last, through compaction', () => {
    const d = new SharedDict<number>({ bytes: 1024 });
    for (const k of ['c', 'a', 'b']) d.set(k, 0);
    d.set('a', 1);
    expect(d.keys()).toEqual(['c', 'a', 'b']);
    d.delete('c');
    d.set('c', 2);
    expect(d.keys()).toEqual(['a', 'b', 'c']);
    // Many replaces: the arena is compacted again and again; the order stays.
    for (let i = 0; i < 500; i++) d.set(['a', 'b', 'c'][i % 3]!, i);
    expect(d.entries()).toEqual([
      ['a', 498],
      ['b', 499],
      ['c', 497],
    ]);
    expect([...d.values()]).toEqual([498, 499, 497]);
  });

  test('values come out as copies; undefined, -0, NaN and lone surrogates survive', () => {
    const d = new SharedDict();
    const o = { n: 1 };
    d.set('o', o);
    o.n = 2;
    const got = d.get('o') as { n: number };
    expect(got).toEqual({ n: 1 });
    got.n = 3;
    expect(d.get('o')).toEqual({ n: 1 });
    d.set('u', undefined);
    expect(d.has('u')).toBe(true);
    d.set('z', -0);
    expect(Object.is(d.get('z'), -0)).toBe(true);
    d.set('nan', NaN);
    expect(d.get('nan')).toBeNaN();
    d.set('\ud800', '\udc00');
    expect(d.get('\ud800')).toBe('\udc00');
    expect(d.has('\udc00')).toBe(false);
  });

  test('update: read-modify-write, returns the new value; a throwing fn changes nothing; fn may re-enter', () => {
    const d = new SharedDict<number>();
    expect(d.update('n', (x) => (x ?? 0) + 1)).toBe(1);
    expect(d.update('n', (x) => x! + 10)).toBe(11);
    expect(
      thrown(() =>
        d.update('n', () => {
          throw new RangeError('no');
        }),
      ).message,
    ).toBe('no');
    expect(d.get('n')).toBe(11);
    // Re-entrant: the lock is an RLock.
    expect(d.update('m', () => d.get('n')! * 2)).toBe(22);
    using _ = d.hold();
    d.set('inside', 1);
    expect(d.get('inside')).toBe(1);
  });

  test('primitives and shared buffers in values arrive live (in this thread)', () => {
    const d = new SharedDict();
    const lock = new Lock();
    const buf = new SharedArrayBuffer(8);
    d.set('x', { lock, buf, arr: new SharedArray('i', [1]) });
    const got = d.get('x') as { lock: Lock; buf: SharedArrayBuffer; arr: SharedArray<'i'> };
    expect(got.buf).toBe(buf);
    expect(got.lock).toBeInstanceOf(Lock);
    lock.acquire();
    expect(got.lock.locked()).toBe(true);
    lock.release();
    got.arr[0] = 5;
    expect((d.get('x') as { arr: SharedArray<'i'> }).arr[0]).toBe(5);
  });

  test('full: ERR_FULL_STORAGE and nothing changed — a value too large ever, a full arena, a replace that does not fit', () => {
    const d = new SharedDict({ bytes: 1024 });
    expect(d.bytes).toBe(1024);
    expect(thrown(() => d.set('big', 'x'.repeat(2_000))).code).toBe('ERR_FULL_STORAGE');
    let n = 0;
    let err: { code?: string } | undefined;
    for (; n < 1_000; n++) {
      try {
        d.set(`k${n}`, n);
      } catch (e) {
        err = e as { code?: string };
        break;
      }
    }
    expect(err?.code).toBe('ERR_FULL_STORAGE');
    expect(n).toBeGreaterThan(10);
    const before = d.entries();
    expect(thrown(() => d.set('another', 1)).code).toBe('ERR_FULL_STORAGE');
    expect(thrown(() => d.set('k0', 'a much longer value than the number it replaces: '.repeat(3))).code).toBe('ERR_FULL_STORAGE');
    expect(thrown(() => d.update('k1', () => 'another much longer value than a number: '.repeat(3))).code).toBe('ERR_FULL_STORAGE');
    expect(d.entries()).toEqual(before);
    expect(d.get('another')).toBeUndefined();
    // A replace of the same size still fits in a full dict (through compaction).
    d.set('k0', -1);
    expect(d.get('k0')).toBe(-1);
  });

  test('deletes free their space: fill, delete all, fill again — many rounds, through compaction', () => {
    const d = new SharedDict({ bytes: 2048 });
    const fill = (round: number): number => {
      let n = 0;
      for (;; n++) {
        try {
          // Keys of one length whatever the round: every round's entries are the same size.
          d.set(`r${String(round).padStart(2, '0')}-${n}`, { round, n });
        } catch (e) {
          expect((e as { code?: string }).code).toBe('ERR_FULL_STORAGE');
          return n;
        }
      }
    };
    const first = fill(0);
    for (let round = 1; round < 30; round++) {
      for (const k of d.keys()) d.delete(k);
      expect(d.size).toBe(0);
      expect(fill(round)).toBe(first);
      expect(d.get(`r${String(round).padStart(2, '0')}-0`)).toEqual({ round, n: 0 });
    }
  });

  test('random operations against a Map (small dict: compaction and tombstones all the time)', () => {
    const d = new SharedDict<string | number>({ bytes: 4096 });
    const model = new Map<string, string | number>();
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let step = 0; step < 20_000; step++) {
      const k = `key${rnd(60)}`;
      const op = rnd(10);
      if (op < 5) {
        const v = rnd(2) === 0 ? rnd(1000) : 'v'.repeat(rnd(40));
        try {
          d.set(k, v);
          model.set(k, v);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('ERR_FULL_STORAGE');
        }
      } else if (op < 8) {
        expect(d.delete(k)).toBe(model.delete(k));
      } else if (op < 9) {
        expect(d.get(k)).toBe(model.get(k));
      } else if (rnd(100) === 0) {
        d.clear();
        model.clear();
      }
      // Same entries in the same order: insertion order, a replaced key keeping its place.
      if (step % 500 === 0) expect(d.entries()).toEqual([...model]);
    }
    expect(d.entries()).toEqual([...model]);
    expect(d.size).toBe(model.size);
  });

  test('bad inputs: TypeError / RangeError, nothing changed', () => {
    const d = new SharedDict();
    d.set('a', 1);
    expect(thrown(() => d.set(unchecked(1), 1)).name).toBe('TypeError');
    expect(thrown(() => d.get(unchecked(undefined))).name).toBe('TypeError');
    expect(thrown(() => d.update('a', unchecked('not a function'))).name).toBe('TypeError');
    expect(thrown(() => d.set('f', unchecked(() => 1))).code).toBe('ERR_UNSERIALIZABLE');
    expect(thrown(() => d.update('a', unchecked(() => Symbol('s')))).code).toBe('ERR_UNSERIALIZABLE');
    expect(d.entries()).toEqual([['a', 1]]);
    expect(thrown(() => new SharedDict({ bytes: 10 })).name).toBe('RangeError');
    expect(thrown(() => new SharedDict({ bytes: unchecked('1k') })).name).toBe('TypeError');
    expect(thrown(() => new SharedDict(unchecked(5))).name).toBe('TypeError');
    expect(thrown(() => SharedDict.from(unchecked(new SharedList().handle))).name).toBe('TypeError');
  });

  test('placement, and from / revive / queue items attach to the same dict', () => {
    const size = SharedDict.byteLength({ bytes: 512 });
    const buffer = new SharedArrayBuffer(size + 8);
    const d = new SharedDict({ bytes: 512, buffer, byteOffset: 8 });
    d.set('a', 1);
    SharedDict.from(d.handle).set('b', 2);
    (revive(d.handle) as SharedDict).set('c', 3);
    const q = new Queue();
    q.put({ d });
    (q.get() as { d: SharedDict }).d.set('e', 4);
    expect(new Map(d.entries())).toEqual(new Map([['a', 1], ['b', 2], ['c', 3], ['e', 4]]));
  });
});

// -------------------------------------------------------------------------------------------------
describe('SharedList', () => {
  test('append / get / set / pop(i?) / length / iteration, negative indexes as in Python', () => {
    const l = new SharedList<unknown>();
    expect(l.length).toBe(0);
    l.append(1);
    l.append('two');
    l.append({ three: [3] });
    expect(l.length).toBe(3);
    expect([...l]).toEqual([1, 'two', { three: [3] }]);
    expect(l.get(0)).toBe(1);
    expect(l.get(-1)).toEqual({ three: [3] });
    l.set(-2, 'TWO');
    expect(l.toArray()).toEqual([1, 'TWO', { three: [3] }]);
    expect(l.pop()).toEqual({ three: [3] });
    expect(l.pop(0)).toBe(1);
    expect(l.toArray()).toEqual(['TWO']);
    l.append(4);
    l.append(5);
    expect(l.pop(1)).toBe(4);
    expect(l.toArray()).toEqual(['TWO', 5]);
    l.clear();
    expect(l.length).toBe(0);
  });

  test('index errors: RangeError, nothing changed', () => {
    const l = new SharedList();
    expect(thrown(() => l.pop()).name).toBe('RangeError');
    l.append('a');
    expect(thrown(() => l.get(1)).name).toBe('RangeError');
    expect(thrown(() => l.get(-2)).name).toBe('RangeError');
    expect(thrown(() => l.set(5, 1)).name).toBe('RangeError');
    expect(thrown(() => l.get(0.5)).name).toBe('RangeError');
    expect(thrown(() => l.get(unchecked('0'))).name).toBe('TypeError');
    expect(thrown(() => l.append(unchecked(Symbol('x')))).code).toBe('ERR_UNSERIALIZABLE');
    expect(l.toArray()).toEqual(['a']);
    expect(thrown(() => new SharedList({ bytes: -1 })).name).toBe('RangeError');
  });

  test('full: ERR_FULL_STORAGE and unchanged; pops and sets free space, through compaction', () => {
    const l = new SharedList<number | string>({ bytes: 512 });
    let n = 0;
    for (;; n++) {
      try {
        l.append(n);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ERR_FULL_STORAGE');
        break;
      }
    }
    const before = l.toArray();
    expect(thrown(() => l.append(0)).code).toBe('ERR_FULL_STORAGE');
    expect(thrown(() => l.set(0, 'longer than a number, by far: it cannot fit')).code).toBe('ERR_FULL_STORAGE');
    expect(thrown(() => l.append('x'.repeat(600))).code).toBe('ERR_FULL_STORAGE');
    expect(l.toArray()).toEqual(before);
    for (let round = 0; round < 200; round++) {
      expect(l.pop(round % l.length)).toBeTypeOf('number');
      l.append(1_000 + round);
      l.set(round % l.length, round);
    }
    expect(l.length).toBe(n);
  });

  test('random operations against an array (small list: compaction all the time)', () => {
    const l = new SharedList<number | string>({ bytes: 2048 });
    const model: (number | string)[] = [];
    let seed = 777;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let step = 0; step < 20_000; step++) {
      const op = rnd(10);
      const v = rnd(2) === 0 ? rnd(1000) : 's'.repeat(rnd(30));
      try {
        if (op < 4) {
          l.append(v);
          model.push(v);
        } else if (op < 7 && model.length > 0) {
          const i = rnd(model.length);
          expect(l.pop(i)).toBe(model.splice(i, 1)[0]);
        } else if (op < 9 && model.length > 0) {
          const i = rnd(model.length);
          l.set(i, v);
          model[i] = v;
        } else if (model.length > 0) {
          expect(l.get(-1)).toBe(model.at(-1));
        }
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ERR_FULL_STORAGE');
      }
      if (step % 500 === 0) expect(l.toArray()).toEqual(model);
    }
    expect(l.toArray()).toEqual(model);
  });
});

// -------------------------------------------------------------------------------------------------
test('console.log shows the contents (util.inspect), not an empty object', () => {
  const d = new SharedDict();
  d.set('a', 1);
  d.set('b', { x: [1, 2] });
  const l = new SharedList();
  l.append('x');
  l.append(new Map([[1, 2]]));
  expect(inspect(d)).toBe("SharedDict { 'a' => 1, 'b' => { x: [ 1, 2 ] } }");
  expect(inspect(new SharedDict())).toBe('SharedDict {}');
  expect(inspect(l)).toBe("SharedList [ 'x', Map(1) { 1 => 2 } ]");
  expect(inspect(new Value('i', 5))).toBe("Value('i', 5)");
  expect(inspect(new Value('q', 5n))).toBe("Value('q', 5n)");
});

describe('many threads', () => {
  test('SharedDict: 4 workers × 10,000 update(k, n => n + 1) over 3 keys: exact totals', async () => {
    const d = new SharedDict<number>();
    const keys = ['a', 'b', 'c'];
    await runMany(4, FILE, 'dictUpdates', { handle: d.handle, keys, n: 10_000 }, 60_000);
    for (const k of keys) expect(d.get(k)).toBe(40_000);
  });

  test('SharedDict: the same read-then-write inside hold() is exact; without it, only reported', async () => {
    const d = new SharedDict<number>();
    await runMany(4, FILE, 'dictHeld', { handle: d.handle, key: 'held', n: 5_000 }, 60_000);
    expect(d.get('held')).toBe(20_000);
    await runMany(4, FILE, 'dictUnsafe', { handle: d.handle, key: 'bare', n: 5_000 }, 60_000);
    console.log(`SharedDict: 4 × 5,000 bare get-then-set increments gave ${d.get('bare')} (lost: ${20_000 - d.get('bare')!})`);
  });

  test('lock-step twin (deterministic): bare get-then-set loses one update per round, update() none', async () => {
    const rounds = 200;
    const d = new SharedDict<number>();
    d.set('bare', 0);
    d.set('safe', 0);
    const b1 = new Barrier(2);
    await runMany(2, FILE, 'dictLockstep', { handle: d.handle, barrier: b1.handle, key: 'bare', rounds, safe: false }, 60_000);
    expect(d.get('bare')).toBe(rounds);
    const b2 = new Barrier(2);
    await runMany(2, FILE, 'dictLockstep', { handle: d.handle, barrier: b2.handle, key: 'safe', rounds, safe: true }, 60_000);
    expect(d.get('safe')).toBe(2 * rounds);
  });

  test('SharedList: 4 workers × 2,000 appends while 2 pop from the front: every item exactly once', async () => {
    const l = new SharedList<{ w: number; i: number }>();
    const ctl = new SharedArrayBuffer(8);
    const n = 2_000;
    const popped = 1_500;
    const poppers = [0, 1].map((index) => start<{ w: number; i: number }[]>(FILE, 'listPops', { handle: l.handle, ctl, total: popped }, { index, timeout: 60_000 }));
    await runMany(4, FILE, 'listAppends', { handle: l.handle, n }, 60_000);
    const got = (await Promise.all(poppers.map((p) => p.result))).flat();
    const all = [...got, ...l.toArray()];
    expect(got.length).toBe(popped);
    expect(all.length).toBe(4 * n);
    expect(new Set(all.map(({ w, i }) => w * n + i)).size).toBe(4 * n);
    // Each worker's items keep their order in the list.
    for (let w = 0; w < 4; w++) {
      const mine = l.toArray().filter((x) => x.w === w).map((x) => x.i);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  test('Value: 4 workers × 20,000 `value += 1` under getLock() is exact; without the lock, only reported', async () => {
    const v = new Value('i', 0);
    await runMany(4, FILE, 'valueIncrements', { handle: v.handle, n: 20_000, locked: true }, 60_000);
    expect(v.value).toBe(80_000);
    const bare = new Value('i', 0);
    await runMany(4, FILE, 'valueIncrements', { handle: bare.handle, n: 20_000, locked: false }, 60_000);
    console.log(`Value: 4 × 20,000 bare increments gave ${bare.value} (lost: ${80_000 - bare.value})`);
    expect(bare.value).toBeLessThanOrEqual(80_000);
  });

  test('Value lock-step twin (deterministic): bare read-then-write loses one per round; with the lock, none', async () => {
    const rounds = 200;
    const bare = new Value('i', 0);
    await runMany(2, FILE, 'valueLockstep', { handle: bare.handle, barrier: new Barrier(2).handle, rounds, locked: false }, 60_000);
    expect(bare.value).toBe(rounds);
    const safe = new Value('i', 0);
    await runMany(2, FILE, 'valueLockstep', { handle: safe.handle, barrier: new Barrier(2).handle, rounds, locked: true }, 60_000);
    expect(safe.value).toBe(2 * rounds);
  });

  test('values cross live: a worker writes through a buffer, Lock and Value read from the dict, and stores a buffer of its own', async () => {
    const d = new SharedDict();
    const buf = new SharedArrayBuffer(8);
    const lock = new Lock();
    const value = new Value('i', 0);
    d.set('live', { buf, lock, value });
    lock.acquire();
    const locked = await start<boolean>(FILE, 'liveValues', { handle: d.handle }).result;
    lock.release();
    expect(locked).toBe(true);
    expect(new Int32Array(buf)[0]).toBe(42);
    expect(value.value).toBe(7);
    const { mine } = d.get('fromWorker') as { mine: SharedArrayBuffer };
    expect(new Int32Array(mine)[1]).toBe(99);
  });

  test('containers arrive live as task arguments (Executor)', async () => {
    const ex = new Executor(new URL('./fixtures/shared-tasks.mjs', import.meta.url), { maxWorkers: 2 });
    try {
      const d = new SharedDict<number>();
      const l = new SharedList<number>();
      const v = new Value('d', 0.5);
      const arr = new SharedArray('i', 3);
      await Promise.all([0, 1, 2, 3].map((i) => ex.submit('touch', { d, l, v, arr }, i).result()));
      expect(d.get('count')).toBe(4);
      expect(l.toArray().sort()).toEqual([0, 1, 2, 3]);
      expect(v.value).toBe(4.5);
      expect([...arr]).toEqual([4, 4, 4]);
    } finally {
      await ex.shutdown();
    }
  });
});

// -------------------------------------------------------------------------------------------------
describe('a writer terminated in the middle of a write (or holding the lock) wedges nobody', () => {
  /**
   * Start `op` in a worker that stops for good after its `after`-th logged store; terminate it
   * there, mark it dead, and return whether it stopped (false: the op has fewer stores).
   */
  async function killAt(handle: unknown, op: string, after: number, extra: Record<string, unknown> = {}): Promise<boolean> {
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const run = start(FILE, 'dieMidWrite', { handle, op, after, ctl: ctl.buffer, ...extra }, { timeout: 30_000 });
    await waitUntil(() => Atomics.load(ctl, 0) !== 0, 20_000, `${op} to reach store ${after}`);
    if (Atomics.load(ctl, 0) === 2) {
      await run.result;
      return false;
    }
    const id = sabsyncIdOf(run.worker.threadId);
    await run.worker.terminate();
    markDead(id);
    return true;
  }

  /** A small full-ish dict whose next set of `key` compacts (deleted entries left behind). */
  function crowdedDict(): SharedDict<unknown> {
    const d = new SharedDict<unknown>({ bytes: 1024 });
    for (let i = 0; i < 40; i++) {
      try {
        d.set(`k${i}`, i);
      } catch {
        break;
      }
    }
    for (let i = 0; i < 6; i++) d.delete(`k${i}`);
    return d;
  }

  const dictOps: [string, Record<string, unknown>][] = [
    ['dictSet', { key: 'k10', value: 'a longer value: this set compacts first' }],
    ['dictSet', { key: 'new', value: 'x'.repeat(40) }],
    ['dictUpdate', { key: 'k7', value: { replaced: true } }],
    ['dictDelete', { key: 'k9' }],
    ['dictClear', {}],
  ];
  test.each(dictOps)('SharedDict %s %j: killed after each of its stores, the next caller sees the dict as it was', async (op, extra) => {
    let stopped = 0;
    for (let after = 1; ; after++) {
      const d = crowdedDict();
      const before = d.entries();
      if (!(await killAt(d.handle, op, after, extra))) break;
      stopped++;
      // The next caller takes the lock over and rolls the half-done write back.
      expect(d.entries()).toEqual(before);
      expect(d.size).toBe(before.length);
      d.set('after', 1);
      expect(d.get('after')).toBe(1);
      d.delete('after');
      expect(d.entries()).toEqual(before);
    }
    expect(stopped).toBeGreaterThan(0);
  }, 120_000);

  const listOps: [string, Record<string, unknown>][] = [
    ['listAppend', { value: 'appended, after compaction: '.repeat(3) }],
    ['listPop0', {}],
    ['listSet', { value: 'a longer first element than it was' }],
  ];
  test.each(listOps)('SharedList %s: killed after each of its stores, the next caller sees the list as it was', async (op, extra) => {
    let stopped = 0;
    for (let after = 1; ; after++) {
      const l = new SharedList<unknown>({ bytes: 512 });
      for (let i = 0; i < 12; i++) l.append(`item ${i}`);
      for (let i = 0; i < 4; i++) l.pop(1);
      const before = l.toArray();
      if (!(await killAt(l.handle, op, after, extra))) break;
      stopped++;
      expect(l.toArray()).toEqual(before);
      l.append('after');
      expect(l.pop()).toBe('after');
    }
    expect(stopped).toBeGreaterThan(0);
  }, 120_000);

  test.each([
    ['SharedDict', () => new SharedDict()],
    ['SharedList', () => new SharedList()],
  ] as const)('%s: a worker terminated inside hold() — the next call takes the lock over', async (_, make) => {
    const c = make();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const run = start(FILE, 'holdForever', { handle: c.handle, ctl: ctl.buffer }, { timeout: 30_000 });
    await waitUntil(() => Atomics.load(ctl, 0) === 1, 20_000, 'the worker to hold the lock');
    expect(() => c.hold(0)).toThrow(expect.objectContaining({ code: 'ERR_TIMEOUT' }));
    const id = sabsyncIdOf(run.worker.threadId);
    await run.worker.terminate();
    markDead(id);
    if (c instanceof SharedDict) {
      c.set('k', 1);
      expect(c.get('k')).toBe(1);
    } else {
      c.append(1);
      expect(c.toArray()).toEqual([1]);
    }
  });

  test('the store hook is off by default (a white-box guard for the tests above)', () => {
    setAfterStore(undefined);
    const d = new SharedDict();
    d.set('a', 1);
    expect(d.get('a')).toBe(1);
  });
});
