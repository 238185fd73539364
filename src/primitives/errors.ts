/**
 * Every error sabsync throws carries a string `code` (see API.md, "Errors").
 *
 * Exported classes are the failures a caller catches by type (`Empty`, `Full`, `TimeoutError`,
 * ...). Misuse (`ERR_NOT_LOCKED`, `ERR_NOT_OWNER`, ...) is a plain `SabsyncError` with a code,
 * created by `misuse()`. Argument errors are the built-in `TypeError` / `RangeError`, tagged with
 * `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` so that the "every error has a code" rule holds.
 * `ErrorCode` is the union of every code, exported for `switch (error.code)`.
 *
 * Each class sets its `name` as a string literal, not from the constructor's name: a minifier
 * renames classes (`Empty` would print as `et`).
 */

/** Base class of every sabsync error: an `Error` with a string `code`. */
export class SabsyncError extends Error {
  override name = 'SabsyncError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** `Queue.get` / `getNowait` found nothing by its timeout. Python: `queue.Empty`. */
export class Empty extends SabsyncError {
  override name = 'Empty';
  declare readonly code: 'ERR_EMPTY';
  constructor(message = 'the queue is empty') {
    super('ERR_EMPTY', message);
  }
}

/** `Queue.put` / `putNowait` found no room by its timeout. Python: `queue.Full`. */
export class Full extends SabsyncError {
  override name = 'Full';
  declare readonly code: 'ERR_FULL';
  constructor(message = 'the queue is full') {
    super('ERR_FULL', message);
  }
}

/** The queue was shut down. Python 3.13: `queue.ShutDown`. */
export class ShutDown extends SabsyncError {
  override name = 'ShutDown';
  declare readonly code: 'ERR_SHUTDOWN';
  constructor(message = 'the queue has been shut down') {
    super('ERR_SHUTDOWN', message);
  }
}

/** The barrier is, or became, broken. Python: `threading.BrokenBarrierError`. */
export class BrokenBarrierError extends SabsyncError {
  override name = 'BrokenBarrierError';
  declare readonly code: 'ERR_BROKEN_BARRIER';
  constructor(message = 'the barrier is broken') {
    super('ERR_BROKEN_BARRIER', message);
  }
}

/** The future was cancelled. Python: `concurrent.futures.CancelledError`. */
export class CancelledError extends SabsyncError {
  override name = 'CancelledError';
  declare readonly code: 'ERR_CANCELLED';
  constructor(message = 'the future was cancelled') {
    super('ERR_CANCELLED', message);
  }
}

/** A timed operation ran out of time. Python: `TimeoutError`. */
export class TimeoutError extends SabsyncError {
  override name = 'TimeoutError';
  declare readonly code: 'ERR_TIMEOUT';
  constructor(message = 'the operation timed out') {
    super('ERR_TIMEOUT', message);
  }
}

/** The worker running a task died before finishing it. */
export class WorkerCrashedError extends SabsyncError {
  override name = 'WorkerCrashedError';
  declare readonly code: 'ERR_WORKER_CRASHED';
  constructor(message = 'the worker running this task died', options?: ErrorOptions) {
    super('ERR_WORKER_CRASHED', message, options);
  }
}

/** Work was submitted to a pool after `close()` / `shutdown()`. */
export class PoolClosedError extends SabsyncError {
  override name = 'PoolClosedError';
  declare readonly code: 'ERR_POOL_CLOSED';
  constructor(message = 'the pool is closed') {
    super('ERR_POOL_CLOSED', message);
  }
}

/** Codes of misuse errors, thrown as `SabsyncError` with that code. */
export type MisuseCode =
  | 'ERR_POOL_RUNNING'
  | 'ERR_NOT_READY'
  | 'ERR_NOT_LOCKED'
  | 'ERR_NOT_OWNER'
  | 'ERR_OVER_RELEASE'
  | 'ERR_TASK_DONE'
  | 'ERR_TOO_LARGE'
  | 'ERR_UNSERIALIZABLE'
  | 'ERR_CANNOT_BLOCK'
  | 'ERR_TOO_MANY_WAITERS'
  | 'ERR_FULL_STORAGE'
  | 'ERR_ALREADY_STARTED'
  | 'ERR_NOT_STARTED'
  | 'ERR_CLOSED'
  | 'ERR_BROKEN_PIPE'
  | 'ERR_ONE_WAY'
  | 'ERR_BOOTSTRAPPING';

/** Every `code` a sabsync error carries (see the README's error table). */
export type ErrorCode =
  | MisuseCode
  | 'ERR_EMPTY'
  | 'ERR_FULL'
  | 'ERR_SHUTDOWN'
  | 'ERR_BROKEN_BARRIER'
  | 'ERR_CANCELLED'
  | 'ERR_TIMEOUT'
  | 'ERR_WORKER_CRASHED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_MODULE_NOT_FOUND'
  | 'ERR_EOF'
  | 'ERR_ABORTED'
  | 'ERR_UNSUPPORTED_RUNTIME';

/** Create a misuse error (`ERR_NOT_LOCKED`, `ERR_NOT_OWNER`, ...). */
export function misuse(code: MisuseCode, message: string, options?: ErrorOptions): SabsyncError {
  return new SabsyncError(code, message, options);
}

/** Create a `TypeError` with code `ERR_INVALID_ARG_TYPE`. */
export function typeError(message: string): TypeError & { code: 'ERR_INVALID_ARG_TYPE' } {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' as const });
}

/** Create a `RangeError` with code `ERR_OUT_OF_RANGE`. */
export function rangeError(message: string): RangeError & { code: 'ERR_OUT_OF_RANGE' } {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' as const });
}

/**
 * `Connection.recv` found the other end closed and everything it sent received.
 * Python: `EOFError` from `Connection.recv()`.
 */
export class EOFError extends SabsyncError {
  override name = 'EOFError';
  declare readonly code: 'ERR_EOF';
  constructor(message = 'the other end of the pipe is closed and everything it sent was received') {
    super('ERR_EOF', message);
  }
}

/** A running pool task was aborted (`future.abort()`, or the caller's AbortSignal). */
export class AbortError extends SabsyncError {
  override name = 'AbortError';
  declare readonly code: 'ERR_ABORTED';
  constructor(message = 'the task was aborted') {
    super('ERR_ABORTED', message);
  }
}
