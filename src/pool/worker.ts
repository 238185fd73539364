/**
 * The worker bootstrap: import the task module, run the initializer, then take tasks from the
 * shared task Queue until it is shut down. Started by engine.ts; compiled to dist/pool/worker.js.
 *
 * Each turn of the loop (slots.ts draws the words):
 *   1. CURRENT = TAKING, then take an item `[slot, gen, fn, args, chunk]` from the task Queue;
 *   2. claim it with CAS(GEN|PENDING -> me|GEN|RUNNING); a lost CAS means the task was cancelled
 *      or is a copy another worker already claimed: skip it. Then CURRENT = BUSY;
 *   3. run it and put `[slot, gen, ok, value]` on the result Queue.
 *
 * How an idle worker waits (measured: bench/pool.bench.mjs and the numbers below, 2 vCPUs).
 * It takes the next task with `getNowait()` while there is one. When the channel is empty it
 * watches it for `SPIN_US` (a plain load of the queue's count, no lock), because in a
 * request/response rhythm the next task comes right after the owner has read this result; only
 * then does it `await getAsync()` — a wait on `Atomics.waitAsync` that leaves the event loop
 * running. A blocking `get()` would freeze the worker's timers, I/O callbacks and promise jobs
 * that a task module left running (an interval it started, a fire-and-forget write) until the
 * next task arrives. Sequential round trip, median: getAsync alone ≈ 120 µs, blocking get()
 * ≈ 110 µs (so blocking buys nothing), spin 200 µs then getAsync ≈ 30 µs (raw postMessage:
 * ≈ 57 µs). While tasks keep coming the loop also yields to the event loop every `YIELD_MS`,
 * so a busy worker's timers still fire.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Empty, ShutDown, typeError } from '../primitives/errors.js';
import type { Handle } from '../primitives/memory.js';
import { Queue } from '../queue/queue.js';
import type { ResultItem, TaskItem, WorkerStart } from './engine.js';
import { describeError } from './remote.js';
import { BUSY, RETIRED, Slots, TAKING } from './slots.js';

/** Longest a busy worker runs sync tasks back to back before it lets its event loop turn. */
const YIELD_MS = 20;
/**
 * How long an idle worker watches the empty channel before it parks (µs). Long enough to cover
 * the owner's turn between reading a result and sending the next task; short enough that idle
 * workers give the cores back at once when there is no work.
 */
const SPIN_US = 200;

const start = workerData as WorkerStart;
const slots = new Slots(start.workers, start.slots, start.control);
const tasks = Queue.from(start.tasks as Handle) as Queue<TaskItem>;
const results = Queue.from(start.results as Handle) as Queue<ResultItem>;
const me = start.index;

type TaskFn = (...args: unknown[]) => unknown;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

async function load(): Promise<Record<string, unknown>> {
  const mod = (await import(start.module)) as Record<string, unknown>;
  if (start.initializer !== undefined) {
    const init = mod[start.initializer];
    if (typeof init !== 'function') throw typeError(`the task module has no function export named '${start.initializer}' (options.initializer)`);
    const args = (Queue.from(start.init as Handle) as Queue<unknown[]>).getNowait();
    const r = (init as TaskFn)(...args);
    if (isThenable(r)) await r;
  }
  return mod;
}

const NONE = Symbol('none');

/** Take a task if one is queued: the item, undefined once shut down, NONE if empty. */
function takeNow(): TaskItem | undefined | typeof NONE {
  // A plain load first: an Empty thrown (and its stack captured) per idle check costs more.
  if (tasks.empty()) return NONE; // (a shut-down channel is reported by getAsync)
  try {
    return tasks.getNowait();
  } catch (error) {
    if (error instanceof ShutDown) return undefined;
    if (error instanceof Empty) return NONE;
    throw error;
  }
}

/**
 * Take the next task: at once if there is one (no Promise, no microtask), else watch the empty
 * channel for SPIN_US, else wait without blocking the event loop. Undefined once shut down.
 */
function take(): TaskItem | undefined | Promise<TaskItem | undefined> {
  const now = takeNow();
  if (now !== NONE) return now;
  const end = performance.now() + SPIN_US / 1000;
  while (tasks.empty() && performance.now() < end);
  const again = takeNow();
  if (again !== NONE) return again;
  return tasks.getAsync().catch((error: unknown) => {
    if (error instanceof ShutDown) return undefined;
    throw error;
  });
}

/** Send a result (synchronously while the result channel has room); a value that cannot cross becomes the task's error. */
function send(slot: number, gen: number, ok: 0 | 1, value: unknown): void | Promise<void> {
  let item: ResultItem = [slot, gen, ok, value];
  for (;;) {
    try {
      results.putNowait(item);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_FULL') return results.putAsync(item);
      if (ok === 0) throw error;
      item = [slot, gen, 0, describeError(error)];
      ok = 0;
    }
  }
}

async function serve(mod: Record<string, unknown>): Promise<void> {
  let ran = 0;
  let lastYield = performance.now();
  for (;;) {
    slots.setCurrent(me, TAKING);
    let next = take();
    if (next instanceof Promise) next = await next;
    if (next === undefined) return;
    const item = next;
    const [slot, gen, fn, args, chunk] = item;
    if (!slots.claim(slot, gen, me)) continue;
    slots.setCurrent(me, BUSY);
    let ok: 0 | 1 = 1;
    let value: unknown;
    try {
      const f = mod[fn];
      if (typeof f !== 'function') throw typeError(`the task module has no function export named '${fn}'`);
      if (chunk) {
        const out: unknown[] = [];
        for (const a of args as unknown[][]) {
          const r = (f as TaskFn)(...a);
          out.push(isThenable(r) ? await r : r);
        }
        value = out;
      } else {
        value = (f as TaskFn)(...args);
        if (isThenable(value)) value = await value;
      }
    } catch (error) {
      ok = 0;
      value = describeError(error);
    }
    const sent = send(slot, gen, ok, value);
    if (sent !== undefined) await sent;
    if (++ran === start.maxTasksPerChild) return;
    if (performance.now() - lastYield > YIELD_MS) {
      await new Promise(setImmediate);
      lastYield = performance.now();
    }
  }
}

let mod: Record<string, unknown>;
try {
  mod = await load();
} catch (error) {
  parentPort!.postMessage({ initError: describeError(error) });
  process.exit(1);
}
parentPort!.postMessage({ ready: Object.keys(mod).filter((k) => typeof mod[k] === 'function') });
await serve(mod);
slots.setCurrent(me, RETIRED);
process.exit(0);
