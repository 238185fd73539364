/**
 * Test helper: run a Node script (or any program) in a child process and watch it end by itself, with an outside
 * timeout so that a process that never exits fails the test instead of hanging it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildRun {
  /** Exit code, or null if the process was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether the helper killed it (SIGKILL) because it outlived `timeout`. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from start to exit. */
  readonly ms: number;
}

/** Run `command ...args`; resolves when it exits, or after `timeout` ms with it killed. */
export function runChild(
  command: string,
  args: string[],
  opts: { timeout?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildRun> {
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeout ?? 15_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Run `node script ...args`; resolves when it exits, or after `timeout` ms with it killed. */
export function runNode(script: string | URL, args: string[] = [], opts: { timeout?: number; cwd?: string; nodeArgs?: string[] } = {}): Promise<ChildRun> {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  return runChild(process.execPath, [...(opts.nodeArgs ?? []), path, ...args], opts);
}
