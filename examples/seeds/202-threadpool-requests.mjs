// Lesson 2 ("key points"), "using threadpool": the third-party threadpool package.
// pool = ThreadPool(4); requests = makeRequests(callable, list_of_args, callback);
// for request in requests: pool.putRequest(request); then pool.wait().
//
// The lesson shows no output. Ours: an Executor of 4 workers; makeRequests + putRequest is
// submit() once per argument, and the callback is addDoneCallback, called with the Future (the
// threadpool package called it with the request and the result). Callbacks run on the main
// thread, in the order the tasks finish: the shorter first. Python's pool.wait() is
// shutdown({ wait: true }).
import { Executor } from 'sabsync';
import { print, sleep, warmUp } from './lib.mjs';

export { ready } from './lib.mjs';

export const title = 'threadpool makeRequests/putRequest/callback → Executor.submit + addDoneCallback';

/** The callable: wait n/2 seconds, return n squared. */
export function work(n) {
  sleep(n / 2);
  return n * n;
}

export async function main() {
  const pool = new Executor(new URL(import.meta.url), { maxWorkers: 4 });
  await warmUp(pool, 4); // all four workers running, so the shortest task does finish first
  const args = [4, 3, 2, 1];
  for (const n of args) {
    const request = pool.submit('work', n); // makeRequests + putRequest, for one argument
    request.addDoneCallback(async (f) => print(`callback: work(${n}) = ${await f.result()}`));
  }
  await pool.shutdown({ wait: true }); // pool.wait()
  print('all requests done');
}
