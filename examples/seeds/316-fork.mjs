// Lesson 3, 6.3: os.fork() makes a child process that is a copy of the parent, memory and all,
// and both carry on from the line after fork(): both print `bobby`, then the child prints its
// pid and its parent's, the parent the child's pid. (Unix only.)
//
// Python printed `bobby` twice, `I am the parent: <pid>` and `child <pid>, parent <ppid>`.
// JavaScript has no fork. The nearest thing is a Process (the same class as Thread): it does not
// copy the parent or resume after a line — it loads a module afresh and calls one of its
// exports. So ours prints `bobby` in both, but the "child" gets its parent's id as an argument,
// and a module variable the parent changed before starting it is back at its initial value in
// the child: nothing was copied. (The lesson's closing sleep(2), for a child that would
// otherwise outlive its parent, is our join(): the parent waits for the child.)
import { currentThread, Process } from 'sabsync';
import { print } from './lib.mjs';

export const title = 'os.fork() has no JavaScript twin: a Process starts fresh instead of copying';

let counter = 0; // the parent sets it to 42 before starting the child

export function child(parentIdent) {
  print('bobby');
  print(`child ${currentThread().ident}, parent ${parentIdent}; counter here = ${counter} (a fresh module, not a copy)`);
}

export async function main() {
  counter = 42;
  const p = new Process(new URL(import.meta.url), 'child', { args: [currentThread().ident] });
  print('bobby');
  p.start();
  print(`I am the parent: ${p.ident}; counter here = ${counter}`);
  p.join();
}
