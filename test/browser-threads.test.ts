/**
 * Thread in real headless Chromium (test/helpers/browser.ts): a cross-origin-isolated page
 * starts Threads, whose supervisor and bootstrap are module Web Workers. A Web Worker has no
 * exit event, so a Thread's bootstrap reports its own end (threads/boot.ts); join then returns.
 *
 * Without a chromium this file is skipped with a message, except under CI (`CI` set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuns, openPage, type BrowserPage } from './helpers/browser.js';

const PAGE = '/test/fixtures/browser-threads/page.mjs';

describe.runIf(browserRuns('test/browser-threads.test.ts'))('Thread in Chromium (module Web Workers)', () => {
  let browser: BrowserPage;

  beforeAll(async () => {
    browser = await openPage('/test/fixtures/browser-threads/index.html', ['/dist/', '/test/fixtures/browser-threads/']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  function call<T>(name: string, arg?: unknown): Promise<T> {
    return browser.call<T>(PAGE, name, arg);
  }

  it('start, isAlive, joinAsync and result of a target that returns (and of an async one); join of an ended thread needs no wait', async () => {
    expect(await call('lifecycle')).toEqual({
      before: { alive: false, ident: undefined, join: 'ERR_NOT_STARTED' },
      aliveAfterStart: true,
      startAgain: 'ERR_ALREADY_STARTED',
      joined: true,
      after: { alive: false, result: 5, error: undefined, exitCode: 0, identKnown: true },
      joinEnded: 'ok: [true,true,true]',
      asyncTarget: { joined: true, result: { value: 'x' }, exitCode: 0 },
    });
  });

  it('on the main thread, join(0) of a running thread returns false; a join that would wait throws ERR_CANNOT_BLOCK naming joinAsync', async () => {
    expect(await call('joinRunning')).toEqual({
      zero: 'ok: false',
      timed: 'ERR_CANNOT_BLOCK naming joinAsync',
      forever: 'ERR_CANNOT_BLOCK naming joinAsync',
      timedAsync: false,
      alive: true,
      joined: true,
      result: true,
    });
  });

  it('currentThread: MainThread on the page, the name and ident of a Thread inside it; daemon flags (default, option, inherited, fixed once started)', async () => {
    expect(await call('names')).toEqual({
      page: { name: 'MainThread', isMain: true },
      defaultDaemon: false,
      defaultName: true,
      setDaemonAfterStart: 'ERR_ALREADY_STARTED',
      inside: { name: 'worker-7', ident: expect.any(Number) as unknown, isMain: false, childDaemon: false, identMatches: true },
      daemon: { daemon: true, name: true, childDaemon: true },
    });
  });

  it('a target that throws: join returns, the error comes back with its code, exit code 1', async () => {
    expect(await call('throws')).toEqual({
      joined: true,
      alive: false,
      result: undefined,
      exitCode: 1,
      error: { isRangeError: true, message: 'boom: on purpose', code: 'E_BOOM' },
    });
  });

  it('terminate() ends a blocked thread and join returns', async () => {
    expect(await call('terminated')).toEqual({ joined: true, alive: false, exitCode: 1, result: undefined });
  });

  it('shared buffers and Locks cross both ways (an item put after the thread attached; a returned value); Locks a thread ended holding are taken over', async () => {
    expect(await call('buffers')).toEqual({
      joined: true,
      got: { live: true, acquired: true },
      error: undefined,
      seen: 55,
      lockHeldByDead: true,
      takenOver: true,
      back: { seen: 66, live: true, locked: true, takenOver: true },
    });
  });

  it("on the main thread, Once.call takes the turn over from a Thread that died inside the fn, without waiting", async () => {
    expect(await call('onceAfterDeath')).toEqual({ joined: true, call: 'ok', runs: 1, done: true });
  });

  // A browser starts a worker only once its creator returns to its event loop: the first
  // Thread a worker starts (with the supervisor it needs) cannot start while that worker blocks.
  const children = {
    firstJoin: 'ERR_CANNOT_BLOCK naming joinAsync',
    first: [true, 42, 0],
    second: [true, 42, 0, false],
  };

  it('a module Web Worker starts Threads: a join without timeout of its first one says to use joinAsync (it cannot start while the worker blocks); a later one is joined synchronously', async () => {
    expect(await call('fromWorker')).toEqual(children);
  });

  it('a Thread starts Threads of its own, likewise', async () => {
    expect(await call('nested')).toEqual({ joined: true, result: { ...children, first: [true, 3, 0], second: [true, 3, 0, false] }, error: undefined });
  });
});
