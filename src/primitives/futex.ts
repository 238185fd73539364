/**
 * The one place that blocks: the only caller of `Atomics.wait`, `Atomics.waitAsync` and
 * `Atomics.notify` in sabsync.
 *
 * Every slow path in the package is written once, as a generator of `Park` requests ("sleep
 * while word `index` of `i32` still equals `expected`, until `deadline`"), and driven by one of
 * three runners:
 *
 *   - `runSync`    parks with a short spin, then `Atomics.wait` (the blocking form);
 *   - `runAsync`   parks with `Atomics.waitAsync` (the `...Async` twin), never blocking the loop;
 *   - `runBriefly` for sync methods with no async twin whose waits are brief (a lock held for a
 *                  few instructions): `runSync` where the thread may block, else busy-waits.
 *
 * "Cannot block here" (a browser main thread) is an error only for a call that would really
 * wait. `runSync` checks it up front, for callers whose fast path has already shown that a wait
 * is needed. `runSyncMarked` checks it where the algorithm itself says a real wait begins
 * (`waitBegins()`, with nothing changed yet): until then it runs where blocking is forbidden
 * too, busy-waiting at its brief parks, so a queue's `getNowait()` on a non-empty queue or a
 * `put` with room works on a browser main thread.
 *
 * So a primitive's sync method and its async twin share one algorithm, and deadline math,
 * spinning, the keep-alive and the "cannot block here" check live here only.
 *
 * Deadlines are absolute `performance.now()` milliseconds (monotonic), computed once per call;
 * after every wake-up the runner waits again only for what remains. `Infinity` never expires.
 *
 * Lost wake-ups: a park compares the word with `expected` atomically before sleeping
 * (`Atomics.wait` semantics), so a writer that changes the word and then notifies can never
 * be missed. Each algorithm names, at its park, which value it compares against and why.
 */
import { misuse, rangeError, typeError } from './errors.js';

/** Outcome of one park, as `Atomics.wait` reports it. */
export type ParkResult = 'ok' | 'not-equal' | 'timed-out';

/**
 * A request to sleep while `i32[index] === expected`, until `deadline` (ms, monotonic); a
 * synchronous park first spins `spins` loads (SPIN_LOADS unless the algorithm says otherwise).
 */
export interface Park {
  readonly i32: Int32Array;
  readonly index: number;
  readonly expected: number;
  readonly deadline: number;
  readonly spins: number;
}

/** An algorithm with blocking points: yields parks, receives their results, returns T. */
export type Steps<T> = Generator<Park, T, ParkResult>;

/** Build a park request (`spins`: loads to spin first, when the thread may block). */
export function park(i32: Int32Array, index: number, expected: number, deadline: number, spins = SPIN_LOADS): Park {
  return { i32, index, expected, deadline, spins };
}

// ---------------------------------------------------------------------------------------------
// Timeouts and deadlines

/**
 * Validate a timeout in milliseconds and return it (`Infinity` for `undefined`).
 * Throws `TypeError` for a non-number, `RangeError` for a negative number or `NaN`.
 */
export function checkTimeout(timeout: number | undefined, name = 'timeout'): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== 'number') {
    throw typeError(`${name} must be a number of milliseconds or undefined, got ${typeof timeout}`);
  }
  if (!(timeout >= 0)) {
    throw rangeError(`${name} must be >= 0 milliseconds (or Infinity), got ${timeout}`);
  }
  return timeout;
}

/** Turn a validated timeout into an absolute monotonic deadline. */
export function deadlineAfter(timeout: number): number {
  return timeout === Infinity ? Infinity : performance.now() + timeout;
}

/** Milliseconds left until `deadline` (0 when passed, `Infinity` for no deadline). */
export function remaining(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  const left = deadline - performance.now();
  return left > 0 ? left : 0;
}

// ---------------------------------------------------------------------------------------------
// Spinning policy

/**
 * Loads to spin before a synchronous park falls asleep. A short spin turns a hand-off between
 * two running threads into ~0.2 µs instead of a futex round trip through the kernel (tens of
 * µs on a VM), but spinning is wasted — and slows everyone — when threads outnumber cores.
 * 64 loads is about a microsecond: long enough to catch a critical section ending on another
 * core, short enough to cost nothing noticeable when it does not. Async parks never spin:
 * they run on an event loop that has other work to do.
 */
export const SPIN_LOADS = 64;

