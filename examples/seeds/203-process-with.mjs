// Lesson 2, "Process": with Process(target=f, args=(x,)) as p: p.start(); p.join(). Its notes:
// one argument still needs the tuple comma, (x,); the arguments are pickled into the child, so
// large ones cost time; child processes must be closed.
//
// The lesson shows no output. Ours: Process is Thread (JavaScript has no fork, and a
// SharedArrayBuffer cannot cross processes), args is an array ([x], no comma rule), and there is
// nothing to close: a thread that has returned is gone. Arguments are copied into the thread too
// (structured clone, not pickle), with one exception that matters: shared memory is shared.
// The target changes both a plain array and an Int32Array over a SharedArrayBuffer; back in the
// main thread only the shared one shows the change.
import { Process } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'Process(target, args): arguments are copied, shared memory is shared';

export function f(plain, shared) {
  plain[0] = 99;
  shared[0] = 99;
  print(`in the process: plain[0] = ${plain[0]}, shared[0] = ${shared[0]}`);
}

export async function main() {
  const plain = [1, 2, 3];
  const shared = new Int32Array(new SharedArrayBuffer(12));
  shared.set([1, 2, 3]);
  const p = new Process(new URL(import.meta.url), 'f', { args: [plain, shared] });
  p.start();
  p.join();
  print(`in the main thread: plain[0] = ${plain[0]} (a copy was changed), shared[0] = ${shared[0]} (the same memory)`);
}
