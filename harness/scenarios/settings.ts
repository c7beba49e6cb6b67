// Scenario settings: LoadGen's TestSettings, with defaults sized for a small machine (seconds,
// not LoadGen's 600 s). The effective settings are recorded with every result, so a run is
// never silently shortened: what ran is what the result says ran.
import { InputError } from '../errors.js';
import { earlyStoppingMinQueries, minPassingQueries } from '../stats.js';

export const SCENARIOS = ['single-stream', 'multi-stream', 'server', 'offline'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** LoadGen's names, for summary.txt. */
export const LOADGEN_SCENARIO_NAME: Record<ScenarioName, string> = {
  'single-stream': 'SingleStream',
  'multi-stream': 'MultiStream',
  server: 'Server',
  offline: 'Offline',
};

export interface ScenarioSettings {
  readonly scenario: ScenarioName;
  /** The run lasts at least this long (SingleStream/MultiStream: final issue time; Server: final scheduled time; Offline: last completion). */
  readonly minDurationMs: number;
  /** Hard stop: nothing is issued after this; a run cut short here is INVALID and says so. */
  readonly maxDurationMs: number;
  /** The run issues at least this many queries. */
  readonly minQueryCount: number;
  /** Untimed queries issued before the run (same shape as the run's), for this long. */
  readonly warmupMs: number;
  /** Samples per query: MultiStream's samples_per_query; 1 for SingleStream and Server; Offline's is sized at run time. */
  readonly samplesPerQuery: number;
  /** Server: the Poisson arrival rate in queries per second. */
  readonly targetQps: number | null;
  /** Latency bound in ms: required for Server; optional for SingleStream/MultiStream (an npuval extension, not a LoadGen rule). */
  readonly targetLatencyMs: number | null;
  /** The metric's percentile: 0.9 SingleStream, 0.99 MultiStream and Server. */
  readonly targetLatencyPercentile: number;
  /** Offline: samples per session.run (or runs in flight together when the model's batch is fixed). */
  readonly batchSize: number;
  /** Offline: the rate its one query is sized by (LoadGen's offline_expected_qps); null = measure it in warm-up. */
  readonly expectedSamplesPerSecond: number | null;
  /** Offline: the one query carries at least this many samples. */
  readonly minSampleCount: number;
  /** QSL size: distinct seeded samples held in memory; queries draw from them. */
  readonly performanceSampleCount: number;
  readonly seeds: { readonly schedule: number; readonly sampleIndex: number; readonly qsl: number };
}

/** Defaults per scenario; min query counts are LoadGen's early-stopping minimums so a default run can be VALID. */
export function defaultSettings(scenario: ScenarioName): ScenarioSettings {
  const percentile = scenario === 'single-stream' ? 0.9 : 0.99;
  return {
    scenario,
    minDurationMs: 2000,
    maxDurationMs: 60_000,
    // Server: h(t = 0), the queries early stopping needs when none is over the bound.
    minQueryCount:
      scenario === 'offline' ? 1 : scenario === 'server' ? minPassingQueries(0, percentile) : earlyStoppingMinQueries(percentile),
    warmupMs: 500,
    samplesPerQuery: scenario === 'multi-stream' ? 8 : 1,
    targetQps: scenario === 'server' ? 100 : null,
    targetLatencyMs: scenario === 'server' ? 100 : null,
    targetLatencyPercentile: percentile,
    batchSize: 1,
    minSampleCount: scenario === 'offline' ? 64 : 1,
    expectedSamplesPerSecond: null,
    performanceSampleCount: 32,
    seeds: { schedule: 1, sampleIndex: 2, qsl: 3 },
  };
}

export type SettingsOverrides = Partial<Omit<ScenarioSettings, 'scenario' | 'seeds'>> & { seeds?: Partial<ScenarioSettings['seeds']> };

/** Defaults for `scenario` with `overrides` applied; a bad value is an InputError naming the field. */
export function resolveSettings(scenario: string, overrides: SettingsOverrides = {}): ScenarioSettings {
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new InputError(`scenario "${scenario}" is not one of ${SCENARIOS.join(', ')}`);
  }
  const base = defaultSettings(scenario as ScenarioName);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as SettingsOverrides;
  const s: ScenarioSettings = { ...base, ...defined, scenario: base.scenario, seeds: { ...base.seeds, ...(defined.seeds ?? {}) } };
  const positive = (field: keyof ScenarioSettings, v: number | null, integer = false, allowZero = false) => {
    if (v === null) return;
    if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0) || (integer && !Number.isInteger(v))) {
      throw new InputError(`setting ${field}=${v} is not a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}`);
    }
  };
  positive('minDurationMs', s.minDurationMs, false, true);
  positive('maxDurationMs', s.maxDurationMs);
  positive('minQueryCount', s.minQueryCount, true);
  positive('warmupMs', s.warmupMs, false, true);
  positive('samplesPerQuery', s.samplesPerQuery, true);
  positive('targetQps', s.targetQps);
  positive('targetLatencyMs', s.targetLatencyMs);
  positive('batchSize', s.batchSize, true);
  positive('minSampleCount', s.minSampleCount, true);
  positive('expectedSamplesPerSecond', s.expectedSamplesPerSecond);
  positive('performanceSampleCount', s.performanceSampleCount, true);
  for (const [k, v] of Object.entries(s.seeds)) {
    if (!Number.isInteger(v) || v < 0) throw new InputError(`seed ${k}=${v} is not a non-negative integer`);
  }
  if (!(s.targetLatencyPercentile > 0 && s.targetLatencyPercentile < 1)) {
    throw new InputError(`setting targetLatencyPercentile=${s.targetLatencyPercentile} is not between 0 and 1`);
  }
  if (s.scenario === 'server' && (s.targetQps === null || s.targetLatencyMs === null)) {
    throw new InputError('the server scenario needs a target QPS and a latency bound');
  }
  if (s.scenario !== 'multi-stream' && s.scenario !== 'offline' && s.samplesPerQuery !== 1) {
    throw new InputError(`samples per query is ${s.samplesPerQuery}, but the ${s.scenario} scenario issues one sample per query`);
  }
  // maxDurationMs < minDurationMs is allowed: the run is then INVALID and its validity says why.
  return s;
}
