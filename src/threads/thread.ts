/**
 * Thread (= Process): Python's `threading.Thread` / `multiprocessing.Process` on worker
 * threads. `new Thread(moduleUrl, 'target', { args })` runs the module's export `target` with
 * `args` in a new worker once `start()` is called; `join()` waits for it to end.
 *
 * Who does what (words.ts draws the shared words):
 *   - the creating thread makes a control block and a mailbox Queue holding the arguments, and
 *     asks its supervisor (supervisor.ts: one worker per creating thread, started at the first
 *     `start()`) for a worker; `start()` returns once the worker exists;
 *   - the thread (boot.ts) takes the arguments, runs the target and puts its outcome;
 *   - the supervisor sees the worker exit — however it ended: return, throw, `process.exit`,
 *     `terminate()`, out of memory — marks it dead in the liveness table, and stores ENDED;
 *   - `join()` sleeps on STATE until ENDED. It needs nothing from its own event loop, which is
 *     why a blocking join never hangs on a thread that died.
 * The outcome is read from the mailbox once, at the first join (or `result` / `error`) that
 * finds the thread ended — and kept: it is one item, which the first get removes, so whoever
 * removes it keeps it in the same synchronous run, before any other reader can look (see
 * `#readNow`). Every reader's wait for it ends at that reader's own deadline.
 *
 * Keeping the process alive (Python's daemon flag): the creator refs its supervisor while one
 * of its non-daemon Threads runs (the Thread workers are the supervisor's children), and unrefs
 * it when the supervisor reports the last one ended (supervision.ts). A daemon Thread keeps
 * nothing alive: when the creator's event loop is done, the process exits and the daemon
 * threads with it.
 *
 * `args` cross like Pool task arguments (they are a queue item): primitives, queues and shared
 * buffers arrive live. So do the result and error.
 */
import { Empty, misuse, typeError } from '../primitives/errors.js';
import { canBlock, checkTimeout, deadlineAfter, park, remaining, runAsync, runSync, runSyncMarked, waitBegins, type Steps } from '../primitives/futex.js';
import type { Handle } from '../primitives/memory.js';
import { encode } from '../queue/codec.js';
import { Queue } from '../queue/queue.js';
import { CHUNK, chunksFor } from '../queue/store.js';
import { builtin } from '../runtime/node.js';
import { thisThreadDaemon } from '../runtime/worker.js';
import { refuseWhileBootstrapping } from '../primitives/thread.js';
import { supervise, supervisorReady, terminate } from './supervision.js';
import { CONTROL_WORDS, delivered, ENDED, EXIT_CODE, IDENT, OUTCOME, RETURNED, RUNNING, STARTING, STATE, type Outcome } from './words.js';

/**
 * Byte capacity of a Thread's mailbox beyond its arguments: the largest result (or error) that
 * can come back, encoded. Larger results become the thread's error (`ERR_TOO_LARGE`): large data
 * crosses in a SharedArrayBuffer, shared, not copied. As the pool's result channel.
 */
const RESULT_BYTES = 1 << 20;

/**
 * How long `start()` waits for the supervisor to create the worker (its own start-up included,
 * ≈ 30 ms at the first start). Only a broken installation (the supervisor's file missing) could
 * take longer; start() then returns with `ident` unknown and `join()` waits on.
 */
const START_WAIT_MS = 30_000;

/** How long reading an ended thread's outcome waits for shared buffers it refers to. */
const OUTCOME_MS = 5_000;

/**
 * An async read of the outcome waiting for its shared buffers retries `getNowait` after naps
 * from 1 ms, doubling up to this (each miss drains the side channel and asks for what is
 * missing: queue/buffers.ts). Not `getAsync`: its value would reach the reader only after an
 * await, with the item already removed — a gap in which another reader finds the mailbox empty.
 */
const MAX_NAP_MS = 32;

/** Never changes: a park on it is a plain nap (futex.ts parks, usable by both runners). */
const nap = new Int32Array(new SharedArrayBuffer(4));

/** Options of `new Thread(module, target, options)`. */
export interface ThreadOptions {
  /** Arguments of the target (any queue item; primitives, queues and shared buffers arrive live). */
  args?: unknown[];
  /** The thread's name (default `Thread-N`, N counting from 1 in the creating thread). */
  name?: string;
  /** Whether the thread does not keep the process alive (default: the creating thread's flag, false on the main thread). */
  daemon?: boolean;
  /** Node's `resourceLimits` for the worker (a thread over its heap limit dies: out of memory). */
  resourceLimits?: Record<string, number>;
}

