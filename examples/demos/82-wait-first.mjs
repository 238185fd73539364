// concurrent.futures.wait(return_when=FIRST_COMPLETED): ask several mirrors for the same file,
// take the first answer, cancel the requests that have not started yet.
import { Executor, FIRST_COMPLETED, wait } from 'sabsync';

export const title = 'wait(FIRST_COMPLETED): the first mirror to answer wins';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const MIRRORS = [
  ['https://mirror-a.example/file', 240],
  ['https://mirror-b.example/file', 80],
  ['https://mirror-c.example/file', 160],
  ['https://mirror-d.example/file', 400],
];

export async function main() {
  const ex = new Executor(tasks, { maxWorkers: 2 });
  try {
    const futures = MIRRORS.map(([url, ms]) => ex.submit('fetchPage', url, ms));
    const t0 = performance.now();
    const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
    const [winner] = done;
    console.log(`first answer after ${(performance.now() - t0).toFixed(0)} ms: ${(await winner.result()).url}`);
    console.log(`${notDone.size} still out:`);
    for (const f of notDone) {
      const url = MIRRORS[futures.indexOf(f)][0];
      const state = f.running() ? 'running, cannot be cancelled' : f.cancel() ? 'not started: cancelled' : 'finished meanwhile';
      console.log(`  ${url}: ${state}`);
    }
    console.log('cancel() wins only against a task no worker has claimed: the claim and the cancel are');
    console.log('one compare-and-swap each on the task\'s state word in shared memory.');
  } finally {
    await ex.shutdown();
  }
}
