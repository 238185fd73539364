/**
 * Test helper: a page in real headless Chromium (the system's `chromium`, driven by
 * playwright-core; no browser download), served by a tiny static server (node:http) with the
 * COOP/COEP headers that make it cross-origin isolated, so SharedArrayBuffer exists there.
 * The server serves only the folders it is given (paths from the repository root).
 *
 * Without a chromium a browser suite is skipped with a message, except under CI (`CI` set),
 * where that is a failure: `.ci/run` installs one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png' };

/** Whether a browser suite in `file` runs: a chromium is here, or this is CI (where its absence must fail). */
export function browserRuns(file: string): boolean {
  if (existsSync(executablePath)) return true;
  if (process.env.CI) return true;
  console.warn(`${file} skipped: no chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH; .ci/run installs it)`);
  return false;
}

/** Serve the folders `allowed` (e.g. '/dist/') from the repository, cross-origin isolated. */
function serve(allowed: readonly string[]): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path);
    if (!allowed.some((folder) => path.startsWith(folder)) || !existsSync(file)) {
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

/** An open page, the errors it threw, and how to call into a module it can import. */
export interface BrowserPage {
  readonly page: Page;
  readonly origin: string;
  /** Uncaught errors of the page so far. */
  readonly pageErrors: string[];
  /**
   * Call export `name` of `module` (a served path) on the page's main thread with `arg` (JSON).
   * The call is sent as source text: a function would be rewritten by the test runner's transform.
   */
  call<T>(module: string, name: string, arg?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Start Chromium on `path` (e.g. '/test/fixtures/browser/index.html'), serving the folders `allowed`. */
export async function openPage(path: string, allowed: readonly string[]): Promise<BrowserPage> {
  if (!existsSync(executablePath)) throw new Error(`no chromium at ${executablePath}: CI must run the browser tests (.ci/run installs it)`);
  const { server, origin } = await serve(allowed);
  const profile = mkdtempSync(join(tmpdir(), 'sabsync-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${origin}${path}`);
    const call = <T>(module: string, name: string, arg?: unknown) =>
      page.evaluate(`import(${JSON.stringify(module)}).then((m) => m[${JSON.stringify(name)}](${JSON.stringify(arg) ?? ''}))`) as Promise<T>;
    return { page, origin, pageErrors, call, close };
  } catch (e) {
    await close();
    throw e;
  }
}
