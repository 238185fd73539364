// Progress from running tasks: each task calls currentTask().progress(fraction) as it goes; the
// owner listens with future.onProgress(cb). When the owner draws slower than tasks report, it
// simply gets the latest value — progress never piles up in memory.
import { Executor } from 'sabsync';
import { bar, board } from './workers/bars.mjs';

export const title = 'four long tasks at once, one progress bar each (currentTask().progress, future.onProgress)';

const tasks = new URL('./workers/progress-tasks.mjs', import.meta.url);

export async function main() {
  const ex = new Executor(tasks, { maxWorkers: 4 });
  try {
    const jobs = [
      { name: 'short', steps: 20, ms: 15 },
      { name: 'medium', steps: 40, ms: 15 },
      { name: 'long', steps: 60, ms: 15 },
      { name: 'slices', steps: 300, ms: 3 },
    ];
    const done = jobs.map(() => 0);
    const updates = jobs.map(() => 0);
    const screen = board(() => jobs.map((j, i) => bar(j.name, done[i], `${updates[i]} updates seen`)), 8);
    const futures = jobs.map((j, i) =>
      ex.submit('crunch', j.steps, j.ms).onProgress((fraction) => {
        done[i] = fraction;
        updates[i]++;
      }),
    );
    const timer = setInterval(() => screen.draw(), 50);
    try {
      await Promise.all(futures);
    } finally {
      clearInterval(timer);
    }
    screen.done();
    console.log('Each bar follows one task on its own worker. The tasks run synchronous loops; their');
    console.log('progress reaches this thread through the pool\'s result channel, one value per task at');
    console.log('most in flight: "slices" reported 300 times, and this thread saw only what it had time for.');
  } finally {
    await ex.shutdown(); // (`await using` where the runtime has it)
  }
}
