// Lesson 3, 2.2: threads made by subclassing Thread: class GetDetailHtml(threading.Thread) with
// a name given to super().__init__ and the work in run(); "most code does it this way".
//
// Python printed the same four lines as 2.1 and `last time: 4.00...`. Ours cannot subclass a
// thread: what runs in a JavaScript thread is a module loaded there, not an object of this one.
// run() becomes a target function, super().__init__(name=...) becomes the `name` option, and
// inside the thread currentThread().name is that name (Python's self.name). Ours prints the
// same lines, each with the name of the thread that printed it, and a time about 4 (the clock
// starts once both threads run, as in 2.1).
import { Barrier, currentThread, Thread } from 'sabsync';
import { print, secs, sleep, stopwatch } from './lib.mjs';

export const title = 'subclassing Thread becomes a target function plus a name';

/** GetDetailHtml.run */
export function getDetailHtml(running) {
  running.wait();
  print(`get detail html started   (${currentThread().name})`);
  sleep(2);
  print(`get detail html end   (${currentThread().name})`);
}

/** GetDetailUrl.run */
export function getDetailUrl(running) {
  running.wait();
  print(`get detail url started   (${currentThread().name})`);
  sleep(4);
  print(`get detail url end   (${currentThread().name})`);
}

export async function main() {
  const running = new Barrier(3);
  const thread1 = new Thread(new URL(import.meta.url), 'getDetailHtml', { name: 'get_detail_html', args: [running] });
  const thread2 = new Thread(new URL(import.meta.url), 'getDetailUrl', { name: 'get_detail_url', args: [running] });
  thread1.start();
  thread2.start();
  running.wait(); // both threads have started
  const elapsed = stopwatch();
  thread1.join();
  thread2.join();
  print(`last time: ${secs(elapsed())}`);
}
