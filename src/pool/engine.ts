/**
 * The engine under `Pool` and `Executor`: worker threads (started and replaced by crew.ts) that
 * pull tasks from a shared task Queue themselves and write results into the task slots of the
 * control block (slots.ts, items.ts), a result Queue for the results that cannot go there, and
 * task-level crash recovery.
 *
 * Life of a task. `submit` puts it in the owner's backlog. While a task slot is free, `#feed`
 * binds the oldest backlog task to a slot (STATE = GEN|PENDING), writes it into the slot's area
 * (fn index, arguments, chunk, id: items.ts) and puts the task's number `slot, gen` on the task
 * Queue — a FIFO Queue's number takes no lock —, or, when the task does not fit there (large
 * arguments, SharedArrayBuffers or primitives among them, or no worker has reported the
 * module's exports yet), puts the item `[slot, gen, fn, args, chunk, id]` instead. Slots freed by
 * one scan of results are fed together, with one WAKE bump that wakes as many sleepers as tasks
 * are queued (slots.ts: k tasks get k takers). A task the channel refuses as full (its room can
 * be taken by stale entries: numbers or items of cancelled tasks, copies re-queued after a death)
 * is held and put again by the pump once a worker took something (REFUSED, slots.ts). A worker
 * takes a task (CURRENT = TAKING while it does, until its claim), claims it with
 * CAS(GEN|PENDING -> w|GEN|RUNNING) (CURRENT = BUSY), reads its area, runs it and writes the result into the same area (READY
 * set last), or, when it does not fit there or holds SharedArrayBuffers or primitives, puts
 * `[slot, gen, ok, value]` on the result Queue; then it bumps DONE_COUNT. The owner's `#pump`
 * sleeps on DONE_COUNT and, once woken, takes the results of the READY slots it finds out of
 * them (TAKEN, taken.ts), frees their slots (DONE) and feeds the next tasks, and only then
 * settles their Futures — one wake-up for many results, no Promise per result but the Future
 * itself (future.ts) —, and every queued result. A run of `submit()` calls that finds every
 * slot bound takes and feeds the same way, settling nothing (#takeEarly). So a worker never
 * waits for the owning thread between tasks, and the slot count bounds how much of the
 * backlog sits in shared memory. Cancel and crash stay per
 * task: each task has its own STATE word.
 *
 * The owner never blocks on a Queue (it uses only the async twins, but for the put of a task's
 * number, which never waits: `offerNumber` refuses it when the channel is full or a claim —
 * maybe a dead worker's — holds its end, and the task is held as refused; and recovering a dead
 * worker's part of a Queue never blocks it: crew.ts): a worker
 * killed while holding a Queue's lock is recovered by the owner's own `exit` handler, which a
 * blocked owner would never run.
 * Its only busy wait is bounded and touches no lock: before it parks, the pump watches
 * DONE_COUNT for OWNER_WATCH_US, while that keeps paying. Every put
 * on the task channel follows the wake rule of slots.ts, so no queued task waits for a taker.
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
 *   - a worker that died SLEEPING is counted out of SLEEPERS (slots.ts).
 * Then the crew starts a replacement worker, unless the dead worker could not start (crew.ts):
 * then `#break` fails every task, pending and later. `maxTasksPerChild` retirements (CURRENT =
 * RETIRED) only start a replacement (a worker retires right after a task: it holds none).
 *
 * Abort and timeout. `Future.abort()` (or the caller's `signal`) cancels a task not started
 * (the STATE CAS); for a running one `stopTask` records the reason and writes the slot's ABORT
 * word (slots.ts), which the task reads as `currentTask().aborted` and its signal. The task
 * settles with the reason however it ends — a value, an error, or its worker's death. Signals
 * and timeouts are watched by stops.ts; the backlog is backlog.ts; what crosses to the workers,
 * and how, is items.ts.
 *
 * Progress. A progress item `[slot, gen, 2, value]` goes on the result channel (and bumps
 * DONE_COUNT); the slot's PROGRESS word counts such items unread (counted before the put), and
 * the pump settles a READY slot only once it reads 0, so a task's last progress value comes
 * before its result. Reading one takes it off the count, letting the task send the next one
 * (current.ts: latest value wins; the last value is sent at the task's end even while an
 * earlier one is unread).
 *
 * Workers on demand. After each put the crew starts workers up to `#wanted()` = the tasks in
 * shared memory, within minWorkers..maxWorkers; idle workers above minWorkers leave by
 * themselves (worker.ts, LIVE in slots.ts) and a worker that left is replaced only if work came.
 * stats() counts settled tasks by outcome (an aborted one as cancelled, a timed-out one as
 * failed) and records wait time (submit to STARTED) and run time (STARTED to settle) in
 * fixed-size histograms (stats.ts): a few integer operations per task.
 */
