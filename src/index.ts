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
  EOFError,
  type ErrorCode,
} from './primitives/errors.js';
export { revive, type Handle, type KindName, type PlacementOptions } from './primitives/memory.js';
export { Lock } from './primitives/lock.js';
export { RLock } from './primitives/rlock.js';
export { Condition, type ConditionOptions } from './primitives/condition.js';
export { Semaphore, BoundedSemaphore } from './primitives/semaphore.js';
export { Event } from './primitives/event.js';
export { Barrier, type BarrierOptions } from './primitives/barrier.js';
export { Queue, LifoQueue, PriorityQueue, type QueueOptions } from './queue/queue.js';
export { ReaderWriterLock } from './primitives/rwlock.js';
export { WaitGroup } from './primitives/waitgroup.js';
export { Once } from './primitives/once.js';
export { JoinableQueue, SimpleQueue, type SimpleQueueOptions } from './queue/python.js';
export { Future } from './pool/future.js';
export { asCompleted, wait, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, type ReturnWhen, type CompletedFuture } from './pool/waiting.js';
export { Pool, AsyncResult, type PoolOptions, type AsyncCallbacks } from './pool/pool.js';
export { Executor, type ExecutorOptions } from './pool/executor.js';
export { Value, type ValueOptions } from './shared/value.js';
export { SharedArray, type SharedArrayOptions } from './shared/array.js';
export { SharedDict, type SharedDictOptions } from './shared/dict.js';
export { SharedList, type SharedListOptions } from './shared/list.js';
export type { Typecode, ElementOf, TypedArrayOf } from './shared/typecodes.js';
export { Thread, Process, type ThreadOptions } from './threads/thread.js';
export { currentThread, cpuCount, type ThreadInfo } from './threads/current.js';
export { Pipe, Connection, type PipeOptions } from './threads/pipe.js';
// Pool and Executor: what pool users ask for (per-task options, abort, progress, stats, typed tasks).
export { AbortError } from './primitives/errors.js';
export { currentTask, type TaskContext } from './pool/current.js';
export type { TaskOptions } from './pool/options.js';
export type { ApplyAsyncOptions } from './pool/pool.js';
export type { PoolStats, LatencySummary } from './pool/stats.js';
export type { AnyModule, TaskName, TaskArgs, TaskResult } from './pool/typed.js';
// Browsers: shared buffers in queue items reach a Web Worker the program started itself.
export { linkWorker, type Linkable } from './queue/buffers.js';
