/**
 * The runtime seam for threads: start a worker and learn that it exited, the start data a
 * worker reads, the calling thread's name, whether it is the main thread, how many cores there
 * are, and a synchronous line on stderr. Node's `worker_threads` where the runtime has it
 * (Node, Deno, Bun), a module `Worker` elsewhere (a browser). Nothing here imports a `node:`
 * module statically (node.ts looks built-ins up at run time).
 *
 * What differs, and what this seam promises:
 *
 *   fact                  Node worker_threads                  Web Worker
 *   --------------------  -----------------------------------  ---------------------------------
 *   start data            `workerData`, synchronous            the first message, awaited
 *   exit learned          `exit` event with the exit code,     `exitWorker(code)` in the worker
 *                         however the worker ended (return,    (an EXIT message, then close), an
 *                         process.exit, terminate, OOM)        `error` event (code 1), our own
 *                                                              `terminate()` (code 1); a worker
 *                                                              that closes itself is not seen,
 *                                                              unless `exitOnClose()` made its
 *                                                              `close()` an `exitWorker(0)`
 *   end a worker          `process.exit(code)`                 `exitWorker(code)`: EXIT, close()
 *   uncaught error        ends the worker (code 1)             ends it too once the worker has
 *                                                              called `exitOnUncaughtError()`
 *   keeps the parent up   while ref'd (`ref()` / `unref()`)    always (no ref counting)
 *   thread id             `threadId`, known at once            unknown outside the worker (-1)
 *
 * The exit is learned on the event loop of the thread that started the worker: a thread that
 * blocks (Atomics.wait) learns nothing meanwhile. That is why Thread workers are started by a
 * supervisor thread that never blocks (threads/supervisor.ts).
 *
 * When a Web Worker has stopped, nothing says: `terminate()` interrupts its JavaScript at the
 * next interrupt check, on its own thread, some time after the call returns. So every end of a
 * Web Worker is reported (`onExit`) only after the worker was terminated and WEB_EXIT_GRACE_MS
 * passed, for Node's promise that the exit comes after the worker's last store to shared
 * memory (a starter that then takes over its locks must not race its last instructions).
 *
 * Also here, since both bootstraps (threads/boot.ts, pool/worker.ts) import this and nothing
 * lower: whether this thread is still importing its module (`whileBootstrapping`).
 */
import { builtin } from './node.js';

/** What a started worker offers its starter. */
export interface RuntimeWorker {
  /** Node's thread id of the worker, or -1 where the runtime does not tell (a Web Worker). */
  readonly threadId: number;
  /** The runtime's own worker object (Node's `Worker`, or the Web `Worker`), for tests and debuggers. */
  readonly native: unknown;
  postMessage(message: unknown): void;
  /** Stop the worker; its exit is reported to `onExit` as any other. */
  terminate(): void;
  /** Let the worker keep (ref) or not keep (unref) the starting thread alive (Node only). */
  ref(): void;
  unref(): void;
}

/** Options of `startWorker`. */
export interface StartOptions {
  /** Structured-cloneable data the worker reads with `startData()`. */
  data: unknown;
  /** A name for debuggers (Node's `name`, a Web Worker's `name`). */
  name?: string | undefined;
  /** Node's `resourceLimits` (ignored elsewhere). */
  resourceLimits?: Record<string, number> | undefined;
  onMessage?: ((message: unknown) => void) | undefined;
  /** Called once, when the worker has ended: its exit code and the error that ended it, if any. */
  onExit(code: number, error: unknown): void;
}

