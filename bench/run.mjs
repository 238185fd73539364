// The benchmark runner: `npm run bench [-- NAME...] [-- --quick] [--runs N] [--out FILE] [--markdown]`.
//
// Runs every bench/*.bench.mjs (or those whose name contains one of the NAMEs), prints one table
// per group, then the targets (targets.mjs: what each target row of the README reached), and
// writes bench/results.json: the rows with their ratios, the date and the machine.
//
// A bench file exports `title` (string) and `async run({ quick })` returning rows
// `{ group, name, value, unit, baseline?: true, note?, failed?: true }`. `value: null` (with a
// `note` saying why) marks a row that could not be measured here; adding `failed: true` marks a
// measurement that went wrong (wrong result, crash, deadlock): the run then exits non-zero.
// lib.mjs has `row`, `skippedRow` and `failedRow` to build them.
//
// Within a group, every row with the same unit as the group's `baseline: true` row gets
// `ratio = value / baseline`:
//   - for time-like units (ns/op, ms, µs/round trip): x the baseline's time, lower is better;
//   - for rate units (anything ending in /s): x the baseline's rate, higher is better.
//
// With --runs N, each bench file runs N times in a row and each row reports the median of its N
// values, and a ratio that is the median of its N ratios (each taken within one run, side by side
// with its baseline), with the N values kept in `runs` for the targets: one full run on a shared
// 2-core machine moves single rows by 10–30%, and a target judged on one run flips.
//
//   --quick      small counts, for a smoke run; results.json is left alone unless --out is given
//   --runs N     run each bench file N times and report medians (default 1)
//   --out FILE   write the results there instead of bench/results.json
//   --markdown   print the saved results (results.json or --out) as markdown tables; run nothing
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, median } from './lib.mjs';
import { targetRows } from './targets.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const opts = { quick: false, markdown: false, out: undefined, runs: 1, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--markdown') opts.markdown = true;
    else if (a === '--out') {
      opts.out = argv[++i];
      if (!opts.out) throw new Error('--out needs a file name');
    } else if (a === '--runs') {
      opts.runs = Number(argv[++i]);
      if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs needs a whole number >= 1');
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a} (known: --quick, --runs N, --out FILE, --markdown)`);
    else opts.names.push(a);
  }
  return opts;
}

/** Whether a unit is a rate (higher is better) rather than a time (lower is better). */
function isRate(unit) {
  return /\/\s*s$/.test(unit);
}

function ratioMeaning(unit) {
  return isRate(unit) ? "x the baseline's rate, higher is better" : "x the baseline's time, lower is better";
}

function checkRows(file, rows) {
  if (!Array.isArray(rows)) throw new Error(`${file}: run() must return an array of rows`);
  for (const r of rows) {
    const ok =
      typeof r?.group === 'string' &&
      typeof r.name === 'string' &&
      typeof r.unit === 'string' &&
      ((typeof r.value === 'number' && Number.isFinite(r.value)) || (r.value === null && typeof r.note === 'string'));
    if (!ok) throw new Error(`${file}: bad row ${JSON.stringify(r)} (need group, name, unit, a finite value or null with a note)`);
  }
}

/** Add `ratio` to every row comparable with its group's baseline row. */
function withRatios(rows) {
  const baselines = new Map();
  for (const r of rows) if (r.baseline && r.value !== null && !baselines.has(r.group)) baselines.set(r.group, r);
  return rows.map((r) => {
    const b = baselines.get(r.group);
    const ratio = b && r.value !== null && r.unit === b.unit && b.value > 0 ? r.value / b.value : null;
    return { ...r, ratio };
  });
}

/**
 * One row per group and name from several runs of a bench file (each with its ratios): the
 * median value, the median ratio, every run's value in `runs` (null where it measured none), and the note of the run whose
 * value is the median (the one closest to it), followed by the range over the runs.
 */
function mergeRuns(runs) {
  if (runs.length === 1) return runs[0];
  const key = (r) => `${r.group}\u0000${r.name}`;
  const byKey = new Map();
  for (const rows of runs) {
    for (const r of rows) {
      if (!byKey.has(key(r))) byKey.set(key(r), []);
      byKey.get(key(r)).push(r);
    }
  }
  return [...byKey.values()].map((all) => {
    const measured = all.filter((r) => r.value !== null);
    if (measured.length === 0) return { ...all[0], failed: all.some((r) => r.failed) || undefined };
    const values = measured.map((r) => r.value);
    const value = median(values);
    const closest = measured.reduce((a, r) => (Math.abs(r.value - value) < Math.abs(a.value - value) ? r : a));
    const ratios = measured.map((r) => r.ratio).filter((x) => x !== null);
    const range = `median of ${values.length} runs (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
    return {
      ...closest,
      value,
      ratio: ratios.length > 0 ? median(ratios) : null,
      runs: all.map((r) => r.value),
      note: closest.note ? `${closest.note}; ${range}` : range,
      ...(all.some((r) => r.failed) ? { failed: true } : {}),
    };
  });
}

function groupsOf(rows) {
  const groups = new Map();
  for (const r of rows) {
    if (!groups.has(r.group)) groups.set(r.group, []);
    groups.get(r.group).push(r);
  }
  return groups;
}

