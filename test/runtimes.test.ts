/**
 * sabsync beyond the Node running the suite: Bun 1, Deno 2 and Node 22, 24 and 26 (their npm
 * packages ship the binaries: test/helpers/runtimes.ts) each run test/fixtures/runtimes/smoke.mjs
 * — a Lock race between two pool workers, a Queue carrying every kind of item to a worker and
 * back, an Executor settling a few tasks — which must end by itself and print its result; and
 * test/fixtures/runtimes/idle.mjs, whose Executor and Pool are left idle without a shutdown and
 * must not keep the runtime alive.
 */
import { describe, expect, it } from 'vitest';
import { BUN, DENO, NODES, resultUnder, runs, type Runtime } from './helpers/runtimes.js';

const SMOKE = 'test/fixtures/runtimes/smoke.mjs';
const IDLE = 'test/fixtures/runtimes/idle.mjs';

for (const rt of [BUN, DENO, ...NODES] as Runtime[]) {
  describe.runIf(runs(rt, 'test/runtimes.test.ts'))(`in ${rt.name}`, () => {
    it('a Lock race ends exact, a Queue carries Map/Set/Date/BigInt/RegExp/errors/typed arrays/holes to a worker and back, an Executor settles its tasks, and the script exits by itself', async () => {
      expect(await resultUnder(rt, SMOKE, 30_000)).toEqual({ count: 40_000, itemsSame: true, sum: 55 });
    });

    it('an Executor and a Pool left idle, never shut down, do not keep the runtime alive', async () => {
      expect(await resultUnder(rt, IDLE, 30_000)).toEqual({ executor: 36, pool: 49 });
    });
  });
}
