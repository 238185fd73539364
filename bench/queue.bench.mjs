// Queue throughput: one producer worker → one consumer worker, for numbers, small objects and
// 64 KiB typed arrays, against MessagePort.postMessage carrying the same items (the baseline)
// and, for numbers, a bare multi-producer/multi-consumer ring on Atomics (what a ring that
// claims each item pays) and a bare single-producer/single-consumer ring (the floor); then
// 2 producers × 2 consumers; then the codec's cost per item on one thread (put + get), and the
// codec alone (encode + decode) against node:v8's serializer and structuredClone (the clone
// postMessage makes).
// Each worker row is the median of 3 runs with fresh workers (1 run under --quick), each worker
// warmed up on memory of its own (`warmUp`), then the pair by an untimed stream between them
// (WARM_STREAM), before the timed run.
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

// The floor: the best bare single-producer/single-consumer ring of float64s on Atomics we can
// write, waiting the way the Queue waits (src/queue/policy.ts, ring.ts), so that "within 2× of
// the ring" compares the queue with a ring as good as it, not with a weaker one:
//   - each side keeps its own count and re-reads the other's only when the ring looks full
//     (empty) to it: one Atomics.store and one Atomics.load per item and side;
//   - the four control words sit on cache lines of their own (no false sharing);
//   - a consumer that finds the ring empty watches TAIL for up to SPIN polls, a pause between
//     two, before it sleeps; a producer that finds it full watches HEAD for up to SPIN polls
//     until half the ring is free, then puts if there is room, and sleeps only if not;
//   - a sleeper raises its flag, re-checks the counter and sleeps comparing against the value
//     it saw, then lowers its flag; the other side notifies whenever the flag is up after moving
//     its counter (both sequentially consistent: either the sleeper sees the move or the mover
//     sees the flag). No wake-up is lost, and none is sent while nobody sleeps.
const RING = 1024;
const HEAD = 0; // items consumed (the consumer's line)
const TAIL = 16; // items produced (the producer's line)
const PUT_WAITS = 32; // 1: the producer may sleep on HEAD
const GET_WAITS = 48; // 1: the consumer may sleep on TAIL
const DATA = 256; // bytes: the slots
/** Polls of a waiting side before it sleeps (policy.ts QUEUE_SPIN). */
const SPIN = 2_000;

/** A pause between two polls, touching no shared memory (policy.ts `pause`). */
function pause() {
  let x = 0;
  for (let i = 0; i < 32; i++) x = (x + i) | 0;
  if (x === -1) throw new Error('unreachable');
}

/** The producer found the ring full before item `i`: HEAD once there is room. */
function ringRoom(ctl, i) {
  let head = Atomics.load(ctl, HEAD);
  for (let k = 0; k < SPIN && i - head > RING >> 1; k++) {
    pause();
    head = Atomics.load(ctl, HEAD);
  }
  while (i - head >= RING) {
    Atomics.store(ctl, PUT_WAITS, 1);
    head = Atomics.load(ctl, HEAD);
    if (i - head >= RING) Atomics.wait(ctl, HEAD, head);
    Atomics.store(ctl, PUT_WAITS, 0);
    head = Atomics.load(ctl, HEAD);
  }
  return head;
}

/** The consumer found the ring empty before item `i`: TAIL once there is an item. */
function ringItem(ctl, i) {
  let tail = Atomics.load(ctl, TAIL);
  for (let k = 0; k < SPIN && tail === i; k++) {
    pause();
    tail = Atomics.load(ctl, TAIL);
  }
  while (tail === i) {
    Atomics.store(ctl, GET_WAITS, 1);
    tail = Atomics.load(ctl, TAIL);
    if (tail === i) Atomics.wait(ctl, TAIL, i);
    Atomics.store(ctl, GET_WAITS, 0);
    tail = Atomics.load(ctl, TAIL);
  }
  return tail;
}

