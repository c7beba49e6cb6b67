// runScenario: drive one scenario on one session, judge it, and return a plain JSON record.
// Per-query records go to the journal after the timed run (so no fsync lands inside it),
// followed by the result record.
import type { Session } from '../../devices/types.js';
import { meanWatts, type PowerReading, type PowerRun, type PowerSampler } from '../../devices/power/index.js';
import type { Journal } from '../journal.js';
import { percentile, percentileEarlyStopping, summarize, type PercentileEarlyStopping, type Statistics } from '../stats.js';
import { driveScenario, type ProgressCounters, type RawRun } from './drivers.js';
import { LOADGEN_SCENARIO_NAME, type ScenarioName, type ScenarioSettings } from './settings.js';
import { judge, latenciesOf, pctLabel, toNs, type Validity } from './validity.js';
import type { Batching, Workload } from './workload.js';
import { effectiveCompute, type EffectiveCompute } from './compute.js';

export { effectiveCompute, type EffectiveCompute };

/** The catalog peak the caller found for the device at the run's precision, or why there is none. */
export type PeakInfo =
  | {
      readonly entry: string;
      readonly tflops: number;
      readonly precision: string;
      readonly source: string;
      /** The entry's memory bandwidth (TB/s) and its source, for the roofline; null when the catalog has none. */
      readonly bandwidthTBs?: number | null;
      readonly bandwidthSource?: string | null;
    }
  | { readonly entry: null; readonly reason: string };

export type PowerSummary =
  | {
      readonly measured: true;
      readonly sampler: string;
      readonly source: string;
      readonly intervalMs: number;
      readonly sampleCount: number;
      readonly avgWatts: number;
      readonly energyJoules: number;
      readonly joulesPerQuery: number;
      readonly joulesPerSample: number;
      readonly samplesPerSecondPerWatt: number;
      readonly notes: readonly string[];
    }
  | { readonly measured: false; readonly reason: string };

/** LoadGen's reported percentiles (results.h `latency_percentiles`). */
export const LOADGEN_PERCENTILES = [0.5, 0.9, 0.95, 0.97, 0.99, 0.999] as const;

/** Latencies as LoadGen keeps them (results.cc ProcessLatencies): integer ns, the mean by integer division. */
export interface NsLatencies {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** At LOADGEN_PERCENTILES, in that order (element floor(N·p) of the sorted values). */
  readonly percentiles: readonly number[];
  /** At the run's target percentile. */
  readonly target: number;
}

/**
 * The figures LoadGen's summary and detail logs print, in its units (integer ns, seconds), so
 * the logs are written from the result alone.
 */
export interface LoadgenFigures {
  readonly sampleLatencyNs: NsLatencies | null;
  /** MultiStream only. */
  readonly queryLatencyNs: NsLatencies | null;
  /** The bound in ns (Server; npuval's optional SingleStream/MultiStream bound), else 0. */
  readonly targetLatencyNs: number;
  /** Server: samples over the bound (latency > bound in whole ns). */
  readonly overlatencyQueryCount: number | null;
  /** SingleStream/MultiStream: early stopping at the target percentile, over sample (SS) or query (MS) latencies in ns. */
  readonly earlyStopping: PercentileEarlyStopping | null;
  /** SingleStream: LoadGen's second estimate at the 99th percentile (used to infer MultiStream). */
  readonly earlyStopping99: PercentileEarlyStopping | null;
  /**
   * The MLPerf result metric as the submission checker reads it: SingleStream early_stopping_latency_ss,
   * MultiStream early_stopping_latency_ms (ns; null when early stopping had too few queries),
   * Server result_completed_samples_per_sec, Offline result_samples_per_second.
   */
  readonly result: { readonly key: string; readonly value: number | null; readonly unit: 'ns' | 'samples/s' };
}

/**
 * The result of one scenario run: a plain, JSON-able record (no classes, no functions, no
 * typed arrays). All times in ms unless a field says otherwise.
 *
 * - `result`/`valid`: LoadGen's verdict; `validity.reasons` lists every reason it is INVALID.
 * - `metric`: the scenario's result metric as MLPerf reports it — SingleStream and MultiStream the
 *   early-stopping estimate of the p90 (per-sample) / p99 (per-query) latency, or the observed
 *   percentile, so named, when too few queries ran; Server completed samples/s; Offline samples/s.
 * - `latency.sample`: per-sample latency (completion − the query's scheduled time);
 *   `latency.query`: per query (MultiStream); `latency.issueDelay`: issued − scheduled (Server).
 *   Each is AIPerf-shaped Statistics (ms) or null.
 * - `throughput`: LoadGen's rates (`completedSamplesPerSecond` = (samples − 1)/last completion,
 *   as results.cc counts it; `samplesPerSecond` = the metric rate used for compute and power).
 * - `settings`: the effective settings, seeds included, exactly as run.
 * - `compute`, `power`: derived figures, each saying when and why it is not available.
 */