function fmt(v) {
  if (v === null) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function fmtRatio(r) {
  if (r.ratio === null) return '';
  return r.baseline ? '1.00 (baseline)' : `${r.ratio.toFixed(2)}x`;
}

function printTables(rows) {
  for (const [group, list] of groupsOf(rows)) {
    const b = list.find((r) => r.baseline);
    console.log(`\n  ${group}${b ? `   [ratio: ${ratioMeaning(b.unit)}]` : ''}`);
    const cells = list.map((r) => [r.name, fmt(r.value), r.unit, fmtRatio(r), r.note ?? '']);
    const width = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length)));
    for (const c of cells) {
      console.log(`    ${c[0].padEnd(width[0])}  ${c[1].padStart(width[1])} ${c[2].padEnd(width[2])}  ${c[3].padEnd(width[3])}  ${c[4]}`.trimEnd());
    }
  }
}

function machineLine(m) {
  return `Node ${m.node} (V8 ${m.v8}), ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.platform}`;
}

function printTargets(results) {
  const rows = targetRows(results.benches);
  console.log('\n  Targets (README): what this run reached');
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => [r.target, r.reached][i].length)));
  for (const r of rows) console.log(`    ${r.target.padEnd(width[0])}  ${r.reached.padEnd(width[1])}  ${r.verdict}`);
}

function printMarkdown(results) {
  console.log(`Measured ${results.date.slice(0, 10)} on ${machineLine(results.machine)}.\n`);
  console.log('| target | reached | |\n|---|---|---|');
  for (const r of targetRows(results.benches)) console.log(`| ${r.target} | ${r.reached} | ${r.verdict} |`);
  console.log('');
  for (const [, bench] of Object.entries(results.benches)) {
    const how = bench.quick ? ' (--quick smoke run: small counts, not for comparison)' : bench.runs > 1 ? ` (every row the median of ${bench.runs} runs)` : '';
    console.log(`### ${bench.title}${how}\n`);
    if (bench.error) {
      console.log(`Failed: ${bench.error}\n`);
      continue;
    }
    for (const [group, list] of groupsOf(bench.rows)) {
      const b = list.find((r) => r.baseline);
      console.log(`**${group}**${b ? ` (ratio: ${ratioMeaning(b.unit)})` : ''}\n`);
      console.log('| | value | unit | ratio | note |\n|---|---:|---|---:|---|');
      const cell = (text) => text.replaceAll('|', '\\|');
      for (const r of list) console.log(`| ${cell(r.name)} | ${fmt(r.value)} | ${r.unit} | ${fmtRatio(r)} | ${cell(r.note ?? '')} |`);
      console.log('');
    }
  }
}

function sameMachine(a, b) {
  return a && b && a.node === b.node && a.cpu === b.cpu && a.cores === b.cores;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = opts.out ?? join(here, 'results.json');
  if (opts.markdown) {
    if (!existsSync(out)) throw new Error(`no results at ${out}: run the benchmarks first`);
    printMarkdown(JSON.parse(readFileSync(out, 'utf8')));
    return;
  }

  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.mjs'))
    .sort()
    .filter((f) => opts.names.length === 0 || opts.names.some((n) => basename(f, '.bench.mjs').includes(n)));
  if (files.length === 0) throw new Error(`no bench file matches ${opts.names.join(', ')}`);

  const m = machine();
  const date = new Date().toISOString();
  console.log(`sabsync benchmarks${opts.quick ? ' (--quick: small counts, a smoke run)' : ''}`);
  console.log(`${date}  ${machineLine(m)}`);
  console.log('ratio = value / the baseline row of its group: for times (ns/op, ms, µs/...) x slower than the');
  console.log('baseline, lower is better; for rates (.../s) x the baseline\'s rate, higher is better.');

  const benches = {};
  let failed = false;
  for (const f of files) {
    const key = basename(f, '.bench.mjs');
    const t0 = performance.now();
    let title = key;
    try {
      const mod = await import(pathToFileURL(join(here, f)).href);
      if (typeof mod.title === 'string') title = mod.title;
      console.log(`\n== ${title} (${f})`);
      if (typeof mod.run !== 'function') throw new Error(`${f} does not export run({ quick })`);
      const runs = [];
      for (let run = 1; run <= opts.runs; run++) {
        if (opts.runs > 1) console.log(`  run ${run} of ${opts.runs}`);
        const rows = await mod.run({ quick: opts.quick });
        checkRows(f, rows);
        runs.push(withRatios(rows));
      }
      const rows = mergeRuns(runs);
      benches[key] = { title, file: f, date, quick: opts.quick, runs: opts.runs, rows };
      printTables(benches[key].rows);
      for (const r of rows.filter((r) => r.failed)) {
        failed = true;
        console.log(`  ${r.group} / ${r.name}: ${r.note}`);
      }
    } catch (error) {
      failed = true;
      benches[key] = { title, file: f, date, quick: opts.quick, error: String(error?.stack ?? error) };
      console.log(`  FAILED (${f}): ${error?.stack ?? error}`);
    }
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  if (opts.quick && !opts.out) {
    printTargets({ benches });
    console.log('\n(--quick: bench/results.json left unchanged)');
  } else {
    // A partial run keeps the other benches' saved results when they came from this machine.
    const previous = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : undefined;
    const kept = sameMachine(previous?.machine, m) ? previous.benches : {};
    const results = { date, machine: m, benches: { ...kept, ...benches } };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    printTargets(results);
    console.log(`\nwrote ${out}`);
  }
  if (failed) process.exitCode = 1;
}

await main();
