// The `scenario` workload: one MLPerf LoadGen scenario (harness/scenarios) of one model on one
// device, or with findPeak a bounded search for the largest VALID Server rate. `npuval bench` is
// this workload as a one-unit suite (one unit per --batch size), so both paths are one code path.
import { candidateSamplers, chooseSampler, SAMPLER_NAMES, type SamplerName } from '../../../devices/power/index.js';
import type { DeviceDescription, Session } from '../../../devices/types.js';
import { arrayOf, bool, nonEmpty, nonNegInt, nullable, num, str, strictObject } from '../../../reports/schemas/common.js';
import type { UnitRecord } from '../../../reports/types.js';
import { InputError } from '../../errors.js';
import {
  findPeak,
  lookUpPeak,
  modelWorkload,
  renderSummary,
  resolveSettings,
  runScenario,
  SCENARIOS,
  type PeakSearch,
  type ScenarioResult,
  type ScenarioSettings,
} from '../../scenarios/index.js';
import { renderMlperfAccuracy, renderMlperfDetail } from '../../scenarios/detail.js';
import { runReplicated, type ReplicaSummary } from '../../scenarios/replicas.js';
import { confSettings, readConf, type ConfSettings } from '../../scenarios/mlperf-conf.js';
import type { ScenarioName, SettingsOverrides } from '../../scenarios/settings.js';
import { renderMlperfSummary, renderNpuvalSummary } from '../../scenarios/summary.js';
import type { Statistics } from '../../stats.js';
import type { InputSample } from '../../../models/input-files.js';
import { writeUnitFile } from '../files.js';
import { costLabel } from '../../scenarios/compute.js';
import type { ModelDtype } from '../../../models/resolve.js';
import { inputsNote, planInputSamples } from '../inputs.js';
import { BYTES_SETTING, DIMS_SETTING, FLOPS_SETTING, INPUTS_SETTING, type Resolved, VOCAB_SETTING } from '../settings.js';
import { computeMetrics, type MetricBinding, type Params, type Workload, type WorkloadContext } from '../types.js';