import type { Worker } from 'node:worker_threads';
import { PoolClosedError, WorkerCrashedError, typeError } from '../primitives/errors.js';
import { deadlineAfter } from '../primitives/futex.js';
import { offerNumber, Queue, shutdownAsync } from '../queue/queue.js';
import { refuseWhileBootstrapping } from '../primitives/thread.js';
import { Crew, crewSettings, type EngineOptions } from './crew.js';
import { setException, setProgress, setResult, type Future } from './future.js';
import { noSuchExport, rebuildError, tooLarge, type ErrorDescription } from './remote.js';
import { SlotAreas, taskNumber, type ResultItem, type TaskItem } from './items.js';
import { ABORTED, PENDING, RUNNING, SLEEPING, TAKING, Slots, clock } from './slots.js';
import { Backlog } from './backlog.js';
import { Stops } from './stops.js';
import { Taken } from './taken.js';
import { ARGS, CHUNK, dropCancelled, FN, GEN, ID, IN_AREA, SLOT, STOP, stopTask, TAKEN, Task, TaskUpkeep, UPKEEP, UPKEPT, type TaskOwner } from './task.js';
import type { TaskOptions } from './options.js';
import { Histogram, type PoolStats } from './stats.js';
import { macrotask } from '../runtime/worker.js';

/** The pump yields with `setImmediate`, which a browser lacks: the runtime seam's stand-in. */
const setImmediate = macrotask;

/**
 * Task slots: how many tasks (or map chunks) may be in shared memory at once, queued or
 * running. Enough that workers always find the next task waiting while the owner refills the
 * channel between its turns of the event loop; few enough that a backlog of a million tasks
 * stays in the owner's memory, where cancelling it costs nothing.
 */
export const TASK_SLOTS = 512;

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

/**
 * How long the owner watches DONE_COUNT before it parks on it (µs). Measured (bench/pool.bench.mjs,
 * 2 vCPUs): a trivial task's result comes ≈ 5 µs after its task was put, while waking an owner
 * parked in `Atomics.waitAsync` costs ≈ 15–40 µs more, and 100–400 µs when both cores had gone
 * idle (the owner parked while the task's worker was being woken: a VM wakes a halted vCPU
 * slowly). So the owner watches while the tasks it waits for are short — the last result's
 * running time (RAN, items.ts) below OWNER_WATCH_US — and a pool of slow tasks costs it ≈
 * nothing; every WATCH_PROBE-th wait watches anyway, should the tasks have become short.
 * (Before: WATCH_MISSES watches in a row that saw no result stopped the watching; but a miss
 * also came from a slow worker wake-up, and then the owner parked in every round, which
 * kept the rounds slow: see worker.ts on the slow 1%.)
 */
const OWNER_WATCH_US = 30;
/**
 * How long the owner's watch goes on for a task put and not yet claimed (µs). Measured
 * (bench/pool.bench.mjs, 2 vCPUs): a worker woken from its sleep claims a task ≈ 25–30 µs after
 * its put, so a watch of OWNER_WATCH_US from the put ended just before the result came, and the
 * owner parked; its own wake-up then took ≈ 70 µs more, long enough for the worker's watch to
 * give up (worker.ts, OWNER_GONE_US), so the next task had to wake a worker again: one slow
 * round trip kept the next ones slow (runs of 100–200 µs round trips, ≈ 5 % of them).
 */
const OWNER_CLAIM_WATCH_US = 200;
const WATCH_PROBE = 16;

/**
 * While the owner settles the tasks it took, it looks for more results every SETTLE_BATCH
 * tasks (a power of two), and takes them once TAKE_EARLY came, while fewer than TAKEN_MAX are
 * taken and unsettled (#settleTaken).
 */
const SETTLE_BATCH = 64;
const TAKEN_MAX = 2 * TASK_SLOTS;

/**
 * A run of `submit()` calls that finds every task slot bound takes the results that came
 * meanwhile, once this many did, and feeds their slots (#takeEarly): the workers go on while the
 * caller submits, instead of idling from their first TASK_SLOTS tasks until the pump runs.
 */
