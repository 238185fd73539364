/**
 * Pool: Python's `multiprocessing.Pool`, on worker threads. A facade over the engine
 * (engine.ts); every method's task goes through the shared task Queue.
 */
import { SabsyncError, typeError } from '../primitives/errors.js';
import { Engine, poolWorkers } from './engine.js';
import { checkTaskOptions, type TaskOptions } from './options.js';
import type { Worker } from 'node:worker_threads';
import { Future, peek, setException, setResult } from './future.js';
import { checkChunksize, defaultChunksize, iterate, mapAll, readAll, type Input } from './mapping.js';
import type { PoolStats } from './stats.js';
import type { AnyModule, TaskArgs, TaskItem, TaskName, TaskResult, UntypedName } from './typed.js';
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
  /** Most worker threads (default: `os.availableParallelism()`). Python: `processes`. */
  workers?: number;
  /** Workers kept while idle (default: `workers`); the others start on demand and exit after `idleTimeout`. */
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

/** Callbacks of the `...Async` methods; they run on the thread that owns the pool. */
export interface AsyncCallbacks<R> {
  callback?: (value: R) => void;
  errorCallback?: (error: unknown) => void;
}

/** Options of `applyAsync`: its callbacks and the per-task options (`signal`, `timeout`). */
export interface ApplyAsyncOptions<R> extends AsyncCallbacks<R>, TaskOptions {}

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

function checkCallbacks(callback: unknown, errorCallback: unknown): void {
  if (callback !== undefined && typeof callback !== 'function') throw typeError('callback must be a function');
  if (errorCallback !== undefined && typeof errorCallback !== 'function') throw typeError('errorCallback must be a function');
}

function argsArray(args: unknown, method: string): unknown[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw typeError(`${method}(fn, args): args must be an array`);
  return args;
}

/**
 * A pool of worker threads running the named exports of one task module.
 * `Pool<typeof import('./tasks.js')>` checks task names, arguments and results against the
 * module's types. Python: `multiprocessing.Pool`.
 */
export class Pool<M = AnyModule> {
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

  /** The most workers. */
  get workers(): number {
    return this.#engine.size;
  }

  /** The workers kept while idle. */
  get minWorkers(): number {
    return this.#engine.minWorkers;
  }

  /** Counters and latencies of the tasks so far, and the workers now. JavaScript extension. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * Run `fn(...args)` in a worker and resolve with its result. Per-task options: `signal` and
   * `timeout`, as `Executor.run`. Python: `Pool.apply`.
   */
  apply<K extends TaskName<M>>(fn: K, args?: TaskArgs<M, K>, options?: TaskOptions): Promise<TaskResult<M, K>>;
  apply<R = unknown>(fn: UntypedName<M>, args?: unknown[], options?: TaskOptions): Promise<R>;
  // `any` here only: the overloads above are the typed surface.
  async apply(fn: string, args?: unknown[], options?: TaskOptions): Promise<any> {
    const checked = checkTaskOptions(options, 'apply(fn, args, options)');
    return this.#engine.submit(fn, argsArray(args, 'apply'), 0, checked).result();
  }

  /**
   * Start `fn(...args)` in a worker; returns its AsyncResult. `options`: `callback`,
   * `errorCallback`, and the per-task `signal` and `timeout`. Python: `Pool.apply_async`.
   */
  applyAsync<K extends TaskName<M>>(fn: K, args?: TaskArgs<M, K>, options?: ApplyAsyncOptions<TaskResult<M, K>>): AsyncResult<TaskResult<M, K>>;
  applyAsync<R = unknown>(fn: UntypedName<M>, args?: unknown[], options?: ApplyAsyncOptions<R>): AsyncResult<R>;
  // `any` here only: the overloads above are the typed surface.
  applyAsync(fn: string, args?: unknown[], options?: ApplyAsyncOptions<any>): AsyncResult<any> {
    const list = argsArray(args, 'applyAsync');
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw typeError('applyAsync(fn, args, options): options must be an object');
    const { callback, errorCallback, signal, timeout } = options ?? {};
    checkCallbacks(callback, errorCallback);
    const checked = checkTaskOptions({ signal, timeout }, 'applyAsync(fn, args, options)');
    return new AsyncResult(this.#engine.submit(fn, list, 0, checked), { callback, errorCallback });
  }

  /**
   * Call `fn(item)` for every item, `chunksize` calls per task (default: about four tasks per
   * worker), and resolve with the results in order. Python: `Pool.map`.
   */
  map<K extends TaskName<M>>(fn: K, iterable: Input<TaskItem<M, K>>, chunksize?: number): Promise<TaskResult<M, K>[]>;
  map<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown>, chunksize?: number): Promise<R[]>;
  map(fn: string, iterable: Input<unknown>, chunksize?: number): Promise<unknown[]> {
    return this.#mapAll(fn, iterable, chunksize, false, 'map');
  }

