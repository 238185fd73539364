// The case Python needs a Manager for: pool tasks that share a counter and a Lock. Here the Lock
// and the counter's shared memory are passed as plain task arguments and arrive live.
import { Lock, Pool } from 'sabsync';

export const title = 'pool tasks sharing a Lock-protected counter (no Manager needed)';

const tasks = new URL('./workers/pool-tasks.mjs', import.meta.url);
const TASKS = 4;
const TIMES = 1_000_000;

export async function main() {
  const pool = new Pool(tasks, { workers: 2 });
  try {
    const expected = TASKS * TIMES;

    const unlocked = new Int32Array(new SharedArrayBuffer(4));
    await pool.starmap('addUnlocked', Array.from({ length: TASKS }, () => [unlocked, TIMES]), 1);
    console.log(`${TASKS} tasks × ${TIMES.toLocaleString('en-US')} increments, expected ${expected.toLocaleString('en-US')}:`);
    console.log(`  without a lock: ${unlocked[0].toLocaleString('en-US')}${unlocked[0] === expected ? ' (right by luck this time)' : ' — updates lost'}`);

    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    await pool.starmap('addUnderLock', Array.from({ length: TASKS }, () => [counter, lock, TIMES]), 1);
    console.log(`  with a Lock:    ${counter[0].toLocaleString('en-US')}`);
    if (counter[0] !== expected) throw new Error(`the locked counter ended at ${counter[0]}`);
    console.log('The Lock went to the workers as a task argument and arrived live: the same lock word in');
    console.log('shared memory, so every worker excludes the others.');
  } finally {
    await pool.terminate();
  }
}
