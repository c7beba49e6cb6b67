// Statistics shared by every scenario: LoadGen's percentile rule, AIPerf-shaped summaries,
// LoadGen's binomial early-stopping test, and a goodness-of-fit check for arrival processes.
// Everything here is pure: numbers in, numbers out.

/**
 * LoadGen's percentile: the element at index floor(N·p) of the ascending-sorted values, with
 * no interpolation (results.cc: `sample_latencies[sample_count * percentile]`). The index is
 * clamped to N−1 so p = 1 gives the maximum. `sorted` must already be ascending.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile ${p} is not in [0, 1]`);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * The interpolated percentile of numpy's default (`method='linear'`), which AIPerf and vLLM `bench serve`
 * use for LLM statistics: h = (N−1)·p, then sorted[⌊h⌋] + (h − ⌊h⌋)·(sorted[⌊h⌋+1] − sorted[⌊h⌋]).
 * `sorted` must already be ascending.
 */
export function percentileLinear(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile ${p} is not in [0, 1]`);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Which percentile rule a summary used: LoadGen's order statistic (scenarios) or numpy's interpolation (LLM statistics). */
export type PercentileRule = 'order-statistic' | 'linear';

/** The label a report prints beside percentiles computed by each rule. */
export const PERCENTILE_RULE_LABELS: Readonly<Record<PercentileRule, string>> = {
  'order-statistic': 'order statistic sorted[floor(N·p)] (MLPerf LoadGen)',
  linear: 'linear-interpolation (numpy default, as AIPerf/vLLM)',
};

/** The percentiles every summary carries: AIPerf's p1…p99 plus LoadGen's p97 and p99.9. */
export const SUMMARY_PERCENTILES = {
  p1: 0.01,
  p5: 0.05,
  p10: 0.1,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p90: 0.9,
  p95: 0.95,
  p97: 0.97,
  p99: 0.99,
  p99_9: 0.999,
} as const;

export type PercentileKey = keyof typeof SUMMARY_PERCENTILES;

/**
 * One metric's statistics in AIPerf's export shape (`{unit, avg, min, max, std, p1…p99}`), with
 * LoadGen's p97 and p99.9 (`p99_9`) and the count of values. `std` is the population standard
 * deviation (AIPerf uses numpy's default, ddof = 0).
 */
export type Statistics = {
  readonly unit: string;
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly std: number;
} & {
  readonly [K in PercentileKey]: number;
};

/** Summarises values (any order) into Statistics by the given percentile rule (LoadGen's by default); null when there are none. */
export function summarize(values: readonly number[], unit: string, rule: PercentileRule = 'order-statistic'): Statistics | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const avg = sum / n;
  let sq = 0;
  for (const v of sorted) sq += (v - avg) ** 2;
  const pct = {} as Record<PercentileKey, number>;
  const at = rule === 'linear' ? percentileLinear : percentile;
  for (const [key, p] of Object.entries(SUMMARY_PERCENTILES) as [PercentileKey, number][]) pct[key] = at(sorted, p);
  return { unit, count: n, avg, min: sorted[0]!, max: sorted[n - 1]!, std: Math.sqrt(sq / n), ...pct };
}

// ---------------------------------------------------------------------------------------------
// Early stopping (LoadGen early_stopping.cc, results.cc). A query "fails" when its latency is
// over the bound; for the metric percentile p the chance of a failure is 1 − p. Given t failures,
// the run passes with confidence c if h passing queries make P[Binomial(h + t, 1 − p) ≤ t] ≤ 1 − c.

export const EARLY_STOPPING_CONFIDENCE = 0.99;
export const EARLY_STOPPING_TOLERANCE = 0;

/** P[Binomial(n, q) ≤ k], summed in log space so large n does not underflow. */
export function binomialCdf(k: number, n: number, q: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (q <= 0) return 1;
  if (q >= 1) return 0;
  const logRatio = Math.log(q) - Math.log1p(-q);
  let logTerm = n * Math.log1p(-q); // x = 0: (1 − q)^n
  let maxLog = logTerm;
  const logs: number[] = [logTerm];
  for (let x = 0; x < k; x++) {
    logTerm += Math.log((n - x) / (x + 1)) + logRatio;
    logs.push(logTerm);
    if (logTerm > maxLog) maxLog = logTerm;
  }
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - maxLog);
  return Math.min(1, Math.exp(maxLog) * sum);
}

/**
 * The smallest h ≥ 0 such that P[Binomial(h + t, 1 − (p − d)) ≤ t] ≤ 1 − c: how many queries
 * under the bound are needed beside t over it (LoadGen's MinPassingQueriesFinder).
 */
export function minPassingQueries(t: number, p: number, d = EARLY_STOPPING_TOLERANCE, c = EARLY_STOPPING_CONFIDENCE): number {
  if (!Number.isInteger(t) || t < 0) throw new RangeError(`over-bound query count ${t} is not a non-negative integer`);
  const q = 1 - (p - d);
  const passes = (h: number) => binomialCdf(t, h + t, q) <= 1 - c;
  // The odds fall as h grows: find an upper bound by doubling, then bisect.
  let hi = Math.max(1, Math.ceil(Math.log(1 - c) / Math.log(p - d)));
  while (!passes(hi)) hi *= 2;
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Queries a latency-percentile run (SingleStream, MultiStream) needs before early stopping can say anything: h(t = 1) + 1. */
export function earlyStoppingMinQueries(p: number): number {
  return minPassingQueries(1, p) + 1;
}

/** The early-stopping verdict for SingleStream/MultiStream, where there is no latency bound. */
export interface PercentileEarlyStopping {
  readonly met: boolean;
  readonly percentile: number;
  readonly queries: number;
  /** Queries needed for any estimate: h(1) + 1. */
  readonly minQueries: number;
  /** How many more queries the run would have needed (0 when met). */
  readonly moreQueriesNeeded: number;
  /** Highest-latency queries the estimate discards (t − 1); null when not met. */
  readonly discarded: number | null;
  /** The early-stopping estimate of the percentile: the t-th highest latency; null when not met. */
  readonly estimate: number | null;
}

/**
 * LoadGen's SingleStream/MultiStream early stopping: with n queries, t is the largest count with
 * h(t) + t ≤ n, and the estimate is the t-th highest latency (LoadGen `sorted[n − t]`).
 * `latencies` may be in any order.
 */
export function percentileEarlyStopping(latencies: readonly number[], p: number): PercentileEarlyStopping {
  const n = latencies.length;
  const minQueries = earlyStoppingMinQueries(p);
  if (n < minQueries) {
    return { met: false, percentile: p, queries: n, minQueries, moreQueriesNeeded: minQueries - n, discarded: null, estimate: null };
  }
  // h(t) + t grows with t: bisect for the largest t that n queries can carry.
  let lo = 1;
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (minPassingQueries(mid, p) + mid <= n) lo = mid;
    else hi = mid - 1;
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { met: true, percentile: p, queries: n, minQueries, moreQueriesNeeded: 0, discarded: lo - 1, estimate: sorted[n - lo]! };
}

/** The early-stopping verdict for Server: t queries over the bound need h(t) under it. */
export interface BoundEarlyStopping {
  readonly met: boolean;
  readonly percentile: number;
  readonly queries: number;
  readonly overBound: number;
  /** h(t) + t: the queries the run needed in all. */
  readonly queriesNeeded: number;
  /** queriesNeeded − queries when not met (the run would pass if every extra query were under the bound); else 0. */
  readonly moreQueriesNeeded: number;
}

/** LoadGen's Server early stopping: a query is over the bound when its latency is strictly greater than it. */
export function boundEarlyStopping(latencies: readonly number[], bound: number, p: number): BoundEarlyStopping {
  let t = 0;
  for (const l of latencies) if (l > bound) t++;
  const needed = minPassingQueries(t, p) + t;
  const n = latencies.length;
  return { met: n >= needed, percentile: p, queries: n, overBound: t, queriesNeeded: needed, moreQueriesNeeded: Math.max(0, needed - n) };
}

// ---------------------------------------------------------------------------------------------
// Goodness of fit: the one-sample Kolmogorov–Smirnov test, used to check that Server's gaps are
// exponential (Poisson arrivals) at the asked rate.

export interface KsResult {
  /** sup |F_n(x) − F(x)| */
  readonly d: number;
  /** Asymptotic p-value from the Kolmogorov distribution, with Stephens' small-sample correction. */
  readonly pValue: number;
}

export function kolmogorovSmirnov(values: readonly number[], cdf: (x: number) => number): KsResult {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new RangeError('Kolmogorov–Smirnov test of an empty sample');
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  const sqrtN = Math.sqrt(n);
  const lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
  return { d, pValue: kolmogorovQ(lambda) };
}

/** Q_KS(λ) = 2 Σ (−1)^(j−1) e^(−2 j² λ²): the Kolmogorov distribution's upper tail. */
function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.max(0, Math.min(1, sum));
}

// ---------------------------------------------------------------------------------------------
// Percentile bootstrap: a confidence interval for any statistic of several independent samples,
// each resampled with replacement on every iteration. Used to say whether one measured quantity
// exceeds another beyond the noise of both.

export interface BootstrapInterval {
  /** The statistic on the samples as measured. */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  /** Two-sided coverage, e.g. 0.95. */
  readonly confidence: number;
  readonly iterations: number;
}

/** `random()` uniform in [0, 1); pass a seeded generator so the interval is reproducible. */
export function bootstrapInterval(
  samples: readonly (readonly number[])[],
  statistic: (samples: readonly (readonly number[])[]) => number,
  random: () => number,
  confidence = 0.95,
  iterations = 2000,
): BootstrapInterval {
  if (samples.some((s) => s.length === 0)) throw new RangeError('bootstrap of an empty sample');
  const values: number[] = [];
  for (let k = 0; k < iterations; k++) {
    values.push(statistic(samples.map((s) => Array.from(s, () => s[Math.floor(random() * s.length)]!))));
  }
  values.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  return { estimate: statistic(samples), low: percentile(values, tail), high: percentile(values, 1 - tail), confidence, iterations };
}

/** The median by LoadGen's rule (element floor(N/2) of the sorted values). */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