function ringProduce(n, sab) {
  const ctl = new Int32Array(sab, 0, DATA >> 2);
  const data = new Float64Array(sab, DATA, RING);
  let head = 0;
  for (let i = 0; i < n; i++) {
    if (i - head >= RING) head = ringRoom(ctl, i);
    data[i & (RING - 1)] = i;
    Atomics.store(ctl, TAIL, i + 1);
    if (Atomics.load(ctl, GET_WAITS) !== 0) Atomics.notify(ctl, TAIL);
  }
}

function ringConsume(n, sab) {
  const ctl = new Int32Array(sab, 0, DATA >> 2);
  const data = new Float64Array(sab, DATA, RING);
  let sum = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (i === tail) tail = ringItem(ctl, i);
    sum += data[i & (RING - 1)];
    Atomics.store(ctl, HEAD, i + 1);
    if (Atomics.load(ctl, PUT_WAITS) !== 0) Atomics.notify(ctl, HEAD);
  }
  return sum;
}

// The limit of a claim-per-item design: the best bare multi-producer/multi-consumer ring of
// float64s on Atomics we can write — Vyukov's bounded MPMC ring, a sequence word per slot —
// waiting the way the floor waits, so that the Queue (itself such a ring, src/queue/ring.ts)
// is compared with the least any ring pays that lets several threads put and get at once. A
// ring that many may use cannot keep one count per side as the floor does: each item has to
// be claimed by a read-modify-write that another thread's claim can lose against, and its slot
// published (emptied) by a store the claim of the other side reads. So per item and side:
//   - the claim: one compareExchange of the slot's sequence word (which also reads the other
//     side's publish, so nothing else orders the float64 copied in or out); no shared TAIL or
//     HEAD word is moved per item: each thread keeps its position (all positions before it are
//     claimed), and a claim it loses, or a slot of a later lap, moves it on;
//   - the publish (emptying): one Atomics.store of the sequence word;
//   - one Atomics.load of the other side's sleeper count.
// Three Atomics calls per item and side, against the floor's two (a store and a load) and the
// Queue's two (its sleepers and its shutdown mark slots instead: src/queue/ring.ts); Vyukov's
// own ring (claim by a CAS of a shared TAIL / HEAD after an Atomics.load of the slot's word)
// pays four. A slot's word, for the position p whose turn it
// is there: 4p empty (a put at p may claim it), 4p + 1 claimed by that put, 4p + 2 full, 4p + 3
// claimed by the get at p, then 4(p + MPMC) for the next lap; positions wrap mod 2^30, words
// are compared by their difference.
// Waiting: a getter that finds its slot not yet full watches it for up to SPIN polls, a pause
// between two, then counts itself asleep, reads the epoch word, looks at the slot once more
// and sleeps on the epoch; a putter that finds its slot a lap behind (the ring full) watches
// the slot half a ring on until the get there is done (half the ring free), then claims if it
// can, and sleeps the same way only if not. A publish (emptying) bumps the epoch and notifies
// when the other side's sleeper count is not 0 (all of them sequentially consistent: either
// the sleeper sees the slot move or the mover sees the count). No wake-up is lost.
// Slots: MPMC_SLOT bytes each, the sequence word first, the float64 at byte 8. Measured 1 → 1,
// single runs side by side, 16-byte slots packed four to a cache line against 64 and 128 bytes
// (a line or two of their own, as the Queue's): medians 12.2M/s against 10.4M/s and 10.4M/s
// for 2M numbers (6 runs), 8.9M/s against 8.3M/s and 8.4M/s for 1M (9 runs, within the
// noise). Packed slots are kept: a getter that caught up pulls four items with a line.
const MPMC = 1024;
const MPMC_SLOT = 16;
const M_PUT_SLEEPERS = 0; // putters asleep (a getter's line reads it)
const M_GET_SLEEPERS = 16; // getters asleep
const M_PUT_EPOCH = 32; // bumped by a getter that empties a slot while putters sleep
const M_GET_EPOCH = 48; // bumped by a putter that publishes while getters sleep
const M_SEQ = DATA >> 2; // Int32 index of slot 0's sequence word
const M_SEQ_STEP = MPMC_SLOT >> 2;
const M_NUM = (DATA + 8) >> 3; // Float64 index of slot 0's number
const M_NUM_STEP = MPMC_SLOT >> 3;

