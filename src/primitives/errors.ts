/**
 * Every error sabsync throws carries a string `code` (see API.md, "Errors").
 *
 * Exported classes are the failures a caller catches by type (`Empty`, `Full`, `TimeoutError`,
 * ...). Misuse (`ERR_NOT_LOCKED`, `ERR_NOT_OWNER`, ...) is a plain `SabsyncError` with a code,
 * created by `misuse()`. Argument errors are the built-in `TypeError` / `RangeError`, tagged with
 * `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE` so that the "every error has a code" rule holds.
 */

/** Base class of every sabsync error: an `Error` with a string `code`. */
export class SabsyncError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `Queue.get` / `getNowait` found nothing by its timeout. Python: `queue.Empty`. */
export class Empty extends SabsyncError {
  constructor(message = 'the queue is empty') {
    super('ERR_EMPTY', message);
  }
}

/** `Queue.put` / `putNowait` found no room by its timeout. Python: `queue.Full`. */
export class Full extends SabsyncError {
  constructor(message = 'the queue is full') {
    super('ERR_FULL', message);
  }
}

/** The queue was shut down. Python 3.13: `queue.ShutDown`. */
export class ShutDown extends SabsyncError {
  constructor(message = 'the queue has been shut down') {
    super('ERR_SHUTDOWN', message);
  }
}

/** The barrier is, or became, broken. Python: `threading.BrokenBarrierError`. */
export class BrokenBarrierError extends SabsyncError {
  constructor(message = 'the barrier is broken') {
    super('ERR_BROKEN_BARRIER', message);
  }
}

/** The future was cancelled. Python: `concurrent.futures.CancelledError`. */
export class CancelledError extends SabsyncError {
  constructor(message = 'the future was cancelled') {
    super('ERR_CANCELLED', message);
  }
}

/** A timed operation ran out of time. Python: `TimeoutError`. */
export class TimeoutError extends SabsyncError {
  constructor(message = 'the operation timed out') {
    super('ERR_TIMEOUT', message);
  }
}

/** The worker running a task died before finishing it. */
export class WorkerCrashedError extends SabsyncError {
  constructor(message = 'the worker running this task died', options?: ErrorOptions) {
    super('ERR_WORKER_CRASHED', message, options);
  }
}

/** Work was submitted to a pool after `close()` / `shutdown()`. */
export class PoolClosedError extends SabsyncError {
  constructor(message = 'the pool is closed') {
    super('ERR_POOL_CLOSED', message);
  }
}

/** Codes of misuse errors, thrown as `SabsyncError` with that code. */
export type MisuseCode =
  | 'ERR_NOT_LOCKED'
  | 'ERR_NOT_OWNER'
  | 'ERR_OVER_RELEASE'
  | 'ERR_TASK_DONE'
  | 'ERR_TOO_LARGE'
  | 'ERR_UNSERIALIZABLE'
  | 'ERR_CANNOT_BLOCK'
  | 'ERR_TOO_MANY_WAITERS';

/** Create a misuse error (`ERR_NOT_LOCKED`, `ERR_NOT_OWNER`, ...). */
export function misuse(code: MisuseCode, message: string, options?: ErrorOptions): SabsyncError {
  return new SabsyncError(code, message, options);
}

/** Create a `TypeError` with code `ERR_INVALID_ARG_TYPE`. */
export function typeError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** Create a `RangeError` with code `ERR_OUT_OF_RANGE`. */
export function rangeError(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' });
}
