// Event: the main thread tells every worker to stop. Only the main thread receives signals
// such as SIGINT (Ctrl-C), so it turns the signal into stop.set(), which all workers can see.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Event } from 'sabsync';

export const title = 'an Event set on Ctrl-C (or after 3 s) that stops every worker cleanly';

const worker = new URL('./workers/event-ctrlc.mjs', import.meta.url);
const AUTO_STOP_MS = 3_000;

export async function main() {
  const stop = new Event();
  let stoppedAt = 0;
  const stopAll = (why) => {
    if (stop.isSet()) return;
    console.log(`\n  main: ${why} → stop.set()`);
    stoppedAt = performance.now();
    stop.set();
  };
  // The main thread must stay free (awaiting, never blocking) to receive the signal at all.
  const onSigint = () => stopAll('got SIGINT (Ctrl-C)');
  process.on('SIGINT', onSigint);
  const timer = setTimeout(() => stopAll(`nobody pressed Ctrl-C within ${AUTO_STOP_MS / 1000} s`), AUTO_STOP_MS);

  console.log(`Three workers run until the main thread sets the stop Event. Press Ctrl-C to set it,`);
  console.log(`or wait ${AUTO_STOP_MS / 1000} s.\n`);
  try {
    const workers = [
      { name: 'cruncher', style: 'poll' },
      { name: 'heartbeat 1', style: 'wait', every: 700 },
      { name: 'heartbeat 2', style: 'wait', every: 1_100 },
    ].map((job) => new Worker(worker, { workerData: { ...job, stop: stop.handle } }));
    await Promise.all(workers.map((w) => once(w, 'exit')));
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSigint); // Ctrl-C ends the program again, as usual
  }

  console.log(`\n  All three workers returned within ${Math.round(performance.now() - stoppedAt)} ms of stop.set().`);
  console.log('  The cruncher checks stop.isSet() between small pieces of work; the heartbeats sleep');
  console.log('  in stop.wait(interval), which returns early, with true, as soon as the Event is set.');
  console.log('  Either way each worker notices within moments, finishes what it was doing and returns:');
  console.log('  nobody is killed half-way.');
}
