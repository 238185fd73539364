// SLEEPERS (slots.ts) is exact: it counts the workers asleep on WAKE or about to be, and a worker
// killed at any point of its sleep path is counted out at its exit, never twice. A dead worker left
// counted costs every later put a notify for nobody (the owner skips the wake-up only while
// SLEEPERS is 0), for the rest of the pool's life; one counted out twice would let a put skip a
// sleeper that needs waking.
//
// The kills land where the sleep path is most fragile: a worker seen counted but not yet SLEEPING
// (its last look at the channel, this thread polling the shared words and terminating it as soon
// as it sees one), a worker just woken by a put, a sleeping one, and a random moment after a put.
// After each kill, once the replacement sleeps too, SLEEPERS must equal the workers SLEEPING.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Executor, TimeoutError } from 'sabsync';
import { SLEEPING, Slots } from './helpers/internals.js';
import { settledWithin, workersOf } from './helpers/pool.js';
import { waitUntil } from './helpers/workers.js';

const tasks = new URL('./fixtures/pool-sleepers.mjs', import.meta.url);

const open: Executor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

/** A small deterministic generator: the rounds are the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Spin this thread until `found()` gives a worker index, or `us` µs pass: the index, or -1. */
function spinFor(found: () => number, us: number): number {
  const end = performance.now() + us / 1000;
  do {
    const w = found();
    if (w >= 0) return w;
  } while (performance.now() < end);
  return -1;
}

/** An Executor of `workers` workers, all started at once and kept, and its control block. */
async function pool(workers: number): Promise<{ ex: Executor; slots: Slots }> {
  const ex = new Executor(tasks, { maxWorkers: workers, minWorkers: workers });
  open.push(ex);
  const [control, size, count] = await ex.submit<[SharedArrayBuffer, number, number]>('controlShape');
  return { ex, slots: new Slots(size, count, control) };
}

describe('SLEEPERS after workers killed in the sleep path', () => {
  it('equals the workers SLEEPING once the pool is quiet, after every kill', async () => {
    const W = 2;
    const { ex, slots } = await pool(W);
    const all = Array.from({ length: W }, (_, w) => w);
    const asleep = () => all.filter((w) => slots.current(w) === SLEEPING).length;
    /** A worker counted in SLEEPERS but not (yet, or no longer) SLEEPING, or -1. */
    const countedAwake = () => {
      const awake = all.filter((w) => slots.current(w) !== SLEEPING);
      return awake.length > 0 && slots.sleepers() > W - awake.length ? awake[0]! : -1;
    };
    const firstAwake = () => all.findIndex((w) => slots.current(w) !== SLEEPING);
    /**
     * Every worker alive and SLEEPING, read twice around SLEEPERS with WAKE unmoved (so no worker
     * left its sleep in between): SLEEPERS then, else undefined.
     */
    const quietSleepers = (): number | undefined => {
      if (workersOf(ex).length !== W) return undefined;
      const wake = slots.wakeCount();
      if (asleep() !== W) return undefined;
      const n = slots.sleepers();
      return asleep() === W && slots.wakeCount() === wake ? n : undefined;
    };
    const quiet = async (what: string): Promise<number> => {
      let n: number | undefined;
      await waitUntil(() => (n = quietSleepers()) !== undefined, 20_000, () => `${what}: every worker asleep (CURRENT ${all.map((w) => slots.current(w)).join(', ')}, SLEEPERS ${slots.sleepers()})`);
      return n!;
    };

    const rnd = random(2026);
    const ways = ['falling asleep', 'just woken', 'asleep', 'after a put'] as const;
    const seen: string[] = [];
    const kills = Object.fromEntries(ways.map((w) => [w, 0])) as Record<(typeof ways)[number], number>;
    let caught = 0;
    for (let round = 0; round < 160; round++) {
      const n = await quiet(`before round ${round}`);
      if (n !== W) seen.push(`before round ${round}: SLEEPERS ${n} with ${W} workers SLEEPING`);
      if (seen.length > 0) break;
      const ws = workersOf(ex);
      const way = ways[round < 40 ? 0 : Math.floor(rnd() * ways.length)]!;
      let victim = -1;
      let task: Promise<unknown> = Promise.resolve();
      if (way === 'falling asleep') {
        // Its result read, the worker watches the channel, then counts itself and looks a last time.
        await ex.submit('add', round, 1);
        victim = spinFor(countedAwake, 20_000);
        if (victim >= 0) caught++;
      } else if (way === 'just woken') {
        task = ex.submit('add', round, 1).then(
          () => 0,
          () => 0,
        );
        victim = spinFor(firstAwake, 20_000);
      } else if (way === 'after a put') {
        task = ex.submit('add', round, 1).then(
          () => 0,
          () => 0,
        );
        const end = performance.now() + rnd() * 0.4;
        while (performance.now() < end);
      }
      if (victim < 0) victim = Math.floor(rnd() * W);
      void ws[victim]!.terminate();
      kills[way]++;
      await task;
    }
    const n = await quiet('after the last round');
    if (n !== W) seen.push(`at the end: SLEEPERS ${n} with ${W} workers SLEEPING`);
    expect(seen, `kills ${JSON.stringify(kills)}, ${caught} caught counted before SLEEPING`).toEqual([]);
    expect(asleep()).toBe(W);
  }, 120_000);
});

describe('a timeout kill takes down only the task that overran', () => {
  // The owner terminates a worker whose task overran its timeout and its grace period; the
  // termination lands in the worker some time later (at its next interrupt check, later still if
  // the owner's thread is descheduled between deciding and terminating: here every termination
  // is made to land 100 ms late). A task that ends meanwhile must not let its worker claim the
  // next task first, or the kill takes that one down (slots.ts, KILLING).
  it("a task that ends after its worker's kill was decided and before it lands: the tasks queued behind it succeed", async () => {
    const timeout = 10;
    const graceMs = 1000; // stops.ts TIMEOUT_GRACE_MS (API.md: 1 s)
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called on its worker below
    const terminate = Worker.prototype.terminate;
    Worker.prototype.terminate = function (this: Worker) {
      return new Promise<void>((resolve) => setTimeout(resolve, 100)).then(() => terminate.call(this));
    };
    try {
      const ex = new Executor(tasks, { maxWorkers: 1, minWorkers: 1 });
      open.push(ex);
      for (let round = 0; round < 3; round++) {
        const overran = ex.run<string>('overrun', [timeout + graceMs + 20, 'late'], { timeout });
        // Tasks that take a while: one the kill lands in fails.
        const next = [0, 1].map((i) => ex.submit<number>('busy', 150, round * 10 + i));
        // A worker left waiting for a verdict that never comes (KILLING not cleared) hangs them.
        await settledWithin<unknown>([overran, ...next], 10_000);
        expect(await overran.exception()).toBeInstanceOf(TimeoutError);
        expect(await Promise.allSettled(next)).toEqual([0, 1].map((i) => ({ status: 'fulfilled', value: round * 10 + i })));
      }
    } finally {
      Worker.prototype.terminate = terminate;
    }
  }, 60_000);
});
