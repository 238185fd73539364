/**
 * The workers of one pool (engine.ts): their options, starting them, and what follows a
 * worker's `exit`. Task-level recovery is the engine's (`CrewEvents.exited`).
 *
 * After worker w exits — a crash, a retirement (`maxTasksPerChild`) or `terminate()` — the crew
 * first records it dead in the liveness table (liveness.ts: from then on any thread that meets
 * a lock it held, in any primitive, takes it over and repairs it), then releases whatever part
 * of each of its own Queues the dead thread still held (`recoverQueue`: purges its waits and
 * repairs each waiter list, takes the queue lock over if it died holding it and rolls back its
 * half-done operation). It never blocks its thread doing so: a waiter-list lock another thread
 * holds is waited for with async parks, so further exits are handled meanwhile (the holder may
 * be another dead worker, recorded dead when its own exit comes). Then it reads the dead worker's
 * CURRENT word (slots.ts), resets it to IDLE, lets the engine settle what the worker left, and
 * starts a replacement unless the pool is stopping. Replacements with an initializer get their
 * copy of the initArgs on the init Queue before they start.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { rangeError, typeError } from '../primitives/errors.js';
import { markDead } from '../primitives/liveness.js';
import { sabsyncIdOf } from '../primitives/thread.js';
import { Queue, recoverQueue } from '../queue/queue.js';
import { rebuildError, type ErrorDescription } from './remote.js';
import { IDLE, MAX_WORKERS, type Slots } from './slots.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Options shared by both facades (the worker count is named by each facade). */
export interface EngineOptions {
  initializer?: string | undefined;
  initArgs?: unknown[] | undefined;
  maxTasksPerChild?: number | undefined;
  resourceLimits?: ResourceLimits | undefined;
}

/** Data a worker starts with (worker.ts reads it). */
export interface WorkerStart {
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
}

/** What the crew tells its engine. */
export interface CrewEvents {
  /** A worker imported the module: the names of its function exports. */
  ready(exports: string[]): void;
  /** The initializer (or the module's import) failed in a worker. */
  initFailed(cause: Error): void;
  /** Worker `w` exited and its Queue holdings are recovered; `current`: its last CURRENT word. */
  exited(w: number, current: number, error: unknown, code: number): Promise<void>;
  /** Whether to start a replacement for a worker that exited. */
  replace(): boolean;
}

interface Running {
  readonly worker: Worker;
  readonly id: number;
  error?: unknown;
}

function checkCount(value: unknown, option: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw typeError(`${option} must be a positive integer, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw rangeError(`${option} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Resolve the task module given to a facade to a URL string, checking a file exists. */
function moduleHref(module: unknown, facade: string): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module !== '') url = /^[a-z][a-z0-9+.-]+:/i.test(module) ? new URL(module) : pathToFileURL(module);
  else throw typeError(`${facade}(module): module must be a URL or a path string`);
  if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
    throw Object.assign(new Error(`${facade}(module): cannot find task module ${url.href}`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return url.href;
}

/** The validated settings of a pool's workers. */
export interface CrewSettings {
  readonly module: string;
  readonly size: number;
  readonly initializer: string | undefined;
  readonly initArgs: unknown[];
  readonly maxTasksPerChild: number;
  readonly resourceLimits: ResourceLimits | undefined;
}

/** Check a facade's module, worker count and options (TypeError / RangeError / ERR_MODULE_NOT_FOUND). */
export function crewSettings(module: unknown, workers: unknown, options: EngineOptions, facade: string, workersOption: string): CrewSettings {
  if (typeof options !== 'object' || options === null) throw typeError(`${facade} options must be an object`);
  const href = moduleHref(module, facade);
  const size = checkCount(workers, `${facade} options.${workersOption}`, availableParallelism(), MAX_WORKERS);
  const maxTasksPerChild = checkCount(options.maxTasksPerChild, `${facade} options.maxTasksPerChild`, 0);
  const { initializer, initArgs = [] } = options;
  if (initializer !== undefined && (typeof initializer !== 'string' || initializer === '')) {
    throw typeError(`${facade} options.initializer must be the name of an export of the task module`);
  }
  if (!Array.isArray(initArgs)) throw typeError(`${facade} options.initArgs must be an array`);
  return { module: href, size, initializer, initArgs, maxTasksPerChild, resourceLimits: options.resourceLimits };
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
  #exitWaiters: (() => void)[] = [];

  /** Start `settings.size` workers on the given control block and channels. */
  constructor(settings: CrewSettings, slots: Slots, tasks: Queue<unknown>, results: Queue<unknown>, events: CrewEvents) {
    this.#settings = settings;
    this.#slots = slots;
    this.#tasks = tasks;
    this.#results = results;
    this.#events = events;
    this.#init = new Queue<unknown[]>(0, { maxWaiters: 2 });
    this.#workers = new Array(settings.size).fill(undefined);
    // One copy of the initArgs per worker, put before any worker exists (so no blocking put can
    // meet a dead holder); ERR_UNSERIALIZABLE here, at the call. Replacements get theirs in #onExit.
    if (settings.initializer !== undefined) for (let w = 0; w < settings.size; w++) this.#init.putNowait(settings.initArgs);
    for (let w = 0; w < settings.size; w++) this.#spawn(w);
  }

  /** The live `Worker` objects. */
  get workers(): Worker[] {
    return this.#workers.flatMap((r) => (r === undefined ? [] : [r.worker]));
  }

  /** Terminate every live worker; resolves once they have exited. */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
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
    };
    const worker = new Worker(WORKER_URL, { workerData, resourceLimits: s.resourceLimits });
    const running: Running = { worker, id: sabsyncIdOf(worker.threadId) };
    this.#workers[w] = running;
    this.#slots.setCurrent(w, IDLE);
    worker.unref();
    worker.on('message', (m: { ready?: string[]; initError?: ErrorDescription }) => {
      if (m.ready !== undefined) this.#events.ready(m.ready);
      if (m.initError !== undefined) this.#events.initFailed(rebuildError(m.initError));
    });
    worker.on('error', (error) => (running.error ??= error));
    worker.on('exit', (code) => void this.#onExit(w, running, code));
  }

  async #onExit(w: number, running: Running, code: number): Promise<void> {
    this.#workers[w] = undefined;
    // Recorded dead first: any thread that meets a lock it held takes it over (rawlock.ts).
    markDead(running.id);
    // Never blocks: a lock another thread holds is waited for on this event loop, which goes on
    // handling exits — the holder may be another dead worker, recorded when its exit comes.
    await Promise.all([this.#tasks, this.#results, this.#init].map((q) => (q as Queue<unknown>)[recoverQueue](running.id)));
    const current = this.#slots.current(w);
    this.#slots.setCurrent(w, IDLE);
    await this.#events.exited(w, current, running.error, code);
    if (this.#events.replace()) {
      if (this.#settings.initializer !== undefined) await this.#init.putAsync(this.#settings.initArgs);
      if (this.#events.replace()) this.#spawn(w);
    }
    if (this.#workers.every((r) => r === undefined)) for (const resolve of this.#exitWaiters.splice(0)) resolve();
  }
}
