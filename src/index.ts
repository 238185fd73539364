/**
 * sabsync: Python's threading, queue, multiprocessing.Pool and concurrent.futures for
 * JavaScript threads, on SharedArrayBuffer + Atomics. The public surface only.
 */
export {
  SabsyncError,
  Empty,
  Full,
  ShutDown,
  BrokenBarrierError,
  CancelledError,
  TimeoutError,
  WorkerCrashedError,
  PoolClosedError,
} from './primitives/errors.js';
export { revive, type Handle, type PlacementOptions } from './primitives/memory.js';
export { Lock } from './primitives/lock.js';
export { RLock } from './primitives/rlock.js';
export { Condition, type ConditionOptions } from './primitives/condition.js';
export { Semaphore, BoundedSemaphore } from './primitives/semaphore.js';
export { Event } from './primitives/event.js';
export { Barrier, type BarrierOptions } from './primitives/barrier.js';
export { Queue, LifoQueue, PriorityQueue, type QueueOptions } from './queue/queue.js';
