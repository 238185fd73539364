// Where a burst's CPU goes, and A/B of builds side by side (a diagnostic, not part of `npm run bench`):
//
//   node bench/pool-cpu.mjs [DIST ...] [--n=100000] [--runs=15] [--piscina] [--fib] [--busy]
//
// DIST: sabsync builds to compare (default ./dist; e.g. /other/checkout/dist). Each gets an
// Executor of 2 workers; piscina too with --piscina. Runs of `n` trivial tasks submitted at once
// (--fib: fib(25) tasks) go to each pool in turn, each run starting at another pool, after the
// machine has been quiet (< 12% busy for 150 ms, up to 6 s): on a shared machine one run's rate
// moves by ±30%, so only medians of many interleaved runs compare (--busy: start each run at
// once, without waiting for a quiet machine — when other work keeps it busy, as long as every
// pool shares that alike). Per pool it prints the median
// rate and its ratio to the first pool's, then, per task (Linux, from /proc): the owning thread's
// CPU time and its time waiting for a core (runnable, not running: the run queue), the CPU of
// the pool's own worker threads, and that of the process's other threads (V8's garbage
// collector and compiler threads, shared by every pool in the process).
//
// What it showed (2 vCPUs, 100,000 trivial tasks, medians of 21 runs, 2026-12-02): per task the
// owner ran ≈ 2.2–2.6 µs and waited ≈ 0.8–0.95 µs for a core, the two workers used ≈ 2.0 µs and
// V8's threads ≈ 1.5 µs: ≈ 5.5–6 µs of CPU per task on 2 cores, so the machine, not the owner
// alone, is the limit. Tried with it and left out (rates against the same build without them,
// 15–25 interleaved runs each): in a burst (backlog non-empty), the watcher napping 100 µs at a
// time instead of spinning, a put waking no sleeper while a worker is awake, and the owner's
// pump waking sleepers for queued tasks when a look finds no result — real worker wake-ups fell
// from ≈ 250 to ≈ 15–100 per 100,000 tasks and the owner's wait for a core by up to half, but
// the rate did not move (0.97–1.09x; without the naps 0.92–1.05x): the owner then ran more
// (it watched for results while the napping worker slept); a CAS on OWNER_ASLEEP so that one
// worker per park notifies the owner instead of every worker finishing meanwhile (≈ 50,000
// notifies of nobody per 100,000 tasks): 0.92x, within the noise.
// Later the same day (--busy, 21-25 interleaved runs each, against the build before each step):
// a pending task keeping ≈ 235 bytes alive instead of ≈ 330 (no reject closure kept per Future,
// its upkeep with its listeners, no id field, no argument list for one number, the backlog in
// chunks) took the owner from ≈ 1.9 to ≈ 1.6 µs per task and V8's threads from ≈ 2.1 to ≈ 1.4;
// a run of submits taking results early only for as many tasks as wait in the backlog (one put
// for the freed slots, not one put and often one worker wake-up per submit) cut the owner's
// wake-ups per 100,000-task burst from 13,000-44,000 to ≈ 600-800 and the rate rose 1.20x (100k)
// and 1.27x (20k).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const n = opt('n', 100_000);
const runs = opt('runs', 15);
const fib = args.includes('--fib');
const dists = args.filter((a) => !a.startsWith('--'));
if (dists.length === 0) dists.push(new URL('../dist', import.meta.url).pathname);
const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);

/** Per-thread [cpu ns, run-queue ns] of this process (empty off Linux). */
function threads() {
  const m = new Map();
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const [cpu, rq] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ').map(Number);
      m.set(Number(t), [cpu, rq]);
    }
  } catch {
    // not Linux
  }
  return m;
}

/** The machine's busy and total ticks. */
function machine() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - f[3] - f[4], total];
  } catch {
    return [0, 1];
  }
}

