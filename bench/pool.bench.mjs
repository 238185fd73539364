// Pool benchmarks: our Executor against piscina, tinypool, poolifier and workerpool (dev
// dependencies, for this comparison only) and raw worker.postMessage, in the same run.
//
//   - start-up: a new pool of 2 workers until 8 concurrent trivial tasks are answered, ms;
//   - throughput: 20,000 and 100,000 trivial tasks (x + 1) submitted at once to 2 workers, tasks/s
//     (the median of 3 runs, for every pool);
//   - latency: 10,000 sequential round trips (await each), median and p99, and a histogram of
//     ours (the tail: which round trips are slow, and how slow);
//   - speed-up: fib(25) x 2,000 on 2 workers (ratio: x piscina's time), and the same on 1 worker:
//     the speed-up is the one's time over the two's; its floor, the same split over plain workers
//     that each loop over their share with no dispatch at all;
//   - what the pool features cost on that throughput (ours only, same run): a task with a signal,
//     with a timeout, a progress listener on every future, a task reporting progress, stats()
//     read every 1,000 tasks — against plain submit; and one histogram record (stats.ts), ns.
//
// Dispatch is measured apart from start-up: every pool is started and warmed (a burst of tasks
// and a series of round trips, so every worker has run and JIT-compiled its loop) before any
// timed figure; start-up has rows of its own.
// The round trips are timed after as many untimed ones, for every pool alike: after the bursts,
// V8 goes on recompiling on its background threads for a while, and on 2 cores those threads
// take the core a woken thread needed, so a p99 timed right away measured the JIT more than the
// pool (ours: 100-500 µs then, 4-5 µs after; bench/pool-tail.mjs sorts the slow rounds).
//
// Why we can be faster than piscina: its owning thread hands each task to a worker and waits
// for the answer before that worker gets the next (a full round trip per task); our workers pull
// their next task from the shared task Queue themselves.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Executor } from 'sabsync';

export const title = 'Pool / Executor: throughput, round trip, speed-up (vs piscina, tinypool, poolifier, workerpool, raw postMessage)';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const raw = new URL('./workers/pool-raw.mjs', import.meta.url);
const poolifierTasks = new URL('./workers/pool-poolifier.mjs', import.meta.url);
const workerpoolTasks = new URL('./workers/pool-workerpool.mjs', import.meta.url);

/** The module of an optional dev dependency, or undefined when it is not installed. */
async function optional(name) {
  try {
    return await import(name);
  } catch {
    return undefined;
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// ---- every pool behind one shape: { call(fn, x) -> Promise, close() }; make(workers) starts it ----

function ours(workers) {
  const ex = new Executor(tasks, { maxWorkers: workers });
  return { call: (fn, x) => ex.submit(fn, x), close: () => ex.shutdown() };
}

function piscina({ Piscina }, workers) {
  const pool = new Piscina({ filename: tasks.href, minThreads: workers, maxThreads: workers });
  return { call: (fn, x) => pool.run({ fn, x }), close: () => pool.destroy() };
}

function tinypool({ Tinypool }, workers) {
  const pool = new Tinypool({ filename: tasks.href, minThreads: workers, maxThreads: workers });
  return { call: (fn, x) => pool.run({ fn, x }), close: () => pool.destroy() };
}

function poolifier({ FixedThreadPool }, workers) {
  const pool = new FixedThreadPool(workers, fileURLToPath(poolifierTasks));
  return { call: (fn, x) => pool.execute({ fn, x }), close: () => pool.destroy() };
}

function workerpool({ default: wp }, workers) {
  const pool = wp.pool(fileURLToPath(workerpoolTasks), { minWorkers: workers, maxWorkers: workers, workerType: 'thread' });
  return { call: (fn, x) => pool.exec(fn, [x]), close: () => pool.terminate() };
}

function rawPostMessage(workers) {
  const ws = Array.from({ length: workers }, () => new Worker(raw));
  const pending = new Map();
  let next = 0;
  for (const w of ws) {
    w.on('message', ({ id, value }) => {
      pending.get(id)(value);
      pending.delete(id);
    });
  }
  return {
    call: (fn, x) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws[id % ws.length].postMessage({ id, fn, x });
      }),
    close: () => Promise.all(ws.map((w) => w.terminate())),
  };
}

