/**
 * The calling thread's sabsync id: a non-zero integer below 2^30, unique among the threads that
 * can share memory with this one. Lock words record it (see rawlock.ts) so that RLock knows its
 * owner and a lock whose holder thread died can be found and recovered.
 *
 * In Node it is `worker_threads.threadId + 1` (the main thread's threadId is 0), so the owner of
 * a pool can compute a worker's id from `worker.threadId` with `sabsyncIdOf`. Elsewhere (Web
 * Workers, including Deno's, which all report threadId 0) it is a random id, drawn once per
 * thread.
 */
import { builtin } from '../runtime/node.js';

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
