/**
 * The engine under `Pool` and `Executor`: worker threads (started and replaced by crew.ts) that
 * pull tasks from a shared task Queue themselves and write results into the task slots of the
 * control block (slots.ts, items.ts), a result Queue for the results that cannot go there, and
 * task-level crash recovery. This file owns the tasks' lives on the owning thread: submit,
 * settle, cancel, stop, close, statistics and recovery; the task side (backlog → slot →
 * channel) is feed.ts, the result side (DONE_COUNT → take → settle) is pump.ts, the backlog is
 * backlog.ts, signals and timeouts are stops.ts, what crosses to the workers is items.ts.
 *
 * Life of a task. `submit` puts it in the owner's backlog; the feed binds it to a free task
 * slot (STATE = GEN|PENDING) and announces it on the task Queue. A worker takes it (CURRENT =
 * TAKING while it does, until its claim), claims it with CAS(GEN|PENDING -> w|GEN|RUNNING)
 * (CURRENT = BUSY), runs it and publishes the result (READY in its slot, or an item on the
 * result Queue), then bumps DONE_COUNT. The pump takes the results, has the freed slots fed,
 * and settles the Futures through `#settle`. So a worker never waits for the owning thread
 * between tasks, and the slot count (TASK_SLOTS) bounds how much of the backlog sits in shared
 * memory. Cancel and crash stay per task: each task has its own STATE word.
 *
 * Invariants:
 *   - a task is in exactly one place: the backlog, bound to a slot (`#bound`, its STATE word
 *     GEN|PENDING/RUNNING/READY), taken (pump.ts), or settled; `unsettled` counts the first
 *     three;
 *   - a slot is bound again only after its task settled (or was cancelled): from its result,
 *     or from its claimer's death (its `exit` event: the thread runs no more);
 *   - the owner never blocks on a Queue (feed.ts, pump.ts): a worker killed while holding a
 *     Queue's lock is recovered by the owner's own `exit` handler, which a blocked owner would
 *     never run.
 *
 * Crash recovery (a worker's `exit` when it did not retire). The crew (crew.ts) first releases
 * whatever part of each Queue the dead thread still held. Then the engine settles every READY
 * slot and drains results already queued, and:
 *   - the task whose STATE names the dead worker as its claimer (RUNNING), and only it, fails
 *     with WorkerCrashedError;
 *   - if the dead worker's CURRENT was TAKING (it may have taken a task from the Queue and died
 *     before claiming it), every bound task still PENDING is put on the task Queue again (its
 *     area still holds it: nobody writes an area between the bind and the claim). A copy of a
 *     task that is still queued is harmless: the claim CAS lets only one copy run, a copy that
 *     loses reads nothing, and copies of a settled task carry an old GEN;
 *   - a worker that died counted in SLEEPERS (asleep or about to be) was counted out by the
 *     crew (crew.ts, slots.ts).
 * Then the crew starts a replacement worker, unless the dead worker could not start (crew.ts):
 * then `#break` fails every task, pending and later. `maxTasksPerChild` retirements (CURRENT =
 * RETIRED) only start a replacement (a worker retires right after a task: it holds none).
 *
 * Abort and timeout. `Future.abort()` (or the caller's `signal`) cancels a task not started
 * (the STATE CAS); for a running one `stopTask` records the reason and writes the slot's ABORT
 * word (slots.ts), which the task reads as `currentTask().aborted` and its signal. The task
 * settles with the reason however it ends — a value, an error, or its worker's death.
 *
 * Workers on demand. After each put the crew starts workers up to `#wanted()` = the tasks in
 * shared memory, within minWorkers..maxWorkers; idle workers above minWorkers leave by
 * themselves (worker.ts, LIVE in slots.ts) and a worker that left is replaced only if work came.
 * stats() counts settled tasks by outcome (an aborted one as cancelled, a timed-out one as
 * failed) and records wait time (submit to STARTED) and run time (STARTED to settle, or the
 * worker's own measure for a result taken from its slot) in fixed-size histograms (stats.ts):
 * a few integer operations per task.
 */
