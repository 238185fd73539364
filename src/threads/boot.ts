/**
 * A Thread's worker: take the arguments from the mailbox, import the module, run the target,
 * put its outcome on the mailbox (words.ts). Started by the supervisor (supervisor.ts);
 * compiled to dist/threads/boot.js.
 *
 * An error the target throws (or rejects with) is printed to stderr at once, with the thread's
 * name — synchronously, since the thread may be killed next — and delivered as its error
 * (Python's `threading.excepthook`); the supervisor then reports exit code 1. A value that cannot cross back (a function, a result larger
 * than the mailbox) becomes that error instead. The worker then ends as any worker does: when
 * its event loop has nothing left to do (a timer the target left running keeps the thread alive,
 * as a Python thread lives until its `run()` returns) — except a Web Worker, which never ends by
 * itself: it ends as soon as the outcome is delivered (see the end of this file).
 */
// Every kind registered (memory.ts) before the arguments are decoded: they may hold any
// primitive, whatever the target's module imports.
import '../index.js';
import { typeError } from '../primitives/errors.js';
import type { Handle } from '../primitives/memory.js';
import { threadId } from '../primitives/thread.js';
import { leaveLinks } from '../queue/buffers.js';
import { Queue } from '../queue/queue.js';
import { builtin } from '../runtime/node.js';
import { nameThisThread, postToParent, printError, startData, whileBootstrapping } from '../runtime/worker.js';
import { linkToParent } from './links.js';
import { AWAITING, exceptionText, IDENT, OUTCOME, propsOf, RETURNED, THREAD_END, THREW, type Outcome, type ThreadStart } from './words.js';

/** How long the bootstrap waits for shared buffers its arguments refer to (queue.ts, buffers.ts). */
const ARGS_MS = 10_000;

const start = (await startData()) as ThreadStart;
// Shared buffers put after this thread started reach it over this link (a browser: queue/buffers.ts).
linkToParent();
nameThisThread(start.name, start.daemon);
const control = new Int32Array(start.control);
// Where the supervisor cannot know the id (a Web Worker), the thread tells it.
Atomics.compareExchange(control, IDENT, 0, threadId);
const mailbox = Queue.from<unknown>(start.mailbox as Handle<'Queue'>);

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

async function run(): Promise<Outcome> {
  try {
    const args = (await mailbox.getAsync(ARGS_MS)) as unknown[];
    // Thread.start() / new Pool / new Executor refuse meanwhile (ERR_BOOTSTRAPPING): a module
    // that starts a Thread of itself at top level would start one in every thread, without end.
    const mod = (await whileBootstrapping(start.module, () => import(start.module))) as Record<string, unknown>;
    const fn = mod[start.target];
    if (typeof fn !== 'function') {
      const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw typeError(`Thread: ${start.module} has no function export '${start.target}' (it has: ${names.join(', ') || 'none'})`);
    }
    let value = (fn as (...a: unknown[]) => unknown)(...args);
    if (isThenable(value)) {
      // Should it never settle, the worker exits (code 13) with this mark: the supervisor says why.
      Atomics.store(control, OUTCOME, AWAITING);
      value = await value;
    }
    return [RETURNED, value];
  } catch (error) {
    printError(exceptionText(start.name, error));
    return [THREW, error, propsOf(error)];
  }
}

/** Put the outcome; one that cannot cross becomes the error saying why. */
function deliver(outcome: Outcome): void {
  try {
    mailbox.putNowait(outcome);
  } catch (why) {
    const what = outcome[0] === RETURNED ? 'its result' : 'its error';
    const error = Object.assign(new Error(`thread ${start.name}: ${what} cannot be sent back: ${(why as Error).message}`, { cause: why }), {
      code: (why as { code?: unknown }).code,
    });
    if (outcome[0] === RETURNED) printError(exceptionText(start.name, error));
    mailbox.putNowait([THREW, error, propsOf(error)]);
    Atomics.store(control, OUTCOME, THREW);
    return;
  }
  Atomics.store(control, OUTCOME, outcome[0]);
}

deliver(await run());

/**
 * A Web Worker has no exit event: its starter would never learn that it ended. So there the
 * thread ends itself once its outcome is delivered — it says goodbye on its buffer links, tells
 * the supervisor (which marks it dead and stores ENDED, as for an exit), and closes. Work the
 * target left running (a timer) ends with it. Elsewhere the worker ends when its event loop
 * has nothing left to do, and its exit event tells.
 */
if (builtin('node:worker_threads') === undefined) {
  leaveLinks();
  postToParent({ type: THREAD_END });
  (globalThis as unknown as { close(): void }).close();
}
