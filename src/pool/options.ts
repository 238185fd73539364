/**
 * Per-task options of `Executor.run`, `Pool.apply` and `Pool.applyAsync`, and their check: bad
 * options throw (TypeError / RangeError naming the option) before anything is submitted.
 */
import { rangeError, typeError } from '../primitives/errors.js';

/** Per-task options (`run`, `apply`, `applyAsync`). */
export interface TaskOptions {
  /** Aborting it cancels the task if it has not started, else aborts it (`future.abort`). */
  signal?: AbortSignal | undefined;
  /** Most ms the task may run: then its signal fires with `TimeoutError` (see TIMEOUT_GRACE_MS in stops.ts). */
  timeout?: number | undefined;
}

/** Validate per-task options (TypeError / RangeError naming the option); undefined when none apply. */
export function checkTaskOptions(options: unknown, method: string): TaskOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw typeError(`${method}: options must be an object`);
  const { signal, timeout } = options as TaskOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError(`${method}: options.signal must be an AbortSignal`);
  if (timeout !== undefined) {
    if (typeof timeout !== 'number') throw typeError(`${method}: options.timeout must be a number of milliseconds, got ${typeof timeout}`);
    if (!(timeout > 0)) throw rangeError(`${method}: options.timeout must be > 0 milliseconds (or Infinity), got ${timeout}`);
  }
  if (signal === undefined && (timeout === undefined || timeout === Infinity)) return undefined;
  return { signal, timeout: timeout === Infinity ? undefined : timeout };
}

