/**
 * Pool: Python's `multiprocessing.Pool`, on worker threads. A facade over the engine
 * (engine.ts); every method's task goes through the shared task Queue.
 */
import { SabsyncError, typeError } from '../primitives/errors.js';
import { Engine, poolWorkers } from './engine.js';
import type { Worker } from 'node:worker_threads';
import { Future, peek, setException, setResult } from './future.js';
import { checkChunksize, defaultChunksize, iterate, mapAll, readAll, type Input } from './mapping.js';
import { wait } from './waiting.js';

/**
 * Memory limits of every worker: Node's `Worker` option `resourceLimits`, declared here so that
 * the package's types do not need `@types/node`.
 */
export interface ResourceLimits {
  maxYoungGenerationSizeMb?: number;
  maxOldGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/** Options of `new Pool(module, options)`. */
export interface PoolOptions {
  /** Worker threads (default: `os.availableParallelism()`). Python: `processes`. */
  workers?: number;
  /** Name of an export of the task module to run once in every worker before its first task. */
  initializer?: string;
  /** Arguments of the initializer; they cross like task arguments (primitives arrive live). */
  initArgs?: unknown[];
  /** Replace a worker after it has run this many tasks (default: never). */
  maxTasksPerChild?: number;
  /** Memory limits of every worker (Node's `Worker` `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/** Callbacks of the `...Async` methods; they run on the thread that owns the pool. */
export interface AsyncCallbacks<R> {
  callback?: (value: R) => void;
  errorCallback?: (error: unknown) => void;
}

/** The pending result of an `...Async` call. Python: `multiprocessing.pool.AsyncResult`. */
export class AsyncResult<R> {
  readonly #future: Future<R>;

  /** @internal */
  constructor(future: Future<R>, callbacks: AsyncCallbacks<R> = {}) {
    const { callback, errorCallback } = callbacks;
    if (callback !== undefined && typeof callback !== 'function') throw typeError('callback must be a function');
    if (errorCallback !== undefined && typeof errorCallback !== 'function') throw typeError('errorCallback must be a function');
    this.#future = future;
    if (callback !== undefined || errorCallback !== undefined) {
      future.addDoneCallback((f) => {
        const { ok, value } = f[peek]();
        if (ok) callback?.(value as R);
        else errorCallback?.(value);
      });
    }
  }

  /**
   * Wait for the result: resolves with it, rejects with the task's error or `TimeoutError` if
   * it is not ready within `timeout` ms. Python: `AsyncResult.get(timeout)`.
   */
  get(timeout?: number): Promise<R> {
    return this.#future.result(timeout);
  }

