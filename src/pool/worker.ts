/**
 * The worker bootstrap: import the task module, run the initializer, then take tasks from the
 * shared task Queue until it is shut down. Started by crew.ts; compiled to dist/pool/worker.js.
 *
 * Start and end go through the runtime seam (runtime/worker.ts), the same on Node's
 * worker_threads and on a Web Worker (`begin` and `main` below): the start data (Node's
 * `workerData`, a Web Worker's first message), this thread's sabsync id stored for the owner
 * (which cannot compute it on the web), an uncaught error or `close()` ending the worker as on
 * Node, and the end (`exitWorker`: Node's `process.exit`; on the web a last message, then the
 * scope's own `close()`).
 *
 * Start-up: CURRENT is STARTING (the owner set it) until the first take. If the task module
 * (or the initializer) calls `process.exit` meanwhile, the `exit` listener below turns it into
 * QUIT, so the owner can tell a worker that cannot start from one killed while starting. (A
 * browser has no `process`: there a task that calls it fails with a ReferenceError.)
 *
 * Each turn of the loop (slots.ts draws the words, items.ts what crosses):
 *   1. CURRENT = TAKING, then take a task from the task Queue: its number `slot, gen` (the task
 *      is in its slot's area) or an item `[slot, gen, fn, args, chunk, id]`;
 *   2. claim it with CAS(GEN|PENDING -> me|GEN|RUNNING); a lost CAS means the task was
 *      cancelled or is a copy another worker already claimed: skip it. CURRENT stays TAKING
 *      until the claim (so the owner re-queues the unclaimed tasks if this worker dies with a
 *      task taken) and becomes BUSY once it won; only then is the area read;
 *   3. stamp STARTED[slot], open the task's scope (current.ts: `currentTask()`, its abort word,
 *      its progress), run it, close the scope (sending the latest progress value first) and
 *      write the result into the task's slot, then READY (items.ts, slots.ts `publish`); a
 *      result that does not fit there, or holds SharedArrayBuffers or primitives, goes on the
 *      result Queue as `[slot, gen, ok, value]` instead. Either way DONE_COUNT counts it, which
 *      wakes the owner if it sleeps. Then, while the owner decides whether to terminate this
 *      worker for a task that overran its timeout (KILLING), it waits for the verdict before it
 *      takes another task (slots.ts).
 *
 * Idle workers leave: a sleeper whose park passes `idleTimeout` since its last task leaves
 * LIVE by a CAS that keeps minWorkers (slots.ts) and exits with CURRENT = LEFT, after one last
 * look at the channel (a task seen there keeps it).
 *
 * How an idle worker waits (measured: bench/pool.bench.mjs and the numbers below, 2 vCPUs).
 * It takes the next task with `getNowait()` while there is one. When the channel is empty, one
 * idle worker at a time — the one that takes the WATCHER token (slots.ts) — watches it for
 * `SPIN_US` (a plain load of the queue's count, no lock), because in a request/response rhythm
 * the next task comes right after the owner has read this result. The others sleep at once:
 * on a 2-core machine the owner needs a core too, and a second spinner (or a sleeper woken by
 * every put only to find the task taken) took it from the owner for whole scheduler slices
 * (sequential round trip p99 ≈ 0.6–2.5 ms). The watcher stops early when its result stays
 * unread for OWNER_GONE_US: the owner is then not running, maybe for want of the very core the
 * watcher holds. A sleeping worker (CURRENT = SLEEPING) waits on the WAKE word with
 * `Atomics.waitAsync`, which leaves its event loop running: a blocking wait would freeze the
 * timers, I/O callbacks and promise jobs that a task module left running (an interval it
 * started, a fire-and-forget write) until the next task arrives. Whoever puts tasks wakes a
 * sleeper when no watcher will take them (slots.ts: no task is left without a taker). While
 * tasks keep coming the loop also yields to the event loop every `YIELD_MS`, so a busy
 * worker's timers still fire.
 */
