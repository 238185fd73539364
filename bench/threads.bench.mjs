// Thread and Pipe: a Pipe's round trip between the main thread and a Thread against a
// MessagePort round trip with a plain worker (the baseline, what a user writes without
// sabsync); one-way Pipe throughput against postMessage; and the cost of Thread's supervisor:
// start() to the target's first line against a worker started directly that loads the same
// modules and takes its arguments from a Queue the same way (threads/supervisor.ts).
// Rows are medians of several rounds with warm-up rounds left out.
//
// This file is also the Thread target module and the plain worker's script.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EOFError, Pipe, Queue, Thread } from 'sabsync';
import { failedRow, median, pick, row, spread } from './lib.mjs';

export const title = 'Thread and Pipe: round trip vs MessagePort, start-up through the supervisor';

// ---------------------------------------------------------------------------------------------
// Thread targets

/** Answer every value with value + 1 until the pipe ends. */
export function pong(conn) {
  for (;;) {
    let v;
    try {
      v = conn.recv();
    } catch (e) {
      if (e instanceof EOFError) return;
      throw e;
    }
    conn.send(v + 1);
  }
}

/** Send 0..n-1 and close. */
export function produce(conn, n) {
  for (let i = 0; i < n; i++) conn.send(i);
  conn.close();
}

/** Stamp the wall-clock time of the target's first line. */
export function stamp(sab) {
  new Float64Array(sab)[0] = performance.timeOrigin + performance.now();
}

// ---------------------------------------------------------------------------------------------
// Plain worker side

if (!isMainThread && workerData?.role === 'echo') {
  parentPort.on('message', (v) => (v === null ? parentPort.close() : parentPort.postMessage(v + 1)));
} else if (!isMainThread && workerData?.role === 'produce') {
  for (let i = 0; i < workerData.n; i++) parentPort.postMessage(i);
} else if (!isMainThread && workerData?.role === 'stamp') {
  const q = Queue.from(workerData.mailbox);
  const [sab] = await q.getAsync(10_000);
  stamp(sab); // this module is the target module: loaded already, as a Thread's is by its import

}

// ---------------------------------------------------------------------------------------------
// Main side

const HERE = new URL(import.meta.url);

function plain(data) {
  return new Worker(HERE, { workerData: data });
}

async function roundTrips(quick) {
  const group = 'Round trip, main thread ↔ one worker';
  const n = pick(quick, 20_000, 2_000);
  const rows = [];
  const runs = pick(quick, 3, 1);
  // MessagePort (baseline)
  {
    const w = plain({ role: 'echo' });
    const times = [];
    let resolve;
    w.on('message', (v) => resolve(v));
    const ask = (v) => new Promise((r) => ((resolve = r), w.postMessage(v)));
    await ask(0);
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) if ((await ask(i)) !== i + 1) throw new Error('bad echo');
      times.push(((performance.now() - t0) / n) * 1000);
    }
    w.postMessage(null);
    await w.terminate();
    rows.push(row(group, 'worker.postMessage + await message (baseline)', median(times), 'µs/round trip', { baseline: true, note: spread(times, 'µs') }));
  }
  for (const mode of ['sync', 'async']) {
    const name = mode === 'sync' ? 'Pipe send + recv (main blocks) ↔ Thread' : 'Pipe sendAsync + recvAsync ↔ Thread';
    try {
      const [a, b] = Pipe();
      const t = new Thread(HERE, 'pong', { args: [b], daemon: true });
      t.start();
      a.send(0);
      a.recv(30_000);
      const times = [];
      for (let run = 0; run < runs; run++) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          let v;
          if (mode === 'sync') {
            a.send(i);
            v = a.recv(30_000);
          } else {
            await a.sendAsync(i);
            v = await a.recvAsync(30_000);
          }
          if (v !== i + 1) throw new Error(`bad pong ${v} for ${i}`);
        }
        times.push(((performance.now() - t0) / n) * 1000);
      }
      a.close();
      if (!t.join(30_000)) throw new Error('the pong thread did not end');
      rows.push(row(group, name, median(times), 'µs/round trip', { note: spread(times, 'µs') }));
    } catch (e) {
      rows.push(failedRow(group, name, 'µs/round trip', e));
    }
  }
  return rows;
}

async function oneWay(quick) {
  const group = 'One way, worker → main thread, numbers';
  const n = pick(quick, 200_000, 20_000);
  const rows = [];
  {
    const w = plain({ role: 'produce', n });
    const t0 = performance.now();
    let seen = 0;
    await new Promise((resolve, reject) =>
      w.on('message', (v) => {
        if (v !== seen++) reject(new Error('out of order'));
        if (seen === n) resolve();
      }),
    );
    rows.push(row(group, 'worker.postMessage (baseline)', n / ((performance.now() - t0) / 1000), 'msgs/s', { baseline: true }));
    await w.terminate();
  }
  try {
    const [r, w] = Pipe(false);
    const t = new Thread(HERE, 'produce', { args: [w, n], daemon: true });
    const t0 = performance.now();
    t.start();
    let seen = 0;
    for (;;) {
      let v;
      try {
        v = r.recv(30_000);
      } catch (e) {
        if (e instanceof EOFError) break;
        throw e;
      }
      if (v !== seen++) throw new Error('out of order');
    }
    if (seen !== n) throw new Error(`got ${seen} of ${n}`);
    rows.push(row(group, 'Pipe(false) send → recv (Thread start included)', n / ((performance.now() - t0) / 1000), 'msgs/s'));
    t.join(30_000);
  } catch (e) {
    rows.push(failedRow(group, 'Pipe(false) send → recv', 'msgs/s', e));
  }
  return rows;
}

async function startUp(quick) {
  const group = 'Start-up: start() to the target\'s first line';
  const runs = pick(quick, 15, 3);
  const viaThread = [];
  const direct = [];
  const startReturns = [];
  const now = () => performance.timeOrigin + performance.now();
  // The supervisor's own start-up, paid once, is not counted.
  const first = new Thread(HERE, 'stamp', { args: [new SharedArrayBuffer(8)] });
  first.start();
  first.join(30_000);
  for (let i = 0; i < runs; i++) {
    const sab = new SharedArrayBuffer(8);
    let t0 = now();
    const t = new Thread(HERE, 'stamp', { args: [sab] });
    t.start();
    startReturns.push(now() - t0);
    if (!t.join(30_000)) throw new Error('thread did not end');
    viaThread.push(new Float64Array(sab)[0] - t0);
    const sab2 = new SharedArrayBuffer(8);
    t0 = now();
    const mailbox = new Queue(0, { bytes: 1 << 20, maxWaiters: 2 });
    mailbox.put([sab2]);
    const w = plain({ role: 'stamp', mailbox: mailbox.handle });
    await new Promise((r) => w.on('exit', r));
    direct.push(new Float64Array(sab2)[0] - t0);
  }
  return [
    row(group, 'a worker started directly, same modules and argument Queue (baseline)', median(direct), 'ms', { baseline: true, note: spread(direct, 'ms') }),
    row(group, 'Thread.start() through the supervisor', median(viaThread), 'ms', { note: spread(viaThread, 'ms') }),
    row('Thread.start() call (the supervisor up)', 'returns after', median(startReturns), 'ms', { baseline: true, note: spread(startReturns, 'ms') }),
  ];
}

export async function run({ quick }) {
  return [...(await roundTrips(quick)), ...(await oneWay(quick)), ...(await startUp(quick))];
}
