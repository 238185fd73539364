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
 * and after it settles, the Future alone decides. Between a task's end and its settle (its
 * result taken, not yet handed to the Future: pump.ts) a future is pending and not running,
 * and `cancel()` fails: the task has run (API.md: cancel succeeds only for a task not
 * started). Everything else — results, callbacks, the Promises of `result()` / `exception()` —
 * happens on the owning thread.
 *
 * A Future is itself a Promise of its result (a subclass of `Promise` whose `constructor` reads
 * `Promise`), settled by the engine when the result comes: `await future`, `Promise.all(futures)`
 * and `then` take it as it is, with no Promise made for it in between (a Future that was a mere
 * thenable cost each awaiter a Promise for the Future, a job that called `then`, and one more
 * Promise inside `then`: ≈ 1.3 KB per task of a pool of trivial tasks, a third of its owner's
 * time in GC). A Future that fails or is cancelled while nobody awaits it raises no unhandled
 * rejection: its Promise is marked handled first (only failures pay for that). It keeps only
 * its Promise's resolve, and rejects through it (Rejection: one microtask later).
 *
 * So, deliberately, `future.constructor === Promise` (the prototype's `constructor`, not an own
 * property): `await`, `Promise.resolve` and `Promise.all` take a Promise as it is only when its
 * `constructor` is `Promise` itself, and the Promises `then`, `catch` and `finally` derive from
 * a Future are plain ones. `future instanceof Future` (and `instanceof Promise`) hold; code
 * that tells a Future by `f.constructor === Future` or `f.constructor.name` must use
 * `instanceof Future` instead. A Future shows no own properties (`Object.keys` is empty): its
 * state and the engine's are private fields (task.ts). The Promise statics `Future` inherits
 * (`Future.resolve`, `Future.all`, …) would make Futures through a Promise executor, which a
 * Future's constructor does not run: they throw a TypeError that says where Futures come from
 * (an Executor) — `Promise.resolve(x)`, `Promise.all(futures)` are the ones to call. TypeScript
 * shows none of them: a Future is typed as the `PromiseLike` it was before.
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
  abort?(reason: unknown): void;
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
/** @internal A progress value came from the task. */
export const setProgress = Symbol('sabsync.setProgress');
/** @internal `cancel()` won: what a subclass does then (the engine's Task drops itself). */
export const whenCancelled = Symbol('sabsync.whenCancelled');
/** @internal Whether a cancel may win now: the task control's `cancel()` (a subclass: its own). */
export const tryCancel = Symbol('sabsync.tryCancel');
/** @internal Whether a worker runs the task now (a subclass: its own). */
export const isRunning = Symbol('sabsync.isRunning');
/** @internal Ask the running task to stop (a subclass: its own). */
export const abortRunning = Symbol('sabsync.abortRunning');
/** @internal The Future is settled or cancelled: what a subclass lets go of then (the engine's Task: its engine and call). */
export const released = Symbol('sabsync.released');
/**
 * @internal What few instances of a subclass keep besides (the engine's Task: the upkeep of its
 * options), kept with the listeners, not in a field of every instance; dropped once done.
 */
export const extra = Symbol('sabsync.extra');

/** What a Future is (#state). */
const PENDING = 0;
const FINISHED = 1;
const FAILED = 2;
const CANCELLED = 3;
const STATE_NAMES = ['pending', 'finished', 'finished', 'cancelled'] as const;

/**
 * What few futures get: done callbacks, onDone listeners, progress callbacks, a Future's
 * cancel hook and task control (an engine's Task has neither: it answers cancel() and
 * running() itself, task.ts), and a subclass's `extra`. Made on first use, dropped once the
 * future is done.
 */
class Listeners<R> {
  callbacks: ((f: Future<R>) => void)[] | undefined = undefined;
  listeners: Set<() => void> | undefined = undefined;
  progress: ((value: unknown) => void)[] | undefined = undefined;
  control: TaskControl | undefined = undefined;
  onCancel: CancelHook | undefined = undefined;
  extra: unknown = undefined;
}

