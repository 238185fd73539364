// The README's target rows, judged from saved results (run.mjs prints them after a run and at
// the top of --markdown): one line per target with what the run reached and whether that meets it.
//
// A target reads rows by bench file, group and name (regular expressions, so that --quick's
// smaller counts match too). Where it compares two rows that are not a group's baseline pair
// (our p99 against piscina's, Lock against Atomics.Mutex), it takes the ratio within each run
// and then the median over the runs (`runs` in a row of a --runs N result), like the ratios the
// runner prints: the two rows of one run ran side by side, on the same machine state.
import { median } from './lib.mjs';

/** The row of bench `bench`, group matching `group` and name matching `name`, or undefined. */
function find(benches, bench, group, name) {
  return benches[bench]?.rows?.find((r) => group.test(r.group) && name.test(r.name) && r.value !== null);
}

/** Per-run values of a row (one run: its value). */
const valuesOf = (r) => r.runs ?? [r.value];

/** The median over the runs of a's value / b's value, taken within each run. */
function pairRatio(a, b) {
  const as = valuesOf(a);
  const bs = valuesOf(b);
  const ratios = [];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) if (as[i] !== null && bs[i] !== null && bs[i] > 0) ratios.push(as[i] / bs[i]);
  return ratios.length > 0 ? median(ratios) : null;
}

/** "1.23x (1.10–1.40 over 3 runs)" for a ratio row, or its value alone for one run. */
function withRange(value, all, digits = 2) {
  const shown = all.filter((v) => v !== null);
  const one = `${value.toFixed(digits)}×`;
  if (shown.length < 2) return one;
  return `${one} (${Math.min(...shown).toFixed(digits)}–${Math.max(...shown).toFixed(digits)} over ${shown.length} runs)`;
}

/** Per-run ratios of a row to its group's baseline, recomputed from `runs` of both. */
function ratiosOf(benches, bench, r) {
  const base = benches[bench].rows.find((b) => b.group === r.group && b.baseline);
  if (!base) return [r.ratio];
  const rs = valuesOf(r);
  const bs = valuesOf(base);
  return rs.map((v, i) => (v !== null && bs[i] ? v / bs[i] : null));
}

const LOCK = [/^uncontended acquire \+ release/, /^contended: .* whole run$/, /^ping-pong: /];
const Q_NUMBERS = /^1 → 1 workers: .* numbers$/;
const Q_OBJECTS = /^1 → 1 workers: .* small objects$/;
const THROUGHPUT = /^[\d,]+ trivial tasks at once, 2 workers \(warm\)$/;
const MEDIAN = /^[\d,]+ sequential round trips, median$/;
const P99 = /^[\d,]+ sequential round trips, p99$/;
const FIB = /^fib\(25\) x [\d,]+, 2 workers$/;
const SPEEDUP = /^fib\(25\) x [\d,]+: speed-up, 2 workers vs 1$/;
const OURS = /^sabsync Executor$/;
const PISCINA = /^piscina/;

/**
 * Each target: `target` (the README's words), and `judge(benches)` returning `{ reached, met }`
 * (`met` true or false), or undefined when a row it needs was not measured.
 */
