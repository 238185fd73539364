// Shared data against what a user writes without sabsync:
//   1. read-mostly throughput, 8 reader workers : 1 writer worker, over one shared table of 128
//      words (a short read) and of 4096 words (a read of a few µs): ReaderWriterLock (readers
//      share it) vs a plain Lock taken by every reader and the writer (the baseline). Every read
//      checks the table is not torn (all words equal) and the main thread checks, after each
//      round, that no read saw a torn table and that the writer's count is in every word.
//      The readers run in parallel only on as many cores as the machine has;
//   2. SharedDict get / set / update on the main thread vs a Map owned by a worker behind
//      postMessage (the main thread sends a request and awaits the reply; the baseline), with
//      every answer checked.
// Rows are medians of several rounds with a warm-up round left out.
//
// This file is also the workers' script (the readers, the writer and the Map's owner).
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Lock, ReaderWriterLock, SharedDict } from 'sabsync';
import { failedRow, median, pick, row, serveRounds, spread, workerRounds } from './lib.mjs';

export const title = 'Shared data: ReaderWriterLock vs Lock, SharedDict vs a Map behind postMessage';

const HERE = new URL(import.meta.url);
const READERS = 8;

// ---------------------------------------------------------------------------------------------
// Worker side

/**
 * A reader (index < READERS) or the writer (index READERS), `n` critical sections per round.
 * The table's words are read and written with plain (non-atomic) accesses, so a lock that lets
 * a reader in during a write shows up as a torn read, counted in `torn`.
 */
function rwLoop({ kind, table, torn, handle }) {
  const t = new Int32Array(table);
  const WORDS = t.length;
  const bad = new Int32Array(torn);
  const writer = workerData.index === READERS;
  const rw = kind === 'rw' ? ReaderWriterLock.from(handle) : undefined;
  const lock = kind === 'lock' ? Lock.from(handle) : undefined;
  const [enter, leave] = writer
    ? rw
      ? [() => rw.acquireWrite(), () => rw.releaseWrite()]
      : [() => lock.acquire(), () => lock.release()]
    : rw
      ? [() => rw.acquireRead(), () => rw.releaseRead()]
      : [() => lock.acquire(), () => lock.release()];
  if (writer) {
    return (n) => {
      for (let i = 0; i < n; i++) {
        enter();
        const v = t[0] + 1;
        for (let j = 0; j < WORDS; j++) t[j] = v;
        leave();
      }
    };
  }
  return (n) => {
    for (let i = 0; i < n; i++) {
      enter();
      const first = t[0];
      let sum = 0;
      for (let j = 0; j < WORDS; j++) sum += t[j];
      leave();
      if (sum !== first * WORDS) Atomics.add(bad, 0, 1);
    }
  };
}

