// Queue throughput: one producer worker → one consumer worker, for numbers, small objects and
// 64 KiB typed arrays, against MessagePort.postMessage carrying the same items (the baseline)
// and, for numbers, a bare single-producer/single-consumer ring on Atomics (the floor); then
// 2 producers × 2 consumers; then the codec's cost per item on one thread (put + get), and the
// codec alone (encode + decode) against node:v8's serializer and structuredClone (the clone
// postMessage makes).
// Each worker row is the median of 3 runs with fresh workers (1 run under --quick).
//
// This file is also the worker script: a worker runs the role given in its workerData.
import { MessageChannel, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Deserializer, Serializer } from 'node:v8';
import { Lock, Queue } from 'sabsync';
import { decode, encode, landing } from '../dist/queue/codec.js';

export const title = 'Queue: items/s between worker threads, vs postMessage and a bare Atomics ring';

const NAME = 'x'.repeat(32);
const TAGS = ['red', 'green', 'blue'];
const ARRAY = new Uint8Array(64 * 1024);
const makers = {
  number: (i) => i,
  object: (i) => ({ id: i, name: NAME, tags: TAGS }),
  array: (i) => {
    ARRAY[0] = i & 255;
    return ARRAY;
  },
};
/** What a consumer adds up, to check that every item arrived whole. */
const weigh = {
  number: (x) => x,
  object: (x) => x.id + x.tags.length - 3 + x.name.length - 32,
  array: (x) => x.length - 65536 + 1,
};

// ---------------------------------------------------------------------------------------------
// Worker side

// The floor: a bare single-producer/single-consumer ring of float64s. Words: 0 HEAD (items
// consumed), 1 TAIL (items produced), 2 "producer may sleep on HEAD", 3 "consumer may sleep on
// TAIL". A sleeper raises its flag, re-checks the counter, sleeps comparing against the value it
// saw, and lowers its own flag when it wakes; the other side notifies whenever the flag is up
// after moving its counter, so either the sleeper sees the move or the mover sees the flag.
const RING = 1024;

function ringProduce(n, sab) {
  const ctl = new Int32Array(sab, 0, 4);
  const data = new Float64Array(sab, 16, RING);
  for (let i = 0; i < n; i++) {
    let head;
    while (i - (head = Atomics.load(ctl, 0)) >= RING) {
      Atomics.store(ctl, 2, 1);
      if (Atomics.load(ctl, 0) === head) Atomics.wait(ctl, 0, head);
      Atomics.store(ctl, 2, 0);
    }
    data[i % RING] = i;
    Atomics.store(ctl, 1, i + 1);
    if (Atomics.load(ctl, 3) === 1) Atomics.notify(ctl, 1);
  }
}

function ringConsume(n, sab) {
  const ctl = new Int32Array(sab, 0, 4);
  const data = new Float64Array(sab, 16, RING);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    while (Atomics.load(ctl, 1) === i) {
      Atomics.store(ctl, 3, 1);
      if (Atomics.load(ctl, 1) === i) Atomics.wait(ctl, 1, i);
      Atomics.store(ctl, 3, 0);
    }
    sum += data[i % RING];
    Atomics.store(ctl, 0, i + 1);
    if (Atomics.load(ctl, 2) === 1) Atomics.notify(ctl, 0);
  }
  return sum;
}

async function serve({ role, kind, n, go, queue, port, ring }) {
  Atomics.wait(new Int32Array(go), 0, 0);
  const make = makers[kind];
  const w = weigh[kind];
  if (role === 'put') {
    const q = Queue.from(queue);
    for (let i = 0; i < n; i++) q.put(make(i));
    return 0;
  }
  if (role === 'get') {
    const q = Queue.from(queue);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w(q.get());
    return sum;
  }
  if (role === 'post') {
    for (let i = 0; i < n; i++) port.postMessage(make(i));
    return 0;
  }
  if (role === 'receive') {
    let sum = 0;
    let left = n;
    await new Promise((resolve) => {
      port.on('message', (x) => {
        sum += w(x);
        if (--left === 0) resolve();
      });
    });
    port.close();
    return sum;
  }
  if (role === 'ring-put') {
    ringProduce(n, ring);
    return 0;
  }
  return ringConsume(n, ring);
}

