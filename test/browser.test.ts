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

  it('a Queue carries every kind of item from the page to a module worker and back (Map, Set, Date, BigInt, RegExp, errors with a cause, typed arrays, DataView, holes)', async () => {
    const { sent, came } = await call<{ sent: string[]; came: string[] }>('queueItems');
    expect(came).toEqual(sent);
  });

  it('a SharedArrayBuffer written by the receiving worker is seen by the sender; a Lock in the item arrives live', async () => {
    expect(await call('sharedItem')).toEqual({ live: true, acquired: true, sameBuffer: true, seen: 42, seenView: 7, lockedHere: true });
  });

  // Known gap (README, Runtimes): Chromium's BroadcastChannel delivers a message holding a
  // SharedArrayBuffer as null, so a buffer the receiver has not seen with the queue's handle
  // never reaches it (getAsync: ERR_UNSERIALIZABLE after FETCH_TIMEOUT, the item stays queued).
  // Marked as failing: it turns red the day the side channel carries buffers in browsers.
  it.fails("a worker's synchronous get of an item whose buffer it has not received says to use getAsync and leaves the item queued; getAsync delivers it", async () => {
    expect(await call('bufferToBlockedWorker')).toEqual({
      syncError: { code: 'ERR_CANNOT_BLOCK', namesAsync: true },
      stillQueued: 1,
      live: true,
      acquired: true,
      seen: 99,
      lockedHere: true,
    });
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
