// Lesson 4, Pool with a Manager Queue: write(q) puts 0..9, then None to mark the end; read(q)
// takes values with q.get(False) until None; both are apply_async'd to a Pool; close(); join();
// print "all data written and read". Its notes: a Pool needs multiprocessing's (Manager's)
// Queue, not Queue.Queue; and manager.Queue() with multiprocessing.Lock() misbehaves.
//
// Python printed `Put 0 to queue...` ... `Put 9 to queue...`, `Get 0 from queue.` ... `Get 9
// from queue.` (the two kinds interleaved as the workers ran) and `all data written and read` —
// when read() ran after write() had put something. q.get(False) does not wait: if read() runs
// first it raises Empty, apply_async keeps the error where nobody looks, and the lesson prints
// "all read" having read nothing. Ours waits in get() (with a timeout, so a missing writer
// fails instead of hanging): any order of the two tasks works. A sabsync Queue needs no
// manager, and our Locks mix with it freely. null stands for None.
import { Pool, Queue } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Pool: write 0..9 and an end marker to a Queue, read until the marker';

export function write(q) {
  for (let value = 0; value < 10; value++) {
    print(`Put ${value} to queue...`);
    q.put(value);
  }
  q.put(null); // the end of the data
}

export function read(q) {
  for (;;) {
    const value = q.get(5_000); // Python: q.get(False)
    if (value === null) break;
    print(`Get ${value} from queue.`);
  }
}

export async function main() {
  const q = new Queue();
  const p = new Pool(new URL(import.meta.url));
  const results = [p.applyAsync('write', [q]), p.applyAsync('read', [q])];
  p.close();
  await p.join();
  for (const r of results) await r.get(); // unlike the lesson, look at the outcome: throws if a task failed
  print('all data written and read');
}