const TAKE_EARLY = 32;

/** Results handled in one turn before the pump lets the event loop run timers and I/O. */
const RESULTS_PER_TURN = 256;

/** Test hook: the live `Worker` objects of a pool (not part of the public API). */
export const poolWorkers = Symbol.for('sabsync.poolWorkers');

/** One pool of workers serving one task module. */
export class Engine implements TaskOwner {
  readonly #facade: string;
  readonly #module: string;
  readonly #size: number;
  readonly #tasks: Queue<TaskItem>;
  readonly #results: Queue<ResultItem>;
  readonly #slots: Slots;
  readonly #areas: SlotAreas;
  readonly #crew: Crew;
  readonly #bound: (Task | undefined)[] = new Array(TASK_SLOTS).fill(undefined);
  readonly #backlog = new Backlog();
  /** Bound tasks to put on the task channel again (a dead worker may have taken them), or that found it full. */
  readonly #requeue: Task[] = [];
  /** A task in #requeue was refused as full: REFUSED is set, the pump puts it again when a worker takes something. */
  #full = false;
  #exports: Set<string> | undefined;
  /** Each export's index in the module's export names (items.ts: a task in its area names its export so). */
  #fnIndex: Map<string, number> | undefined;
  #closed = false;
  #stopping = false;
  #broken: Error | undefined;
  #pumping = false;
  #feeding = false;
  /** #collect is settling tasks: it feeds once, after them. */
  #collecting = false;
  /** Tasks settled by #settle so far (the crew's respawn policy reads it). */
  #settledCount = 0;
  #idleWaiters: (() => void)[] = [];
  /** The owner's watches in a row that saw no result come, and waits since they stopped paying. */
  #unpaidWaits = 0;
  /** Slot and GEN of the last task put on the task channel (#watchResults), slot -1 before any. */
  #lastPutSlot = -1;
  #lastPutGen = 0;
  /** Running time of the last task settled, µs (#watchResults). */
  #lastRunUs = 0;
  /** The pump waits in the result Queue's getAsync (an exit's drain may take its item). */
  #queueWait = false;
  /** Bound slots lie below this index (the pump's scan ends there; the free stack reuses low slots first). */
  #scanEnd = 0;
  /** The scan of READY slots (#collectReady): DONE_COUNT as it last read it, the bumps it has not matched with a result, where it goes on. */
  #scanSeen = 0;
  #owed = 0;
  #cursor = 0;
  /** Tasks #take took out of their slots, with their results, not settled yet (taken.ts). */
  readonly #taken = new Taken(TAKEN_MAX);
  #nextId = 1;
  /** `performance.timeOrigin`: with `performance.now()`, slots.ts `clock` without its allocations. */
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
    this.#results = new Queue<ResultItem>(CHANNEL_ITEMS, channel);
    this.#slots = new Slots(this.#size, TASK_SLOTS);
    this.#areas = new SlotAreas(this.#slots);
    this.#stops = new Stops(facade, this.#slots, (w) => this.#crew.kill(w));
    this.#crew = new Crew(settings, this.#slots, this.#tasks, this.#results, {
      ready: (exports, names) => {
        this.#exports ??= new Set(exports);
        this.#fnIndex ??= new Map(names.map((name, i) => [name, i]));
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
    return this.#backlog.waiting + this.#slots.count - this.#slots.available + this.#taken.size;
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
    this.assertOpen();
    if (typeof fn !== 'string' || fn === '') throw typeError(`${this.#facade}: fn must be the name of an export of the task module`);
    const task = new Task(this, fn, args, chunk, this.#nextId++);
    const future = task as Future<unknown> as Future<R>;
    const refusal = this.#broken ?? this.#unknownExport(fn);
    if (refusal !== undefined) {
      this.#failed++;
      task[setException](refusal);
      return future;
    }
    this.#backlog.push(task, this.#timeOrigin + performance.now());
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
    if (this.#slots.available === 0) this.#takeEarly();
    this.#feed();
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
    this.#settleAllTaken(); // they ran: their results stand
    const stopped = new PoolClosedError(`${this.#facade} was terminated while this task was running`);
    for (const task of this.#bound) if (task !== undefined) this.#settle(task, 0, stopped);
    await this.#crew.terminate();
    await this.join();
  }

  // -------------------------------------------------------------------------------------------
  // Feeding the task channel and reading results

  /**
   * Announce tasks on the channel while there are task slots (re-queued copies first): a task
   * in its area (items.ts) by its number, whose put takes no lock and never waits
   * (`offerNumber`: a full channel, or a worker's claim at its end — a getter's on a full lap,
   * maybe a dead one's —, refuses it and the task is held as refused); any other
   * task as an item, with the async put, since an item's put takes the queue's lock, which a
   * killed worker may hold until the owner's event loop runs that worker's `exit` handler
   * (recovery), so a blocking call here could wait forever for a recovery it is itself
   * holding up. One item put at a time (`#feeding`); numbers meanwhile wait for it.
   */
  #feed(): void {
    if (this.#feeding) return;
    let put = 0;
    let refused = false;
    for (;;) {
      let task = this.#requeue.pop();
      if (task === undefined) {
        if (this.#slots.available === 0) break;
        task = this.#backlog.next();
        if (task === undefined) break;
        this.#bind(task);
      } else if (task[SLOT] < 0) continue; // settled or cancelled since it was re-queued
      if (!task[IN_AREA]) {
        void this.#putItem(task);
        break;
      }
      let offered = false;
      try {
        offered = this.#tasks[offerNumber](taskNumber(task[SLOT], task[GEN]));
      } catch {
        // shut down: held, like a refused task, until the engine's own shutdown settles it
      }
      if (!offered) {
        // Full, or a claim at the channel's end (maybe a dead worker's: never waited for here):
        // held until a worker takes something (#refused); stale entries may fill the channel.
        this.#requeue.push(task);
        refused = true;
        break;
      }
      this.#lastPutSlot = task[SLOT];
      this.#lastPutGen = task[GEN];
      put++;
    }
    if (refused) this.#refused();
    else if (this.#full && !this.#feeding) {
      this.#full = false; // nothing refused is held any more
      this.#slots.setRefused(false);
    }
    if (put > 0) this.#announced();
  }

  /**
   * The channel refused a task as full (it is in #requeue). Room comes when a worker takes
   * something, which may settle nothing (a stale entry: its claim fails), so the next settle
   * cannot be relied on: REFUSED makes each take bump DONE_COUNT (slots.ts), and the pump puts
   * the task again on each wake-up until it goes (#pumpResults). REFUSED stays set from the
   * first refusal until a feed holds no refused task, so a take after any retry is seen; the
   * pump is woken once now for a take that came between this refusal and the store.
   */
  #refused(): void {
    if (!this.#full) {
      this.#full = true;
      this.#slots.setRefused(true);
      this.#wakePump();
    }
    this.#pump();
  }

  /** After tasks were put: takers for them (slots.ts, `needsTaker`), workers for them, a pump for their results. */
  #announced(): void {
    const queued = this.#tasks.qsize();
    if (this.#slots.needsTaker(queued)) this.#slots.wakeSleepers(queued);
    this.#crew.grow(this.#wanted());
    this.#pump();
  }

  /**
   * Put a task as an item `[slot, gen, fn, args, chunk, id]` (items.ts), then feed on. One the
   * channel refuses as full is held until a worker takes something (#refused); one it refuses
   * otherwise (arguments that cannot cross, or too large) fails. Only the put's own failure
   * fails the task: once put, a worker may run it.
   */
  async #putItem(task: Task): Promise<void> {
    this.#feeding = true;
    let full = false;
    let put = false;
    try {
      await this.#tasks.putAsync([task[SLOT], task[GEN], task[FN], this.#areas.itemArgs(task[ARGS]), task[CHUNK], task[ID]], 0);
      this.#lastPutSlot = task[SLOT];
      this.#lastPutGen = task[GEN];
      put = true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_FULL') {
        this.#requeue.push(task);
        full = true;
      } else if (this.#bound[task[SLOT]] === task) {
        this.#settle(task, 0, code === 'ERR_TOO_LARGE' ? tooLarge(this.#facade, 'arguments', task[FN], CHANNEL_BYTES, error) : error);
      }
    } finally {
      this.#feeding = false;
    }
    if (put) this.#announced();
    if (full) this.#refused();
    else this.#feed();
  }

  /** Bind `task` to a free slot and write it into the slot's area if it belongs there (items.ts). */
  #bind(task: Task): void {
    const slot = this.#slots.bind();
    task[SLOT] = slot;
    task[GEN] = this.#slots.genOf(slot);
    this.#bound[slot] = task;
    if (slot >= this.#scanEnd) this.#scanEnd = slot + 1;
    this.#submitted[slot] = this.#backlog.takenSubmitted;
    const fn = this.#fnIndex?.get(task[FN]);
    task[IN_AREA] = fn !== undefined && this.#areas.writeTask(slot, fn, task[ARGS], task[CHUNK], task[ID]);
  }

  /**
   * Settle finished tasks while any task is bound. Started from a microtask, never inside the
   * caller's `submit()`: the pump's first turn may watch for results (#watchResults), and a
   * submit returns at once.
   */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => void this.#pumpResults());
  }