export interface ScenarioResult {
  readonly type: 'scenario-result';
  readonly scenario: ScenarioName;
  readonly loadgenScenario: string;
  readonly mode: 'PerformanceOnly';
  readonly device: string;
  readonly model: string;
  readonly precision: string;
  readonly startedAt: string;
  readonly settings: ScenarioSettings;
  readonly batching: Batching;
  readonly result: 'VALID' | 'INVALID';
  readonly valid: boolean;
  readonly metric: { readonly name: string; readonly value: number | null; readonly unit: string; readonly better: 'lower' | 'higher' };
  readonly validity: Validity;
  readonly counts: {
    readonly queries: number;
    readonly samples: number;
    readonly warmupQueries: number;
    /** Server: queries over the latency bound. */
    readonly overBound: number | null;
    /** Offline: samples its one query carried. */
    readonly samplesInQuery: number;
  };
  readonly times: {
    readonly finalQueryScheduledMs: number;
    readonly finalQueryIssuedMs: number;
    readonly finalQueryCompletedMs: number;
  };
  readonly throughput: {
    readonly samplesPerSecond: number | null;
    readonly completedSamplesPerSecond: number | null;
    /** Server: (samples − 1)/final scheduled time — the rate actually offered. */
    readonly scheduledSamplesPerSecond: number | null;
    /** SingleStream: (samples − 1)/final issue time, and 1/mean latency. */
    readonly qpsWithLoadgenOverhead: number | null;
    readonly qpsWithoutLoadgenOverhead: number | null;
    /** Offline: the warm-up rate the query was sized by. */
    readonly expectedSamplesPerSecond: number | null;
  };
  readonly latency: { readonly sample: Statistics | null; readonly query: Statistics | null; readonly issueDelay: Statistics | null };
  /** What LoadGen's logs print, in its units. */
  readonly loadgen: LoadgenFigures;
  readonly compute: EffectiveCompute;
  readonly power: PowerSummary;
}

export interface RunOptions {
  /** Device id as given (e.g. ort:cpu). */
  readonly device: string;
  /** Where per-query records and the result go; omitted, nothing is written. */
  readonly journal?: Journal | null;
  /** Tag joined to every journal record (e.g. which sweep point or probe this run is). */
  readonly journalTag?: Record<string, unknown>;
  readonly peak?: PeakInfo;
  /** A sampler that works here (see devices/power chooseSampler), or why there is none. */
  readonly power?: { readonly sampler: PowerSampler } | { readonly sampler: null; readonly reason: string };
  /** Live counters for a progress line. */
  readonly progress?: ProgressCounters;
}

/** Query records are journaled in chunks of this many. */
const QUERY_CHUNK = 1000;

/**
 * Runs `settings.scenario` on `session` with `workload`, journals the per-query records and the
 * result, and returns the result. The caller owns the session (it is not closed here). Server and
 * Offline take several sessions (replicas; see drivers.ts for the dispatch).
 */
export async function runScenario(
  session: Session | readonly Session[],
  workload: Workload,
  settings: ScenarioSettings,
  options: RunOptions,
): Promise<ScenarioResult> {
  return (await runScenarioWithRecords(session, workload, settings, options)).result;
}

