// A crawler worker for 70-crawler: take URLs until the queue is shut down, fetch each one
// (simulated), queue the links not seen before, mark the URL done. Every step is logged to the
// `log` queue with its time and the count of unfinished tasks (what join() waits for): the time
// just before a put or a taskDone() (so no get of that URL, and no join() returning, can be
// logged before it), and just after a get.
import { workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'sabsync';

const { id, pages } = workerData;
const todo = Queue.from(workerData.todo);
const log = Queue.from(workerData.log);
const seen = new Int32Array(workerData.seen);
// unfinished[0]: puts minus taskDone() calls, kept beside the queue to show what join() sees.
const unfinished = new Int32Array(workerData.unfinished);
const who = `worker ${id}`;
const now = () => performance.timeOrigin + performance.now();

/** The fake web: page n links to a few other pages, always the same ones. */
function linksOf(n) {
  return [(n * 7 + 3) % pages, (n * 13 + 5) % pages, (n * 3 + 11) % pages, (n + 1) % pages];
}

for await (const url of todo) {
  const page = Number(url.split('/').pop());
  await log.putAsync({ t: now(), who, step: 'get', url, unfinished: Atomics.load(unfinished, 0) });
  await sleep(2 + ((page * 37) % 9)); // "network" latency
  for (const link of linksOf(page)) {
    if (Atomics.compareExchange(seen, link, 0, 1) !== 0) continue;
    const next = `https://example.test/page/${link}`;
    const t = now();
    const n = Atomics.add(unfinished, 0, 1) + 1;
    await todo.putAsync(next);
    await log.putAsync({ t, who, step: 'put', url: next, unfinished: n });
  }
  const t = now();
  const n = Atomics.sub(unfinished, 0, 1) - 1;
  todo.taskDone();
  await log.putAsync({ t, who, step: 'taskDone', url, unfinished: n });
}
