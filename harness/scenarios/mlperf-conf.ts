// mlperf.conf / user.conf: LoadGen's `model.Scenario.key = value` files (loadgen/mlperf.conf,
// test_settings_internal.cc TestSettings::FromConfig), read so a scenario unit can run with
// MLPerf's official settings (600 s minimum duration, 662 MultiStream queries, the Server bound
// of the model, …). The parser keeps LoadGen's rules: whitespace-separated `key = value`, a `#`
// word ends the line, values must be integers or doubles, later lines and later files win; a
// key is looked up as model.Scenario, *.Scenario, model.*, then *.*.
import { readInputText } from '../input-file.js';
import { InputError } from '../errors.js';
import type { ScenarioName, SettingsOverrides } from './settings.js';
import { LOADGEN_SCENARIO_NAME } from './settings.js';

/** Key → value text, as FromConfig's map holds it. */
export type ConfEntries = ReadonlyMap<string, string>;

/** Parses one conf text; `where` names it in errors (LoadGen's error_invalid_config cases). */
export function parseConf(text: string, where: string, into = new Map<string, string>()): Map<string, string> {
  text.split('\n').forEach((line, i) => {
    const words = line
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0);
    let key = '';
    let state = 0; // 0 key, 1 '=', 2 value
    for (const w of words) {
      if (w === '#' && state !== 2) break;
      if (state === 2) {
        if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(w) && !/^0[xX][0-9a-fA-F]+$/.test(w)) {
          throw new InputError(`${where} line ${i + 1}: value needs to be integer or double, got "${w}"`);
        }
        into.set(key, w);
        continue;
      }
      if (state === 1 && w !== '=') throw new InputError(`${where} line ${i + 1}: expected 'key = value'`);
      if (state === 0) key = w;
      state++;
    }
  });
  return into;
}

/** Reads the files in order (mlperf.conf first, then user.conf): later values win. */
export function readConf(paths: readonly string[]): Map<string, string> {
  const entries = new Map<string, string>();
  for (const path of paths) {
    const text = readInputText(path, 'mlperfConf file');
    parseConf(text, path, entries);
  }
  return entries;
}

/** FromConfig's lookupkv: model.Scenario.key, *.Scenario.key, model.*.key, *.*.key. */
export function lookUp(entries: ConfEntries, model: string, scenario: string, key: string): number | undefined {
  for (const k of [`${model}.${scenario}.${key}`, `*.${scenario}.${key}`, `${model}.*.${key}`, `*.*.${key}`]) {
    const v = entries.get(k);
    if (v !== undefined) return Number(v);
  }
  return undefined;
}

/** What a conf sets for one model and scenario, in npuval's settings and units, plus what only the logs use. */
export interface ConfSettings {
  readonly overrides: SettingsOverrides;
  /** SingleStream/MultiStream `target_latency` (ms in the conf): LoadGen's expected latency, which gives target_qps. */
  readonly expectedLatencyNs: number | undefined;
  /** Conf keys found that npuval does not apply (official seeds: npuval's generator is not LoadGen's). */
  readonly ignored: readonly string[];
}

/**
 * The settings a conf gives `model` in `scenario`, as FromConfig applies them: min/max duration
 * (ms), min/max query count, the target percentile (a percentage), MultiStream samples per query,
 * the Server bound (ms) and rate, Offline's expected QPS, performance_sample_count_override.
 * Offline's min_query_count is its minimum sample count, as LoadGen sizes its one query by it.
 */
export function confSettings(entries: ConfEntries, model: string, scenario: ScenarioName): ConfSettings {
  const sc = LOADGEN_SCENARIO_NAME[scenario];
  const get = (key: string, s = sc) => lookUp(entries, model, s, key);
  const o: { -readonly [K in keyof SettingsOverrides]: SettingsOverrides[K] } = {};
  const minDuration = get('min_duration');
  if (minDuration !== undefined) o.minDurationMs = minDuration;
  const maxDuration = get('max_duration');
  if (maxDuration !== undefined && maxDuration > 0) o.maxDurationMs = maxDuration; // 0: LoadGen's "no limit"; npuval keeps its own
  const minQueries = get('min_query_count');
  if (minQueries !== undefined) {
    if (scenario === 'offline') o.minSampleCount = minQueries;
    else o.minQueryCount = minQueries;
  }
  const percentile = get('target_latency_percentile');
  if (percentile !== undefined && scenario !== 'offline') o.targetLatencyPercentile = percentile / 100;
  if (scenario === 'multi-stream') {
    const spq = get('samples_per_query');
    if (spq !== undefined) o.samplesPerQuery = spq;
  }
  if (scenario === 'server') {
    const bound = get('target_latency');
    if (bound !== undefined) o.targetLatencyMs = bound;
    const qps = get('target_qps');
    if (qps !== undefined) o.targetQps = qps;
  }
  if (scenario === 'offline') {
    const qps = get('target_qps');
    if (qps !== undefined) o.expectedSamplesPerSecond = qps;
  }
  const psc = get('performance_sample_count_override');
  if (psc !== undefined && psc > 0) o.performanceSampleCount = psc;
  const expected = scenario === 'single-stream' || scenario === 'multi-stream' ? get('target_latency') : undefined;
  const ignored = ['qsl_rng_seed', 'sample_index_rng_seed', 'schedule_rng_seed'].filter((k) => get(k) !== undefined);
  return { overrides: o, expectedLatencyNs: expected === undefined ? undefined : expected * 1e6, ignored };
}