if (!isMainThread && workerData?.role) {
  parentPort.postMessage({ ready: true });
  parentPort.postMessage({ sum: await serve(workerData) });
}

// ---------------------------------------------------------------------------------------------
// Main side

let RUNS = 3;

/** Runs per worker row (scratch drivers that time one row). */
export function setRuns(n) {
  RUNS = n;
}

/**
 * Run `race(roles(), expected)` RUNS times (fresh workers each time) and return the median
 * seconds: on a shared 2-core machine single runs of a few hundred ms vary by 2×.
 */
async function median(roles, expected) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await race(roles(), expected));
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/**
 * Start one worker per role (each with its data), release them together, and return the
 * seconds until all have finished; the consumers' sums must equal `expected`.
 */
async function race(roles, expected) {
  const go = new SharedArrayBuffer(4);
  const workers = roles.map(({ transfer, ...data }) => new Worker(new URL(import.meta.url), { workerData: { ...data, go }, transferList: transfer ?? [] }));
  const ready = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
  const done = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.on('message', (m) => 'sum' in m && resolve(m.sum));
        w.on('error', reject);
      }),
  );
  await Promise.all(ready);
  const t0 = performance.now();
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const sums = await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  const got = sums.reduce((a, b) => a + b, 0);
  if (got !== expected) throw new Error(`bench checksum: expected ${expected}, got ${got}`);
  await Promise.all(workers.map((w) => w.terminate()));
  return seconds;
}

function expectedSum(kind, n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += weigh[kind](makers[kind](i));
  return s;
}

export async function queueRate(kind, n, { producers = 1, consumers = 1, bytes } = {}) {
  const roles = () => {
    const q = new Queue(0, bytes ? { bytes } : undefined);
    return [
      ...Array.from({ length: producers }, () => ({ role: 'put', kind, n: n / producers, queue: q.handle })),
      ...Array.from({ length: consumers }, () => ({ role: 'get', kind, n: n / consumers, queue: q.handle })),
    ];
  };
  // Producers each put n / producers items 0..n/producers-1.
  return n / (await median(roles, producers * expectedSum(kind, n / producers)));
}

export async function postRate(kind, n) {
  const roles = () => {
    const { port1, port2 } = new MessageChannel();
    return [
      { role: 'post', kind, n, port: port1, transfer: [port1] },
      { role: 'receive', kind, n, port: port2, transfer: [port2] },
    ];
  };
  return n / (await median(roles, expectedSum(kind, n)));
}

export async function ringRate(n) {
  const roles = () => {
    const ring = new SharedArrayBuffer(16 + RING * 8);
    return [{ role: 'ring-put', n, ring }, { role: 'ring-get', n, ring }];
  };
  return n / (await median(roles, expectedSum('number', n)));
}

/** Nanoseconds per put + get of `item` on one thread. */
function roundTrip(item, n) {
  const q = new Queue();
  for (let i = 0; i < n / 10; i++) {
    q.put(item);
    q.get();
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    q.put(item);
    q.get();
  }
  return ((performance.now() - t0) * 1e6) / n;
}

/** Nanoseconds per call of `f` (after a warm-up of a tenth as many). */
function timePer(f, n) {
  for (let i = 0; i < n / 10; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t0) * 1e6) / n;
}

/** Encode + decode of `item` by the queue's codec (the bytes copied out into a new buffer). */
const codecTrip = (item) => () => decode(encode(item).slice());
/**
 * The same, the bytes copied into memory kept from item to item, as a get copies them (codec.ts
 * `landing`): what the queue pays. Allocating the buffer of `codecTrip` costs more than the codec.
 */
