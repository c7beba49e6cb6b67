// The metric registry: every metric npuval reports is defined here once (name, unit, formula,
// which direction is better), in the manner of AIPerf's metric definitions. The report schema,
// the statistics export, `compare`, the CSV and the renderers all read these definitions.

export type Direction = 'lower' | 'higher' | 'neutral';

/** A unit kind: one of the workloads registered in harness/workloads (scenario, llm, accuracy, conformance, micro, …). */
export type UnitKind = string;

export interface MetricDef {
  /** Stable tag used as the key in reports, CSV headers and criteria files. */
  readonly name: string;
  /** Short human label. */
  readonly label: string;
  readonly unit: string;
  /** Which way is better; `neutral` metrics are reported but never gate a comparison. */
  readonly direction: Direction;
  /** The formula, stated as docs/reference/metrics.md lists it. */
  readonly formula: string;
  /** Unit kinds that produce it. */
  readonly kinds: readonly UnitKind[];
}

const latency = (p: string, label: string): MetricDef => ({
  name: `latency_${p}_ms`,
  label: `latency ${label}`,
  unit: 'ms',
  direction: 'lower',
  formula: `${label} of per-query latency (completion − scheduled issue time); percentile = sorted[floor(N·p)] (LoadGen rule, no interpolation)`,
  kinds: ['scenario', 'micro'],
});

/** The statistics every LLM per-request metric reports: the mean, the median and the tail. */
const LLM_STATS = ['mean', 'p50', 'p90', 'p95', 'p99'] as const;
/** LLM statistics use numpy's interpolated percentile, as AIPerf and vLLM do (harness/stats.ts percentileLinear). */
const LLM_PERCENTILE = 'percentile = linear interpolation at (N−1)·p of the sorted values (numpy default, as AIPerf/vLLM)';
const llmStat = (p: (typeof LLM_STATS)[number], what: string) =>
  p === 'mean' ? `arithmetic mean over requests of ${what}` : `${p} over requests of ${what}; ${LLM_PERCENTILE}`;

const llmLatency = (m: 'ttft' | 'tpot' | 'e2e' | 'icl', what: string): MetricDef[] =>
  LLM_STATS.map((p) => ({
    name: `${m}_${p}_ms`,
    label: `${m.toUpperCase()} ${p}`,
    unit: 'ms',
    direction: 'lower',
    formula: llmStat(p, what),
    kinds: ['llm'],
  }));

