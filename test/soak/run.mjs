// One round of the kill soak, in its own process (soak.mjs starts it with an outside timeout).
// An Executor of `workers` workers runs `work` tasks (tasks.mjs) that share a user Lock and a
// user Queue (`user: false`: neither), some of which call process.exit on purpose, while this
// thread terminates workers — one at a time, two at once, and two with a setImmediate between —
// 20–80 ms apart, and no faster than `kills` per `tasks` settled. Prints a progress line every
// second and, at the end, one line `{"report": ...}`, then exits.
//
//   node run.mjs '{"tasks":4000,"kills":200,"seconds":60,"seed":1}'
import { Executor, Lock, Queue, WorkerCrashedError, wait } from 'sabsync';
import { EXIT_IN_CPU } from './tasks.mjs';

const opts = { tasks: 4000, kills: 200, seconds: 120, seed: 1, workers: 4, user: true, waitMs: 2000, graceMs: 20_000, ...JSON.parse(process.argv[2] ?? '{}') };
const IN_FLIGHT = 256; // enough of a backlog that the owner packs batches
const EXIT_EVERY = 60; // about one task in EXIT_EVERY exits on purpose

// A small deterministic PRNG (mulberry32), so that a failing round can be run again.
let seed = opts.seed >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Owner liveness: the longest gap between two ticks of a 10 ms interval.
let lastTick = performance.now();
let maxGapMs = 0;
const heartbeat = setInterval(() => {
  const now = performance.now();
  maxGapMs = Math.max(maxGapMs, now - lastTick);
  lastTick = now;
}, 10);

const ex = new Executor(new URL('./tasks.mjs', import.meta.url), { maxWorkers: opts.workers });
const workersOf = () => ex[Symbol.for('sabsync.poolWorkers')];
const starts = new Int32Array(new SharedArrayBuffer(4 * opts.tasks));
const holder = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const queue = new Queue();

const r = {
  submitted: 0, completed: 0, crashed: 0, exitsPlanned: 0, otherErrors: 0, errorSamples: [],
  lost: 0, lostStarted: 0, runTwice: 0, completedNotStarted: 0, overlaps: 0, lockTimeouts: 0, queueTimeouts: 0,
  kills: 0, single: 0, pairs: 0, pairsImmediate: 0, maxGapMs: 0, seconds: 0,
};
const futures = new Array(opts.tasks);
const exitAt = new Uint8Array(opts.tasks);
let settled = 0;
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const timeUp = () => elapsed() >= opts.seconds;

function sample(message) {
  r.otherErrors++;
  if (r.errorSamples.length < 5) r.errorSamples.push(message);
}

/** Count how task `id` ended (a done callback: it runs on this thread once the future is done). */
function onSettled(id) {
  return (f) => {
    settled++;
    f.result(0).then(
      (out) => {
        r.completed++;
        if (Atomics.load(starts, id) === 0) r.completedNotStarted++;
        if (out.id !== id) sample(`task ${id} got the result of task ${out.id}`);
        if (exitAt[id] !== 0) sample(`task ${id} should have exited (at ${exitAt[id]}) but returned`);
        r.lockTimeouts += out.lockTimeout;
        r.queueTimeouts += out.queueTimeout;
        r.overlaps += out.overlap;
      },
      (e) => {
        // A kill is never a reason to break the pool (only a worker that cannot start is).
        if (e instanceof WorkerCrashedError && !/failed to start/.test(e.message)) r.crashed++;
        else sample(`task ${id}: ${e?.name}: ${e?.message}`);
      },
    );
  };
}

async function submitter() {
  while (r.submitted < opts.tasks && !timeUp()) {
    if (r.submitted - settled >= IN_FLIGHT) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    const id = r.submitted++;
    // EXIT_IN_CPU, EXIT_IN_LOCK or EXIT_BETWEEN_PUT_AND_GET (1, 2, 3: tasks.mjs); without the user primitives, only the first.
    const exit = random() < 1 / EXIT_EVERY ? (opts.user ? 1 + Math.floor(random() * 3) : EXIT_IN_CPU) : 0;
    exitAt[id] = exit;
    if (exit) r.exitsPlanned++;
    const iters = Math.floor(random() * 2_000_000);
    futures[id] = ex.submit('work', id, starts, holder, opts.user ? lock : undefined, opts.user ? queue : undefined, iters, opts.waitMs, exit);
    futures[id].addDoneCallback(onSettled(id));
    if (id % 16 === 0) await new Promise(setImmediate);
  }
}

const kill = (w) => void w?.terminate();
const pick = () => {
  const ws = workersOf();
  return ws.length === 0 ? undefined : ws[Math.floor(random() * ws.length)];
};
const pickTwo = () => {
  const ws = workersOf();
  const a = Math.floor(random() * ws.length);
  return [ws[a], ws.length > 1 ? ws[(a + 1 + Math.floor(random() * (ws.length - 1))) % ws.length] : undefined];
};

async function killer() {
  let submitting = true;
  void submitter().finally(() => (submitting = false));
  const tasksPerKill = opts.tasks / opts.kills;
  while ((submitting || r.kills < opts.kills) && !timeUp()) {
    await new Promise((resolve) => setTimeout(resolve, 20 + random() * 60));
    // Workers need time to start and run tasks between kills: keep to the kills-per-task ratio.
    if (submitting && r.kills > (settled + 1) / tasksPerKill) continue;
    const mode = random();
    if (mode < 0.4) {
      kill(pick());
      r.single++;
      r.kills++;
    } else if (mode < 0.7) {
      const [a, b] = pickTwo();
      kill(a);
      kill(b);
      r.pairs++;
      r.kills += 2;
    } else {
      const [a, b] = pickTwo();
      kill(a);
      await new Promise(setImmediate);
      kill(b);
      r.pairsImmediate++;
      r.kills += 2;
    }
  }
  while (submitting) await new Promise((resolve) => setTimeout(resolve, 10));
}

const progress = setInterval(() => {
  console.log(JSON.stringify({ progress: { t: Math.round(elapsed()), submitted: r.submitted, settled, kills: r.kills, maxGapMs: Math.round(maxGapMs) } }));
}, 1000);

await killer();
const submittedFutures = futures.slice(0, r.submitted);
const { notDone } = await wait(submittedFutures, { timeout: opts.graceMs });
r.lost = notDone.size;
for (const f of notDone) if (Atomics.load(starts, futures.indexOf(f)) > 0) r.lostStarted++;
await new Promise((resolve) => setTimeout(resolve, 50)); // let the last done callbacks' promises run
for (let id = 0; id < r.submitted; id++) if (Atomics.load(starts, id) > 1) r.runTwice++;
r.maxGapMs = Math.round(maxGapMs);
r.seconds = Math.round(elapsed());
clearInterval(progress);
clearInterval(heartbeat);
console.log(JSON.stringify({ report: r }));
process.exit(0);