/**
 * Loads a Condition's waiter spins on its node before its first sleep (waiters.ts). On a
 * hand-off the partner it has just woken often answers within a few microseconds, and a notify
 * caught spinning saves both threads a futex round trip: SPIN_LOADS plus about a microsecond,
 * the window the waiter had before its way into the sleep became plain code (condition.ts
 * `#begin`). Longer (160) caught far more hand-offs with two free cores but cost 10-20% when
 * both threads share one core (measured in the ping-pong rows, bench/primitives.bench.mjs).
 */
export const HANDOFF_SPIN_LOADS = 112;

// ---------------------------------------------------------------------------------------------
// Runners

let blockingAllowed: boolean | undefined;

/** Whether this thread may block in `Atomics.wait` (false on a browser main thread). */
export function canBlock(): boolean {
  if (blockingAllowed === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}

function cannotBlock(asyncName: string): Error {
  return misuse('ERR_CANNOT_BLOCK', `this thread may not block in Atomics.wait (a browser main thread?): use ${asyncName}() instead`);
}

/** Throw `ERR_CANNOT_BLOCK` naming `asyncName` when this thread may not block. */
export function assertCanBlock(asyncName: string): void {
  if (!canBlock()) throw cannotBlock(asyncName);
}

// Both parks report 'timed-out' once the deadline has passed, even if the word has moved: every
// algorithm re-checks its state before parking, so this ends a timed call that would otherwise
// keep retrying for as long as other threads keep changing the word.
function parkSync(p: Park): ParkResult {
  const { i32, index, expected } = p;
  wakeDeferred();
  if (remaining(p.deadline) === 0) return 'timed-out';
  for (let i = p.spins; i > 0; i--) {
    if (Atomics.load(i32, index) !== expected) return 'not-equal';
  }
  // Atomics.wait's own clock may fire a hair early: re-wait until the deadline has truly passed.
  for (;;) {
    const left = remaining(p.deadline);
    if (left === 0) return 'timed-out';
    const r = Atomics.wait(i32, index, expected, left);
    if (r !== 'timed-out') return r;
  }
}

// Which runner is executing the current step. A wake-up given to a waitAsync waiter is only
// acted on when that waiter's thread next runs its event loop — which may be never, if that
// thread is itself blocked (say, in a sync acquire of the same lock). So a word that wakes ONE
// sleeper must know when an async sleeper is among them and then wake them all (rawlock.ts,
// semaphore.ts ask `parkingAsync()` as they go to sleep).
let drivingAsync = false;
/** The async twin to name when the step now running reaches `waitBegins()` where it may not block. */
let mayNotWait: string | undefined;

/** Whether the step now running will be parked by the async runner (`Atomics.waitAsync`). */
export function parkingAsync(): boolean {
  return drivingAsync;
}

/**
 * Called by an algorithm driven by `runSyncMarked` where it is about to wait for another thread
 * (not for a lock held a few instructions), its shared state untouched so far: throws
 * `ERR_CANNOT_BLOCK` if this is a synchronous call on a thread that may not block. The
 * algorithm's own `finally` then undoes what it holds (a lock), so the call changes nothing.
 */
export function waitBegins(): void {
  if (mayNotWait !== undefined) throw cannotBlock(mayNotWait);
}

function step<T>(steps: Steps<T>, result: ParkResult | undefined, async: boolean, noWait?: string): IteratorResult<Park, T> {
  const outer = drivingAsync;
  const outerNoWait = mayNotWait;
  drivingAsync = async;
  mayNotWait = noWait;
  try {
    return result === undefined ? steps.next() : steps.next(result);
  } finally {
    drivingAsync = outer;
    mayNotWait = outerNoWait;
  }
}

/** Drive `steps` to completion, blocking the thread at each park. */
export function runSync<T>(steps: Steps<T>, asyncName: string): T {
  assertCanBlock(asyncName);
  let r = step(steps, undefined, false);
  while (!r.done) r = step(steps, parkSync(r.value), false);
  return r.value;
}

/**
 * Drive `steps` to completion, blocking the thread at each park, for an algorithm that marks
 * where its real waits begin (`waitBegins()`). Where the thread may not block, its parks
 * busy-wait (they are brief: locks held for a few instructions) and `waitBegins()` throws
 * `ERR_CANNOT_BLOCK` naming `asyncName`: only a call that would really wait fails there.
 */
export function runSyncMarked<T>(steps: Steps<T>, asyncName: string): T {
  if (canBlock()) return runSync(steps, asyncName);
  let r = step(steps, undefined, false, asyncName);
  while (!r.done) r = step(steps, spinPark(r.value), false, asyncName);
  return r.value;
}

/** Busy-wait out a park: while the word holds `expected` and the deadline has not passed. */
function spinPark(p: Park): ParkResult {
  const { i32, index, expected, deadline } = p;
  wakeDeferred();
  while (Atomics.load(i32, index) === expected && remaining(deadline) > 0);
  return Atomics.load(i32, index) === expected ? 'timed-out' : 'not-equal';
}

/**
 * Drive `steps` for a method with no async twin whose waits are only ever brief (taking a lock
 * held for a few instructions): blocking where the thread may block, busy-waiting where it
 * may not (a browser main thread). Never throws `ERR_CANNOT_BLOCK`.
 */
export function runBriefly<T>(steps: Steps<T>, method: string): T {
  if (canBlock()) return runSync(steps, method);
  let r = step(steps, undefined, false);
  while (!r.done) r = step(steps, spinPark(r.value), false);
  return r.value;
}

// A pending Atomics.waitAsync does not keep Node (or a worker) alive, so while any async park
// is pending we hold one ref'd timer. API.md: an awaited async call keeps the process alive.
let pendingAsync = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function holdAlive(): void {
  if (pendingAsync++ === 0) keepAlive = setInterval(() => {}, 0x3fffffff);
}

function releaseAlive(): void {
  if (--pendingAsync === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

async function parkAsync(p: Park): Promise<ParkResult> {
  wakeDeferred();
  for (;;) {
    const left = remaining(p.deadline);
    if (left === 0) return 'timed-out';
    const w = Atomics.waitAsync(p.i32, p.index, p.expected, left === Infinity ? undefined : left);
    if (!w.async) {
      if (w.value !== 'timed-out') return w.value;
      continue;
    }
    holdAlive();
    let r: ParkResult;
    try {
      r = await w.value;
    } finally {
      releaseAlive();
    }
    if (r !== 'timed-out') return r;
  }
}

/** Drive `steps` to completion, awaiting `Atomics.waitAsync` at each park. */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let r = step(steps, undefined, true);
  while (!r.done) r = step(steps, await parkAsync(r.value), true);
  return r.value;
}

/** Wake up to `count` threads parked on `i32[index]`; returns how many woke. */
export function wake(i32: Int32Array, index: number, count = Infinity): number {
  return Atomics.notify(i32, index, count);
}

// ---------------------------------------------------------------------------------------------
// Deferred wake-ups

// A Condition's notifier holds the lock its waiter must take back. Woken at once, the waiter
// races its notifier for that lock and, when it loses (always, if the two share a core and the
// waiter preempts its waker), sleeps on the lock and needs a second wake-up. So `notify` only
// marks the waiter NOTIFIED and leaves the wake-up here, to be paid by this thread right after
// its next release of a lock (rawlock.ts `unlock`), when the waiter finds the lock free.
//
// A deferred wake-up is paid, whichever comes first, by: this thread's next `unlock` of any
// lock word (early is harmless: it is the wake-up at once), its next park (it is about to sleep:
// another thread may release a Python Lock for it), and a microtask queued when the first one
// is deferred (this thread's current synchronous run ends). Each is a wake of one thread on a
// word its waiter re-checks, so one paid twice or to a node reused meanwhile is a stray
// wake-up the waiter sleeps through, never a lost one.
const laterI32: (Int32Array | undefined)[] = [];
const laterIndex: number[] = [];
let laterCount = 0;
let laterQueued = false;

/**
 * Wake the one thread parked on `i32[index]` after this thread's next lock release (see above).
 * The caller has already written what the sleeper compares against.
 */
export function wakeLater(i32: Int32Array, index: number): void {
  laterI32[laterCount] = i32;
  laterIndex[laterCount++] = index;
  if (!laterQueued) {
    laterQueued = true;
    queueMicrotask(payLaterTask);
  }
}

/** Pay every wake-up this thread has deferred (`wakeLater`); one load when there are none. */
export function wakeDeferred(): void {
  if (laterCount !== 0) payLater();
}

function payLaterTask(): void {
  laterQueued = false;
  wakeDeferred();
}

function payLater(): void {
  // Taken off the list before waking: nothing here can re-enter, but a throw must not repeat.
  const n = laterCount;
  laterCount = 0;
  for (let k = 0; k < n; k++) {
    Atomics.notify(laterI32[k]!, laterIndex[k]!, 1);
    laterI32[k] = undefined;
  }
}
