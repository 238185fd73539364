// Shared helpers for bench/*.bench.mjs: machine info, statistics, tinybench micro-benchmarks,
// worker-thread rounds (timed on the main thread), and child processes with extra node flags.
//
// Worker-based benchmarks follow one protocol. The main thread starts the workers once and then
// runs rounds: it resets the shared state, writes the round's iteration count, bumps a
// generation word and notifies; every worker runs its body for that count and posts `done`.
// The first round is a warm-up (JIT, caches, thread start-up) and is not reported; the
// figure is the median of the measured rounds, timed on the main thread from "go" to the last
// `done` (the ~0.1 ms of wake-up and message latency is the same for every row of a group).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { basename } from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { Bench } from 'tinybench';

/** The machine a run happened on, for results.json and the README. */
export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** The median of a non-empty array of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "range LOW–HIGH unit over N runs" for several measured runs (or `what`), '' for one. */
export function spread(values, unit, scale = 1, what = 'runs') {
  if (values.length < 2) return '';
  const f = (v) => (v * scale).toPrecision(3);
  return `range ${f(Math.min(...values))}–${f(Math.max(...values))} ${unit} over ${values.length} ${what}`;
}

/** Counts for a run: `full` normally, `quick` under --quick. */
export function pick(quick, full, small) {
  return quick ? small : full;
}

// ---------------------------------------------------------------------------------------------
// Micro-benchmarks on one thread (tinybench)

/**
 * Time single-threaded operations with tinybench and return one row per case, in ns per op.
 *
 * Each case is `{ name, op, baseline?, note? }` where `op(batch)` performs the operation `batch`
 * times in a loop. Calling it in batches keeps tinybench's per-sample clock reads (tens of ns)
 * out of figures that are themselves tens of ns. The cases run in MICRO_ROUNDS rounds, each
 * starting at the next case, and a case's value is the median over the rounds of its median
 * sample / batch: a few hundred ms of background work (the JIT or a collector finishing what
 * the bench before left) lands on one round of some cases instead of on the whole of one case,
 * which moved a row's ratio to its baseline by 1.7x between full runs.
 */
export async function microRows(group, cases, { quick, batch = 1000 }) {
  const perCase = cases.map(() => []);
  for (let round = 0; round < MICRO_ROUNDS; round++) {
    const bench = new Bench({
      time: pick(quick, 1000, 100) / MICRO_ROUNDS,
      warmupTime: pick(quick, 250, 50) / MICRO_ROUNDS,
      throws: true,
    });
    const order = cases.map((_, i) => (i + round) % cases.length);
    for (const i of order) bench.add(cases[i].name, () => cases[i].op(batch));
    await bench.run();
    for (const i of order) {
      const r = bench.getTask(cases[i].name)?.result;
      if (!r || r.error) throw new Error(`bench ${cases[i].name} failed: ${r?.error?.message ?? 'no result'}`);
      perCase[i].push(((r.latency.p50 ?? r.latency.mean) * 1e6) / batch);
    }
  }
  return cases.map((c, i) => row(group, c.name, median(perCase[i]), 'ns/op', { ...c, note: [c.note, spread(perCase[i], 'ns/op', 1, 'rounds')].filter(Boolean).join('; ') }));
}

/** Rounds of a micro-benchmark group (microRows). */
const MICRO_ROUNDS = 5;

/** A result row; `extra` may carry `baseline` and `note`. */
export function row(group, name, value, unit, extra = {}) {
  const r = { group, name, value, unit };
  if (extra.baseline) r.baseline = true;
  if (extra.note) r.note = extra.note;
  return r;
}

/** A row that cannot be measured here (a missing feature), with the reason. */
export function skippedRow(group, name, unit, reason) {
  return { group, name, value: null, unit, note: reason };
}

/**
 * A row whose measurement failed (wrong result, crash, deadlock). The other rows still report;
 * the runner lists the failures and exits non-zero.
 */
export function failedRow(group, name, unit, error) {
  return { group, name, value: null, unit, note: `FAILED: ${error?.message ?? error}`, failed: true };
}

// ---------------------------------------------------------------------------------------------
// Rounds in worker threads: the main-thread side

const GEN = 0; // round generation: bumped for each round; -1 tells the workers to exit
const COUNT = 1; // iterations of the current round
const STOP = -1;