/** A fresh MPMC ring: slot k's word 4k (empty, for the put at position k). */
function mpmcRing() {
  const sab = new SharedArrayBuffer(DATA + MPMC * MPMC_SLOT);
  const w = new Int32Array(sab);
  for (let k = 0; k < MPMC; k++) w[M_SEQ + k * M_SEQ_STEP] = 4 * k;
  return sab;
}

/**
 * The position after `p` where a put (get) may look next, given `v`, the word of p's slot,
 * showing a claim of p by another thread (want + 1) or a later lap: every position up to
 * that lap's minus MPMC is claimed, so the thread moves there at once.
 */
function mpmcOn(p, v, want) {
  const lap = (((v - want) | 0) >> 2) - MPMC + 1;
  return lap > 1 ? (p + lap) & 0x3fffffff : (p + 1) & 0x3fffffff;
}

/** A putter at position `p` found the ring full: the slot's word once p's put may claim it. */
function mpmcRoom(w, p) {
  const want = (p << 2) | 0;
  const far = M_SEQ + ((p + (MPMC >> 1)) & (MPMC - 1)) * M_SEQ_STEP;
  const farWant = ((p + (MPMC >> 1)) << 2) | 0;
  for (let k = 0; k < SPIN && ((Atomics.load(w, far) - farWant) | 0) < 0; k++) pause();
  const at = M_SEQ + (p & (MPMC - 1)) * M_SEQ_STEP;
  let v = Atomics.load(w, at);
  while (((v - want) | 0) < 0) {
    Atomics.add(w, M_PUT_SLEEPERS, 1);
    const e = Atomics.load(w, M_PUT_EPOCH);
    v = Atomics.load(w, at);
    if (((v - want) | 0) < 0) Atomics.wait(w, M_PUT_EPOCH, e);
    Atomics.sub(w, M_PUT_SLEEPERS, 1);
    v = Atomics.load(w, at);
  }
  return v;
}

/** A getter at position `p` found its slot not yet full: its word once it is. */
function mpmcItem(w, p) {
  const want = ((p << 2) + 2) | 0;
  const at = M_SEQ + (p & (MPMC - 1)) * M_SEQ_STEP;
  let v = Atomics.load(w, at);
  for (let k = 0; k < SPIN && ((v - want) | 0) < 0; k++) {
    pause();
    v = Atomics.load(w, at);
  }
  while (((v - want) | 0) < 0) {
    Atomics.add(w, M_GET_SLEEPERS, 1);
    const e = Atomics.load(w, M_GET_EPOCH);
    v = Atomics.load(w, at);
    if (((v - want) | 0) < 0) Atomics.wait(w, M_GET_EPOCH, e);
    Atomics.sub(w, M_GET_SLEEPERS, 1);
    v = Atomics.load(w, at);
  }
  return v;
}

/** Puts the numbers 0..n-1. */
function mpmcProduce(n, sab) {
  const w = new Int32Array(sab);
  const num = new Float64Array(sab);
  let p = 0; // every position before p is claimed by a put
  for (let i = 0; i < n; i++) {
    for (;;) {
      const k = p & (MPMC - 1);
      const at = M_SEQ + k * M_SEQ_STEP;
      const want = (p << 2) | 0;
      const v = Atomics.compareExchange(w, at, want, want + 1);
      if (v === want) {
        num[M_NUM + k * M_NUM_STEP] = i;
        Atomics.store(w, at, want + 2);
        if (Atomics.load(w, M_GET_SLEEPERS) !== 0) {
          Atomics.add(w, M_GET_EPOCH, 1);
          Atomics.notify(w, M_GET_EPOCH);
        }
        p = (p + 1) & 0x3fffffff;
        break;
      }
      if (((v - want) | 0) > 0) p = mpmcOn(p, v, want);
      else mpmcRoom(w, p); // p's slot holds the lap before's: full (or a get there not done)
    }
  }
}

