// Queue: the crawler shape. The main thread produces URLs; four worker threads take them
// from one shared Queue, "fetch" each page, put the links they discover back on the same
// queue and call taskDone(). queue.join() returns when every URL ever put has been
// processed; then queue.shutdown() ends the workers' `for await` loops — no sentinel needed.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Queue } from 'sabsync';

export const title = 'a crawler: one producer, four workers, taskDone/join, shutdown instead of a sentinel';

const worker = new URL('./workers/queue-crawler.mjs', import.meta.url);
const PAGES = 60;
const WORKERS = 4;

export async function main() {
  const todo = new Queue();
  const results = new Queue();
  // seen[i] = 1 once page i has been queued: whoever flips it first queues it, exactly once.
  const seen = new Int32Array(new SharedArrayBuffer(PAGES * 4));

  const crawlers = Array.from(
    { length: WORKERS },
    (_, id) => new Worker(worker, { workerData: { id, todo: todo.handle, results: results.handle, seen: seen.buffer, pages: PAGES } }),
  );

  // The producer: a few seed URLs. Workers will find the rest by following links.
  const t0 = performance.now();
  for (const page of [0, 1, 2]) {
    Atomics.store(seen, page, 1);
    await todo.putAsync(`https://example.test/page/${page}`);
  }
  await todo.joinAsync();
  const elapsed = performance.now() - t0;
  todo.shutdown();
  await Promise.all(crawlers.map((w) => once(w, 'exit')));

  const crawled = [];
  while (!results.empty()) crawled.push(results.getNowait());
  const byWorker = new Map();
  for (const r of crawled) byWorker.set(r.worker, [...(byWorker.get(r.worker) ?? []), r]);
  for (const [w, pages] of [...byWorker].sort((a, b) => a[0] - b[0])) {
    console.log(`  worker ${w} crawled ${String(pages.length).padStart(2)} pages, e.g. ${pages[0].url} (${pages[0].links} links)`);
  }
  console.log(`\n  ${crawled.length} of ${PAGES} pages crawled exactly once in ${elapsed.toFixed(0)} ms;`);
  console.log('  join() returned when the last taskDone() balanced the last put(), and shutdown()');
  console.log('  made every worker\'s `for await (const url of todo)` loop end.');
  const urls = new Set(crawled.map((r) => r.url));
  if (crawled.length !== PAGES || urls.size !== PAGES) throw new Error(`crawled ${crawled.length} pages, ${urls.size} distinct`);
}
