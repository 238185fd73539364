/**
 * Future: Python's `concurrent.futures.Future`, living on the thread that owns the pool.
 *
 *   state       meaning                                         how it is entered
 *   ----------  ----------------------------------------------  -------------------------------
 *   pending     submitted, no worker has claimed it              construction
 *   running     a worker claimed it (shared STATE word RUNNING)  the worker's CAS (slots.ts)
 *   finished    has a result or an exception                     the engine, when it comes back
 *   cancelled   `cancel()` won against every worker              `cancel()`
 *
 * While the task is on the task channel the decisive state is the task's shared STATE word
 * (slots.ts): `cancel()` and `running()` read or swap it, so a cancel can never win against a
 * task a worker has already started. Before that (a task still waiting in the engine's backlog)
 * and after it settles, the Future alone decides. Everything else — results, callbacks, the
 * Promises of `result()` / `exception()` — happens on the owning thread.
 *
 * `abort(reason)` (a JavaScript extension) is `cancel()` for a task not started; for a running
 * one it asks the engine to stop it (TaskControl.abort) and the future stays running until the
 * task has stopped, then rejects with the reason. `onProgress` callbacks run on the owning
 * thread for each progress value the engine hands over (the latest wins).
 */
import { AbortError, CancelledError, TimeoutError, typeError } from '../primitives/errors.js';
import { checkTimeout } from '../primitives/futex.js';

/** How a Future reaches its task's shared STATE word (set by the engine). */
export interface TaskControl {
  /** Try to cancel a task that no worker has claimed; true if the cancel won. */
  cancel(): boolean;
  /** Whether a worker is running the task now. */
  running(): boolean;
  /** Ask the running task to stop; its future later rejects with `reason`. */
  abort(reason: unknown): void;
}

/** @internal Settle a Future with a value. */
export const setResult = Symbol('sabsync.setResult');
/** @internal Settle a Future with an error. */
export const setException = Symbol('sabsync.setException');
/** @internal Attach the task's control (or detach with undefined). */
export const setControl = Symbol('sabsync.setControl');
/** @internal Listen for the Future to be done; returns a function that stops listening. */
export const onDone = Symbol('sabsync.onDone');
/** @internal Whether the Future finished with an error (cancelled does not count). */
export const failed = Symbol('sabsync.failed');
/** @internal The outcome of a done Future, read synchronously: `{ ok, value }` (value: result or error). */
export const peek = Symbol('sabsync.peek');
/** @internal The resolve and reject of the future's own Promise (`then`). */
const captured = Symbol('sabsync.captured');
/** @internal A progress value came from the task. */
export const setProgress = Symbol('sabsync.setProgress');

type Outcome = 'pending' | 'finished' | 'cancelled';

/** What a Future calls when `cancel()` wins: a function, or an object (no closure per task). */
type CancelHook = (() => void) | { cancelled(): void };

/**
 * The eventual result of a task submitted to an `Executor`; also a `PromiseLike` of it.
 * Python: `concurrent.futures.Future`.
 */
export class Future<R = unknown> implements PromiseLike<R> {
  #outcome: Outcome = 'pending';
  #value: R | undefined;
  #error: unknown;
  #failed = false;
  #control: TaskControl | undefined;
  #onCancel: CancelHook | undefined;
  // Created on first use: most futures never get a callback or a listener.
  #callbacks: ((f: Future<R>) => void)[] | undefined;
  #listeners: Set<() => void> | undefined;
  #progress: ((value: unknown) => void)[] | undefined;
  /** What `then` builds on: one Promise settled directly by #finish (not a `result()` call). */
  #promise: Promise<R> | undefined;
  #resolve: ((value: R) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  /** @internal `onCancel` is called when `cancel()` wins (the engine drops the task). */
  constructor(onCancel?: CancelHook) {
    this.#onCancel = onCancel;
  }