if (!isMainThread && workerData?.data?.role === 'rw') {
  serveRounds(rwLoop(workerData.data));
} else if (!isMainThread && workerData?.role === 'map') {
  // The Map's owner: what a program without shared memory writes.
  const map = new Map();
  parentPort.on('message', ({ op, key, value }) => {
    if (op === 'get') parentPort.postMessage(map.get(key));
    else if (op === 'set') {
      map.set(key, value);
      parentPort.postMessage(true);
    } else if (op === 'inc') {
      const next = (map.get(key) ?? 0) + 1;
      map.set(key, next);
      parentPort.postMessage(next);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Read-mostly: 8 readers : 1 writer

/**
 * One group: every reader and the writer do `n` critical sections a round over a table of
 * `words` Int32 words (a read sums them all, a write sets them all to the next version).
 */
async function readMostly(quick, words, n) {
  const runs = pick(quick, 5, 1);
  const WORDS = words;
  const group = `read-mostly: ${READERS} reader workers + 1 writer worker, ${n.toLocaleString('en-US')} critical sections each, ${WORDS}-word table`;
  const unit = 'ops/s';
  const table = new SharedArrayBuffer(WORDS * 4);
  const torn = new SharedArrayBuffer(4);
  const t = new Int32Array(table);
  const bad = new Int32Array(torn);
  const ops = (READERS + 1) * n;
  const cpus = os.cpus().length;
  const measure = async (name, kind, handle, extra = {}) => {
    let times;
    try {
      times = await workerRounds({
        url: HERE,
        workers: READERS + 1,
        data: { role: 'rw', kind, table, torn, handle },
        iterations: n,
        warmup: pick(quick, n / 4, n),
        runs,
        reset: () => {
          t.fill(0);
          bad[0] = 0;
        },
        check: (k) => {
          if (bad[0] !== 0) throw new Error(`${bad[0]} reads saw a torn table: the lock let a reader in during a write`);
          if (t.some((w) => w !== k)) throw new Error(`the table holds ${t[0]}…${t[WORDS - 1]}, expected ${k} writes everywhere`);
        },
      });
    } catch (error) {
      return failedRow(group, name, unit, error);
    }
    const rates = times.map((ms) => ops / (ms / 1000));
    return row(group, name, median(rates), unit, { ...extra, note: spread(rates, unit) });
  };
  const note = `${READERS + 1} threads on ${cpus} cores: at most ${cpus} of them read at once`;
  const lockRow = await measure('Lock for readers and writer (baseline)', 'lock', new Lock().handle, { baseline: true });
  const rwRow = await measure('ReaderWriterLock: acquireRead / acquireWrite', 'rw', new ReaderWriterLock().handle);
  rwRow.note = [rwRow.note, note].filter(Boolean).join('; ');
  return [lockRow, rwRow];
}

// ---------------------------------------------------------------------------------------------
// 2. SharedDict vs a Map behind postMessage

const KEYS = 100;
const key = (i) => `key${i % KEYS}`;

/** µs/op of `runs` rounds of `n` ops after one warm-up round; `op(i)` and `after()` may be async. */
async function timeOps(n, runs, op, before = () => {}, after = () => {}) {
  const times = [];
  for (let r = 0; r <= runs; r++) {
    before();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    const us = ((performance.now() - t0) * 1000) / n;
    await after(n);
    if (r > 0) times.push(us);
  }
  return times;
}

/** Same as timeOps for a synchronous op (no await in the loop). */
function timeOpsSync(n, runs, op, before = () => {}, after = () => {}) {
  const times = [];
  for (let r = 0; r <= runs; r++) {
    before();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) op(i);
    const us = ((performance.now() - t0) * 1000) / n;
    after(n);
    if (r > 0) times.push(us);
  }
  return times;
}

async function dictVsMap(quick) {
  const n = pick(quick, 20_000, 2_000);
  const runs = pick(quick, 5, 1);
  const unit = 'µs/op';
  const groups = {
    get: `get, main thread, ${KEYS} number values (${n.toLocaleString('en-US')} ops a round)`,
    set: `set, main thread, ${KEYS} keys (${n.toLocaleString('en-US')} ops a round)`,
    inc: `increment one key, main thread (${n.toLocaleString('en-US')} ops a round)`,
  };
  const baseName = {
    get: 'Map in a worker: postMessage get + await reply (baseline)',
    set: 'Map in a worker: postMessage set + await ack (baseline)',
    inc: 'Map in a worker: postMessage increment + await new value (baseline)',
  };
  const ourName = { get: 'SharedDict.get', set: 'SharedDict.set', inc: 'SharedDict.update(k, (n) => n + 1)' };
  const rowOf = (g, name, times, extra = {}) => row(groups[g], name, median(times), unit, { ...extra, note: spread(times, 'µs') });
  const rows = { get: [], set: [], inc: [] };

  // The Map behind postMessage.
  const w = new Worker(HERE, { workerData: { role: 'map' } });
  try {
    let pending;
    w.on('message', (v) => pending.resolve(v));
    w.on('error', (e) => pending?.reject(e));
    const ask = (msg) => new Promise((resolve, reject) => ((pending = { resolve, reject }), w.postMessage(msg)));
    for (let i = 0; i < KEYS; i++) await ask({ op: 'set', key: key(i), value: i });
    const attempt = async (g, fn) => {
      try {
        rows[g].push(rowOf(g, baseName[g], await fn(), { baseline: true }));
      } catch (e) {
        rows[g].push(failedRow(groups[g], baseName[g], unit, e));
      }
    };
    await attempt('get', () =>
      timeOps(n, runs, async (i) => {
        const v = await ask({ op: 'get', key: key(i) });
        if (v !== i % KEYS) throw new Error(`get ${key(i)} answered ${v}`);
      }),
    );
    let round = 0;
    await attempt('set', () =>
      timeOps(
        n,
        runs,
        (i) => ask({ op: 'set', key: key(i), value: round * n + i }),
        () => round++,
        async () => {
          const v = await ask({ op: 'get', key: key(n - 1) });
          if (v !== round * n + n - 1) throw new Error(`after the sets ${key(n - 1)} holds ${v}, expected ${round * n + n - 1}`);
        },
      ),
    );
    let count = 0;
    await attempt('inc', () =>
      timeOps(n, runs, async () => {
        const v = await ask({ op: 'inc', key: 'count' });
        if (v !== ++count) throw new Error(`increment answered ${v}, expected ${count}`);
      }),
    );
  } finally {
    await w.terminate();
  }

  // SharedDict, the same operations in place.
  const d = new SharedDict();
  for (let i = 0; i < KEYS; i++) d.set(key(i), i);
  const attempt = (g, fn) => {
    try {
      rows[g].push(rowOf(g, ourName[g], fn()));
    } catch (e) {
      rows[g].push(failedRow(groups[g], ourName[g], unit, e));
    }
  };
  attempt('get', () =>
    timeOpsSync(n, runs, (i) => {
      const v = d.get(key(i));
      if (v !== i % KEYS) throw new Error(`get ${key(i)} returned ${v}`);
    }),
  );
  let round = 0;
  attempt('set', () =>
    timeOpsSync(
      n,
      runs,
      (i) => d.set(key(i), round * n + i),
      () => round++,
      () => {
        const v = d.get(key(n - 1));
        if (v !== round * n + n - 1) throw new Error(`after the sets ${key(n - 1)} holds ${v}, expected ${round * n + n - 1}`);
        if (d.size !== KEYS) throw new Error(`the dict has ${d.size} keys, expected ${KEYS}`);
      },
    ),
  );
  let count = 0;
  attempt('inc', () =>
    timeOpsSync(n, runs, () => {
      const v = d.update('count', (old = 0) => old + 1);
      if (v !== ++count) throw new Error(`update returned ${v}, expected ${count}`);
    }),
  );
  if (rows.inc.every((r) => !r.failed) && d.get('count') !== count) {
    rows.inc[1] = failedRow(groups.inc, ourName.inc, unit, new Error(`the dict counted ${d.get('count')}, expected ${count}`));
  }
  return [...rows.get, ...rows.set, ...rows.inc];
}

export async function run({ quick }) {
  return [
    ...(await readMostly(quick, 128, pick(quick, 100_000, 2_000))),
    ...(await readMostly(quick, 4096, pick(quick, 10_000, 500))),
    ...(await dictVsMap(quick)),
  ];
}
