// Child-process entry (run as `node --harmony-struct primitives-mutex.mjs ITERATIONS WARMUP RUNS`):
// the contended-increment benchmark with V8's native Atomics.Mutex, which exists only behind
// that flag. Prints one JSON line: { times } (ms per measured round).
import { workerRounds } from '../lib.mjs';

const [iterations, warmup, runs] = process.argv.slice(2).map(Number);
const counter = new SharedArrayBuffer(4);
const c = new Int32Array(counter);
const times = await workerRounds({
  url: new URL('./primitives-contended.mjs', import.meta.url),
  data: { kind: 'mutex', counter, mutex: new Atomics.Mutex() },
  iterations,
  warmup,
  runs,
  reset: () => (c[0] = 0),
  check: (n) => {
    if (c[0] !== 2 * n) throw new Error(`Atomics.Mutex run counted ${c[0]}, expected ${2 * n}`);
  },
});
console.log(JSON.stringify({ times }));
