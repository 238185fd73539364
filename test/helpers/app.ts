/**
 * Test helpers that use sabsync the way a user's app does: a fresh app folder (outside this
 * repository) with the packed package installed in its node_modules, programs run there in a
 * child process or a worker thread, each with a timeout so that a hang fails the test.
 *
 * The package is packed once per test file (`npm pack` of the built package: what `files`
 * ships, with the package.json a registry would serve) and unpacked into
 * `<app>/node_modules/sabsync`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runChild, type ChildRun } from './node-child.js';

/** The repository's root (the package). */
export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface App {
  /** The app's folder; `sabsync` resolves to the packed package from here. */
  readonly dir: string;
  /** Write `text` to `name` (a path relative to the app); returns the absolute path. */
  write(name: string, text: string): string;
  /** Delete the app's folder. */
  remove(): void;
}

/** Create an app folder with the packed package installed (`npm run build` must have run). */
export function makeApp(prefix = 'sabsync-app-'): App {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  ) as { filename: string }[];
  const pkg = join(dir, 'node_modules', 'sabsync');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', pkg, '--strip-components=1']);
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  write('package.json', JSON.stringify({ name: 'app', private: true, type: 'module' }));
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run `node ...args` in `cwd` and resolve with how it exited. A child still running after
 * `timeout` ms is killed and the promise rejects (with what it printed so far).
 */
export async function runNode(args: string[], cwd: string, timeout = 20_000): Promise<ChildRun> {
  const run = await runChild(process.execPath, args, { cwd, timeout });
  if (run.timedOut) throw new Error(`node ${args.join(' ')} did not exit within ${timeout} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/**
 * Run the module `file` in a new worker thread with `workerData`; resolve with the first message
 * it posts. Rejects if it throws, exits first, or posts nothing within `timeout` ms.
 */
export function runWorker<T>(file: string, workerData: unknown, timeout = 20_000): Promise<T> {
  const worker = new Worker(file, { workerData });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} posted nothing within ${timeout} ms`)), timeout);
    const done = (f: () => void) => {
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    worker.once('message', (m: T) => done(() => resolve(m)));
    worker.once('error', (e) => done(() => reject(e)));
    worker.once('exit', (code) => done(() => reject(new Error(`${file} exited with code ${code} before posting`))));
  });
}
