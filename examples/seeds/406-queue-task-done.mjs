// Lesson 4, Queue: qsize, empty, full, get(block, timeout), get_nowait, put, put_nowait,
// task_done, join. "Always call task_done(), or join() never returns" — so the worker's idiom is
// get(); try: work; except: print the error; finally: task_done(). The work is 1/item.
//
// The lesson shows no output; for items 1, 2, 0, 4 Python prints `division by zero` once (item
// 0) and join() returns. Ours prints the same error text. In JavaScript 1 / 0 is Infinity, not
// an error, so the work is 1n / BigInt(item): BigInt division by zero throws a RangeError, as
// Python's ZeroDivisionError. The worker loops `while True`, which in Python needs a daemon
// thread; ours leaves when the main thread shuts the queue down after join().
// (multiprocessing.JoinableQueue, in the lesson's list of queues, is this same Queue.)
import { Queue, ShutDown, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Queue: taskDone in finally, so join() returns even when an item fails';

export function worker(q) {
  for (;;) {
    let item;
    try {
      item = q.get();
    } catch (error) {
      if (error instanceof ShutDown) return;
      throw error;
    }
    try {
      void (1n / BigInt(item)); // the work; Python printed nothing for an item that works
    } catch (error) {
      print(error.message.toLowerCase());
    } finally {
      q.taskDone();
    }
  }
}

export async function main() {
  const q = new Queue();
  print(`qsize ${q.qsize()}, empty ${q.empty()}, full ${q.full()}`);
  for (const item of [1, 2, 0, 4]) q.put(item);
  print(`qsize ${q.qsize()}, empty ${q.empty()}, full ${q.full()}`);
  const t = new Thread(new URL(import.meta.url), 'worker', { args: [q] });
  t.start();
  q.join(); // returns once every item has had its taskDone()
  print('join() returned: every item done');
  q.shutdown();
  t.join();
}
