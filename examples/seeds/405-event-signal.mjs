// Lesson 4, threading and signals: only the main thread receives signals, so it must stay alive.
// A thread loops `while not event.is_set(): print "something"; event.wait(10)`; the main thread
// installs SIGINT and SIGTERM handlers that set the event, then join()s the thread.
//
// Python printed `something` every 10 s until Ctrl-C (or kill), then ended. Ours prints
// `something` every second (50 ms here) and sends itself a SIGINT after the third, so the lesson
// ends by itself; press Ctrl-C sooner to stop it sooner. In Node, too, only the main thread gets
// signals, and a handler runs on its event loop — so the main thread must not block: it waits
// with joinAsync(). A blocking join() there would freeze the event loop, and the handler, and
// so the stop, would never run. event.wait(ms) returns at once when the event is set, so the
// thread notices within moments, not at its next tick.
import { Event, Thread } from 'sabsync';
import { print, SECOND, sleepAsync } from './lib.mjs';

export const title = 'an Event set by a SIGINT handler stops a thread (the main thread awaits, never blocks)';

/** MyThread.run */
export function run(event, said) {
  while (!event.isSet()) {
    print('something');
    Atomics.add(said, 0, 1); // for the stand-in Ctrl-C below
    event.wait(1 * SECOND); // Python: self.event.wait(10)
  }
}

export async function main() {
  const event = new Event();
  const said = new Int32Array(new SharedArrayBuffer(4)); // how many `something`s so far
  const thr = new Thread(new URL(import.meta.url), 'run', { args: [event, said] });
  thr.start();

  const stop = (signal) => {
    print(`got ${signal}: event.set()`);
    event.set();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    // Stand-in for the user's Ctrl-C, after the third `something`.
    while (Atomics.load(said, 0) < 3 && !event.isSet()) await sleepAsync(0.1);
    process.kill(process.pid, 'SIGINT');
    await thr.joinAsync(); // the main thread stays free to run the handler
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  print('the thread has stopped');
}
