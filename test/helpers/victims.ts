/**
 * Pool workers for tests to kill: an Executor over a task module, made on first use, whose
 * worker a test terminates while a task of its choosing is in place — the way a real thread dies
 * holding a primitive. Deaths are real `terminate()`s; the pool marks them in the liveness table.
 */
import { expect } from 'vitest';
import { Executor, WorkerCrashedError, type Future } from 'sabsync';
import { workersOf } from './pool.js';
import { waitUntil } from './workers.js';


export class Victims {
  #ex: Executor | undefined;

  constructor(readonly tasks: URL) {}

  /** The Executor, made with `workers` workers if there is none yet. */
  executor(workers = 1): Executor {
    return (this.#ex ??= new Executor(this.tasks, { maxWorkers: workers }));
  }

  /**
   * Run task `fn(...args, ctl)` in the pool's (single) worker until it raises ctl[0]; returns the
   * kill of that worker, which checks that the task's future fails with WorkerCrashedError.
   */
  async dieIn(fn: string, ...args: unknown[]): Promise<() => Promise<void>> {
    const ex = this.executor();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const f: Future<unknown> = ex.submit(fn, ...args, ctl);
    await waitUntil(() => Atomics.load(ctl, 0) >= 1, 10_000, `task ${fn} to be in place`);
    const [worker] = workersOf(ex);
    return async () => {
      await worker!.terminate();
      expect(await f.exception()).toBeInstanceOf(WorkerCrashedError);
    };
  }

  /** Shut the Executor down without waiting (for afterEach); the next use makes a new one. */
  async reset(): Promise<void> {
    await this.#ex?.shutdown({ wait: false, cancelFutures: true });
    this.#ex = undefined;
  }
}
