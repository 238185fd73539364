// Lesson 2, "the process pool's source": how multiprocessing.Pool works inside. Every worker
// process runs worker(inqueue, outqueue, initializer, initargs, maxtasks): run the initializer,
// then loop — get a task (job, i, func, args) from inqueue, stop at the sentinel None, run it,
// put (job, i, (ok, result)) on outqueue — and exit after maxtasks tasks. A handler thread
// (_handle_workers → _maintain_pool) notices workers that exited and starts new ones; the
// pool's terminate() sends the sentinels.
//
// The lesson shows no output. Ours builds that pool in miniature from the Python names: worker
// Threads and two SimpleQueues. Functions cannot travel between JavaScript threads, so a task
// names an export of this module instead of carrying the function, and so does the
// initializer. Python's worker logs `worker exiting after %d tasks`; ours prints it, and the
// main thread, which plays the handler threads, prints each replacement it starts. (Our real
// Pool works the same way: one task queue the workers pull from, a worker replaced when it
// exits; see maxTasksPerChild.)
import { currentThread, SimpleQueue, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'a Pool in miniature: worker threads, an in-queue, an out-queue, sentinels, maxtasks';

const HERE = new URL(import.meta.url);
let greeting = '';

export function initializer(text) {
  greeting = text;
}

export function square(x) {
  return `${greeting} ${x * x}`;
}

/** Python's worker(): the loop every pool worker runs. */
export function worker(inqueue, outqueue, init, initargs, maxtasks) {
  if (init) MODULE[init](...initargs);
  let completed = 0;
  while (maxtasks === null || completed < maxtasks) {
    const task = inqueue.get();
    if (task === null) break; // the sentinel: the pool is closing
    const [job, i, func, args] = task;
    let result;
    try {
      result = [true, MODULE[func](...args)];
    } catch (error) {
      result = [false, error];
    }
    outqueue.put([job, i, result]);
    completed += 1;
  }
  print(`  ${currentThread().name}: worker exiting after ${completed} tasks`);
  outqueue.put(['exited', currentThread().name]); // so the handler can start a replacement
}

const MODULE = { initializer, square };

class MiniPool {
  constructor(processes, { initializer: init = null, initargs = [], maxtasks = null } = {}) {
    this.inqueue = new SimpleQueue();
    this.outqueue = new SimpleQueue();
    this.args = [this.inqueue, this.outqueue, init, initargs, maxtasks];
    this.pool = [];
    this.started = 0;
    for (let n = 0; n < processes; n++) this.#repopulate();
  }

  #repopulate() {
    const w = new Thread(HERE, 'worker', { args: this.args, name: `PoolWorker-${++this.started}` });
    w.start();
    this.pool.push(w);
  }

  /** Python's map: put every task, then read results (playing _handle_results and _maintain_pool). */
  async map(func, iterable) {
    const items = [...iterable];
    items.forEach((x, i) => this.inqueue.put([1, i, func, [x]]));
    const results = new Array(items.length);
    for (let left = items.length; left > 0; ) {
      const [job, i, outcome] = await this.outqueue.getAsync();
      if (job === 'exited') {
        const gone = this.pool.find((w) => w.name === i);
        gone.join(); // it has returned: this does not wait long
        this.pool.splice(this.pool.indexOf(gone), 1);
        this.#repopulate();
        print(`  handler: ${i} exited, started ${this.pool.at(-1).name}`);
        continue;
      }
      const [ok, value] = outcome;
      if (!ok) throw value;
      results[i] = value;
      left -= 1;
    }
    return results;
  }

  /** Python's terminate, the gentle part: a sentinel per worker, then join them. */
  async close() {
    for (const _ of this.pool) this.inqueue.put(null);
    for (const w of this.pool) await w.joinAsync();
    // drain the workers' last words
    while (!this.outqueue.empty()) this.outqueue.get(0);
  }
}

export async function main() {
  const pool = new MiniPool(2, { initializer: 'initializer', initargs: ['squared:'], maxtasks: 3 });
  const results = await pool.map('square', [0, 1, 2, 3, 4, 5, 6, 7]);
  print(results.join(', '));
  await pool.close();
}