const TARGETS = [
  {
    target: 'uncontended Lock acquire + release ≤ 1.5× the CAS + store floor',
    judge(b) {
      const r = find(b, 'primitives', LOCK[0], /^Lock acquire/);
      if (!r) return undefined;
      return { reached: withRange(r.ratio, ratiosOf(b, 'primitives', r)), met: r.ratio <= 1.5 };
    },
  },
  {
    target: 'contended Lock ≤ the time of V8 Atomics.Mutex',
    judge(b) {
      const lock = find(b, 'primitives', LOCK[1], /^Lock$/);
      const mutex = find(b, 'primitives', LOCK[1], /Atomics\.Mutex/);
      if (!lock || !mutex) return undefined;
      const x = pairRatio(lock, mutex);
      return { reached: `${x.toFixed(2)}× its time`, met: x <= 1 };
    },
  },
  ...[
    ['Condition ping-pong, the Python way (over an RLock)', /^Condition over an RLock \(the default\), the Python way/],
    ['Condition ping-pong, the Python way (over a Lock)', /^Condition over a Lock, the Python way/],
    ['Condition ping-pong, lock held across rounds (RLock)', /^Condition over an RLock, the lock held/],
    ['Condition ping-pong, lock held across rounds (Lock)', /^Condition over a Lock, the lock held/],
    ['Event ping-pong', /^Event x 2/],
  ].map(([what, name]) => ({
    target: `${what} ≤ 1.3× raw Atomics.wait / notify`,
    judge(b) {
      const r = find(b, 'primitives', LOCK[2], name);
      if (!r) return undefined;
      return { reached: withRange(r.ratio, ratiosOf(b, 'primitives', r)), met: r.ratio <= 1.3 };
    },
  })),
  {
    target: 'Queue, numbers, 1 → 1: ≥ 10× postMessage',
    judge(b) {
      const r = find(b, 'queue', Q_NUMBERS, /^sabsync Queue$/);
      if (!r) return undefined;
      return { reached: withRange(r.ratio, ratiosOf(b, 'queue', r)), met: r.ratio >= 10 };
    },
  },
  {
    target: 'Queue, numbers, 1 → 1: within 2× of the bare SPSC ring',
    judge(b) {
      const r = find(b, 'queue', Q_NUMBERS, /^sabsync Queue$/);
      const ring = find(b, 'queue', Q_NUMBERS, /^bare SPSC ring/);
      const mpmc = find(b, 'queue', Q_NUMBERS, /^bare MPMC ring/);
      if (!r || !ring) return undefined;
      const x = pairRatio(r, ring);
      const limit = mpmc ? `; the bare MPMC ring (a claim per item) ${pairRatio(mpmc, ring).toFixed(2)}×` : '';
      return { reached: `${x.toFixed(2)}× the ring's rate${limit}`, met: x >= 0.5 };
    },
  },
  {
    target: 'Queue, small objects, 1 → 1: ≥ 2× postMessage',
    judge(b) {
      const r = find(b, 'queue', Q_OBJECTS, /^sabsync Queue$/);
      if (!r) return undefined;
      return { reached: withRange(r.ratio, ratiosOf(b, 'queue', r)), met: r.ratio >= 2 };
    },
  },
  ...[0, 1].map((k) => ({
    target: `Executor, ${k === 0 ? 'the smaller' : 'the larger'} burst of trivial tasks: ≥ 10× piscina's tasks/s`,
    judge(b) {
      const r = (b.pool?.rows ?? []).filter((r) => THROUGHPUT.test(r.group) && OURS.test(r.name) && r.ratio !== null)[k];
      if (!r) return undefined;
      return { reached: `${withRange(r.ratio, ratiosOf(b, 'pool', r))}: ${r.group.split(' trivial')[0]} tasks`, met: r.ratio >= 10 };
    },
  })),
  {
    target: "Executor sequential round trip, median ≤ raw postMessage's",
    judge(b) {
      const r = find(b, 'pool', MEDIAN, OURS);
      const raw = find(b, 'pool', MEDIAN, /^raw/);
      if (!r || !raw) return undefined;
      return { reached: `${r.value.toFixed(1)} µs vs ${raw.value.toFixed(1)} µs (${pairRatio(r, raw).toFixed(2)}×)`, met: pairRatio(r, raw) <= 1 };
    },
  },
  {
    target: "Executor sequential round trip, p99 ≤ 0.5× piscina's",
    judge(b) {
      const r = find(b, 'pool', P99, OURS);
      const p = find(b, 'pool', P99, PISCINA);
      if (!r || !p) return undefined;
      const x = pairRatio(r, p);
      const runs = valuesOf(r).map((v, i) => (v !== null && valuesOf(p)[i] ? v / valuesOf(p)[i] : null));
      return { reached: `${r.value.toFixed(1)} µs vs ${p.value.toFixed(1)} µs: ${withRange(x, runs)}`, met: x <= 0.5 };
    },
  },
  {
    target: "fib(25) speed-up, 2 workers vs 1: ≥ 1.85× and ≥ piscina's",
    judge(b) {
      const r = find(b, 'pool', SPEEDUP, OURS);
      const p = find(b, 'pool', SPEEDUP, PISCINA);
      const raw = find(b, 'pool', SPEEDUP, /^raw/);
      const floor = find(b, 'pool', SPEEDUP, /^floor/);
      if (!r) return undefined;
      const ours = find(b, 'pool', FIB, OURS);
      const theirs = find(b, 'pool', FIB, PISCINA);
      const others = [
        p && `piscina ${p.value.toFixed(2)}×`,
        raw && `raw postMessage ${raw.value.toFixed(2)}×`,
        floor && `no dispatch at all ${floor.value.toFixed(2)}×`,
        ours && theirs && `2 workers: ${pairRatio(ours, theirs).toFixed(2)}× piscina's time`,
      ].filter(Boolean);
      return { reached: `${withRange(r.value, valuesOf(r))}${others.length ? ` (${others.join(', ')})` : ''}`, met: r.value >= 1.85 && (!p || r.value >= p.value) };
    },
  },
];

/** The targets as rows `{ target, reached, verdict }` for the saved benches `benches`. */
export function targetRows(benches) {
  return TARGETS.map(({ target, judge }) => {
    const j = judge(benches);
    if (j === undefined) return { target, reached: 'not measured in this run', verdict: '' };
    return { target, reached: j.reached, verdict: j.met ? 'met' : 'not met' };
  });
}
