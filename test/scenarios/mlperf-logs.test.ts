// npuval's mlperf_log_summary.txt and mlperf_log_detail.txt read back with the rules MLPerf's own
// tools use (mlcommons/inference at b66003e1):
// - compliance/TEST04/verify_performance.py reads the summary line by line with Python's
//   re.match (anchored at the line's start) and takes the value as line.split(": ", 1)[1];
// - tools/submission/log_parser.py MLPerfLog and submission_checker/parsers/loadgen_parser.py
//   require the first line to start with ":::MLLOG", json.loads the rest of every line, and the
//   checker (checks/performance_check.py, constants.py RESULT_FIELD_NEW) and
//   compliance/TEST01/verify_performance.py read the keys listed in CHECKER_KEYS.
// Results are built from constructed runs (integer-ns latencies chosen here), so nothing runs a model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RawRun } from '../../harness/scenarios/drivers.js';
import { renderMlperfAccuracy, renderMlperfDetail } from '../../harness/scenarios/detail.js';
import { assembleResult, type ScenarioResult } from '../../harness/scenarios/run.js';
import { resolveSettings, type ScenarioName, type SettingsOverrides } from '../../harness/scenarios/settings.js';
import { cppDouble, doubleToString, renderMlperfSummary, renderNpuvalSummary } from '../../harness/scenarios/summary.js';
import type { Workload } from '../../harness/scenarios/workload.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/mlperf/', import.meta.url));
const workload: Workload = { name: 'tiny-bert', samples: [], batchInputs: [], flopsPerSample: null, precision: 'fp32' };

/**
 * A run whose latencies are `latNs` (integer ns, one per query), built the way the drivers
 * record it: SingleStream back to back, MultiStream `spq` samples per query, Server at
 * `gapNs` apart, Offline one query whose samples complete at `latNs`.
 */
function construct(scenario: ScenarioName, latNs: readonly number[], overrides: SettingsOverrides = {}, gapNs = 1_000_000): ScenarioResult {
  const settings = resolveSettings(scenario, { minDurationMs: 0, warmupMs: 0, minQueryCount: 1, ...overrides });
  const records: RawRun['records'] = [];
  let t = 0;
  latNs.forEach((l, i) => {
    if (scenario === 'offline') {
      records.push({ query: 0, scheduledMs: 0, issuedMs: 0, completedMs: l / 1e6, samples: [i] });
      return;
    }
    const scheduled = scenario === 'server' ? i * gapNs : t;
    records.push({
      query: i,
      scheduledMs: scheduled / 1e6,
      issuedMs: scheduled / 1e6,
      completedMs: (scheduled + l) / 1e6,
      samples: Array.from({ length: settings.samplesPerQuery }, (_, k) => k),
    });
    t = scheduled + l;
  });
  const run: RawRun = {
    startedAt: '2026-12-01T10:00:00.000Z',
    records,
    queriesIssued: scenario === 'offline' ? 1 : latNs.length,
    samplesIssued: scenario === 'offline' ? latNs.length : latNs.length * settings.samplesPerQuery,
    samplesInQuery: scenario === 'offline' ? latNs.length : settings.samplesPerQuery,
    batching: 'tensor',
    stoppedAtMaxDuration: false,
    expectedSamplesPerSecond: scenario === 'offline' ? 1000 : null,
    warmupQueries: 0,
  };
  return assembleResult(run, workload, settings, { device: 'ort:cpu' }, null);
}

/** n latencies spread over 1–2 ms, in a scrambled order, integer ns. */
const spread = (n: number, base = 1_000_000) =>
  Array.from({ length: n }, (_, i) => base + ((i * 7919) % n) * Math.floor(1_000_000 / n) + (i % 7));

// ---------------------------------------------------------------------------------------------
// MLPerf's readers, as the Python tools do it.

/** Python's re.match(pattern, line): anchored at the start only. */
const reMatch = (pattern: string, line: string) => new RegExp(`^(?:${pattern})`).test(line);
const after = (line: string) => line.split(': ').slice(1).join(': ').trim();