/** Start a pool and time it until `workers * 4` concurrent trivial tasks are answered (ms). */
async function start(make, workers) {
  const t0 = performance.now();
  const pool = make(workers);
  await Promise.all(Array.from({ length: workers * 4 }, (_, i) => pool.call('inc', i)));
  return { pool, startMs: performance.now() - t0 };
}

/** Warm a started pool: a burst and a series of round trips, untimed. */
async function warm(pool, quick) {
  await throughput(pool, quick ? 2_000 : 10_000);
  await latency(pool, quick ? 200 : 1_000);
}

async function throughput(pool, n) {
  const t0 = performance.now();
  const all = [];
  for (let i = 0; i < n; i++) all.push(pool.call('inc', i));
  const values = await Promise.all(all);
  const ms = performance.now() - t0;
  if (values[n - 1] !== n) throw new Error(`wrong result ${values[n - 1]}`);
  return (n / ms) * 1000;
}

/** Sequential round trips: every round trip's time in µs, sorted. */
async function latency(pool, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    if ((await pool.call('inc', i)) !== i + 1) throw new Error('wrong result');
    times[i] = (performance.now() - t0) * 1000;
  }
  return times.sort();
}

async function fibTime(pool, n, count) {
  const t0 = performance.now();
  const values = await Promise.all(Array.from({ length: count }, () => pool.call('fib', n)));
  if (values[count - 1] !== 75025) throw new Error(`wrong fib ${values[count - 1]}`);
  return performance.now() - t0;
}

/** The speed-up's unit: how many times less time 2 workers took than 1. */
const SPEEDUP_UNIT = 'x (1 worker\'s time / 2 workers\')';

const fibLoop = new URL('./workers/pool-fib-loop.mjs', import.meta.url);

/**
 * The speed-up's floor: fib(25) x `count` split over `workers` threads that each run their share
 * in one loop, no dispatch; ms from the go to the last answer (the workers started and warmed).
 */