const SETTINGS = {
  minDurationMs: {
    type: 'number',
    default: 2000,
    min: 0,
    unit: 'ms',
    flag: 'min-duration',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'The run lasts at least this long (LoadGen min_duration)',
  },
  maxDurationMs: {
    type: 'number',
    default: 60_000,
    min: 0,
    exclusiveMin: true,
    unit: 'ms',
    flag: 'max-duration',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'Hard stop; a run stopped by it is INVALID',
  },
  minQueryCount: {
    type: 'integer',
    default: null,
    min: 1,
    max: 1e8,
    unit: 'queries',
    flag: 'min-queries',
    doc: 'Min query count (default: the early-stopping minimum: 64 single-stream, 662 multi-stream, 459 server; 1 offline)',
  },
  warmupMs: {
    type: 'number',
    default: 500,
    min: 0,
    unit: 'ms',
    flag: 'warmup',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'Untimed warm-up before the run, of the same shape as its queries',
  },
  samplesPerQuery: {
    type: 'integer',
    default: null,
    min: 1,
    max: 1e6,
    flag: 'samples-per-query',
    doc: 'MultiStream: samples per query (default 8; 1 for single-stream and server)',
  },
  targetQps: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 1e7,
    unit: 'queries/s',
    flag: 'qps',
    doc: 'Server: Poisson arrival rate (default 100; with findPeak the first rate tried)',
  },
  targetLatencyMs: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    unit: 'ms',
    flag: 'latency-bound',
    doc: 'Latency bound at the metric percentile (server default 100; optional for single-/multi-stream)',
  },
  targetLatencyPercentile: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 0.9999,
    flag: 'latency-percentile',
    doc: 'The metric percentile as a fraction (default 0.9 single-stream, 0.99 multi-stream and server)',
  },
  batch: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 65_536,
    unit: 'samples',
    doc: 'Offline: samples per session run (npuval bench --batch 1,2,4 sweeps: one unit per size)',
  },
  minSampleCount: {
    type: 'integer',
    default: null,
    min: 1,
    max: 1e8,
    unit: 'samples',
    flag: 'min-samples',
    doc: 'Offline: min samples in the one query (default 64)',
  },
  expectedSamplesPerSecond: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    unit: 'samples/s',
    flag: 'expected-qps',
    doc: 'Offline: the rate that sizes the one query (LoadGen offline_expected_qps; default: measured in warm-up)',
  },
  performanceSampleCount: {
    type: 'integer',
    default: 32,
    min: 1,
    max: 100_000,
    unit: 'samples',
    flag: 'qsl-size',
    doc: 'Distinct seeded samples held in memory; queries draw from them',
  },
  dims: DIMS_SETTING,
  vocabSize: VOCAB_SETTING,
  inputs: INPUTS_SETTING,
  flopsPerSample: FLOPS_SETTING,
  bytesPerSample: BYTES_SETTING,
  dtype: {
    type: 'string',
    default: 'float32',
    values: ['float32', 'float16'],
    flag: 'dtype',
    doc: 'Zoo model precision (float16: llama presets)',
  },
  findPeak: {
    type: 'boolean',
    default: false,
    flag: 'find-peak',
    doc: 'Server: search for the largest VALID QPS (bounded; every probe journaled)',
  },
  maxProbes: { type: 'integer', default: 8, min: 1, max: 64, flag: 'max-probes', doc: 'With findPeak: at most this many Server runs' },
  power: {
    type: 'string',
    default: 'auto',
    values: ['auto', 'none', ...SAMPLER_NAMES],
    flag: 'power',
    doc: 'Power sampler; auto picks by device (nvidia-smi for CUDA, RAPL for CPU, furiosa-smi/rbln-stat when present)',
  },
  powerIntervalMs: {
    type: 'number',
    default: null,
    min: 1,
    max: 60_000,
    unit: 'ms',
    flag: 'power-interval',
    doc: 'Power sampling interval (default 100; 500 for polled vendor tools)',
  },
  mlperfConf: {
    type: 'string',
    default: null,
    flag: 'mlperf-conf',
    doc: 'LoadGen conf files, comma-separated (mlperf.conf[,user.conf]): their model.Scenario.key = value lines override these settings as LoadGen applies them (see docs/mlperf.md)',
  },
  mlperfModel: {
    type: 'string',
    default: null,
    flag: 'mlperf-model',
    doc: "The model's name in the conf files, e.g. resnet50 (default: the unit's model)",
  },
  replicas: {
    type: 'strings',
    default: null,
    flag: 'replica',
    doc: "Server/Offline: more device specs that open the model and share the run's one schedule with the unit's device (replica 0); each query goes to the replica with the fewest in flight",
  },
  replicaBaselineMs: {
    type: 'number',
    default: 1000,
    min: 0,
    exclusiveMin: true,
    unit: 'ms',
    flag: 'replica-baseline',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'With replicas: min duration of the single-replica Offline pass run first, whose rate scaling efficiency divides by',
  },
} as const;

type S = typeof SETTINGS;

interface ScenarioParams extends Params<S> {
  readonly model: string;
  readonly loadgen: ScenarioSettings;
  /** SingleStream/MultiStream expected latency from the conf files (LoadGen's target_qps = 1e9 / it). */
  readonly expectedLatencyNs: number | undefined;
  /** Notes on the conf files: what they set that npuval does not apply. */
  readonly confNotes: readonly string[];
  /** With replicas: every replica's device spec, the unit's first; empty without. */
  readonly replicaDevices: readonly string[];
  /** The inputs folder's samples (checked at plan time), one batch row each; null: seeded samples. */
  readonly samples: readonly InputSample[] | null;
}

type Measured = ScenarioResult & { readonly sessionOpenMs: number };

// MultiStream's metric is per-query latency (LoadGen); the others report per-sample latency.
const lat = (r: ScenarioResult) => (r.scenario === 'multi-stream' ? r.latency.query : r.latency.sample);
const latency = (name: string, pick: (s: Statistics) => number): MetricBinding<Measured> => ({
  name,
  compute: (r) => {
    const s = lat(r);
    return s ? pick(s) : null;
  },
});
const powerOnly = (name: string, pick: (r: Measured & { power: { measured: true } }) => number | null): MetricBinding<Measured> => ({
  name,
  compute: (r) => (r.power.measured ? pick(r as Measured & { power: { measured: true } }) : null),
});

const scaled = (v: number | null | undefined, by: number) => (v === null || v === undefined ? null : v * by);