/** compliance/TEST04/verify_performance.py's summary reader (one file), returned as it keeps them. */
function test04Read(summary: string) {
  let mode = '';
  let score: string | null = null;
  let targetLatency: string | null = null;
  let valid: string | null = null;
  const errors: string[] = [];
  for (const line of summary.split(/(?<=\n)/)) {
    if (reMatch('Scenario', line)) {
      mode = after(line);
      continue;
    }
    if (mode === 'SingleStream' && reMatch('.*Early stopping (90th|90.0th|99.9th) percentile estimate', line)) {
      score = after(line);
      continue;
    }
    if (mode === 'MultiStream' && reMatch('.*Early stopping (99th|99.0th) percentile estimate', line)) {
      score = after(line);
      continue;
    }
    if (mode === 'Server') {
      if (reMatch('Completed samples per second', line)) {
        score = after(line);
        continue;
      }
      if (reMatch('target_latency \\(ns\\)', line)) {
        targetLatency = after(line);
        continue;
      }
    }
    if (mode === 'Offline' && reMatch('Samples per second', line)) {
      score = after(line);
      continue;
    }
    if (reMatch('Result is', line)) valid = after(line);
    if (reMatch('\\d+ ERROR', line)) errors.push(line.split(' ')[0]!);
  }
  return { mode, score, targetLatency, valid, errors };
}

/** Every `label : value` line of a summary as a map (LoadGen's summaries are read this way by most scripts). */
function summaryFields(summary: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of summary.split('\n')) {
    const m = /^(\S[^:]*?)\s*: (.*)$/.exec(line);
    if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  }
  return fields;
}

/** tools/submission/log_parser.py MLPerfLog (strict): the first line starts with the marker; every marked line is JSON. */
function parseDetail(detail: string): Map<string, unknown[]> {
  const lines = detail.split('\n').filter((l) => l.length > 0);
  assert.ok(lines[0]!.startsWith(':::MLLOG'), 'Marker not found in first line');
  const messages = new Map<string, unknown[]>();
  for (const line of lines) {
    if (!line.startsWith(':::MLLOG')) continue;
    const m = JSON.parse(line.slice(':::MLLOG'.length)) as {
      key: string;
      value: unknown;
      time_ms: number;
      metadata: { is_error: boolean; is_warning: boolean };
    };
    assert.type(m.time_ms, 'number');
    assert.type(m.metadata.is_error, 'boolean');
    assert.type(m.metadata.is_warning, 'boolean');
    messages.set(m.key, [...(messages.get(m.key) ?? []), m.value]);
  }
  return messages;
}

/** The keys MLPerf's checker and compliance scripts read from a performance run's detail log. */
const CHECKER_KEYS = [
  'effective_scenario',
  'effective_sample_concatenate_permutation',
  'effective_performance_sample_count',
  'effective_qsl_rng_seed',
  'effective_sample_index_rng_seed',
  'effective_schedule_rng_seed',
  'early_stopping_met',
  'early_stopping_result',
  'effective_target_latency_ns',
  'result_99.00_percentile_latency_ns',
  'effective_min_query_count',
  'effective_samples_per_query',
  'effective_min_duration_ms',
  'sut_name',
  'result_validity',
  'result_mean_latency_ns',
  'effective_accuracy_sample_count',
  'result_query_count',
  'num_errors',
];
/** constants.py RESULT_FIELD_NEW (v5.0 … v6.1) and compliance/TEST01 RESULT_FIELD. */
const RESULT_FIELD: Record<string, string> = {
  Offline: 'result_samples_per_second',
  SingleStream: 'early_stopping_latency_ss',
  MultiStream: 'early_stopping_latency_ms',
  Server: 'result_completed_samples_per_sec',
};
/** Extra keys get_inferred_result reads per scenario. */
const INFER_KEYS: Record<string, string[]> = {
  SingleStream: ['result_qps_without_loadgen_overhead', 'early_stopping_latency_ms'],
  MultiStream: ['result_99.00_percentile_per_query_latency_ns', 'result_mean_query_latency_ns'],
  Server: ['result_scheduled_samples_per_sec', 'result_overlatency_query_count'],
  Offline: [],
};