const codecLanded = (item) => () => {
  const bytes = encode(item);
  const pad = landing(bytes.length, bytes[0]);
  pad.set(bytes);
  return decode(pad);
};
/** The same with node:v8's Serializer and Deserializer (what the codec used before 0.2). */
const v8Trip = (item) => () => {
  const s = new Serializer();
  s.writeHeader();
  s.writeValue(item);
  const d = new Deserializer(s.releaseBuffer());
  d.readHeader();
  return d.readValue();
};

const row = (group, name, value, unit, baseline) => ({ group, name, value, unit, ...(baseline ? { baseline: true } : {}) });

export async function run({ quick = false } = {}) {
  const k = quick ? 0.1 : 1;
  RUNS = quick ? 1 : 3;
  const rows = [];
  const nNum = 1_000_000 * k;
  const nObj = 100_000 * k;
  const nArr = 10_000 * k;

  let g = '1 → 1 workers: 1,000,000 numbers';
  rows.push(row(g, 'MessagePort.postMessage', await postRate('number', nNum), 'items/s', true));
  rows.push(row(g, 'sabsync Queue', await queueRate('number', nNum), 'items/s'));
  rows.push(row(g, 'bare SPSC ring on Atomics (floor)', await ringRate(nNum), 'items/s'));

  g = '1 → 1 workers: 100,000 small objects';
  rows.push(row(g, 'MessagePort.postMessage', await postRate('object', nObj), 'items/s', true));
  rows.push(row(g, 'sabsync Queue', await queueRate('object', nObj), 'items/s'));

  g = '1 → 1 workers: 10,000 64 KiB Uint8Arrays';
  rows.push(row(g, 'MessagePort.postMessage (copy)', await postRate('array', nArr), 'items/s', true));
  rows.push(row(g, 'sabsync Queue (bytes 8 MiB)', await queueRate('array', nArr, { bytes: 8 << 20 }), 'items/s'));

  g = 'Queue, numbers: producers × consumers';
  rows.push(row(g, '1 × 1', await queueRate('number', nNum), 'items/s', true));
  rows.push(row(g, '2 × 2', await queueRate('number', nNum, { producers: 2, consumers: 2 }), 'items/s'));

  g = 'codec: put + get on one thread';
  const n = quick ? 20_000 : 200_000;
  const obj = { id: 1, name: NAME, tags: TAGS };
  rows.push(row(g, 'number', roundTrip(1.5, n), 'ns/op'));
  rows.push(row(g, 'string, 32 chars', roundTrip(NAME, n), 'ns/op'));
  rows.push(row(g, 'small object (compact path)', roundTrip(obj, n), 'ns/op', true));
  rows.push(row(g, 'same + a Date', roundTrip({ ...obj, at: new Date(0) }, n), 'ns/op'));
  rows.push(row(g, 'same + a Lock (side channel, posted once)', roundTrip({ ...obj, lock: new Lock() }, n), 'ns/op'));

  const rich = { ...obj, at: new Date(0), seen: new Map([['a', 1n << 70n], ['b', new Set([1, 2])]]), error: new RangeError('boom'), re: /a+b/g };
  for (const [what, item] of [['small object', obj], ['rich item (Date, Map, Set, BigInt, RangeError, RegExp)', rich]]) {
    g = `codec alone: encode + decode of a ${what}, one thread`;
    rows.push(row(g, "structuredClone (postMessage's clone)", timePer(() => structuredClone(item), n), 'ns/op', true));
    rows.push(row(g, 'sabsync codec (pack.ts)', timePer(codecTrip(item), n), 'ns/op'));
    rows.push(row(g, 'sabsync codec, into reused memory (as a get)', timePer(codecLanded(item), n), 'ns/op'));
    rows.push(row(g, 'node:v8 Serializer + Deserializer', timePer(v8Trip(item), n), 'ns/op'));
  }
  return rows;
}
