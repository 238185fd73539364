// imap over 1,000 inputs with one overall bar: results arrive in input order while the workers
// pull the next inputs from the shared task Queue; the bar counts what has been yielded.
import { Pool } from 'sabsync';
import { bar, board } from './workers/bars.mjs';

export const title = 'Pool.imap over 1,000 inputs with an overall progress bar';

const tasks = new URL('./workers/progress-tasks.mjs', import.meta.url);
const N = 1_000;

export async function main() {
  const pool = new Pool(tasks, { workers: 4 });
  try {
    let count = 0;
    let sum = 0;
    const t0 = performance.now();
    const screen = board(() => [bar('imap', count / N, `${count}/${N} squares, sum so far ${sum}`)], 5);
    const timer = setInterval(() => screen.draw(), 50);
    try {
      for await (const sq of pool.imap('square', Array.from({ length: N }, (_, i) => i), 10)) {
        sum += sq;
        count++;
      }
    } finally {
      clearInterval(timer);
    }
    screen.done();
    const expected = ((N - 1) * N * (2 * N - 1)) / 6;
    if (sum !== expected) throw new Error(`sum ${sum}, expected ${expected}`);
    console.log(`All ${N} results in order in ${Math.round(performance.now() - t0)} ms; the sum of squares is right (${sum}).`);
  } finally {
    await pool.terminate(); // (`await using` where the runtime has it)
  }
}