/** Gets n numbers: their sum. */
function mpmcConsume(n, sab) {
  const w = new Int32Array(sab);
  const num = new Float64Array(sab);
  let sum = 0;
  let p = 0; // every position before p is claimed by a get
  for (let i = 0; i < n; i++) {
    for (;;) {
      const k = p & (MPMC - 1);
      const at = M_SEQ + k * M_SEQ_STEP;
      const want = ((p << 2) + 2) | 0;
      const v = Atomics.compareExchange(w, at, want, want + 1);
      if (v === want) {
        sum += num[M_NUM + k * M_NUM_STEP];
        Atomics.store(w, at, ((p + MPMC) << 2) | 0);
        if (Atomics.load(w, M_PUT_SLEEPERS) !== 0) {
          Atomics.add(w, M_PUT_EPOCH, 1);
          Atomics.notify(w, M_PUT_EPOCH);
        }
        p = (p + 1) & 0x3fffffff;
        break;
      }
      if (((v - want) | 0) > 0) p = mpmcOn(p, v, want);
      else mpmcItem(w, p); // not yet put (or its put not yet published)
    }
  }
  return sum;
}

function putAll(q, make, n) {
  for (let i = 0; i < n; i++) q.put(make(i));
}

function getAll(q, w, n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w(q.get());
  return sum;
}

function postAll(port, make, n) {
  for (let i = 0; i < n; i++) port.postMessage(make(i));
}

/** Resolves to the weight of the next `n` messages on `port`. */
function receive(port, w, n) {
  let sum = 0;
  let left = n;
  return new Promise((resolve) => {
    const on = (x) => {
      sum += w(x);
      if (--left === 0) {
        port.off('message', on);
        resolve(sum);
      }
    };
    port.on('message', on);
  });
}

/** Items per warm-up round, of WARM_ROUNDS. */
const WARM = { number: 1_000, object: 300, array: 10 };
const WARM_ROUNDS = 30;

/**
 * Warm up before timing, every row alike: the worker runs its role's own functions on memory of
 * its own (a local Queue, MessageChannel or ring: both ends in this thread) for WARM_ROUNDS
 * rounds, so that the timed run measures optimized code and not the compiler.
 */
async function warmUp({ role, kind }) {
  const make = makers[kind];
  const w = weigh[kind];
  const k = WARM[kind];
  for (let r = 0; r < WARM_ROUNDS; r++) {
    if (role === 'put' || role === 'get') {
      const q = new Queue(0, kind === 'array' ? { bytes: 2 << 20 } : undefined);
      putAll(q, make, k);
      getAll(q, w, k);
    } else if (role === 'post' || role === 'receive') {
      const { port1, port2 } = new MessageChannel();
      const got = receive(port2, w, k);
      postAll(port1, make, k);
      await got;
      port1.close();
    } else if (role === 'ring-put' || role === 'ring-get') {
      const ring = new SharedArrayBuffer(DATA + RING * 8);
      ringProduce(RING, ring);
      ringConsume(RING, ring);
    } else {
      const ring = mpmcRing();
      mpmcProduce(MPMC, ring);
      mpmcConsume(MPMC, ring);
    }
  }
}

/** Run the role `role` on its channel for `n` items: 0, or the consumer's sum. */
async function serve({ role, kind, n, queue, port, ring }) {
  const make = makers[kind];
  const w = weigh[kind];
  if (role === 'put') {
    putAll(Queue.from(queue), make, n);
    return 0;
  }
  if (role === 'get') return getAll(Queue.from(queue), w, n);
  if (role === 'post') {
    postAll(port, make, n);
    return 0;
  }
  if (role === 'receive') {
    const sum = await receive(port, w, n);
    port.close();
    return sum;
  }
  if (role === 'ring-put') {
    ringProduce(n, ring);
    return 0;
  }
  if (role === 'ring-get') return ringConsume(n, ring);
  if (role === 'mpmc-put') {
    mpmcProduce(n, ring);
    return 0;
  }
  return mpmcConsume(n, ring);
}

