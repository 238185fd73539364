// The raw baseline: a worker that answers every postMessage with x + 1.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, x }) => parentPort.postMessage({ id, value: x + 1 }));
