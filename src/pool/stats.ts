/**
 * The pool's statistics (`stats()`): counters, and two latency histograms (run time, wait time)
 * cheap enough to leave on — recording a value is a few integer operations and one array
 * increment, with no allocation, and the memory is fixed whatever the number of tasks.
 *
 * Histogram policy, next to its knobs: values are recorded in microseconds into log-linear
 * buckets — exact below SUB_BUCKETS * 2 µs, then SUB_BUCKETS buckets per power of two, so a
 * reported percentile is within 1/SUB_BUCKETS (12.5%) of the true value (HdrHistogram's idea
 * at its coarsest useful precision). Mean and max are exact. Values above 2^31 µs (≈ 36 min)
 * land in the last bucket.
 */

/** Buckets per power of two. */
const SUB_BITS = 3;
const SUB_BUCKETS = 1 << SUB_BITS;
/** Buckets: the exact ones below 2 * SUB_BUCKETS µs, then SUB_BUCKETS per power of two up to 2^31. */
const BUCKETS = 2 * SUB_BUCKETS + (31 - SUB_BITS) * SUB_BUCKETS;

/** A summary of latencies, in ms. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What `pool.stats()` / `ex.stats()` return. */
export interface PoolStats {
  /** Workers alive now (starting ones included). */
  workers: number;
  /** Workers running a task now. */
  busy: number;
  /** Tasks submitted and not yet started. */
  queued: number;
  /** Tasks that returned. */
  completed: number;
  /** Tasks that threw, or timed out (`timeout`). */
  failed: number;
  /** Tasks cancelled before they started, or aborted while running. */
  cancelled: number;
  /** Tasks that failed with `WorkerCrashedError`. */
  crashed: number;
  /** Running time of the tasks that ran (claim to result), ms. */
  runTime: LatencySummary;
  /** Time from submit to start of the tasks that started, ms. */
  waitTime: LatencySummary;
  /** Busy time ÷ (workers × elapsed), 0..1, since the pool was created. */
  utilization: number;
}

function bucketOf(us: number): number {
  if (us < 2 * SUB_BUCKETS) return us;
  const e = 31 - Math.clz32(us); // >= SUB_BITS + 1
  return 2 * SUB_BUCKETS + (e - SUB_BITS - 1) * SUB_BUCKETS + ((us >>> (e - SUB_BITS)) & (SUB_BUCKETS - 1));
}

/** The middle of bucket `b`, µs. */
function valueOf(b: number): number {
  if (b < 2 * SUB_BUCKETS) return b;
  const k = b - 2 * SUB_BUCKETS;
  const e = Math.floor(k / SUB_BUCKETS) + SUB_BITS + 1;
  const low = (SUB_BUCKETS + (k % SUB_BUCKETS)) * 2 ** (e - SUB_BITS);
  return low + 2 ** (e - SUB_BITS - 1);
}

/** A fixed-size latency histogram. */
export class Histogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Record `ms` (negative values count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    const us = v * 1000;
    this.#counts[us >= 0x7fffffff ? BUCKETS - 1 : bucketOf(us | 0)]!++;
  }

  get count(): number {
    return this.#count;
  }

  /** Sum of the recorded values, ms. */
  get sum(): number {
    return this.#sum;
  }

  summary(): LatencySummary {
    const n = this.#count;
    if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return { count: n, mean: this.#sum / n, p50: this.#at(0.5), p90: this.#at(0.9), p99: this.#at(0.99), max: this.#max };
  }

  /** The value at quantile `q`, ms (never above the max). */
  #at(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b]!;
      if (seen >= rank) return Math.min(this.#max, valueOf(b) / 1000);
    }
    return this.#max;
  }
}
