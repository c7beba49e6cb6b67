// Statistics against known values: LoadGen's percentile rule, its early-stopping minimums, and
// the Server arrival process (Poisson at the asked rate, checked by mean and a KS test).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  binomialCdf,
  bootstrapInterval,
  boundEarlyStopping,
  median,
  earlyStoppingMinQueries,
  kolmogorovSmirnov,
  minPassingQueries,
  percentile,
  percentileEarlyStopping,
  summarize,
} from '../../harness/stats.js';
import { poissonSchedule, seededRng } from '../../harness/random.js';

test('percentile takes the element at floor(N·p) of the sorted values, no interpolation', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.is(percentile(ten, 0.5), 6); // index 5, not the interpolated 5.5
  assert.is(percentile(ten, 0.9), 10); // index 9
  assert.is(percentile(ten, 0.89), 9); // floor(8.9) = 8
  assert.is(percentile(ten, 0), 1);
  assert.is(percentile(ten, 1), 10); // clamped to N − 1
  const hundred = Array.from({ length: 100 }, (_, i) => i * 10);
  assert.is(percentile(hundred, 0.99), 990);
  assert.is(percentile(hundred, 0.999), 990); // floor(99.9) = 99
  assert.is(percentile([42], 0.9), 42);
  assert.throws(() => percentile([], 0.5));
  assert.throws(() => percentile(ten, 1.5));
});

test('summarize gives AIPerf-shaped statistics with LoadGen percentiles', () => {
  const s = summarize([4, 1, 3, 2], 'ms')!;
  assert.is(s.unit, 'ms');
  assert.is(s.count, 4);
  assert.is(s.avg, 2.5);
  assert.is(s.min, 1);
  assert.is(s.max, 4);
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-12); // population std
  assert.is(s.p50, 3); // floor(4·0.5) = 2 → 3
  assert.is(s.p25, 2);
  assert.is(s.p1, 1);
  assert.is(s.p99, 4);
  assert.is(s.p99_9, 4);
  for (const k of ['p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p97', 'p99', 'p99_9', 'avg', 'min', 'max', 'std', 'unit'])
    assert.ok(k in s, k);
  assert.is(summarize([], 'ms'), null);
});

test('binomialCdf matches the direct sum on small cases', () => {
  const choose = (n: number, k: number) => {
    let c = 1;
    for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
    return c;
  };
  for (const [k, n, q] of [
    [0, 10, 0.1],
    [1, 10, 0.1],
    [3, 20, 0.25],
    [5, 12, 0.5],
  ] as const) {
    let direct = 0;
    for (let x = 0; x <= k; x++) direct += choose(n, x) * q ** x * (1 - q) ** (n - x);
    assert.ok(Math.abs(binomialCdf(k, n, q) - direct) < 1e-12, `k=${k} n=${n} q=${q}`);
  }
  assert.is(binomialCdf(10, 10, 0.3), 1);
  assert.ok(binomialCdf(0, 100_000, 0.01) === 0 || binomialCdf(0, 100_000, 0.01) < 1e-300); // no NaN from underflow
});

test("LoadGen's early-stopping minimums: 64 (SingleStream p90), 662 (MultiStream p99), 459 (Server p99, none over)", () => {
  assert.is(earlyStoppingMinQueries(0.9), 64);
  assert.is(earlyStoppingMinQueries(0.99), 662);
  assert.is(minPassingQueries(0, 0.99), 459);
  // The defining inequality holds at h and fails at h − 1.
  for (const [t, p] of [
    [0, 0.99],
    [1, 0.9],
    [1, 0.99],
    [5, 0.99],
    [40, 0.9],
  ] as const) {
    const h = minPassingQueries(t, p);
    assert.ok(binomialCdf(t, h + t, 1 - p) <= 0.01, `t=${t} p=${p} h=${h}`);
    if (h > 0) assert.ok(binomialCdf(t, h - 1 + t, 1 - p) > 0.01, `t=${t} p=${p} h−1`);
  }
  // More queries over the bound need more under it.
  assert.ok(minPassingQueries(2, 0.99) > minPassingQueries(1, 0.99));
});

test('percentile early stopping: not met below the minimum (with how many more), estimate above it', () => {
  const lat = (n: number) => Array.from({ length: n }, (_, i) => n - i); // n … 1, unsorted order
  const short = percentileEarlyStopping(lat(63), 0.9);
  assert.is(short.met, false);
  assert.is(short.minQueries, 64);
  assert.is(short.moreQueriesNeeded, 1);
  const exact = percentileEarlyStopping(lat(64), 0.9);
  assert.is(exact.met, true);
  assert.is(exact.discarded, 0); // t = 1: the estimate is the highest latency
  assert.is(exact.estimate, 64);
  const many = percentileEarlyStopping(lat(1000), 0.9);
  assert.ok(many.met);
  const t = many.discarded! + 1;
  assert.ok(minPassingQueries(t, 0.9) + t <= 1000 && minPassingQueries(t + 1, 0.9) + t + 1 > 1000);
  assert.is(many.estimate, 1000 - t + 1); // the t-th highest of 1…1000
  assert.ok(
    many.estimate! >=
      percentile(
        Array.from({ length: 1000 }, (_, i) => i + 1),
        0.9,
      ),
  ); // conservative
});

