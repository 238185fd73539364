// The pool's sleep path, alone: sequential round trips on an Executor whose workers have all
// fallen asleep on WAKE (slots.ts) before each task, so each round trip is a put that wakes a
// sleeper (SLEEPERS read, WAKE bumped, notify) and a worker that wakes, counts itself out, takes
// the task and answers. (pool.bench.mjs's round trips find a watcher instead: no sleep.)
//   node bench/pool-sleep.mjs [rounds] [workers]
import { Executor } from 'sabsync';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const rounds = Number(process.argv[2] ?? 2000);
const workers = Number(process.argv[3] ?? 2);
const ex = new Executor(tasks, { maxWorkers: workers, minWorkers: workers });
const fn = 'inc';
for (let i = 0; i < 200; i++) await ex.submit(fn, i);
const times = [];
for (let i = 0; i < rounds; i++) {
  // 1 ms idle: past the watcher's watch (worker.ts SPIN_US, 200 µs), every worker sleeps.
  await new Promise((resolve) => setTimeout(resolve, 1));
  const t0 = performance.now();
  await ex.submit(fn, i);
  times.push((performance.now() - t0) * 1000);
}
await ex.shutdown();
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
console.log(`sleep-path round trip, ${workers} workers, ${rounds} rounds: median ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs`);
