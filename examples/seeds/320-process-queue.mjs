// Lesson 3, 6.7.1: processes talk through multiprocessing.Queue (not queue.Queue, and not
// globals: processes share no variables). A producer process puts "a" (then sleeps 2 s); a
// consumer process sleeps 2 s, gets, prints.
//
// Python printed `a`. Ours prints `a`: one Queue serves threads and "processes" alike (ours are
// both threads), passed to each as an argument, where it arrives live.
import { Process, Queue } from 'sabsync';
import { print, sleep } from './lib.mjs';

export const title = 'Process producer and consumer over a Queue(10)';

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
  const myProducer = new Process(new URL(import.meta.url), 'producer', { args: [queue] });
  const myConsumer = new Process(new URL(import.meta.url), 'consumer', { args: [queue] });
  myProducer.start();
  myConsumer.start();
  myProducer.join();
  myConsumer.join();
}