  /** `map` returning an AsyncResult of the whole list. Python: `Pool.map_async`. */
  mapAsync<K extends TaskName<M>>(fn: K, iterable: Input<TaskItem<M, K>>, chunksize?: number, callbacks?: AsyncCallbacks<TaskResult<M, K>[]>): AsyncResult<TaskResult<M, K>[]>;
  mapAsync<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown>, chunksize?: number, callbacks?: AsyncCallbacks<R[]>): AsyncResult<R[]>;
  // `any` here only: the overloads above are the typed surface.
  mapAsync(fn: string, iterable: Input<unknown>, chunksize?: number, callbacks?: AsyncCallbacks<any[]>): AsyncResult<any[]> {
    checkCallbacks(callbacks?.callback, callbacks?.errorCallback);
    return new AsyncResult(futureOf(this.#mapAll(fn, iterable, chunksize, false, 'mapAsync')), callbacks);
  }

  /** Like `map`, but each item is the array of arguments of one call. Python: `Pool.starmap`. */
  starmap<K extends TaskName<M>>(fn: K, iterable: Input<TaskArgs<M, K>>, chunksize?: number): Promise<TaskResult<M, K>[]>;
  starmap<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown[]>, chunksize?: number): Promise<R[]>;
  // `any` here only: the overloads above are the typed surface.
  starmap(fn: string, iterable: Input<any>, chunksize?: number): Promise<unknown[]> {
    return this.#mapAll(fn, iterable, chunksize, true, 'starmap');
  }

  /** `starmap` returning an AsyncResult. Python: `Pool.starmap_async`. */
  starmapAsync<K extends TaskName<M>>(fn: K, iterable: Input<TaskArgs<M, K>>, chunksize?: number, callbacks?: AsyncCallbacks<TaskResult<M, K>[]>): AsyncResult<TaskResult<M, K>[]>;
  starmapAsync<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown[]>, chunksize?: number, callbacks?: AsyncCallbacks<R[]>): AsyncResult<R[]>;
  // `any` here only: the overloads above are the typed surface.
  starmapAsync(fn: string, iterable: Input<any>, chunksize?: number, callbacks?: AsyncCallbacks<any[]>): AsyncResult<any[]> {
    checkCallbacks(callbacks?.callback, callbacks?.errorCallback);
    return new AsyncResult(futureOf(this.#mapAll(fn, iterable, chunksize, true, 'starmapAsync')), callbacks);
  }

  /**
   * Call `fn(item)` for every item, lazily: yields results in input order, reading the input
   * only as fast as results are consumed. Python: `Pool.imap`.
   */
  imap<K extends TaskName<M>>(fn: K, iterable: Input<TaskItem<M, K>>, chunksize?: number): AsyncGenerator<TaskResult<M, K>, void, undefined>;
  imap<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<R, void, undefined>;
  // `any` here only: the overloads above are the typed surface.
  imap(fn: string, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<any, void, undefined> {
    this.#check();
    return iterate(this.#engine, fn, iterable, { method: 'imap', chunksize: checkChunksize(chunksize, 1), ordered: true, star: false });
  }

  /** Like `imap`, but yields results as they finish. Python: `Pool.imap_unordered`. */
  imapUnordered<K extends TaskName<M>>(fn: K, iterable: Input<TaskItem<M, K>>, chunksize?: number): AsyncGenerator<TaskResult<M, K>, void, undefined>;
  imapUnordered<R = unknown>(fn: UntypedName<M>, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<R, void, undefined>;
  // `any` here only: the overloads above are the typed surface.
  imapUnordered(fn: string, iterable: Input<unknown>, chunksize?: number): AsyncGenerator<any, void, undefined> {
    this.#check();
    return iterate(this.#engine, fn, iterable, { method: 'imapUnordered', chunksize: checkChunksize(chunksize, 1), ordered: false, star: false });
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
