// Handles are typed by kind: X.from and revive accept only what they can attach to.
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Connection,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  SharedDict,
  SharedList,
  Value,
  Once,
  ReaderWriterLock,
  SimpleQueue,
  WaitGroup,
  revive,
  type Handle,
  type KindName,
} from 'sabsync';
import { expectType, type Equal } from './expect.js';

const lock = new Lock();
const rlock = new RLock();
const cond = new Condition(lock);
const sem = new Semaphore(2);
const bounded = new BoundedSemaphore(2);
const event = new Event();
const barrier = new Barrier(2);
const queue = new Queue<number>(8);
const lifo = new LifoQueue<string>();
const prio = new PriorityQueue<string>();

expectType<Equal<typeof lock.handle, Handle<'Lock'>>>();
expectType<Equal<Handle<'Lock'>['type'], 'sabsync:Lock'>>();

// from: the right kind compiles ...
Lock.from(lock.handle);
RLock.from(rlock.handle);
Condition.from(cond.handle);
Semaphore.from(sem.handle);
BoundedSemaphore.from(bounded.handle);
Event.from(event.handle);
Barrier.from(barrier.handle, { action: () => {} });

// ... another kind does not.
// @ts-expect-error a Queue handle is not a Lock handle
Lock.from(queue.handle);
// @ts-expect-error an RLock handle is not a Lock handle
Lock.from(rlock.handle);
// @ts-expect-error a Barrier handle is not an Event handle
Event.from(barrier.handle);
// @ts-expect-error a Lock handle is not a Queue handle
Queue.from(lock.handle);
// @ts-expect-error a plain object is not a handle
Lock.from({ buffer: new SharedArrayBuffer(8), byteOffset: 0 });

// Queue.from<T>: the item type is the caller's to state.
const q2 = Queue.from<number>(queue.handle);
expectType<Equal<typeof q2, Queue<number>>>();
q2.put(1);
// @ts-expect-error a Queue<number> takes numbers
q2.put('one');
const l2 = LifoQueue.from<string>(lifo.handle);
expectType<Equal<typeof l2, LifoQueue<string>>>();
const p2 = PriorityQueue.from<string>(prio.handle);
expectType<Equal<typeof p2, PriorityQueue<string>>>();
p2.put([1, 'a']);
// @ts-expect-error a PriorityQueue takes [priority, value] pairs
p2.put('a');
expectType<Equal<ReturnType<typeof p2.get>, [number, string]>>();
expectType<Equal<ReturnType<typeof Queue.from>, Queue<unknown>>>();

// revive: typed by the handle's kind; unknown for anything else.
expectType<Equal<ReturnType<typeof revive<'Lock'>>, Lock>>();
const r1 = revive(lock.handle);
expectType<Equal<typeof r1, Lock>>();
const r2 = revive(barrier.handle);
expectType<Equal<typeof r2, Barrier>>();
const r3 = revive(sem.handle);
expectType<Equal<typeof r3, Semaphore | BoundedSemaphore>>();
const r4 = revive(JSON.parse('{}'));
expectType<Equal<typeof r4, unknown>>();
const h: Handle = lock.handle;
const r5 = revive(h);
expectType<
  Equal<
    typeof r5,
    | Lock
    | RLock
    | Condition
    | Semaphore
    | BoundedSemaphore
    | Event
    | Barrier
    | Queue
    | LifoQueue
    | PriorityQueue
    | ReaderWriterLock
    | WaitGroup
    | Once
    | SimpleQueue
    | Connection
    | Value
    | SharedArray
    | SharedDict
    | SharedList
  >
>();

// A handle's kind, as a type.
export function kindOf(handle: Handle): KindName {
  return handle.type.slice('sabsync:'.length) as KindName;
}