/** Every metric, in the order reports list them. */
export const METRICS: readonly MetricDef[] = [
  // Scenarios (MLPerf LoadGen semantics).
  latency('p50', 'p50'),
  latency('p90', 'p90'),
  latency('p95', 'p95'),
  latency('p97', 'p97'),
  latency('p99', 'p99'),
  latency('p999', 'p99.9'),
  latency('min', 'min'),
  latency('max', 'max'),
  { ...latency('mean', 'mean'), formula: 'arithmetic mean of per-query latency' },
  { ...latency('std', 'std'), formula: 'population standard deviation of per-query latency', direction: 'neutral' },
  {
    name: 'latency_early_stopping_ms',
    label: 'latency, early-stopping estimate',
    unit: 'ms',
    direction: 'lower',
    formula:
      "SingleStream/MultiStream result metric (MLPerf's early_stopping_latency_ss / _ms): LoadGen's early-stopping estimate of the target-percentile latency over per-sample (SingleStream) or per-query (MultiStream) latency, i.e. the latency a run of that many queries guarantees at 99% confidence; absent when the run had too few queries for an estimate",
    kinds: ['scenario'],
  },
  {
    name: 'samples_per_second',
    label: 'throughput',
    unit: 'samples/s',
    direction: 'higher',
    formula: 'completed samples / (last completion − first scheduled issue)',
    kinds: ['scenario', 'cluster'],
  },
  {
    name: 'queries_per_second',
    label: 'query rate',
    unit: 'queries/s',
    direction: 'higher',
    formula: 'completed queries / (last completion − first scheduled issue)',
    kinds: ['scenario'],
  },
  {
    name: 'query_count',
    label: 'queries',
    unit: 'queries',
    direction: 'neutral',
    formula: 'queries completed in the measured window',
    kinds: ['scenario', 'llm'],
  },
  {
    name: 'duration_s',
    label: 'duration',
    unit: 's',
    direction: 'neutral',
    formula: 'last completion − first scheduled issue',
    kinds: ['scenario', 'llm', 'micro', 'cluster'],
  },
  {
    name: 'effective_tflops',
    label: 'effective compute',
    unit: 'TFLOP/s',
    direction: 'higher',
    formula: 'model FLOPs per sample (analytic for zoo models; user-supplied --flops for a user model) × samples_per_second / 1e12',
    kinds: ['scenario', 'llm', 'micro'],
  },
  {
    name: 'utilization_pct',
    label: 'utilization',
    unit: '%',
    direction: 'higher',
    formula: '100 × effective_tflops / catalog peak TFLOP/s at the precision run (catalog fact, not measured)',
    kinds: ['scenario', 'llm', 'micro'],
  },
  {
    name: 'memory_traffic_gbps',
    label: 'memory traffic',
    unit: 'GB/s',
    direction: 'higher',
    formula: 'bytes per sample (user-supplied --bytes) × samples_per_second / 1e9',
    kinds: ['scenario'],
  },
  {
    name: 'roofline_pct',
    label: 'of roofline',
    unit: '%',
    direction: 'higher',
    formula:
      '100 × effective_tflops / min(catalog peak TFLOP/s, arithmetic intensity × catalog memory TB/s); intensity = FLOPs / bytes per sample (catalog facts, not measured)',
    kinds: ['scenario'],
  },
  {
    name: 'power_avg_w',
    label: 'average power',
    unit: 'W',
    direction: 'neutral',
    formula: 'mean of sampled board power during the measured window',
    kinds: ['scenario', 'llm'],
  },
  {
    name: 'energy_per_query_j',
    label: 'energy per query',
    unit: 'J',
    direction: 'lower',
    formula: 'power_avg_w × duration_s / completed queries',
    kinds: ['scenario', 'llm'],
  },
  {
    name: 'samples_per_second_per_watt',
    label: 'efficiency',
    unit: 'samples/s/W',
    direction: 'higher',
    formula: 'samples_per_second / power_avg_w',
    kinds: ['scenario'],
  },
  // Micro-benchmarks.
  {
    name: 'session_open_ms',
    label: 'session open',
    unit: 'ms',
    direction: 'lower',
    formula: 'wall time of Device.open() for the workload',
    kinds: ['micro', 'scenario'],
  },
  {
    name: 'achieved_gflops',
    label: 'achieved compute',
    unit: 'GFLOP/s',
    direction: 'higher',
    formula: 'analytic FLOPs per run / mean run time / 1e9',
    kinds: ['micro'],
  },
  // Conformance.
  {
    name: 'conformance_pass_rate_pct',
    label: 'pass rate',
    unit: '%',
    direction: 'higher',
    formula: '100 × passed / (cases − skipped)',
    kinds: ['conformance'],
  },
  { name: 'conformance_cases', label: 'cases', unit: 'cases', direction: 'neutral', formula: 'test cases found', kinds: ['conformance'] },
  {
    name: 'conformance_passed',
    label: 'passed',
    unit: 'cases',
    direction: 'higher',
    formula: 'cases whose outputs matched within tolerance',
    kinds: ['conformance'],
  },
  {
    name: 'conformance_failed',
    label: 'failed',
    unit: 'cases',
    direction: 'lower',
    formula: 'cases that ran with outputs outside tolerance',
    kinds: ['conformance'],
  },
  {
    name: 'conformance_unsupported',
    label: 'unsupported',
    unit: 'cases',
    direction: 'lower',
    formula: 'cases the runtime rejected for a missing op, type, opset or IR version',
    kinds: ['conformance'],
  },
  {
    name: 'conformance_errors',
    label: 'errors',
    unit: 'cases',
    direction: 'lower',
    formula: 'cases that failed for any other reason',
    kinds: ['conformance'],
  },
  {
    name: 'op_coverage_pct',
    label: 'op coverage',
    unit: '%',
    direction: 'higher',
    formula: '100 × op types with at least one passing case / op types tested',
    kinds: ['conformance'],
  },
  // Accuracy against a reference device.
  {
    name: 'cosine_similarity_min',
    label: 'min cosine similarity',
    unit: '1',
    direction: 'higher',
    formula: 'min over outputs and samples of a·b / (|a|·|b|)',
    kinds: ['accuracy'],
  },
  {
    name: 'max_abs_error',
    label: 'max abs error',
    unit: '1',
    direction: 'lower',
    formula: 'max |device − reference| over all output elements',
    kinds: ['accuracy'],
  },
  {
    name: 'max_rel_error',
    label: 'max rel error',
    unit: '1',
    direction: 'lower',
    formula: 'max |device − reference| / |reference| over elements with reference ≠ 0',
    kinds: ['accuracy'],
  },
  {
    name: 'top1_agreement_pct',
    label: 'top-1 agreement',
    unit: '%',
    direction: 'higher',
    formula: '100 × positions whose argmax agrees / positions',
    kinds: ['accuracy'],
  },
  {
    name: 'token_agreement_pct',
    label: 'greedy-token agreement',
    unit: '%',
    direction: 'higher',
    formula: '100 × greedy tokens equal to the reference before the first divergence / tokens generated',
    kinds: ['accuracy'],
  },
  // LLM serving (GenAI-Perf / vLLM bench serve).
  ...llmLatency('ttft', 'time to first non-empty token − request start'),
  ...llmLatency('tpot', '(E2E − TTFT) / (output tokens − 1)'),
  ...llmLatency('e2e', 'last token − request start'),
  ...llmLatency('icl', 'every gap between streamed chunks (all gaps of all requests)'),
  ...LLM_STATS.map(
    (p): MetricDef => ({
      name: `user_tokens_per_second_${p}`,
      label: `tok/s per user ${p}`,
      unit: 'tokens/s',
      direction: 'higher',
      formula: llmStat(p, '1000 / TPOT (ms): the decode speed one user sees'),
      kinds: ['llm'],
    }),
  ),
  {
    name: 'input_tokens_per_second',
    label: 'input throughput',
    unit: 'tokens/s',
    direction: 'higher',
    formula: 'prompt tokens of succeeded requests / (last response − first request)',
    kinds: ['llm'],
  },
  {
    name: 'total_tokens_per_second',
    label: 'total token throughput',
    unit: 'tokens/s',
    direction: 'higher',
    formula: '(prompt + output tokens of succeeded requests) / (last response − first request) = input + output tokens/s',
    kinds: ['llm'],
  },
  {
    name: 'output_tokens_per_second',
    label: 'output throughput',
    unit: 'tokens/s',
    direction: 'higher',
    formula: 'output tokens / (last response − first request)',
    kinds: ['llm', 'cluster'],
  },
  {
    name: 'requests_per_second',
    label: 'request rate',
    unit: 'requests/s',
    direction: 'higher',
    formula: 'completed requests / (last response − first request)',
    kinds: ['llm'],
  },
  {
    name: 'goodput_rps',
    label: 'goodput',
    unit: 'requests/s',
    direction: 'higher',
    formula: 'requests meeting every SLO (TTFT, TPOT, E2E) / duration',
    kinds: ['llm'],
  },
  // Cluster, and scenario units spread over replicas.
  {
    name: 'scaling_efficiency_pct',
    label: 'scaling efficiency',
    unit: '%',
    direction: 'higher',
    formula: '100 × throughput on N workers / (N × throughput on one worker)',
    kinds: ['cluster', 'scenario'],
  },
];

