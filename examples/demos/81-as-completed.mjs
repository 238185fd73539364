// concurrent.futures.as_completed: submit downloads of different lengths and handle each result
// the moment it is ready, not in the order they were submitted.
import { Executor, asCompleted } from 'sabsync';

export const title = 'Executor.submit + asCompleted: results printed as they finish';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const PAGES = [
  ['https://example.org/slow', 300],
  ['https://example.org/fast', 50],
  ['https://example.org/medium', 150],
  ['https://example.org/fastest', 10],
];

export async function main() {
  const ex = new Executor(tasks, { maxWorkers: 4 });
  try {
    const t0 = performance.now();
    const futures = new Map(PAGES.map(([url, ms]) => [ex.submit('fetchPage', url, ms), url]));
    console.log(`submitted, in this order: ${PAGES.map(([url]) => url.split('/').pop()).join(', ')}`);
    for await (const future of asCompleted(futures.keys(), 5_000)) {
      const page = await future.result();
      const at = (performance.now() - t0).toFixed(0).padStart(4);
      console.log(`  after ${at} ms: ${futures.get(future)} -> ${page.bytes} bytes`);
    }
    console.log('asCompleted yields each Future as it completes (an async task: its worker kept its');
    console.log('event loop running while it waited, so timers fired).');
  } finally {
    await ex.shutdown();
  }
}