const METRICS: readonly MetricBinding<Measured>[] = [
  latency('latency_p50_ms', (s) => s.p50),
  latency('latency_p90_ms', (s) => s.p90),
  latency('latency_p95_ms', (s) => s.p95),
  latency('latency_p97_ms', (s) => s.p97),
  latency('latency_p99_ms', (s) => s.p99),
  latency('latency_p999_ms', (s) => s.p99_9),
  latency('latency_min_ms', (s) => s.min),
  latency('latency_max_ms', (s) => s.max),
  latency('latency_mean_ms', (s) => s.avg),
  latency('latency_std_ms', (s) => s.std),
  // The SingleStream/MultiStream result metric (run.ts scenarioMetric); only when early stopping gave an estimate.
  {
    name: 'latency_early_stopping_ms',
    compute: (r) => (r.loadgen.earlyStopping?.estimate != null ? r.loadgen.earlyStopping.estimate / 1e6 : null),
  },
  { name: 'samples_per_second', compute: (r) => r.throughput.samplesPerSecond },
  {
    name: 'queries_per_second',
    compute: (r) => (r.times.finalQueryCompletedMs > 0 ? r.counts.queries / (r.times.finalQueryCompletedMs / 1000) : null),
  },
  { name: 'query_count', compute: (r) => r.counts.queries },
  { name: 'duration_s', compute: (r) => r.times.finalQueryCompletedMs / 1000 },
  { name: 'effective_tflops', compute: (r) => r.compute.effectiveTflops },
  { name: 'utilization_pct', compute: (r) => (r.compute.utilization === null ? null : r.compute.utilization * 100) },
  { name: 'memory_traffic_gbps', compute: (r) => scaled(r.compute.achievedBytesPerSecond, 1e-9) },
  { name: 'roofline_pct', compute: (r) => scaled(r.compute.roofline?.ofAttainable, 100) },
  powerOnly('power_avg_w', (r) => r.power.avgWatts),
  powerOnly('energy_per_query_j', (r) => r.power.joulesPerQuery),
  powerOnly('samples_per_second_per_watt', (r) => r.power.samplesPerSecondPerWatt),
  { name: 'session_open_ms', compute: (r) => r.sessionOpenMs },
];

/** Where the run's FLOPs and bytes per sample came from, for report.md (user figures are labelled as such). */
function costNotes(r: ScenarioResult): string[] {
  const c = r.compute;
  return [
    ...(c.flopsPerSample !== null
      ? [`FLOPs per sample: ${c.flopsPerSample.toExponential(3)}, ${costLabel(c.flopsSource, '--flops')}`]
      : []),
    ...(c.bytesPerSample !== null
      ? [`bytes per sample: ${c.bytesPerSample.toExponential(3)}, ${costLabel(c.bytesSource, '--bytes')}`]
      : []),
    ...(c.roofline
      ? [
          `roofline: arithmetic intensity ${c.roofline.arithmeticIntensity.toPrecision(4)} FLOP/byte${c.roofline.ofAttainable === null ? '' : `, ${c.roofline.boundBy}-bound, ${(c.roofline.ofAttainable * 100).toFixed(2)} % of the roof (${c.roofline.bandwidthSource})`}`,
        ]
      : []),
  ];
}

/** Per-replica lines for the console and report.md. */
function replicaLines(x: ReplicaSummary): string[] {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));
  return [
    `  replicas: ${x.count} (${x.dispatch} dispatch); scaling efficiency ${x.scalingEfficiencyPct === null ? '—' : `${x.scalingEfficiencyPct.toFixed(1)}%`} of ${x.count} × ${f(x.baseline.samplesPerSecond)} samples/s (single-replica Offline pass)`,
    ...x.perReplica.map(
      (r) =>
        `  - replica ${r.replica} ${r.device}: ${r.queries} queries, ${r.samples} samples, latency p50 ${f(r.latency?.p50)} p99 ${f(r.latency?.p99)} ms`,
    ),
  ];
}

