/**
 * Waiting on many futures at once: `asCompleted`, `wait` and the `returnWhen` constants.
 * Python: `concurrent.futures.as_completed`, `concurrent.futures.wait`.
 *
 * Both listen to every pending future through the internal `onDone` hook (removable, unlike a
 * done callback) and stop listening when they return, so an abandoned wait leaks nothing.
 */
import { TimeoutError, rangeError, typeError } from '../primitives/errors.js';
import { checkTimeout, deadlineAfter, remaining } from '../primitives/futex.js';
import { Future, failed, onDone } from './future.js';

/** `wait` returns as soon as any future is done. Python: `FIRST_COMPLETED`. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait` returns when any future fails, or when all are done. Python: `FIRST_EXCEPTION`. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait` returns when every future is done. Python: `ALL_COMPLETED`. */
export const ALL_COMPLETED = 'ALL_COMPLETED';

export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

function futuresOf<R>(futures: Iterable<Future<R>>, what: string): Set<Future<R>> {
  if (futures === null || typeof (futures as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function') {
    throw typeError(`${what}(futures): futures must be an iterable of Future`);
  }
  const set = new Set<Future<R>>();
  for (const f of futures) {
    if (!(f instanceof Future)) throw typeError(`${what}(futures): every item must be a Future`);
    set.add(f);
  }
  return set;
}

/**
 * Listen to every future in `pending`, calling `changed(f)` as each one finishes; also call
 * `changed()` when `deadline` passes. Returns a function that stops everything.
 */
function watch<R>(pending: Iterable<Future<R>>, deadline: number, changed: (f?: Future<R>) => void): () => void {
  const stops = [...pending].map((f) => f[onDone](() => changed(f)));
  const left = remaining(deadline);
  const timer = left === Infinity ? undefined : setTimeout(() => changed(), left);
  return () => {
    clearTimeout(timer);
    for (const stop of stops) stop();
  };
}

/**
 * A Future as `asCompleted` yields it: the Future itself, typed without `then`. A `for await`
 * loop does not await the values an async iterator yields, but TypeScript types the loop
 * variable as if it did: a plain `Future<R>` would be typed `R`, and `f.result()` would not
 * compile. Use `await f.result()` on it.
 */
export type CompletedFuture<R> = Future<R> & { readonly then: never };

/**
 * Yield the given futures (duplicates once) as they complete, finished or cancelled: those
 * already done first. Throws `TimeoutError` if `timeout` ms after the call some are not done.
 * Python: `concurrent.futures.as_completed(fs, timeout)`.
 *
 * (A hand-written iterator, not an async generator: `yield` in an async generator would await
 * the Future — a PromiseLike — and yield its result instead of the Future itself. A `for await`
 * over a sync iterable awaits each value too; over an async iterator, it does not.)
 */
export function asCompleted<R>(futures: Iterable<Future<R>>, timeout?: number): AsyncIterableIterator<CompletedFuture<R>> {
  const deadline = deadlineAfter(checkTimeout(timeout));
  const pending = futuresOf(futures, 'asCompleted');
  const ready: CompletedFuture<R>[] = [];
  for (const f of pending) if (f.done()) ready.push(f as CompletedFuture<R>);
  for (const f of ready) pending.delete(f);
  let wakeUp: (() => void) | undefined;
  let timedOut = remaining(deadline) === 0;
  let stop: (() => void) | undefined;
  const finish = (): IteratorResult<CompletedFuture<R>> => {
    stop?.();
    pending.clear();
    ready.length = 0;
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<CompletedFuture<R>>> {
      stop ??= watch(pending, deadline, (f) => {
        if (f === undefined) timedOut = true;
        else if (pending.delete(f)) ready.push(f as CompletedFuture<R>);
        wakeUp?.();
      });
      for (;;) {
        if (ready.length > 0) return { done: false, value: ready.shift()! };
        if (pending.size === 0) return finish();
        if (timedOut) {
          const n = pending.size;
          finish();
          throw new TimeoutError(`asCompleted(): ${n} future(s) not done within ${timeout} ms`);
        }
        await new Promise<void>((resolve) => (wakeUp = resolve));
        wakeUp = undefined;
      }
    },
    async return(): Promise<IteratorResult<CompletedFuture<R>>> {
      return finish();
    },
  };
}

/**
 * Wait until the futures meet `returnWhen` (default `ALL_COMPLETED`) or `timeout` ms pass.
 * Resolves to `{ done, notDone }`, two Sets; a timeout is not an error.
 * Python: `concurrent.futures.wait(fs, timeout, return_when)`.
 */
export async function wait<R>(
  futures: Iterable<Future<R>>,
  options: { timeout?: number; returnWhen?: ReturnWhen } = {},
): Promise<{ done: Set<Future<R>>; notDone: Set<Future<R>> }> {
  if (typeof options !== 'object' || options === null) throw typeError('wait(futures, options): options must be an object');
  const deadline = deadlineAfter(checkTimeout(options.timeout, 'options.timeout'));
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw rangeError(`wait(): options.returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${String(returnWhen)}`);
  }
  const all = futuresOf(futures, 'wait');
  const satisfied = (): boolean => {
    let done = 0;
    for (const f of all) {
      if (!f.done()) continue;
      done++;
      if (returnWhen === FIRST_COMPLETED || (returnWhen === FIRST_EXCEPTION && f[failed]())) return true;
    }
    return done === all.size;
  };
  if (!satisfied() && remaining(deadline) > 0) {
    await new Promise<void>((resolve) => {
      const stop = watch(
        [...all].filter((f) => !f.done()),
        deadline,
        (f) => {
          if (f !== undefined && !satisfied()) return;
          stop();
          resolve();
        },
      );
    });
  }
  const done = new Set<Future<R>>();
  const notDone = new Set<Future<R>>();
  for (const f of all) (f.done() ? done : notDone).add(f);
  return { done, notDone };
}
