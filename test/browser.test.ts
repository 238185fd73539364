/**
 * sabsync in real headless Chromium (test/helpers/browser.ts: the system's `chromium`, a
 * cross-origin-isolated page served from dist/ and test/fixtures/browser/). The page imports
 * the built package's entry (which must load in a browser: no static `node:` import) and
 * starts module Web Workers that import it too.
 *
 * Without a chromium this file is skipped with a message, except under CI (`CI` set), where
 * that is a failure: `.ci/run` installs one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuns, openPage, type BrowserPage } from './helpers/browser.js';

const PAGE = '/test/fixtures/browser/page.mjs';

describe.runIf(browserRuns('test/browser.test.ts'))('in Chromium (a cross-origin-isolated page and module workers)', () => {
  let browser: BrowserPage;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await openPage('/test/fixtures/browser/index.html', ['/dist/', '/test/fixtures/browser/']);
    pageErrors = browser.pageErrors;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Call export `name` of page.mjs on the page's main thread with `arg`. */
  function call<T>(name: string, arg?: unknown): Promise<T> {
    return browser.call<T>(PAGE, name, arg);
  }

  it('the page is cross-origin isolated and the package entry loads there', async () => {
    expect(await call('isolated')).toEqual({ crossOriginIsolated: true, sab: 'function' });
    expect(pageErrors).toEqual([]);
  });

  it('a Pool and an Executor run tasks here, in module Web Workers (test/browser-pool.test.ts covers them)', async () => {
    expect(await call('poolHere')).toEqual({ executor: 9, pool: 16 });
  });

  it('a Lock race between two module workers ends exact', async () => {
    expect(await call('lockRace', 100_000)).toEqual({ count: 200_000, locked: false });
  });

  it('the rest of the family works between the page and module workers: Value, SharedArray, SharedDict, SharedList, BoundedSemaphore, LifoQueue, PriorityQueue, SimpleQueue, Pipe', async () => {
    expect(await call('family', 1_000)).toEqual({
      value: 2_000,
      array: [500, 500, 500, 500],
      dict: { hits: 2, from: 'worker' },
      list: ['page', { worker: true }, { worker: true }],
      held: [true, true],
      lifoOrder: [3, 2, 1],
      prioOrder: [[1, 'a'], [2, 'b'], [3, 'c']],
      secondFoundEmpty: [0, 0],
      echoes: ['echo:hi', 'echo:hi'],
      pongs: ['pong:ping', 'ERR_EOF', 'pong:ping', 'ERR_EOF'],
      permitLeft: false,
      overRelease: 'ERR_OVER_RELEASE',
    });
  });

  it('a Queue carries every kind of item from the page to a module worker and back (Map, Set, Date, BigInt, RegExp, errors with a cause, typed arrays, DataView, holes)', async () => {
    const { sent, came } = await call<{ sent: string[]; came: string[] }>('queueItems');
    expect(came).toEqual(sent);
  });

  it('a SharedArrayBuffer written by the receiving worker is seen by the sender; a Lock in the item arrives live', async () => {
    expect(await call('sharedItem')).toEqual({ live: true, acquired: true, sameBuffer: true, seen: 42, seenView: 7, lockedHere: true });
  });

  // A browser's BroadcastChannel cannot carry a SharedArrayBuffer: the buffer reaches the worker
  // over the link linkWorker made (page.mjs run), and only while the worker's event loop runs.
  it("a worker's synchronous get of an item whose buffer it has not received says to use getAsync and leaves the item queued; getAsync delivers it", async () => {
    expect(await call('bufferToBlockedWorker')).toEqual({
      syncError: { code: 'ERR_CANNOT_BLOCK', namesAsync: true },
      stillQueued: 1,
      live: true,
      acquired: true,
      seen: 99,
      lockedHere: true,
    });
  });

  it('on the main thread, Event, WaitGroup, Barrier, Condition.waitFor, RLock, Once and ReaderWriterLock calls that need no wait work; one that would really wait throws ERR_CANNOT_BLOCK naming its async twin, changing nothing', async () => {
    expect(await call('noWaitPrimitives')).toEqual({
      eventSet: 'ok: [boolean:true,boolean:true]',
      waitGroupZero: 'ok: [boolean:true,boolean:true]',
      waitGroupZeroTimeout: 'ok: boolean:false',
      waitGroupWait: 'ERR_CANNOT_BLOCK naming waitAsync',
      barrierLast: 'ok: [number:0,number:0]',
      barrierFirst: 'ERR_CANNOT_BLOCK naming waitAsync',
      barrierAfterFirst: { nWaiting: 0, broken: false },
      waitForHolds: 'ok: string:yes',
      waitForZero: 'ok: number:0',
      waitForWait: 'ERR_CANNOT_BLOCK naming waitForAsync',
      conditionStillHeld: true,
      rlockTwice: 'ok: [boolean:true,boolean:true,boolean:true]',
      rlockHold: 'ok: boolean:true',
      onceFirst: 'ok: undefined:undefined',
      onceDone: 'ok: undefined:undefined',
      onceRuns: 1,
      rwRead: 'ok: [boolean:true,boolean:true]',
      rwWriteWhileRead: 'ERR_CANNOT_BLOCK naming acquireWriteAsync',
      rwWrite: 'ok: boolean:true',
      rwFree: true,
    });
  });

  it('on the main thread, ReaderWriterLock reads and a one-party Barrier never throw ERR_CANNOT_BLOCK while a worker keeps their internal words busy (no call there really waits)', async () => {
    expect(await call('noWaitUnderContention', 20_000)).toEqual({ failed: { rw: 0, barrier: 0, other: [] }, churned: true });
  });

  it('a buffer and a Lock put by one worker after its sibling attached reach the sibling through the page (both linked to it only)', async () => {
    expect(await call('siblingBuffer')).toEqual({ got: { live: true, acquired: true }, seen: { said: 'written', seen: 77, lockedHere: true } });
  });

  it('a worker started without linkWorker cannot receive a buffer put after it attached: getAsync says to link it (after 5 s) and the item stays queued', async () => {
    expect(await call('unlinkedWorker')).toEqual({ code: 'ERR_UNSERIALIZABLE', namesLinkWorker: true, stillQueued: 1 });
  });

  it('linkWorker refuses what is not a worker (TypeError) and links a worker once', async () => {
    expect(await call('linkWorkerMisuse')).toEqual({ none: 'TypeError', plain: 'TypeError', first: 'ok', again: 'ok', posts: 1 });
  });

  it('on the main thread, a synchronous call that needs no wait works; only one that would really wait throws ERR_CANNOT_BLOCK naming its async twin, changing nothing', async () => {
    expect(await call('noWait')).toEqual({
      waitAllowed: expect.stringMatching(/^TypeError/) as unknown,
      putWithRoom: 'ok: undefined:undefined',
      putNowaitWithRoom: 'ok: undefined:undefined',
      putNowaitFull: 'Full',
      putTimeoutFull: 'ERR_CANNOT_BLOCK naming putAsync',
      putFull: 'ERR_CANNOT_BLOCK naming putAsync',
      sizeAfterFullPuts: 2,
      getNowaitNonEmpty: 'ok: string:a',
      getNonEmpty: 'ok: string:b',
      getNowaitEmpty: 'Empty',
      getTimeoutEmpty: 'ERR_CANNOT_BLOCK naming getAsync',
      getEmpty: 'ERR_CANNOT_BLOCK naming getAsync',
      joinUnfinished: 'ERR_CANNOT_BLOCK naming joinAsync',
      joinFinished: 'ok: undefined:undefined',
      getAsync: 'async',
      sizeAtEnd: 0,
      acquireFree: 'ok: boolean:true',
      acquireZeroHeld: 'ok: boolean:false',
      acquireHeld: 'ERR_CANNOT_BLOCK naming acquireAsync',
      acquireTimeoutHeld: 'ERR_CANNOT_BLOCK naming acquireAsync',
      acquireZeroFree: 'ok: boolean:true',
      lockedAtEnd: true,
      semaphoreZero: 'ok: [boolean:true,boolean:false]',
      semaphoreWait: 'ERR_CANNOT_BLOCK naming acquireAsync',
      eventZero: 'ok: boolean:false',
      eventWait: 'ERR_CANNOT_BLOCK naming waitAsync',
      eventSet: 'ok: boolean:true',
    });
    expect(pageErrors).toEqual([]);
  });
});
