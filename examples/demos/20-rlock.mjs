// RLock: a lock the same thread may take again. A function that holds the lock calls another
// that takes it too — fine with an RLock, a deadlock with a plain Lock.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Lock, RLock } from 'sabsync';

export const title = 'an RLock taken twice by the same worker, and why a plain Lock would deadlock';

const worker = new URL('./workers/rlock.mjs', import.meta.url);
const TRANSFERS = 10_000;
const CHECKING = 0;
const SAVINGS = 1;
const fmt = (n) => n.toLocaleString('en-US');

export async function main() {
  // Two accounts in shared memory: [checking, savings]. Money only moves between them,
  // so their sum must stay 100,000 whatever the workers do.
  const accounts = new Int32Array(new SharedArrayBuffer(8));
  accounts.set([50_000, 50_000]);

  console.log('transfer() takes the lock, then calls withdraw() and deposit(), which take it too.\n');
  console.log('With an RLock, two workers each make', fmt(TRANSFERS), 'transfers:');
  const rlock = new RLock();
  await run([
    { name: 'worker 1', kind: 'RLock', lock: rlock.handle, accounts: accounts.buffer, from: CHECKING, amount: 3, transfers: TRANSFERS },
    { name: 'worker 2', kind: 'RLock', lock: rlock.handle, accounts: accounts.buffer, from: SAVINGS, amount: 2, transfers: TRANSFERS },
  ]);
  const sum = accounts[0] + accounts[1];
  console.log(`  accounts: checking ${fmt(accounts[CHECKING])}, savings ${fmt(accounts[SAVINGS])}, sum ${fmt(sum)} (expected 100,000)`);
  if (sum !== 100_000) throw new Error(`the RLock let money vanish: sum ${sum}`);
  console.log('  The RLock counts how many times its owner took it and is free again when the count');
  console.log('  is back to 0. Until then the other worker waits: their updates never interleave.\n');

  console.log('The same code with a plain Lock, one worker, one transfer:');
  await run([{ name: 'worker 1', kind: 'Lock', lock: new Lock().handle, accounts: accounts.buffer, from: CHECKING, amount: 1, transfers: 1 }]);
  console.log('  A Lock has no owner: acquiring it again blocks, even in the thread that holds it,');
  console.log('  which would then wait for itself forever. Use an RLock when locked code may call');
  console.log('  other locked code; a timeout on acquire() turns such a hang into an answer.');
}

async function run(jobs) {
  const workers = jobs.map((workerData) => new Worker(worker, { workerData }));
  await Promise.all(workers.map((w) => once(w, 'exit')));
}
