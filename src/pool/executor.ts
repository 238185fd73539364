/**
 * Executor: Python's `concurrent.futures.ProcessPoolExecutor`, on worker threads. A facade
 * over the engine (engine.ts); every task goes through the shared task Queue.
 */
import { typeError } from '../primitives/errors.js';
import { Engine, poolWorkers } from './engine.js';
import { checkTaskOptions, type TaskOptions } from './options.js';
import type { Worker } from 'node:worker_threads';
import type { Future } from './future.js';
import type { ResourceLimits } from './pool.js';
import { checkChunksize, iterate, type Input } from './mapping.js';
import type { PoolStats } from './stats.js';
import type { AnyModule, TaskArgs, TaskItem, TaskName, TaskResult, UntypedName } from './typed.js';

/** Options of `new Executor(module, options)`. */
export interface ExecutorOptions {
  /** Most worker threads (default: `os.availableParallelism()`), started on demand. Python: `max_workers`. */
  maxWorkers?: number;
  /** Workers kept while idle (default 0): those above exit after `idleTimeout`. */
  minWorkers?: number;
  /** Ms a worker above `minWorkers` stays idle before it exits (default 10,000). */
  idleTimeout?: number;
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
 * `Executor<typeof import('./tasks.js')>` checks task names, arguments and results against the
 * module's types. Python: `concurrent.futures.ProcessPoolExecutor`.
 */
export class Executor<M = AnyModule> {
  readonly #engine: Engine;

  /**
   * Prepare up to `options.maxWorkers` workers (default: one per core) that import `module` (a
   * URL or a path) and run its `initializer` export; `minWorkers` start now, the others when
   * tasks need them. Throws `ERR_MODULE_NOT_FOUND` for a file that does not exist, `RangeError`
   * naming the option for a bad count.
   */
  constructor(module: URL | string, options: ExecutorOptions = {}) {
    this.#engine = new Engine(module, options?.maxWorkers, options, 'Executor', 'maxWorkers');
  }

  /** Counters and latencies of the tasks so far, and the workers now. JavaScript extension. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /** @internal Test hook: the live workers. */
  get [poolWorkers](): Worker[] {
    return this.#engine[poolWorkers];
  }

  /** The most workers. */
  get maxWorkers(): number {
    return this.#engine.size;
  }

  /** The workers kept while idle. */
  get minWorkers(): number {
    return this.#engine.minWorkers;
  }

  /**
   * Schedule `fn(...args)` in a worker and return its Future. Throws `PoolClosedError` after
   * `shutdown()`; an unknown export or uncloneable arguments reject the Future.
   * Python: `Executor.submit(fn, *args)`.
   */
  submit<K extends TaskName<M>>(fn: K, ...args: TaskArgs<M, K>): Future<TaskResult<M, K>>;
  submit<R = unknown>(fn: UntypedName<M>, ...args: unknown[]): Future<R>;
  // `any` here only: the overloads above are the typed surface. `arguments`, not the rest
  // parameter (never read, so never made once optimized): a call with one argument (the common
  // one) makes no list, and the task keeps the argument alone (Engine.submitOne).
  submit(fn: string, ..._args: unknown[]): Future<any> {
    if (arguments.length === 2) return this.#engine.submitOne(fn, arguments[1]);
    const args: unknown[] = [];
    for (let i = 1; i < arguments.length; i++) args.push(arguments[i]);
    return this.#engine.submit(fn, args);
  }

  /**
   * `submit` with per-task options: `signal` (aborting it cancels the task if not started,
   * else aborts it: see `Future.abort`) and `timeout` (ms of running time; then the task's
   * signal fires with `TimeoutError`, and a task still running 1 s later has its worker
   * terminated and replaced; its future rejects with `TimeoutError`). Bad options throw
   * TypeError / RangeError and submit nothing. JavaScript extension.
   */
  run<K extends TaskName<M>>(fn: K, args?: TaskArgs<M, K>, options?: TaskOptions): Future<TaskResult<M, K>>;
  run<R = unknown>(fn: UntypedName<M>, args?: unknown[], options?: TaskOptions): Future<R>;
  // `any` here only: the overloads above are the typed surface.
  run(fn: string, args: unknown[] = [], options?: TaskOptions): Future<any> {
    if (!Array.isArray(args)) throw typeError('run(fn, args, options): args must be an array');
    const checked = checkTaskOptions(options, 'run(fn, args, options)');
    return this.#engine.submit(fn, args, 0, checked);
  }

  /**
   * Call `fn(item)` for every item and yield the results in input order, reading the input only
   * as fast as results are consumed. With `timeout`, a result not ready `timeout` ms after the
   * call throws `TimeoutError` (and the calls not started are cancelled).
   * Python: `Executor.map(fn, iterable, timeout, chunksize)`.
   */
  map<K extends TaskName<M>>(fn: K, iterable: Input<TaskItem<M, K>>, options?: { timeout?: number; chunksize?: number }): AsyncGenerator<TaskResult<M, K>, void, undefined>;
  map<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown>, options?: { timeout?: number; chunksize?: number }): AsyncGenerator<R, void, undefined>;
  // `any` here only: the overloads above are the typed surface.
  map(fn: string, iterable: Input<unknown>, options: { timeout?: number; chunksize?: number } = {}): AsyncGenerator<any, void, undefined> {
    if (typeof options !== 'object' || options === null) throw typeError('map(fn, iterable, options): options must be an object');
    this.#engine.assertOpen();
    const chunksize = checkChunksize(options.chunksize, 1);
    return iterate(this.#engine, fn, iterable, { method: 'map', chunksize, ordered: true, star: false, timeout: options.timeout });
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