  /** Wait until the result is ready or `timeout` ms pass; never rejects for a timeout. Python: `AsyncResult.wait(timeout)`. */
  async wait(timeout?: number): Promise<void> {
    await wait([this.#future], { timeout });
  }

  /** Whether the call has completed. Python: `AsyncResult.ready()`. */
  ready(): boolean {
    return this.#future.done();
  }

  /**
   * Whether the call completed without an error. Throws `ERR_NOT_READY` if it has not completed.
   * Python: `AsyncResult.successful()`.
   */
  successful(): boolean {
    if (!this.#future.done()) throw new SabsyncError('ERR_NOT_READY', 'successful(): the result is not ready');
    return this.#future[peek]().ok;
  }
}

/** A Future settled by a Promise (the aggregate result of a map). */
function futureOf<R>(promise: Promise<R>): Future<R> {
  const f = new Future<R>();
  promise.then(
    (v) => f[setResult](v),
    (e) => f[setException](e),
  );
  return f;
}

function argsArray(args: unknown, method: string): unknown[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw typeError(`${method}(fn, args): args must be an array`);
  return args;
}

/**
 * A pool of worker threads running the named exports of one task module.
 * Python: `multiprocessing.Pool`.
 */
export class Pool {
  readonly #engine: Engine;

  /**
   * Start `options.workers` workers (default: one per core) that import `module` (a URL or a
   * path) and run its `initializer` export. Throws `ERR_MODULE_NOT_FOUND` for a file that does
   * not exist, `RangeError` naming the option for a bad count.
   */
  constructor(module: URL | string, options: PoolOptions = {}) {
    this.#engine = new Engine(module, options?.workers, options, 'Pool', 'workers');
  }

  /** @internal Test hook: the live workers. */
  get [poolWorkers](): Worker[] {
    return this.#engine[poolWorkers];
  }

  /** The number of workers. */
  get workers(): number {
    return this.#engine.size;
  }

  /** Run `fn(...args)` in a worker and resolve with its result. Python: `Pool.apply`. */
  async apply<R = unknown>(fn: string, args?: unknown[]): Promise<R> {
    return this.#engine.submit<R>(fn, argsArray(args, 'apply')).result();
  }

  /** Start `fn(...args)` in a worker; returns its AsyncResult. Python: `Pool.apply_async`. */
  applyAsync<R = unknown>(fn: string, args?: unknown[], callbacks?: AsyncCallbacks<R>): AsyncResult<R> {
    return new AsyncResult(this.#engine.submit<R>(fn, argsArray(args, 'applyAsync')), callbacks);
  }

  /**
   * Call `fn(item)` for every item, `chunksize` calls per task (default: about four tasks per
   * worker), and resolve with the results in order. Python: `Pool.map`.
   */
  map<R = unknown>(fn: string, iterable: Input<unknown>, chunksize?: number): Promise<R[]> {
    return this.#mapAll<R>(fn, iterable, chunksize, false, 'map');
  }

  /** `map` returning an AsyncResult of the whole list. Python: `Pool.map_async`. */
  mapAsync<R = unknown>(fn: string, iterable: Input<unknown>, chunksize?: number, callbacks?: AsyncCallbacks<R[]>): AsyncResult<R[]> {
    return new AsyncResult(futureOf(this.#mapAll<R>(fn, iterable, chunksize, false, 'mapAsync')), callbacks);
  }

  /** Like `map`, but each item is the array of arguments of one call. Python: `Pool.starmap`. */
  starmap<R = unknown>(fn: string, iterable: Input<unknown[]>, chunksize?: number): Promise<R[]> {
    return this.#mapAll<R>(fn, iterable, chunksize, true, 'starmap');
  }

  /** `starmap` returning an AsyncResult. Python: `Pool.starmap_async`. */
  starmapAsync<R = unknown>(fn: string, iterable: Input<unknown[]>, chunksize?: number, callbacks?: AsyncCallbacks<R[]>): AsyncResult<R[]> {
    return new AsyncResult(futureOf(this.#mapAll<R>(fn, iterable, chunksize, true, 'starmapAsync')), callbacks);
  }

  /**
   * Call `fn(item)` for every item, lazily: yields results in input order, reading the input
   * only as fast as results are consumed. Python: `Pool.imap`.
   */
  imap<R = unknown>(fn: string, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<R, void, undefined> {
    this.#check();
    return iterate<R>(this.#engine, fn, iterable, { method: 'imap', chunksize: checkChunksize(chunksize, 1), ordered: true, star: false });
  }

  /** Like `imap`, but yields results as they finish. Python: `Pool.imap_unordered`. */
  imapUnordered<R = unknown>(fn: string, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<R, void, undefined> {
    this.#check();
    return iterate<R>(this.#engine, fn, iterable, { method: 'imapUnordered', chunksize: checkChunksize(chunksize, 1), ordered: false, star: false });
  }

  /** Accept no more tasks; the workers leave once the submitted ones are done. Python: `Pool.close`. */
  close(): void {
    this.#engine.close();
  }

  /**
   * Wait until every task is done and every worker has left. Rejects with `ERR_POOL_RUNNING`
   * unless `close()` or `terminate()` was called first. Python: `Pool.join`.
   */
  async join(): Promise<void> {
    if (!this.#engine.closed) throw new SabsyncError('ERR_POOL_RUNNING', 'join(): call close() or terminate() first');
    await this.#engine.join();
  }

  /**
   * Stop the workers now: tasks not started are cancelled, running ones fail with
   * `PoolClosedError`. Python: `Pool.terminate`.
   */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** `await using pool = new Pool(...)`: terminate on scope exit, as Python's `with Pool()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  #check(): void {
    this.#engine.assertOpen();
  }

  async #mapAll<R>(fn: string, iterable: Input<unknown>, chunksize: number | undefined, star: boolean, method: string): Promise<R[]> {
    this.#check();
    const size = checkChunksize(chunksize, 0);
    const calls = await readAll(iterable, star, method);
    return mapAll<R>(this.#engine, fn, calls, size || defaultChunksize(calls.length, this.#engine.size));
  }
}
