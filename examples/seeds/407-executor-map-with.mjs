// Lesson 4, concurrent.futures: spreading work over processes sidesteps the GIL.
// with ProcessPoolExecutor() as executor: result = executor.map(function, iterable).
//
// The lesson shows no output; ours squares 0..9 and prints the list in argument order. The
// with-block is `await using executor = new Executor(...)` where the runtime has it (Node 24,
// or TypeScript); here its meaning written out: shutdown({ wait: true }) however the block ends.
// JavaScript threads have no GIL to sidestep: the Executor's workers are threads, in parallel.
import { Executor } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Executor.map inside a with-block (shutdown on the way out)';

export function square(x) {
  return x * x;
}

export async function main() {
  const executor = new Executor(new URL(import.meta.url));
  try {
    const result = [];
    for await (const x of executor.map('square', Array.from({ length: 10 }, (_, i) => i))) result.push(x);
    print(`[${result.join(', ')}]`);
  } finally {
    await executor.shutdown({ wait: true });
  }
}
