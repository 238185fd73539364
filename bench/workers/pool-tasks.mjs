// Task module shared by our Executor and piscina in bench/pool.bench.mjs.
export function inc(x) {
  return x + 1;
}

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// piscina calls the default export with the task object.
export default function piscinaTask({ fn, x }) {
  return fn === 'fib' ? fib(x) : x + 1;
}
