/**
 * The calling thread's sabsync id: a non-zero integer below 2^30, unique among the threads that
 * can share memory with this one. Lock words record it (see rawlock.ts) so that RLock knows its
 * owner and a lock whose holder thread died can be found and recovered.
 *
 * In Node it is `worker_threads.threadId + 1` (the main thread's threadId is 0), so the owner of
 * a pool can compute a worker's id from `worker.threadId` with `sabsyncIdOf`. Elsewhere (Web
 * Workers, including Deno's, which all report threadId 0) it is a random id, drawn once per
 * thread.
 *
 * Also what this thread may start: nothing while it is still importing its module as a Thread
 * or pool worker (`refuseWhileBootstrapping`, used by Thread and by both pool facades).
 */
import { builtin } from '../runtime/node.js';
import { bootstrappingModule, thisThreadName } from '../runtime/worker.js';
import { misuse } from './errors.js';

/** The sabsync id of the Node thread whose `threadId` is `nodeThreadId`. */
export function sabsyncIdOf(nodeThreadId: number): number {
  return nodeThreadId + 1;
}

/** Whether this thread is a Web Worker (a module or classic `Worker`, not a Node worker thread). */
function inWebWorker(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope;
  return typeof scope === 'function' && globalThis instanceof scope;
}

function ownId(): number {
  const wt = builtin<{ threadId?: number }>('node:worker_threads');
  // Deno's Web Workers all report the main thread's threadId (0): only a Web Worker that does
  // not claim to be the main thread keeps Node's id.
  if (typeof wt?.threadId === 'number' && !(wt.threadId === 0 && inWebWorker())) return sabsyncIdOf(wt.threadId);
  return 1 + Math.floor(Math.random() * (2 ** 30 - 2));
}

/** This thread's sabsync id. */
export const threadId: number = ownId();

/**
 * Throw `ERR_BOOTSTRAPPING` if this thread is still importing its module (a Thread's or a pool
 * worker's bootstrap: runtime/worker.ts `whileBootstrapping`): `what` (starting a thread,
 * creating a pool) would run again in every thread that imports the module, without end.
 * Python: multiprocessing's RuntimeError "An attempt has been made to start a new process
 * before the current process has finished its bootstrapping phase".
 */
export function refuseWhileBootstrapping(what: string): void {
  const module = bootstrappingModule();
  if (module === undefined) return;
  throw misuse(
    'ERR_BOOTSTRAPPING',
    `${what} while this thread (${thisThreadName() ?? 'a worker'}) is still importing its module ${module}: ` +
      'a Thread or pool worker imports its module afresh, so its top-level code runs again there, and a module that starts threads ' +
      'or creates pools at top level would do so in every thread, without end. Guard that top-level code with ' +
      "`if (currentThread().isMain) { ... }` (Python: `if __name__ == '__main__':`)",
  );
}
