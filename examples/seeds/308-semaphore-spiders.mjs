// Lesson 3, 4.3: Semaphore, "a lock that lets a given number in". A producer thread starts 20
// spider threads, one per URL, but first acquires a Semaphore(3) each time; each spider fetches
// for 2 s, prints `got html text success` and releases. So at most three fetch at once.
//
// Python printed `got html text success` twenty times, three at a time every 2 s. Ours prints
// the same, then the most spiders ever fetching at the same moment, counted in shared memory: 3 (fewer only when the
// machine is too busy to start a spider before the previous ones finish). Note that the spider
// releases a permit the producer acquired: a Semaphore, like Python's, is not owned by a thread.
// Threads started by a thread end with it in JavaScript (Python's outlive it), so the producer
// joins its spiders before it returns.
import { Semaphore, Thread } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'Semaphore(3): twenty spider threads, at most three fetching at once';

const NOW = 0; // gauge[NOW]: spiders fetching now
const MOST = 1; // gauge[MOST]: the most ever fetching at once

/** HtmlSpider.run */
export function htmlSpider(url, sem, gauge) {
  const now = Atomics.add(gauge, NOW, 1) + 1;
  for (let most = Atomics.load(gauge, MOST); now > most; most = Atomics.load(gauge, MOST)) {
    if (Atomics.compareExchange(gauge, MOST, most, now) === most) break;
  }
  sleep(2);
  print('got html text success');
  Atomics.sub(gauge, NOW, 1);
  sem.release(); // one more may go
}

/** UrlProducer.run */
export function urlProducer(sem, gauge) {
  const spiders = [];
  for (let i = 0; i < 20; i++) {
    sem.acquire(); // wait for a free permit
    const htmlThread = new Thread(new URL(import.meta.url), 'htmlSpider', { args: [`https://baidu.com/${i}`, sem, gauge] });
    htmlThread.start();
    spiders.push(htmlThread);
  }
  for (const t of spiders) t.join();
}

export async function main() {
  const sem = new Semaphore(3); // at most three at once
  const gauge = new Int32Array(new SharedArrayBuffer(8));
  const producer = new Thread(new URL(import.meta.url), 'urlProducer', { args: [sem, gauge] });
  producer.start();
  await producer.joinAsync();
  print(`spiders fetching at the same time, at most: ${gauge[MOST]} (the Semaphore allows 3)`);
}