/**
 * Start `workers` threads running `url` (a worker file that calls `serveRounds`), run one
 * warm-up round of `warmup` iterations and `runs` measured rounds of `iterations`, and return
 * the measured rounds' wall times in ms.
 *
 * `data` goes to every worker as `workerData.data` (with `workerData.index` 0..workers-1).
 * `reset()` runs on the main thread before every round, `check(n)` after it (throw on a wrong
 * result: a benchmark that computes the wrong thing must not report a number). A worker that
 * throws or exits, or a round still running after `roundTimeout` ms (a deadlock), rejects;
 * the workers are then terminated, since a partner may be left waiting forever.
 */
export async function workerRounds({ url, workers = 2, data, iterations, warmup, runs, reset = () => {}, check = () => {}, roundTimeout = 30_000 }) {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const threads = Array.from({ length: workers }, (_, index) => new Worker(url, { workerData: { control: control.buffer, index, data } }));
  let current; // the round in flight: { left, resolve, reject }
  let failure;
  const fail = (error) => {
    failure ??= error;
    current?.reject(failure);
  };
  for (const w of threads) {
    w.on('message', () => {
      if (--current.left === 0) current.resolve();
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (Atomics.load(control, GEN) !== STOP) fail(new Error(`a ${basename(String(url))} worker exited with code ${code} mid-run`));
    });
  }
  const round = async (gen, n) => {
    if (failure) throw failure;
    reset();
    let timer;
    const done = new Promise((resolve, reject) => {
      current = { left: workers, resolve, reject };
      timer = setTimeout(() => fail(new Error(`a round of ${basename(String(url))} still running after ${roundTimeout} ms: deadlock?`)), roundTimeout);
    });
    Atomics.store(control, COUNT, n);
    const t0 = performance.now();
    Atomics.store(control, GEN, gen);
    Atomics.notify(control, GEN);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
    const ms = performance.now() - t0;
    check(n);
    return ms;
  };
  try {
    await round(1, warmup);
    const times = [];
    for (let i = 0; i < runs; i++) times.push(await round(i + 2, iterations));
    return times;
  } catch (error) {
    failure ??= error;
    throw error;
  } finally {
    Atomics.store(control, GEN, STOP);
    Atomics.notify(control, GEN);
    if (failure) await Promise.all(threads.map((w) => w.terminate()));
    else await Promise.all(threads.map((w) => new Promise((resolve) => (w.threadId < 0 ? resolve() : w.once('exit', resolve)))));
  }
}

// ---------------------------------------------------------------------------------------------
// Rounds in worker threads: the worker side

/**
 * In a worker started by `workerRounds`: call `body(n)` once per round with the round's
 * iteration count, until told to stop. `workerData.index` and `workerData.data` are the worker's.
 */
export function serveRounds(body) {
  const control = new Int32Array(workerData.control);
  let seen = 0;
  for (;;) {
    let gen;
    while ((gen = Atomics.load(control, GEN)) === seen) Atomics.wait(control, GEN, seen);
    if (gen === STOP) return;
    seen = gen;
    body(Atomics.load(control, COUNT));
    parentPort.postMessage({ gen });
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes (for rows that need V8 flags, e.g. --harmony-struct)

/**
 * Run `node [...flags] script ...args` and parse the JSON its stdout ends with.
 * Rejects, naming the child's error, if it exits non-zero.
 */
export function runNode(flags, script, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const lines = err.split('\n').map((l) => l.trim()).filter(Boolean);
        const cause = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? 'no output';
        return reject(new Error(`child node ${flags.join(' ')} ${basename(script)} exited with code ${code}: ${cause}`));
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`node ${script} printed no JSON result: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

/**
 * Whether `expression` is truthy in `node ...flags`: resolves to true, or to a sentence saying
 * why not (`what` names the feature, e.g. 'Atomics.Mutex').
 */
export function probeNode(flags, expression, what) {
  const node = ['node', ...flags].join(' ');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, '-e', `process.exit((${expression}) ? 0 : 3)`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve(`cannot start ${node}: ${e.message}`));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === 3) resolve(`${what} is not available under ${node}`);
      else resolve(`${node} does not start (${err.trim().split('\n')[0] || `exit ${code}`})`);
    });
  });
}
