// workerpool's worker: the same tasks as pool-tasks.mjs, registered by name.
import workerpool from 'workerpool';
import { fib, inc } from './pool-tasks.mjs';

workerpool.worker({ inc, fib });