/** runScenario, also handing back the raw per-query records (replicas.ts reads which replica ran each). */
export async function runScenarioWithRecords(
  session: Session | readonly Session[],
  workload: Workload,
  settings: ScenarioSettings,
  options: RunOptions,
): Promise<{ result: ScenarioResult; run: RawRun }> {
  const sampler = options.power?.sampler ?? null;
  let powerRun = null as PowerRun | null;
  let run: RawRun;
  let reading: PowerReading | null = null;
  try {
    run = await driveScenario(session, workload, settings, options.progress, () => {
      powerRun = sampler ? sampler.start() : null;
    });
  } finally {
    if (powerRun) reading = await powerRun.stop();
  }
  const result = assembleResult(run, workload, settings, options, reading);
  const journal = options.journal;
  if (journal) {
    const tag = {
      scenario: settings.scenario,
      model: workload.name,
      device: options.device,
      startedAt: run.startedAt,
      ...(options.journalTag ?? {}),
    };
    // With replicas each row also says which replica ran it.
    const replicated = run.records.some((r) => r.replica !== undefined);
    for (let i = 0; i < run.records.length; i += QUERY_CHUNK) {
      journal.append('bench.queries', {
        ...tag,
        fields: ['query', 'scheduledMs', 'issuedMs', 'completedMs', 'samples', ...(replicated ? ['replica'] : [])],
        rows: run.records
          .slice(i, i + QUERY_CHUNK)
          .map((r) => [
            r.query,
            round3(r.scheduledMs),
            round3(r.issuedMs),
            round3(r.completedMs),
            r.samples,
            ...(replicated ? [r.replica ?? 0] : []),
          ]),
      });
    }
    journal.append('bench.result', { ...tag, result });
  }
  return { result, run };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function assembleResult(
  run: RawRun,
  workload: Workload,
  settings: ScenarioSettings,
  options: RunOptions,
  reading: PowerReading | null,
): ScenarioResult {
  const s = settings.scenario;
  const lat = latenciesOf(run);
  const validity = judge(settings, run, lat);
  const recs = run.records;
  const max = (f: (r: (typeof recs)[number]) => number) => recs.reduce((m, r) => Math.max(m, f(r)), 0);
  const finalScheduled = max((r) => r.scheduledMs);
  const finalIssued = max((r) => r.issuedMs);
  const finalCompleted = max((r) => r.completedMs);
  const samples = lat.sample.length;
  const rate = (n: number, ms: number) => (ms > 0 && n > 0 ? n / (ms / 1000) : null);
  const completedSps = rate(samples - 1, finalCompleted);
  const meanLatency = samples ? lat.sample.reduce((a, b) => a + b, 0) / samples : 0;
  const samplesPerSecond = s === 'server' ? completedSps : rate(samples, finalCompleted);
  const p = settings.targetLatencyPercentile;
  const es =
    s === 'single-stream' || s === 'multi-stream' ? percentileEarlyStopping(s === 'multi-stream' ? lat.queryNs : lat.sampleNs, p) : null;
  const metric = scenarioMetric(s, p, samplesPerSecond, s === 'multi-stream' ? lat.query : lat.sample, es);
  const boundNs = settings.targetLatencyMs === null ? 0 : toNs(settings.targetLatencyMs);
  const overBound = s === 'server' ? lat.sampleNs.filter((l) => l > boundNs).length : null;
  const loadgen: LoadgenFigures = {
    sampleLatencyNs: nsLatencies(lat.sampleNs, p),
    queryLatencyNs: s === 'multi-stream' ? nsLatencies(lat.queryNs, p) : null,
    targetLatencyNs: boundNs,
    overlatencyQueryCount: overBound,
    earlyStopping: es,
    earlyStopping99: s === 'single-stream' ? percentileEarlyStopping(lat.sampleNs, 0.99) : null,
    result:
      s === 'server'
        ? { key: 'result_completed_samples_per_sec', value: completedSps, unit: 'samples/s' }
        : s === 'offline'
          ? { key: 'result_samples_per_second', value: samplesPerSecond, unit: 'samples/s' }
          : {
              key: s === 'single-stream' ? 'early_stopping_latency_ss' : 'early_stopping_latency_ms',
              value: es?.estimate ?? null,
              unit: 'ns',
            },
  };
  return {
    type: 'scenario-result',
    scenario: s,
    loadgenScenario: LOADGEN_SCENARIO_NAME[s],
    mode: 'PerformanceOnly',
    device: options.device,
    model: workload.name,
    precision: workload.precision,
    startedAt: run.startedAt,
    settings,
    batching: run.batching,
    result: validity.valid ? 'VALID' : 'INVALID',
    valid: validity.valid,
    metric,
    validity,
    counts: { queries: run.queriesIssued, samples, warmupQueries: run.warmupQueries, overBound, samplesInQuery: run.samplesInQuery },
    times: { finalQueryScheduledMs: finalScheduled, finalQueryIssuedMs: finalIssued, finalQueryCompletedMs: finalCompleted },
    throughput: {
      samplesPerSecond,
      completedSamplesPerSecond: completedSps,
      scheduledSamplesPerSecond: s === 'server' ? rate(samples - 1, finalScheduled) : null,
      qpsWithLoadgenOverhead: s === 'single-stream' ? rate(samples - 1, finalIssued) : null,
      qpsWithoutLoadgenOverhead: s === 'single-stream' && meanLatency > 0 ? 1000 / meanLatency : null,
      expectedSamplesPerSecond: run.expectedSamplesPerSecond,
    },
    latency: {
      sample: summarize(lat.sample, 'ms'),
      query: s === 'multi-stream' ? summarize(lat.query, 'ms') : null,
      issueDelay:
        s === 'server'
          ? summarize(
              recs.map((r) => r.issuedMs - r.scheduledMs),
              'ms',
            )
          : null,
    },
    loadgen,
    compute: effectiveCompute(
      {
        flopsPerSample: workload.flopsPerSample,
        flopsSource: workload.flopsSource ?? 'analytic',
        bytesPerSample: workload.bytesPerSample ?? null,
      },
      samplesPerSecond,
      options.peak,
    ),
    power: summarizePower(options.power, reading, run.queriesIssued, samples, samplesPerSecond),
  };
}

/**
 * The scenario's result metric as MLPerf reports it: Server and Offline a rate; SingleStream and
 * MultiStream the early-stopping estimate of the target-percentile latency (what the submission
 * checker reads as early_stopping_latency_ss / _ms), not the observed percentile. A run too short
 * for an estimate reports the observed percentile, and its name says so.
 */
export function scenarioMetric(
  s: ScenarioName,
  p: number,
  samplesPerSecond: number | null,
  latencies: readonly number[],
  es: PercentileEarlyStopping | null,
): ScenarioResult['metric'] {
  if (s === 'server') return { name: 'completed samples per second', value: samplesPerSecond, unit: 'samples/s', better: 'higher' };
  if (s === 'offline') return { name: 'samples per second', value: samplesPerSecond, unit: 'samples/s', better: 'higher' };
  const what = `p${pctLabel(p)} ${s === 'multi-stream' ? 'per-query ' : ''}latency`;
  if (es?.estimate != null) return { name: `${what}, early-stopping estimate`, value: es.estimate / 1e6, unit: 'ms', better: 'lower' };
  const observed = latencies.length
    ? percentile(
        [...latencies].sort((a, b) => a - b),
        p,
      )
    : null;
  return { name: `${what}, observed (too few queries for an early-stopping estimate)`, value: observed, unit: 'ms', better: 'lower' };
}

/** LoadGen's latency figures of integer-ns latencies: the sum kept exact, the mean truncated as C++'s integer division. */
export function nsLatencies(values: readonly number[], target: number): NsLatencies | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0n;
  for (const v of sorted) sum += BigInt(v);
  return {
    count: sorted.length,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    mean: Number(sum / BigInt(sorted.length)),
    percentiles: LOADGEN_PERCENTILES.map((q) => percentile(sorted, q)),
    target: percentile(sorted, target),
  };
}