const first = (m: Map<string, unknown[]>, key: string) => {
  assert.ok(m.has(key), `detail log has no ${key}`);
  assert.is(m.get(key)!.length, 1, `${key} logged once`);
  return m.get(key)![0];
};

/** Reads both logs as MLPerf's tools do and checks they agree with each other and with the result. */
function readBack(r: ScenarioResult) {
  const summary = renderMlperfSummary(r);
  const detail = parseDetail(renderMlperfDetail(r, { pid: 1 }));
  const t04 = test04Read(summary);
  assert.is(t04.mode, r.loadgenScenario);
  assert.is(t04.valid, r.result);
  assert.equal(t04.errors, []);
  for (const key of [...CHECKER_KEYS, RESULT_FIELD[r.loadgenScenario]!, ...INFER_KEYS[r.loadgenScenario]!]) first(detail, key);
  assert.is(first(detail, 'effective_scenario'), r.loadgenScenario);
  assert.is(first(detail, 'result_validity'), r.result);
  assert.is(first(detail, 'num_errors'), 0);
  assert.is(first(detail, 'effective_qsl_rng_seed'), r.settings.seeds.qsl);
  assert.is(first(detail, 'effective_schedule_rng_seed'), r.settings.seeds.schedule);
  assert.is(first(detail, 'effective_sample_index_rng_seed'), r.settings.seeds.sampleIndex);
  const fields = summaryFields(summary);
  // The Additional Stats percentiles and the detail's result_*_percentile_latency_ns are the same integers.
  const perQuery = r.scenario === 'multi-stream' ? '_per_query' : '';
  for (const p of ['50.00', '90.00', '95.00', '97.00', '99.00', '99.90']) {
    assert.is(String(first(detail, `result_${p}_percentile${perQuery}_latency_ns`)), fields.get(`${p} percentile latency (ns)`), p);
  }
  assert.is(String(first(detail, perQuery ? 'result_mean_query_latency_ns' : 'result_mean_latency_ns')), fields.get('Mean latency (ns)'));
  assert.ok(summary.endsWith('\nNo warnings encountered during test.\n\nNo errors encountered during test.\n'));
  assert.is(renderMlperfAccuracy(), '[\n]\n');
  assert.equal(JSON.parse(renderMlperfAccuracy()), []);
  return { summary, detail, t04, fields };
}

// ---------------------------------------------------------------------------------------------

test('LoadGen number formats: DoubleToString (fixed) and ostream << double (%g, 6 digits)', () => {
  assert.is(doubleToString(0.999 * 100, 1), '99.9'); // never 100th
  assert.is(doubleToString(0.9 * 100, 1), '90.0');
  assert.is(doubleToString(0.97 * 100), '97.00');
  assert.is(cppDouble(16.5), '16.5');
  assert.is(cppDouble(17), '17');
  assert.is(cppDouble(18.58561234), '18.5856');
  assert.is(cppDouble(1000), '1000');
  assert.is(cppDouble(0.99), '0.99');
  assert.is(cppDouble(123456.7), '123457');
  assert.is(cppDouble(1234567), '1.23457e+06');
  assert.is(cppDouble(0.0000123), '1.23e-05');
  assert.is(cppDouble(0), '0');
});