let counter = 0;

function moduleHref(module: unknown): string {
  let href: string;
  if (module instanceof URL) href = module.href;
  else if (typeof module === 'string' && module !== '') href = module;
  else throw typeError('Thread(module): module must be a URL or a URL string (new URL(\'./tasks.js\', import.meta.url))');
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    const path = builtin<{ isAbsolute(p: string): boolean }>('node:path');
    const toUrl = builtin<{ pathToFileURL(p: string): URL }>('node:url');
    if (path?.isAbsolute(href) && toUrl !== undefined) url = toUrl.pathToFileURL(href);
    else throw typeError(`Thread(module): '${href}' is not an absolute URL (build one with new URL('./tasks.js', import.meta.url))`);
  }
  const fs = builtin<{ existsSync(p: URL): boolean }>('node:fs');
  if (url.protocol === 'file:' && fs !== undefined && !fs.existsSync(url)) {
    throw Object.assign(new Error(`Thread(module): cannot find module ${url.href}`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return url.href;
}

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string') throw typeError(`${what} must be a string, got ${typeof name}`);
  return name;
}

function checkDaemon(daemon: unknown, what: string): boolean {
  if (typeof daemon !== 'boolean') throw typeError(`${what} must be a boolean, got ${typeof daemon}`);
  return daemon;
}

/**
 * A thread of control running one export of a module in a worker thread.
 * Python: `threading.Thread(target=..., args=..., name=..., daemon=...)`; also
 * `multiprocessing.Process` (`Process` is this class).
 */
export class Thread {
  readonly #module: string;
  readonly #target: string;
  readonly #args: unknown[];
  readonly #resourceLimits: Record<string, number> | undefined;
  #name: string;
  #daemon: boolean;
  #control: Int32Array | undefined;
  #mailbox: Queue<unknown> | undefined;
  #key = 0;
  #outcome: Outcome | null | undefined;

  /**
   * Describe a thread that will run export `target` of the module at `module` (an absolute
   * URL) with `options.args`. Nothing runs until `start()`. Throws `TypeError` for a bad
   * argument, `ERR_MODULE_NOT_FOUND` for a `file:` module that does not exist.
   */
  constructor(module: URL | string, target = 'default', options: ThreadOptions = {}) {
    if (typeof options !== 'object' || options === null) throw typeError('Thread options must be an object');
    this.#module = moduleHref(module);
    if (typeof target !== 'string' || target === '') throw typeError('Thread(module, target): target must be the name of an export of the module');
    this.#target = target;
    const { args = [], name, daemon, resourceLimits } = options;
    if (!Array.isArray(args)) throw typeError('Thread options.args must be an array');
    if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
      throw typeError('Thread options.resourceLimits must be an object');
    }
    this.#args = args;
    this.#resourceLimits = resourceLimits;
    this.#daemon = daemon === undefined ? thisThreadDaemon() : checkDaemon(daemon, 'Thread options.daemon');
    this.#name = name === undefined ? `Thread-${++counter}` : checkName(name, 'Thread options.name');
  }

  /** The thread's name (only for identification; several threads may share one). */
  get name(): string {
    return this.#name;
  }

  set name(name: string) {
    this.#name = checkName(name, 'Thread.name');
  }

  /**
   * Whether this thread leaves the process free to exit while it runs. Settable before
   * `start()` only (`ERR_ALREADY_STARTED`).
   */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(daemon: boolean) {
    const d = checkDaemon(daemon, 'Thread.daemon');
    if (this.#control !== undefined) throw misuse('ERR_ALREADY_STARTED', `cannot set the daemon flag of ${this.#name}: it was started`);
    this.#daemon = d;
  }

  /** The thread's id (its `currentThread().ident`) once started; undefined before. */
  get ident(): number | undefined {
    const id = this.#control === undefined ? 0 : Atomics.load(this.#control, IDENT);
    return id === 0 ? undefined : id;
  }

  /**
   * Start the thread: run the target with the arguments in a new worker. Returns once the
   * worker exists (blocking briefly, where the thread may block; the first start also starts
   * the supervisor). Throws `ERR_ALREADY_STARTED` if called twice, `ERR_UNSERIALIZABLE` for
   * arguments that cannot cross threads, `ERR_BOOTSTRAPPING` while this thread is a Thread or
   * pool worker still importing its module (its top-level code: guard it with
   * `if (currentThread().isMain)`); the thread is then not started.
   */
  start(): void {
    if (this.#control !== undefined) throw misuse('ERR_ALREADY_STARTED', `${this.#name} was already started (a thread can be started once)`);
    refuseWhileBootstrapping(`cannot start ${this.#name}`);
    const argBytes = chunksFor(encode(this.#args).length) * CHUNK;
    const mailbox = new Queue<unknown>(0, { bytes: Math.max(RESULT_BYTES, argBytes), maxWaiters: 2 });
    mailbox.putNowait(this.#args);
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    Atomics.store(control, STATE, STARTING);
    this.#key = supervise(
      {
        module: this.#module,
        target: this.#target,
        name: this.#name,
        daemon: this.#daemon,
        control: control.buffer as SharedArrayBuffer,
        mailbox: mailbox.handle as Handle<'Queue'>,
        resourceLimits: this.#resourceLimits,
      },
      control,
      !this.#daemon,
    );
    this.#control = control;
    this.#mailbox = mailbox;
    // Not where the worker cannot exist before this thread's event loop runs (a browser's first start).
    if (canBlock() && supervisorReady()) runSync(this.#whileState(STARTING, deadlineAfter(START_WAIT_MS)), 'start');
  }

  /**
   * Wait until the thread has ended, however it ends (return, throw, `process.exit`,
   * `terminate()`, out of memory), or `timeout` ms pass. Returns true if it has ended.
   * Throws `ERR_NOT_STARTED` before `start()`; `ERR_CANNOT_BLOCK` where this thread may not
   * block (a browser's main thread) and the thread has not ended (join(0) needs no wait), and for
   * a join without timeout in a browser worker whose first Thread cannot start before this
   * thread's event loop runs. Python: `Thread.join(timeout)` (which returns None: check
   * `is_alive()`).
   */
  join(timeout?: number): boolean {
    const deadline = deadlineAfter(checkTimeout(timeout));
    const control = this.#started('join');
    if (deadline === Infinity && Atomics.load(control, STATE) === STARTING && !supervisorReady()) {
      throw misuse(
        'ERR_CANNOT_BLOCK',
        `join(): ${this.#name} cannot start while this thread blocks (in a browser a worker starts only once the thread that created it returns to its event loop, and this is the first Thread started here): await joinAsync() instead, or let the event loop run once after the first start()`,
      );
    }
    // Where this thread may not block (a browser's main thread), only a join that would really
    // wait throws ERR_CANNOT_BLOCK: an ended thread, or a timeout of 0, needs none.
    if (Atomics.load(control, STATE) !== ENDED) runSyncMarked(this.#whileState(RUNNING, deadline), 'joinAsync');
    if (Atomics.load(control, STATE) !== ENDED) return false;
    this.#readOutcome(deadline);
    return true;
  }

  /** Async twin of `join`. */
  async joinAsync(timeout?: number): Promise<boolean> {
    const deadline = deadlineAfter(checkTimeout(timeout));
    const control = this.#started('joinAsync');
    if (Atomics.load(control, STATE) !== ENDED) await runAsync(this.#whileState(RUNNING, deadline));
    if (Atomics.load(control, STATE) !== ENDED) return false;
    if (!this.#readNow()) await runAsync(this.#readSteps(deadline));
    return true;
  }

  /** Whether the thread was started and has not ended. Python: `Thread.is_alive()`. */
  isAlive(): boolean {
    return this.#control !== undefined && Atomics.load(this.#control, STATE) !== ENDED;
  }

  /** What the target returned (or its Promise resolved to), once the thread has ended; else undefined. */
  get result(): unknown {
    const o = this.#settledOutcome();
    return o?.[0] === RETURNED ? o[1] : undefined;
  }

  /**
   * What the target threw (or its Promise rejected with), or the error that ended the thread
   * (out of memory, a Promise that never settled); else undefined.
   */
  get error(): unknown {
    const o = this.#settledOutcome();
    return o !== undefined && o !== null && o[0] !== RETURNED ? o[1] : undefined;
  }

  /**
   * The worker's exit code once the thread has ended, else undefined: 0 after a normal end, 1
   * after the target threw (or rejected) and after `terminate()`, what it passed to
   * `process.exit`, 13 when an async target's promise never settled (Node's code for an await
   * left pending; `error` then says so). Python: `Process.exitcode`.
   */
  get exitCode(): number | undefined {
    if (this.#control === undefined || Atomics.load(this.#control, STATE) !== ENDED) return undefined;
    return Atomics.load(this.#control, EXIT_CODE);
  }

  /**
   * Stop the thread at once, wherever it is (its `finally` blocks do not run; locks it held are
   * taken over by the next thread that wants them). `join()` then returns. Does nothing once it
   * has ended; `ERR_NOT_STARTED` before `start()`. Python: `Process.terminate()`.
   */
  terminate(): void {
    const control = this.#started('terminate');
    if (Atomics.load(control, STATE) !== ENDED) terminate(this.#key);
  }

  #started(method: string): Int32Array {
    if (this.#control === undefined) throw misuse('ERR_NOT_STARTED', `cannot ${method} ${this.#name}: it was not started`);
    return this.#control;
  }

  /** Sleep while STATE is at most `state`, until `deadline`. */
  *#whileState(state: number, deadline: number): Steps<void> {
    const control = this.#control!;
    for (;;) {
      const s = Atomics.load(control, STATE);
      if (s > state || remaining(deadline) === 0) return;
      waitBegins();
      // Parks only while STATE still holds the value just read: the supervisor's store of the
      // next state, made before its wake, fails the park instead of being missed.
      yield park(control, STATE, s, deadline);
    }
  }

  /** The outcome once ended (read now if need be): an Outcome, null for none; undefined while running. */
  #settledOutcome(): Outcome | null | undefined {
    if (this.#control !== undefined && Atomics.load(this.#control, STATE) === ENDED) this.#readOutcome(Infinity);
    return this.#outcome;
  }

  /**
   * Read the ended thread's outcome, blocking (where the thread may) until `deadline` at most
   * OUTCOME_MS for shared buffers it refers to. `get` removes the item and this keeps it in one
   * synchronous run; if it is not there, a reader already kept it. Left unread (undefined) if
   * its buffers have not come: a later reader tries again.
   */
  #readOutcome(deadline: number): void {
    if (this.#outcome !== undefined) return;
    if (!delivered(Atomics.load(this.#control!, OUTCOME))) {
      this.#outcome = null;
      return;
    }
    try {
      this.#keep(this.#mailbox!.get(canBlock() ? Math.min(remaining(deadline), OUTCOME_MS) : 0));
    } catch {
      // its shared buffers have not come yet (or cannot come while this thread blocks): later
    }
  }

  /**
   * Try to read the ended thread's outcome without waiting. True once there is nothing more to
   * wait for: the outcome is kept (by this reader or an earlier one), or it cannot be decoded.
   * False while its shared buffers have not reached this thread (the item stays queued).
   */
  #readNow(): boolean {
    if (this.#outcome !== undefined) return true;
    if (!delivered(Atomics.load(this.#control!, OUTCOME))) {
      this.#outcome = null;
      return true;
    }
    try {
      this.#keep(this.#mailbox!.getNowait());
      return true;
    } catch (error) {
      return !(error instanceof Empty);
    }
  }

  /** Wait (napping) for the outcome's shared buffers until `deadline`, at most OUTCOME_MS. */
  *#readSteps(deadline: number): Steps<void> {
    const until = Math.min(deadline, deadlineAfter(OUTCOME_MS));
    for (let ms = 1; !this.#readNow() && remaining(until) > 0; ms = Math.min(2 * ms, MAX_NAP_MS)) {
      yield park(nap, 0, 0, Math.min(until, deadlineAfter(ms)));
    }
  }

  #keep(item: unknown): Outcome {
    const outcome = item as Outcome;
    const [, value, props] = outcome;
    if (props !== undefined && typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(props)) if (!(k in value)) (value as Record<string, unknown>)[k] = v;
    }
    this.#outcome = outcome;
    return outcome;
  }
}

/** Python's `multiprocessing.Process`: the same class as `Thread` (JavaScript has no fork). */
export { Thread as Process };