async function fibLoopTime(workers, count) {
  const ws = Array.from({ length: workers }, () => new Worker(fibLoop));
  const ask = (w, n) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage({ n: 25, count: n });
  });
  try {
    await Promise.all(ws.map((w) => ask(w, 20)));
    const t0 = performance.now();
    const values = await Promise.all(ws.map((w) => ask(w, count / workers)));
    if (values.some((v) => v !== 75025)) throw new Error(`wrong fib ${values}`);
    return performance.now() - t0;
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Runs of each throughput row, every pool alike; the row is their median. */
const THROUGHPUT_RUNS = 3;

/** Upper bounds (µs) of the round-trip histogram's buckets; the last bucket is open. */
const BUCKETS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

function histogramRows(group, sorted) {
  const rows = [];
  let from = 0;
  let lo = 0;
  for (let b = 0; b <= BUCKETS.length; b++) {
    const hi = BUCKETS[b] ?? Infinity;
    let to = from;
    while (to < sorted.length && sorted[to] < hi) to++;
    const name = hi === Infinity ? `>= ${lo.toLocaleString('en-US')} µs` : `${lo.toLocaleString('en-US')}–${hi.toLocaleString('en-US')} µs`;
    const share = ((100 * (to - from)) / sorted.length).toFixed(2);
    rows.push({ group, name, value: to - from, unit: 'round trips', note: `${share}%` });
    from = to;
    lo = hi;
  }
  rows.push({ group, name: 'p99.9 / max', value: +percentile(sorted, 0.999).toFixed(1), unit: 'µs', note: `max ${sorted[sorted.length - 1].toFixed(1)} µs` });
  return rows;
}

/** The cost of each pool feature on trivial-task throughput: `n` tasks at once, 2 workers, tasks/s. */
export async function featureRows(n, rounds) {
  const group = `${n.toLocaleString('en-US')} trivial tasks at once, 2 workers: what the pool features cost (best of ${rounds})`;
  const ex = new Executor(tasks, { maxWorkers: 2, minWorkers: 2 });
  const signal = new AbortController().signal;
  const variants = [
    ['submit (no options)', (i) => ex.submit('inc', i), true],
    ['run with a signal', (i) => ex.run('inc', [i], { signal })],
    ['run with a timeout (60 s)', (i) => ex.run('inc', [i], { timeout: 60_000 })],
    ['submit + onProgress listener', (i) => ex.submit('inc', i).onProgress(() => {})],
    ['task reports progress once', (i) => ex.submit('incProgress', i).onProgress(() => {})],
    ['submit + stats() every 1,000 tasks', (i) => (i % 1000 === 0 && ex.stats(), ex.submit('inc', i))],
  ];
  const best = new Map();
  try {
    for (let round = 0; round < rounds + 1; round++) {
      // Each round starts at another variant, so none always follows the same one's garbage.
      for (let k = 0; k < variants.length; k++) {
        const [name, call] = variants[(k + round) % variants.length];
        const t0 = performance.now();
        const all = new Array(n);
        for (let i = 0; i < n; i++) all[i] = call(i);
        const values = await Promise.all(all);
        if (values[n - 1] !== n) throw new Error(`${name}: wrong result ${values[n - 1]}`);
        const rate = (n / (performance.now() - t0)) * 1000;
        if (round > 0) best.set(name, Math.max(best.get(name) ?? 0, rate)); // round 0 warms
      }
    }
  } finally {
    await ex.shutdown();
  }
  const rows = variants.map(([name, , baseline]) => ({ group, name, value: Math.round(best.get(name)), unit: 'tasks/s', ...(baseline ? { baseline: true } : {}) }));
  const { Histogram } = await import('../dist/pool/stats.js');
  const h = new Histogram();
  const N = 2_000_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) h.record((i % 977) * 0.013);
  const ns = ((performance.now() - t0) * 1e6) / N;
  if (h.count !== N) throw new Error('histogram lost records');
  rows.push({ group, name: 'one stats record (Histogram.record)', value: +ns.toFixed(1), unit: 'ns/op', note: 'two per task (run time, wait time)' });
  return rows;
}