interface NodeWorker {
  readonly threadId: number;
  postMessage(m: unknown): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

interface WorkerThreads {
  Worker: new (url: URL, options: Record<string, unknown>) => NodeWorker;
  isMainThread: boolean;
  workerData: unknown;
  parentPort: { postMessage(m: unknown, transfer?: unknown[]): void; on(e: 'message', f: (m: unknown) => void): void } | null;
}

const wt = builtin<WorkerThreads>('node:worker_threads');

interface WebWorker {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(event: string, listener: (e: { data?: unknown; error?: unknown; message?: string }) => void): void;
}
type WebWorkerClass = new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;

/** Message type of the start data sent to a Web Worker (the first message it gets). */
const START = 'sabsync:start';
/** Message type of a Web Worker's last message (`exitWorker`): its exit code and error. */
const EXIT = 'sabsync:exit';
/**
 * How long after terminating a Web Worker its end is reported (ms). Nothing tells when its
 * thread has stopped; `terminate()` stops its JavaScript at the next interrupt check, which
 * comes within microseconds unless the thread is not running at all, so a few scheduler slices.
 */
const WEB_EXIT_GRACE_MS = 20;

/** Start the module at `url` in a new worker thread. */
export function startWorker(url: URL, options: StartOptions): RuntimeWorker {
  if (wt !== undefined) {
    const worker = new wt.Worker(url, { workerData: options.data, name: options.name, resourceLimits: options.resourceLimits });
    let error: unknown;
    if (options.onMessage !== undefined) worker.on('message', options.onMessage as (m: never) => void);
    worker.on('error', (e: never) => (error ??= e));
    worker.on('exit', (code: never) => options.onExit(code, error));
    return {
      threadId: worker.threadId,
      native: worker,
      postMessage: (m) => worker.postMessage(m),
      terminate: () => void worker.terminate(),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  }
  const Web = (globalThis as { Worker?: WebWorkerClass }).Worker;
  if (Web === undefined) throw new Error('this runtime has no worker threads');
  const worker = new Web(url, { type: 'module', name: options.name });
  let ended = false;
  // Terminated first, reported after the grace period: see WEB_EXIT_GRACE_MS.
  const end = (code: number, error: unknown) => {
    if (ended) return;
    ended = true;
    worker.terminate();
    setTimeout(() => options.onExit(code, error), WEB_EXIT_GRACE_MS);
  };
  worker.addEventListener('message', (e) => {
    const m = e.data as { type?: unknown; code?: unknown; error?: unknown } | null;
    if (m?.type === EXIT) end(typeof m.code === 'number' ? m.code : 1, m.error);
    else options.onMessage?.(e.data);
  });
  worker.addEventListener('error', (e) => end(1, e.error ?? new Error(e.message ?? 'the worker failed')));
  worker.postMessage({ type: START, data: options.data });
  return {
    threadId: -1,
    native: worker,
    postMessage: (m) => worker.postMessage(m),
    terminate: () => end(1, undefined),
    ref: () => {},
    unref: () => {},
  };
}

/** In a worker: the data its starter gave (`StartOptions.data`). */
export function startData(): Promise<unknown> {
  if (wt !== undefined) return Promise.resolve(wt.workerData);
  const scope = globalThis as unknown as { addEventListener(e: 'message', f: (e: { data: unknown }) => void, o: { once: boolean }): void };
  return new Promise((resolve) => {
    const listen = (): void =>
      scope.addEventListener(
        'message',
        (e) => {
          const m = e.data as { type?: unknown; data?: unknown } | null;
          if (m?.type === START) resolve(m.data);
          else listen();
        },
        { once: true },
      );
    listen();
  });
}

interface WebWorkerScope {
  postMessage(m: unknown, transfer?: unknown[]): void;
  close(): void;
  addEventListener(e: 'error' | 'unhandledrejection', f: (e: { error?: unknown; reason?: unknown; message?: string; preventDefault(): void }) => void): void;
}

const endListeners: (() => void)[] = [];

/**
 * In a worker: call `listener` as this thread ends — Node's `process.on('exit')` (however the
 * worker ends, but `terminate()`); on the web, at `exitWorker` (which an uncaught error calls
 * after `exitOnUncaughtError`). A worker terminated from outside runs no listener anywhere.
 */
export function onWorkerExit(listener: () => void): void {
  if (wt !== undefined) (globalThis as unknown as { process: { on(e: 'exit', f: () => void): void } }).process.on('exit', listener);
  else endListeners.push(listener);
}

/**
 * In a worker: end this thread with exit code `code`, as Node's `process.exit(code)`; its
 * starter's `onExit` gets `code` and `error`. Node: never returns. On the web it returns (the
 * thread closes once the running code yields; the starter terminates it on the EXIT message):
 * the caller runs nothing after it.
 */
export function exitWorker(code: number, error?: unknown): void {
  if (wt !== undefined) {
    (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(code);
  }
  for (const listener of endListeners.splice(0)) listener();
  const scope = globalThis as unknown as WebWorkerScope;
  try {
    scope.postMessage({ type: EXIT, code, error });
  } catch {
    // An error that cannot be cloned: its text crosses.
    scope.postMessage({ type: EXIT, code, error: new Error(String(error)) });
  }
  closeScope();
}

/** The worker scope's own `close` (`exitOnClose` replaces the global one). */
let closeScope = (): void => (globalThis as unknown as WebWorkerScope).close();

/**
 * In a worker: let a call of the global `close()` (a Web Worker closing itself, say from a
 * task) end this thread through `exitWorker(0)`, so that its starter sees the end, as Node's
 * starter sees a `process.exit(0)`. Nothing to do on Node. A Web Worker closed otherwise is
 * still not seen to end.
 */
export function exitOnClose(): void {
  if (wt !== undefined) return;
  const scope = globalThis as unknown as WebWorkerScope;
  const close = scope.close.bind(scope);
  closeScope = close;
  scope.close = () => exitWorker(0);
}

/**
 * In a worker: let an uncaught error or an unhandled rejection end this thread with exit code
 * 1, reporting the error to its starter, as Node ends a worker thread. Nothing to do on Node;
 * a Web Worker otherwise goes on after one (its starter gets an `error` event, or nothing for a
 * rejection).
 */
export function exitOnUncaughtError(): void {
  if (wt !== undefined) return;
  const scope = globalThis as unknown as WebWorkerScope;
  scope.addEventListener('error', (e) => {
    e.preventDefault(); // reported by the EXIT message instead
    exitWorker(1, e.error ?? new Error(e.message ?? 'uncaught error'));
  });
  scope.addEventListener('unhandledrejection', (e) => {
    e.preventDefault();
    exitWorker(1, e.reason);
  });
}

/**
 * Run `callback` in a later turn of the event loop, after pending I/O and timers had theirs:
 * Node's `setImmediate`; elsewhere a MessageChannel message (a zero-delay `setTimeout` would be
 * clamped to 4 ms when nested).
 */
export const macrotask: (callback: (value: void) => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (callback) => void setImmediate(callback)
    : (() => {
        const queue: ((value: void) => void)[] = [];
        const channel = new MessageChannel();
        (channel.port1 as unknown as { onmessage: () => void }).onmessage = () => queue.shift()?.();
        return (callback: (value: void) => void) => {
          queue.push(callback);
          channel.port2.postMessage(null);
        };
      })();

/** In a worker: send `message` to the thread that started it, transferring `transfer` (ports, say). */
export function postToParent(message: unknown, transfer?: unknown[]): void {
  if (wt !== undefined) wt.parentPort?.postMessage(message, transfer);
  else (globalThis as unknown as WebWorkerScope).postMessage(message, transfer);
}

/** In a worker: call `listener` with every message from the thread that started it. */
export function onParentMessage(listener: (message: unknown) => void): void {
  if (wt !== undefined) wt.parentPort?.on('message', listener);
  else (globalThis as unknown as { addEventListener(e: 'message', f: (e: { data: unknown }) => void): void }).addEventListener('message', (e) => listener(e.data));
}

/** Whether the calling thread is the program's main thread (not a worker of any kind). */
export function isMainThread(): boolean {
  if (wt !== undefined) {
    // Deno's Web Workers report isMainThread true: a worker scope says otherwise.
    const scope = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope;
    return wt.isMainThread && !(typeof scope === 'function' && globalThis instanceof scope);
  }
  const scope = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope;
  return !(typeof scope === 'function' && globalThis instanceof scope);
}

/** Usable cores: `os.availableParallelism()`, `navigator.hardwareConcurrency`, else 1. */
export function cpuCount(): number {
  const os = builtin<{ availableParallelism?(): number; cpus(): unknown[] }>('node:os');
  const n = os !== undefined ? (os.availableParallelism?.() ?? os.cpus().length) : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/** Write `text` to stderr at once (synchronously where the runtime allows: it may die next). */
export function printError(text: string): void {
  const fs = builtin<{ writeSync(fd: number, s: string): number }>('node:fs');
  if (fs !== undefined) {
    try {
      fs.writeSync(2, text.endsWith('\n') ? text : `${text}\n`);
      return;
    } catch {
      // stderr closed or not a file descriptor here: fall back to the console
    }
  }
  console.error(text);
}

let currentName: string | undefined;
let currentDaemon = false;

/**
 * Name this thread for `currentThread()` (a Thread's bootstrap, a pool worker's), and say
 * whether it is a daemon (the default of the Threads it starts).
 */
export function nameThisThread(name: string, daemon = false): void {
  currentName = name;
  currentDaemon = daemon;
}

/** The name given by `nameThisThread`, if any. */
export function thisThreadName(): string | undefined {
  return currentName;
}

/** Whether this thread was named a daemon by `nameThisThread`. */
export function thisThreadDaemon(): boolean {
  return currentDaemon;
}

let bootstrapping: string | undefined;

/**
 * Run `load` — a bootstrap importing `module`, the module of a Thread or of a pool's tasks —
 * with `bootstrappingModule()` naming it meanwhile. A worker imports its module afresh, so a
 * module that starts a Thread (or creates a pool) of itself at top level would start one in
 * every thread, without end: `Thread.start()`, `new Pool`, `new Executor` refuse meanwhile
 * (threads/current.ts). Python refuses the same in a spawned child (multiprocessing's
 * "bootstrapping phase" RuntimeError).
 */
export async function whileBootstrapping<T>(module: string, load: () => Promise<T>): Promise<T> {
  bootstrapping = module;
  try {
    return await load();
  } finally {
    bootstrapping = undefined;
  }
}

/** The module this thread's bootstrap is importing, if it is (`whileBootstrapping`). */
export function bootstrappingModule(): string | undefined {
  return bootstrapping;
}