  /**
   * The owner's loop: read DONE_COUNT, handle every result on the Queue and settle every task
   * whose result is in its slot; when that found none, watch DONE_COUNT briefly, then sleep on
   * it. Reading the count before looking means a task finished after the look has moved it, so
   * the sleep returns at once: no result is left unseen (slots.ts).
   */
  async #pumpResults(): Promise<void> {
    try {
      let turn = 0;
      while (this.#slots.available < this.#slots.count || this.#taken.size > 0) {
        const seen = this.#slots.completions();
        // A task refused as full: put it again after reading the count, so that a take after
        // this try moves it (a worker's take bumps it while REFUSED is set).
        if (this.#full) this.#feed();
        let got = this.#results.empty() ? 0 : await this.#takeQueued();
        got += this.#collect();
        if (got === 0) {
          if (!this.#watchResults(seen)) await this.#slots.awaitCompletion(seen);
        } else if ((turn += got) >= RESULTS_PER_TURN) {
          turn = 0;
          await new Promise(setImmediate);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Settle the bound tasks whose result is in their slot (READY), and those taken before (a
   * turn's worth: #settleTaken); returns the READY slots found plus the tasks settled — a task
   * found and settled in one call counts twice, which only sizes the pump's turn, and 0 means
   * nothing was found nor settled (the pump may then park). Their results are taken out of the slots first and the slots fed at once — one put of many
   * numbers and one wake-up —, and only then are their Futures settled: the workers run the
   * next tasks while the owner settles (Promise reactions, callbacks), instead of waiting for
   * it. While it settles, every SETTLE_BATCH tasks, results that came meanwhile are taken and
   * their slots fed too (up to TAKEN_MAX in all), so the channel does not run dry while the
   * owner is busy — the workers would go to sleep, and waking them costs more than the look.
   * `full`: look at every bound slot (a worker died: everything published must be seen).
   */
  #collect(full = false): number {
    this.#collecting = true;
    let got: number;
    try {
      got = this.#collectReady(full);
      if (got > 0) this.#feedNow();
      got += this.#settleTaken();
    } finally {
      this.#collecting = false;
    }
    // Feed what the settles held back (#collecting): slots a done callback freed (a cancel),
    // tasks it submitted, slots freed since the last feed.
    if (got > 0) this.#feed();
    return got;
  }

  /** Feed while #collecting (which holds back the feed of each #settle). */
  #feedNow(): void {
    this.#collecting = false;
    try {
      this.#feed();
    } finally {
      this.#collecting = true;
    }
  }

  /**
   * The scan. A worker bumps DONE_COUNT after each result it publishes, so the bumps since the
   * last scan (#owed) bound the READY slots no scan has found yet: the scan stops once it found
   * that many, where it stopped the next one starts (#cursor, so no slot waits behind busier
   * ones), and it looks at all bound slots only when the bumps were not all results (progress
   * items, results on the Queue, wake-ups) — then #owed starts again at 0. With 512 bound slots
   * and a few results per wake-up, a scan of them all cost more than settling what it found.
   * A scan that finds nothing has looked at every slot, so the pump parks only after a full
   * scan (it loops while a scan finds something).
   */
  #collectReady(full: boolean): number {
    const seen = this.#slots.completions();
    const owed = (this.#owed += (seen - this.#scanSeen) | 0);
    this.#scanSeen = seen;
    const end = this.#scanEnd;
    let slot = this.#cursor < end ? this.#cursor : 0;
    let got = 0;
    for (let n = 0; n < end; n++, slot = slot + 1 < end ? slot + 1 : 0) {
      const task = this.#bound[slot];
      if (task === undefined || !this.#slots.ready(slot, task[GEN])) continue;
      got++;
      // Its last progress item is on the Queue (put before READY): the pump's next turn takes it first.
      if (!this.#slots.progressPending(slot)) this.#take(task, slot);
      if (got >= owed && !full) {
        this.#owed = owed - got;
        this.#cursor = slot + 1;
        return got;
      }
    }
    this.#owed = 0;
    return got;
  }

  /**
   * Take `task`'s result out of its slot's area, record its latencies and free the slot; the
   * task is settled by #settleTaken. Meanwhile it is TAKEN: it ran, so it can no longer be
   * cancelled (task.ts) nor stopped, and it still counts as unsettled.
   */
  #take(task: Task, slot: number): void {
    let ok = this.#areas.ok(slot);
    const ranUs = this.#areas.ranUs(slot);
    this.#lastRunUs = ranUs;
    let value: unknown;
    try {
      value = this.#areas.read(slot);
      if (!ok) value = rebuildError(value as ErrorDescription);
    } catch (error) {
      ok = 0;
      value = error;
    }
    const started = this.#slots.started[slot]!;
    if (started === started) {
      this.#waitTime.record(started - this.#submitted[slot]!);
      this.#runTime.record(ranUs / 1000);
    }
    this.#unbind(task);
    task[SLOT] = TAKEN;
    this.#taken.push(task, ok, value);
  }

  /**
   * Settle the tasks #take took, in the order taken, RESULTS_PER_TURN at most, taking more on
   * the way (see #collect); returns how many it settled plus how many READY slots the scans on
   * the way found.
   */
  #settleTaken(): number {
    const taken = this.#taken;
    let got = 0;
    for (let i = 0; i < RESULTS_PER_TURN && taken.size > 0; i++) {
      if ((i & (SETTLE_BATCH - 1)) === SETTLE_BATCH - 1 && taken.size < TAKEN_MAX && ((this.#slots.completions() - this.#scanSeen) | 0) + this.#owed >= TAKE_EARLY) {
        const more = this.#collectReady(false);
        if (more > 0) this.#feedNow();
        got += more;
      }
      const task = taken.shift();
      this.#settle(task, taken.ok, taken.value);
      got++;
    }
    return got;
  }

  /** Settle every taken task now (terminate, break: the pump may not come again). */
  #settleAllTaken(): void {
    const taken = this.#taken;
    while (taken.size > 0) {
      const task = taken.shift();
      this.#settle(task, taken.ok, taken.value);
    }
  }

  /**
   * In `submit()`, every task slot bound: take the results that came since the last look, once
   * TAKE_EARLY did, so that the feed after it refills their slots (see TAKE_EARLY). Nothing is
   * settled here — a submit returns before any callback runs —; the pump settles them.
   */
  #takeEarly(): void {
    // #collectReady runs here outside #collecting: sound only while #take settles nothing (a
    // settle would feed, and run callbacks, inside the caller's submit()).
    if (((this.#slots.completions() - this.#scanSeen) | 0) + this.#owed < TAKE_EARLY) return;
    if (this.#collectReady(false) > 0) this.#pump();
  }

  /** Handle the results on the Queue (waiting for their buffers if they have not arrived); returns how many. */
  async #takeQueued(): Promise<number> {
    let got = 0;
    this.#queueWait = true;
    try {
      while (!this.#results.empty()) {
        const item = await this.#results.getAsync();
        if (item !== 0) this.#onResult(item);
        got++;
      }
    } finally {
      this.#queueWait = false;
    }
    return got;
  }

  /**
   * Before the pump sleeps: watch DONE_COUNT for OWNER_WATCH_US while that pays; whether it
   * moved from `seen`. While the last task put is still unclaimed and alone on the channel (its
   * worker is being woken), the watch goes on until it is claimed, up to OWNER_CLAIM_WATCH_US,
   * then OWNER_WATCH_US more: a result that comes right after a slow worker wake-up must not find
   * the owner parked (see OWNER_CLAIM_WATCH_US).
   */
  #watchResults(seen: number): boolean {
    if (this.#lastRunUs > OWNER_WATCH_US && ++this.#unpaidWaits % WATCH_PROBE !== 0) return false;
    const slots = this.#slots;
    let end = deadlineAfter(OWNER_WATCH_US / 1000);
    const limit = deadlineAfter(OWNER_CLAIM_WATCH_US / 1000);
    // Only while it is the one task queued: behind others, it waits for busy workers, not a wake-up.
    let unclaimed = this.#lastPutSlot >= 0 && this.#tasks.qsize() <= 1 && slots.stateOf(this.#lastPutSlot, this.#lastPutGen) === PENDING;
    for (;;) {
      if (slots.completions() !== seen) return true;
      const now = performance.now();
      if (now < end) continue;
      if (!unclaimed || now >= limit) return false;
      unclaimed = slots.stateOf(this.#lastPutSlot, this.#lastPutGen) === PENDING;
      if (!unclaimed) end = deadlineAfter(OWNER_WATCH_US / 1000);
    }
  }

  /** Wake the pump when tasks were settled without a result, or an exit took its Queue item. */
  #wakePump(): void {
    if (!this.#pumping) return;
    this.#slots.completed();
    // A full result channel already has items for the pump: nothing to do then.
    if (this.#queueWait) this.#results.putAsync(0, 0).catch(() => {});
  }

  #onResult([slot, gen, ok, value]: Exclude<ResultItem, 0>): void {
    const task = this.#bound[slot];
    if (task === undefined || task[GEN] !== gen) return; // a copy of a task settled already
    if (ok === 2) {
      this.#slots.progressRead(slot);
      task[setProgress](value);
      return;
    }
    this.#settle(task, ok, ok ? value : rebuildError(value as ErrorDescription));
  }

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
        this.#runTime.record(this.#timeOrigin + performance.now() - started);
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
    if (!this.#collecting) this.#feed();
    this.#settleIdle();
  }

  /** Free a settled or cancelled task's slot. */
  #unbind(task: Task): void {
    this.#bound[task[SLOT]] = undefined;
    this.#slots.release(task[SLOT], task[GEN]);
    task[SLOT] = -1;
    if (this.#slots.available === this.#slots.count) this.#scanEnd = 0;
  }

  /** `Future.cancel()` won: forget the task (a queued copy will find its slot CANCELLED). */
  [dropCancelled](task: Task): void {
    this.#cancelled++;
    this.#stops.forget(task);
    if (task[SLOT] >= 0) {
      this.#unbind(task);
      this.#feed();
    } else this.#backlog.dropped(); // still in the backlog, which the feed will skip
    this.#wakePump();
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
    this.#settleAllTaken();
    for (const task of this.#bound) if (task !== undefined) this.#settle(task, 0, this.#broken);
    void this.#crew.terminate();
  }

  /**
   * Worker `w` exited (its Queue holdings are recovered): handle the results it sent, fail the
   * task it was running, if any, and put back the tasks it may have taken but not claimed.
   * Resolves to whether it was running a task.
   */
  async #onExit(w: number, current: number, cause: unknown, code: number): Promise<boolean> {
    await this.#drainResults();
    this.#collect(true);
    let running = false;
    for (const task of this.#bound) {
      if (task === undefined || this.#slots.claimer(task[SLOT], task[GEN]) !== w) continue;
      const why = cause instanceof Error ? `: ${cause.message}` : ` with exit code ${code}`;
      this.#settle(task, 0, new WorkerCrashedError(`the worker running task '${task[FN]}' died${why}`, { cause }));
      running = true;
    }
    if (current === TAKING) this.#requeueUnclaimed();
    if (current === SLEEPING) this.#slots.addSleeper(-1);
    // A wake-up handed to a worker as it died is lost with it: hand one to the living.
    this.#slots.wakeIdle(Infinity);
    this.#wakePump();
    return running;
  }

  /** Handle every result already on the channel (after a worker died, before judging it). */
  async #drainResults(): Promise<void> {
    for (;;) {
      let item: ResultItem;
      try {
        item = await this.#results.getAsync(0);
      } catch {
        return;
      }
      if (item !== 0) this.#onResult(item);
    }
  }

  /** Put again every bound task that no worker has claimed (a dead worker may have taken it). */
  #requeueUnclaimed(): void {
    const held = new Set(this.#requeue);
    // From the last slot down: #requeue is popped from its end, so the lowest slot goes first.
    for (let slot = this.#bound.length - 1; slot >= 0; slot--) {
      const task = this.#bound[slot];
      if (task === undefined || this.#slots.stateOf(task[SLOT], task[GEN]) !== PENDING) continue;
      if (!held.has(task)) this.#requeue.push(task);
    }
    this.#feed();
  }
}
