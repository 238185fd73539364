// Worker of the event-ctrlc demo: work until the stop Event is set, then clean up and return.
// style 'poll': check stop.isSet() between small pieces of work.
// style 'wait': sleep in stop.wait(every), which wakes up early when the Event is set.
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Event } from 'sabsync';

const { name, style, every } = workerData;
const stop = Event.from(workerData.stop);

// Straight to stdout (fd 1), so lines from different threads appear in the order they happen.
const say = (text) => writeSync(1, `  ${name}: ${text}\n`);

/** One small piece of work (~10 ms): count the primes in the next block of numbers. */
function countPrimes(from, to) {
  let found = 0;
  for (let n = Math.max(from, 2); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) found++;
  }
  return found;
}

if (style === 'poll') {
  const BLOCK = 20_000;
  let next = 0;
  let primes = 0;
  say('counting primes, checking stop.isSet() between blocks');
  while (!stop.isSet()) {
    primes += countPrimes(next, next + BLOCK);
    next += BLOCK;
  }
  say(`stop seen: ${primes.toLocaleString('en-US')} primes below ${next.toLocaleString('en-US')}; cleaning up, bye`);
} else {
  let beats = 0;
  // wait() returns false when the interval passes, true as soon as stop is set.
  while (!stop.wait(every)) say(`beat ${++beats}`);
  say(`stop seen after ${beats} beat${beats === 1 ? '' : 's'}; cleaning up, bye`);
}
