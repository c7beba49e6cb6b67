// The scenario's text logs, in LoadGen's formats (mlcommons/inference loadgen/results.cc
// PerformanceSummary::LogSummary, test_settings_internal.cc TestSettingsInternal::LogSummary,
// logging.cc's trailer): renderMlperfSummary writes mlperf_log_summary.txt line for line as
// LoadGen does, so MLPerf's summary readers (compliance/TEST04/verify_performance.py) parse it;
// renderNpuvalSummary holds npuval's own figures (compute, power, model, every INVALID reason).
// renderSummary is the older combined human summary (summary.txt).
import type { BoundEarlyStopping, PercentileEarlyStopping } from '../stats.js';
import { LOADGEN_PERCENTILES, type NsLatencies, type ScenarioResult } from './run.js';
import { pctLabel, toNs } from './validity.js';
import { computeLines } from './compute.js';

const RULE = '================================================';

const ns = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'n/a' : String(toNs(ms)));
const d2 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const yes = (b: boolean) => (b ? 'Yes' : 'NO');

// ---------------------------------------------------------------------------------------------
// C++ number formatting, as LoadGen's streams write numbers.

/** utils.cc DoubleToString(value, precision = 2): `std::fixed` with `precision` decimals. */
export function doubleToString(x: number, precision = 2): string {
  if (Number.isNaN(x)) return '-nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return x.toFixed(precision);
}

/** `std::ostream << double` with the stream's defaults (%g, 6 significant digits, trailing zeros dropped). */
export function cppDouble(x: number): string {
  if (Number.isNaN(x)) return '-nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const [mantissa, expText] = x.toExponential(5).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= 6) return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(5 - exp));
}

/** A LoadGen setting's value with its C++ type, which decides how each log prints it. */
export type LoadgenValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string };

/** LoadgenValue constructors: an int is truncated as a C++ integer conversion truncates. */
export const int = (value: number): LoadgenValue => ({ type: 'int', value: Math.trunc(value) });
export const dbl = (value: number): LoadgenValue => ({ type: 'double', value });
export const bool = (value: boolean): LoadgenValue => ({ type: 'bool', value });
export const text = (value: string): LoadgenValue => ({ type: 'string', value });

/** As the summary prints a value (`ostream <<`: a bool is 0/1, a double %g). */
export function summaryValue(v: LoadgenValue): string {
  switch (v.type) {
    case 'int':
      return String(v.value);
    case 'double':
      return cppDouble(v.value);
    case 'bool':
      return v.value ? '1' : '0';
    case 'string':
      return v.value;
  }
}

// ---------------------------------------------------------------------------------------------
// LoadGen's view of a run: its effective settings and figures.

/** LoadGen's scenario default expected latencies (test_settings.h), which give SingleStream/MultiStream target_qps. */
export const LOADGEN_EXPECTED_LATENCY_NS = { 'single-stream': 1_000_000, 'multi-stream': 8_000_000 } as const;

/** The seeds and the accuracy-log and performance-issue settings, which LoadGen's requested and effective settings list alike. */
export function seedAndLogSettings(s: ScenarioResult['settings']): [string, LoadgenValue][] {
  return [
    ['qsl_rng_seed', int(s.seeds.qsl)],
    ['sample_index_rng_seed', int(s.seeds.sampleIndex)],
    ['schedule_rng_seed', int(s.seeds.schedule)],
    ['accuracy_log_rng_seed', int(0)],
    ['accuracy_log_probability', dbl(0)],
    ['accuracy_log_sampling_target', int(0)],
    ['print_timestamps', bool(false)],
    ['performance_issue_unique', bool(false)],
    ['performance_issue_same', bool(false)],
    ['performance_issue_same_index', int(0)],
  ];
}

/**
 * LoadGen's TestSettingsInternal for the run, in the order LogEffectiveSettings logs them (key
 * without the `effective_` prefix). target_qps is derived as LoadGen derives it: 1e9 / the
 * expected latency (SingleStream/MultiStream, LoadGen's defaults unless `expectedLatencyNs`
 * is given), the Server rate, Offline's expected QPS (the setting, else the warm-up rate).
 */
