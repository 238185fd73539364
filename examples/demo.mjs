// Run the demos in examples/demos/, in file-name order: `npm run demo`, or one or more of
// them by name: `npm run demo -- race rlock`. The seed lessons in examples/seeds/ (the Python
// tutorials' examples, retold) run with `npm run demo -- seeds`, or one by name:
// `npm run demo -- gil-race`.
//
// A demo is a file `NN-name.mjs` exporting `title` (a string) and `async function main()`.
// A demo that throws (or does not finish within DEMO_TIMEOUT_MS) is reported, the others
// still run, and the runner exits non-zero at the end.
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

/** A demo that runs longer than this has hung: report it and move on. */
const DEMO_TIMEOUT_MS = 60_000;

const list = (folder) => {
  const dir = new URL(`./${folder}/`, import.meta.url);
  return readdirSync(dir)
    .filter((file) => /^\d+-.+\.mjs$/.test(file))
    .sort()
    .map((file) => ({ file, dir, folder, name: basename(file, '.mjs').replace(/^\d+-/, '') }));
};
const demos = [...list('demos'), ...list('seeds')];

const wanted = process.argv.slice(2);
const picks = (d, arg) => arg === d.name || arg === basename(d.file, '.mjs') || arg === d.folder;
const unknown = wanted.filter((arg) => !demos.some((d) => picks(d, arg)));
if (unknown.length > 0) {
  console.error(`unknown demo: ${unknown.join(', ')}`);
  console.error(`available: seeds, ${demos.map((d) => d.name).join(', ')}`);
  process.exit(1);
}
// No names: the demos (the seed lessons only when asked for).
const chosen = wanted.length === 0 ? demos.filter((d) => d.folder === 'demos') : demos.filter((d) => wanted.some((arg) => picks(d, arg)));

const failed = [];
const started = performance.now();
for (const [i, demo] of chosen.entries()) {
  const t0 = performance.now();
  try {
    const { title, main } = await import(new URL(demo.file, demo.dir).href);
    if (typeof main !== 'function') throw new TypeError(`${demo.file} does not export an async function main()`);
    console.log(`\n=== ${i + 1}/${chosen.length}  ${demo.name}: ${title ?? ''}\n`);
    await withTimeout(main(), DEMO_TIMEOUT_MS, demo.name);
    console.log(`\n    (${demo.name}: ${seconds(performance.now() - t0)})`);
  } catch (error) {
    failed.push(demo.name);
    console.error(`\n!!! demo ${demo.name} failed after ${seconds(performance.now() - t0)}:`);
    console.error(error?.stack ?? error);
  }
}

const total = seconds(performance.now() - started);
if (failed.length === 0) {
  console.log(`\n${chosen.length} demo${chosen.length === 1 ? '' : 's'} finished in ${total}.`);
} else {
  console.error(`\n${failed.length} of ${chosen.length} demos failed (${failed.join(', ')}), ${total} in all.`);
  // A failed demo may have left worker threads running: do not wait for them.
  process.exit(1);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`demo ${name} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
