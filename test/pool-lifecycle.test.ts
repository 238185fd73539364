// Pool lifetime, as a user's script lives it: tests that run a script in a child process and
// watch it exit by itself (an idle pool must not keep Node alive; pending work must), pools
// whose workers cannot start (they must break, not respawn forever), the unknown-export
// message, and the size of the channels.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Executor, Pool, WorkerCrashedError } from 'sabsync';
import { runNode, type ChildRun } from './helpers/node-child.js';

const fixtures = new URL('./fixtures/lifecycle/', import.meta.url);
const tasks = new URL('tasks.mjs', fixtures);
const EXIT_WITHIN = 15_000;

/** The run must have ended by itself, with code 0; shows its output if not. */
function expectExited(run: ChildRun): void {
  expect({ timedOut: run.timedOut, code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ timedOut: false, code: 0, signal: null, stderr: '' });
}

describe('an idle pool does not keep Node alive; pending work does', () => {
  const cases: [string, string][] = [
    ['executor-result', '3\n'], // new Executor + submit + await result(), never shut down
    ['pool-alone', 'created\n'], // new Pool(url), nothing else
    ['pool-map', '[ 1, 2 ]\n'],
    ['after-crash', 'ERR_WORKER_CRASHED\n4\n'], // a replacement worker is unref'd too
    ['recycled', '[ 2, 4, 6 ]\n'], // maxTasksPerChild replacements, with an initializer
    ['pending-await', 'slow\n'], // only a running task is left: Node waits for it
    ['pending-callback', 'slow\n'], // same, observed through a done callback, nothing awaited
    ['left-idle', '3\n4\n'], // workers that left after idleTimeout, and those started again
    ['timed-out', 'ERR_TIMEOUT\n'], // a worker terminated for a timeout, and its replacement
    ['aborted', 'AbortError\n'], // a running task aborted through the caller's signal
    ['pending-progress', '5\n'], // a task reporting progress, nothing awaited
  ];
  for (const [name, output] of cases) {
    it(`${name}: the script prints what it must and exits by itself`, async () => {
      const run = await runNode(new URL('idle.mjs', fixtures), [name], { timeout: EXIT_WITHIN });
      expectExited(run);
      expect(run.stdout).toBe(output);
    }, EXIT_WITHIN + 5_000);
  }
});

interface BrokenReport {
  failures: { name: string; code?: string; message: string }[];
  startedThen: number;
  startedLater: number;
  cpuMs: number;
}

/**
 * Run broken.mjs on `module`: every task must fail with WorkerCrashedError naming `cause`, no
 * worker may start once the pool broke (or more than the pool's 2 in all), the process must
 * spend almost no CPU in the second after (a respawn loop costs a core or more), and exit by
 * itself.
 */
async function expectBroken(script: string, module: string, facade: string, cause: RegExp, cwd?: string): Promise<void> {
  const run = await runNode(script, [module, facade], { timeout: EXIT_WITHIN, cwd });
  expectExited(run);
  const report = JSON.parse(run.stdout) as BrokenReport;
  expect(report.failures).toHaveLength(4);
  for (const f of report.failures) {
    expect(f).toMatchObject({ name: 'WorkerCrashedError', code: 'ERR_WORKER_CRASHED' });
    expect(f.message).toMatch(/a worker failed to start/);
    expect(f.message).toMatch(cause);
  }
  expect(report.startedThen).toBeLessThanOrEqual(2);
  expect(report.startedLater).toBe(report.startedThen);
  expect(report.cpuMs).toBeLessThan(400);
}

describe('a worker that cannot start breaks the pool (no endless respawn)', () => {
  const broken = fileURLToPath(new URL('broken.mjs', fixtures));
  const bad: [string, string, RegExp][] = [
    ['import-throws.mjs', 'executor', /Error: boom at import/],
    ['import-throws-later.mjs', 'executor', /Error: boom from a timer at import/],
    ['import-exits.mjs', 'executor', /exited with code 3/],
    ['import-exits.mjs', 'pool', /exited with code 3/],
  ];
  for (const [file, facade, cause] of bad) {
    it(`${file} (${facade})`, () => expectBroken(broken, new URL(file, fixtures).href, facade, cause), EXIT_WITHIN + 5_000);
  }

  // A bundled app whose worker entry was left behind: a copy of the package without
  // dist/pool/worker.js, used from a script inside it (as the package's self-reference).
  const dir = mkdtempSync(join(tmpdir(), 'sabsync-no-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('the worker script cannot be found', () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    cpSync(dist, join(dir, 'dist'), { recursive: true, filter: (src) => !src.endsWith(join('pool', 'worker.js')) });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sabsync', type: 'module', exports: { '.': './dist/index.js' } }));
    cpSync(fileURLToPath(new URL('broken.mjs', fixtures)), join(dir, 'broken.mjs'));
    cpSync(fileURLToPath(tasks), join(dir, 'tasks.mjs'));
    const module = new URL(`file://${join(dir, 'tasks.mjs')}`).href;
    return expectBroken(join(dir, 'broken.mjs'), module, 'executor', /Cannot find module .*pool\/worker\.js/, dir);
  }, EXIT_WITHIN + 5_000);
});