// Every kind registered before the first task is decoded: a task's arguments may hold any
// primitive, whatever the task module imports (one that imports nothing of sabsync too).
import '../index.js';
import { Empty, ShutDown } from '../primitives/errors.js';
import type { Handle } from '../primitives/memory.js';
import { LINK, leaveLinks, openLink } from '../queue/buffers.js';
import { Queue } from '../queue/queue.js';
import { threadId } from '../primitives/thread.js';
import { exitOnClose, exitOnUncaughtError, exitWorker, macrotask, nameThisThread, onWorkerExit, postToParent, startData, whileBootstrapping } from '../runtime/worker.js';
import type { WorkerStart } from './crew.js';
import { enterTask, TaskScope } from './current.js';
import { argsOf, genOf, KEPT, keptResult, SlotAreas, slotOf, type ResultItem, type TaskItem } from './items.js';
import { describeError, noSuchExport, tooLarge } from './remote.js';
import { BUSY, clock, clockAt, LEFT, now as nowMs, QUIT, READY, RETIRED, SLEEPING, STARTING, Slots, TAKING } from './slots.js';

/** Longest a busy worker runs sync tasks back to back before it lets its event loop turn. */
const YIELD_MS = 20;
/**
 * How long the watcher watches the empty channel before it sleeps (µs). Long enough to cover
 * the owner's turn between reading a result and sending the next task; short enough that idle
 * workers give the cores back at once when there is no work.
 */
const SPIN_US = 200;
/**
 * How long a watcher lets results wait unread before it stops watching (µs). A result the owner
 * does not read within that time means the owner is not running — on a machine with more busy
 * threads than cores, this watcher may be holding the core it needs — so the watcher sleeps
 * and gives the core back. Measured: without this, a busy machine turns the sequential round
 * trip into "owner woken only once the watch ends" (≈ 250–450 µs each, for runs of rounds).
 */
const OWNER_GONE_US = 30;
/**
 * How long a sleeper waits with getAsync for an item getNowait refused (ms): its buffers come by
 * message within far less; past it the sleeper looks again (`sleep`).
 */
const FETCH_WAIT_MS = 100;

/** The loop yields with `setImmediate`, which a browser lacks: the seam's stand-in. */
const setImmediate = macrotask;

/**
 * Read the start data and make this thread known: its sabsync id stored for the owner (before
 * anything shared is touched), and an uncaught error or a `close()` ending it as on Node (a Web
 * Worker goes on after the one and ends unseen by the other).
 */
async function begin(): Promise<WorkerStart> {
  const start = (await startData()) as WorkerStart;
  Atomics.store(new Int32Array(start.ids), start.index, threadId);
  // A browser: shared buffers in tasks put after this worker started reach it over this link,
  // which it leaves (says goodbye on) as it ends (queue/buffers.ts). Nothing elsewhere.
  const port = openLink();
  if (port !== undefined) {
    postToParent({ type: LINK, port }, [port]);
    onWorkerExit(leaveLinks);
  }
  exitOnUncaughtError();
  exitOnClose();
  return start;
}

const start = await begin();
const slots = new Slots(start.workers, start.slots, start.control);
const tasks = Queue.from<TaskItem>(start.tasks as Handle<'Queue'>);
const results = Queue.from<ResultItem>(start.results as Handle<'Queue'>);
const areas = new SlotAreas(slots);
const me = start.index;
/** Each worker's sabsync id (WorkerStart.ids): this one's is ours until a replacement is started at `me`. */
const ids = new Int32Array(start.ids);
// currentThread().name in a task: 'PoolWorker-1', 'ExecutorWorker-2', ... (by worker slot).
nameThisThread(`${start.facade}Worker-${me + 1}`);

onWorkerExit(() => {
  if (slots.current(me) === STARTING) slots.setCurrent(me, QUIT);
});

type TaskFn = (...args: unknown[]) => unknown;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The names of the module's function exports. */
function functionExports(mod: Record<string, unknown>): string[] {
  return Object.keys(mod).filter((k) => typeof mod[k] === 'function');
}

async function load(): Promise<Record<string, unknown>> {
  // A pool (or Thread) started by the module's top-level code is refused meanwhile (runtime/worker.ts).
  const mod = (await whileBootstrapping(start.module, () => import(start.module))) as Record<string, unknown>;
  if (start.initializer !== undefined) {
    const init = mod[start.initializer];
    if (typeof init !== 'function') throw noSuchExport(`${start.facade} options.initializer`, start.module, start.initializer, functionExports(mod));
    const args = Queue.from<unknown[]>(start.init as Handle<'Queue'>).getNowait();
    const r = (init as TaskFn)(...args);
    if (isThenable(r)) await r;
  }
  return mod;
}

const NONE = Symbol('none');
/** What `take` returns when this worker was idle for `idleTimeout` and may leave. */
const LEAVE = Symbol('leave');
/** When this worker last finished a task (or started): its idle time counts from here. */
let idleSince = nowMs();

