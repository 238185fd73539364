// The README's asCompleted loop type-checks and yields Futures; a Future is a PromiseLike.
import { asCompleted, Executor, wait, FIRST_COMPLETED, type Future } from 'sabsync';
import { expectType, type Equal } from './expect.js';

declare const futures: Future<number>[];

export async function loop(): Promise<number> {
  let sum = 0;
  for await (const f of asCompleted(futures)) {
    const r = await f.result();
    expectType<Equal<typeof r, number>>();
    const same: Future<number> = f;
    sum += r + futures.indexOf(same);
  }
  for await (const f of asCompleted(futures, 1000)) {
    if (f.cancelled()) continue;
    expectType<Equal<Awaited<ReturnType<typeof f.exception>>, unknown>>();
  }
  const n = await futures[0]!;
  expectType<Equal<typeof n, number>>();
  const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
  expectType<Equal<typeof done, Set<Future<number>>>>();
  return sum + notDone.size;
}

export async function executor(url: URL): Promise<void> {
  await using ex = new Executor(url, { maxWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  const f = ex.submit('fib', 20);
  for await (const g of asCompleted([f])) await g.result();
  // @ts-expect-error resourceLimits are numbers
  new Executor(url, { resourceLimits: { stackSizeMb: '4' } });
}
