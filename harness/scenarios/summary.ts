// summary.txt in the layout of LoadGen's mlperf_log_summary.txt (results.cc LogSummary), so
// people who know MLPerf read it at once: latencies in integer ns, rates with two decimals.
// npuval's own figures (compute, power, model) follow in a section of their own.
import type { BoundEarlyStopping, PercentileEarlyStopping } from '../stats.js';
import type { ScenarioResult } from './run.js';

const RULE = '================================================';

const ns = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'n/a' : String(Math.round(ms * 1e6)));
const d2 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const yes = (b: boolean) => (b ? 'Yes' : 'NO');

export function renderSummary(r: ScenarioResult): string {
  const out: string[] = [RULE, 'MLPerf Results Summary', RULE];
  out.push(`SUT name : ${r.device}`);
  out.push(`Scenario : ${r.loadgenScenario}`);
  out.push(`Mode     : ${r.mode}`);
  const p = r.settings.targetLatencyPercentile;
  const pth = `${Math.round(p * 100)}th`;
  switch (r.scenario) {
    case 'single-stream':
      out.push(`${pth} percentile latency (ns) : ${ns(r.metric.value)}`);
      break;
    case 'multi-stream':
      out.push(`${pth} percentile latency (ns) : ${ns(r.metric.value)}`);
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

  out.push('', RULE, 'npuval', RULE);
  out.push(`model : ${r.model} (${r.precision})`);
  out.push(`started : ${r.startedAt}`);
  out.push(`warm-up : ${s.warmupMs} ms, ${r.counts.warmupQueries} queries (untimed)`);
  if (r.scenario === 'offline') out.push(`batch size : ${s.batchSize} (${r.batching})`);
  else if (s.samplesPerQuery > 1) out.push(`samples per query run as : ${r.batching}`);
  if (r.latency.issueDelay) out.push(`issue delay p99 (ns) : ${ns(r.latency.issueDelay.p99)} (issued − scheduled)`);
  const c = r.compute;
  out.push(`effective compute : ${c.effectiveTflops === null ? 'not computed' : `${fmtFlops(c.effectiveTflops * 1e12)} (analytic FLOPs × measured samples/s)`}`);
  out.push(`utilization : ${c.utilization === null ? 'n/a' : `${(c.utilization * 100).toFixed(2)} % of ${c.peakTflops} TFLOP/s, ${c.peakSource}`}`);
  if (c.note) out.push(`  note : ${c.note}`);
  const pw = r.power;
  if (pw.measured) {
    out.push(`power : ${pw.avgWatts.toFixed(2)} W mean by ${pw.sampler} (${pw.source}), ${pw.sampleCount} readings every ${pw.intervalMs} ms`);
    out.push(`energy per query (J) : ${pw.joulesPerQuery.toPrecision(4)}`);
    out.push(`samples/s per watt : ${pw.samplesPerSecondPerWatt.toPrecision(4)}`);
  } else {
    out.push(`power : not measured (${pw.reason})`);
  }
  return out.join('\n') + '\n';
}

function percentileLines(s: { p50: number; p90: number; p95: number; p97: number; p99: number; p99_9: number }): [string, number][] {
  return [['50.00', s.p50], ['90.00', s.p90], ['95.00', s.p95], ['97.00', s.p97], ['99.00', s.p99], ['99.90', s.p99_9]];
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
  return ` * Processed at least ${e.minQueries} queries (${e.queries}).\n * Would discard ${e.discarded} highest latency queries.\n * Early stopping ${Math.round(e.percentile * 100)}th percentile estimate: ${ns(e.estimate)}`;
}

export function fmtFlops(flops: number): string {
  const units: [number, string][] = [[1e15, 'PFLOP/s'], [1e12, 'TFLOP/s'], [1e9, 'GFLOP/s'], [1e6, 'MFLOP/s'], [1e3, 'kFLOP/s']];
  for (const [scale, unit] of units) if (flops >= scale) return `${(flops / scale).toPrecision(4)} ${unit}`;
  return `${flops.toPrecision(4)} FLOP/s`;
}
