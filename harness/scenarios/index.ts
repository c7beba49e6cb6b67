// The scenario drivers' public surface (LoadGen semantics): settings, workloads, runScenario,
// the Server peak search and the summary.txt renderer.
export {
  SCENARIOS,
  LOADGEN_SCENARIO_NAME,
  defaultSettings,
  resolveSettings,
  type ScenarioName,
  type ScenarioSettings,
  type SettingsOverrides,
} from './settings.js';
export { buildWorkload, batchDims, batchFeeds, runSamples, type Workload, type Batching } from './workload.js';
export {
  runScenario,
  scenarioMetric,
  assembleResult,
  effectiveCompute,
  summarizePower,
  type ScenarioResult,
  type RunOptions,
  type PeakInfo,
  type EffectiveCompute,
  type PowerSummary,
} from './run.js';
export { driveScenario, type QueryRecord, type RawRun, type ProgressCounters } from './drivers.js';
export { judge, latenciesOf, type Validity, type Check, type Latencies } from './validity.js';
export { findPeak, type PeakSearch, type PeakSearchOptions, type Probe } from './find-peak.js';
export { renderSummary } from './summary.js';
export { startProgress, type Progress } from './progress.js';
export { poissonSchedule, seededRng, type Rng } from '../random.js';
export { loadBenchModel, modelWorkload, type BenchModel, type ModelWorkloadOptions } from './model-workload.js';
export { lookUpPeak } from './peak.js';
