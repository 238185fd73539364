// Each task's arguments are encoded once on the pool's owner (src/pool/items.ts). A list that
// is small at the top level and large further down is encoded by the check whether it fits the
// slot's area (`writeTask`), which keeps that encoding for the task item (`itemArgs`); the worker
// decodes it (`argsOf`). Seen from outside: a getter in the arguments is read once per task, as
// structured clone reads it, and the task gets the value of that one read. Encoded twice (once
// for the check, again inside the item), the getter ran twice and the task got the second read.
import { describe, expect, it } from 'vitest';
import { Executor, Future, Queue } from 'sabsync';
import { killWhile, onceOrCrashed, settledWithin } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-items.mjs', import.meta.url);

/** An object with `pad` characters of padding and a getter `n` that counts its reads (and returns that count). */
function counted(pad: number): { box: { pad: string; readonly n: number }; reads: () => number } {
  let reads = 0;
  const box = {
    pad: 'x'.repeat(pad),
    get n() {
      return ++reads;
    },
  };
  return { box, reads: () => reads };
}

/**
 * An Executor of `tasks` once a worker reported the module's exports: tasks then name their
 * export by index and go through the area's check (before, every task is an item). Seen from
 * outside by a submit of a name the module lacks, refused at once from that report on (a task's
 * result may come before it: it is a message of its own).
 */
async function ready(): Promise<Executor> {
  const ex = new Executor(tasks, { maxWorkers: 2 });
  await ex.submit('echoArgs');
  await waitUntil(() => ex.submit('noSuchExport').done(), 10_000, "the workers' report of the exports");
  return ex;
}

describe("a task's arguments are encoded once on the owner", () => {
  it('the getter counts every encode: a Queue put twice reads it twice', () => {
    const { box, reads } = counted(1000);
    const q = new Queue<unknown>();
    q.put([box]);
    q.put([box]);
    expect(reads()).toBe(2);
    expect(q.get(0)).toEqual([{ pad: box.pad, n: 1 }]);
  });

  it('arguments small at the top and large further down: read once, and the task gets that read', async () => {
    await using ex = await ready();
    // One object holding a long string; an array holding a long array; an object deep in arrays.
    const a = counted(1000);
    expect(await ex.submit('echoArgs', a.box)).toEqual([{ pad: a.box.pad, n: 1 }]);
    expect(a.reads()).toBe(1);
    const b = counted(0);
    const long = Array.from({ length: 200 }, (_, i) => i);
    expect(await ex.submit('echoArgs', [long, b.box])).toEqual([[long, { pad: '', n: 1 }]]);
    expect(b.reads()).toBe(1);
    const c = counted(300);
    expect(await ex.submit('echoArgs', 5, [[[c.box]]])).toEqual([5, [[[{ pad: c.box.pad, n: 1 }]]]]);
    expect(c.reads()).toBe(1);
  });

  it('every other way a task goes reads its arguments once too: in the area, large at the top, before the exports are known, chunks of a map', async () => {
    {
      // Before any worker reported the exports (submitted with the pool): an item, encoded by its put alone.
      await using ex = new Executor(tasks, { maxWorkers: 2 });
      const early = counted(1000);
      expect(await ex.submit('echoArgs', early.box)).toEqual([{ pad: early.box.pad, n: 1 }]);
      expect(early.reads()).toBe(1);
    }
    await using ex = await ready();
    // Small enough for the area.
    const small = counted(10);
    expect(await ex.submit('echoArgs', small.box)).toEqual([{ pad: small.box.pad, n: 1 }]);
    expect(small.reads()).toBe(1);
    // Surely too large from the top level (a long string): never encoded for the area.
    const top = counted(0);
    const s = 'y'.repeat(1000);
    expect(await ex.submit('echoArgs', s, top.box)).toEqual([s, { pad: '', n: 1 }]);
    expect(top.reads()).toBe(1);
    // Chunks of a map: each chunk's list is small at the top (one list of items) and large inside.
    const items = Array.from({ length: 100 }, () => counted(40));
    const mapped: unknown[] = [];
    for await (const r of ex.map('echoArgs', items.map((x) => x.box), { chunksize: 20 })) mapped.push(r);
    expect(mapped).toEqual(items.map((x) => [{ pad: x.box.pad, n: 1 }]));
    expect(items.map((x) => x.reads())).toEqual(items.map(() => 1));
  });

  it('values of every kind arrive intact in the encoding kept for the item; shared memory inside still arrives live', async () => {
    await using ex = await ready();
    const value = {
      s: 'é😀 '.repeat(60),
      numbers: [0, -0, 1.5, NaN, Infinity, -(2 ** 31), 2 ** 53, 5e-324],
      nested: { a: [null, undefined, true, false, ''], d: new Date(5), big: 10n, re: /a+b/gi },
      map: new Map<unknown, unknown>([
        ['k', 1],
        [2, { v: [3] }],
      ]),
      set: new Set(['x', 4]),
      bytes: new Uint8Array([1, 2, 3, 250]),
      f64: new Float64Array([1.25, -0]),
      sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
    };
    const [back] = await ex.submit<[typeof value]>('echoArgs', value);
    expect(back).toEqual(value);
    expect(Object.is(back.numbers[1], -0)).toBe(true);
    expect(1 in back.sparse).toBe(false);
    // A SharedArrayBuffer inside: the item carries the list (the Queue carries the buffer).
    const sab = new SharedArrayBuffer(8);
    expect(await ex.submit('writeInto', { pad: 'z'.repeat(1000), sab })).toBe(1000);
    expect(new Int32Array(sab)[0]).toBe(7);
  });

  it('under random kills, tasks with arguments large further down each run exactly once or fail as crashed', async () => {
    // A worker killed after it took an item: its task is put again, encoded by that put.
    const total = 600;
    const counts = new Int32Array(new SharedArrayBuffer(4 * total));
    const ex = new Executor(tasks, { maxWorkers: 2, initializer: 'init', initArgs: [counts.buffer] });
    const futures: Future<unknown>[] = [];
    let producing = true;
    const producer = async () => {
      for (let i = 0; i < total; i++) {
        futures.push(ex.submit('mark', i, { pad: 'p'.repeat(400) }));
        if (i % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      producing = false;
    };
    const [, kills] = await Promise.all([producer(), killWhile(ex, () => producing, 10)]);
    await settledWithin(futures, 20_000);
    const crashed = await onceOrCrashed(futures, counts, (i) => i);
    expect(crashed).toBeLessThanOrEqual(kills);
    await ex.shutdown();
  }, 60_000);
});
