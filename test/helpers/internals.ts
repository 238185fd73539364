/**
 * The white-box door: every package internal a test reaches, in one place.
 *
 * Import convention of the suite: the public API comes from the built package, `'sabsync'`
 * (dist/, through the package's own `exports`), exactly as a user imports it; internals come
 * from the same built modules under dist/, through this file and nowhere else. Never from
 * src/: a symbol-keyed hook (`recoverLock`, `purgeWaiters`, ...) is a different Symbol in a
 * second copy of the modules, and a worker fixture (a plain .mjs file) can load only dist/.
 * Fixtures follow the same rule: `'sabsync'`, and `'../../dist/...'` for internals.
 * So tests and fixtures run the code that ships, and `npm test` builds it first.
 *
 * The hooks are methods under Symbols that index.ts does not export, and that the published
 * declarations need not describe (`@internal`): each is wrapped here in a plain typed function,
 * so a test reads `recoverLock(lock, id)` and type-checks whatever the .d.ts files say.
 */
import { Future, type Condition, type Lock, type Queue, type RLock } from 'sabsync';
import * as condition from '../../dist/primitives/condition.js';
import * as lockable from '../../dist/primitives/lockable.js';
import * as future from '../../dist/pool/future.js';
import * as queue from '../../dist/queue/queue.js';

export { sabsyncIdOf } from '../../dist/primitives/thread.js';
export { layoutOfWords } from '../../dist/queue/store.js';
export { Kind, tagOf } from '../../dist/primitives/memory.js';
export { fifo } from '../../dist/queue/order.js';
export { SLOT_WORDS, SMALL } from '../../dist/queue/ring.js';
export { FETCH_TIMEOUT } from '../../dist/queue/buffers.js';
export { deaths, isDead, livenessTable, markDead, DENSE_IDS } from '../../dist/primitives/liveness.js';
export { SLEEPING, Slots } from '../../dist/pool/slots.js';

/** The Symbol a built module exports as `name`. */
function symbolOf(module: object, name: string): symbol {
  const s = (module as Record<string, unknown>)[name];
  if (typeof s !== 'symbol') throw new Error(`the built package has no internal '${name}' any more`);
  return s;
}

/** Call the method `target` has under `key`. */
function callHook<R>(target: object, key: symbol, ...args: unknown[]): R {
  const method = (target as Record<symbol, unknown>)[key];
  if (typeof method !== 'function') throw new Error(`no internal ${String(key)} on a ${target.constructor.name}`);
  return (method as (...a: unknown[]) => R).apply(target, args);
}

const RECOVER_LOCK = symbolOf(lockable, 'recoverLock');
const PURGE_WAITERS = symbolOf(condition, 'purgeWaiters');
const RECOVER_QUEUE = symbolOf(queue, 'recoverQueue');
const OFFER = symbolOf(queue, 'offer');
const SET_RESULT = symbolOf(future, 'setResult');
const SET_EXCEPTION = symbolOf(future, 'setException');
const SET_CONTROL = symbolOf(future, 'setControl');

/** `lock[recoverLock](deadId)`: release it if thread `deadId` (exited) holds it; whether it did. */
export function recoverLock(lock: Lock | RLock, deadId: number): boolean {
  return callHook(lock, RECOVER_LOCK, deadId);
}

/** `cond[purgeWaiters](deadId)`: forget the waits of thread `deadId`; how many it repaired. */
export function purgeWaiters(cond: Condition, deadId: number): number {
  return callHook(cond, PURGE_WAITERS, deadId);
}

/** `q[recoverQueue](deadId)`: repair what thread `deadId` left in the queue; whether anything. Await it. */
export function recoverQueue(q: Queue<unknown>, deadId: number): boolean | Promise<boolean> {
  return callHook(q, RECOVER_QUEUE, deadId);
}

/** `q[offer](item)`: put without ever waiting; false if full, a claim holds the end, or (an item in chunks) the lock is taken. */
export function offer<T>(q: Queue<T>, item: T): boolean {
  return callHook(q, OFFER, item);
}

/** A Future as the engine makes one: `onCancel` runs when its `cancel()` wins. */
export function futureWith<R>(onCancel: () => void): Future<R> {
  return new (Future as new (onCancel?: () => void) => Future<R>)(onCancel);
}

/** `f[setResult](value)`: settle a Future with a value; false if it was settled already. */
export function setResult<R>(f: Future<R>, value: R): boolean {
  return callHook(f, SET_RESULT, value);
}

/** `f[setException](error)`: settle a Future with an error; false if it was settled already. */
export function setException(f: Future<unknown>, error: unknown): boolean {
  return callHook(f, SET_EXCEPTION, error);
}

/** What a Future asks of its task (engine.ts): cancel it if not started, and whether it runs. */
export interface TaskControl {
  cancel(): boolean;
  running(): boolean;
}

/** `f[setControl](control)`: attach the task's control to a Future (undefined: detach). */
export function setControl(f: Future<unknown>, control: TaskControl | undefined): void {
  callHook(f, SET_CONTROL, control);
}
export { setAfterStore } from '../../dist/shared/storage.js';
export { Taken } from '../../dist/pool/taken.js';
