/**
 * The Pool and the Executor in real headless Chromium (test/helpers/browser.ts: the system's
 * `chromium`, a cross-origin-isolated page served from dist/ and test/fixtures/browser-pool/).
 * Their workers are module Web Workers started through the runtime seam (runtime/worker.ts);
 * the page owns the pools and, as any browser main thread, may not block.
 *
 * Without a chromium this file is skipped with a message, except under CI (`CI` set), where
 * that is a failure: `.ci/run` installs one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuns, openPage, type BrowserPage } from './helpers/browser.js';

const PAGE = '/test/fixtures/browser-pool/page.mjs';

describe.runIf(browserRuns('test/browser-pool.test.ts'))('Pool and Executor in Chromium (module Web Workers)', () => {
  let browser: BrowserPage;

  beforeAll(async () => {
    browser = await openPage('/test/fixtures/browser-pool/index.html', ['/dist/', '/test/fixtures/browser-pool/']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Call export `name` of page.mjs on the page's main thread with `arg`. */
  function call<T>(name: string, arg?: unknown): Promise<T> {
    return browser.call<T>(PAGE, name, arg);
  }

  it('an Executor runs tasks in Web Workers: submit, map in order (600 results), asCompleted in completion order', async () => {
    expect(await call('executor')).toEqual({
      where: { worker: true, process: 'undefined' },
      submitted: 49,
      mappedSum: 71_820_100,
      mappedInOrder: true,
      order: ['fast', 'slow'],
      workers: 2,
    });
    expect(browser.pageErrors).toEqual([]);
  }, 60_000);

  it("a Pool applies, maps with a chunk size, imaps in order; a task's error keeps its remote name", async () => {
    expect(await call('pool')).toEqual({
      applied: 5,
      mappedSum: 21_253_400,
      imapped: 50,
      failed: { name: 'RangeError', code: undefined, message: 'no good' },
      workers: 2,
    });
  }, 60_000);

  it('a Lock and a shared counter passed to tasks in two workers end exact; Queues passed to a task arrive live', async () => {
    expect(await call('primitivesInTasks')).toEqual({ count: 40_000, locked: false, doubled: [2, 4, 6, 8, 10], served: 5 });
  }, 60_000);

  for (const [how, what] of [
    ['crashLater', 'an uncaught error thrown from a timer'],
    ['rejectUnhandled', 'an unhandled rejection'],
    ['closeSelf', 'its own close()'],
  ] as const) {
    it(`a worker killed by ${what} fails only its task (WorkerCrashedError naming it); the other worker's task completes, a replacement starts`, async () => {
      const r = await call<{ victim: { name: string; message: string }; neighbour: string; after: number; crashed: number; workers: number }>('crash', how);
      expect(r.victim.name).toBe('WorkerCrashedError');
      expect(r.victim.message).toMatch({ crashLater: /uncaught in a timer/, rejectUnhandled: /rejected, unhandled/, closeSelf: /exit code 0/ }[how]);
      expect(r).toMatchObject({ neighbour: 'neighbour done', after: 285, crashed: 1, workers: 2 });
    }, 60_000);
  }

  it('a task that ignores its timeout fails with TimeoutError, its worker is terminated and replaced; other tasks complete', async () => {
    const r = await call<{ victim: { name: string }; spun: number; atLeastTimeout: boolean; neighbour: string; after: number }>('timeout');
    expect(r).toMatchObject({ victim: { name: 'TimeoutError' }, spun: 1, atLeastTimeout: true, neighbour: 'neighbour done', after: 285 });
  }, 60_000);

  it('abort stops a running task (AbortError), cancels a queued one, and an AbortSignal does the same; the worker goes on', async () => {
    expect(await call('abort')).toEqual({
      ran: { name: 'AbortError', code: 'ERR_ABORTED', message: expect.any(String) as unknown },
      cancelled: true,
      signalled: { name: 'RangeError', code: undefined, message: 'enough' },
      next: 36,
    });
  }, 60_000);

  it('shutdown waits for the running task, cancels queued ones, refuses new ones; terminate fails a running task and stops every worker', async () => {
    expect(await call('shutdown')).toEqual({
      first: 'finished',
      queuedCancelled: true,
      afterShutdown: { name: 'PoolClosedError', code: expect.any(String) as unknown, message: expect.any(String) as unknown },
      workersAfterShutdown: 0,
      terminated: { name: 'PoolClosedError', code: expect.any(String) as unknown, message: expect.stringMatching(/terminated/) as unknown },
      workersAfterTerminate: 0,
    });
  }, 60_000);

  it('an Executor owned by a module Web Worker (pool workers nested in it) runs tasks and survives a crashed worker', async () => {
    expect(await call('ownedByWorker')).toEqual({ squares: [1, 4, 9, 16], crashed: 'WorkerCrashedError', after: 42, workers: 0 });
  }, 60_000);

  it('a task module that throws at import breaks the pool instead of restarting workers forever; every task says why', async () => {
    const r = await call<{ first: { name: string; message: string }; later: { name: string; message: string } }>('importThrows');
    expect(r.first).toMatchObject({ name: 'WorkerCrashedError', message: expect.stringMatching(/this module cannot load/) as unknown });
    expect(r.later).toMatchObject({ name: 'WorkerCrashedError', message: expect.stringMatching(/this module cannot load/) as unknown });
  }, 60_000);

  it('what a browser lacks says so: process.exit in a task fails that task, resourceLimits and a .ts module are refused (ERR_UNSUPPORTED_RUNTIME), a path must be a URL', async () => {
    const r = await call<Record<string, { name: string; code?: string; message: string } | number>>('limits');
    expect(r.exit).toMatchObject({ name: 'ReferenceError', message: expect.stringMatching(/process/) as unknown });
    expect(r.next).toBe(81);
    expect(r.resourceLimits).toMatchObject({ code: 'ERR_UNSUPPORTED_RUNTIME', message: expect.stringMatching(/resourceLimits/) as unknown });
    expect(r.typescript).toMatchObject({ code: 'ERR_UNSUPPORTED_RUNTIME', message: expect.stringMatching(/TypeScript.*tasks\.ts/) as unknown });
    expect(r.path).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/absolute URL/) as unknown });
  }, 60_000);
});
