/**
 * Executor: Python's `concurrent.futures.ProcessPoolExecutor`, on worker threads. A facade
 * over the engine (engine.ts); every task goes through the shared task Queue.
 */
import { typeError } from '../primitives/errors.js';
import { Engine, poolWorkers } from './engine.js';
import type { Worker } from 'node:worker_threads';
import type { Future } from './future.js';
import type { ResourceLimits } from './pool.js';
import { checkChunksize, iterate, type Input } from './mapping.js';

/** Options of `new Executor(module, options)`. */
export interface ExecutorOptions {
  /** Worker threads (default: `os.availableParallelism()`). Python: `max_workers`. */
  maxWorkers?: number;
  /** Name of an export of the task module to run once in every worker before its first task. */
  initializer?: string;
  /** Arguments of the initializer; they cross like task arguments (primitives arrive live). */
  initArgs?: unknown[];
  /** Replace a worker after it has run this many tasks (default: never). */
  maxTasksPerChild?: number;
  /** Memory limits of every worker (Node's `Worker` `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/**
 * Run the named exports of one task module on a pool of worker threads, returning Futures.
 * Python: `concurrent.futures.ProcessPoolExecutor`.
 */
export class Executor {
  readonly #engine: Engine;

  /**
   * Start `options.maxWorkers` workers (default: one per core) that import `module` (a URL or
   * a path) and run its `initializer` export. Throws `ERR_MODULE_NOT_FOUND` for a file that
   * does not exist, `RangeError` naming the option for a bad count.
   */
  constructor(module: URL | string, options: ExecutorOptions = {}) {
    this.#engine = new Engine(module, options?.maxWorkers, options, 'Executor', 'maxWorkers');
  }

  /** @internal Test hook: the live workers. */
  get [poolWorkers](): Worker[] {
    return this.#engine[poolWorkers];
  }

  /** The number of workers. */
  get maxWorkers(): number {
    return this.#engine.size;
  }

  /**
   * Schedule `fn(...args)` in a worker and return its Future. Throws `PoolClosedError` after
   * `shutdown()`; an unknown export or uncloneable arguments reject the Future.
   * Python: `Executor.submit(fn, *args)`.
   */
  submit<R = unknown>(fn: string, ...args: unknown[]): Future<R> {
    return this.#engine.submit<R>(fn, args);
  }

  /**
   * Call `fn(item)` for every item and yield the results in input order, reading the input only
   * as fast as results are consumed. With `timeout`, a result not ready `timeout` ms after the
   * call throws `TimeoutError` (and the calls not started are cancelled).
   * Python: `Executor.map(fn, iterable, timeout, chunksize)`.
   */
  map<R = unknown>(fn: string, iterable: Input<unknown>, options: { timeout?: number; chunksize?: number } = {}): AsyncGenerator<R, void, undefined> {
    if (typeof options !== 'object' || options === null) throw typeError('map(fn, iterable, options): options must be an object');
    this.#engine.assertOpen();
    const chunksize = checkChunksize(options.chunksize, 1);
    return iterate<R>(this.#engine, fn, iterable, { method: 'map', chunksize, ordered: true, star: false, timeout: options.timeout });
  }

  /**
   * Accept no more tasks and let the workers leave once the submitted ones are done. With
   * `cancelFutures`, cancel those not started; with `wait` (default), resolve once every task is
   * settled and every worker has left. Python: `Executor.shutdown(wait, cancel_futures)`.
   */
  async shutdown(options: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) throw typeError('shutdown(options): options must be an object');
    this.#engine.close();
    if (options.cancelFutures) this.#engine.cancelPending();
    if (options.wait ?? true) await this.#engine.join();
  }

  /** `await using ex = new Executor(...)`: `shutdown({ wait: true })` on scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }
}
