// A crawler worker for 70-crawler: take URLs until the queue is shut down, fetch each one
// (simulated), queue the links not seen before, report the page, mark the URL done.
import { workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'sabsync';

const { id, pages } = workerData;
const todo = Queue.from(workerData.todo);
const results = Queue.from(workerData.results);
const seen = new Int32Array(workerData.seen);

/** The fake web: page n links to a few other pages, always the same ones. */
function linksOf(n) {
  return [(n * 7 + 3) % pages, (n * 13 + 5) % pages, (n * 3 + 11) % pages, (n + 1) % pages];
}

for await (const url of todo) {
  const page = Number(url.split('/').pop());
  await sleep(2 + ((page * 37) % 9)); // "network" latency
  const links = linksOf(page);
  for (const link of links) {
    if (Atomics.compareExchange(seen, link, 0, 1) === 0) await todo.putAsync(`https://example.test/page/${link}`);
  }
  await results.putAsync({ worker: id, url, links: links.length });
  todo.taskDone();
}
