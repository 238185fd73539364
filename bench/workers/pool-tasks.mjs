// Task module shared by our Executor, piscina and tinypool in bench/pool.bench.mjs (the other
// pools' worker files import it too).
export function inc(x) {
  return x + 1;
}

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// piscina, tinypool and poolifier call one function with the task object.
export default function piscinaTask({ fn, x }) {
  return fn === 'fib' ? fib(x) : x + 1;
}

// The cost of progress (bench/pool.bench.mjs, sabsync only): report once, then return.
import { currentTask } from 'sabsync';

export function incProgress(x) {
  currentTask().progress(x);
  return x + 1;
}
