// The primitives against their floors, side by side in one run:
//   1. uncontended acquire + release on one thread (tinybench) vs a bare CAS + store;
//   2. two workers x N lock-protected increments: Lock vs V8's Atomics.Mutex vs a hand-written
//      futex lock vs Atomics.add with no lock (the floor);
//   3. ping-pong round trips between two workers: Condition (written the Python way, and with
//      the lock held across rounds) and Event vs raw Atomics.wait / Atomics.notify on one word
//      (the floor).
import { fileURLToPath } from 'node:url';
import { Condition, Event, Lock, RLock, Semaphore } from 'sabsync';
import { failedRow, median, microRows, pick, probeNode, row, runNode, skippedRow, spread, workerRounds } from './lib.mjs';

export const title = 'Primitives: Lock, RLock, Semaphore, Condition, Event vs raw Atomics';

const contendedWorker = new URL('./workers/primitives-contended.mjs', import.meta.url);
const pingpongWorker = new URL('./workers/primitives-pingpong.mjs', import.meta.url);
const mutexChild = new URL('./workers/primitives-mutex.mjs', import.meta.url);

export async function run({ quick }) {
  return [...(await uncontended(quick)), ...(await contended(quick)), ...(await pingPong(quick))];
}

// ---------------------------------------------------------------------------------------------
// 1. Uncontended acquire + release

async function uncontended(quick) {
  const group = 'uncontended acquire + release, one thread';
  const word = new Int32Array(new SharedArrayBuffer(4));
  const lock = new Lock();
  const rlock = new RLock();
  const sem = new Semaphore(1);
  const cases = [
    {
      name: 'floor: Atomics.compareExchange + Atomics.store',
      baseline: true,
      op(n) {
        for (let i = 0; i < n; i++) {
          Atomics.compareExchange(word, 0, 0, 1);
          Atomics.store(word, 0, 0);
        }
      },
    },
    {
      name: 'reference: 3-state futex lock fast path (CAS + sub)',
      op(n) {
        for (let i = 0; i < n; i++) {
          if (Atomics.compareExchange(word, 0, 0, 1) !== 0) throw new Error('word left locked');
          if (Atomics.sub(word, 0, 1) !== 1) throw new Error('word had waiters');
        }
      },
    },
    {
      name: 'Lock acquire() + release()',
      op(n) {
        for (let i = 0; i < n; i++) {
          lock.acquire();
          lock.release();
        }
      },
    },
    {
      name: 'RLock acquire() + release()',
      op(n) {
        for (let i = 0; i < n; i++) {
          rlock.acquire();
          rlock.release();
        }
      },
    },
    {
      name: 'Semaphore(1) acquire() + release()',
      op(n) {
        for (let i = 0; i < n; i++) {
          sem.acquire();
          sem.release();
        }
      },
    },
  ];
  return microRows(group, cases, { quick });
}

// ---------------------------------------------------------------------------------------------
// 2. Two workers x N lock-protected increments