for (const p of [0.9, 0.99, 0.999]) {
  test(`SingleStream at p = ${p}: headline, both early-stopping lines, detail keys`, () => {
    const n = p === 0.999 ? 7000 : 800;
    const r = construct('single-stream', spread(n), { targetLatencyPercentile: p });
    assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
    const { summary, detail, t04, fields } = readBack(r);
    const label = doubleToString(p * 100, 1);
    assert.ok(!summary.includes('100th'));
    assert.is(fields.get(`${label}th percentile latency (ns)`), String(r.loadgen.sampleLatencyNs!.target));
    assert.match(
      summary,
      new RegExp(
        `\\nEarly Stopping Result:\\n \\* Processed at least \\d+ queries \\(${n}\\)\\.\\n \\* Would discard \\d+ highest latency queries\\.\\n \\* Early stopping ${label.replace('.', '\\.')}th percentile estimate: (\\d+)\\n`,
      ),
    );
    // The second line: the 99th-percentile estimate (800 queries are enough: 662 needed).
    assert.match(summary, /\n \* Early stopping 99\.0th percentile estimate: \d+\n\n/);
    assert.is(first(detail, 'early_stopping_latency_ss'), r.loadgen.earlyStopping!.estimate);
    assert.is(first(detail, 'early_stopping_latency_ms'), r.loadgen.earlyStopping99!.estimate);
    assert.is(r.loadgen.result.value, r.loadgen.earlyStopping!.estimate);
    // TEST04 scores SingleStream by the estimate at 90th or 99.9th (it has no pattern for a 99th SingleStream).
    if (p !== 0.99) assert.is(t04.score, String(r.loadgen.earlyStopping!.estimate));
    assert.is(first(detail, 'effective_target_latency_percentile'), p);
    assert.is(fields.get('target_qps'), '1000'); // 1e9 / LoadGen's default single_stream_expected_latency_ns
    // An expected latency from mlperf.conf (*.SingleStream.target_latency = 10 ms) gives LoadGen's target_qps.
    assert.ok(renderMlperfSummary(r, { expectedLatencyNs: 10_000_000 }).includes('\ntarget_qps : 100\n'));
    const conf = parseDetail(renderMlperfDetail(r, { pid: 1, expectedLatencyNs: 10_000_000 }));
    assert.is(first(conf, 'requested_single_stream_expected_latency_ns'), 10_000_000);
    assert.is(first(conf, 'effective_target_qps'), 100);
  });
}

test('SingleStream with fewer queries than the 99th estimate needs prints LoadGen\'s "not enough" text; too few for any estimate is INVALID', () => {
  const r = construct('single-stream', spread(100));
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  const { summary, detail } = readBack(r);
  assert.ok(
    summary.includes(
      ' * Not enough queries processed for 99.0th percentile\n early stopping estimate (would need to process at\n least 662 total queries).\n',
    ),
  );
  assert.is(first(detail, 'early_stopping_latency_ms'), 0);
  const short = construct('single-stream', spread(63));
  assert.is(short.result, 'INVALID');
  const back = readBack(short);
  assert.ok(
    back.summary.includes(
      'Early Stopping Result:\n * Only processed 63 queries.\n * Need to process at least 64 queries for early stopping.\n',
    ),
  );
  assert.is(first(back.detail, 'early_stopping_met'), false);
  assert.is(first(back.detail, 'early_stopping_latency_ss'), 0);
  assert.match(String(first(back.detail, 'result_invalid_reason')), /early stopping not met/);
});

for (const p of [0.9, 0.99, 0.999]) {
  test(`MultiStream at p = ${p}: per-query stats, early_stopping_latency_ms`, () => {
    const n = p === 0.999 ? 7000 : 700;
    const r = construct('multi-stream', spread(n, 8_000_000), { targetLatencyPercentile: p, samplesPerQuery: 8 });
    assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
    const { summary, detail, t04, fields } = readBack(r);
    const label = doubleToString(p * 100, 1);
    assert.is(fields.get(`${label}th percentile latency (ns)`), String(r.loadgen.queryLatencyNs!.target));
    assert.ok(
      summary.includes(
        '\n================================================\nAdditional Stats\n================================================\nPer-query latency:  \nMin latency (ns)                : ',
      ),
    );
    assert.ok(!summary.includes('99.0th percentile\n early stopping')); // MultiStream has one estimate only
    assert.is(first(detail, 'early_stopping_latency_ms'), r.loadgen.earlyStopping!.estimate);
    if (p === 0.99) assert.is(t04.score, String(r.loadgen.earlyStopping!.estimate));
    assert.is(fields.get('samples_per_query'), '8');
    assert.is(fields.get('target_qps'), '125');
    assert.is(first(detail, 'effective_min_sample_count'), r.settings.minQueryCount * 8);
  });
}

