// Lesson 3, 6.7.1 (second example): "multiprocessing's Queue cannot be used with a Pool; use the
// Manager's": queue = Manager().Queue(10); pool = Pool(2); apply_async(producer, (queue,)) and
// apply_async(consumer, (queue,)); close(); join().
//
// Python printed `a`. Ours prints `a` with a plain Queue: a sabsync Queue is an argument like any
// other for a pool task and arrives live in the worker; no manager process is needed.
import { Pool, Queue } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'a Queue handed to Pool tasks (what Manager().Queue() is for in Python)';

export function producer(queue) {
  queue.put('a');
  sleep(2);
}

export function consumer(queue) {
  sleep(2);
  const data = queue.get();
  print(data);
}

export async function main() {
  const queue = new Queue(10);
  const pool = new Pool(new URL(import.meta.url), { workers: 2 });
  pool.applyAsync('producer', [queue]);
  pool.applyAsync('consumer', [queue]);
  pool.close();
  await pool.join();
}