  /**
   * Cancel the task if no worker has started it. Returns true if the future is now cancelled
   * (also when it already was), false if it is running or finished. Python: `Future.cancel()`.
   */
  cancel(): boolean {
    if (this.#outcome !== 'pending') return this.#outcome === 'cancelled';
    if (this.#control !== undefined && !this.#control.cancel()) return false;
    this.#outcome = 'cancelled';
    this.#error = new CancelledError();
    this.#control = undefined;
    const onCancel = this.#onCancel;
    this.#onCancel = undefined;
    if (typeof onCancel === 'function') onCancel();
    else onCancel?.cancelled();
    this.#finish();
    return true;
  }

  /**
   * Stop the task: one not started is cancelled as by `cancel()`; a running one is asked to
   * stop (its `currentTask().signal` fires, `aborted` turns true), and the future rejects with
   * `reason` (default: an `AbortError`, code `ERR_ABORTED`) once the task has stopped. Does
   * nothing to a future that is done. JavaScript extension.
   */
  abort(reason?: unknown): void {
    if (this.#outcome !== 'pending' || this.cancel()) return;
    this.#control?.abort(reason === undefined ? new AbortError() : reason);
  }

  /**
   * Call `cb(value)` on the owning thread with each progress value the running task reports
   * (`currentTask().progress(value)`). When the owner is slower than the task, values in
   * between are skipped: the latest one wins. A callback that throws is reported and does not
   * stop the others. JavaScript extension.
   */
  onProgress(cb: (value: unknown) => void): this {
    if (typeof cb !== 'function') throw typeError('onProgress(cb): cb must be a function');
    if (this.#outcome === 'pending') (this.#progress ??= []).push(cb);
    return this;
  }

  /** Whether the future was cancelled. Python: `Future.cancelled()`. */
  cancelled(): boolean {
    return this.#outcome === 'cancelled';
  }

  /** Whether a worker is running the task now. Python: `Future.running()`. */
  running(): boolean {
    return this.#outcome === 'pending' && this.#control !== undefined && this.#control.running();
  }

  /** Whether the future is finished or cancelled. Python: `Future.done()`. */
  done(): boolean {
    return this.#outcome !== 'pending';
  }

  /**
   * Wait for the task's result. Resolves with it; rejects with the task's error,
   * `CancelledError` if cancelled, `TimeoutError` if not done within `timeout` ms.
   * Python: `Future.result(timeout)`.
   */
  async result(timeout?: number): Promise<R> {
    await this.#settled(checkTimeout(timeout), 'result');
    if (this.#failed || this.#outcome === 'cancelled') throw this.#error;
    return this.#value as R;
  }

  /**
   * Wait for the task's error. Resolves with it, or with `undefined` if the task succeeded;
   * rejects with `CancelledError` if cancelled, `TimeoutError` if not done within `timeout` ms.
   * Python: `Future.exception(timeout)`.
   */
  async exception(timeout?: number): Promise<unknown> {
    await this.#settled(checkTimeout(timeout), 'exception');
    if (this.#outcome === 'cancelled') throw this.#error;
    return this.#failed ? this.#error : undefined;
  }

  /**
   * Call `cb(future)` once the future is done, on the owning thread: at once if it already is.
   * Each callback runs exactly once; one that throws is reported and does not stop the others.
   * Python: `Future.add_done_callback(fn)`.
   */
  addDoneCallback(cb: (future: Future<R>) => void): void {
    if (typeof cb !== 'function') throw typeError('addDoneCallback(cb): cb must be a function');
    if (this.#outcome === 'pending') (this.#callbacks ??= []).push(cb);
    else runCallback(cb, this);
  }

  /** `PromiseLike`: `await future` is `await future.result()`. */
  then<A = R, B = never>(
    onFulfilled?: ((value: R) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (this.#promise === undefined) {
      if (this.#outcome !== 'pending') this.#promise = this.result();
      else {
        // No closure and no array per future: the executor is one function for all, handed the
        // future it fills through `capturing` (many futures are awaited: a pool of trivial
        // tasks spent a third of its owner's time collecting garbage, most of it from here).
        capturing = this as Future<unknown>;
        try {
          this.#promise = new Promise<R>(capture as (resolve: (value: R) => void, reject: (error: unknown) => void) => void);
        } finally {
          capturing = undefined;
        }
      }
    }
    return this.#promise.then(onFulfilled, onRejected);
  }

  /** A short description for logs. */
  get [Symbol.toStringTag](): string {
    return `Future ${this.running() ? 'running' : this.#outcome}`;
  }

  /** @internal */
  [setResult](value: R): boolean {
    if (this.#outcome !== 'pending') return false;
    this.#outcome = 'finished';
    this.#value = value;
    this.#finish();
    return true;
  }

  /** @internal */
  [setException](error: unknown): boolean {
    if (this.#outcome !== 'pending') return false;
    this.#outcome = 'finished';
    this.#failed = true;
    this.#error = error;
    this.#finish();
    return true;
  }

  /** @internal */
  [setControl](control: TaskControl | undefined): void {
    this.#control = control;
  }

  /** @internal */
  [onDone](listener: () => void): () => void {
    if (this.#outcome !== 'pending') {
      listener();
      return () => {};
    }
    const listeners = (this.#listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** @internal */
  [peek](): { ok: boolean; value: unknown } {
    if (this.#outcome === 'finished' && !this.#failed) return { ok: true, value: this.#value };
    return { ok: false, value: this.#error };
  }

  /** @internal */
  [setProgress](value: unknown): void {
    if (this.#progress === undefined || this.#outcome !== 'pending') return;
    for (const cb of this.#progress) {
      try {
        cb(value);
      } catch (error) {
        console.error('sabsync: exception calling a Future progress callback:', error);
      }
    }
  }

  /** @internal */
  [captured](resolve: (value: R) => void, reject: (error: unknown) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** @internal */
  [failed](): boolean {
    return this.#failed;
  }

  #finish(): void {
    this.#control = undefined;
    this.#onCancel = undefined;
    const callbacks = this.#callbacks;
    const listeners = this.#listeners;
    this.#callbacks = undefined;
    this.#listeners = undefined;
    this.#progress = undefined;
    const resolve = this.#resolve;
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    if (resolve !== undefined) {
      if (this.#failed || this.#outcome === 'cancelled') reject!(this.#error);
      else resolve(this.#value as R);
    }
    if (listeners !== undefined) for (const listener of listeners) listener();
    if (callbacks !== undefined) for (const cb of callbacks) runCallback(cb, this);
  }

  #settled(timeout: number, method: string): Promise<void> {
    if (this.#outcome !== 'pending') return Promise.resolve();
    if (timeout === 0) return Promise.reject(new TimeoutError(`${method}(): the future is not done`));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = this[onDone](() => {
        clearTimeout(timer);
        resolve();
      });
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          stop();
          reject(new TimeoutError(`${method}(): the future was not done within ${timeout} ms`));
        }, timeout);
      }
    });
  }
}

/** The future whose Promise is being made in `then` (read by `capture`, its executor). */
let capturing: Future<unknown> | undefined;

/** The executor of a future's Promise: keeps its resolve and reject on the future. */
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturing![captured](resolve, reject);
}

function runCallback<R>(cb: (f: Future<R>) => void, future: Future<R>): void {
  try {
    cb(future);
  } catch (error) {
    console.error('sabsync: exception calling a Future done callback:', error);
  }
}
