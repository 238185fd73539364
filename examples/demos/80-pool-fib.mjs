// The CPU-bound case from every multiprocessing tutorial: fib over a range of n, first with one
// worker, then with one worker per core. Pool.map splits the range into chunks that the workers
// pull from a shared task Queue; the speed-up is what parallelism buys for pure computation.
import { availableParallelism } from 'node:os';
import { Pool } from 'sabsync';

export const title = 'Pool.map(fib, range): one worker vs. all cores, and the speed-up';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const NS = Array.from({ length: 24 }, (_, i) => 26 + (i % 8)); // fib(26)..fib(33), three times

async function timedMap(workers) {
  const pool = new Pool(tasks, { workers });
  try {
    // Warm up: every worker started and its fib compiled, so the timing is of the work alone.
    await pool.map('fib', Array(workers * 4).fill(22), 1);
    const t0 = performance.now();
    const results = await pool.map('fib', NS, 1);
    return { results, ms: performance.now() - t0, stats: pool.stats() };
  } finally {
    await pool.terminate(); // (`await using pool = ...` where the runtime has it)
  }
}

export async function main() {
  const cores = availableParallelism();
  console.log(`fib(n) for ${NS.length} values of n from 26 to 33, with Pool.map:`);
  const one = await timedMap(1);
  console.log(`  1 worker:   ${one.ms.toFixed(0).padStart(5)} ms`);
  const all = await timedMap(cores);
  console.log(`  ${cores} workers:  ${all.ms.toFixed(0).padStart(5)} ms`);
  if (JSON.stringify(one.results) !== JSON.stringify(all.results)) throw new Error('the two runs disagree');
  console.log(`  same results (fib(33) = ${all.results[7]}), speed-up ×${(one.ms / all.ms).toFixed(2)} on ${cores} cores`);
  console.log('Each worker takes its next n from the shared task Queue itself, so no worker waits for');
  console.log('the main thread between tasks; on a machine busy with other work the speed-up is lower.');
  printStats(`pool.stats() after the ${cores}-worker run (warm-up included)`, all.stats);
}

/** pool.stats() as a small table: the counters, then run and wait time in ms. */
function printStats(caption, s) {
  console.log(`\n${caption}:`);
  console.log(`  workers ${s.workers}  busy ${s.busy}  queued ${s.queued}  completed ${s.completed}  failed ${s.failed}  cancelled ${s.cancelled}  crashed ${s.crashed}  utilization ${(s.utilization * 100).toFixed(0)}%`);
  const cols = ['count', 'mean', 'p50', 'p90', 'p99', 'max'];
  const cell = (v, c) => (c === 'count' ? String(v) : v.toFixed(1)).padStart(8);
  console.log(`  ${'ms'.padEnd(9)}${cols.map((c) => c.padStart(8)).join('')}`);
  for (const [name, t] of [['run time', s.runTime], ['wait time', s.waitTime]]) {
    console.log(`  ${name.padEnd(9)}${cols.map((c) => cell(t[c], c)).join('')}`);
  }
}
