/**
 * The map family, shared by both facades: `Pool.map`/`starmap`/`imap`/`imapUnordered` and
 * `Executor.map`. Inputs are split into chunks of `chunksize` calls; each chunk is one task
 * whose result is the array of its calls' results.
 *
 * The iterating forms apply backpressure: they read the input only while fewer than
 * `MAP_WINDOW` chunks are unsettled, so an endless or huge input is never read up front.
 * Leaving the loop early (or an error) cancels the chunks no worker has started.
 */
import { rangeError, typeError } from '../primitives/errors.js';
import { checkTimeout, deadlineAfter, remaining } from '../primitives/futex.js';
import { TASK_SLOTS, type Engine } from './engine.js';
import { onDone, type Future } from './future.js';

/** Chunks an iterating map keeps unsettled at once: as many as the engine has task slots. */
export const MAP_WINDOW = TASK_SLOTS;

export type Input<T> = Iterable<T> | AsyncIterable<T>;

/** Validate a `chunksize` (undefined: `fallback`). */
export function checkChunksize(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw typeError(`chunksize must be a positive integer, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1) throw rangeError(`chunksize must be a positive integer, got ${value}`);
  return value;
}

function iteratorOf<T>(input: Input<T>, method: string): Iterator<T> | AsyncIterator<T> {
  const i = input as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
  if (typeof i?.[Symbol.asyncIterator] === 'function') return (i as AsyncIterable<T>)[Symbol.asyncIterator]();
  if (typeof i?.[Symbol.iterator] === 'function') return (i as Iterable<T>)[Symbol.iterator]();
  throw typeError(`${method}(fn, iterable): iterable must be an iterable or an async iterable`);
}

/** Arguments of one call from one input item: the item itself (map) or its elements (starmap). */
function argsOf(item: unknown, star: boolean, method: string): unknown[] {
  if (!star) return [item];
  if (item === null || typeof (item as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function' || typeof item === 'string') {
    throw typeError(`${method}: every item must be an array of arguments`);
  }
  return [...(item as Iterable<unknown>)];
}

/** Read all of `input` (sync or async) into argument lists. */
export async function readAll(input: Input<unknown>, star: boolean, method: string): Promise<unknown[][]> {
  const it = iteratorOf(input, method);
  const all: unknown[][] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) all.push(argsOf(r.value, star, method));
  return all;
}

/** Python's default chunksize for `Pool.map`: about four chunks per worker. */
export function defaultChunksize(items: number, workers: number): number {
  return Math.max(1, Math.ceil(items / (workers * 4)));
}

/**
 * Run `calls` as chunks of `chunksize` and resolve with all results in order; the first chunk to
 * fail rejects (and cancels the chunks not started).
 * @internal (left out of the .d.ts, which then needs no engine and no node types)
 */
export async function mapAll<R>(engine: Engine, fn: string, calls: unknown[][], chunksize: number): Promise<R[]> {
  const chunks: Future<R[]>[] = [];
  for (let i = 0; i < calls.length; i += chunksize) chunks.push(engine.submit<R[]>(fn, calls.slice(i, i + chunksize), 1));
  try {
    const parts = await Promise.all(chunks.map((f) => f.result()));
    return parts.flat() as R[];
  } catch (error) {
    for (const f of chunks) f.cancel();
    throw error;
  }
}

export interface IterateOptions {
  method: string;
  chunksize: number;
  ordered: boolean;
  star: boolean;
  /** Deadline (ms after the call) for every result (Executor.map). */
  timeout?: number | undefined;
}

/** Map lazily: an async iterator of results, in input order or as they finish. @internal */
export async function* iterate<R>(engine: Engine, fn: string, input: Input<unknown>, o: IterateOptions): AsyncGenerator<R, void, undefined> {
  const deadline = deadlineAfter(checkTimeout(o.timeout, 'options.timeout'));
  const it = iteratorOf(input, o.method);
  const inFlight: Future<R[]>[] = [];
  const finished: Future<R[]>[] = [];
  let wakeUp: (() => void) | undefined;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inFlight.length < MAP_WINDOW) {
        const calls: unknown[][] = [];
        while (calls.length < o.chunksize) {
          const r = await it.next();
          if (r.done) {
            exhausted = true;
            break;
          }
          calls.push(argsOf(r.value, o.star, o.method));
        }
        if (calls.length === 0) break;
        const f = engine.submit<R[]>(fn, calls, 1);
        inFlight.push(f);
        if (!o.ordered) {
          f[onDone](() => {
            finished.push(f);
            wakeUp?.();
          });
        }
      }
      if (inFlight.length === 0) return;
      let next: Future<R[]>;
      if (o.ordered) next = inFlight[0]!;
      else {
        while (finished.length === 0) await new Promise<void>((resolve) => (wakeUp = resolve));
        next = finished.shift()!;
      }
      const values = await next.result(o.timeout === undefined ? undefined : remaining(deadline));
      inFlight.splice(inFlight.indexOf(next), 1);
      for (const v of values) yield v;
    }
  } finally {
    for (const f of inFlight) f.cancel();
    if (!exhausted) await it.return?.();
  }
}
