// The owner's settle path with many results at once: results taken out of their slots, the slots
// fed again, then the futures settled (engine.ts #collect), and results taken inside a long run
// of submit() calls, which settles nothing (#takeEarly). A task whose result was taken is done
// running: nothing can cancel it any more, an abort still makes it reject with the reason (as
// for a result not read yet), and its future settles only from the pump.
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, type Future } from 'sabsync';

const tasks = new URL('./fixtures/pool-control.mjs', import.meta.url);
const open: Executor[] = [];
function executor(options: ConstructorParameters<typeof Executor>[1] = {}): Executor {
  const ex = new Executor(tasks, { maxWorkers: 2, ...options });
  open.push(ex);
  return ex;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.shutdown({ cancelFutures: true })));
});

describe('settling many results at once', () => {
  it('a done callback cancelling the next future: cancel() wins only for a task that never ran', async () => {
    const N = 3000;
    const ex = executor();
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const futures: Future<unknown>[] = [];
    const won: boolean[] = new Array<boolean>(N).fill(false);
    for (let i = 0; i < N; i++) futures.push(ex.submit('mark', counts, i));
    // Every third future cancels the next one once it is done: in a burst the next one is often
    // settled in the same batch, its result already taken (it ran), or still queued (it did not).
    for (let i = 0; i + 1 < N; i += 3) futures[i]!.addDoneCallback(() => (won[i + 1] = futures[i + 1]!.cancel()));
    const outcomes = await Promise.all(futures.map((f) => f.then(() => 'ok', (e: unknown) => (e as { name?: string }).name ?? 'error')));
    let ran = 0;
    let cancelled = 0;
    for (let i = 0; i < N; i++) {
      const f = futures[i]!;
      expect(counts[i], `task ${i} ran ${counts[i]} times`).toBeLessThanOrEqual(1);
      if (won[i]) {
        expect(f.cancelled()).toBe(true);
        expect(outcomes[i]).toBe('CancelledError');
      }
      if (f.cancelled()) {
        expect(counts[i], `task ${i} was cancelled after it ran`).toBe(0);
        cancelled++;
      } else {
        expect(outcomes[i], `task ${i}`).toBe('ok');
        expect(counts[i]).toBe(1);
        ran++;
      }
    }
    expect(ran + cancelled).toBe(N);
    const stats = ex.stats();
    expect(stats.completed).toBe(ran);
    expect(stats.cancelled).toBe(cancelled);
    expect(stats.waitTime.count).toBe(ran);
    expect(stats.runTime.count).toBe(ran);
  }, 30_000);

  it('bursts of trivial tasks: every future settles with its own value, in rounds of any size', async () => {
    const ex = executor();
    for (const n of [1, 7, 511, 513, 2049, 20_000]) {
      const values = await Promise.all(Array.from({ length: n }, (_, i) => ex.submit('add', i, 0)));
      expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(ex.stats()).toMatchObject({ completed: 1 + 7 + 511 + 513 + 2049 + 20_000, failed: 0, cancelled: 0, busy: 0, queued: 0 });
  }, 30_000);

  it('results taken during a run of submit() calls: nothing settles inside it; a task that ran cannot be cancelled, an abort still rejects it', async () => {
    const N = 4000;
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    // markInit(i) counts in `counts`, which the initializer keeps: its tasks go in their slots'
    // areas, announced by a number, which needs no turn of the event loop.
    const ex = executor({ minWorkers: 2, initializer: 'setUp', initArgs: [counts] });
    // Both workers started and the module's exports known.
    await Promise.all(Array.from({ length: 100 }, (_, i) => ex.submit('add', i, 1)));
    const ranSoFar = () => counts.reduce((a, b) => a + b, 0);
    const futures: Future<unknown>[] = [];
    let callbacks = 0;
    for (let i = 0; i < N; i++) {
      const f = ex.submit('markInit', i);
      f.addDoneCallback(() => callbacks++);
      futures.push(f);
      // Halfway, still inside this synchronous run, let the workers run a few hundred tasks.
      if (i === N / 2) {
        const deadline = performance.now() + 10_000;
        while (ranSoFar() < 300 && performance.now() < deadline);
        expect(ranSoFar()).toBeGreaterThanOrEqual(300);
      }
    }
    // Every task that ran by now has its result in its slot or taken by a submit: not settled.
    expect(futures.filter((f) => f.done())).toEqual([]);
    expect(callbacks).toBe(0);
    const ran = futures.map((_, i) => Atomics.load(counts, i) === 1);
    const reason = new Error('late abort');
    let tried = 0;
    for (let i = 0; i < N; i++) {
      if (!ran[i]) continue;
      expect(futures[i]!.cancel(), `task ${i} ran`).toBe(false);
      if (tried++ % 10 === 0) futures[i]!.abort(reason);
    }
    expect(tried).toBeGreaterThanOrEqual(300);
    const outcomes = await Promise.all(futures.map((f) => f.then((v) => v, (e: unknown) => e)));
    for (let i = 0; i < N; i++) {
      expect(counts[i], `task ${i}`).toBe(1);
      expect(futures[i]!.cancelled()).toBe(false);
    }
    let aborted = 0;
    for (let i = 0, k = 0; i < N; i++) {
      if (ran[i] && k++ % 10 === 0) {
        expect(outcomes[i], `task ${i} aborted after it ran`).toBe(reason);
        aborted++;
      } else expect(outcomes[i]).toBe(i);
    }
    expect(callbacks).toBe(N);
    expect(ex.stats()).toMatchObject({ completed: 100 + N - aborted, cancelled: aborted, failed: 0 });
  }, 30_000);

  it("tasks submitted before a worker reported the module's exports (so put as items) in one synchronous run: the workers run them meanwhile", () => {
    const N = 200;
    const counts = new Int32Array(new SharedArrayBuffer(4 * N));
    const ex = executor({ minWorkers: 2, initializer: 'setUp', initArgs: [counts] });
    // No turn of the event loop from here on: the exports' report cannot arrive, every task goes
    // as an item, and only a put that needs no turn of the loop reaches the workers.
    for (let i = 0; i < N; i++) ex.submit('markInit', i);
    const ran = () => counts.reduce((a, b) => a + b, 0);
    const deadline = performance.now() + 10_000;
    while (ran() < N && performance.now() < deadline);
    expect(ran()).toBe(N);
    expect(Array.from(counts).every((c) => c === 1)).toBe(true);
  }, 30_000);
});