export function effectiveSettings(r: ScenarioResult, expectedLatencyNs?: number): [string, LoadgenValue][] {
  const s = r.settings;
  const sc = r.scenario;
  const spq = sc === 'offline' ? r.counts.samplesInQuery : sc === 'multi-stream' ? s.samplesPerQuery : 1;
  const targetQps =
    sc === 'server'
      ? (s.targetQps ?? 1)
      : sc === 'offline'
        ? (s.expectedSamplesPerSecond ?? r.throughput.expectedSamplesPerSecond ?? 1)
        : 1e9 / (expectedLatencyNs ?? LOADGEN_EXPECTED_LATENCY_NS[sc]);
  const minQueries = sc === 'offline' ? 1 : s.minQueryCount;
  return [
    ['scenario', text(r.loadgenScenario)],
    ['test_mode', text(r.mode)],
    ['samples_per_query', int(spq)],
    ['target_qps', dbl(targetQps)],
    ['target_latency_ns', int(r.loadgen.targetLatencyNs)],
    ['target_latency_percentile', dbl(s.targetLatencyPercentile)],
    ['max_async_queries', int(sc === 'server' ? 0 : 1)],
    ['target_duration_ms', int(sc === 'offline' ? 0 : s.minDurationMs)],
    ['min_duration_ms', int(s.minDurationMs)],
    ['max_duration_ms', int(s.maxDurationMs)],
    ['min_query_count', int(minQueries)],
    ['max_query_count', int(0)],
    ['min_sample_count', int(minQueries * spq)],
    ...seedAndLogSettings(s),
    ['performance_sample_count', int(s.performanceSampleCount)],
    ['accuracy_sample_count', int(s.performanceSampleCount)],
    ['sample_concatenate_permutation', bool(false)],
  ];
}

/** The keys TestSettingsInternal::LogSummary prints, in its order, with the label each gets. */
const SUMMARY_PARAMETERS: [string, string][] = [
  ['samples_per_query', 'samples_per_query : '],
  ['target_qps', 'target_qps : '],
  ['target_latency_ns', 'target_latency (ns): '],
  ['max_async_queries', 'max_async_queries : '],
  ['min_duration_ms', 'min_duration (ms): '],
  ['max_duration_ms', 'max_duration (ms): '],
  ['min_query_count', 'min_query_count : '],
  ['max_query_count', 'max_query_count : '],
  ['qsl_rng_seed', 'qsl_rng_seed : '],
  ['sample_index_rng_seed', 'sample_index_rng_seed : '],
  ['schedule_rng_seed', 'schedule_rng_seed : '],
  ['accuracy_log_rng_seed', 'accuracy_log_rng_seed : '],
  ['accuracy_log_probability', 'accuracy_log_probability : '],
  ['accuracy_log_sampling_target', 'accuracy_log_sampling_target : '],
  ['print_timestamps', 'print_timestamps : '],
  ['performance_issue_unique', 'performance_issue_unique : '],
  ['performance_issue_same', 'performance_issue_same : '],
  ['performance_issue_same_index', 'performance_issue_same_index : '],
  ['performance_sample_count', 'performance_sample_count : '],
  ['accuracy_sample_count', 'accuracy_sample_count : '],
];

/** The checks as LoadGen counts them (results.cc LogSummary / LogDetail). */
export function loadgenChecks(r: ScenarioResult) {
  const v = r.validity;
  const spq = r.scenario === 'offline' ? r.counts.samplesInQuery : r.scenario === 'multi-stream' ? r.settings.samplesPerQuery : 1;
  const minQueries = r.scenario === 'offline' ? 1 : r.settings.minQueryCount;
  return {
    // LoadGen judges a performance constraint in Server only (HasPerfConstraints).
    perfConstraints: r.scenario === 'server' ? (v.latency?.met ?? true) : null,
    minDuration: v.minDuration.met,
    // MinQueriesMet() && MinSamplesMet(): Offline's one query must complete all its samples.
    minQueries: v.minQueries.met && r.counts.samples >= minQueries * spq,
    earlyStopping: v.earlyStopping?.met ?? true,
  };
}

