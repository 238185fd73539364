// Lesson 3, 2.1: threads made from a target function. get_detail_html sleeps 2 s, get_detail_url
// 4 s; start both, join both, print the time. The lesson's notes: join() makes the main thread
// wait, for max(2, 4) s, not 2 + 4; setDaemon(True) (commented out) would let the program end
// without waiting for them.
//
// Python printed the four started/end lines and `last time: 4.00...`. Ours prints the same, the
// time about 4. Starting a JavaScript worker thread takes tens of milliseconds (a Python thread,
// microseconds; more on a busy machine) and one of the lesson's seconds is 50 ms here, so the
// clock starts once both threads are running: they and the main thread meet at a Barrier.
// setDaemon(True) is `daemon: true` in the options, or `t.daemon = true` before start().
import { Barrier, Thread } from 'sabsync';
import { print, secs, sleep, stopwatch } from './lib.mjs';

export const title = 'Thread(target=...): two threads of 2 s and 4 s, joined: 4 s in all';

export function getDetailHtml(url, running) {
  running.wait();
  print('get detail html started');
  sleep(2);
  print('get detail html end');
  return url;
}

export function getDetailUrl(url, running) {
  running.wait();
  print('get detail url started');
  sleep(4);
  print('get detail url end');
  return url;
}

export async function main() {
  // The target is the name of an export of a module (here, this file), not a function:
  // a function cannot be sent to another thread, a module can be loaded there.
  const running = new Barrier(3);
  const thread1 = new Thread(new URL(import.meta.url), 'getDetailHtml', { args: ['', running] });
  const thread2 = new Thread(new URL(import.meta.url), 'getDetailUrl', { args: ['', running] });
  // thread1.daemon = true; // Python's thread1.setDaemon(True)
  thread1.start();
  thread2.start();
  running.wait(); // both threads have started
  const elapsed = stopwatch();
  thread1.join(); // wait for thread1...
  thread2.join(); // ...and thread2: max(2, 4) s in all, not 2 + 4
  print(`last time: ${secs(elapsed())}`);
}
