/**
 * sabsync in real headless Chromium (the system's `chromium`, driven by playwright-core; no
 * browser download): a tiny static server (node:http) serves dist/ and test/fixtures/browser/
 * with the COOP/COEP headers that make the page cross-origin isolated, so SharedArrayBuffer
 * exists there. The page imports the built package's entry (which must load in a browser: no
 * static `node:` import) and starts module Web Workers that import it too.
 *
 * Without a chromium this file is skipped with a message, except under CI (`CI` set), where
 * that is a failure: `.ci/run` installs one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(executablePath);
const ci = Boolean(process.env.CI);

if (!present && !ci) {
  console.warn(`test/browser.test.ts skipped: no chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH; .ci/run installs it)`);
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' };

/** Serve dist/ and test/fixtures/browser/ from the repository, cross-origin isolated. */
function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const allowed = path.startsWith('/dist/') || path.startsWith('/test/fixtures/browser/');
    const file = join(root, path);
    if (!allowed || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

describe.skipIf(!present && !ci)('in Chromium (a cross-origin-isolated page and module workers)', () => {
  let server: Server;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!present) throw new Error(`no chromium at ${executablePath}: CI must run the browser tests (.ci/run installs it)`);
    const served = await serve();
    server = served.server;
    profile = mkdtempSync(join(tmpdir(), 'sabsync-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${served.origin}/test/fixtures/browser/index.html`);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /**
   * Call export `name` of page.mjs on the page's main thread with `arg` (JSON). The call is
   * sent as source text: a function would be rewritten by the test runner's transform.
   */
  function call<T>(name: string, arg?: unknown): Promise<T> {
    return page.evaluate(`import('/test/fixtures/browser/page.mjs').then((m) => m[${JSON.stringify(name)}](${JSON.stringify(arg) ?? ''}))`) as Promise<T>;
  }

  it('the page is cross-origin isolated and the package entry loads there', async () => {
    expect(await call('isolated')).toEqual({ crossOriginIsolated: true, sab: 'function' });
    expect(pageErrors).toEqual([]);
  });

  it('constructing a Pool or an Executor (whose workers are Node worker threads, for now) says what the runtime lacks', async () => {
    expect(await call('poolHere')).toEqual({ executor: 'ERR_UNSUPPORTED_RUNTIME: names what it lacks', pool: 'ERR_UNSUPPORTED_RUNTIME: names what it lacks' });
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
