// The raw baseline: a worker that answers every postMessage with the task's result.
import { parentPort } from 'node:worker_threads';
import { inc, fib } from './pool-tasks.mjs';

parentPort.on('message', ({ id, fn, x }) => parentPort.postMessage({ id, value: fn === 'fib' ? fib(x) : inc(x) }));
