/**
 * `currentThread()` and `cpuCount()`: what the calling thread is, and how many can run at once.
 * The name comes from the runtime seam (runtime/worker.ts `nameThisThread`), which a Thread's
 * bootstrap and a pool worker set; the ident is the sabsync thread id (primitives/thread.ts),
 * the one a Thread's `ident` reports.
 */
import { misuse } from '../primitives/errors.js';
import { threadId } from '../primitives/thread.js';
import { bootstrappingModule, cpuCount as cores, isMainThread, thisThreadName } from '../runtime/worker.js';

/** What `currentThread()` tells about the calling thread. */
export interface ThreadInfo {
  /** 'MainThread', a Thread's name, a pool worker's name, else `Dummy-<ident>`. */
  readonly name: string;
  /** The thread's sabsync id (a Thread's `ident`). */
  readonly ident: number;
  /** Whether this is the program's main thread. */
  readonly isMain: boolean;
}

/** Describe the calling thread. Python: `threading.current_thread()`. */
export function currentThread(): ThreadInfo {
  const isMain = isMainThread();
  return { name: thisThreadName() ?? (isMain ? 'MainThread' : `Dummy-${threadId}`), ident: threadId, isMain };
}

/** How many threads can run at once: the usable cores. Python: `os.cpu_count()` / `multiprocessing.cpu_count()`. */
export function cpuCount(): number {
  return cores();
}

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
