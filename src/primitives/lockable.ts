/**
 * What lock-like primitives share: the `hold()` / `holdAsync()` guards for `using`, and the
 * internal protocol a Condition needs from the lock it is built on (CPython's `_is_owned`,
 * `_release_save`, `_acquire_restore`). The protocol's keys are symbols that `index.ts` does not
 * export, so they stay internal to the package.
 */
import { TimeoutError } from './errors.js';
import type { Steps } from './futex.js';

/** Whether the calling thread holds the lock. */
export const isOwned = Symbol('sabsync.isOwned');
/** Release the lock completely, returning what `acquireRestore` needs to take it back. */
export const releaseSave = Symbol('sabsync.releaseSave');
/**
 * Take the lock back and restore what `releaseSave` returned; false (nothing restored, lock
 * not held) if `deadline` passes first (default: wait as long as it takes).
 */
export const acquireRestore = Symbol('sabsync.acquireRestore');
/**
 * `acquireRestore`'s fast path, a plain call (no steps to drive): take the lock back if it is
 * free and restore; false (nothing changed) if it is held.
 */
export const tryRestore = Symbol('sabsync.tryRestore');

/**
 * Release the lock if the thread with sabsync id `deadId` (which has exited) still holds it;
 * returns whether it did. For a thread that saw `deadId` exit but no liveness table records it
 * (rawlock.ts: a dead holder the table records is taken over by the next acquirer).
 */
export const recoverLock = Symbol('sabsync.recoverLock');

/**
 * A Lock's hook: the steps to run after its word was taken over from a dead holder, with the
 * lock held — set by a primitive that guards its own state with the Lock (the Queue rolls back
 * its undo log). Unset, a taken-over Lock is simply handed to the new holder.
 */
export const repairOnTakeOver = Symbol('sabsync.repairOnTakeOver');

/** Whether the lock is held by a thread recorded dead (liveness.ts): its next taker repairs. */
export const heldByDead = Symbol('sabsync.heldByDead');

/** Anything that can be acquired and released, sync and async. */
export interface Acquirable {
  acquire(timeout?: number): boolean;
  acquireAsync(timeout?: number): Promise<boolean>;
  release(): void;
}

/** A lock a Condition can be built on: Lock or RLock. (The protocol is left out of the .d.ts.) */
export interface Lockable extends Acquirable {
  /** @internal */
  [isOwned](): boolean;
  /** @internal */
  [releaseSave](): number;
  /** @internal */
  [acquireRestore](saved: number, deadline?: number): Steps<boolean>;
  /** @internal */
  [tryRestore](saved: number): boolean;
  /** @internal */
  [recoverLock](deadId: number): boolean;
  /** @internal */
  [heldByDead](): boolean;
}

/** Whether `value` is a Lock or RLock (anything implementing the Condition protocol). */
export function isLockable(value: unknown): value is Lockable {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Lockable>)[isOwned] === 'function';
}

function guard(target: Acquirable): Disposable {
  let open = true;
  return {
    [Symbol.dispose]() {
      if (open) {
        open = false;
        target.release();
      }
    },
  };
}

/**
 * Acquire `target` and return a guard that releases it on dispose (`using _ = x.hold()`).
 * Throws `TimeoutError` if it could not be acquired within `timeout` ms.
 */
export function hold(target: Acquirable, timeout: number | undefined, name: string): Disposable {
  if (!target.acquire(timeout)) throw new TimeoutError(`${name}.hold(): not acquired within ${timeout} ms`);
  return guard(target);
}

/** Async twin of `hold`: resolves to the guard, rejects with `TimeoutError`. */
export async function holdAsync(target: Acquirable, timeout: number | undefined, name: string): Promise<Disposable> {
  if (!(await target.acquireAsync(timeout))) {
    throw new TimeoutError(`${name}.holdAsync(): not acquired within ${timeout} ms`);
  }
  return guard(target);
}
