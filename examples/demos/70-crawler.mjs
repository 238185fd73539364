// Queue: the crawler shape. The main thread puts a few seed URLs; four worker threads get them
// from one shared Queue, "fetch" each page, put the links they discover back on the same queue
// and call taskDone(). The log shows the flow: every put adds an unfinished task, every
// taskDone() removes one, and queue.join() returns when the count reaches 0 — when every URL
// ever put has been processed. Then queue.shutdown() ends the workers' `for await` loops: no
// sentinel needed.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Queue } from 'sabsync';

export const title = 'a crawler: put → get → taskDone → join, four workers, shutdown instead of a sentinel';

const worker = new URL('./workers/queue-crawler.mjs', import.meta.url);
const PAGES = 60;
const WORKERS = 4;
/** Log lines shown from the start and from the end of the run. */
const HEAD = 16;
const TAIL = 8;

export async function main() {
  const todo = new Queue();
  const log = new Queue();
  // seen[i] = 1 once page i has been queued: whoever flips it first queues it, exactly once.
  const seen = new Int32Array(new SharedArrayBuffer(PAGES * 4));
  const unfinished = new Int32Array(new SharedArrayBuffer(4));
  const now = () => performance.timeOrigin + performance.now();

  const crawlers = Array.from(
    { length: WORKERS },
    (_, id) =>
      new Worker(worker, {
        workerData: { id, todo: todo.handle, log: log.handle, seen: seen.buffer, unfinished: unfinished.buffer, pages: PAGES },
      }),
  );

  // The producer: a few seed URLs. Workers will find the rest by following links.
  const t0 = now();
  for (const page of [0, 1, 2]) {
    Atomics.store(seen, page, 1);
    const url = `https://example.test/page/${page}`;
    const t = now();
    const n = Atomics.add(unfinished, 0, 1) + 1;
    await todo.putAsync(url);
    await log.putAsync({ t, who: 'main', step: 'put', url, unfinished: n });
  }
  await todo.joinAsync();
  const joined = now();
  todo.shutdown();
  await Promise.all(crawlers.map((w) => once(w, 'exit')));

  const events = [];
  while (!log.empty()) events.push(log.getNowait());
  events.push({ t: joined, who: 'main', step: 'join() returned', url: '', unfinished: Atomics.load(unfinished, 0) });
  events.sort((a, b) => a.t - b.t);
  const line = (e) =>
    `  ${(e.t - t0).toFixed(1).padStart(6)} ms  ${e.who.padEnd(8)}  ${e.step.padEnd(15)} ${e.url.replace('https://example.test/', '').padEnd(9)} unfinished ${e.unfinished}`;
  for (const e of events.slice(0, HEAD)) console.log(line(e));
  console.log(`  ... ${events.length - HEAD - TAIL} more steps ...`);
  for (const e of events.slice(-TAIL)) console.log(line(e));

  const gets = events.filter((e) => e.step === 'get');
  const dones = events.filter((e) => e.step === 'taskDone');
  const byWorker = new Map();
  for (const e of gets) byWorker.set(e.who, (byWorker.get(e.who) ?? 0) + 1);
  console.log(`\n  ${gets.length} of ${PAGES} pages got, ${dones.length} taskDone() calls, in ${(joined - t0).toFixed(0)} ms;`);
  console.log(`  pages per worker: ${[...byWorker].sort().map(([w, n]) => `${w}: ${n}`).join(', ')}.`);
  console.log('  join() returned when the last taskDone() balanced the last put(), and shutdown()');
  console.log("  made every worker's `for await (const url of todo)` loop end.");
  const urls = new Set(gets.map((e) => e.url));
  if (gets.length !== PAGES || urls.size !== PAGES || dones.length !== PAGES) {
    throw new Error(`got ${gets.length} pages (${urls.size} distinct), ${dones.length} taskDone() calls`);
  }
  if (Atomics.load(unfinished, 0) !== 0) throw new Error('join() returned with tasks unfinished');
}