/**
 * Takes in a row whose first look found a task (takeSoon), up to GET_FIRST. From GET_FIRST on
 * (a burst: the channel keeps tasks queued), the first look is the get itself, not `empty()`
 * before it, which walks the ring's positions (≈ 10% of a worker's time per trivial task); an
 * Empty is then thrown once per time the channel runs dry, and the streak starts again. A
 * worker that finds the channel empty after each task (sequential round trips) never gets
 * there, so it throws no Empty per task.
 */
let streak = 0;
const GET_FIRST = 8;

/**
 * Take a task if one is queued: the item, undefined once shut down, NONE if empty. `look`
 * skips the get when the channel looks empty (an Empty thrown per idle check costs more); a
 * sleeper's last look takes it, since only getNowait reports a shut-down channel.
 */
function takeNow(look = true): TaskItem | undefined | typeof NONE {
  if (look && tasks.empty()) return NONE;
  try {
    return tasks.getNowait();
  } catch (error) {
    if (error instanceof ShutDown) return undefined;
    if (error instanceof Empty) return NONE;
    throw error;
  }
}

/**
 * Take a task at once if there is one (no Promise, no microtask); else, if no other worker is
 * watching, watch the empty channel for SPIN_US and take what comes. NONE if nothing came.
 */
function takeSoon(): TaskItem | undefined | typeof NONE {
  const now = takeNow(streak < GET_FIRST);
  if (now !== NONE) {
    if (streak < GET_FIRST) streak++;
    return now;
  }
  streak = 0;
  if (!slots.watch(me)) return now;
  const from = nowMs();
  for (let now = from; tasks.empty() && now < from + SPIN_US / 1000; now = nowMs()) {
    if (now > from + OWNER_GONE_US / 1000 && unread()) break;
  }
  // A task seen while watching is taken with the token held, so that its putter, finding the
  // token taken, wakes no sleeper for it; tasks left behind then get one from here (slots.ts:
  // no task is left without a taker).
  let got: ReturnType<typeof takeNow> = NONE;
  try {
    if (!tasks.empty()) got = takeNow();
  } finally {
    slots.unwatch(me);
  }
  // The last look, after giving the token back. Whatever this watch took, it wakes sleepers for
  // the tasks left: a putter that saw the token held woke nobody for them (slots.ts needsTaker).
  if (got === NONE) got = takeNow();
  if (got !== NONE && got !== undefined) passOn();
  return got;
}

/** After taking a task: wake sleepers for the tasks left on the channel, if any (slots.ts: k tasks get k takers). */
function passOn(): void {
  if (slots.sleepers() === 0) return; // nobody to wake: the channel's size is not read
  const queued = tasks.qsize();
  if (queued > 0) slots.wakeSleepers(queued);
}

/**
 * Take the next task: soon (takeSoon), else sleep on WAKE until one comes. Undefined once shut
 * down, LEAVE once idle for idleTimeout with more than minWorkers workers alive.
 */
function take(): TaskItem | undefined | typeof LEAVE | Promise<TaskItem | undefined | typeof LEAVE> {
  const soon = takeSoon();
  return soon !== NONE ? soon : sleep();
}

/**
 * Sleep on WAKE without blocking the event loop until a task (or the shutdown) comes. A channel
 * that still looks non-empty after getNowait found nothing holds an item getNowait refused (its
 * SharedArrayBuffers or primitives have not arrived on this thread yet: they come by message),
 * or one another worker is taking: it is waited on with getAsync, which waits for the buffers,
 * for at most FETCH_WAIT_MS — then back to the look, so that an item another worker took never
 * leaves this one parked on the channel for the next task (not counted as a sleeper, TAKING
 * instead of SLEEPING, and never idle).
 */
