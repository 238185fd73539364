// Lesson 3, 3.2: the same crawler over a Queue ("the queue is built on a thread-safe deque; put
// blocks by default, put_nowait does not"). Producer and consumers loop `while True`; the main
// thread calls detail_url_queue.task_done() and then join().
//
// Python printed a traceback, `ValueError: task_done() called too many times` (nothing had been
// put yet: the producer is never started, its start() is commented out), and then hung, its ten
// consumers waiting in get() for ever. Ours shows that error first — our taskDone() on a queue
// with nothing outstanding throws an error with code ERR_TASK_DONE — and then what the lesson
// meant: the producer runs one round of 20 URLs, each consumer calls taskDone() after each URL,
// the main thread waits in join() until all 20 are done and then shuts the queue down
// (Python 3.13's Queue.shutdown), which makes the consumers' get() throw ShutDown: they return.
import { Queue, ShutDown, Thread } from 'sabsync';
import { print, secs, sleep, stopwatch } from './lib.mjs';

export const title = 'a crawler over a Queue: taskDone, join, and shutdown to let the consumers go';

export function getDetailHtml(queue) {
  for (;;) {
    try {
      queue.get();
    } catch (error) {
      if (error instanceof ShutDown) return; // the main thread shut the queue: no more URLs
      throw error;
    }
    print('get detail html started');
    sleep(2);
    print('get detail html end');
    queue.taskDone();
  }
}

export function getDetailUrl(queue) {
  print('get detail url started');
  sleep(4);
  for (let i = 0; i < 20; i++) queue.put(`http://projectsedu.com/${i}`);
  print('get detail url end');
}

export async function main() {
  const detailUrlQueue = new Queue(1000);
  try {
    detailUrlQueue.taskDone(); // what the lesson's main thread does first
  } catch (error) {
    print(`${error.name} (${error.code}): ${error.message}`);
  }

  const elapsed = stopwatch();
  const producer = new Thread(new URL(import.meta.url), 'getDetailUrl', { args: [detailUrlQueue] });
  const consumers = Array.from({ length: 10 }, () => new Thread(new URL(import.meta.url), 'getDetailHtml', { args: [detailUrlQueue] }));
  producer.start();
  for (const t of consumers) t.start();
  producer.join(); // all 20 URLs are in the queue...
  detailUrlQueue.join(); // ...and now all 20 are done
  detailUrlQueue.shutdown();
  for (const t of consumers) t.join();
  print(`last time: ${secs(elapsed())}`);
}
