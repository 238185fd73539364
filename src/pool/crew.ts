/**
 * The workers of one pool (engine.ts): their options, starting them, and what follows a
 * worker's `exit`. Task-level recovery is the engine's (`CrewEvents.exited`).
 *
 * After worker w exits — a crash, a retirement (`maxTasksPerChild`) or `terminate()` — the crew
 * first takes back what it held in the control block (slots.ts): the WATCHER token, if it held
 * it, and its SLEEPERS bit, if it was counted (asleep or about to be). Then it records it dead in
 * the liveness table (liveness.ts: from then on any thread that meets a lock it held, in any
 * primitive, takes it over and repairs it), then releases whatever part of each of its own
 * Queues the dead thread still held (`recoverQueue`: purges its waits and repairs each waiter
 * list, takes the queue lock over if it died holding it and rolls back its half-done
 * operation). It never blocks its thread doing so: a waiter-list lock another thread holds is
 * waited for with async parks, so further exits are handled meanwhile (the holder may be
 * another dead worker, recorded dead when its own exit comes). Then it reads the dead worker's
 * CURRENT word, resets it to IDLE, lets the engine settle what the worker left, and starts a
 * replacement unless the pool is stopping. Replacements with an initializer get their copy of
 * the initArgs on the init Queue before they start.
 *
 * A worker that cannot start breaks the pool instead of being replaced, or a task module that
 * throws or exits at import would be restarted forever at full speed: a worker that posts an
 * import or initializer error, reports an `error` while STARTING (an uncaught error at import,
 * a worker script that cannot be found), or calls `process.exit` while STARTING (QUIT). A
 * worker killed while STARTING (`terminate()`: no error, CURRENT still STARTING) did nothing
 * wrong and is replaced, once per kill.
 *
 * A worker that dies of its own accord outside any task after it started (its module's own
 * timer throws, say) is replaced, but not in a tight loop: once such deaths follow each other with no task settled
 * in between, each replacement waits twice as long as the last (RESPAWN_DELAY_MS up to
 * RESPAWN_MAX_MS), so a module that kills every worker it starts costs almost no CPU while
 * tasks still get their chance to run.
 *
 * Workers on demand: the crew starts minWorkers workers at once and more when the engine wants
 * them (`grow`), up to the pool's size, each at a free index (CURRENT[w], the claimer field). An
 * index stays reserved from a worker's exit until its replacement starts (or none will), so no
 * new worker takes it while the engine still judges the dead one's tasks by it. LIVE (slots.ts)
 * counts the workers, so that idle ones leave only while more than minWorkers stay; one that
 * left (CURRENT = LEFT) is not replaced unless the engine wants a worker for new work.
 *
 * Lifetime: an idle pool must not keep Node (Deno, Bun) alive, so every worker is unref'd —
 * after its listeners are added, because adding a 'message' listener refs a worker's port
 * again. Pending work keeps Node alive through the owner's async wait for results (futex.ts
 * holds a ref'd timer while it is pending), and `exited()` refs the workers while someone waits
 * for them.
 *
 * Runtimes: workers start through the runtime seam (runtime/worker.ts) — Node's worker_threads
 * where the runtime has them (Node, Deno, Bun), module Web Workers elsewhere (a browser). What
 * differs on the web, and how this file copes:
 *   - the owner cannot compute a Web Worker's sabsync id (the seam's threadId is -1): each
 *     worker stores its own in WorkerStart.ids before it touches anything shared, and the
 *     owner reads it at the exit (0: it died before, holding nothing);
 *   - a Web Worker has no exit event: the seam reports an exit for an `error` event, for the
 *     worker's own end (worker.ts ends through `exitWorker`, and an uncaught error, an unhandled
 *     rejection or a `close()` there ends it the same way) and for `terminate()` — each after
 *     the worker was terminated and a grace period passed, so the takeover of its locks cannot
 *     race its last instructions. A worker closed otherwise is never seen to end;
 *   - no `resourceLimits`, no TypeScript task module (ERR_UNSUPPORTED_RUNTIME at the
 *     constructor), no file paths (the module is an absolute URL), no ref counting.
 */