const byName = new Map(METRICS.map((m) => [m.name, m]));

export const METRIC_NAMES: readonly string[] = METRICS.map((m) => m.name);

export function isMetricName(name: string): boolean {
  return byName.has(name);
}

/** The definition of a metric; throws for a name the registry does not know (a programming error). */
export function metric(name: string): MetricDef {
  const def = byName.get(name);
  if (!def) throw new Error(`unknown metric "${name}"; known: ${METRIC_NAMES.join(', ')}`);
  return def;
}

/**
 * Relative change from base to candidate, signed so that a positive value is always an
 * improvement and a negative one a regression (lower-is-better metrics are negated).
 * Null when either side is missing or the base is zero; 0 for neutral metrics' direction.
 */
export function improvement(name: string, base: number | null, candidate: number | null): number | null {
  if (base === null || candidate === null || base === 0) return null;
  const change = (candidate - base) / Math.abs(base);
  const dir = metric(name).direction;
  return dir === 'higher' ? change : dir === 'lower' ? -change : 0;
}

/** Formats a value with its unit for text renderers: 3 significant figures, thousands kept whole. */
export function formatValue(name: string, value: number | null): string {
  if (value === null || value === undefined) return 'not measured';
  const unit = metric(name).unit;
  const abs = Math.abs(value);
  const text = Number.isInteger(value)
    ? String(value)
    : abs >= 1000
      ? value.toFixed(0)
      : abs >= 1
        ? value.toPrecision(4)
        : value.toPrecision(3);
  return unit === '1' ? text : `${text} ${unit}`;
}
