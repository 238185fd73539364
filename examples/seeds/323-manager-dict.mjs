// Lesson 3, 6.7.3: Manager's data structures. progress_dict = Manager().dict(); two processes
// run add_data(p_dict, key, value); print the dict. "Mind the synchronisation: lock."
//
// Python printed {'bobby1': 22, 'bobby2': 23} (the two keys in either order). Ours prints the
// same from a SharedDict: it lives in shared memory, so no manager process serves it, and each
// of its operations is atomic (for a read-modify-write, update(key, fn) runs under its lock;
// for longer sequences, hold() it).
import { Process, SharedDict } from 'sabsync';
import { print, pyDict } from './lib.mjs';

export const title = 'SharedDict (Manager().dict()): two processes add a key each';

export function addData(pDict, key, value) {
  pDict.set(key, value);
}

export async function main() {
  const progressDict = new SharedDict();
  const firstProgress = new Process(new URL(import.meta.url), 'addData', { args: [progressDict, 'bobby1', 22] });
  const secondProgress = new Process(new URL(import.meta.url), 'addData', { args: [progressDict, 'bobby2', 23] });
  firstProgress.start();
  secondProgress.start();
  firstProgress.join();
  secondProgress.join();
  print(pyDict(progressDict.entries()));
}
