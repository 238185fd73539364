// Lesson 3, 6.7.1 (third example) and 6.7.2 (the same code again): Pipe. receive_pipe, send_pipe
// = Pipe(); a producer process send()s "bobby", a consumer process recv()s and prints it. "A
// pipe joins exactly two processes, and is faster than a Queue."
//
// Python printed `bobby`. Ours prints `bobby`. Pipe() gives two connected ends (both can send
// and receive; Pipe(false) makes the first receive-only and the second send-only); each end is
// handed to its thread as an argument and arrives live. Then the end of the stream: once the
// sending end is closed and everything it sent has been read, recv() throws EOFError, as
// Python's does.
import { EOFError, Pipe, Process } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Pipe: a producer sends "bobby", a consumer receives it; then EOFError';

export function producer(pipe) {
  pipe.send('bobby');
  pipe.close();
}

export function consumer(pipe) {
  print(pipe.recv(5_000));
  try {
    pipe.recv(5_000);
  } catch (error) {
    if (!(error instanceof EOFError)) throw error;
    print(`then ${error.name} (${error.code}): the other end is closed and everything was read`);
  }
}

export async function main() {
  const [receivePipe, sendPipe] = Pipe();
  const myProducer = new Process(new URL(import.meta.url), 'producer', { args: [sendPipe] });
  const myConsumer = new Process(new URL(import.meta.url), 'consumer', { args: [receivePipe] });
  myProducer.start();
  myConsumer.start();
  myProducer.join();
  myConsumer.join();
}
