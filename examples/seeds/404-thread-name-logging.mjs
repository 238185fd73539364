// Lesson 4, threading: a subclass of Thread named 'thread name', whose run() logs through
// logging with the format '(%(threadName)-10s) %(message)s'; start(); join(). And: the current
// thread's name is threading.current_thread().getName().
//
// Python printed `(thread name) print thread name`. Ours prints the same: the subclass becomes a
// target and a `name` option, and %(threadName)-10s is currentThread().name padded to 10. On
// the main thread, currentThread().name is 'MainThread', as in Python.
import { currentThread, Thread } from 'sabsync';
import { print } from './lib.mjs';

export const title = "currentThread().name: '(thread name) print thread name'";

/** logging.debug with the lesson's format. */
function debug(message) {
  print(`(${currentThread().name.padEnd(10)}) ${message}`);
}

/** MyThread.run */
export function run() {
  debug('print thread name');
}

export async function main() {
  const thr = new Thread(new URL(import.meta.url), 'run', { name: 'thread name' });
  thr.start();
  thr.join();
  debug(`and this is the main thread: ${currentThread().name}`);
}