test('bound early stopping (Server): over-bound queries raise the count needed', () => {
  const under = (n: number) => Array.from({ length: n }, () => 1);
  assert.is(boundEarlyStopping(under(458), 10, 0.99).met, false);
  assert.is(boundEarlyStopping(under(458), 10, 0.99).moreQueriesNeeded, 1);
  assert.is(boundEarlyStopping(under(459), 10, 0.99).met, true);
  const oneOver = [...under(600), 11];
  const es = boundEarlyStopping(oneOver, 10, 0.99);
  assert.is(es.overBound, 1);
  assert.is(es.queriesNeeded, 662);
  assert.is(es.moreQueriesNeeded, 662 - 601);
  assert.is(boundEarlyStopping([...under(600), 10], 10, 0.99).overBound, 0); // equal to the bound is not over it
});

test('Server arrivals are Poisson at the asked rate: mean gap and a Kolmogorov–Smirnov test, seeded', () => {
  const qps = 250;
  const times = poissonSchedule(qps, 7, 0, 20_000, Infinity);
  assert.is(times.length, 20_000);
  assert.is(times[0], 0);
  const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  // Standard error of the mean of 19,999 exponential gaps is 0.7 %; 3 % is over 4 σ.
  assert.ok(Math.abs(mean * qps - 1) < 0.03, `mean gap ${mean} s vs ${1 / qps} s`);
  const exp = (x: number) => 1 - Math.exp(-qps * x);
  const ks = kolmogorovSmirnov(gaps, exp);
  assert.ok(ks.pValue > 0.01, `KS p = ${ks.pValue}, D = ${ks.d}`);
  // The test can fail: the same gaps against twice the rate, and evenly spaced gaps, are rejected.
  assert.ok(kolmogorovSmirnov(gaps, (x) => 1 - Math.exp(-2 * qps * x)).pValue < 1e-6);
  assert.ok(
    kolmogorovSmirnov(
      gaps.map(() => 1 / qps),
      exp,
    ).pValue < 1e-6,
  );
  // Seeded: the same seed gives the same schedule, another seed another one.
  assert.equal(poissonSchedule(qps, 7, 0, 100, Infinity), times.slice(0, 100));
  assert.not.equal(poissonSchedule(qps, 8, 0, 100, Infinity), times.slice(0, 100));
});

test('the schedule covers min duration and min queries, and stops at max duration', () => {
  const s = poissonSchedule(100, 1, 2000, 10, 60_000);
  assert.ok(s[s.length - 1]! >= 2000 && s.length >= 10);
  assert.ok(s[s.length - 2]! < 2000); // and no more than that
  const capped = poissonSchedule(100, 1, 2000, 10, 500);
  assert.ok(capped.every((t) => t <= 500));
});

test('seededRng is uniform enough and reproducible', () => {
  const a = seededRng(5),
    b = seededRng(5);
  const xs = Array.from({ length: 10_000 }, () => a.next());
  assert.equal(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(kolmogorovSmirnov(xs, (x) => x).pValue > 0.01);
});

test('bootstrap interval: covers the estimate, separates distinct samples, not equal ones, and is reproducible', () => {
  const rng = seededRng(1);
  const random = () => rng.next();
  const a = Array.from({ length: 40 }, (_, i) => 10 + (i % 7) * 0.1);
  const b = Array.from({ length: 40 }, (_, i) => 11 + (i % 5) * 0.1);
  const diff = ([x, y]: readonly (readonly number[])[]) => median(y!) - median(x!);
  const apart = bootstrapInterval([a, b], diff, random);
  assert.ok(apart.low > 0.5 && apart.high < 1.5, JSON.stringify(apart));
  assert.ok(apart.low <= apart.estimate && apart.estimate <= apart.high);
  const same = bootstrapInterval([a, [...a].reverse()], diff, random);
  assert.ok(same.low <= 0 && same.high >= 0, JSON.stringify(same));
  const again = bootstrapInterval(
    [a, b],
    diff,
    (() => {
      const r = seededRng(1);
      return () => r.next();
    })(),
  );
  assert.equal(again, apart);
  assert.is(median([3, 1, 2, 4]), 3); // element floor(4/2) of [1, 2, 3, 4]
  assert.throws(() => bootstrapInterval([[]], diff, random), /empty sample/);
});

test.run();
