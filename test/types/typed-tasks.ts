// Typed tasks: `Executor<typeof import('./tasks.js')>` / `Pool<...>` accept only the module's
// function exports, with their parameter and (awaited) result types; untyped pools stay loose.
// Also the types of the per-task options, currentTask(), progress and stats().
import { AbortError, currentTask, Executor, Pool, type ErrorCode, type Future, type PoolStats, type TaskContext } from 'sabsync';
import { expectType, type Equal } from './expect.js';

type Tasks = typeof import('./task-module.js');

export async function typedExecutor(url: URL): Promise<void> {
  const ex = new Executor<Tasks>(url, { maxWorkers: 2, minWorkers: 0, idleTimeout: 1000 });
  const f = ex.submit('fib', 20);
  expectType<Equal<typeof f, Future<number>>>();
  const g = ex.submit('greet', 'you', 2);
  expectType<Equal<typeof g, Future<string>>>(); // the Promise is awaited
  const h = ex.run('greet', ['you'], { signal: new AbortController().signal, timeout: 100 });
  expectType<Equal<typeof h, Future<string>>>();
  const v = ex.submit('none');
  expectType<Equal<typeof v, Future<void>>>();
  for await (const x of ex.map('fib', [1, 2, 3])) expectType<Equal<typeof x, number>>();

  // @ts-expect-error no export of that name
  ex.submit('fibb', 20);
  // @ts-expect-error an export that is not a function
  ex.submit('notAFunction');
  // @ts-expect-error wrong argument type
  ex.submit('fib', '20');
  // @ts-expect-error too many arguments
  ex.submit('fib', 1, 2);
  // @ts-expect-error missing argument
  ex.submit('greet');
  // @ts-expect-error run: wrong argument types
  ex.run('fib', ['x']);
  // @ts-expect-error map: items of the wrong type
  ex.map('fib', ['a', 'b']);
  // @ts-expect-error the loose form is gone on a typed executor
  ex.submit<number>('anything', 1);
  // @ts-expect-error timeout is a number
  ex.run('fib', [1], { timeout: '5' });
}

export async function typedPool(url: URL): Promise<void> {
  const pool = new Pool<Tasks>(url, { workers: 2, minWorkers: 1 });
  const a = await pool.apply('fib', [10], { timeout: 1000 });
  expectType<Equal<typeof a, number>>();
  const r = pool.applyAsync('greet', ['x'], { callback: (s) => expectType<Equal<typeof s, string>>(), timeout: 5 });
  const s = await r.get();
  expectType<Equal<typeof s, string>>();
  const m = await pool.map('fib', [1, 2]);
  expectType<Equal<typeof m, number[]>>();
  const sm = await pool.starmap('greet', [['a', 1], ['b']]);
  expectType<Equal<typeof sm, string[]>>();
  for await (const x of pool.imapUnordered('fib', [1])) expectType<Equal<typeof x, number>>();
  // @ts-expect-error no export of that name
  await pool.apply('nope', []);
  // @ts-expect-error wrong argument type
  await pool.apply('fib', ['1']);
  // @ts-expect-error starmap items are argument lists of the export
  await pool.starmap('greet', [[1]]);
  // @ts-expect-error imap items are the export's first parameter
  pool.imap('fib', ['x']);
}

export async function untyped(url: URL): Promise<void> {
  const ex = new Executor(url);
  const f = ex.submit<number>('anything', 1, 'two');
  expectType<Equal<typeof f, Future<number>>>();
  const u = ex.submit('anything');
  expectType<Equal<typeof u, Future<unknown>>>();
  const r = ex.run<string>('x', [1], { timeout: 10 });
  expectType<Equal<typeof r, Future<string>>>();
  const pool = new Pool(url);
  const n = await pool.apply<number>('x', [1]);
  expectType<Equal<typeof n, number>>();
  const m = await pool.map<string>('x', [1, 2], 1);
  expectType<Equal<typeof m, string[]>>();
}

export function inTask(): void {
  const t = currentTask();
  expectType<Equal<typeof t, TaskContext | undefined>>();
  if (t === undefined) return;
  const id: number = t.id;
  const signal: AbortSignal = t.signal;
  const aborted: boolean = t.aborted;
  t.throwIfAborted();
  t.progress({ done: id, of: 10, aborted, signal: signal.aborted });
  // @ts-expect-error read-only
  t.aborted = true;
}

export function futuresAndStats(ex: Executor, pool: Pool): void {
  const f = ex.submit<number>('x');
  f.abort();
  f.abort(new Error('why'));
  const same: Future<number> = f.onProgress((value: unknown) => value);
  void same;
  const s: PoolStats = ex.stats();
  const p: PoolStats = pool.stats();
  const n: number = s.runTime.p99 + s.waitTime.mean + s.utilization + p.workers + p.busy + p.queued + p.completed + p.failed + p.cancelled + p.crashed;
  void n;
  // @ts-expect-error onProgress takes a function
  f.onProgress(1);
}

export function abortError(): void {
  const e = new AbortError();
  expectType<Equal<typeof e.code, 'ERR_ABORTED'>>();
  const code: ErrorCode = 'ERR_ABORTED';
  void code;
}