for (const p of [0.9, 0.99, 0.999]) {
  test(`Server at p = ${p}: completed and scheduled rates, overlatency count, TEST04 fields`, () => {
    const n = p === 0.999 ? 7000 : 700;
    const r = construct('server', spread(n), { targetLatencyPercentile: p, targetQps: 1000, targetLatencyMs: 100, minQueryCount: 100 });
    assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
    const { summary, detail, t04, fields } = readBack(r);
    assert.ok(summary.includes('\n  Performance constraints satisfied : Yes\n'));
    assert.ok(summary.includes('Early Stopping Result:\n * Run successful.\n'));
    assert.match(summary, /\nAdditional Stats\n={48}\nScheduled samples per second : \d+\.\d\d\nMin latency \(ns\)/);
    assert.is(t04.score, fields.get('Completed samples per second'));
    assert.is(t04.targetLatency, '100000000');
    assert.is(first(detail, 'effective_target_latency_ns'), 100_000_000);
    assert.is(first(detail, 'result_overlatency_query_count'), 0);
    assert.is(first(detail, 'result_perf_constraints_met'), true);
    assert.is(Number(t04.score).toFixed(2), Number(first(detail, 'result_completed_samples_per_sec')).toFixed(2));
    assert.is(fields.get('target_qps'), '1000');
    assert.is(fields.get('max_async_queries'), '0');
  });
}

test('Offline: samples per second as ostream prints it, one query of all samples, no early-stopping section', () => {
  const r = construct('offline', spread(500));
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  const { summary, detail, t04, fields } = readBack(r);
  assert.ok(!summary.includes('Early Stopping Result'));
  assert.ok(
    summary.includes(
      '  Early stopping satisfied: Yes\n\n================================================\nAdditional Stats\n================================================\nMin latency (ns)',
    ),
  );
  assert.is(t04.score, fields.get('Samples per second'));
  assert.is(Number(t04.score), Number(first(detail, 'result_samples_per_second')));
  assert.is(fields.get('samples_per_query'), '500');
  assert.is(fields.get('min_query_count'), '1');
  assert.is(fields.get('max_async_queries'), '1');
  assert.is(first(detail, 'early_stopping_result'), '');
});

test('mean latency is the integer-ns sum over the count, truncated as LoadGen does', () => {
  const r = construct('single-stream', [...spread(99), 1_000_001]);
  const lat = [...spread(99), 1_000_001];
  const mean = Math.floor(lat.reduce((a, b) => a + b, 0) / lat.length);
  assert.is(r.loadgen.sampleLatencyNs!.mean, mean);
  assert.ok(renderMlperfSummary(r).includes(`\nMean latency (ns)               : ${mean}\n`));
});

