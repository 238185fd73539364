// Pool benchmarks: our Executor against piscina (a dev dependency, for this comparison only) and
// raw worker.postMessage, in the same run.
//
//   - throughput: 100,000 trivial tasks (x + 1) submitted at once to 2 workers, tasks/s;
//   - latency: 10,000 sequential round trips (await each), median and p99;
//   - speed-up: fib(25) x 2,000 on 1 and on 2 workers.
//
// Why we can be faster than piscina: its owning thread hands each task to a worker and waits
// for the answer before that worker gets the next (a full round trip per task); our workers pull
// their next task from the shared task Queue themselves.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Executor } from 'sabsync';

export const title = 'Pool / Executor: throughput, round trip, speed-up (vs piscina, raw postMessage)';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const raw = new URL('./workers/pool-raw.mjs', import.meta.url);

async function loadPiscina() {
  try {
    return (await import('piscina')).Piscina;
  } catch {
    return undefined;
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// ---- the three pools behind one shape: { call(fn, x) -> Promise, close() } ----

async function ours(workers) {
  const ex = new Executor(tasks, { maxWorkers: workers });
  await Promise.all(Array.from({ length: workers * 4 }, () => ex.submit('inc', 0)));
  return { call: (fn, x) => ex.submit(fn, x), close: () => ex.shutdown() };
}

async function piscina(Piscina, workers) {
  const pool = new Piscina({ filename: tasks.href, minThreads: workers, maxThreads: workers });
  await Promise.all(Array.from({ length: workers * 4 }, () => pool.run({ fn: 'inc', x: 0 })));
  return { call: (fn, x) => pool.run({ fn, x }), close: () => pool.destroy() };
}

async function rawPostMessage(workers) {
  const ws = Array.from({ length: workers }, () => new Worker(raw));
  const pending = new Map();
  let next = 0;
  for (const w of ws) {
    w.on('message', ({ id, value }) => {
      pending.get(id)(value);
      pending.delete(id);
    });
  }
  await Promise.all(ws.map((w) => once(w, 'online')));
  return {
    call: (_fn, x) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws[id % ws.length].postMessage({ id, x });
      }),
    close: () => Promise.all(ws.map((w) => w.terminate())),
  };
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

async function latency(pool, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    if ((await pool.call('inc', i)) !== i + 1) throw new Error('wrong result');
    times[i] = (performance.now() - t0) * 1000;
  }
  times.sort();
  return { median: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function fibTime(workers, n, count) {
  const pool = await ours(workers);
  try {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: count }, () => pool.call('fib', n)));
    return performance.now() - t0;
  } finally {
    await pool.close();
  }
}

export async function run({ quick = false } = {}) {
  const N = quick ? 10_000 : 100_000;
  const SEQ = quick ? 1_000 : 10_000;
  const FIBS = quick ? 200 : 2_000;
  const Piscina = await loadPiscina();
  const contenders = [
    ['sabsync Executor', (w) => ours(w)],
    ['piscina 5', Piscina ? (w) => piscina(Piscina, w) : undefined],
    ['raw worker.postMessage', (w) => rawPostMessage(w)],
  ];
  const rows = [];
  for (const [name, make] of contenders) {
    if (make === undefined) {
      rows.push({ group: `${N.toLocaleString('en-US')} trivial tasks at once, 2 workers`, name, value: null, unit: 'tasks/s', note: 'piscina not installed' });
      continue;
    }
    const pool = await make(2);
    try {
      const rate = await throughput(pool, N);
      rows.push({ group: `${N.toLocaleString('en-US')} trivial tasks at once, 2 workers`, name, value: Math.round(rate), unit: 'tasks/s', ...(name === 'piscina 5' ? { baseline: true } : {}) });
      const { median, p99 } = await latency(pool, SEQ);
      rows.push({ group: `${SEQ.toLocaleString('en-US')} sequential round trips, median`, name, value: +median.toFixed(1), unit: 'µs/round trip', ...(name.startsWith('raw') ? { baseline: true } : {}) });
      rows.push({ group: `${SEQ.toLocaleString('en-US')} sequential round trips, p99`, name, value: +p99.toFixed(1), unit: 'µs/round trip', ...(name.startsWith('raw') ? { baseline: true } : {}) });
    } finally {
      await pool.close();
    }
  }
  const one = await fibTime(1, 25, FIBS);
  const two = await fibTime(2, 25, FIBS);
  const group = `fib(25) x ${FIBS.toLocaleString('en-US')}, sabsync Executor`;
  rows.push({ group, name: '1 worker', value: Math.round(one), unit: 'ms', baseline: true });
  rows.push({ group, name: '2 workers', value: Math.round(two), unit: 'ms', note: `speed-up x${(one / two).toFixed(2)}` });
  return rows;
}

// `node bench/pool.bench.mjs [--quick]` runs this file alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run({ quick: process.argv.includes("--quick") })) console.log(`${r.group.padEnd(42)} ${r.name.padEnd(24)} ${String(r.value).padStart(9)} ${r.unit} ${r.note ?? ""}`);
}
