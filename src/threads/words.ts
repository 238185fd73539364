/**
 * What a Thread, its supervisor (supervisor.ts) and its bootstrap (boot.ts) share: the words of
 * a Thread's control block, the item on its mailbox Queue, and the messages between the
 * creating thread and its supervisor. One file that all three import.
 *
 * The control block: one Int32Array over a SharedArrayBuffer of its own, per Thread.
 *
 *   word       name       values                                  written by
 *   ---------  ---------  --------------------------------------  ------------------------------
 *   0          STATE      NEW → STARTING → RUNNING → ENDED        creator (STARTING), supervisor
 *                         (only ever forward)                     (RUNNING once the worker
 *                                                                 exists, ENDED once it exited)
 *   1          IDENT      the thread's sabsync id, 0 until known  supervisor at spawn (Node);
 *                                                                 the thread itself elsewhere
 *   2          OUTCOME    NONE / AWAITING / RETURNED / THREW      the thread: AWAITING before it
 *                                                                 awaits its target's promise,
 *                                                                 RETURNED / THREW after it put
 *                                                                 its outcome; the supervisor,
 *                                                                 for a death with an error
 *                                                                 (OOM, a promise never settled)
 *   3          EXIT_CODE  the worker's exit code                  supervisor, before ENDED
 *
 * Joiners sleep on STATE (futex.ts). The supervisor stores ENDED only after the worker's `exit`
 * (the worker has stopped, so every store it made comes before) and after it marked the thread
 * dead in the liveness table, then wakes every sleeper: a joiner that reads ENDED sees the
 * outcome and can take over any lock the thread held. Lost wake-ups: a joiner parks on STATE
 * with the value it last read, so a store between its read and its park fails the park.
 *
 * The mailbox: a Queue made by the creator at `start()`, holding first the arguments (the
 * creator puts them before the worker exists; the thread gets them), then the outcome
 * `[kind, value, props]` (the thread puts it; `props`: a thrown error's own enumerable
 * properties, such as `code`, which an error's encoding drops). Items cross as queue items do,
 * so primitives and shared buffers arrive live both ways.
 */
import type { Handle } from '../primitives/memory.js';

export const STATE = 0;
export const IDENT = 1;
export const OUTCOME = 2;
export const EXIT_CODE = 3;
export const CONTROL_WORDS = 4;

/** STATE: not started. */
export const NEW = 0;
/** STATE: start() asked the supervisor for a worker. */
export const STARTING = 1;
/** STATE: the worker exists (it may still be importing the module). */
export const RUNNING = 2;
/** STATE: the worker has exited, however it ended. */
export const ENDED = 3;

/** OUTCOME: nothing delivered (yet, or ever: process.exit, terminate). */
export const NONE = 0;
/** OUTCOME: the target returned; the mailbox holds `[RETURNED, value]`. */
export const RETURNED = 1;
/** OUTCOME: the target (or the thread) threw; the mailbox holds `[THREW, error, props]`. */
export const THREW = 2;
/**
 * OUTCOME: the target returned a promise, which the thread awaits; nothing delivered yet. A
 * worker that exits so (with Node's code 13: its event loop emptied while the bootstrap's
 * top-level await was pending) had a promise that never settled.
 */
export const AWAITING = 3;

/** Whether OUTCOME says the mailbox holds the outcome item. */
export function delivered(outcome: number): boolean {
  return outcome === RETURNED || outcome === THREW;
}

/** The outcome item on the mailbox. */
export type Outcome = [kind: typeof RETURNED | typeof THREW, value: unknown, props?: Record<string, unknown>];

/** What the thread's bootstrap starts with. */
export interface ThreadStart {
  module: string;
  target: string;
  name: string;
  daemon: boolean;
  control: SharedArrayBuffer;
  mailbox: Handle<'Queue'>;
}

/** Creator → supervisor. */
export type ToSupervisor =
  | { spawn: ThreadStart & { key: number; resourceLimits: Record<string, number> | undefined } }
  | { terminate: number };

/**
 * Bootstrap → supervisor, in a Web Worker (which has no exit event): the target has returned and
 * its outcome is delivered; the worker closes itself next. The supervisor then ends it as if it
 * had exited with code 0.
 */
export const THREAD_END = 'sabsync:thread-end';

/** Whether a bootstrap's message says its thread has ended (`THREAD_END`). */
export function isThreadEnd(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === THREAD_END;
}

/** Supervisor → creator: the thread with this key has ended (its STATE is ENDED). */
export interface FromSupervisor {
  ended: number;
}

/** The own enumerable properties of an error (its `code`...), which its encoding would drop. */
export function propsOf(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof Error)) return undefined;
  const keys = Object.keys(error);
  if (keys.length === 0) return undefined;
  const props: Record<string, unknown> = {};
  for (const k of keys) props[k] = (error as unknown as Record<string, unknown>)[k];
  return props;
}

/** The text printed for an error that ended a thread (Python's `threading.excepthook`). */
export function exceptionText(name: string, error: unknown): string {
  const body = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `Exception in thread ${name}:\n${body}`;
}
