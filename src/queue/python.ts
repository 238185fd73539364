/**
 * Python's other queue names: `multiprocessing.JoinableQueue` and `queue.SimpleQueue`.
 *
 * `JoinableQueue` is `Queue` itself: ours tracks tasks (`taskDone` / `join`) as Python's
 * `queue.Queue` and `multiprocessing.JoinableQueue` both do.
 *
 * `SimpleQueue` is a FIFO queue with no item limit and no task tracking: Python's surface
 * (`put`, `putNowait`, `get`, `getNowait`, `empty`, `qsize`) plus the async twins, over a
 * `Queue` of its own. Its memory is that Queue's (tagged as a Queue); its handle says
 * `sabsync:SimpleQueue`, so that `revive` and a queue item bring back a SimpleQueue, and
 * `Queue.from` refuses it as any handle of another kind.
 */
import { typeError } from '../primitives/errors.js';
import { guardClone, registerKind, type Handle, type QueueKind } from '../primitives/memory.js';
import { Queue, type QueueOptions } from './queue.js';

/** Python's `multiprocessing.JoinableQueue`: the same class as `Queue`. */
export const JoinableQueue = Queue;
/** Python's `multiprocessing.JoinableQueue`: the same class as `Queue`. */
export type JoinableQueue<T = unknown> = Queue<T>;

/** Options of `new SimpleQueue(options)`: a Queue's, with no item limit. */
export type SimpleQueueOptions = QueueOptions;

const KIND = 'sabsync:SimpleQueue';
const QUEUE_KIND = 'sabsync:Queue';

/**
 * An unbounded first-in, first-out queue with no task tracking, shared between threads.
 * Python: `queue.SimpleQueue`.
 */
export class SimpleQueue<T = unknown> {
  /** Bytes a SimpleQueue of these options occupies (for placement with `{ buffer, byteOffset }`). */
  static byteLength(options?: { bytes?: number; maxWaiters?: number }): number {
    return Queue.byteLength(0, options);
  }

  readonly #queue: Queue<T>;

  /**
   * Create an empty SimpleQueue, in new shared memory or at `{ buffer, byteOffset }`. It holds
   * as many items as fit in `options.bytes` (default 1 MiB): a `put` that finds no room waits,
   * as `Queue.put` does. Throws `TypeError` / `RangeError` for a bad option.
   */
  constructor(options?: SimpleQueueOptions) {
    guardClone(this, 'SimpleQueue');
    if (typeof options === 'number') throw typeError('new SimpleQueue(): a SimpleQueue is unbounded and takes no maxsize (Python: queue.SimpleQueue()); use a Queue for a bound');
    this.#queue = SimpleQueue.#attaching ?? new Queue<T>(0, options);
    SimpleQueue.#attaching = undefined;
  }

  static #attaching: Queue<never> | undefined;

  /** Attach to the SimpleQueue a handle describes (from any thread). */
  static from<T = unknown>(handle: Handle<'SimpleQueue'>): SimpleQueue<T> {
    const h = handle as Partial<Handle> | null;
    if (typeof h !== 'object' || h === null) throw typeError('SimpleQueue.from(handle): handle must be an object');
    if (h.type !== KIND) {
      const got = typeof h.type === 'string' && h.type.startsWith('sabsync:') ? `a ${h.type.slice(8)} handle` : 'not a sabsync handle';
      throw typeError(`SimpleQueue.from(handle): expected a SimpleQueue handle, got ${got}`);
    }
    SimpleQueue.#attaching = Queue.from<never>({ ...h, type: QUEUE_KIND } as Handle<QueueKind>);
    try {
      return new SimpleQueue<T>();
    } finally {
      SimpleQueue.#attaching = undefined;
    }
  }

  /** A structured-cloneable description of this queue for `SimpleQueue.from` / `revive`. */
  get handle(): Handle<'SimpleQueue'> {
    return { ...this.#queue.handle, type: KIND };
  }

  /**
   * Put `item` at the end of the queue. It waits only while the queue's bytes are exhausted,
   * until `timeout` ms pass (`Full` then). Throws as `Queue.put` does. Python: `SimpleQueue.put`.
   */
  put(item: T, timeout?: number): void {
    this.#queue.put(item, timeout);
  }

  /** Async twin of `put`. */
  putAsync(item: T, timeout?: number): Promise<void> {
    return this.#queue.putAsync(item, timeout);
  }

  /** Put without waiting: `Full` if the bytes are exhausted. Python: `SimpleQueue.put_nowait`. */
  putNowait(item: T): void {
    this.#queue.putNowait(item);
  }

  /**
   * Remove and return the item at the front, waiting while the queue is empty until `timeout`
   * ms pass (`Empty` then; nothing removed). Python: `SimpleQueue.get`.
   */
  get(timeout?: number): T {
    return this.#queue.get(timeout);
  }

  /** Async twin of `get`. */
  getAsync(timeout?: number): Promise<T> {
    return this.#queue.getAsync(timeout);
  }

  /** Get without waiting: `Empty` if there is nothing. Python: `SimpleQueue.get_nowait`. */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /** Whether the queue holds no item (a snapshot). Python: `SimpleQueue.empty()`. */
  empty(): boolean {
    return this.#queue.empty();
  }

  /** How many items the queue holds (a snapshot). Python: `SimpleQueue.qsize()`. */
  qsize(): number {
    return this.#queue.qsize();
  }
}

registerKind('SimpleQueue', (h) => SimpleQueue.from(h));
