// Worker of the rlock demo: transfer() holds the lock while it calls withdraw() and deposit(),
// which take the same lock again.
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Lock, RLock } from 'sabsync';

const { name, kind, accounts: buffer, from, amount, transfers } = workerData;
const lock = kind === 'RLock' ? RLock.from(workerData.lock) : Lock.from(workerData.lock);
const accounts = new Int32Array(buffer);
/** How long the nested acquire waits before we call it a deadlock. */
const PATIENCE_MS = 500;

// Straight to stdout (fd 1), so lines from different threads appear in the order they happen.
const say = (text) => writeSync(1, `  ${name}: ${text}\n`);

let depth = 0; // how many times this thread holds the lock right now
let verbose = true; // narrate the first transfer only

function take(where) {
  const t0 = performance.now();
  if (!lock.acquire(PATIENCE_MS)) {
    say(`${where}: ${kind}.acquire() still blocked after ${Math.round(performance.now() - t0)} ms — it waits for itself: deadlock`);
    return false;
  }
  depth += 1;
  if (verbose) say(`${where}: took the ${kind} (held ${depth}×)`);
  return true;
}

function give(where) {
  lock.release();
  depth -= 1;
  if (verbose) say(`${where}: released it (held ${depth}×)`);
}

function withdraw(account, n) {
  if (!take('  withdraw()')) return false;
  accounts[account] -= n;
  give('  withdraw()');
  return true;
}

function deposit(account, n) {
  if (!take('  deposit()')) return false;
  accounts[account] += n;
  give('  deposit()');
  return true;
}

/** Move n from account `from` to the other one (accounts 0 and 1). */
function transfer(n) {
  if (!take('transfer()')) return false;
  try {
    return withdraw(from, n) && deposit(1 - from, n);
  } finally {
    give('transfer()');
  }
}

let done = 0;
while (done < transfers && transfer(amount)) {
  done += 1;
  verbose = false;
}
if (done === transfers && transfers > 1) say(`${done.toLocaleString('en-US')} transfers done`);
if (done < transfers) say(`gave up: ${done} of ${transfers} transfers done`);