/** LoadGen's early-stopping recommendation (results.cc EarlyStopping), lines joined by \n; '' for Offline. */
export function earlyStoppingRecommendation(r: ScenarioResult): string {
  if (r.scenario === 'offline') return '';
  if (r.scenario === 'server') {
    const b = r.validity.earlyStopping as BoundEarlyStopping;
    return b.met
      ? ' * Run successful.'
      : ` * Run unsuccessful.\n * Processed ${b.queries} queries.\n * Would need to run at least ${b.moreQueriesNeeded} more queries,\n with the run being successful if every additional\n query were under latency.`;
  }
  const e = r.loadgen.earlyStopping!;
  if (!e.met) return ` * Only processed ${e.queries} queries.\n * Need to process at least ${e.minQueries} queries for early stopping.`;
  let out =
    ` * Processed at least ${e.minQueries} queries (${e.queries}).\n * Would discard ${e.discarded} highest latency queries.\n` +
    ` * Early stopping ${doubleToString(e.percentile * 100, 1)}th percentile estimate: ${e.estimate}`;
  const e99 = r.loadgen.earlyStopping99;
  if (e99) {
    const label = doubleToString(e99.percentile * 100, 1);
    out += e99.met
      ? `\n * Early stopping ${label}th percentile estimate: ${e99.estimate}`
      : `\n * Not enough queries processed for ${label}th percentile\n early stopping estimate (would need to process at\n least ${e99.minQueries} total queries).`;
  }
  return out;
}

/** Why the run is INVALID, one line each (npuval's reasons: they say what to change here). */
export function invalidReasons(r: ScenarioResult): readonly string[] {
  return r.valid ? [] : r.validity.reasons.length ? r.validity.reasons : ['the run is INVALID'];
}

const rate = (n: number, ms: number) => n / (ms / 1000);

/** LoadGen's throughput figures (results.cc): sample counts over final times in seconds. */
export function loadgenRates(r: ScenarioResult) {
  const n = r.loadgen.sampleLatencyNs?.count ?? 0;
  const meanNs = r.loadgen.sampleLatencyNs?.mean ?? 0;
  return {
    qpsWithLoadgenOverhead: rate(n - 1, r.times.finalQueryIssuedMs),
    qpsWithoutLoadgenOverhead: 1 / (meanNs / 1e9),
    scheduledSamplesPerSecond: rate(n - 1, r.times.finalQueryScheduledMs),
    completedSamplesPerSecond: rate(n - 1, r.times.finalQueryCompletedMs),
    // Offline: sample_count / pr.max_latency (the longest sample latency, in s).
    samplesPerSecond: n / ((r.loadgen.sampleLatencyNs?.max ?? 0) / 1e9),
  };
}

function latencyLines(l: NsLatencies | null): string[] {
  const z = l ?? { min: 0, max: 0, mean: 0, percentiles: LOADGEN_PERCENTILES.map(() => 0) };
  return [
    `Min latency (ns)                : ${z.min}`,
    `Max latency (ns)                : ${z.max}`,
    `Mean latency (ns)               : ${z.mean}`,
    ...LOADGEN_PERCENTILES.map((p, i) => `${doubleToString(p * 100)} percentile latency (ns)   : ${z.percentiles[i]}`),
  ];
}

/**
 * mlperf_log_summary.txt as LoadGen writes it for a performance run (no token latencies): the
 * result, its checks and early stopping, Additional Stats, Test Parameters Used, and the
 * warning and error trailer. Recommendations under an INVALID result are npuval's reasons.
 */
