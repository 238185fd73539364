// The kill soak: `npm run soak` (minutes), or a bounded run (test/soak.test.ts).
//
//   node test/soak/soak.mjs [--tasks 20000] [--kills 1000] [--rounds 5] [--seconds 900]
//                           [--workers 4] [--no-user] [--seed 1] [--json]
//
// Runs `rounds` rounds of run.mjs, each in its own process with tasks/rounds tasks and
// kills/rounds kills (see run.mjs for what a round does), and sums their reports. Each round
// runs under an outside watch, so that a hang fails instead of hanging: a round whose owner
// prints no progress for STALL_MS (its event loop is frozen) or that outlives its time is
// killed and counted as a hang. Node 20 itself may abort a process when a worker is terminated
// while its module graph is starting (FACTS.md): a round that dies of that SIGABRT is recorded
// with Node's message and run again with the next seed (at most MAX_ABORTS times), not counted
// as a failure of ours (any other abort, an out-of-memory one say, is). Prints the totals and the verdict (with --json, one JSON line last);
// exits 0 if the soak passed.
//
// Passes when, over all rounds: no task lost (never settled), none run twice, none reported
// done without having started, no two holders of the user Lock at once, no user Lock or Queue
// call timed out (a primitive left wedged by a dead worker), no other error than
// WorkerCrashedError, no hang, and the owner's event loop never stalled for STALL_MS.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const STALL_MS = 10_000;
/** Node 20's own abort when a worker is terminated while its module graph starts (FACTS.md); any other abort is a failure. */
const NODE_ABORT = /ExecuteAsyncModule/;
const MAX_ABORTS = 3;
const GRACE_MS = 20_000;

function parseArgs(argv) {
  const o = { tasks: 20_000, kills: 1000, rounds: 5, seconds: 900, workers: 4, user: true, seed: 1, json: false, graceMs: GRACE_MS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--no-user') o.user = false;
    else if (a.startsWith('--') && a.slice(2) in o && i + 1 < argv.length) o[a.slice(2)] = Number(argv[++i]);
    else throw new Error(`soak: unknown argument ${a}`);
  }
  return o;
}

/** Run one round; resolves with { report } or { hang, last } or { abort, message } or { failure, message }. */
function round(options) {
  const script = fileURLToPath(new URL('./run.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buffer = '';
  let report;
  let last;
  let lastOutput = performance.now();
  let killedFor;
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-4000)));
  child.stdout.setEncoding('utf8').on('data', (s) => {
    lastOutput = performance.now();
    buffer += s;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const m = JSON.parse(line);
        if (m.report) report = m.report;
        if (m.progress) last = m.progress;
      } catch {
        // not ours
      }
    }
  });
  const deadline = performance.now() + options.seconds * 1000 + options.graceMs + STALL_MS + 30_000;
  const watch = setInterval(() => {
    const now = performance.now();
    if (now - lastOutput > STALL_MS) killedFor = `no progress for ${STALL_MS} ms: the owner's event loop is frozen`;
    else if (now > deadline) killedFor = 'the round outlived its time';
    if (killedFor !== undefined) {
      clearInterval(watch);
      child.kill('SIGKILL');
    }
  }, 500);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(watch);
      if (killedFor !== undefined) resolve({ hang: killedFor, last });
      else if (signal === 'SIGABRT' && NODE_ABORT.test(stderr)) resolve({ abort: true, message: stderr.trim().split('\n').slice(0, 6).join('\n'), last });
      else if (code === 0 && report !== undefined) resolve({ report });
      else resolve({ failure: `exit code ${code}, signal ${signal}`, message: stderr.trim().slice(-1500), last });
    });
  });
}

const SUMS = ['submitted', 'completed', 'crashed', 'exitsPlanned', 'otherErrors', 'lost', 'lostStarted', 'runTwice', 'completedNotStarted', 'overlaps', 'lockTimeouts', 'queueTimeouts', 'kills', 'single', 'pairs', 'pairsImmediate'];