test('a latency exactly at the bound is within it: compared in whole ns, not in floating-point ms', () => {
  // Scheduled times whose float ms make completed − scheduled come out just over 5 ms.
  const bound = 5_000_000;
  const gap = 1_100_037;
  const over = Array.from({ length: 600 }, (_, i) => (i * gap + bound) / 1e6 - (i * gap) / 1e6).filter((d) => d > 5).length;
  assert.ok(over > 0, 'the test needs float ms differences above the bound');
  const r = construct(
    'server',
    Array.from({ length: 600 }, () => bound),
    { targetQps: 900, targetLatencyMs: 5, minQueryCount: 100 },
    gap,
  );
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  assert.is(r.counts.overBound, 0);
  assert.is(r.loadgen.sampleLatencyNs!.max, bound);
  assert.ok(r.validity.latency!.met);
  const { detail } = readBack(r);
  assert.is(first(detail, 'result_overlatency_query_count'), 0);
  assert.is(first(detail, 'result_99.00_percentile_latency_ns'), bound);
  // One ns over the bound is over it.
  const late = construct(
    'server',
    Array.from({ length: 600 }, (_, i) => (i === 0 ? bound + 1 : bound)),
    { targetQps: 900, targetLatencyMs: 5, minQueryCount: 100 },
    gap,
  );
  assert.is(late.counts.overBound, 1);
  // SingleStream's optional bound (npuval's extension) is judged the same way.
  const ss = construct(
    'single-stream',
    Array.from({ length: 100 }, () => bound),
    { targetLatencyMs: 5 },
  );
  assert.ok(ss.validity.latency!.met);
});

test("the layout matches LoadGen's own summaries line for line (Server and Offline samples from mlcommons/inference)", () => {
  // Each line reduced to its label: LoadGen 5.1 wrote these; LoadGen at b66003e1 adds `accuracy_sample_count : ` after
  // performance_sample_count (test_settings_internal.cc TestSettingsInternal::LogSummary).
  const shape = (text: string) =>
    text
      .split('\n')
      .map((l) => l.replace(/(: ?).*$/, '$1').replace(/^SUT name : $/, 'SUT name : '))
      .filter((l) => l !== 'accuracy_sample_count : ');
  const server = construct('server', spread(700), { targetQps: 1000, targetLatencyMs: 100, minQueryCount: 100 });
  assert.equal(shape(renderMlperfSummary(server)), shape(readFileSync(join(fixtures, 'server-summary.txt'), 'utf8')));
  const offline = construct('offline', spread(500));
  assert.equal(shape(renderMlperfSummary(offline)), shape(readFileSync(join(fixtures, 'offline-summary.txt'), 'utf8')));
});

test("the detail log's keys are LoadGen's: every key npuval writes is in LoadGen's own logs of the scenario, in its order", () => {
  for (const [scenario, file] of [
    ['server', 'server-detail.txt'],
    ['offline', 'offline-detail.txt'],
  ] as const) {
    const r =
      scenario === 'server'
        ? construct('server', spread(700), { targetQps: 1000, targetLatencyMs: 100, minQueryCount: 100 })
        : construct('offline', spread(500));
    const ours = [...parseDetail(renderMlperfDetail(r, { pid: 1 })).keys()];
    const theirs = [...parseDetail(readFileSync(join(fixtures, file), 'utf8')).keys()];
    // LoadGen at b66003e1 logs effective_accuracy_sample_count and requested_accuracy_sample_count_override (5.1 did not).
    const added = new Set(['effective_accuracy_sample_count', 'requested_accuracy_sample_count_override']);
    const known = ours.filter((k) => !added.has(k));
    assert.equal(
      known.filter((k) => !theirs.includes(k)),
      [],
      `${scenario}: keys LoadGen does not write`,
    );
    assert.equal(
      known,
      theirs.filter((k) => known.includes(k)),
      `${scenario}: order`,
    );
    for (const k of theirs.filter((k) => k.startsWith('result_') || k.startsWith('effective_') || k.startsWith('early_stopping'))) {
      assert.ok(ours.includes(k), `${scenario}: ${k} missing`);
    }
  }
});

test("npuval_summary.txt holds npuval's own figures and reasons, none of which are in the MLPerf summary", () => {
  const r = construct('single-stream', spread(63));
  const own = renderNpuvalSummary(r);
  assert.match(own, /MLPerf result \(early_stopping_latency_ss\) : n\/a/);
  assert.match(own, /early stopping not met/);
  assert.match(own, /power : not measured/);
  assert.ok(!renderMlperfSummary(r).includes('power :'));
});

test.run();