export function renderMlperfSummary(r: ScenarioResult, options: { expectedLatencyNs?: number } = {}): string {
  const out: string[] = [RULE, 'MLPerf Results Summary', RULE];
  out.push(`SUT name : ${r.device}`);
  out.push(`Scenario : ${r.loadgenScenario}`);
  out.push(`Mode     : ${r.mode}`);
  const lg = r.loadgen;
  const rates = loadgenRates(r);
  const headline = `${doubleToString(r.settings.targetLatencyPercentile * 100, 1)}th percentile latency (ns) : `;
  if (r.scenario === 'single-stream') out.push(headline + (lg.sampleLatencyNs?.target ?? 0));
  else if (r.scenario === 'multi-stream') out.push(headline + (lg.queryLatencyNs?.target ?? 0));
  else if (r.scenario === 'server') out.push(`Completed samples per second    : ${doubleToString(rates.completedSamplesPerSecond)}`);
  else out.push(`Samples per second: ${cppDouble(rates.samplesPerSecond)}`);

  const c = loadgenChecks(r);
  out.push(`Result is : ${r.result}`);
  if (c.perfConstraints !== null) out.push(`  Performance constraints satisfied : ${yes(c.perfConstraints)}`);
  out.push(`  Min duration satisfied : ${yes(c.minDuration)}`);
  out.push(`  Min queries satisfied : ${yes(c.minQueries)}`);
  out.push(`  Early stopping satisfied: ${yes(c.earlyStopping)}`);
  if (!r.valid) {
    out.push('Recommendations:');
    for (const reason of invalidReasons(r)) out.push(` * ${reason}`);
  }
  if (r.scenario !== 'offline') out.push('Early Stopping Result:', earlyStoppingRecommendation(r));

  out.push('', RULE, 'Additional Stats', RULE);
  if (r.scenario === 'single-stream') {
    out.push(`QPS w/ loadgen overhead         : ${doubleToString(rates.qpsWithLoadgenOverhead)}`);
    out.push(`QPS w/o loadgen overhead        : ${doubleToString(rates.qpsWithoutLoadgenOverhead)}`);
    out.push('');
  } else if (r.scenario === 'server') {
    out.push(`Scheduled samples per second : ${doubleToString(rates.scheduledSamplesPerSecond)}`);
  } else if (r.scenario === 'multi-stream') {
    out.push('Per-query latency:  ', ...latencyLines(lg.queryLatencyNs));
  }
  if (r.scenario !== 'multi-stream') out.push(...latencyLines(lg.sampleLatencyNs));

  out.push('', RULE, 'Test Parameters Used', RULE);
  const eff = new Map(effectiveSettings(r, options.expectedLatencyNs));
  for (const [key, label] of SUMMARY_PARAMETERS) out.push(label + summaryValue(eff.get(key)!));
  // The trailer LoadGen appends when it closes the summary (logging.cc AsyncLog::SetLogFiles).
  return out.join('\n') + '\n' + '\nNo warnings encountered during test.\n' + '\nNo errors encountered during test.\n';
}

/** npuval_summary.txt: what npuval measured beside LoadGen's figures, and every INVALID reason. */
export function renderNpuvalSummary(r: ScenarioResult): string {
  const out: string[] = [RULE, 'npuval', RULE];
  out.push(`result : ${r.result} (${r.loadgenScenario}, ${r.device})`);
  out.push(
    `metric : ${r.metric.name} = ${r.metric.value === null ? 'n/a' : r.metric.unit === 'ms' ? `${ns(r.metric.value)} ns` : `${d2(r.metric.value)} ${r.metric.unit}`}`,
  );
  const m = r.loadgen.result;
  out.push(
    `MLPerf result (${m.key}) : ${m.value === null ? 'n/a (early stopping had too few queries)' : m.unit === 'ns' ? `${m.value} ns` : `${d2(m.value)} ${m.unit}`}`,
  );
  for (const reason of r.validity.reasons) out.push(` * ${reason}`);
  out.push(...npuvalLines(r));
  return out.join('\n') + '\n';
}