export function summarizePower(
  choice: RunOptions['power'],
  reading: PowerReading | null,
  queries: number,
  samples: number,
  samplesPerSecond: number | null,
): PowerSummary {
  if (!choice) return { measured: false, reason: 'power sampling was not requested' };
  if (!choice.sampler) return { measured: false, reason: choice.reason };
  if (!reading || reading.samples.length === 0) {
    return {
      measured: false,
      reason: `${choice.sampler.name} took no readings during the run${reading?.notes.length ? `: ${reading.notes.join('; ')}` : ''}`,
    };
  }
  const energy = reading.energyJoules ?? (meanWatts(reading.samples, reading.durationMs)! * reading.durationMs) / 1000;
  const avgWatts = energy / (reading.durationMs / 1000);
  return {
    measured: true,
    sampler: reading.sampler,
    source: reading.source,
    intervalMs: reading.intervalMs,
    sampleCount: reading.samples.length,
    avgWatts,
    energyJoules: energy,
    joulesPerQuery: queries > 0 ? energy / queries : 0,
    joulesPerSample: samples > 0 ? energy / samples : 0,
    samplesPerSecondPerWatt: samplesPerSecond !== null && avgWatts > 0 ? samplesPerSecond / avgWatts : 0,
    notes: reading.notes,
  };
}