import type { Worker } from 'node:worker_threads';
import { PoolClosedError, WorkerCrashedError, typeError } from '../primitives/errors.js';
import { Queue, shutdownAsync } from '../queue/queue.js';
import { refuseWhileBootstrapping } from '../primitives/thread.js';
import { Crew, crewSettings, type EngineOptions } from './crew.js';
import { setException, setResult, type Future } from './future.js';
import { noSuchExport } from './remote.js';
import { SlotAreas, type ResultItem, type TaskItem } from './items.js';
import { ABORTED, PENDING, RUNNING, TAKING, Slots, clock, now } from './slots.js';
import { Backlog } from './backlog.js';
import { Stops } from './stops.js';
import { Feed, tasksPut, type FeedOwner } from './feed.js';
import { feedTasks, Pump, retryRefused, settleTask, takenOut, type PumpOwner } from './pump.js';
import { dropCancelled, FN, GEN, MAX_TASK_SLOTS, SLOT, STOP, stopTask, TAKEN, Task, TaskUpkeep, UPKEEP, UPKEPT, type TaskOwner } from './task.js';
import type { TaskOptions } from './options.js';
import { Histogram, type PoolStats } from './stats.js';

/**
 * Task slots: how many tasks (or map chunks) may be in shared memory at once, queued or
 * running. Enough that workers always find the next task waiting while the owner refills the
 * channel between its turns of the event loop; few enough that a backlog of a million tasks
 * stays in the owner's memory, where cancelling it costs nothing.
 */
export const TASK_SLOTS = 512;
// A task keeps its slot in 10 bits (task.ts).
if (TASK_SLOTS > MAX_TASK_SLOTS) throw new Error('TASK_SLOTS exceeds MAX_TASK_SLOTS');

/**
 * Byte capacity of the task and result Queues, and so the most that one task's encoded
 * arguments (or its result) may take: larger ones fail that task with ERR_TOO_LARGE (large data
 * crosses in a SharedArrayBuffer, shared, not copied). Room for TASK_SLOTS tasks of a few
 * hundred bytes in flight each way. Not more: every pool allocates both channels (plus ≈ 25%
 * for their index words), and glibc keeps freed blocks below its 32 MiB mmap threshold
 * resident. Pools created and closed in turn (test/fixtures/lifecycle/churn.mjs) took a process
 * from 49 MB to 547 MB resident after 300 pools with 8 MiB channels (1.2 GB after 1,000), and
 * to 98 MB after 1,000 pools with 1 MiB ones.
 */
export const CHANNEL_BYTES = 1 << 20;

/**
 * Items each channel holds at once (its maxsize). A FIFO Queue has one 128-byte ring slot per
 * item it may hold, written when the Queue is made, so the slot count is resident memory: left
 * at the default (one per 64-byte chunk: 16,384 for 1 MiB), 2 MiB per channel, which put the
 * churn above at +262 MB after 60 pools. A channel carries at most one number or item per bound
 * task (TASK_SLOTS), plus copies put again after a death and the items of cancelled tasks not yet
 * taken; a put that finds it full is put again later (REFUSED, slots.ts).
 */
const CHANNEL_ITEMS = 4 * TASK_SLOTS;

/** Test hook: the live `Worker` objects of a pool (not part of the public API). */
export const poolWorkers = Symbol.for('sabsync.poolWorkers');

/** One pool of workers serving one task module. */
export class Engine implements TaskOwner, PumpOwner, FeedOwner {
  readonly #facade: string;
  readonly #module: string;
  readonly #size: number;
  readonly #tasks: Queue<TaskItem>;
  readonly #slots: Slots;
  readonly #areas: SlotAreas;
  readonly #crew: Crew;
  readonly #bound: (Task | undefined)[] = new Array(TASK_SLOTS).fill(undefined);
  readonly #backlog = new Backlog();
  #exports: Set<string> | undefined;
  #closed = false;
  #stopping = false;
  #broken: Error | undefined;
  /** Tasks settled by #settle so far (the crew's respawn policy reads it). */
  #settledCount = 0;
  #idleWaiters: (() => void)[] = [];
  /** The result side (pump.ts) and the task side (feed.ts). */
  readonly #pump: Pump;
  readonly #feed: Feed;
  /** `performance.timeOrigin`: with `now()`, slots.ts `clock` without its allocations. */
  readonly #timeOrigin = performance.timeOrigin;
  /** Submit time (`clock`, ms) of each bound slot's task: a Float64Array, not a heap number per task. */
  readonly #submitted = new Float64Array(TASK_SLOTS);
  readonly #stops: Stops;
  // stats()
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #crashed = 0;
  readonly #runTime = new Histogram();
  readonly #waitTime = new Histogram();