/** npuval's own figures: model, warm-up, batching, issue delay, compute, power. */
function npuvalLines(r: ScenarioResult): string[] {
  const out: string[] = [];
  const s = r.settings;
  out.push(`model : ${r.model} (${r.precision})`);
  out.push(`started : ${r.startedAt}`);
  out.push(`warm-up : ${s.warmupMs} ms, ${r.counts.warmupQueries} queries (untimed)`);
  if (r.scenario === 'offline') out.push(`batch size : ${s.batchSize} (${r.batching})`);
  else if (s.samplesPerQuery > 1) out.push(`samples per query run as : ${r.batching}`);
  if (r.latency.issueDelay) out.push(`issue delay p99 (ns) : ${ns(r.latency.issueDelay.p99)} (issued − scheduled)`);
  const c = r.compute;
  out.push(...computeLines(c, fmtFlops));
  if (c.note) out.push(`  note : ${c.note}`);
  const pw = r.power;
  if (pw.measured) {
    out.push(
      `power : ${pw.avgWatts.toFixed(2)} W mean by ${pw.sampler} (${pw.source}), ${pw.sampleCount} readings every ${pw.intervalMs} ms`,
    );
    out.push(`energy per query (J) : ${pw.joulesPerQuery.toPrecision(4)}`);
    out.push(`samples/s per watt : ${pw.samplesPerSecondPerWatt.toPrecision(4)}`);
  } else {
    out.push(`power : not measured (${pw.reason})`);
  }
  return out;
}

/**
 * summary.txt: npuval's combined human summary in LoadGen's older layout (MLPerf's figures,
 * then npuval's section). The exact LoadGen logs are renderMlperfSummary and detail.ts.
 */
export function renderSummary(r: ScenarioResult): string {
  const out: string[] = [RULE, 'MLPerf Results Summary', RULE];
  out.push(`SUT name : ${r.device}`);
  out.push(`Scenario : ${r.loadgenScenario}`);
  out.push(`Mode     : ${r.mode}`);
  const p = r.settings.targetLatencyPercentile;
  const pth = `${pctLabel(p)}th`;
  switch (r.scenario) {
    // LoadGen's summary prints the observed percentile here; the early-stopping estimate (the result metric) follows below.
    case 'single-stream':
      out.push(`${pth} percentile latency (ns) : ${r.loadgen.sampleLatencyNs?.target ?? 'n/a'}`);
      break;
    case 'multi-stream':
      out.push(`${pth} percentile latency (ns) : ${r.loadgen.queryLatencyNs?.target ?? 'n/a'}`);
      break;
    case 'server':
      out.push(`Completed samples per second    : ${d2(r.metric.value)}`);
      break;
    case 'offline':
      out.push(`Samples per second: ${d2(r.metric.value)}`);
      break;
  }
  const v = r.validity;
  out.push(`Result is : ${r.result}`);
  if (v.latency) out.push(`  Performance constraints satisfied : ${yes(v.latency.met)}`);
  out.push(`  Min duration satisfied : ${yes(v.minDuration.met)}`);
  out.push(`  Min queries satisfied : ${yes(v.minQueries.met)}`);
  out.push(`  Early stopping satisfied: ${yes(v.earlyStopping?.met ?? true)}`);
  if (!r.valid) {
    out.push('Recommendations:');
    for (const reason of v.reasons) out.push(` * ${reason}`);
  }
  if (v.earlyStopping) {
    out.push('Early Stopping Result:');
    out.push(earlyStoppingText(v.earlyStopping, r.scenario === 'server'));
  }

  out.push('', RULE, 'Additional Stats', RULE);
  if (r.scenario === 'single-stream') {
    out.push(`QPS w/ loadgen overhead         : ${d2(r.throughput.qpsWithLoadgenOverhead)}`);
    out.push(`QPS w/o loadgen overhead        : ${d2(r.throughput.qpsWithoutLoadgenOverhead)}`);
    out.push('');
  } else if (r.scenario === 'server') {
    out.push(`Completed samples per second    : ${d2(r.throughput.completedSamplesPerSecond)}`);
    out.push('');
  } else if (r.scenario === 'multi-stream' && r.latency.query) {
    const q = r.latency.query;
    out.push('Per-query latency:  ');
    out.push(`Min latency (ns)                : ${ns(q.min)}`);
    out.push(`Max latency (ns)                : ${ns(q.max)}`);
    out.push(`Mean latency (ns)               : ${ns(q.avg)}`);
    for (const [label, value] of percentileLines(q)) out.push(`${label} percentile latency (ns)   : ${ns(value)}`);
  }
  const l = r.latency.sample;
  if (r.scenario !== 'multi-stream' && l) {
    out.push(`Min latency (ns)                : ${ns(l.min)}`);
    out.push(`Max latency (ns)                : ${ns(l.max)}`);
    out.push(`Mean latency (ns)               : ${ns(l.avg)}`);
    for (const [label, value] of percentileLines(l)) out.push(`${label} percentile latency (ns)   : ${ns(value)}`);
  }

  const s = r.settings;
  out.push('', RULE, 'Test Parameters Used', RULE);
  out.push(`samples_per_query : ${r.scenario === 'offline' ? r.counts.samplesInQuery : s.samplesPerQuery}`);
  out.push(`target_qps : ${s.targetQps ?? 0}`);
  out.push(`target_latency (ns): ${s.targetLatencyMs === null ? 0 : ns(s.targetLatencyMs)}`);
  out.push(`max_async_queries : ${r.scenario === 'server' || r.scenario === 'offline' ? 0 : 1}`);
  out.push(`min_duration (ms): ${s.minDurationMs}`);
  out.push(`max_duration (ms): ${s.maxDurationMs}`);
  out.push(`min_query_count : ${s.minQueryCount}`);
  out.push(`max_query_count : 0`);
  out.push(`qsl_rng_seed : ${s.seeds.qsl}`);
  out.push(`sample_index_rng_seed : ${s.seeds.sampleIndex}`);
  out.push(`schedule_rng_seed : ${s.seeds.schedule}`);
  out.push(`performance_sample_count : ${s.performanceSampleCount}`);

  out.push('', RULE, 'npuval', RULE, ...npuvalLines(r));
  return out.join('\n') + '\n';
}