describe('a worker that dies outside any task after it started', () => {
  it('is replaced, each time later while no task settles in between: no respawn loop', async () => {
    const run = await runNode(new URL('crash-loop.mjs', fixtures), [], { timeout: 30_000 });
    expectExited(run);
    const report = JSON.parse(run.stdout) as { outcomes: string[]; startedThen: number; startedLater: number; cpuMs: number };
    for (const o of report.outcomes) expect(['1', 'ERR_WORKER_CRASHED']).toContain(o); // every task settles
    expect(report.startedThen).toBeGreaterThanOrEqual(8);
    // 8 workers started means 6 or so deaths in a row: the pending replacements wait 0.8 s and
    // more, so a 1 s window sees at most one start per worker (a respawn loop: a dozen or more).
    expect(report.startedLater - report.startedThen).toBeLessThanOrEqual(2);
    expect(report.cpuMs).toBeLessThan(400);
  }, 35_000);
});

describe('an unknown task name', () => {
  it('gets one message before and after the workers are ready, listing the function exports', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    const early = await ex.submit('nope').exception(); // no worker is ready yet: the worker finds it
    expect(await ex.submit('add', 1, 2)).toBe(3);
    const late = await ex.submit('nope').exception(); // the owner knows the exports now
    const notFn = await ex.submit('notAFunction').exception();
    const message = `Executor: the task module ${tasks.href} has no function export named 'nope' (its function exports: add, bytes, exitNow, f, size, sleep)`;
    for (const e of [early, late]) {
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toMatchObject({ message, code: 'ERR_INVALID_ARG_TYPE' });
    }
    expect((notFn as Error).message).toBe(message.replace("'nope'", "'notAFunction'"));
  });

  it('as the initializer: the pool breaks with the same listing', async () => {
    await using pool = new Pool(tasks, { workers: 1, initializer: 'nope' });
    const e = (await pool.apply('add', [1, 2]).catch((x: unknown) => x)) as WorkerCrashedError;
    expect(e).toBeInstanceOf(WorkerCrashedError);
    expect(e.message).toContain(`Pool options.initializer: the task module ${tasks.href} has no function export named 'nope' (its function exports: add, bytes,`);
  });
});

describe('channel size', () => {
  it('arguments or a result too large for the channel fail that task with ERR_TOO_LARGE; the pool goes on', async () => {
    await using ex = new Executor(tasks, { maxWorkers: 1 });
    const big = await ex.submit('size', new Uint8Array(2 << 20)).exception();
    expect(big).toMatchObject({ code: 'ERR_TOO_LARGE' });
    expect((big as Error).message).toMatch(/^Executor: the arguments of task 'size' do not fit the task channel \(\d+ bytes encoded at most\); pass large data in a SharedArrayBuffer/);
    const result = await ex.submit('bytes', 2 << 20).exception();
    expect(result).toMatchObject({ code: 'ERR_TOO_LARGE' });
    expect((result as Error).message).toMatch(/^Executor: the result of task 'bytes' does not fit the result channel/);
    expect(await ex.submit('size', new Uint8Array(512 << 10))).toBe(512 << 10); // half a MiB crosses
    expect(await ex.submit('size', new Uint8Array(new SharedArrayBuffer(64 << 20)))).toBe(64 << 20); // shared, not copied
  });

  it('pools created and closed in turn do not pile up resident memory (60 pools)', async () => {
    const run = await runNode(new URL('churn.mjs', fixtures), ['60'], { timeout: 40_000 });
    expectExited(run);
    const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
    // Measured: 8 MiB channels, +300 MB; 1 MiB channels, +45 MB (1,000 pools: see engine.ts).
    expect(after - before).toBeLessThan(150);
  }, 45_000);
});