/** Wait until the machine has been quiet for 150 ms (up to 6 s); whether it was. */
async function quiet() {
  for (let k = 0; k < 40; k++) {
    const a = machine();
    await new Promise((r) => setTimeout(r, 150));
    const b = machine();
    if ((b[0] - a[0]) / Math.max(1, b[1] - a[1]) < 0.12) return true;
  }
  return false;
}

const pools = [];
for (const dist of dists) {
  const before = new Set(threads().keys());
  const { Executor } = await import(pathToFileURL(`${resolve(dist)}/index.js`).href);
  const ex = new Executor(tasks, { maxWorkers: 2, minWorkers: 2 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => ex.submit('inc', i)));
  const own = [...threads().keys()].filter((t) => !before.has(t));
  pools.push({ name: dist, call: (fn, x) => ex.submit(fn, x), close: () => ex.shutdown(), own });
}
if (args.includes('--piscina')) {
  const before = new Set(threads().keys());
  const { Piscina } = await import('piscina');
  const pool = new Piscina({ filename: tasks.href, minThreads: 2, maxThreads: 2 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ fn: 'inc', x: i })));
  const own = [...threads().keys()].filter((t) => !before.has(t));
  pools.push({ name: 'piscina', call: (fn, x) => pool.run({ fn, x }), close: () => pool.destroy(), own });
}
const ownThreads = new Set(pools.flatMap((p) => p.own));
for (const p of pools) Object.assign(p, { rates: [], owner: [], wait: [], workers: [], others: [] });

async function burst(pool) {
  const all = new Array(n);
  for (let i = 0; i < n; i++) all[i] = fib ? pool.call('fib', 25) : pool.call('inc', i);
  const values = await Promise.all(all);
  if (values[n - 1] !== (fib ? 75025 : n)) throw new Error(`${pool.name}: wrong result ${values[n - 1]}`);
}

let noisy = 0;
for (const p of pools) await burst(p); // warm
for (let run = 0; run < runs; run++) {
  for (let k = 0; k < pools.length; k++) {
    const p = pools[(k + run) % pools.length];
    if (args.includes('--busy')) await new Promise((r) => setTimeout(r, 20));
    else if (!(await quiet())) noisy++;
    const a = threads();
    const t0 = performance.now();
    await burst(p);
    const ms = performance.now() - t0;
    const b = threads();
    const us = (t, i) => ((b.get(t)?.[i] ?? 0) - (a.get(t)?.[i] ?? 0)) / 1000 / n;
    p.rates.push((n / ms) * 1000);
    p.owner.push(us(process.pid, 0));
    p.wait.push(us(process.pid, 1));
    p.workers.push(p.own.reduce((s, t) => s + us(t, 0), 0));
    p.others.push([...b.keys()].filter((t) => t !== process.pid && !ownThreads.has(t)).reduce((s, t) => s + us(t, 0), 0));
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const base = median(pools[0].rates);
console.log(`${n.toLocaleString('en-US')} ${fib ? 'fib(25)' : 'trivial'} tasks at once, 2 workers: medians of ${runs} interleaved runs${noisy ? ` (${noisy} started on a busy machine)` : ''}; per task, µs:`);
// The spread of the ratios: each run's rate over the first pool's in the same run (quartiles).
const quartiles = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return [s[Math.floor((s.length - 1) / 4)], s[Math.ceil((3 * (s.length - 1)) / 4)]];
};
for (const p of pools) {
  const f = (xs) => median(xs).toFixed(2).padStart(6);
  const [q1, q3] = quartiles(p.rates.map((r, i) => r / pools[0].rates[i]));
  console.log(`${p.name.padEnd(36)} ${String(Math.round(median(p.rates))).padStart(8)} tasks/s ${(median(p.rates) / base).toFixed(2)}x (runs ${q1.toFixed(2)}–${q3.toFixed(2)}) | owner ${f(p.owner)} waiting ${f(p.wait)} | workers ${f(p.workers)} | other threads ${f(p.others)}`);
}
for (const p of pools) await p.close();
