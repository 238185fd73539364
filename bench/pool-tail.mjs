// Where the Executor's slow sequential round trips go (a diagnostic, not part of `npm run bench`):
//
//   node bench/pool-tail.mjs [DIST] [--rounds=N] [--warm=N] [--skip=N] [--list=K]
//
// DIST: the sabsync build to measure (default ./dist; e.g. /other/checkout/dist to compare).
// Runs N sequential round trips (await each) of a trivial task on 2 workers after a burst and
// --warm sequential rounds, with per-round stamps: the owner's submit and settle, and when and on
// which worker the task ran (timeOrigin-corrected clocks, shared by every thread). Prints the
// percentiles and histogram of rounds from --skip on, then sorts the rounds >= 50 µs by
//   - which half was slow: "take" (submit -> run: the task waited for a taker) or "back" (run ->
//     settle: the result waited for the owner);
//   - "switch": another worker than the last round's ran it (a sleeper was woken for it);
//   - "gc": one of the owner's GCs overlapped it;
// and, on Linux, the CPU used meanwhile by the owner, the workers, the process's other threads
// (V8's compiler and GC threads) and other processes ("foreign": the machine's busy time minus
// this process's), the cores both being in use meaning any wake-up may land on a busy core.
// --list=K prints the first K slow rounds with their stamps.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const dist = resolve(args.find((a) => !a.startsWith('--')) ?? new URL('../dist', import.meta.url).pathname);
const N = opt('rounds', 10_000);
const WARM = opt('warm', 10_000);
const SKIP = opt('skip', 0);
const LIST = opt('list', 0);
const { Executor } = await import(pathToFileURL(`${dist}/index.js`).href);

const now = () => performance.timeOrigin + performance.now();
const sab = new SharedArrayBuffer(16 * N);
const ran = new Float64Array(sab);
const gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });

/** Per-thread CPU ticks of this process, and the machine's busy/total ticks (Linux; else empty). */
function cpu() {
  const threads = new Map();
  let machine = [0, 0];
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(t), Number(f[11]) + Number(f[12]));
    }
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    machine = [total - f[3] - f[4], total];
  } catch {
    // not Linux
  }
  return { threads, machine };
}

const ex = new Executor(new URL('./workers/pool-tail-tasks.mjs', import.meta.url), { maxWorkers: 2, minWorkers: 2, initializer: 'attach', initArgs: [sab] });
const S = new Float64Array(N);
const E = new Float64Array(N);
let before;
let after;
const workerTids = new Set();
try {
  await Promise.all(Array.from({ length: 10_000 }, () => ex.submit('stamp', -1)));
  for (let i = 0; i < WARM; i++) await ex.submit('stamp', -1);
  for (let i = 0; i < 50; i++) for (const t of await Promise.all([ex.submit('tid'), ex.submit('tid'), ex.submit('tid')])) workerTids.add(t);
  before = cpu();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    S[i] = now();
    if ((await ex.submit('stamp', i)) !== i + 1) throw new Error('wrong result');
    E[i] = now();
  }
  after = { ...cpu(), ms: performance.now() - t0 };
} finally {
  await ex.shutdown();
}

const us = (ms) => ms * 1000;
const times = Array.from(S, (s, i) => us(E[i] - s));
const sorted = times.slice(SKIP).sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(1);
console.log(`${dist}: ${N.toLocaleString('en-US')} round trips after ${WARM.toLocaleString('en-US')} warm ones, from round ${SKIP}`);
console.log(`  p50 ${pct(0.5)}  p90 ${pct(0.9)}  p99 ${pct(0.99)}  p99.9 ${pct(0.999)}  max ${sorted[sorted.length - 1].toFixed(1)} µs`);
const bounds = [5, 10, 20, 50, 100, 200, 500, 1000, 5000, Infinity];
const counts = bounds.map(() => 0);
for (const t of sorted) counts[bounds.findIndex((b) => t < b)]++;
console.log(`  histogram (µs): ${bounds.map((b, k) => `<${b}: ${counts[k]}`).join('  ')}`);

if (after.machine[1] > before.machine[1]) {
  const ticksPerCore = (after.machine[1] - before.machine[1]) / cpus().length || 1;
  const share = (ticks) => `${((100 * ticks) / ticksPerCore).toFixed(0)}%`;
  let owner = 0;
  let workers = 0;
  let others = 0;
  for (const [t, ticks] of after.threads) {
    const d = ticks - (before.threads.get(t) ?? 0);
    if (t === process.pid) owner += d;
    else if (workerTids.has(t)) workers += d;
    else others += d;
  }
  const machine = after.machine[0] - before.machine[0];
  console.log(`  cpu (of one core): owner ${share(owner)}, workers ${share(workers)}, other threads of this process ${share(others)}, other processes ${share(Math.max(0, machine - owner - workers - others))}`);
}

const kinds = new Map();
const slow = [];
for (let i = SKIP; i < N; i++) {
  if (times[i] < 50) continue;
  const at = ran[2 * i];
  const take = us(at - S[i]);
  const back = us(E[i] - at);
  const parts = [take > back ? 'take' : 'back'];
  if (i > 0 && ran[2 * i + 1] !== ran[2 * i - 1]) parts.push('switch');
  if (gcs.some(([t, d]) => t + d >= S[i] && t <= E[i])) parts.push('gc');
  const kind = parts.join(' ');
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  slow.push(`  #${i} ${times[i].toFixed(1)} µs: take ${take.toFixed(1)}, back ${back.toFixed(1)}, worker ${ran[2 * i + 1]}  ${kind}`);
}
console.log(`  rounds >= 50 µs: ${slow.length}`);
for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`    ${String(n).padStart(6)}  ${kind}`);
for (const line of slow.slice(0, LIST)) console.log(line);