async function sleep(): Promise<TaskItem | undefined | typeof LEAVE> {
  // Workers that can never leave (minWorkers = workers) sleep without a deadline.
  let deadline = start.minWorkers >= start.workers ? Infinity : idleSince + start.idleTimeout;
  for (;;) {
    slots.countSleeper(me); // counted, then WAKE read, before the last look (slots.ts)
    const seen = slots.wakeCount();
    const now = takeNow(false);
    if (now !== NONE) {
      slots.uncountSleeper(me);
      return now;
    }
    if (!tasks.empty()) {
      slots.uncountSleeper(me);
      return tasks.getAsync(FETCH_WAIT_MS).then(passedOn, lookAgain);
    }
    slots.setCurrent(me, SLEEPING); // holds no task: the look found none
    const slept = await slots.sleep(seen, deadline);
    slots.setCurrent(me, TAKING);
    slots.uncountSleeper(me);
    // Idle for idleTimeout: leave if more than minWorkers stay. A task put after the look
    // above and before the exit is seen by the look below (then stay), or by the owner, which
    // wakes the living and starts a worker for it when this one's exit comes (engine.ts).
    if (slept === 'timed-out') {
      if (slots.leave(start.minWorkers)) {
        if (tasks.empty()) return LEAVE;
        slots.addLive(1);
      }
      deadline = nowMs() + start.idleTimeout;
    }
    const soon = takeSoon();
    if (soon !== NONE) return passedOn(soon);
  }
}

/** A task a woken sleeper took: the wake-up that woke it may have been meant for more tasks. */
function passedOn<T>(item: T): T {
  passOn();
  return item;
}

function shutDown(error: unknown): undefined {
  if (error instanceof ShutDown) return undefined;
  throw error;
}

/** A getAsync of `sleep` that found nothing in FETCH_WAIT_MS: look (and sleep) again. */
function lookAgain(error: unknown): ReturnType<typeof sleep> | undefined {
  if (!(error instanceof Empty)) return shutDown(error);
  // Its claim at the channel's end is given up: a number the owner's put refused for it (feed.ts:
  // held as REFUSED, put again when a take bumps DONE_COUNT) can go now, so bump it as a take does.
  slots.tookTask();
  return sleep();
}

// ---------------------------------------------------------------------------------------------
// Sending results

/** The slot and GEN of this worker's last result published in its slot (-1: none yet). */
let lastSlot = -1;
let lastGen = 0;

/** Whether a result this worker sent is still unread by the owner (in its slot, or on the Queue). */
function unread(): boolean {
  return (lastSlot >= 0 && slots.stateOf(lastSlot, lastGen) === READY) || !results.empty();
}

/**
 * Send task `fn`'s result: into its slot (items.ts) when it belongs there, else on the result
 * Queue; then count it in DONE_COUNT, which wakes the owner if it sleeps.
 */
function send(slot: number, gen: number, fn: string, ok: 0 | 1, value: unknown, ended: number): void | Promise<void> {
  if (areas.write(slot, ok, value, Math.round((clockAt(ended) - slots.started[slot]!) * 1000))) {
    if (slots.publish(slot, gen, me)) {
      lastSlot = slot;
      lastGen = gen;
      slots.completed();
    }
    return;
  }
  // Too large for the area: its item carries the encoding `write` made, if it may (items.ts).
  const queued = sendQueued(slot, gen, fn, ok, value, keptResult(areas.takeResult(), results.bytes));
  if (queued === undefined) return sentQueued(slot, gen);
  return queued.then(() => sentQueued(slot, gen));
}

/** A result is on the result Queue: the task is no longer charged to this worker; count it. */
function sentQueued(slot: number, gen: number): void {
  slots.finished(slot, gen, me);
  slots.completed();
}

/**
 * Put a result on the result Queue (synchronously while it has room): `value`, or `kept`, its
 * encoding (items.ts KEPT); a value that cannot cross becomes the task's error.
 */
function sendQueued(slot: number, gen: number, fn: string, ok: 0 | 1, value: unknown, kept: Uint8Array | undefined): void | Promise<void> {
  let item: ResultItem = kept === undefined ? [slot, gen, ok, value] : [slot, gen, (ok | KEPT) as 4 | 5, kept];
  for (;;) {
    try {
      results.putNowait(item);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_FULL') return results.putAsync(item);
      if (ok === 0) throw error;
      const why = code === 'ERR_TOO_LARGE' ? tooLarge(start.facade, 'result', fn, results.bytes, error) : error;
      item = [slot, gen, 0, describeError(why)];
      ok = 0;
    }
  }
}

/**
 * Run tasks until the channel is shut down or `maxTasksPerChild` is reached. Returns the
 * CURRENT word to leave with: RETIRED or LEFT; undefined when this thread was replaced (it
 * writes no CURRENT then).
 */
