// `using` guards, and the placement options, without @types/node.
import { Condition, Lock, RLock, Semaphore, TimeoutError } from 'sabsync';

export async function scoped(): Promise<void> {
  const lock = new Lock();
  {
    using _ = lock.hold();
  }
  {
    using _ = await new RLock().holdAsync(100);
  }
  const buffer = new SharedArrayBuffer(64);
  const sem = new Semaphore(3, { buffer, byteOffset: 8 });
  const cond = new Condition(new RLock({ buffer, byteOffset: 0 }));
  {
    using _ = sem.hold(0);
  }
  cond.notifyAll();
  // @ts-expect-error a byteOffset is a number
  new Lock({ buffer, byteOffset: '8' });
  // @ts-expect-error hold() is a Disposable, not a boolean
  const ok: boolean = lock.hold();
  void ok;
  void TimeoutError;
}
