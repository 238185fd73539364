/**
 * Test helpers: run fixture functions in real worker threads, with timeouts so that a bug fails
 * the test instead of hanging CI.
 *
 * A fixture is a named export of a `.mjs` file in test/fixtures/ that imports the built package
 * (`'sabsync'`); it receives the data passed here (handles, SharedArrayBuffers, numbers) and
 * `{ index, post }`, and its return value (or thrown error) comes back to the test.
 */
import { Worker } from 'node:worker_threads';

const runner = new URL('../fixtures/runner.mjs', import.meta.url);

export interface Running<T = unknown> {
  /** The worker thread. */
  readonly worker: Worker;
  /** Resolves with the fixture's return value; rejects with its error, a crash, or a timeout. */
  readonly result: Promise<T>;
  /** Messages the fixture sent with `post(m)`, in order. */
  readonly progress: unknown[];
}

/** Start fixture `fn` of test/fixtures/`file` in a new worker; it must finish within `timeout` ms. */
export function start<T = unknown>(file: string, fn: string, data?: unknown, opts: { index?: number; timeout?: number } = {}): Running<T> {
  const module = new URL(`../fixtures/${file}`, import.meta.url).href;
  const worker = new Worker(runner, { workerData: { module, fn, data, index: opts.index ?? 0 } });
  const progress: unknown[] = [];
  const timeout = opts.timeout ?? 30_000;
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error(`worker ${file}#${fn} did not finish within ${timeout} ms`));
    }, timeout);
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    worker.on('message', (m: { ok?: boolean; value?: T; error?: { message: string; code?: string }; progress?: unknown }) => {
      if ('progress' in m) {
        progress.push(m.progress);
        return;
      }
      if (m.ok) settle(() => resolve(m.value as T));
      else settle(() => reject(Object.assign(new Error(m.error?.message), m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`worker ${file}#${fn} exited with code ${code} before finishing`))));
  });
  result.catch(() => {});
  return { worker, result, progress };
}

/** Run fixture `fn` in `n` workers at once (worker i gets `index` i); resolves with all results. */
export function runMany<T = unknown>(n: number, file: string, fn: string, data?: unknown, timeout = 60_000): Promise<T[]> {
  const runs = Array.from({ length: n }, (_, index) => start<T>(file, fn, data, { index, timeout }));
  return Promise.all(runs.map((r) => r.result));
}

/**
 * Poll `predicate` (shared state, never the clock) until it is true; throw, failing the test, if
 * `timeout` ms pass first. `what` names the awaited state in that error (a function: read then).
 */
export async function waitUntil(predicate: () => boolean, timeout = 10_000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = performance.now() + timeout;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Assert that `elapsed` ms is a plausible duration for a wait of `timeout` ms: [0.9×, 10× + 50]. */
export function expectElapsed(elapsed: number, timeout: number): void {
  if (elapsed < timeout * 0.9 || elapsed > timeout * 10 + 50) {
    throw new Error(`expected a wait of about ${timeout} ms, took ${elapsed.toFixed(1)} ms`);
  }
}

/** Time a synchronous call. */
export function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

/** Time an async call. */
export async function timedAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

/**
 * `value`, typed to fit any parameter: for a test that hands a function what its types forbid
 * (a handle of another kind, say) to check that it is refused at run time too.
 */
export function unchecked(value: unknown): never {
  return value as never;
}

/** What `f` throws: its class name and code (fails if it does not throw). */
export function thrown(f: () => unknown): { name: string; code: unknown } {
  try {
    f();
  } catch (e) {
    return { name: (e as Error).name, code: (e as { code?: unknown }).code };
  }
  throw new Error('expected a throw');
}
