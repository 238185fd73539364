// The server for 75-queue-in-queue: answer every request on the Queue that came inside it,
// until the request queue is shut down.
import { threadId, workerData } from 'node:worker_threads';
import { Queue, ShutDown } from 'sabsync';

const requests = Queue.from(workerData.requests);
for (;;) {
  let request;
  try {
    request = requests.get();
  } catch (e) {
    if (e instanceof ShutDown) break;
    throw e;
  }
  const { word, replyTo } = request;
  replyTo.put({ word, reversed: [...word].reverse().join(''), by: threadId });
}