function percentileLines(s: { p50: number; p90: number; p95: number; p97: number; p99: number; p99_9: number }): [string, number][] {
  return [
    ['50.00', s.p50],
    ['90.00', s.p90],
    ['95.00', s.p95],
    ['97.00', s.p97],
    ['99.00', s.p99],
    ['99.90', s.p99_9],
  ];
}

function earlyStoppingText(es: PercentileEarlyStopping | BoundEarlyStopping, server: boolean): string {
  if (server || 'overBound' in es) {
    const b = es as BoundEarlyStopping;
    return b.met
      ? ' * Run successful.'
      : ` * Run unsuccessful.\n * Processed ${b.queries} queries.\n * Would need to run at least ${b.moreQueriesNeeded} more queries,\n with the run being successful if every additional\n query were under latency.`;
  }
  const e = es as PercentileEarlyStopping;
  if (!e.met) return ` * Only processed ${e.queries} queries.\n * Need to process at least ${e.minQueries} queries for early stopping.`;
  return ` * Processed at least ${e.minQueries} queries (${e.queries}).\n * Would discard ${e.discarded} highest latency queries.\n * Early stopping ${pctLabel(e.percentile)}th percentile estimate: ${ns(e.estimate)}`;
}

export function fmtFlops(flops: number): string {
  const units: [number, string][] = [
    [1e15, 'PFLOP/s'],
    [1e12, 'TFLOP/s'],
    [1e9, 'GFLOP/s'],
    [1e6, 'MFLOP/s'],
    [1e3, 'kFLOP/s'],
  ];
  for (const [scale, unit] of units) if (flops >= scale) return `${(flops / scale).toPrecision(4)} ${unit}`;
  return `${flops.toPrecision(4)} FLOP/s`;
}
