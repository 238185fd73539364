// Lesson 3, 6.4: multiprocessing.Process(target=get_html, args=(2,)); print(progress.pid) before
// and after start(); join(); print("main progress end").
//
// Python printed None (no process before start()), a pid, `sub_progress success`, `main progress
// end`. Ours prints the same with the thread's ident (undefined before start(), printed as None).
import { Process } from 'sabsync';
import { print, pyRepr, sleep } from './lib.mjs';

export const title = 'Process: ident before and after start(), join';

export function getHtml(n) {
  sleep(n);
  print('sub_progress success');
  return n;
}

export async function main() {
  const progress = new Process(new URL(import.meta.url), 'getHtml', { args: [2] });
  print(pyRepr(progress.ident));
  progress.start();
  print(pyRepr(progress.ident));
  progress.join();
  print('main progress end');
}
