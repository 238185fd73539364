/**
 * `currentThread()` and `cpuCount()`: what the calling thread is, and how many can run at once.
 * The name comes from the runtime seam (runtime/worker.ts `nameThisThread`), which a Thread's
 * bootstrap and a pool worker set; the ident is the sabsync thread id (primitives/thread.ts),
 * the one a Thread's `ident` reports.
 */
import { threadId } from '../primitives/thread.js';
import { cpuCount as cores, isMainThread, thisThreadName } from '../runtime/worker.js';

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