import { builtin } from '../runtime/node.js';
import { cpuCount, startWorker, type RuntimeWorker } from '../runtime/worker.js';
// Node's built-ins, looked up at run time (runtime/node.ts) so that the package's entry loads
// where there are none (a browser). The workers start through the runtime seam
// (runtime/worker.ts): Node's worker_threads where the runtime has them (Node, Deno, Bun), module
// Web Workers elsewhere.
type Worker = import('node:worker_threads').Worker;
type ResourceLimits = import('node:worker_threads').ResourceLimits;
const fs = builtin<typeof import('node:fs')>('node:fs');
const url = builtin<typeof import('node:url')>('node:url');
/** Whether workers are Web Workers here (no worker_threads: a browser). */
const onTheWeb = builtin('node:worker_threads') === undefined;
import { rangeError, typeError } from '../primitives/errors.js';
import { markDead } from '../primitives/liveness.js';
import { sabsyncIdOf } from '../primitives/thread.js';
import { encode } from '../queue/codec.js';
import { DEFAULT_BYTES, Queue, recoverQueue } from '../queue/queue.js';
import { CHUNK, chunksFor } from '../queue/store.js';
import { adoptLink, dropLink, isLink } from '../queue/buffers.js';
import { rebuildError, type ErrorDescription } from './remote.js';
import { IDLE, LEFT, MAX_WORKERS, QUIT, RETIRED, STARTING, type Slots } from './slots.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * Respawn policy for workers that die of their own accord outside any task (an uncaught error,
 * or an exit code other than 1): the second such death in a row (no task settled since the
 * first) delays its replacement by RESPAWN_DELAY_MS, each further one twice as long, up to
 * RESPAWN_MAX_MS. A lone death (a stray error) costs no delay, and neither does a worker killed
 * from outside (`terminate()`: no error, exit code 1, or 0 while STARTING): however often that
 * happens, the pool keeps its workers. (A module that calls `process.exit(1)` on a timer after
 * its import looks like a kill, and is replaced at once each time.)
 */
const RESPAWN_DELAY_MS = 50;
const RESPAWN_MAX_MS = 5000;

/** How long a worker above `minWorkers` stays idle before it leaves, by default (ms). */
export const IDLE_TIMEOUT_MS = 10_000;

/** Options shared by both facades (the worker count is named by each facade). */
export interface EngineOptions {
  minWorkers?: number | undefined;
  idleTimeout?: number | undefined;
  initializer?: string | undefined;
  initArgs?: unknown[] | undefined;
  maxTasksPerChild?: number | undefined;
  resourceLimits?: ResourceLimits | undefined;
}

/** Data a worker starts with (worker.ts reads it). */
export interface WorkerStart {
  facade: string;
  module: string;
  index: number;
  workers: number;
  slots: number;
  control: SharedArrayBuffer;
  tasks: unknown;
  results: unknown;
  init: unknown;
  initializer: string | undefined;
  maxTasksPerChild: number;
  minWorkers: number;
  idleTimeout: number;
  /**
   * One Int32 per worker index: the worker stores its sabsync id at `index` first thing, for an
   * owner that cannot compute it from the runtime's thread id (Web Workers: -1). 0: not yet.
   */
  ids: SharedArrayBuffer;
}

/** What the crew tells its engine. */
export interface CrewEvents {
  /**
   * A worker imported the module: the names of its function exports, and of all its exports in
   * the order a task in its area names its export by (items.ts).
   */
  ready(exports: string[], names: string[]): void;
  /** A worker cannot start: `why` says how (its error's name and message, or its exit code). */
  initFailed(cause: unknown, why: string): void;
  /**
   * Worker `w` exited and its Queue holdings are recovered; `current`: its last CURRENT word.
   * Resolves to whether it was running a task.
   */
  exited(w: number, current: number, error: unknown, code: number): Promise<boolean>;
  /** How many tasks have settled so far (a change means the pool made progress). */
  settled(): number;
  /** Whether to start a replacement for a worker that exited. */
  replace(): boolean;
  /** How many workers the pool should have now (started on demand up to it). */
  wanted(): number;
}