async function serve(mod: Record<string, unknown>): Promise<number | undefined> {
  // The owner names an export by its index in this list (items.ts, main below).
  const names = Object.keys(mod);
  let ran = 0;
  let lastYield = nowMs();
  for (;;) {
    slots.setCurrent(me, TAKING);
    let next = take();
    if (next instanceof Promise) next = await next;
    if (next === undefined) return RETIRED;
    if (next === LEAVE) return LEFT;
    // CURRENT stays TAKING until the claim: if this worker dies before it, the owner puts the
    // task on the channel again.
    const item = next;
    slots.tookTask(); // room freed on the channel: the owner may hold a task it refused (slots.ts, REFUSED)
    const inArea = typeof item === 'number';
    const slot = inArea ? slotOf(item) : (item[0] as number);
    const gen = inArea ? genOf(item) : (item[1] as number);
    if (!slots.claim(slot, gen, me)) continue;
    slots.started[slot] = clock();
    slots.setCurrent(me, BUSY);
    const fn = inArea ? (names[areas.taskFn(slot)] ?? '') : (item[2] as string);
    const args = inArea ? areas.taskArgs(slot) : argsOf(item[3]);
    const chunk = inArea ? areas.taskChunk(slot) : (item[4] as 0 | 1);
    const id = inArea ? areas.taskId(slot) : (item[5] as number);
    const scope = new TaskScope(slots, slot, gen, id, sendProgress);
    enterTask(scope);
    let outcome = run(mod, fn, args, chunk);
    if (outcome instanceof Promise) outcome = await outcome;
    scope.end();
    enterTask(undefined);
    // One read of the clock after a task: its run time (RAN), the worker's idle time and the yield below go by it.
    const ended = nowMs();
    idleSince = ended;
    const sent = send(slot, gen, fn, outcome[0], outcome[1], ended);
    if (sent !== undefined) await sent;
    // Published: if the owner is deciding to terminate this worker for this task (it overran its
    // timeout), wait for the verdict before taking another (slots.ts, KILLING).
    if (slots.killing(me)) {
      await slots.awaitVerdict(me);
      // Terminated, yet still running: a runtime reported the exit before the thread's end (Deno
      // does), and the owner cleared our id before starting a replacement at `me`, then let the
      // verdict go. Leave at once, touching nothing shared: `me`'s words are the replacement's.
      if (Atomics.load(ids, me) !== threadId) return undefined;
    }
    if (++ran === start.maxTasksPerChild) return RETIRED;
    if (ended - lastYield > YIELD_MS) {
      await new Promise(setImmediate);
      lastYield = nowMs();
    }
  }
}

/** Put a progress item `[slot, gen, 2, value]` on the result channel; false if it is full. */
function sendProgress(slot: number, gen: number, value: unknown): boolean {
  try {
    results.putNowait([slot, gen, 2, value]);
    slots.completed();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_FULL') return false;
    throw error;
  }
}

type Outcome = [ok: 0 | 1, value: unknown];

/** Run one task (or chunk): `[1, value]` or `[0, error description]`; a Promise only for async work. */
function run(mod: Record<string, unknown>, fn: string, args: unknown[], chunk: 0 | 1): Outcome | Promise<Outcome> {
  try {
    const f = mod[fn];
    if (typeof f !== 'function') throw noSuchExport(start.facade, start.module, fn, functionExports(mod));
    if (chunk) return runChunk(f as TaskFn, args as unknown[][]);
    const value = (f as TaskFn)(...args);
    return isThenable(value) ? settled(value) : [1, value];
  } catch (error) {
    return [0, describeError(error)];
  }
}

async function runChunk(f: TaskFn, chunk: unknown[][]): Promise<Outcome> {
  const out: unknown[] = [];
  try {
    for (const a of chunk) {
      const r = f(...a);
      out.push(isThenable(r) ? await r : r);
    }
    return [1, out];
  } catch (error) {
    return [0, describeError(error)];
  }
}

async function settled(value: PromiseLike<unknown>): Promise<Outcome> {
  try {
    return [1, await value];
  } catch (error) {
    return [0, describeError(error)];
  }
}

/**
 * Load the module, say so (or why not) and serve; then end with exit code 0 (1 if it could not
 * load), through the seam, which makes the owner's `exit` come on every runtime.
 */
async function main(): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = await load();
  } catch (error) {
    postToParent({ initError: describeError(error) });
    return exitWorker(1);
  }
  // Every export's name, in the order by which the owner names a task's export (items.ts): a
  // module's export names are fixed by its source, so every worker lists them alike.
  postToParent({ ready: functionExports(mod), names: Object.keys(mod) });
  const end = await serve(mod);
  if (end !== undefined) slots.setCurrent(me, end);
  exitWorker(0);
}

await main();
