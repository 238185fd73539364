// The owner's settle path with many results at once: results taken out of their slots, the slots
// fed again, then the futures settled (engine.ts #collect). A task whose result was taken is
// done running: a callback of a future settled before it in the same batch cannot cancel it.
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
});
