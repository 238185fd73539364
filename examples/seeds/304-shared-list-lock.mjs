// Lesson 3, 3.1: threads talking through a shared variable. A producer (get_detail_url) appends
// URLs to a shared list, never more than 10 at a time; ten consumers (get_detail_html) pop them.
// A lock (the lesson makes it an RLock) guards every check-then-change of the list. Its warning:
// `from chapter11.variables import detail_url_list` copies the binding, so another module's
// reassignment would go unseen; import the module and read variables.detail_url_list.
//
// Python printed `last time: 0.0...` and then hung for ever: its main thread never starts the
// producer (those lines are commented out), so the ten consumers spin on an empty list, and
// they loop `while True`, so the program never ends. Ours retells what the lesson meant: the
// producer runs, makes one round of 20 URLs, and says when it is done (an Event); consumers
// leave when it is done and the list is empty. It prints started/end lines of both kinds and
// the time. The list must be in shared memory — a module variable is per thread in JavaScript,
// imported or not — so it is a SharedList (Python's Manager().list()). Each of its operations
// is atomic on its own, but "if it is not empty, pop" is two, hence the lock, as in the lesson.
import { Event, RLock, SharedList, Thread } from 'sabsync';
import { print, secs, sleep, stopwatch } from './lib.mjs';

export const title = 'a shared list, a lock, one producer and ten consumers';

/** A consumer: take a URL when there is one, "fetch" it for 2 s. */
export function getDetailHtml(lock, detailUrlList, producerDone) {
  for (;;) {
    let url;
    lock.acquire();
    if (detailUrlList.length > 0) url = detailUrlList.pop();
    const finished = url === undefined && producerDone.isSet();
    lock.release();
    if (finished) return;
    if (url === undefined) {
      sleep(0.5); // nothing yet: look again soon (the lesson sleeps 1 s)
      continue;
    }
    print('get detail html started');
    sleep(2);
    print('get detail html end');
  }
}

/** The producer: "fetch" the list page for 4 s, then add 20 URLs, at most 10 waiting at a time. */
export function getDetailUrl(lock, detailUrlList, producerDone) {
  print('get detail url started');
  sleep(4);
  for (let i = 0; i < 20; ) {
    lock.acquire();
    if (detailUrlList.length >= 10) {
      lock.release();
      sleep(1); // full: let the consumers catch up
    } else {
      detailUrlList.append(`http://projectsedu.com/${i++}`);
      lock.release();
    }
  }
  print('get detail url end');
  producerDone.set();
}

export async function main() {
  const lock = new RLock();
  const detailUrlList = new SharedList();
  const producerDone = new Event();
  const args = [lock, detailUrlList, producerDone];
  const elapsed = stopwatch();
  const threads = [new Thread(new URL(import.meta.url), 'getDetailUrl', { args })];
  for (let i = 0; i < 10; i++) threads.push(new Thread(new URL(import.meta.url), 'getDetailHtml', { args }));
  for (const t of threads) t.start();
  for (const t of threads) await t.joinAsync();
  print(`last time: ${secs(elapsed())}`);
}
