// Lesson 3, 5.4: how ThreadPoolExecutor works inside. submit() makes a Future, wraps it with the
// function and arguments in a _WorkItem, puts that on a thread-safe work queue and calls
// _adjust_thread_count, which starts another daemon worker thread while there are fewer than
// max_workers. Each worker runs _worker: take a work item, run() it (call the function, set the
// Future's result or exception), repeat; on None, put None back for the next worker and return.
//
// The lesson shows no output. Ours builds that executor in miniature, with the lesson's names:
// a Queue of work items, worker Threads running _worker, a second Queue carrying outcomes back
// to the main thread, which settles the futures (a Future cannot cross threads; in our real
// Executor the same happens in shared memory). Functions cannot cross threads either, so a work
// item names an export of this module. It runs three get_html tasks as in 5.2.1 and prints
// which worker ran each, then an exception that comes back as a rejected future.
import { Barrier, currentThread, Queue, Thread } from 'sabsync';
import { print, ready, sleep } from './lib.mjs';

export const title = 'an executor in miniature: submit, _WorkItem, _adjust_thread_count, _worker';

const HERE = new URL(import.meta.url);

export function getHtml(times) {
  sleep(times);
  print(`get page ${times} success   (${currentThread().name})`);
  return times;
}

export function fail(message) {
  throw new Error(message);
}

const TASKS = { getHtml, fail, ready };

/** The worker thread's loop: Python's _worker(executor_reference, work_queue). */
export function _worker(workQueue, outcomes) {
  for (;;) {
    const workItem = workQueue.get();
    if (workItem === null) {
      workQueue.put(null); // notice the other workers
      return;
    }
    // _WorkItem.run: call the function, hand its result or exception to the future
    const [id, fn, args] = workItem;
    try {
      outcomes.put([id, true, TASKS[fn](...args)]);
    } catch (error) {
      outcomes.put([id, false, error]);
    }
  }
}

class MiniExecutor {
  #maxWorkers;
  #threads = [];
  #workQueue = new Queue();
  #outcomes = new Queue();
  #futures = new Map(); // id → { resolve, reject }
  #nextId = 0;
  #shutdown = false;

  constructor(maxWorkers) {
    this.#maxWorkers = maxWorkers;
  }

  submit(fn, ...args) {
    if (this.#shutdown) throw new Error('cannot schedule new futures after shutdown');
    const id = this.#nextId++;
    const future = new Promise((resolve, reject) => this.#futures.set(id, { resolve, reject }));
    this.#workQueue.put([id, fn, args]); // the _WorkItem
    this.#adjustThreadCount();
    if (this.#futures.size === 1) void this.#settle();
    return future;
  }

  #adjustThreadCount() {
    if (this.#threads.length < this.#maxWorkers) {
      const name = `MiniExecutor_${this.#threads.length}`;
      const t = new Thread(HERE, '_worker', { name, daemon: true, args: [this.#workQueue, this.#outcomes] });
      t.start();
      this.#threads.push(t);
    }
  }

  /** Settle futures as outcomes arrive, while any is pending. */
  async #settle() {
    while (this.#futures.size > 0) {
      const [id, ok, value] = await this.#outcomes.getAsync();
      const { resolve, reject } = this.#futures.get(id);
      this.#futures.delete(id);
      if (ok) resolve(value);
      else reject(value);
    }
  }

  async shutdown() {
    this.#shutdown = true;
    this.#workQueue.put(null);
    for (const t of this.#threads) await t.joinAsync();
  }
}

export async function main() {
  const executor = new MiniExecutor(2);
  // Two tasks that wait for each other: both workers are running before the clock matters.
  const both = new Barrier(2);
  await Promise.all([executor.submit('ready', both), executor.submit('ready', both)]);
  const futures = [3, 2, 4].map((t) => executor.submit('getHtml', t));
  for (const f of futures) f.then((data) => print(`get ${data} page`));
  await Promise.all(futures);
  try {
    await executor.submit('fail', 'raised in a worker');
  } catch (error) {
    print(`the future was rejected: ${error.message}`);
  }
  await executor.shutdown();
}