/** The scenario metrics of a result (power metrics only where power was measured). */
export function scenarioMetrics(r: ScenarioResult, sessionOpenMs: number | null = null): Record<string, number | null> {
  const m = computeMetrics(METRICS, { ...r, sessionOpenMs: sessionOpenMs ?? NaN });
  if (!r.power.measured) for (const k of ['power_avg_w', 'energy_per_query_j', 'samples_per_second_per_watt']) delete m[k];
  // Bytes per sample are the user's opt-in figure (--bytes): without them these metrics do not exist.
  if (r.compute.bytesPerSample === null || r.compute.bytesPerSample === undefined) delete m.memory_traffic_gbps;
  if (!r.compute.roofline) delete m.roofline_pct;
  if (sessionOpenMs === null) delete m.session_open_ms;
  return m;
}

/**
 * The LoadGen TestSettings of a unit: declared settings over the scenario's defaults, seeds from
 * the run's, and over both what the conf files set (as LoadGen's FromConfig overrides the code's).
 */
function loadgenSettings(scenario: string, s: Resolved<S>, seed: number, conf: SettingsOverrides = {}): ScenarioSettings {
  return resolveSettings(scenario, {
    minDurationMs: s.minDurationMs,
    maxDurationMs: s.maxDurationMs,
    minQueryCount: s.minQueryCount ?? undefined,
    warmupMs: s.warmupMs,
    samplesPerQuery: s.samplesPerQuery ?? undefined,
    targetQps: s.targetQps ?? undefined,
    targetLatencyMs: s.targetLatencyMs ?? undefined,
    targetLatencyPercentile: s.targetLatencyPercentile ?? undefined,
    batchSize: s.batch,
    minSampleCount: s.minSampleCount ?? undefined,
    expectedSamplesPerSecond: s.expectedSamplesPerSecond ?? undefined,
    performanceSampleCount: s.performanceSampleCount,
    seeds: { schedule: seed, sampleIndex: seed + 1, qsl: seed + 2 },
    ...Object.fromEntries(Object.entries(conf).filter(([, v]) => v !== undefined)),
  });
}

async function choosePower(s: Resolved<S>, description: DeviceDescription) {
  if (s.power === 'none') return { sampler: null, reason: 'power sampling was turned off (power: none)' } as const;
  const names: SamplerName[] = s.power === 'auto' ? candidateSamplers(description.backend.name) : [s.power as SamplerName];
  const index = /:(\d+)(?:\?|$)/.exec(description.id)?.[1];
  return chooseSampler(names, { intervalMs: s.powerIntervalMs ?? undefined, index: index === undefined ? undefined : Number(index) });
}

function validityOf(r: ScenarioResult) {
  const v = r.validity;
  const checks = [
    {
      name: 'min duration',
      passed: v.minDuration.met,
      detail: `${v.minDuration.actual.toFixed(0)} ms of ${v.minDuration.required} ms required`,
    },
    { name: 'min query count', passed: v.minQueries.met, detail: `${v.minQueries.actual} of ${v.minQueries.required} required` },
    ...(v.latency
      ? [
          {
            name: 'latency bound',
            passed: v.latency.met,
            detail: `p${v.latency.percentile * 100} ${v.latency.actual.toFixed(3)} ms vs bound ${v.latency.required} ms`,
          },
        ]
      : []),
    ...(v.earlyStopping
      ? [
          {
            name: 'early stopping',
            passed: v.earlyStopping.met,
            detail: `${v.earlyStopping.queries} queries at p${v.earlyStopping.percentile * 100}${v.earlyStopping.moreQueriesNeeded ? `; ${v.earlyStopping.moreQueriesNeeded} more needed` : ''}`,
          },
        ]
      : []),
    {
      name: 'max duration not reached',
      passed: !v.maxDurationReached,
      detail: v.maxDurationReached ? 'the run was stopped by max duration' : 'finished within max duration',
    },
  ];
  return { valid: r.valid, checks, reasons: [...v.reasons] };
}

