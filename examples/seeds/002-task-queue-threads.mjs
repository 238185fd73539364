// Lesson 0, second example: a pool made by hand around a task queue. Ten threads loop while
// `need_run` is true: take x from the queue (waiting at most 2 s), store x * x in the shared
// dict. The main thread puts 0..19, sets need_run = False, joins the threads, prints the dict.
// "The queue has its own lock: no need for ours."
//
// Python printed {0: 0, 1: 1, 2: 4, ... 19: 361} (order may vary) — usually all twenty: under the
// GIL the threads, all waiting in get(), take the items before the main thread gets round to
// need_run = False. That is luck, not a rule: a thread that sees need_run False while items
// are still queued leaves them there. With JavaScript threads, which start slowly and run in
// parallel, the unlucky case is common, so ours says "stop" differently: the main thread waits
// until every item has been taken and marked done (queue.join(), with task_done() in the
// workers) and only then clears the flag. need_run itself is an Event: a plain global would
// not be seen by other threads at all. Ours always prints all twenty.
import { Empty, Event, Queue, SharedDict, Thread } from 'sabsync';
import { print, pyDict } from './lib.mjs';

export const title = 'ten threads taking tasks from a Queue until told to stop';

export function taskFunc(taskQueue, returnDict, needRun) {
  while (needRun.isSet()) {
    let x;
    try {
      x = taskQueue.get(200); // Python: get(timeout=2); ours: 0.2 s, to notice the stop soon
    } catch (error) {
      if (error instanceof Empty) continue;
      throw error;
    }
    returnDict.set(String(x), x * x);
    taskQueue.taskDone();
  }
}

export async function main() {
  const taskQueue = new Queue();
  const returnDict = new SharedDict();
  const needRun = new Event();
  needRun.set();
  const tList = [];
  for (let i = 0; i < 10; i++) {
    const t = new Thread(new URL(import.meta.url), 'taskFunc', { args: [taskQueue, returnDict, needRun] });
    t.start();
    tList.push(t);
  }
  for (let i = 0; i < 20; i++) taskQueue.put(i);
  await taskQueue.joinAsync(); // every item taken and done (Python skipped this: see above)
  needRun.clear(); // need_run = False
  for (const t of tList) await t.joinAsync();
  const entries = returnDict.entries().map(([k, v]) => [Number(k), v]).sort(([a], [b]) => a - b);
  print(pyDict(entries));
  print(`${entries.length} of 20 tasks done`);
}