interface Running {
  readonly worker: RuntimeWorker;
  error?: unknown;
  /** The worker's end of its buffer link (a browser: queue/buffers.ts), dropped at its exit. */
  link?: unknown;
  /** Terminated by `kill` (its KILLING word stays set until its exit). */
  killed?: boolean;
}

function checkCount(value: unknown, option: string, fallback: number, max = Number.MAX_SAFE_INTEGER, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw typeError(`${option} must be an integer, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(`${option} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Options both facades take, beside their worker count (`workers` / `maxWorkers`). */
const COMMON_OPTIONS = ['minWorkers', 'idleTimeout', 'initializer', 'initArgs', 'maxTasksPerChild', 'resourceLimits'];

/**
 * Refuse an option the facade does not know: a misspelt or swapped name (`workers` given to an
 * Executor, `maxWorkers` to a Pool) would otherwise be ignored without a word.
 */
function checkKnown(options: object, facade: string, workersOption: string): void {
  for (const key of Object.keys(options)) {
    if (key === workersOption || COMMON_OPTIONS.includes(key)) continue;
    const hint = key === 'workers' || key === 'maxWorkers' ? ` (the ${facade}'s worker count is options.${workersOption})` : '';
    throw typeError(`${facade} has no option '${key}'${hint}`);
  }
}

/** What a runtime without Node's worker_threads (a browser) cannot do: ERR_UNSUPPORTED_RUNTIME. */
function unsupported(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_UNSUPPORTED_RUNTIME' });
}

/**
 * Resolve the task module given to a facade to a URL string, checking a file exists (where
 * there are files). A path string needs Node's `url`; elsewhere the module is an absolute URL.
 */
function moduleHref(module: unknown, facade: string): string {
  let href: URL;
  if (module instanceof URL) href = module;
  else if (typeof module === 'string' && module !== '' && /^[a-z][a-z0-9+.-]+:/i.test(module)) href = new URL(module);
  else if (typeof module === 'string' && module !== '' && url !== undefined) href = url.pathToFileURL(module);
  else if (typeof module === 'string' && module !== '') {
    throw typeError(`${facade}(module): this runtime has no file paths: give the task module as an absolute URL, e.g. new URL('./tasks.js', import.meta.url) (got '${module}')`);
  } else throw typeError(`${facade}(module): module must be a URL or a path string`);
  if (href.protocol === 'file:' && fs !== undefined && url !== undefined && !fs.existsSync(url.fileURLToPath(href))) {
    throw Object.assign(new Error(`${facade}(module): cannot find task module ${href.href}`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  // A browser imports JavaScript only: a .ts module would fail in every worker with a MIME error.
  if (onTheWeb && /\.[mc]?ts$/i.test(href.pathname)) {
    throw unsupported(`${facade}(module): Web Workers cannot import a TypeScript task module (${href.href}): compile it to JavaScript and pass the .js URL`);
  }
  return href.href;
}

/** The validated settings of a pool's workers. */
export interface CrewSettings {
  readonly facade: string;
  readonly module: string;
  readonly size: number;
  readonly minWorkers: number;
  readonly idleTimeout: number;
  readonly initializer: string | undefined;
  readonly initArgs: unknown[];
  readonly maxTasksPerChild: number;
  readonly resourceLimits: ResourceLimits | undefined;
}

/** Check a facade's module, worker count and options (TypeError / RangeError / ERR_MODULE_NOT_FOUND). */
export function crewSettings(module: unknown, workers: unknown, options: EngineOptions, facade: string, workersOption: string): CrewSettings {
  if (typeof options !== 'object' || options === null) throw typeError(`${facade} options must be an object`);
  checkKnown(options, facade, workersOption);
  const href = moduleHref(module, facade);
  const size = checkCount(workers, `${facade} options.${workersOption}`, cpuCount(), MAX_WORKERS);
  const maxTasksPerChild = checkCount(options.maxTasksPerChild, `${facade} options.maxTasksPerChild`, 0);
  // Pool keeps all its workers by default (Python's processes=N), Executor starts them on demand.
  const minWorkers = checkCount(options.minWorkers, `${facade} options.minWorkers`, facade === 'Pool' ? size : 0, size, 0);
  const { idleTimeout = IDLE_TIMEOUT_MS } = options;
  if (typeof idleTimeout !== 'number') throw typeError(`${facade} options.idleTimeout must be a number of milliseconds, got ${typeof idleTimeout}`);
  if (!(idleTimeout >= 0)) throw rangeError(`${facade} options.idleTimeout must be >= 0 milliseconds (or Infinity), got ${idleTimeout}`);
  const { initializer, initArgs = [] } = options;
  if (initializer !== undefined && (typeof initializer !== 'string' || initializer === '')) {
    throw typeError(`${facade} options.initializer must be the name of an export of the task module`);
  }
  if (!Array.isArray(initArgs)) throw typeError(`${facade} options.initArgs must be an array`);
  if (onTheWeb && options.resourceLimits !== undefined) {
    throw unsupported(`${facade} options.resourceLimits: Web Workers have no memory limits (only Node's worker_threads do)`);
  }
  return { facade, module: href, size, minWorkers, idleTimeout, initializer, initArgs, maxTasksPerChild, resourceLimits: options.resourceLimits };
}

/**
 * Byte capacity of the init Queue: room for one copy of the initArgs per worker and one more (a
 * replacement's copy), however large they are; none without an initializer. Encoding them here
 * also makes initArgs that cannot cross fail at the constructor (ERR_UNSERIALIZABLE).
 */
function initBytes(settings: CrewSettings): number {
  if (settings.initializer === undefined) return 1;
  const copy = chunksFor(encode(settings.initArgs).length) * CHUNK;
  return Math.max(DEFAULT_BYTES, copy * (settings.size + 1));
}

/** The workers of one pool. */
export class Crew {
  readonly #settings: CrewSettings;
  readonly #slots: Slots;
  readonly #tasks: Queue<unknown>;
  readonly #results: Queue<unknown>;
  readonly #init: Queue<unknown[]>;
  readonly #events: CrewEvents;
  readonly #workers: (Running | undefined)[];
  /** Each worker's sabsync id, as it stored it (WorkerStart.ids). */
  readonly #ids: Int32Array;
  #exitWaiters: (() => void)[] = [];
  /** Indexes reserved for a worker being started on demand (its initArgs copy on the way). */
  readonly #reserved = new Set<number>();
  /** Worker-milliseconds lived by exited workers, and the live ones' start times (utilization). */
  #pastWorkerMs = 0;
  readonly #born: number[];
  /** Deaths outside any task in a row, and the settled count at the last one (respawn policy). */
  #idleDeaths = 0;
  #settledAtIdleDeath = -1;

  /** Start `settings.size` workers on the given control block and channels. */
  constructor(settings: CrewSettings, slots: Slots, tasks: Queue<unknown>, results: Queue<unknown>, events: CrewEvents) {
    this.#settings = settings;
    this.#slots = slots;
    this.#tasks = tasks;
    this.#results = results;
    this.#events = events;
    this.#init = new Queue<unknown[]>(0, { maxWaiters: 2, bytes: initBytes(settings) });
    this.#workers = new Array(settings.size).fill(undefined);
    this.#ids = new Int32Array(new SharedArrayBuffer(4 * settings.size));
    this.#born = new Array(settings.size).fill(0);
    // Encoded once here, so initArgs that cannot cross fail at the call (ERR_UNSERIALIZABLE).
    if (settings.initializer !== undefined) this.#init.putNowait(settings.initArgs);
    // One copy of the initArgs per first worker, put before any worker exists (so no blocking
    // put can meet a dead holder). Later ones get theirs in #grow and #onExit.
    const first = settings.minWorkers;
    if (settings.initializer !== undefined) for (let w = 1; w < first; w++) this.#init.putNowait(settings.initArgs);
    if (first === 0 && settings.initializer !== undefined) this.#init.getNowait(); // only the check
    for (let w = 0; w < first; w++) this.#spawn(w);
  }

  /** The fewest workers kept alive while idle. */
  get minWorkers(): number {
    return this.#settings.minWorkers;
  }

  /** Workers alive or starting. */
  get alive(): number {
    let n = this.#reserved.size;
    for (const r of this.#workers) if (r !== undefined) n++;
    return n;
  }

  /** Worker-milliseconds lived so far, by every worker of the pool. */
  workerMs(): number {
    let ms = this.#pastWorkerMs;
    const now = performance.now();
    for (let w = 0; w < this.#workers.length; w++) if (this.#workers[w] !== undefined) ms += now - this.#born[w]!;
    return ms;
  }

  /** Start workers until `wanted` are alive or starting (workers on demand). */
  grow(wanted: number): void {
    for (let n = this.alive; n < wanted; n++) {
      const w = this.#workers.findIndex((r, i) => r === undefined && !this.#reserved.has(i));
      if (w < 0) return;
      if (this.#settings.initializer === undefined) {
        this.#spawn(w);
        continue;
      }
      // The init Queue is only ever used with its async twins here (a dead worker may hold it).
      this.#reserved.add(w);
      void this.#init.putAsync(this.#settings.initArgs).then(() => {
        this.#reserved.delete(w);
        if (this.#events.replace()) this.#spawn(w);
      });
    }
  }

  /**
   * Terminate worker `w` if it still runs a task that overran its timeout (and its grace period:
   * stops.ts); it is replaced like any dead worker. KILLING[w] is set before the look and
   * cleared if `w` is spared, so a `w` that finished the task meanwhile waits for the verdict
   * instead of claiming its next task, which the termination would take down (slots.ts).
   */
  kill(w: number): void {
    const running = this.#workers[w];
    if (running === undefined || running.killed === true) return;
    this.#slots.setKilling(w, true);
    if (this.#slots.runsTimedOut(w)) {
      running.killed = true;
      running.worker.terminate();
    } else this.#slots.setKilling(w, false);
  }

  /** The live workers, as the runtime's own objects (Node's `Worker`; a Web `Worker`): a test hook. */
  get workers(): Worker[] {
    return this.#workers.flatMap((r) => (r === undefined ? [] : [r.worker.native as Worker]));
  }

  /** Terminate every live worker; resolves once they have exited. */
  async terminate(): Promise<void> {
    for (const r of this.#workers) r?.worker.terminate();
    await this.exited();
  }

  /** Resolve once every worker has exited (keeping Node alive meanwhile). */
  async exited(): Promise<void> {
    if (this.#workers.every((r) => r === undefined)) return;
    for (const r of this.#workers) r?.worker.ref();
    await new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
  }

  /** Start worker `w`; a copy of the initArgs waits for it on the init Queue. */
  #spawn(w: number): void {
    const s = this.#settings;
    const workerData: WorkerStart = {
      facade: s.facade,
      module: s.module,
      index: w,
      workers: s.size,
      slots: this.#slots.count,
      control: this.#slots.buffer,
      tasks: this.#tasks.handle,
      results: this.#results.handle,
      init: this.#init.handle,
      initializer: s.initializer,
      maxTasksPerChild: s.maxTasksPerChild,
      minWorkers: s.minWorkers,
      idleTimeout: s.idleTimeout,
      ids: this.#ids.buffer as SharedArrayBuffer,
    };
    this.#slots.setCurrent(w, STARTING);
    // Its id cleared before KILLING: a terminated worker still running (see worker.ts, after
    // its verdict) that this wakes finds it is not worker w any more.
    Atomics.store(this.#ids, w, 0);
    this.#slots.setKilling(w, false);
    const running: Running = {
      worker: startWorker(WORKER_URL, {
        data: workerData,
        resourceLimits: s.resourceLimits as Record<string, number> | undefined,
        onMessage: (message) => {
          if (isLink(message)) {
            running.link = message.port;
            adoptLink(message.port);
            return;
          }
          const m = message as { ready?: string[]; names?: string[]; initError?: ErrorDescription };
          if (m.ready !== undefined) this.#events.ready(m.ready, m.names ?? []);
          if (m.initError !== undefined) this.#failed(rebuildError(m.initError));
        },
        onExit: (code, error) => {
          if (running.link !== undefined) dropLink(running.link);
          running.error ??= error;
          void this.#onExit(w, running, code);
        },
      }),
    };
    this.#workers[w] = running;
    this.#born[w] = performance.now();
    this.#slots.addLive(1);
    // After its listeners are added (startWorker adds them): adding one refs a Node worker again.
    running.worker.unref();
  }

  /**
   * The sabsync id of worker `w`, which has exited: from the runtime's thread id (Node), else
   * as the worker stored it (0 if it died before: it then held nothing shared).
   */
  #idOf(w: number, running: Running): number {
    return running.worker.threadId >= 0 ? sabsyncIdOf(running.worker.threadId) : Atomics.load(this.#ids, w);
  }

  async #onExit(w: number, running: Running, code: number): Promise<void> {
    this.#workers[w] = undefined;
    // Index w stays reserved until its replacement starts (or none will): a worker started on
    // demand meanwhile must not take it while the engine still judges the dead one's tasks by it.
    this.#reserved.add(w);
    this.#pastWorkerMs += performance.now() - this.#born[w]!;
    // Its WATCHER token given back at once: while a watcher holds it the owner wakes no sleeper
    // for what it puts (slots.ts needsTaker), and the recovery below may take a while.
    this.#slots.unwatch(w);
    // Counted out of SLEEPERS, wherever in its sleep path it died (its bit set or not: slots.ts
    // says why that is exact): a dead worker left counted would cost every later put a notify.
    this.#slots.uncountSleeper(w);
    const id = this.#idOf(w, running);
    if (id !== 0) {
      // Recorded dead first: any thread that meets a lock it held takes it over (rawlock.ts).
      markDead(id);
      // Never blocks: a lock another thread holds is waited for on this event loop, which goes on
      // handling exits — the holder may be another dead worker, recorded when its exit comes.
      await Promise.all([this.#tasks, this.#results, this.#init].map((q) => (q as Queue<unknown>)[recoverQueue](id)));
    }
    const current = this.#slots.current(w);
    if (current !== LEFT) this.#slots.addLive(-1); // one that left took itself out of LIVE
    this.#slots.setCurrent(w, IDLE);
    const starting = current === STARTING || current === QUIT;
    if (starting && running.error !== undefined) this.#failed(running.error);
    else if (current === QUIT) this.#events.initFailed(undefined, `it exited with code ${code} while importing the task module or running the initializer`);
    const wasRunning = await this.#events.exited(w, current, running.error, code);
    // terminate() exits with code 1, or 0 while the worker is still starting (no QUIT mark).
    const killed = running.error === undefined && (code === 1 || current === STARTING);
    const delay = wasRunning || killed || current === RETIRED || current === LEFT ? 0 : this.#idleDeathDelay();
    if (current !== LEFT && this.#events.replace()) {
      // Unref'd: pending tasks keep Node alive (engine.ts), an idle pool must not.
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref?.());
      if (this.#settings.initializer !== undefined) await this.#init.putAsync(this.#settings.initArgs);
      this.#reserved.delete(w);
      if (this.#events.replace()) this.#spawn(w);
    }
    this.#reserved.delete(w);
    // One that left idle is replaced only if work came meanwhile (its wake-up may be lost).
    if (current === LEFT) this.grow(this.#events.wanted());
    if (this.#workers.every((r) => r === undefined)) for (const resolve of this.#exitWaiters.splice(0)) resolve();
  }

  /** Count a death outside any task; returns how long its replacement waits (respawn policy). */
  #idleDeathDelay(): number {
    const settled = this.#events.settled();
    this.#idleDeaths = settled === this.#settledAtIdleDeath ? this.#idleDeaths + 1 : 1;
    this.#settledAtIdleDeath = settled;
    return this.#idleDeaths < 2 ? 0 : Math.min(RESPAWN_MAX_MS, RESPAWN_DELAY_MS * 2 ** (this.#idleDeaths - 2));
  }

  /** A worker could not start because of `error`. */
  #failed(error: unknown): void {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#events.initFailed(error, why);
  }
}