/** What a Future calls when `cancel()` wins: a function, or an object (no closure per task). */
type CancelHook = (() => void) | { cancelled(): void };

/** The resolve of the Promise being constructed (read by the Future's constructor). */
let captured: ((value: unknown) => void) | undefined;

/**
 * The executor of every Future's Promise: one function for all, no closure per future. It
 * keeps the resolve only: a failed Future's Promise is resolved with a Rejection, which rejects
 * it (see Rejection).
 */
function capture(resolve: (value: unknown) => void): void {
  captured = resolve;
}

/**
 * What a failed (or cancelled) Future's Promise is resolved with: a thenable that rejects it
 * with the error. So a Future keeps only its Promise's resolve, not its reject too: each of the
 * two is a closure (≈ 56 bytes, besides the context they share), and a pool of trivial tasks
 * keeps a Future per task in flight, which every scavenge copies (a reject kept per pending
 * future was ≈ 20% of the bytes a pending task keeps alive). The price is one microtask: the
 * Promise of a failed Future rejects one job after it is settled (its state, `done()`, its
 * callbacks and listeners are settled at once, as before); a successful one resolves as before.
 */
class Rejection {
  readonly #error: unknown;

  constructor(error: unknown) {
    this.#error = error;
  }

  then(_resolve: unknown, reject: (error: unknown) => void): void {
    reject(this.#error);
  }
}

/** The handler that marks a failed Future's Promise handled. */
function ignore(): void {}

const promiseThen = Promise.prototype.then;

/** What a Future shows of the Promise it is: a `PromiseLike` (its type stays what it was before it was one). */
interface PromiseLikeBase<R> {
  /** `PromiseLike`: `await future` is `await future.result()`. */
  then<A = R, B = never>(onFulfilled?: ((value: R) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B>;
}

/** `Promise`, typed as the PromiseLike a Future is. */
const PromiseLikeBase = Promise as unknown as new <R>(executor: typeof capture) => PromiseLikeBase<R>;

/**
 * The eventual result of a task submitted to an `Executor`; also a `PromiseLike` of it (at run
 * time a Promise: see above).
 * Python: `concurrent.futures.Future`.
 */
export class Future<R = unknown> extends PromiseLikeBase<R> implements PromiseLike<R> {
  // Few fields: a pool of trivial tasks keeps a Future per task in flight, and every field is
  // 8 bytes more that each scavenge copies. What few futures use is in #more. No private
  // methods either (#finish and #settled are static): an instance of a class with private
  // methods carries one more field, the class's brand.
  #state = PENDING;
  /**
   * While pending, the resolve of this Promise (one field for both: see Rejection); once done,
   * the result, or the error (failed, cancelled).
   */
  #value: unknown;
  /** Created on first use: most futures never get a callback, a listener, a cancel hook or a control. */
  #more: Listeners<R> | undefined = undefined;

  /** A pending Future (a pool's come from `submit`; this one is settled by whoever made it). */
  constructor();
  /** @internal `onCancel` is called when `cancel()` wins (the engine drops the task). */
  constructor(onCancel?: CancelHook);
  constructor(onCancel?: CancelHook) {
    super(capture);
    this.#value = captured;
    captured = undefined;
    if (onCancel !== undefined) (this.#more = new Listeners()).onCancel = onCancel;
  }

  /**
   * Cancel the task if no worker has started it. Returns true if the future is now cancelled
   * (also when it already was), false if it is running or finished. Python: `Future.cancel()`.
   */
  cancel(): boolean {
    if (this.#state !== PENDING) return this.#state === CANCELLED;
    if (!this[tryCancel]()) return false;
    const resolve = this.#value;
    this.#state = CANCELLED;
    this.#value = new CancelledError();
    const more = this.#more;
    const onCancel = more?.onCancel;
    if (more !== undefined) more.control = more.onCancel = undefined;
    if (typeof onCancel === 'function') onCancel();
    else if (onCancel !== undefined) onCancel.cancelled();
    else this[whenCancelled]();
    Future.#finish(this, resolve);
    return true;
  }

  /**
   * Stop the task: one not started is cancelled as by `cancel()`; a running one is asked to
   * stop (its `currentTask().signal` fires, `aborted` turns true), and the future rejects with
   * `reason` (default: an `AbortError`, code `ERR_ABORTED`) once the task has stopped. Does
   * nothing to a future that is done. JavaScript extension.
   */
  abort(reason?: unknown): void {
    if (this.#state !== PENDING || this.cancel()) return;
    this[abortRunning](reason === undefined ? new AbortError() : reason);
  }

  /**
   * Call `cb(value)` on the owning thread with each progress value the running task reports
   * (`currentTask().progress(value)`). When the owner is slower than the task, values in
   * between are skipped: the latest one wins. A callback that throws is reported and does not
   * stop the others. JavaScript extension.
   */
  onProgress(cb: (value: unknown) => void): this {
    if (typeof cb !== 'function') throw typeError('onProgress(cb): cb must be a function');
    if (this.#state === PENDING) ((this.#more ??= new Listeners()).progress ??= []).push(cb);
    return this;
  }

  /** Whether the future was cancelled. Python: `Future.cancelled()`. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /** Whether a worker is running the task now. Python: `Future.running()`. */
  running(): boolean {
    return this.#state === PENDING && this[isRunning]();
  }

  /** Whether the future is finished or cancelled. Python: `Future.done()`. */
  done(): boolean {
    return this.#state !== PENDING;
  }

  /**
   * Wait for the task's result. Resolves with it; rejects with the task's error,
   * `CancelledError` if cancelled, `TimeoutError` if not done within `timeout` ms.
   * Python: `Future.result(timeout)`.
   */
  async result(timeout?: number): Promise<R> {
    await Future.#settled(this, checkTimeout(timeout), 'result');
    if (this.#state !== FINISHED) throw this.#value;
    return this.#value as R;
  }

  /**
   * Wait for the task's error. Resolves with it, or with `undefined` if the task succeeded;
   * rejects with `CancelledError` if cancelled, `TimeoutError` if not done within `timeout` ms.
   * Python: `Future.exception(timeout)`.
   */
  async exception(timeout?: number): Promise<unknown> {
    await Future.#settled(this, checkTimeout(timeout), 'exception');
    if (this.#state === CANCELLED) throw this.#value;
    return this.#state === FAILED ? this.#value : undefined;
  }

  /**
   * Call `cb(future)` once the future is done, on the owning thread: at once if it already is.
   * Each callback runs exactly once; one that throws is reported and does not stop the others.
   * Python: `Future.add_done_callback(fn)`.
   */
  addDoneCallback(cb: (future: Future<R>) => void): void {
    if (typeof cb !== 'function') throw typeError('addDoneCallback(cb): cb must be a function');
    if (this.#state === PENDING) ((this.#more ??= new Listeners()).callbacks ??= []).push(cb);
    else runCallback(cb, this);
  }

  /** A short description for logs. */
  get [Symbol.toStringTag](): string {
    return `Future ${this.running() ? 'running' : STATE_NAMES[this.#state]!}`;
  }

  /** @internal */
  [setResult](value: R): boolean {
    if (this.#state !== PENDING) return false;
    const resolve = this.#value;
    this.#state = FINISHED;
    this.#value = value;
    Future.#finish(this, resolve);
    return true;
  }

  /** @internal */
  [setException](error: unknown): boolean {
    if (this.#state !== PENDING) return false;
    const resolve = this.#value;
    this.#state = FAILED;
    this.#value = error;
    Future.#finish(this, resolve);
    return true;
  }

  /** @internal A subclass's extra (see `extra`), undefined if it has none. */
  get [extra](): unknown {
    return this.#more?.extra;
  }
  /** @internal */
  set [extra](value: unknown) {
    if (value !== undefined) (this.#more ??= new Listeners()).extra = value;
    else if (this.#more !== undefined) this.#more.extra = undefined;
  }

  /** @internal */
  [setControl](control: TaskControl | undefined): void {
    if (control !== undefined) (this.#more ??= new Listeners()).control = control;
    else if (this.#more !== undefined) this.#more.control = undefined;
  }

  /** @internal What a subclass does when `cancel()` wins and no hook was given (nothing here). */
  [whenCancelled](): void {}

  /** @internal What a subclass lets go of once the Future is settled (nothing here). */
  [released](): void {}

  /** @internal */
  [tryCancel](): boolean {
    const control = this.#more?.control;
    return control === undefined || control.cancel();
  }

  /** @internal */
  [isRunning](): boolean {
    const control = this.#more?.control;
    return control !== undefined && control.running();
  }

  /** @internal */
  [abortRunning](reason: unknown): void {
    this.#more?.control?.abort?.(reason);
  }

  /** @internal */
  [onDone](listener: () => void): () => void {
    if (this.#state !== PENDING) {
      listener();
      return () => {};
    }
    const listeners = ((this.#more ??= new Listeners()).listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** @internal */
  [peek](): { ok: boolean; value: unknown } {
    return { ok: this.#state === FINISHED, value: this.#value };
  }

  /** @internal */
  [setProgress](value: unknown): void {
    const progress = this.#more?.progress;
    if (progress === undefined || this.#state !== PENDING) return;
    for (const cb of progress) {
      try {
        cb(value);
      } catch (error) {
        console.error('sabsync: exception calling a Future progress callback:', error);
      }
    }
  }

  /** @internal */
  [failed](): boolean {
    return this.#state === FAILED;
  }

  /**
   * `f` was just settled or cancelled (`resolve`: its Promise's, which #value held until then):
   * let go, settle its Promise, run its listeners and callbacks.
   */
  static #finish<R>(f: Future<R>, resolve: unknown): void {
    f[released]();
    const more = f.#more;
    f.#more = undefined;
    if (f.#state !== FINISHED) {
      // Handled, so that nobody awaiting it is no unhandled rejection (awaiters still see it).
      promiseThen.call(f, undefined, ignore);
      (resolve as (value: unknown) => void)(new Rejection(f.#value));
    } else (resolve as (value: unknown) => void)(f.#value);
    if (more === undefined) return;
    if (more.listeners !== undefined) for (const listener of more.listeners) listener();
    if (more.callbacks !== undefined) for (const cb of more.callbacks) runCallback(cb, f);
  }

  /** Resolves once `f` is done, or rejects with a TimeoutError after `timeout` ms. */
  static #settled<R>(f: Future<R>, timeout: number, method: string): Promise<void> {
    if (f.#state !== PENDING) return Promise.resolve();
    if (timeout === 0) return Promise.reject(new TimeoutError(`${method}(): the future is not done`));
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = f[onDone](() => {
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

// `Promise.resolve(future)`, `await future` and `Promise.all` take a Future as it is only when
// its `constructor` is `Promise` (else they wrap it in a new Promise and call its `then` from a
// job); the Promises that `then`, `catch` and `finally` derive from it are plain ones too.
Object.defineProperty(Future.prototype, 'constructor', { value: Promise, writable: true, configurable: true });

// The Promise statics (`Future.resolve(1)`, `Future.all([])` …) would call `new Future(executor)`,
// whose constructor takes no executor: each throws a TypeError that says so, not the engine's
// "Promise resolve or reject function is not callable".
for (const name of ['all', 'allSettled', 'any', 'race', 'reject', 'resolve', 'try', 'withResolvers']) {
  if (!(name in Promise)) continue;
  Object.defineProperty(Future, name, {
    value: function promiseStatic(): never {
      throw typeError(`Future.${name}(): a Future comes from an Executor (submit, map); for a Promise use Promise.${name}()`);
    },
    writable: true,
    configurable: true,
  });
}

function runCallback<R>(cb: (f: Future<R>) => void, future: Future<R>): void {
  try {
    cb(future);
  } catch (error) {
    console.error('sabsync: exception calling a Future done callback:', error);
  }
}
