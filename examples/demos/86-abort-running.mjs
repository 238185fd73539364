// Cancelling tasks that are already running, without killing unrelated work. Ctrl-C aborts an
// AbortController; its signal was passed to every task (ex.run(fn, args, { signal })). Tasks not
// started are cancelled; running ones see currentTask().aborted — read from shared memory, so
// even a synchronous loop notices — and stop at their next check. In `npm run demo` nobody
// presses Ctrl-C: the controller is aborted a moment after the three renders are running (a
// timer from the start would race the workers' start-up on a busy machine).
import { Executor } from 'sabsync';
import { bar, board } from './workers/bars.mjs';

export const title = 'Ctrl-C (simulated 0.4 s into the renders) aborts running tasks cleanly; an unrelated task finishes';

const tasks = new URL('./workers/progress-tasks.mjs', import.meta.url);
const AUTO_ABORT_MS = 400;

export async function main() {
  const ex = new Executor(tasks, { maxWorkers: 4 });
  try {
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('Ctrl-C'));
    process.on('SIGINT', onSigint);
    let auto;
    let rendering = 0;
    // A task's first progress report says it runs: once the three renders do, Ctrl-C comes soon.
    const running = (i) => {
      state[i].outcome = 'running';
      if (i < 3 && ++rendering === 3) auto = setTimeout(() => controller.abort(new Error('Ctrl-C (simulated)')), AUTO_ABORT_MS);
    };

    const names = ['render 1', 'render 2', 'render 3', 'queued', 'other'];
    const state = names.map(() => ({ done: 0, outcome: 'waiting' }));
    // "other" takes a worker first; three long jobs take the other three and a fourth waits:
    // those four share the signal, "other" does not and must finish untouched.
    const other = ex.run('crunch', [40, 20]);
    const shared = [0, 1, 2, 3].map(() => ex.run('crunch', [100, 20], { signal: controller.signal }));
    const all = [...shared, other];
    all.forEach((f, i) =>
      f.onProgress((v) => {
        if (state[i].outcome === 'waiting') running(i);
        state[i].done = v;
      }),
    );
    const screen = board(() => names.map((n, i) => bar(n, state[i].done, state[i].outcome)), 10);
    const timer = setInterval(() => screen.draw(), 50);
    try {
      await Promise.all(
        all.map((f, i) =>
          f.then(
            () => (state[i].outcome = 'finished'),
            (e) => (state[i].outcome = f.cancelled() ? 'cancelled before it started' : `stopped: ${e.message}`),
          ),
        ),
      );
    } finally {
      clearInterval(timer);
      clearTimeout(auto);
      process.off('SIGINT', onSigint);
    }
    screen.done();
    console.log('The aborted renders stopped at their next check of currentTask().aborted and their');
    console.log('futures rejected with the abort reason; the worker threads were not killed, and the');
    console.log(`task that did not share the signal finished. The executor still works: one more job → ${await ex.submit('crunch', 2, 1)} ms.`);
  } finally {
    await ex.shutdown(); // (`await using` where the runtime has it)
  }
}