if (!isMainThread && workerData?.role) {
  await warmUp(workerData);
  // The untimed stream between the same threads, on a channel of its own (see `race`).
  if (workerData.warm.n > 0) await serve(workerData.warm);
  parentPort.postMessage({ ready: true });
  Atomics.wait(new Int32Array(workerData.go), 0, 0);
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
 * Run `race(roles(n), roles(n * WARM_STREAM), expected)` RUNS times (fresh workers each time)
 * and return the median seconds: on a shared 2-core machine single runs of a few hundred ms vary
 * by 2×.
 */
async function median(roles, n, expected) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await race(roles(n), roles(Math.round(n * WARM_STREAM)), expected));
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/**
 * The untimed stream before each timed one, as a share of its items. A stream between two
 * threads meets what a warm-up on one thread never does — a full ring, an empty one, a sleeper's
 * mark, a port's queue of messages —, and the first time each comes the engine drops the
 * thread's compiled loop and compiles it again: the first ≈ 131,072 numbers of a timed stream
 * took 47–70 ms against 5–12 ms for the next as many. So every row, ours and the others alike,
 * first runs a stream of this share of its items between the same two threads, on a channel of
 * its own, and the timed stream measures code already compiled for what it meets.
 */
const WARM_STREAM = 0.25;

/**
 * Start one worker per role (each with its data and its `warm` role's), let them run the warm
 * stream, release them together, and return the seconds until all have finished the timed
 * stream; the consumers' sums must equal `expected`.
 */
async function race(roles, warm, expected) {
  const go = new SharedArrayBuffer(4);
  const workers = roles.map(({ transfer, ...data }, i) => {
    const { transfer: warmTransfer, ...warmData } = warm[i];
    return new Worker(new URL(import.meta.url), { workerData: { ...data, go, warm: warmData }, transferList: [...(transfer ?? []), ...(warmTransfer ?? [])] });
  });
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
  // k divisible by producers and consumers alike (the warm stream's share too).
  const roles = (k) => {
    const q = new Queue(0, bytes ? { bytes } : undefined);
    k -= k % (producers * consumers);
    return [
      ...Array.from({ length: producers }, () => ({ role: 'put', kind, n: k / producers, queue: q.handle })),
      ...Array.from({ length: consumers }, () => ({ role: 'get', kind, n: k / consumers, queue: q.handle })),
    ];
  };
  // Producers each put n / producers items 0..n/producers-1.
  return n / (await median(roles, n, producers * expectedSum(kind, n / producers)));
}

export async function postRate(kind, n) {
  const roles = (k) => {
    const { port1, port2 } = new MessageChannel();
    return [
      { role: 'post', kind, n: k, port: port1, transfer: [port1] },
      { role: 'receive', kind, n: k, port: port2, transfer: [port2] },
    ];
  };
  return n / (await median(roles, n, expectedSum(kind, n)));
}

export async function ringRate(n) {
  const roles = (k) => {
    const ring = new SharedArrayBuffer(DATA + RING * 8);
    return [{ role: 'ring-put', n: k, ring }, { role: 'ring-get', n: k, ring }];
  };
  return n / (await median(roles, n, expectedSum('number', n)));
}

export async function mpmcRate(n) {
  const roles = (k) => {
    const ring = mpmcRing();
    return [{ role: 'mpmc-put', n: k, ring }, { role: 'mpmc-get', n: k, ring }];
  };
  return n / (await median(roles, n, expectedSum('number', n)));
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
  rows.push(row(g, 'bare MPMC ring on Atomics (claim per item)', await mpmcRate(nNum), 'items/s'));
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
