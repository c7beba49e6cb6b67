// The `scenario` unit: one LoadGen scenario (harness/scenarios) of one model on one device.
// The suite's `settings` are ScenarioSettings overrides (minDurationMs, minQueryCount, batchSize,
// targetQps, targetLatencyMs, …) plus `dims` for symbolic input dims; seeds derive from the run's.
import { candidateSamplers, chooseSampler } from '../../../devices/power/index.js';
import { modelCost } from '../../../models/cost.js';
import { seededInputs } from '../../../models/inputs.js';
import { lookUpPeak } from '../../scenarios/peak.js';
import { InputError } from '../../errors.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileArtifact } from '../../../reports/digest.js';
import { batchDims, buildWorkload, renderSummary, resolveSettings, runScenario, type ScenarioResult, type SettingsOverrides } from '../../scenarios/index.js';
import type { Statistics } from '../../stats.js';
import { zooEntryOf } from '../models.js';
import { checkSettingKeys, type UnitExecutor } from './types.js';

const SETTING_KEYS = [
  'minDurationMs', 'maxDurationMs', 'minQueryCount', 'warmupMs', 'samplesPerQuery', 'targetQps', 'targetLatencyMs',
  'targetLatencyPercentile', 'batchSize', 'minSampleCount', 'performanceSampleCount',
] as const;

export function scenarioOverrides(unitId: string, settings: Readonly<Record<string, unknown>>): { overrides: SettingsOverrides; dims: Record<string, number> } {
  const overrides: Record<string, unknown> = {};
  let dims: Record<string, number> = {};
  checkSettingKeys(unitId, settings, [...SETTING_KEYS, 'batch', 'dims']);
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'dims') {
      dims = value as Record<string, number>;
      continue;
    }
    if (key === 'batch') {
      overrides.batchSize = value;
      continue;
    }
    overrides[key] = value;
  }
  return { overrides: overrides as SettingsOverrides, dims };
}

/** Registry metrics from an AIPerf-shaped latency summary. */
export function latencyMetrics(s: Statistics | null): Record<string, number | null> {
  return {
    latency_p50_ms: s?.p50 ?? null, latency_p90_ms: s?.p90 ?? null, latency_p95_ms: s?.p95 ?? null, latency_p97_ms: s?.p97 ?? null,
    latency_p99_ms: s?.p99 ?? null, latency_p999_ms: s?.p99_9 ?? null, latency_min_ms: s?.min ?? null, latency_max_ms: s?.max ?? null,
    latency_mean_ms: s?.avg ?? null, latency_std_ms: s?.std ?? null,
  };
}

export function scenarioMetrics(r: ScenarioResult): Record<string, number | null> {
  const durationS = r.times.finalQueryCompletedMs / 1000;
  // MultiStream's metric is per-query latency (LoadGen); the others report per-sample latency.
  const lat = r.scenario === 'multi-stream' ? r.latency.query : r.latency.sample;
  return {
    ...latencyMetrics(lat),
    samples_per_second: r.throughput.samplesPerSecond,
    queries_per_second: durationS > 0 ? r.counts.queries / durationS : null,
    query_count: r.counts.queries,
    duration_s: durationS,
    effective_tflops: r.compute.effectiveTflops,
    utilization_pct: r.compute.utilization === null ? null : r.compute.utilization * 100,
    ...(r.power.measured
      ? { power_avg_w: r.power.avgWatts, energy_per_query_j: r.power.joulesPerQuery, samples_per_second_per_watt: r.power.samplesPerSecondPerWatt }
      : {}),
  };
}

