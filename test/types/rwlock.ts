// ReaderWriterLock, WaitGroup, Once and the Python queue names, as a user's strict project sees them.
import { JoinableQueue, Once, Queue, ReaderWriterLock, SimpleQueue, WaitGroup, revive, type Handle } from 'sabsync';
import { expectType, type Equal } from './expect.js';

export async function readersAndWriters(): Promise<void> {
  const rw = new ReaderWriterLock();
  {
    using _ = rw.read();
  }
  {
    using _ = rw.write(100);
  }
  {
    using _ = await rw.readAsync(0);
  }
  {
    using _ = await rw.writeAsync();
  }
  expectType<Equal<ReturnType<typeof rw.acquireRead>, boolean>>();
  expectType<Equal<ReturnType<typeof rw.acquireWriteAsync>, Promise<boolean>>>();
  expectType<Equal<ReturnType<typeof rw.releaseRead>, void>>();
  expectType<Equal<typeof rw.readers, number>>();
  const h: Handle<'ReaderWriterLock'> = rw.handle;
  expectType<Equal<ReturnType<typeof revive<'ReaderWriterLock'>>, ReaderWriterLock>>();
  ReaderWriterLock.from(h);
  const placed = new ReaderWriterLock({ buffer: new SharedArrayBuffer(ReaderWriterLock.byteLength), byteOffset: 0 });
  void placed;
  // @ts-expect-error a WaitGroup's handle is not a ReaderWriterLock's
  ReaderWriterLock.from(new WaitGroup().handle);
  // @ts-expect-error read() is a guard, not a boolean
  const ok: boolean = rw.read();
  void ok;
}

export async function countersAndOnce(): Promise<void> {
  const wg = new WaitGroup();
  wg.add();
  wg.add(3);
  wg.done();
  expectType<Equal<ReturnType<typeof wg.wait>, boolean>>();
  expectType<Equal<ReturnType<typeof wg.waitAsync>, Promise<boolean>>>();
  expectType<Equal<ReturnType<typeof revive<'WaitGroup'>>, WaitGroup>>();
  // @ts-expect-error add takes a number
  wg.add('1');

  const once = new Once();
  once.call(() => 1);
  await once.callAsync(async () => {});
  expectType<Equal<typeof once.done, boolean>>();
  expectType<Equal<ReturnType<typeof once.callAsync>, Promise<void>>>();
  expectType<Equal<ReturnType<typeof revive<'Once'>>, Once>>();
  // @ts-expect-error call takes a function
  once.call(1);
}

export async function pythonQueues(): Promise<void> {
  const jq: JoinableQueue<number> = new JoinableQueue<number>();
  const q: Queue<number> = jq;
  q.taskDone();
  const sq = new SimpleQueue<string>();
  sq.put('a');
  expectType<Equal<ReturnType<typeof sq.get>, string>>();
  expectType<Equal<ReturnType<typeof sq.getAsync>, Promise<string>>>();
  expectType<Equal<ReturnType<typeof SimpleQueue.from<number>>, SimpleQueue<number>>>();
  expectType<Equal<ReturnType<typeof revive<'SimpleQueue'>>, SimpleQueue>>();
  // @ts-expect-error a SimpleQueue has no task tracking
  const tracking: keyof SimpleQueue = 'taskDone';
  void tracking;
  // @ts-expect-error a SimpleQueue of strings takes strings
  sq.put(1);
  // @ts-expect-error a Queue's handle is not a SimpleQueue's
  SimpleQueue.from(q.handle);
  // @ts-expect-error nor the reverse
  Queue.from(sq.handle);
}
