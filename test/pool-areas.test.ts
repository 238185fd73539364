// The task path: a task whose arguments are numbers or a small plain list is written into its
// slot's area and announced on the task Queue by one number; any other (too large, holding
// SharedArrayBuffers or primitives, or submitted before a worker reported the module's exports)
// goes on the Queue as an item. Either way each task runs once, with its own arguments, even when
// workers die between taking a task and claiming it.
import { describe, expect, it } from 'vitest';
import { Executor, Future, Lock } from 'sabsync';
import { killWhile, onceOrCrashed, settledWithin } from './helpers/pool.js';

const tasks = new URL('./fixtures/pool-areas.mjs', import.meta.url);

describe('tasks in their slot areas and on the task Queue', () => {
  it('numbers of every kind and count arrive as they were, around the area\'s room', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    await ex.submit('echoArgs'); // the exports are known from here on: tasks go in their areas
    const special = [0, -0, 1.5, NaN, Infinity, -Infinity, -1e308, 2 ** 53, -(2 ** 31), 2 ** 31, 5e-324];
    expect(await ex.submit('echoArgs', ...special)).toEqual(special);
    expect(Object.is((await ex.submit<number[]>('echoArgs', -0, 0))[0], -0)).toBe(true);
    for (let n = 0; n <= 34; n++) {
      const args = Array.from({ length: n }, (_, i) => i * 1.25 - 3);
      expect(await ex.submit('echoArgs', ...args)).toEqual(args);
    }
  });

  it('plain argument lists of every size arrive intact, around the area\'s room', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    await ex.submit('echoArgs');
    for (let n = 180; n <= 260; n++) {
      const args = ['y'.repeat(n), n];
      expect(await ex.submit('echoArgs', ...args)).toEqual(args);
    }
    const values: unknown[] = [undefined, null, true, '', 'é😀', [1, 'a'], { a: { b: [null] } }, new Date(5), 10n, 'x'.repeat(5000)];
    expect(await ex.submit('echoArgs', ...values)).toEqual(values);
    const lock = new Lock();
    const [back] = await ex.submit<[Lock]>('echoArgs', lock); // a primitive: on the Queue, live
    expect(back).toBeInstanceOf(Lock);
  });

  it('a task of one argument (kept alone until its bind, not in a list) gets exactly that argument', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    expect(await ex.submit('echoArgs', [1, 2])).toEqual([[1, 2]]); // before the exports are known: an item
    expect(await ex.submit('echoArgs', [1, 2])).toEqual([[1, 2]]); // in its area: a list stays one argument
    const one = await ex.submit<unknown[]>('echoArgs', undefined);
    expect(one).toHaveLength(1);
    expect(one[0]).toBeUndefined();
    expect(await ex.submit('echoArgs')).toEqual([]);
    expect(await ex.submit('echoArgs', 7, 8)).toEqual([7, 8]);
    const large = 'z'.repeat(100_000); // too large for the area: an item
    expect(await ex.submit('echoArgs', large)).toEqual([large]);
    const lock = new Lock(); // a primitive: an item, live
    const [back] = await ex.submit<[Lock]>('echoArgs', lock);
    expect(back).toBeInstanceOf(Lock);
    const all = await Promise.all(Array.from({ length: 2000 }, (_, i) => ex.submit<number[]>('echoArgs', i)));
    expect(all.every((args, i) => args.length === 1 && args[0] === i)).toBe(true);
  });

  it('tasks submitted before any worker started, and chunks of a map, arrive intact', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 2 });
    const early = Array.from({ length: 40 }, (_, i) => ex.submit('echoArgs', i, `t${i}`));
    expect(await Promise.all(early)).toEqual(Array.from({ length: 40 }, (_, i) => [i, `t${i}`]));
    const mapped: unknown[] = [];
    for await (const r of ex.map('echoArgs', Array.from({ length: 100 }, (_, i) => i), { chunksize: 7 })) mapped.push(r);
    expect(mapped).toEqual(Array.from({ length: 100 }, (_, i) => [i]));
  });

  it('an integer argument in the area reaches the task as a number', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    await ex.submit('echoArgs');
    expect(await ex.submit('kinds', 25, 2.5, -0)).toEqual(['number', 'number', 'number']);
  });

  it('under random kills, tasks in areas and on the Queue each run exactly once or fail as crashed', async () => {
    for (let round = 0; round < 3; round++) {
      const total = 900;
      const counts = new Int32Array(new SharedArrayBuffer(4 * total));
      const ex = new Executor(tasks, { maxWorkers: 2, initializer: 'init', initArgs: [counts.buffer] });
      const futures: Future<unknown>[] = [];
      let producing = true;
      const producer = async () => {
        for (let i = 0; i < total; i++) {
          // Numbers (in the area), a short string (encoded in the area), a long one (an item).
          const pad = i % 3 === 0 ? undefined : i % 3 === 1 ? 'short' : 'x'.repeat(400);
          futures.push(pad === undefined ? ex.submit('mark', i) : ex.submit('mark', i, pad));
          if (i % 25 === 0) await new Promise((r) => setImmediate(r));
        }
        producing = false;
      };
      const [, kills] = await Promise.all([producer(), killWhile(ex, () => producing, 10)]);
      await settledWithin(futures, 20_000);
      const crashed = await onceOrCrashed(futures, counts, (i) => i);
      expect(crashed).toBeLessThanOrEqual(kills);
      await ex.shutdown();
    }
  }, 60_000);
});