async function contended(quick) {
  const iterations = pick(quick, 1_000_000, 100_000);
  const runs = pick(quick, 5, 1);
  const warmup = pick(quick, iterations / 10, iterations);
  const label = iterations.toLocaleString('en-US');
  const whole = `contended: 2 workers x ${label} increments, whole run`;
  const each = `contended: 2 workers x ${label} increments, per critical section`;

  const counter = new SharedArrayBuffer(4);
  const c = new Int32Array(counter);
  const measure = (data) =>
    workerRounds({
      url: contendedWorker,
      data: { counter, ...data },
      iterations,
      warmup,
      runs,
      reset: () => (c[0] = 0),
      check: (n) => {
        if (c[0] !== 2 * n) throw new Error(`counted ${c[0]}, expected ${2 * n}: the lock let increments race`);
      },
    });

  // One entry per row: { name, ms, notes, baseline? } when measured, { name, error } when the
  // measurement failed, { name, skip } when it cannot run here.
  const results = [];
  const add = (name, times, extra = {}) => results.push({ name, ms: median(times), notes: [spread(times, 'ms')], ...extra });
  const attempt = async (name, data, extra) => {
    try {
      add(name, await measure(data), extra);
    } catch (error) {
      results.push({ name, error });
    }
  };

  await attempt('floor: Atomics.add, no lock', { kind: 'add' }, { baseline: true });
  await attempt('reference: 3-state futex lock on raw Atomics', { kind: 'drepper', lockWord: new SharedArrayBuffer(4) });
  await attempt('Lock', { kind: 'lock', handle: new Lock().handle });
  await attempt('RLock', { kind: 'rlock', handle: new RLock().handle });

  const mutexName = 'V8 Atomics.Mutex (node --harmony-struct)';
  const available = await probeNode(
    ['--harmony-struct'],
    "typeof Atomics.Mutex === 'function' && typeof Atomics.Mutex.lock === 'function'",
    'Atomics.Mutex',
  );
  // An experimental V8 feature in another process: its failure is reported in its row as a
  // skip (nothing for us to fix), and the other rows stand.
  const mutex =
    available === true
      ? await runNode(['--harmony-struct'], fileURLToPath(mutexChild), [iterations, warmup, runs].map(String)).catch((e) => `failed: ${e.message}`)
      : `skipped: ${available}`;
  if (typeof mutex === 'string') {
    results.push({ name: mutexName, skip: mutex });
  } else {
    add(mutexName, mutex.times);
    const lockRow = results.find((r) => r.name === 'Lock');
    if (lockRow.ms !== undefined) lockRow.notes.push(`${(lockRow.ms / median(mutex.times)).toFixed(2)}x the time of Atomics.Mutex (target <= 1)`);
  }

  const rowsOf = (group, unit, value, note) =>
    results.map((r) => {
      if (r.error) return failedRow(group, r.name, unit, r.error);
      if (r.skip) return skippedRow(group, r.name, unit, r.skip);
      return row(group, r.name, value(r), unit, { baseline: r.baseline, note: note(r) });
    });
  return [
    ...rowsOf(whole, 'ms', (r) => r.ms, (r) => r.notes.filter(Boolean).join('; ')),
    ...rowsOf(each, 'ns/critical section', (r) => (r.ms * 1e6) / (2 * iterations), () => ''),
  ];
}

// ---------------------------------------------------------------------------------------------
// 3. Ping-pong between two workers

async function pingPong(quick) {
  const rounds = pick(quick, 20_000, 2_000);
  const runs = pick(quick, 5, 1);
  const group = `ping-pong: 2 workers x ${rounds.toLocaleString('en-US')} round trips`;
  const turn = new SharedArrayBuffer(4);
  const t = new Int32Array(turn);
  const unit = 'µs/round trip';
  const measure = async (name, data, extra = {}, reset = () => {}) => {
    let times;
    try {
      times = await workerRounds({
        url: pingpongWorker,
        data: { turn, ...data },
        iterations: rounds,
        warmup: pick(quick, rounds / 10, rounds),
        runs,
        reset: () => {
          t[0] = 0;
          reset();
        },
        check: (n) => {
          if (t[0] !== 2 * n) throw new Error(`${t[0]} turns taken, expected ${2 * n}`);
        },
      });
    } catch (error) {
      return failedRow(group, name, unit, error);
    }
    const perRound = 1000 / rounds;
    return row(group, name, median(times) * perRound, unit, { ...extra, note: spread(times, unit, perRound) });
  };

  const ping = new Event();
  const pong = new Event();
  const clearBoth = () => {
    ping.clear();
    pong.clear();
  };
  return [
    await measure('floor: Atomics.wait / Atomics.notify on one word', { kind: 'raw' }, { baseline: true }),
    await measure('Condition over an RLock (the default), the Python way: acquire, waitFor, notify, release each round', {
      kind: 'python',
      handles: { cond: new Condition().handle },
    }),
    await measure('Condition over a Lock, the Python way', { kind: 'python', handles: { cond: new Condition(new Lock()).handle } }),
    await measure('Condition over an RLock, the lock held across rounds', { kind: 'condition', handles: { cond: new Condition().handle } }),
    await measure('Condition over a Lock, the lock held across rounds', { kind: 'condition', handles: { cond: new Condition(new Lock()).handle } }),
    await measure('Event x 2 (set / wait / clear)', { kind: 'event', handles: { ping: ping.handle, pong: pong.handle } }, {}, clearBoth),
  ];
}
