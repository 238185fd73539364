// Queue: a queue travels inside a queue item. Each client sends its request together with its
// own reply Queue; the server worker gets the request, finds a live Queue in it, and answers
// there. Nothing but Queues crosses threads: no postMessage, no message ids to match.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Queue } from 'sabsync';

export const title = 'a queue sent through a queue: the worker answers on it';

const server = new URL('./workers/queue-server.mjs', import.meta.url);

export async function main() {
  const requests = new Queue();
  const worker = new Worker(server, { workerData: { requests: requests.handle } });

  async function client(name, words) {
    const replies = new Queue(); // this client's private mailbox
    for (const word of words) await requests.putAsync({ word, replyTo: replies, from: name });
    const answers = [];
    for (let i = 0; i < words.length; i++) answers.push(await replies.getAsync(5_000));
    return answers;
  }

  const [alice, bob] = await Promise.all([client('alice', ['queue', 'lock', 'event']), client('bob', ['barrier', 'semaphore'])]);
  for (const [name, answers] of [['alice', alice], ['bob', bob]]) {
    for (const a of answers) console.log(`  ${name.padEnd(5)} <- ${a.word.padEnd(9)} reversed is ${a.reversed.padEnd(9)} (answered by thread ${a.by})`);
  }
  requests.shutdown();
  const [code] = await once(worker, 'exit');
  console.log('\n  Each request carried a Queue; it arrived in the worker as a live Queue on the same');
  console.log('  shared memory, so the worker\'s put() landed in the client\'s own mailbox.');
  if (code !== 0 || alice.length !== 3 || bob.length !== 2 || alice[0].reversed !== 'eueuq') throw new Error('wrong answers');
}
