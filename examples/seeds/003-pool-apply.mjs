// Lesson 0 ("process pools and thread pools in Python"), third example: the standard library's
// pool. multiprocessing.Pool(4); pool.apply(func, args=("First",)) three times; close(); join().
// Then the lesson lists apply_async, map, map_async, starmap and starmap_async, and says
// multiprocessing's ThreadPool is used the same way: all of them are below.
//
// Python printed First, Second, Third, one a second: apply() waits for its task. Ours prints
// the same. (The lesson reuses the func(x, return_dict) of the first example, which cannot take
// one string; here func takes the name and prints it.) There is no separate ThreadPool: our
// Pool's workers are threads already, and they run in parallel.
import { Pool } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'Pool(4): apply, apply_async, map, map_async, starmap, starmap_async';

/** The task: take a second, then print the argument. Runs in a pool worker thread. */
export function func(x) {
  sleep(1);
  print(x);
  return x;
}

/** A task of one argument, for map. */
export function square(x) {
  return x * x;
}

/** A task of two arguments, for starmap: each [x, y] arrives as two arguments. */
export function add(x, y) {
  return x + y;
}

export async function main() {
  const pool = new Pool(new URL(import.meta.url), { workers: 4 });
  try {
    // apply: submit and wait for the result, one task at a time.
    await pool.apply('func', ['First']);
    await pool.apply('func', ['Second']);
    await pool.apply('func', ['Third']);

    // apply_async: submit now, collect later; the three run at once on three workers.
    const pending = ['a', 'b', 'c'].map((x) => pool.applyAsync('func', [x]));
    print('apply_async results:', (await Promise.all(pending.map((r) => r.get()))).join(' '));

    // map: one argument per call; map_async: the same, collected later.
    print('map:', (await pool.map('square', [1, 2, 3, 4])).join(' '));
    const squares = pool.mapAsync('square', [5, 6, 7]);
    print('map_async:', (await squares.get()).join(' '));

    // starmap: an array of arguments per call (Python: a tuple per call).
    print('starmap:', (await pool.starmap('add', [[1, 2], [3, 4]])).join(' '));
    const sums = pool.starmapAsync('add', [[5, 6], [7, 8]]);
    print('starmap_async:', (await sums.get()).join(' '));
  } finally {
    pool.close(); // no more tasks
    await pool.join(); // wait for the workers to finish and exit
  }
}