async function run(p: ScenarioParams, ctx: WorkloadContext) {
  const device = ctx.device!;
  const model = ctx.model(p.model);
  const description = await device.describe();
  const precision = p.settings.dtype === 'float16' ? 'fp16' : 'fp32';
  const peak = lookUpPeak(description, precision);
  // One sampler sees one device: with replicas on other devices the run's power would be partial.
  const power = p.replicaDevices.some((d) => d !== p.replicaDevices[0])
    ? ({ sampler: null, reason: 'the replicas run on several devices, and power is not summed over devices' } as const)
    : await choosePower(p.settings, description);
  const t0 = performance.now();
  const session = await device.open(model.source);
  const openMs = performance.now() - t0;
  const sessions: Session[] = [session];
  let results: ScenarioResult[];
  let search: PeakSearch | null = null;
  let replicas: ReplicaSummary | null = null;
  try {
    for (const spec of p.replicaDevices.slice(1)) {
      sessions.push(await (spec === p.replicaDevices[0] ? device : ctx.otherDevice(spec)).open(model.source));
    }
    const workload = modelWorkload(
      session,
      { name: p.model, zoo: model.zoo, precision },
      {
        count: p.loadgen.performanceSampleCount,
        qslSeed: p.loadgen.seeds.qsl,
        dims: p.settings.dims ?? {},
        vocabSize: p.settings.vocabSize ?? undefined,
        samples: p.samples?.map((x) => x.feeds),
        flopsPerSample: p.settings.flopsPerSample ?? undefined,
        bytesPerSample: p.settings.bytesPerSample ?? undefined,
      },
    );
    const options = {
      device: device.id,
      journal: ctx.journal,
      journalTag: { unit: ctx.unitId },
      peak,
      power: power.sampler ? { sampler: power.sampler } : { sampler: null, reason: power.reason },
    };
    if (p.settings.findPeak) {
      search = await findPeak(session, workload, p.loadgen, options, { maxProbes: p.settings.maxProbes });
      results = [...search.runs];
    } else if (sessions.length > 1) {
      const x = await runReplicated(sessions, p.replicaDevices, workload, p.loadgen, options, p.settings.replicaBaselineMs);
      results = [x.result];
      replicas = x.replicas;
    } else {
      results = [await runScenario(session, workload, p.loadgen, options)];
    }
  } finally {
    for (const s of sessions) await s.close();
  }
  // The result of the unit: the run at the peak (or the last probe when none was VALID), else the one run.
  const r = search ? (search.best ?? results.at(-1)!) : results[0]!;
  const notes: string[] = [...p.confNotes, ...(p.samples ? [inputsNote(p.settings.inputs!, p.samples)] : []), ...costNotes(r)];
  if (r.compute.note) notes.push(`compute: ${r.compute.note}`);
  if (!r.power.measured) notes.push(`power not measured: ${r.power.reason}`);
  if (replicas) {
    notes.push(
      `replicas: ${replicas.count} (${replicas.dispatch} dispatch); scaling efficiency against a ${replicas.baseline.minDurationMs} ms single-replica Offline pass on ${replicas.baseline.device} (${replicas.baseline.samplesPerSecond?.toFixed(1) ?? '—'} samples/s)`,
    );
  }
  // npuval's combined summary (every probe of a peak search), then LoadGen's own three logs of
  // the unit's result run, named as LoadGen names them so MLPerf's tools read them.
  const blocks = results.map((x, i) => (search ? `# find-peak probe ${i} at ${x.settings.targetQps} QPS\n` : '') + renderSummary(x));
  const artifacts = [
    writeUnitFile(ctx, 'summary.txt', 'LoadGen-style summary', blocks.join('\n')),
    writeUnitFile(
      ctx,
      'mlperf_log_summary.txt',
      'MLPerf LoadGen summary log',
      renderMlperfSummary(r, { expectedLatencyNs: p.expectedLatencyNs }),
    ),
    writeUnitFile(
      ctx,
      'mlperf_log_detail.txt',
      'MLPerf LoadGen detail log',
      renderMlperfDetail(r, { expectedLatencyNs: p.expectedLatencyNs }),
    ),
    writeUnitFile(ctx, 'mlperf_log_accuracy.json', 'MLPerf LoadGen accuracy log (empty: performance mode)', renderMlperfAccuracy()),
    writeUnitFile(ctx, 'npuval_summary.txt', 'npuval figures beside the MLPerf logs', renderNpuvalSummary(r)),
  ];
  const findPeakSummary = search
    ? { peakQps: search.peakQps, firstInvalidQps: search.firstInvalidQps, stoppedBecause: search.stoppedBecause, probes: search.probes }
    : null;
  const valid = search ? search.peakQps !== null : r.valid;
  return {
    artifacts,
    status: valid ? 'pass' : 'fail',
    validity: search && valid ? { ...validityOf(r), valid: true } : validityOf(r),
    metrics: replicas
      ? { ...scenarioMetrics(r, openMs), scaling_efficiency_pct: replicas.scalingEfficiencyPct }
      : scenarioMetrics(r, openMs),
    notes: search ? [...notes, `find-peak: peak VALID QPS ${search.peakQps ?? 'none'} (${search.stoppedBecause})`] : notes,
    result: {
      ...r,
      kind: 'scenario',
      findPeak: findPeakSummary,
      ...(search ? { probeRuns: search.runs } : {}),
      ...(replicas ? { replicas } : {}),
    } as unknown as {
      kind: 'scenario';
    } & Record<string, unknown>,
  } as const;
}

