/**
 * The supervisor: one worker per thread that creates Threads (started by thread.ts at the first
 * `start()`), which starts every Thread worker of that thread and watches it end. Compiled to
 * dist/threads/supervisor.js.
 *
 * Why a thread of its own. A Thread's creator learns that a worker exited on its event loop
 * (the `exit` event) — but a creator blocked in `join()` runs no event loop, and a thread that
 * died by `process.exit`, `terminate()` or out of memory ran none of its own code on the way
 * out. So the creator cannot be the one who learns of the death, and the dead thread cannot
 * say it. The supervisor never blocks (it only waits with the async twins), so it always sees
 * the exit. On each exit, in this order:
 *   1. marks the thread dead in the liveness table (liveness.ts; the creator's table, adopted
 *      first thing below), so any thread that meets a lock the dead one held takes it over;
 *   2. recovers the mailbox Queue (the thread may have died inside a put) and, for a death
 *      with an error (out of memory, an uncaught error after the target, an async target whose
 *      promise never settled: exit code 13 with OUTCOME = AWAITING), prints it with the
 *      thread's name and, if no outcome was delivered, delivers it as the thread's error;
 *   3. stores EXIT_CODE — 1 for a worker that exited normally after its target threw, as
 *      Python's exitcode for an uncaught exception — then STATE = ENDED, and wakes every joiner
 *      (words.ts);
 *   4. tells the creator (`{ ended: key }`), which stops counting it as keeping the process
 *      alive.
 *
 * Cost (bench/threads.bench.mjs, 2-core VM, under the machine lock: `start()` to the target's
 * first line, median of 15): ≈ 74 ms through the supervisor against ≈ 83 ms for a worker
 * started directly that loads the same modules and takes its arguments from a Queue the same
 * way (by hand on the loaded machine, three runs: 73 / 93 / 118 against 75 / 103 / 115 ms). The
 * hop (a message and a nested `new Worker`) is lost in the noise of a worker's start-up and
 * module loading; `start()` itself returns in ≈ 1.5–5 ms once the supervisor is up, whose own
 * start-up is paid once, by the first `start()`.
 *
 * Lifetime: it lives as long as its creator (a worker's children die with it, and so do the
 * Thread workers, which are the supervisor's children). The creator refs it while one of its
 * non-daemon Threads runs, and unrefs it otherwise (thread.ts).
 */
import { wake } from '../primitives/futex.js';
import { adoptTable, markDead } from '../primitives/liveness.js';
import type { Handle } from '../primitives/memory.js';
import { sabsyncIdOf } from '../primitives/thread.js';
import { adoptLink, dropLink, isLink } from '../queue/buffers.js';
import { Queue, recoverQueue } from '../queue/queue.js';
import { onParentMessage, postToParent, printError, startData, startWorker, type RuntimeWorker } from '../runtime/worker.js';
import { linkToParent } from './links.js';
import {
  AWAITING,
  delivered,
  isThreadEnd,
  ENDED,
  EXIT_CODE,
  exceptionText,
  IDENT,
  OUTCOME,
  propsOf,
  RUNNING,
  STARTING,
  STATE,
  THREW,
  type FromSupervisor,
  type ThreadStart,
  type ToSupervisor,
} from './words.js';

const BOOT_URL = new URL('./boot.js', import.meta.url);

/** How long the supervisor waits to deliver a death's error (the mailbox has room: args were taken). */
const DELIVER_MS = 5_000;

/** Node's exit code for a top-level await that never settled (boot.ts awaits the target's promise at top level). */
const UNSETTLED_EXIT = 13;

const start = (await startData()) as { live: SharedArrayBuffer };
// Before anything else could create a table of this thread's own: marks go in the creator's.
adoptTable(start.live);
// Shared buffers cross between the creator and the Threads through here (a browser: links.ts).
linkToParent();

const running = new Map<number, RuntimeWorker>();
/** The buffer link each running Thread's bootstrap made (a browser), dropped if it dies without goodbye. */
const links = new Map<number, unknown>();
/** Threads whose bootstrap said it ended (a Web Worker, which has no exit event: boot.ts). */
const ending = new Set<number>();

onParentMessage((m) => {
  const message = m as ToSupervisor;
  if ('spawn' in message) spawn(message.spawn);
  else running.get(message.terminate)?.terminate();
});

function spawn(request: ThreadStart & { key: number; resourceLimits: Record<string, number> | undefined }): void {
  const { key, resourceLimits, ...data } = request;
  const control = new Int32Array(data.control);
  let worker: RuntimeWorker;
  try {
    worker = startWorker(BOOT_URL, {
      data,
      name: data.name,
      resourceLimits,
      onMessage: (m) => {
        if (isLink(m)) {
          links.set(key, m.port);
          adoptLink(m.port);
        } else if (isThreadEnd(m)) {
          // The thread delivered its outcome and closes itself: end it as an exit with code 0
          // (terminate reports code 1: the end said otherwise).
          ending.add(key);
          running.get(key)?.terminate();
        }
      },
      onExit: (code, error) => void ended(data, key, ending.delete(key) && error === undefined ? 0 : code, error),
    });
  } catch (error) {
    void ended(data, key, 1, error);
    return;
  }
  running.set(key, worker);
  if (worker.threadId >= 0) Atomics.store(control, IDENT, sabsyncIdOf(worker.threadId));
  if (Atomics.compareExchange(control, STATE, STARTING, RUNNING) === STARTING) wake(control, STATE);
}

async function ended(data: ThreadStart, key: number, code: number, error: unknown): Promise<void> {
  running.delete(key);
  // A thread that ended by itself said goodbye on its link, after all it posted there; one
  // that was killed did not: drop its link now.
  const link = links.get(key);
  links.delete(key);
  if (link !== undefined && code !== 0) dropLink(link);
  const control = new Int32Array(data.control);
  const id = Atomics.load(control, IDENT);
  if (id !== 0) markDead(id);
  if (error === undefined && code === UNSETTLED_EXIT && Atomics.load(control, OUTCOME) === AWAITING) {
    error = new Error(
      `thread ${data.name}: its target's promise never settled (the thread's event loop emptied while the promise was pending; Node's exit code 13)`,
    );
  }
  try {
    const mailbox = Queue.from<unknown>(data.mailbox as Handle<'Queue'>);
    if (id !== 0) await mailbox[recoverQueue](id);
    if (error !== undefined) {
      printError(exceptionText(data.name, error));
      if (!delivered(Atomics.load(control, OUTCOME))) {
        await mailbox.putAsync([THREW, error, propsOf(error)], DELIVER_MS);
        Atomics.store(control, OUTCOME, THREW);
      }
    }
  } catch (e) {
    printError(`sabsync: could not deliver the end of thread ${data.name}: ${String(e)}`);
  }
  Atomics.store(control, EXIT_CODE, code === 0 && Atomics.load(control, OUTCOME) === THREW ? 1 : code);
  Atomics.store(control, STATE, ENDED);
  wake(control, STATE);
  postToParent({ ended: key } satisfies FromSupervisor);
}
