// The codec trusts nothing in an item: a getter that puts during encoding, user keys that look
// like its internal markers, nesting deeper than a stack, extra properties on arrays. Each item
// comes out as structured clone would give it, or the call throws a coded error and the queue
// is as it was.
import { describe, expect, it } from 'vitest';
import { Lock, Queue } from 'sabsync';
import { start, thrown } from './helpers/workers.js';

const F = 'codec-trust.mjs';
const MARK = '\u0000sabsync';

describe('codec: a getter that puts during encoding (re-entrancy)', () => {
  it('into the same queue: both items arrive whole, the inner one first', () => {
    const q = new Queue();
    q.put({
      a: 'outer',
      get b() {
        q.put({ inner: [1, 2, 3] });
        return 2;
      },
    });
    expect(q.qsize()).toBe(2);
    expect(q.get(0)).toEqual({ inner: [1, 2, 3] });
    expect(q.get(0)).toEqual({ a: 'outer', b: 2 });
  });

  it('into another queue: neither item is corrupted', () => {
    const q = new Queue();
    const other = new Queue();
    const long = 'y'.repeat(5_000); // grows the inner item's scratch memory
    q.put({
      a: 'x'.repeat(100),
      get b() {
        other.put({ z: [1, 2, 3], long });
        return 'after';
      },
      c: [4, 5],
    });
    expect(q.get(0)).toEqual({ a: 'x'.repeat(100), b: 'after', c: [4, 5] });
    expect(other.get(0)).toEqual({ z: [1, 2, 3], long });
  });

  it('on the Date and shared paths too, and nested twice', () => {
    const q = new Queue();
    const other = new Queue();
    const lock = new Lock();
    const item = {
      when: new Date(5),
      lock,
      get b() {
        other.put({
          get c() {
            other.put('innermost');
            return new Map([[1, 'inner']]);
          },
        });
        return 'b';
      },
    };
    q.put(item);
    const got = q.get(0) as { when: Date; lock: Lock; b: string };
    expect(got.when).toEqual(new Date(5));
    expect(got.lock).toBeInstanceOf(Lock);
    expect(got.b).toBe('b');
    // Every inner put delivered a whole item (a getter runs once per walk of the item).
    const inner: unknown[] = [];
    while (!other.empty()) inner.push(other.get(0));
    expect(inner.length).toBeGreaterThan(0);
    for (const x of inner) expect([{ c: new Map([[1, 'inner']]) }, 'innermost']).toContainEqual(x);
  });
});

describe("codec: user keys that look like the codec's markers", () => {
  it('an object keyed "\\u0000sabsync" naming a Lock\'s memory comes back as the same plain data, not a Lock', () => {
    const q = new Queue();
    const target = new Lock();
    const { buffer, byteOffset } = target.handle as { buffer: SharedArrayBuffer; byteOffset: number };
    const forged = { [MARK]: { h: { type: 'sabsync:Lock', buffer, byteOffset } } };
    // A Lock in the same item puts it on the path that swaps markers.
    q.put({ lock: new Lock(), forged, list: [forged, { [MARK]: { b: 'x.1' } }] });
    const got = q.get(0) as { lock: Lock; forged: unknown; list: unknown[] };
    expect(got.lock).toBeInstanceOf(Lock);
    expect(got.forged).not.toBeInstanceOf(Lock);
    expect(got.forged).toEqual(forged);
    expect((got.forged as typeof forged)[MARK].h.buffer).toBe(buffer); // still shared
    expect(got.list[0]).toBe(got.forged); // a shared reference stays one object
    expect(got.list[1]).toEqual({ [MARK]: { b: 'x.1' } });
  });

  it('a plain object holding a handle stays a plain object', () => {
    const q = new Queue();
    const lock = new Lock();
    q.put({ holder: { handle: lock.handle } });
    const got = q.get(0) as { holder: { handle: { buffer: unknown } } };
    expect(got.holder).not.toBeInstanceOf(Lock);
    expect(got.holder.handle.buffer).toBe(lock.handle.buffer);
  });

  it('a cycle through an escaped object survives', () => {
    const q = new Queue();
    const o: Record<string, unknown> = { [MARK]: 1, sab: new SharedArrayBuffer(8) };
    o.self = o;
    q.put(o);
    const got = q.get(0) as Record<string, unknown>;
    expect(got.self).toBe(got);
    expect(got[MARK]).toBe(1);
    expect(got.sab).toBe(o.sab);
  });
});

describe('codec: nesting deeper than a stack', () => {
  it('an item too deep for this thread: get throws ERR_UNSERIALIZABLE and leaves it for a thread that can', async () => {
    const q = new Queue();
    expect(await start(F, 'putDeep', { handle: q.handle, depth: 6_000 }).result).toBe(6_000);
    expect(q.qsize()).toBe(1);
    expect(thrown(() => q.get(0))).toEqual({ name: 'SabsyncError', code: 'ERR_UNSERIALIZABLE' });
    await expect(q.getAsync(0)).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(q.qsize()).toBe(1);
    expect(await start(F, 'getDepth', { handle: q.handle }).result).toBe(6_000);
    expect(q.qsize()).toBe(0);
  });

  it('putting a value too deep for this thread is ERR_UNSERIALIZABLE and changes nothing', () => {
    const q = new Queue();
    let deep: unknown[] = [new Date(0)];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(thrown(() => q.put(deep))).toEqual({ name: 'SabsyncError', code: 'ERR_UNSERIALIZABLE' });
    expect(q.qsize()).toBe(0);
    q.put('after');
    expect(q.get(0)).toBe('after');
  });
});

describe('codec: arrays as structured clone keeps them', () => {
  it.each([
    ['extra properties', Object.assign([1, 2], { extra: 1 })],
    ['extra properties on a nested array', { list: Object.assign(['a'], { note: { deep: true } }) }],
    ['holes and extra properties together', Object.assign([1, , 3], { x: 'y' })], // eslint-disable-line no-sparse-arrays
    ['an own __proto__ key on an array', Object.defineProperty([1], '__proto__', { value: 2, enumerable: true })],
  ])('%s', (_, value) => {
    const q = new Queue();
    q.put(value);
    const got = q.get(0);
    expect(got).toStrictEqual(structuredClone(value));
    expect(Object.keys(got as object)).toEqual(Object.keys(structuredClone(value)));
  });

  it('with shared buffers inside: holes stay holes, extra properties stay', () => {
    const q = new Queue();
    const sab = new SharedArrayBuffer(8);
    const value = Object.assign([sab, , 3], { extra: sab, view: new Int32Array(sab) }); // eslint-disable-line no-sparse-arrays
    q.put(value);
    const got = q.get(0) as unknown[] & { extra: SharedArrayBuffer; view: Int32Array };
    expect(got.length).toBe(3);
    expect(1 in got).toBe(false);
    expect(got[0]).toBe(sab);
    expect(got.extra).toBe(sab);
    expect(got.view.buffer).toBe(sab);
  });
});