const statistics = { type: 'object' };
const resultSchema = {
  type: 'object',
  properties: {
    type: { const: 'scenario-result' },
    scenario: { enum: [...SCENARIOS] },
    loadgenScenario: nonEmpty,
    mode: str,
    device: nonEmpty,
    model: nonEmpty,
    precision: str,
    startedAt: str,
    settings: { type: 'object', properties: { scenario: { enum: [...SCENARIOS] } }, required: ['scenario'] },
    batching: { enum: ['tensor', 'concurrent-runs', 'sequential-runs'] },
    result: { enum: ['VALID', 'INVALID'] },
    valid: bool,
    metric: strictObject({ name: str, value: nullable(num), unit: str, better: { enum: ['lower', 'higher'] } }),
    validity: { type: 'object', properties: { reasons: arrayOf(str) }, required: ['reasons'] },
    counts: {
      type: 'object',
      properties: { queries: nonNegInt, samples: nonNegInt, warmupQueries: nonNegInt },
      required: ['queries', 'samples', 'warmupQueries'],
    },
    times: { type: 'object', properties: { finalQueryCompletedMs: num }, required: ['finalQueryCompletedMs'] },
    throughput: { type: 'object', properties: { samplesPerSecond: nullable(num) }, required: ['samplesPerSecond'] },
    latency: strictObject({ sample: nullable(statistics), query: nullable(statistics), issueDelay: nullable(statistics) }),
    loadgen: {
      type: 'object',
      properties: { result: { type: 'object', properties: { key: str, value: nullable(num) }, required: ['key', 'value'] } },
      required: ['result'],
    },
    compute: {
      type: 'object',
      properties: {
        flopsPerSample: nullable(num),
        flopsSource: nullable({ enum: ['analytic', 'user-supplied'] }),
        effectiveTflops: nullable(num),
        bytesPerSample: nullable(num),
        roofline: nullable({ type: 'object', properties: { arithmeticIntensity: num }, required: ['arithmeticIntensity'] }),
      },
      required: ['effectiveTflops'],
    },
    power: { type: 'object', properties: { measured: bool }, required: ['measured'] },
    findPeak: nullable({
      type: 'object',
      properties: { peakQps: nullable(num), probes: arrayOf({ type: 'object' }) },
      required: ['peakQps', 'probes'],
    }),
    probeRuns: arrayOf({ type: 'object' }),
    replicas: {
      type: 'object',
      properties: {
        count: nonNegInt,
        dispatch: { const: 'least-outstanding' },
        devices: arrayOf(nonEmpty),
        perReplica: arrayOf({
          type: 'object',
          properties: { replica: nonNegInt, device: nonEmpty, queries: nonNegInt, samples: nonNegInt },
          required: ['replica', 'device', 'queries', 'samples', 'latency', 'serviceTime'],
        }),
        baseline: { type: 'object', properties: { samplesPerSecond: nullable(num) }, required: ['samplesPerSecond'] },
        aggregateSamplesPerSecond: nullable(num),
        scalingEfficiencyPct: nullable(num),
      },
      required: ['count', 'dispatch', 'devices', 'perReplica', 'baseline', 'aggregateSamplesPerSecond', 'scalingEfficiencyPct'],
    },
  },
  required: [
    'type',
    'scenario',
    'loadgenScenario',
    'device',
    'model',
    'settings',
    'result',
    'valid',
    'metric',
    'validity',
    'counts',
    'times',
    'throughput',
    'latency',
    'compute',
    'power',
    'findPeak',
  ],
  additionalProperties: false,
};

