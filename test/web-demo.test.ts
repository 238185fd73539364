/**
 * The race demos page (examples/web/, `npm run demo:web`) in real headless Chromium
 * (test/helpers/browser.ts): the page is loaded as a learner loads it, each demo's Run button is
 * clicked, and what the page then shows is checked — only what is certain: the unsafe counter
 * never ends above the total and ends below it in at least one of a few runs (the race is made
 * wide: every increment's read and write are split by some work), with the Lock it is exact and
 * both workers held the lock, the dialog's lines alternate, the crawler fetched every page exactly
 * once, the Pool's results in the speed-up are right and every worker did some. The unsafe
 * counter is the Lock's broken twin: the same workers and the same checks without the lock, which
 * must fail.
 *
 * And the server of `npm run demo:web` (examples/web/serve.mjs, run as the script runs it after
 * the build): it prints its URL, serves the page and dist/ with COOP/COEP, nothing outside them,
 * honours $PORT, and stops with code 0 on SIGINT and SIGTERM.
 *
 * Without a chromium the page's part is skipped with a message, except under CI (`CI` set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuns, openPage, type BrowserPage } from './helpers/browser.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(browserRuns('test/web-demo.test.ts'))('the race demos page, in Chromium', () => {
  let browser: BrowserPage;
  /** What the page logged as errors (a demo that fails logs its error) after it loaded. */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await openPage('/examples/web/index.html', ['/dist/', '/examples/web/']);
    await browser.page.waitForSelector('body[data-ready]', { timeout: 30_000 });
    browser.page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Click demo `id`'s Run button; resolve once that run has finished, to its status line. */
  async function run(id: string, whileRunning?: () => Promise<void>): Promise<string> {
    const { page } = browser;
    const n = Number((await page.getAttribute(`#${id}`, 'data-runs')) ?? 0) + 1;
    await page.click(`#${id} button.run`);
    await whileRunning?.();
    await page.waitForSelector(`#${id}[data-runs="${n}"]:not([data-state="running"])`, { timeout: 90_000 });
    const status = (await page.textContent(`#${id} .status`)) ?? '';
    expect(await page.getAttribute(`#${id}`, 'data-state'), status).toBe('done');
    return status;
  }

  /** Attribute `name` of every element matching `selector`. */
  async function attributes(selector: string, name: string): Promise<string[]> {
    const all = await browser.page.locator(selector).all();
    return Promise.all(all.map(async (e) => (await e.getAttribute(name)) ?? ''));
  }

  it('is cross-origin isolated and says so', async () => {
    expect(await browser.page.textContent('#env')).toMatch(/^Cross-origin isolated: SharedArrayBuffer available/);
    expect(browser.pageErrors).toEqual([]);
  });

  it('the race is drawn as it runs: the counter and the bar move while the workers count', async () => {
    await run('race', async () => {
      await browser.page.waitForFunction(
        `document.querySelector('#race').dataset.state === 'running' && Number(document.querySelector('#race .counter').textContent.replaceAll(',', '')) > 0`,
        undefined,
        { timeout: 30_000 },
      );
      expect(await browser.page.locator('#race .meter .kept').getAttribute('style')).toMatch(/width: [\d.]+%/);
    });
  });

  it('the unsafe counter: never above the total, and below it in at least one of a few runs', async () => {
    const RUNS = 5;
    const before = (await attributes('#race .history li', 'data-counter')).length;
    let n = 0;
    let lostSomewhere = false;
    while (n < RUNS && !lostSomewhere) {
      n += 1;
      await run('race');
      const counters = (await attributes('#race .history li', 'data-counter')).map(Number);
      const expected = (await attributes('#race .history li', 'data-expected')).map(Number);
      expect(counters).toHaveLength(before + n);
      for (const [i, c] of counters.entries()) {
        expect(c).toBeGreaterThan(0);
        expect(c).toBeLessThanOrEqual(expected[i]!);
      }
      lostSomewhere = counters.some((c, i) => c < expected[i]!);
      // What the counter shows at the end is the last run's count.
      expect(Number((await browser.page.textContent('#race .counter'))!.replaceAll(',', ''))).toBe(counters.at(-1));
    }
    expect(lostSomewhere, `the counter was right in all ${n} runs`).toBe(true);
  });

  it('with a Lock: exact, run after run, and the timeline shows both workers holding the lock', async () => {
    for (let n = 0; n < 2; n++) {
      expect(await run('lock')).toMatch(/^exact: /);
      const [counter] = (await attributes('#lock .history li', 'data-counter')).slice(-1);
      const [expected] = (await attributes('#lock .history li', 'data-expected')).slice(-1);
      expect(Number(counter)).toBe(Number(expected));
      expect(Number((await attributes('#lock .history li', 'data-handovers')).at(-1))).toBeGreaterThanOrEqual(2);
      expect(await browser.page.getAttribute('#lock canvas.timeline', 'data-holders')).toBe('AB');
    }
  });

  it('the Condition dialog: every line, strictly alternating A, B, A, B', async () => {
    expect(await run('dialog')).toMatch(/strictly alternating/);
    const speakers = await attributes('#dialog .chat .line:not(.typing)', 'data-speaker');
    expect(speakers).toEqual(['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B']);
    const texts = await browser.page.locator('#dialog .chat .line .text').allTextContents();
    expect(texts).toHaveLength(8);
    expect(new Set(texts).size).toBe(8);
  });

  it('the Queue crawler: every page fetched exactly once, join returned with nothing unfinished', async () => {
    await run('crawler');
    const [visits] = await attributes('#crawler .history li', 'data-visits');
    const pages = visits!.split(',').map(Number);
    expect(pages.length).toBeGreaterThan(10);
    expect(pages.every((v) => v === 1), `visits per page: ${visits}`).toBe(true);
    const [perWorker] = await attributes('#crawler .history li', 'data-per-worker');
    expect(perWorker!.split(',').map(Number).reduce((a, b) => a + b)).toBe(pages.length);
    // The grid as drawn: every square done, each fetched once.
    expect(await attributes('#crawler .grid .page', 'data-visits')).toEqual(pages.map(String));
    expect((await attributes('#crawler .grid .page', 'class')).every((c) => /\bdone\b/.test(c))).toBe(true);
    expect(await browser.page.textContent('#crawler .unfinished')).toBe('0');
  });

  it('the speed-up on a Pool: one worker, then one per core (at least two); every result right, every worker did some', async () => {
    await run('speedup');
    const rounds = await attributes('#speedup .round', 'data-results');
    const workers = await attributes('#speedup .round', 'data-per-worker');
    expect(rounds).toHaveLength(2);
    const fib = (n: number) => {
      let [a, b] = [0, 1];
      for (let i = 0; i < n; i++) [a, b] = [b, a + b];
      return a;
    };
    for (const [i, json] of rounds.entries()) {
      const results = JSON.parse(json) as [number, number][];
      expect(results.length).toBeGreaterThan(0);
      for (const [n, value] of results) expect(value, `fib(${n})`).toBe(fib(n));
      const per = workers[i]!.split(',').map(Number);
      if (i === 0) expect(per).toHaveLength(1);
      else expect(per.length).toBeGreaterThanOrEqual(2);
      expect(per.every((k) => k > 0), `tasks per worker: ${workers[i]}`).toBe(true);
      expect(per.reduce((a, b) => a + b)).toBe(results.length);
    }
    expect(Number(await attributes('#speedup .history li', 'data-speedup').then((s) => s[0]))).toBeGreaterThan(0);
  });

  it('the page threw nothing and logged no error', () => {
    expect(browser.pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe('npm run demo:web: the server', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('is what the script runs, after the build', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['demo:web']).toBe('npm run build && node examples/web/serve.mjs');
  });

  /** Start the server as the script does; resolve once it printed its URL. */
  function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const child = spawn(process.execPath, ['examples/web/serve.mjs'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed in 20 s: ${out}`)), 20_000);
      const look = () => {
        const m = /http:\/\/[\w.:[\]]+\/\S*/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, url: m[0], output: () => out });
        }
      };
      child.stdout!.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before printing a URL: ${out}`));
      });
    });
  }

  /** Resolve to the exit code once `child` has exited (rejects after 10 s). */
  function exited(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      const timer = setTimeout(() => reject(new Error('the server did not exit within 10 s')), 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  const isolated = (r: Response) => ({ coop: r.headers.get('cross-origin-opener-policy'), coep: r.headers.get('cross-origin-embedder-policy') });
  const ISOLATED = { coop: 'same-origin', coep: 'require-corp' };

  it('prints its URL (a free port), serves the page and dist/ cross-origin isolated, nothing else; stops on SIGINT', async () => {
    const { child, url, output } = await serve({ PORT: '' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(isolated(page)).toEqual(ISOLATED);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>sabsync: races you can watch</title>');
    for (const path of ['page.mjs', 'worker.mjs', 'dist/index.js']) {
      const r = await fetch(new URL(path, url));
      expect(r.status, path).toBe(200);
      expect(isolated(r), path).toEqual(ISOLATED);
      expect(r.headers.get('content-type'), path).toMatch(/^text\/javascript/);
    }
    const css = await fetch(new URL('style.css', url));
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    for (const path of ['nope.html', '%2e%2e/%2e%2e/package.json', 'dist/%2e%2e/package.json', '..%2fserve.mjs%00']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    expect(output()).toContain('SIGINT: server stopped.');
  });

  it('listens on $PORT, and stops on SIGTERM', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const { child, url } = await serve({ PORT: String(port) });
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    expect((await fetch(url)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('a PORT that is no port number: a message, exit code 1', async () => {
    const child = spawn(process.execPath, ['examples/web/serve.mjs'], { cwd: root, env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(1);
    expect(err).toContain('PORT must be a port number');
  });
});
