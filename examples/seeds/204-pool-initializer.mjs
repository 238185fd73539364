// Lesson 2, "process pool": with Pool(n, initializer=init, initargs=args) as pool: apply (wait
// for the result), apply_async (collect it later), map, map_async; and, for a function of
// several arguments, either one tuple unpacked inside (`arg1, arg2, arg3 = args`) or starmap.
//
// The lesson shows no output. Ours prints each result. The initializer is the name of an export
// of the task module, run once in every worker before its first task, with initArgs; here it
// stores a greeting that the tasks use. `with Pool(...) as pool:` is `await using pool = ...` in
// runtimes that have it; here try/finally with terminate(), which is what the with-block does.
import { Pool } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Pool with an initializer: apply, apply_async, map, map_async, one tuple vs starmap';

let prefix = '?'; // set in each worker by init()

export function init(greeting) {
  prefix = greeting;
}

export function func(x) {
  return `${prefix} ${x}`;
}

/** Python's map_func(args): one argument holding three, unpacked inside. */
export function mapFunc(args) {
  const [a, b, c] = args;
  return a + b + c;
}

/** The same as a function of three arguments, for starmap. */
export function add3(a, b, c) {
  return a + b + c;
}

export async function main() {
  const pool = new Pool(new URL(import.meta.url), { workers: 2, initializer: 'init', initArgs: ['hello'] });
  try {
    print('apply:', await pool.apply('func', ['world']));
    const later = pool.applyAsync('func', ['again']);
    print('apply_async:', await later.get());
    print('map:', JSON.stringify(await pool.map('func', [1, 2, 3])));
    print('map_async:', JSON.stringify(await pool.mapAsync('func', [4, 5]).get()));
    print('map of tuples:', JSON.stringify(await pool.map('mapFunc', [[1, 2, 3], [4, 5, 6]])));
    print('starmap:', JSON.stringify(await pool.starmap('add3', [[1, 2, 3], [4, 5, 6]])));
  } finally {
    await pool.terminate();
  }
}