  constructor(module: unknown, workers: unknown, options: EngineOptions, facade: string, workersOption: string) {
    refuseWhileBootstrapping(`cannot create a ${facade}`);
    const settings = crewSettings(module, workers, options, facade, workersOption);
    this.#facade = facade;
    this.#module = settings.module;
    this.#size = settings.size;
    const channel = { bytes: CHANNEL_BYTES, maxWaiters: this.#size + 2 };
    this.#tasks = new Queue<TaskItem>(CHANNEL_ITEMS, channel);
    const results = new Queue<ResultItem>(CHANNEL_ITEMS, channel);
    this.#slots = new Slots(this.#size, TASK_SLOTS);
    this.#areas = new SlotAreas(this.#slots);
    this.#pump = new Pump(this, this.#slots, this.#areas, this.#tasks, results, this.#bound);
    this.#feed = new Feed(this, facade, this.#slots, this.#areas, this.#tasks, CHANNEL_BYTES, this.#backlog, this.#pump, this.#bound, this.#submitted);
    this.#stops = new Stops(facade, this.#slots, (w) => this.#crew.kill(w));
    this.#crew = new Crew(settings, this.#slots, this.#tasks, results, {
      ready: (exports, names) => {
        this.#exports ??= new Set(exports);
        this.#feed.named(names);
      },
      initFailed: (cause, why) => this.#break(cause, why),
      exited: (w, current, error, code) => this.#onExit(w, current, error, code),
      settled: () => this.#settledCount,
      replace: () => !this.#stopping && this.#broken === undefined,
      wanted: () => this.#wanted(),
    });
  }

  /** The most workers. */
  get size(): number {
    return this.#size;
  }

  /** The control block (TaskOwner: a task's cancel and running() read its STATE word there). */
  get taskSlots(): Slots {
    return this.#slots;
  }

  /** The fewest workers kept alive while idle. */
  get minWorkers(): number {
    return this.#crew.minWorkers;
  }

  /** Workers the pool should have now: enough for the tasks in shared memory, within min..max. */
  #wanted(): number {
    if (this.#stopping || this.#broken !== undefined) return 0;
    return Math.min(this.#size, Math.max(this.#crew.minWorkers, this.#slots.count - this.#slots.available));
  }

  /** The pool's statistics now (stats.ts). */
  stats(): PoolStats {
    let busy = 0;
    let queued = this.#backlog.waiting;
    let runningMs = 0;
    const now = clock();
    for (const task of this.#bound) {
      if (task === undefined) continue;
      const st = this.#slots.stateOf(task[SLOT], task[GEN]);
      if (st === PENDING) queued++;
      else if (st === RUNNING) {
        busy++;
        const started = this.#slots.started[task[SLOT]]!;
        if (started === started) runningMs += Math.max(0, now - started);
      }
    }
    const workerMs = this.#crew.workerMs();
    const utilization = workerMs > 0 ? Math.min(1, (this.#runTime.sum + runningMs) / workerMs) : 0;
    return {
      workers: this.#crew.alive,
      busy,
      queued,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      crashed: this.#crashed,
      runTime: this.#runTime.summary(),
      waitTime: this.#waitTime.summary(),
      utilization,
    };
  }

  /** Whether `close()` / `terminate()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Tasks submitted and not yet settled (backlog, queued and running). */
  get unsettled(): number {
    return this.#backlog.waiting + this.#slots.count - this.#slots.available + this.#pump.taken;
  }

  /** Test hook. */
  get [poolWorkers](): Worker[] {
    return this.#crew.workers;
  }

  /**
   * Submit a call of export `fn` with `args` (or, with `chunk` 1, a list of argument lists
   * whose results come back as one array). Returns its Future. Throws `PoolClosedError` after
   * close; argument problems (unknown export, uncloneable arguments) reject the Future.
   */
  submit<R>(fn: string, args: unknown[], chunk: 0 | 1 = 0, options?: TaskOptions): Future<R> {
    return this.#submit(fn, args, chunk, options, false);
  }

  /**
   * `submit(fn, [arg])`, the task keeping `arg` alone until its bind (task.ts ONE_ARG): no list
   * per task (`Executor.submit` of one argument, the common call).
   */
  submitOne<R>(fn: string, arg: unknown): Future<R> {
    return this.#submit(fn, arg, 0, undefined, true);
  }

  #submit<R>(fn: string, args: unknown, chunk: 0 | 1, options: TaskOptions | undefined, one: boolean): Future<R> {
    this.assertOpen();
    if (typeof fn !== 'string' || fn === '') throw typeError(`${this.#facade}: fn must be the name of an export of the task module`);
    const task = new Task(this, fn, args, chunk, one);
    const future = task as Future<unknown> as Future<R>;
    const refusal = this.#broken ?? this.#unknownExport(fn);
    if (refusal !== undefined) {
      this.#failed++;
      task[setException](refusal);
      return future;
    }
    this.#backlog.push(task, this.#timeOrigin + now());
    if (options !== undefined && (options.signal !== undefined || options.timeout !== undefined)) {
      const signal = options.signal;
      if (signal?.aborted) {
        task.cancel(); // exactly as cancel() of a task in the backlog, which the feed skips
        return future;
      }
      task[UPKEEP] = new TaskUpkeep(options.timeout);
      if (signal !== undefined) this.#stops.listen(task, signal);
      if (options.timeout !== undefined) this.#stops.armTimeout(task, options.timeout);
    }
    if (this.#slots.available === 0) this.#pump.takeEarly(this.#backlog.waiting);
    this.#feed.feed();
    return future;
  }

  // -------------------------------------------------------------------------------------------
  // Abort and timeout

  /**
   * Ask a running task to stop (`kind` ABORTED or TIMED_OUT): its ABORT word is written, so its
   * signal fires and `aborted` reads true; its future rejects with `reason` once it stops. The
   * first request wins. A task no worker has started is cancelled by the Future before this.
   */
  [stopTask](task: Task, kind: number, reason: unknown): void {
    if (task.done() || task[STOP] !== 0) return;
    if (task[SLOT] === TAKEN) {
      // Its result is taken, not settled yet: it settles with the reason, as one READY would.
      task[STOP] = kind;
      task[UPKEPT]().reason = reason;
      return;
    }
    if (task[SLOT] < 0) return;
    task[STOP] = kind;
    task[UPKEPT]().reason = reason;
    this.#slots.abort(task[SLOT], task[GEN], kind);
  }

  /** Throw `PoolClosedError` if the pool accepts no more tasks. */
  assertOpen(): void {
    if (this.#closed) throw new PoolClosedError(`${this.#facade} is closed: no new tasks`);
  }

  /** Stop accepting tasks; workers leave once every submitted task is settled. */
  close(): void {
    this.#closed = true;
    this.#settleIdle();
  }

  /** Cancel every task no worker has started. */
  cancelPending(): void {
    this.#backlog.forEach((task) => task.cancel());
    for (const task of this.#bound) task?.cancel();
  }

  /** Resolve once the pool is closed, every task is settled and every worker has exited. */
  async join(): Promise<void> {
    if (this.unsettled > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#settleIdle();
    await this.#crew.exited();
  }

  /**
   * Stop now: tasks not started are cancelled, running ones fail with `PoolClosedError`, the
   * workers are terminated. Resolves once they have exited.
   */
  async terminate(): Promise<void> {
    this.#closed = true;
    this.#stopping = true;
    this.cancelPending();
    this.#pump.settleAllTaken(); // they ran: their results stand
    const stopped = new PoolClosedError(`${this.#facade} was terminated while this task was running`);
    for (const task of this.#bound) if (task !== undefined) this.#settle(task, 0, stopped);
    await this.#crew.terminate();
    await this.join();
  }

  // -------------------------------------------------------------------------------------------
  // Feeding the task channel and reading results

  /**
   * Settle a task with a value (`ok` 1) or an error, free its slot and feed the next one. A task
   * asked to stop (abort, timeout) settles with its stop reason, whatever it returned.
   */
  #settle(task: Task, ok: 0 | 1, value: unknown): void {
    this.#settledCount++;
    if (task[STOP] !== 0) {
      ok = 0;
      value = task[UPKEEP]!.reason;
    }
    const slot = task[SLOT];
    if (slot >= 0) {
      const started = this.#slots.started[slot]!;
      if (started === started) {
        this.#waitTime.record(started - this.#submitted[slot]!);
        this.#runTime.record(this.#timeOrigin + now() - started);
      }
      this.#unbind(task);
    }
    if (task[UPKEEP] !== undefined) this.#stops.forget(task);
    if (ok) this.#completed++;
    else if (task[STOP] === ABORTED) this.#cancelled++;
    else if (value instanceof WorkerCrashedError) this.#crashed++;
    else this.#failed++;
    if (ok) task[setResult](value);
    else task[setException](value);
    if (!this.#pump.collecting) this.#feed.feed();
    this.#settleIdle();
  }

  /** Free a settled or cancelled task's slot. */
  #unbind(task: Task): void {
    this.#bound[task[SLOT]] = undefined;
    this.#slots.release(task[SLOT], task[GEN]);
    task[SLOT] = -1;
    if (this.#slots.available === this.#slots.count) this.#pump.allFree();
  }

  // PumpOwner (pump.ts)

  [feedTasks](): void {
    this.#feed.feed();
  }

  [retryRefused](): void {
    this.#feed.retryRefused();
  }

  [settleTask](task: Task, ok: 0 | 1, value: unknown): void {
    this.#settle(task, ok, value);
  }

  /** FeedOwner: start the workers the tasks in shared memory want. */
  [tasksPut](): void {
    this.#crew.grow(this.#wanted());
  }

  /** Record a taken task's latencies (its run time: `ranUs`, the worker's measure) and free its slot. */
  [takenOut](task: Task, ranUs: number): void {
    const slot = task[SLOT];
    const started = this.#slots.started[slot]!;
    if (started === started) {
      this.#waitTime.record(started - this.#submitted[slot]!);
      this.#runTime.record(ranUs / 1000);
    }
    this.#unbind(task);
  }

  /** `Future.cancel()` won: forget the task (a queued copy will find its slot CANCELLED). */
  [dropCancelled](task: Task): void {
    this.#cancelled++;
    this.#stops.forget(task);
    if (task[SLOT] >= 0) {
      this.#unbind(task);
      this.#feed.feed();
    } else this.#backlog.dropped(); // still in the backlog, which the feed will skip
    this.#pump.wake();
    this.#settleIdle();
  }

  #settleIdle(): void {
    if (this.unsettled > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
    if (this.#closed && !this.#stopping) {
      this.#stopping = true;
      void this.#tasks[shutdownAsync]().then(() => this.#slots.wakeIdle(Infinity));
    }
  }

  #unknownExport(fn: string): Error | undefined {
    if (this.#exports === undefined || this.#exports.has(fn)) return undefined;
    return noSuchExport(this.#facade, this.#module, fn, [...this.#exports]);
  }

  // -------------------------------------------------------------------------------------------
  // Workers

  /** A worker cannot start (`why`): fail everything, start no more workers. */
  #break(cause: unknown, why: string): void {
    if (this.#broken !== undefined) return;
    this.#broken = new WorkerCrashedError(`${this.#facade}: a worker failed to start (${why})`, { cause });
    this.#stopping = true;
    const broken = this.#broken;
    this.#backlog.forEach((task) => {
      this.#stops.forget(task);
      if (task[setException](broken)) this.#crashed++;
    });
    this.#backlog.clear();
    this.#pump.settleAllTaken();
    for (const task of this.#bound) if (task !== undefined) this.#settle(task, 0, this.#broken);
    void this.#crew.terminate();
  }

  /**
   * Worker `w` exited (its Queue holdings are recovered): handle the results it sent, fail the
   * task it was running, if any, and put back the tasks it may have taken but not claimed.
   * Resolves to whether it was running a task.
   */
  async #onExit(w: number, current: number, cause: unknown, code: number): Promise<boolean> {
    await this.#pump.drain();
    this.#pump.collect(true);
    let running = false;
    for (const task of this.#bound) {
      if (task === undefined || this.#slots.claimer(task[SLOT], task[GEN]) !== w) continue;
      const why = cause instanceof Error ? `: ${cause.message}` : ` with exit code ${code}`;
      this.#settle(task, 0, new WorkerCrashedError(`the worker running task '${task[FN]}' died${why}`, { cause }));
      running = true;
    }
    if (current === TAKING) this.#feed.requeueUnclaimed();
    // A wake-up handed to a worker as it died is lost with it: hand one to the living.
    this.#slots.wakeIdle(Infinity);
    this.#pump.wake();
    return running;
  }


}