export async function soak(o, log = () => {}) {
  const total = Object.fromEntries(SUMS.map((k) => [k, 0]));
  Object.assign(total, { maxGapMs: 0, rounds: 0, hangs: [], aborts: [], failures: [], errorSamples: [] });
  let seed = o.seed;
  for (let i = 0; i < o.rounds; i++) {
    const options = { tasks: Math.ceil(o.tasks / o.rounds), kills: Math.ceil(o.kills / o.rounds), seconds: o.seconds, workers: o.workers, user: o.user, graceMs: o.graceMs, seed: seed++ };
    const t0 = performance.now();
    const out = await round(options);
    const secs = Math.round((performance.now() - t0) / 1000);
    if (out.abort) {
      total.aborts.push({ seed: options.seed, message: out.message, last: out.last });
      log(`round ${i + 1} (seed ${options.seed}): Node aborted (SIGABRT), not ours; run again:\n  ${out.message.replaceAll('\n', '\n  ')}`);
      if (total.aborts.length <= MAX_ABORTS) i--;
      continue;
    }
    if (out.hang) {
      total.hangs.push({ seed: options.seed, why: out.hang, last: out.last });
      log(`round ${i + 1} (seed ${options.seed}): HANG, ${out.hang}; last progress ${JSON.stringify(out.last)}`);
      continue;
    }
    if (out.failure) {
      total.failures.push({ seed: options.seed, why: out.failure, message: out.message, last: out.last });
      log(`round ${i + 1} (seed ${options.seed}): FAILED, ${out.failure}\n${out.message}`);
      continue;
    }
    const r = out.report;
    total.rounds++;
    for (const k of SUMS) total[k] += r[k];
    total.maxGapMs = Math.max(total.maxGapMs, r.maxGapMs);
    total.errorSamples.push(...r.errorSamples.slice(0, 5 - total.errorSamples.length));
    log(`round ${i + 1} (seed ${options.seed}, ${secs} s): ${r.submitted} tasks, ${r.completed} completed, ${r.crashed} crashed, ${r.lost} lost (${r.lostStarted} started), ${r.runTwice} run twice, ${r.kills} kills, ${r.lockTimeouts} lock timeouts, max owner gap ${r.maxGapMs} ms`);
  }
  const reasons = [];
  const none = (k, what) => total[k] > 0 && reasons.push(`${total[k]} ${what}`);
  none('lost', `tasks lost (never settled; ${total.lostStarted} of them started, stuck in the task)`);
  none('runTwice', 'tasks run twice');
  none('completedNotStarted', 'tasks done without having started');
  none('overlaps', 'times two threads held the user Lock at once');
  none('lockTimeouts', 'user Lock acquires timed out (a Lock left wedged)');
  none('queueTimeouts', 'user Queue calls timed out (a Queue left wedged)');
  none('otherErrors', `unexpected task errors (${total.errorSamples.join('; ')})`);
  if (total.hangs.length > 0) reasons.push(`${total.hangs.length} rounds hung (${total.hangs.map((h) => h.why).join('; ')})`);
  if (total.failures.length > 0) reasons.push(`${total.failures.length} rounds failed (${total.failures.map((f) => f.why).join('; ')})`);
  if (total.maxGapMs >= STALL_MS) reasons.push(`the owner's event loop stalled for ${total.maxGapMs} ms`);
  if (total.rounds === 0) reasons.push('no round completed');
  return { ...total, targets: { tasks: o.tasks, kills: o.kills }, ok: reasons.length === 0, reasons };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  const log = (line) => console.log(line);
  log(`kill soak: ${o.tasks} tasks, ${o.kills} kills, ${o.rounds} rounds, ${o.workers} workers${o.user ? ', user Lock and Queue' : ''}`);
  const result = await soak(o, log);
  log(`total: ${result.submitted} tasks (${result.completed} completed, ${result.crashed} crashed, ${result.exitsPlanned} of them exits on purpose), ${result.lost} lost, ${result.runTwice} run twice, ${result.kills} kills (${result.single} single, ${result.pairs} pairs, ${result.pairsImmediate} pairs a setImmediate apart), ${result.lockTimeouts} user Lock timeouts, ${result.queueTimeouts} user Queue timeouts, owner's longest gap ${result.maxGapMs} ms, ${result.hangs.length} hangs, ${result.aborts.length} Node aborts`);
  if (result.submitted < o.tasks || result.kills < o.kills) log(`note: targets not reached (${o.tasks} tasks, ${o.kills} kills) within the rounds' time`);
  log(result.ok ? 'PASS' : `FAIL: ${result.reasons.join('; ')}`);
  if (o.json) console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
}
