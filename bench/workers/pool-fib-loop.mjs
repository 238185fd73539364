// The speed-up's floor: a worker that runs fib(n) `count` times in one loop per message, with no
// dispatch between the calls, and answers with the last value.
import { parentPort } from 'node:worker_threads';
import { fib } from './pool-tasks.mjs';

parentPort.on('message', ({ n, count }) => {
  let value = 0;
  for (let i = 0; i < count; i++) value = fib(n);
  parentPort.postMessage(value);
});