export async function run({ quick = false, only, features = true } = {}) {
  const SIZES = quick ? [2_000, 10_000] : [20_000, 100_000];
  const SEQ = quick ? 1_000 : 10_000;
  const FIBS = quick ? 200 : 2_000;
  const libs = {
    piscina: await optional('piscina'),
    tinypool: await optional('tinypool'),
    poolifier: await optional('poolifier'),
    workerpool: await optional('workerpool'),
  };
  const contenders = [
    ['sabsync Executor', ours],
    ['piscina 5', libs.piscina && ((w) => piscina(libs.piscina, w)), 'piscina'],
    ['tinypool 2', libs.tinypool && ((w) => tinypool(libs.tinypool, w)), 'tinypool'],
    ['poolifier 5', libs.poolifier && ((w) => poolifier(libs.poolifier, w)), 'poolifier'],
    ['workerpool 10', libs.workerpool && ((w) => workerpool(libs.workerpool, w)), 'workerpool'],
    ['raw worker.postMessage', rawPostMessage],
  ];
  const startGroup = 'start-up: new pool, 2 workers, until 8 concurrent tasks are answered';
  const sizeGroup = (n) => `${n.toLocaleString('en-US')} trivial tasks at once, 2 workers (warm)`;
  const medianGroup = `${SEQ.toLocaleString('en-US')} sequential round trips, median`;
  const p99Group = `${SEQ.toLocaleString('en-US')} sequential round trips, p99`;
  const fibGroup = `fib(25) x ${FIBS.toLocaleString('en-US')}, 2 workers`;
  const speedupGroup = `fib(25) x ${FIBS.toLocaleString('en-US')}: speed-up, 2 workers vs 1`;
  const histGroup = `sabsync Executor: ${SEQ.toLocaleString('en-US')} sequential round trips, histogram`;
  const rows = [];
  let histogram = [];
  for (const [name, make, pkg] of contenders) {
    if (only !== undefined && !only.some((o) => name.toLowerCase().includes(o))) continue;
    const isPiscina = name.startsWith('piscina');
    const isRaw = name.startsWith('raw');
    if (make === undefined) {
      const note = `${pkg} not installed`;
      for (const [group, unit] of [[startGroup, 'ms'], ...SIZES.map((n) => [sizeGroup(n), 'tasks/s']), [medianGroup, 'µs/round trip'], [p99Group, 'µs/round trip'], [fibGroup, 'ms'], [speedupGroup, SPEEDUP_UNIT]]) {
        rows.push({ group, name, value: null, unit, note });
      }
      continue;
    }
    const { pool, startMs } = await start(make, 2);
    let two;
    try {
      rows.push({ group: startGroup, name, value: +startMs.toFixed(1), unit: 'ms', ...(isPiscina ? { baseline: true } : {}) });
      await warm(pool, quick);
      for (const n of SIZES) {
        // The median of THROUGHPUT_RUNS runs, for every pool alike: one run's rate moves by 1.5x
        // from run to run on a shared 2-core machine (the first burst after the round trips of the
        // warm-up most: a young generation shrunk meanwhile, code optimized for single tasks).
        const rates = [];
        for (let run = 0; run < THROUGHPUT_RUNS; run++) rates.push(await throughput(pool, n));
        rates.sort((a, b) => a - b);
        rows.push({ group: sizeGroup(n), name, value: Math.round(rates[rates.length >> 1]), unit: 'tasks/s', note: `median of ${THROUGHPUT_RUNS}`, ...(isPiscina ? { baseline: true } : {}) });
      }
      await latency(pool, SEQ); // untimed: see the header
      const times = await latency(pool, SEQ);
      rows.push({ group: medianGroup, name, value: +percentile(times, 0.5).toFixed(1), unit: 'µs/round trip', ...(isRaw ? { baseline: true } : {}) });
      rows.push({ group: p99Group, name, value: +percentile(times, 0.99).toFixed(1), unit: 'µs/round trip', ...(isRaw ? { baseline: true } : {}) });
      if (name.startsWith('sabsync')) histogram = histogramRows(histGroup, times);
      two = await fibTime(pool, 25, FIBS);
    } finally {
      await pool.close();
    }
    {
      const single = (await start(make, 1)).pool;
      let one;
      try {
        await fibTime(single, 25, 20); // warm the one worker's fib
        one = await fibTime(single, 25, FIBS);
      } finally {
        await single.close();
      }
      rows.push({ group: fibGroup, name, value: Math.round(two), unit: 'ms', note: `1 worker: ${Math.round(one)} ms`, ...(isPiscina ? { baseline: true } : {}) });
      rows.push({ group: speedupGroup, name, value: +(one / two).toFixed(2), unit: SPEEDUP_UNIT });
    }
  }
  if (only === undefined) {
    const one = await fibLoopTime(1, FIBS);
    const two = await fibLoopTime(2, FIBS);
    rows.push({ group: speedupGroup, name: 'floor: each worker loops over its share, no dispatch', value: +(one / two).toFixed(2), unit: SPEEDUP_UNIT, note: `${Math.round(two)} ms on 2 workers, ${Math.round(one)} ms on 1` });
  }
  return [...rows, ...histogram, ...(features ? await featureRows(quick ? 10_000 : 50_000, quick ? 1 : 3) : [])];
}

// `node bench/pool.bench.mjs [--quick] [--only=sabsync,piscina,raw] [--no-features]` runs this
// file alone (--only: the contenders whose names contain one of the words).
if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  for (const r of await run({ quick: process.argv.includes('--quick'), only, features: !process.argv.includes('--no-features') })) console.log(`${r.group.padEnd(42)} ${r.name.padEnd(24)} ${String(r.value).padStart(9)} ${r.unit} ${r.note ?? ''}`);
}