export const scenarioWorkload: Workload<S, ScenarioParams> = {
  kind: 'scenario',
  summary:
    'One MLPerf LoadGen scenario (single-stream, multi-stream, server, offline) of one model on one device: VALID/INVALID as LoadGen judges it',
  settings: SETTINGS,
  fields: { model: 'required', scenario: 'required' },
  needsDevice: true,
  name: (u) => `scenario:${u.scenario}:${u.model}${u.settings?.batch !== undefined ? `:b${String(u.settings.batch)}` : ''}`,
  title: (u) => `${u.scenario} ${u.model}`,
  resolve(unit, settings, plan) {
    const scenario = unit.scenario ?? '';
    const where = (key: string) => `unit ${plan.unitId}: setting "${key}"`;
    if (settings.findPeak && scenario !== 'server') throw new InputError(`${where('findPeak')} applies to the server scenario only`);
    if (settings.batch !== 1 && scenario !== 'offline') throw new InputError(`${where('batch')} applies to the offline scenario only`);
    if (settings.replicas !== null && (scenario === 'single-stream' || scenario === 'multi-stream')) {
      throw new InputError(
        `${where('replicas')} applies to the server and offline scenarios only: ${scenario} is one stream of queries by definition, so it cannot be spread over replicas`,
      );
    }
    if (settings.replicas !== null && settings.findPeak) throw new InputError(`${where('replicas')} cannot be combined with findPeak yet`);
    // A run that must last longer than it is allowed to can only be INVALID: say so now, not after max duration.
    if (settings.minDurationMs > settings.maxDurationMs) {
      throw new InputError(
        `${where('minDurationMs')} (${settings.minDurationMs} ms) is longer than maxDurationMs (${settings.maxDurationMs} ms), so the run could only be INVALID`,
      );
    }
    const samples = planInputSamples(plan.unitId, unit.model!, settings.dtype as ModelDtype, settings, { rows: true });
    if (samples && unit.settings?.performanceSampleCount !== undefined)
      throw new InputError(
        `${where('performanceSampleCount')} does not apply with inputs: the QSL is the folder's ${samples.length} sample(s)`,
      );
    // With an inputs folder the QSL is its samples, and the report records that size.
    const resolved = samples ? { ...settings, performanceSampleCount: samples.length } : settings;
    let loadgen: ScenarioSettings;
    let conf: ConfSettings | null = null;
    try {
      if (settings.mlperfConf !== null && (SCENARIOS as readonly string[]).includes(scenario)) {
        const paths = settings.mlperfConf
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x.length > 0);
        conf = confSettings(readConf(paths), settings.mlperfModel ?? unit.model!, scenario as ScenarioName);
      }
      loadgen = loadgenSettings(scenario, resolved, plan.seed, conf?.overrides);
    } catch (err) {
      throw new InputError(`unit ${plan.unitId}: ${(err as Error).message}`);
    }
    const confNotes = conf?.ignored.length
      ? [`mlperfConf: ${conf.ignored.join(', ')} not applied (npuval's generator is not LoadGen's; the run's seeds are npuval's)`]
      : [];
    const replicaDevices = settings.replicas === null ? [] : [plan.device ?? '', ...settings.replicas];
    return {
      unit,
      settings: resolved,
      model: unit.model!,
      loadgen,
      expectedLatencyNs: conf?.expectedLatencyNs,
      confNotes,
      replicaDevices,
      samples,
    };
  },
  // Replica devices besides the unit's own are created by the orchestrator like any other.
  needs: (p) => ({
    models: [{ name: p.model, dtype: p.settings.dtype as 'float32' | 'float16' }],
    devices: [...new Set(p.replicaDevices.slice(1))].filter((d) => d !== p.replicaDevices[0]),
  }),
  run,
  resultSchema,
  // Offline has no meaningful latency headline: its one query's latency is the run's length.
  headline: (o) =>
    [
      'samples_per_second',
      'latency_early_stopping_ms',
      'latency_p50_ms',
      'latency_p90_ms',
      'latency_p99_ms',
      'scaling_efficiency_pct',
      'effective_tflops',
      'utilization_pct',
      'memory_traffic_gbps',
      'roofline_pct',
    ].filter((n) => !(o.result?.scenario === 'offline' && n.startsWith('latency_'))),
  render(record: UnitRecord) {
    const r = record.result as unknown as (ScenarioResult & { replicas?: ReplicaSummary }) | null;
    return r?.replicas ? replicaLines(r.replicas) : [];
  },
};