export const runScenarioUnit: UnitExecutor = async (unit, ctx) => {
  if (!ctx.device) throw new InputError(`scenario unit ${unit.id} needs a device`);
  const spec = unit.spec;
  const { overrides, dims } = scenarioOverrides(unit.id, spec.settings ?? {});
  const settings = resolveSettings(spec.scenario!, { ...overrides, seeds: { schedule: ctx.seed, sampleIndex: ctx.seed + 1, qsl: ctx.seed + 2 } });
  const model = await ctx.model(spec.model!);
  const zoo = zooEntryOf(spec.model!);
  const description = await ctx.device.describe();
  const precision = 'fp32';
  const peak = lookUpPeak(description, precision);
  const power = await chooseSampler(candidateSamplers(description.backend.name));
  const t0 = performance.now();
  const session = await ctx.device.open(model.source);
  const openMs = performance.now() - t0;
  try {
    const { symbols } = batchDims(session);
    const allDims: Record<string, number> = { ...dims };
    for (const s of symbols) allDims[s] = 1;
    const config = zoo?.config as { vocab_size?: number; seq_len?: number } | undefined;
    if (config?.seq_len !== undefined && allDims.sequence_length === undefined) allDims.sequence_length = config.seq_len;
    let flopsPerSample: number | null = null;
    if (zoo) {
      const cost = modelCost(zoo);
      flopsPerSample = cost.flopsPerSample ?? (allDims.sequence_length !== undefined ? cost.prefillFlops(1, allDims.sequence_length) : null);
    }
    const workload = buildWorkload(session, {
      name: spec.model!, count: settings.performanceSampleCount, qslSeed: settings.seeds.qsl, flopsPerSample, precision,
      generate: (seed) => seededInputs(session.inputs, { seed, dims: allDims, vocabSize: config?.vocab_size }),
    });
    const r = await runScenario(session, workload, settings, {
      device: ctx.device.id, journal: ctx.journal, journalTag: { unit: unit.id }, peak,
      power: power.sampler ? { sampler: power.sampler } : { sampler: null, reason: power.reason },
    });
    const notes: string[] = [];
    if (r.compute.note) notes.push(`compute: ${r.compute.note}`);
    if (!r.power.measured) notes.push(`power not measured: ${r.power.reason}`);
    const v = r.validity;
    const checks = [
      { name: 'min duration', passed: v.minDuration.met, detail: `${v.minDuration.actual.toFixed(0)} ms of ${v.minDuration.required} ms required` },
      { name: 'min query count', passed: v.minQueries.met, detail: `${v.minQueries.actual} of ${v.minQueries.required} required` },
      ...(v.latency ? [{ name: 'latency bound', passed: v.latency.met, detail: `p${v.latency.percentile * 100} ${v.latency.actual.toFixed(3)} ms vs bound ${v.latency.required} ms` }] : []),
      ...(v.earlyStopping
        ? [{
            name: 'early stopping', passed: v.earlyStopping.met,
            detail: `${v.earlyStopping.queries} queries at p${v.earlyStopping.percentile * 100}${v.earlyStopping.moreQueriesNeeded ? `; ${v.earlyStopping.moreQueriesNeeded} more needed` : ''}`,
          }]
        : []),
      { name: 'max duration not reached', passed: !v.maxDurationReached, detail: v.maxDurationReached ? 'the run was stopped by max duration' : 'finished within max duration' },
    ];
    // LoadGen's mlperf_log_summary.txt layout, for people who read MLPerf results.
    const rel = join('units', unit.id.replace(/[^A-Za-z0-9._-]+/g, '_'), 'summary.txt');
    mkdirSync(join(ctx.outDir, rel, '..'), { recursive: true });
    writeFileSync(join(ctx.outDir, rel), renderSummary(r));
    return {
      artifacts: [fileArtifact(rel, 'LoadGen-style summary', join(ctx.outDir, rel))],
      status: r.valid ? 'pass' : 'fail',
      validity: { valid: r.valid, checks, reasons: [...v.reasons] },
      metrics: { ...scenarioMetrics(r), session_open_ms: openMs },
      notes,
      result: { ...r, kind: 'scenario' } as unknown as { kind: 'scenario' } & Record<string, unknown>,
      settings: { ...settings, dims: allDims },
    };
  } finally {
    await session.close();
  }
};
