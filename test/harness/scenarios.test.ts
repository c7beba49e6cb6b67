// Each LoadGen scenario runs for real on ort:cpu with the tiny-bert zoo model: VALID with
// test-sized settings, INVALID with the right reasons when a bound cannot be met. The journal
// is read back. No timing thresholds: only verdicts, counts and reasons are checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import type { Session } from '../../devices/types.js';
import { Journal, readJournal } from '../../harness/journal.js';
import {
  effectiveCompute,
  findPeak,
  loadBenchModel,
  modelWorkload,
  renderSummary,
  resolveSettings,
  runScenario,
  scenarioMetric,
  startProgress,
  type SettingsOverrides,
  type Workload,
} from '../../harness/scenarios/index.js';
import { lookUpPeak } from '../../harness/scenarios/peak.js';
import { percentileEarlyStopping } from '../../harness/stats.js';
import { mlpModel } from '../helpers/tiny-model.js';
import { buildWorkload } from '../../harness/scenarios/workload.js';

const device = createDevice('ort:cpu?intraOpThreads=1');
const model = loadBenchModel('tiny-bert');
let session: Session;
let workload: Workload;
const dir = mkdtempSync(join(tmpdir(), 'npuval-scenarios-'));

// Test-sized: short durations, LoadGen's default min query counts kept.
const quick: SettingsOverrides = { minDurationMs: 200, warmupMs: 50, maxDurationMs: 20_000 };

test.before(async () => {
  session = await device.open({ bytes: model.bytes! });
  workload = modelWorkload(session, model, { count: 8, qslSeed: 3 });
});
test.after(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the tiny-bert workload batches along dim 0 and knows its FLOPs', () => {
  assert.ok(workload.batchInputs.includes('input_ids'));
  assert.ok(workload.flopsPerSample! > 0);
  assert.is(workload.samples.length, 8);
});

test('SingleStream: VALID, p90 metric, early-stopping estimate, journal records per query', async () => {
  const journal = new Journal(join(dir, 'ss.jsonl'));
  const r = await runScenario(session, workload, resolveSettings('single-stream', quick), { device: 'ort:cpu', journal });
  journal.close();
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  assert.is(r.metric.name, 'p90 latency, early-stopping estimate');
  assert.ok(r.counts.queries >= 64);
  assert.ok(r.validity.earlyStopping?.met);
  assert.ok(r.times.finalQueryIssuedMs >= 200);
  // MLPerf's SingleStream result is the early-stopping estimate, never below the observed p90.
  assert.is(r.metric.value, r.loadgen.earlyStopping!.estimate! / 1e6);
  assert.ok(r.metric.value! >= r.latency.sample!.p90);
  assert.is(r.loadgen.result.value, r.loadgen.earlyStopping!.estimate);
  const { records } = readJournal(join(dir, 'ss.jsonl'));
  const rows = records.filter((x) => x.type === 'bench.queries').flatMap((x) => x.rows as unknown[][]);
  assert.is(rows.length, r.counts.queries);
  const [, scheduled, issued, completed, samples] = rows[0]!;
  assert.ok((completed as number) >= (issued as number) && (issued as number) >= (scheduled as number));
  assert.is((samples as number[]).length, 1);
  assert.is(records.at(-1)!.type, 'bench.result');
  JSON.parse(JSON.stringify(r)); // plain JSON
  assert.match(renderSummary(r), /90th percentile latency \(ns\) : \d+\nResult is : VALID/);
});

test('MultiStream: VALID with 8 samples per query batched as one tensor', async () => {
  const r = await runScenario(session, workload, resolveSettings('multi-stream', quick), { device: 'ort:cpu' });
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  assert.is(r.batching, 'tensor');
  assert.ok(r.counts.queries >= 662);
  assert.is(r.counts.samples, r.counts.queries * 8);
  assert.is(r.metric.name, 'p99 per-query latency, early-stopping estimate');
  assert.is(r.metric.value, r.loadgen.earlyStopping!.estimate! / 1e6);
  assert.ok(r.metric.value! >= r.latency.query!.p99);
  assert.match(renderSummary(r), /Per-query latency/);
});

test('Server: VALID at a reachable rate and bound; issue delay recorded', async () => {
  // A generous bound (5 s for a ~0.1 ms model) so a busy shared machine still meets it.
  const r = await runScenario(
    session,
    workload,
    resolveSettings('server', { ...quick, targetQps: 300, targetLatencyMs: 5000, minQueryCount: 500 }),
    { device: 'ort:cpu' },
  );
  assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
  assert.is(r.counts.queries, 500);
  assert.ok(r.latency.issueDelay!.min >= 0);
  assert.ok(r.throughput.scheduledSamplesPerSecond! > 0);
  assert.is(r.metric.value, r.throughput.completedSamplesPerSecond);
  assert.match(renderSummary(r), /Performance constraints satisfied : Yes/);
});

test('Server: INVALID when the latency bound is unreachable, with every reason and the queries needed', async () => {
  const r = await runScenario(
    session,
    workload,
    resolveSettings('server', { ...quick, targetQps: 1000, targetLatencyMs: 0.000001, minQueryCount: 300 }),
    { device: 'ort:cpu' },
  );
  assert.is(r.result, 'INVALID');
  assert.is(r.counts.overBound, r.counts.queries);
  const reasons = r.validity.reasons.join('\n');
  assert.match(reasons, /latency constraint not met: p99 latency .* over the bound/);
  assert.match(reasons, /early stopping not met: 300 of 300 queries over the bound; would need at least \d+ more queries/);
  assert.ok(r.validity.earlyStopping && 'moreQueriesNeeded' in r.validity.earlyStopping && r.validity.earlyStopping.moreQueriesNeeded > 0);
  const summary = renderSummary(r);
  assert.match(summary, /Result is : INVALID/);
  assert.match(summary, /Performance constraints satisfied : NO/);
  assert.match(summary, / \* Run unsuccessful\./);
});

test('every scenario is VALID with the default settings (2 s minimum, LoadGen query minimums, Server 100 QPS / 100 ms)', async () => {
  for (const scenario of ['single-stream', 'multi-stream', 'server', 'offline'] as const) {
    const settings = resolveSettings(scenario, {});
    assert.is(settings.minDurationMs, 2000);
    const r = await runScenario(session, workload, settings, { device: 'ort:cpu' });
    assert.is(r.result, 'VALID', `${scenario}: ${r.validity.reasons.join('; ')}`);
  }
});

test('SingleStream: INVALID when an optional bound is unreachable or max duration cuts the run', async () => {
  const bound = await runScenario(session, workload, resolveSettings('single-stream', { ...quick, targetLatencyMs: 0.000001 }), {
    device: 'ort:cpu',
  });
  assert.is(bound.result, 'INVALID');
  assert.match(bound.validity.reasons.join('\n'), /latency constraint not met: p90 latency/);
  const cut = await runScenario(
    session,
    workload,
    resolveSettings('single-stream', { minDurationMs: 60_000, maxDurationMs: 100, warmupMs: 0, minQueryCount: 10 }),
    { device: 'ort:cpu' },
  );
  assert.is(cut.result, 'INVALID');
  const reasons = cut.validity.reasons.join('\n');
  assert.match(reasons, /min duration not met/);
  assert.match(reasons, /max duration 100\.000 ms stopped the run/);
  assert.ok(cut.validity.maxDurationReached);
});

test('MultiStream: INVALID with the queries early stopping still needs', async () => {
  const r = await runScenario(
    session,
    workload,
    resolveSettings('multi-stream', { minDurationMs: 0, maxDurationMs: 20_000, warmupMs: 0, minQueryCount: 100 }),
    { device: 'ort:cpu' },
  );
  assert.is(r.result, 'INVALID');
  assert.is(r.counts.queries, 100);
  assert.match(
    r.validity.reasons.join('\n'),
    /early stopping not met: only 100 queries processed; early stopping at p99 needs at least 662 \(562 more\)/,
  );
  assert.match(renderSummary(r), /Need to process at least 662 queries/);
});

test('Offline: VALID batch sweep; one query sized to cover min duration', async () => {
  for (const batchSize of [1, 4]) {
    const r = await runScenario(session, workload, resolveSettings('offline', { ...quick, batchSize }), { device: 'ort:cpu' });
    assert.is(r.result, 'VALID', `batch ${batchSize}: ${r.validity.reasons.join('; ')}`);
    assert.is(r.counts.queries, 1);
    assert.is(r.counts.samples, r.counts.samplesInQuery);
    assert.ok(r.times.finalQueryCompletedMs >= 200);
    assert.is(r.settings.batchSize, batchSize);
    assert.match(renderSummary(r), /Samples per second: \d+\.\d\d/);
  }
});

test('Offline: INVALID when max duration stops the query part-way', async () => {
  const r = await runScenario(session, workload, resolveSettings('offline', { minDurationMs: 5000, maxDurationMs: 50, warmupMs: 20 }), {
    device: 'ort:cpu',
  });
  assert.is(r.result, 'INVALID');
  const reasons = r.validity.reasons.join('\n');
  assert.match(reasons, /min duration not met/);
  assert.match(reasons, /samples were not all processed/);
});

test('a model with a fixed batch runs multi-sample queries as concurrent runs', async () => {
  const s = await device.open({ bytes: mlpModel().bytes });
  try {
    const w = buildWorkload(s, {
      name: 'mlp',
      count: 4,
      qslSeed: 1,
      flopsPerSample: null,
      precision: 'fp32',
      generate: (seed) => ({ X: { type: 'float32', dims: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => seed + i) } }),
    });
    assert.equal(w.batchInputs, []);
    const r = await runScenario(s, w, resolveSettings('multi-stream', { ...quick, samplesPerQuery: 4 }), { device: 'ort:cpu' });
    assert.is(r.batching, 'concurrent-runs');
    assert.is(r.result, 'VALID', r.validity.reasons.join('; '));
    assert.is(r.compute.effectiveTflops, null);
    assert.match(r.compute.note!, /not measured: FLOPs of a user model are unknown; pass --flops/);
  } finally {
    await s.close();
  }
});

test('a session that takes one run at a time never gets overlapping runs (Server queues, MultiStream serialises)', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const serial: Session = {
    inputs: session.inputs,
    outputs: session.outputs,
    concurrentRuns: false,
    run: async (feeds) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await session.run(feeds);
      } finally {
        inFlight--;
      }
    },
    close: async () => {},
  };
  const fixed: Workload = { ...workload, batchInputs: [] }; // as if the batch were fixed
  const server = await runScenario(
    serial,
    workload,
    resolveSettings('server', { ...quick, targetQps: 2000, targetLatencyMs: 5000, minQueryCount: 300 }),
    { device: 'test:serial' },
  );
  assert.ok(server.counts.queries >= 300 && server.counts.samples === server.counts.queries);
  const ms = await runScenario(serial, fixed, resolveSettings('multi-stream', { ...quick, minQueryCount: 20, minDurationMs: 0 }), {
    device: 'test:serial',
  });
  assert.is(ms.batching, 'sequential-runs');
  assert.is(ms.counts.samples, ms.counts.queries * 8);
  assert.is(maxInFlight, 1);
});

test('find-peak: bounded probes, each journaled, peak below the first INVALID rate', async () => {
  const journal = new Journal(join(dir, 'peak.jsonl'));
  const settings = resolveSettings('server', {
    minDurationMs: 100,
    warmupMs: 20,
    maxDurationMs: 5000,
    minQueryCount: 100,
    targetQps: 400,
    targetLatencyMs: 200,
  });
  const search = await findPeak(session, workload, settings, { device: 'ort:cpu', journal }, { maxProbes: 3 });
  journal.close();
  assert.ok(search.probes.length <= 3 && search.probes.length >= 1);
  assert.is(search.runs.length, search.probes.length);
  const { records } = readJournal(join(dir, 'peak.jsonl'));
  assert.is(records.filter((x) => x.type === 'bench.probe').length, search.probes.length);
  assert.is(records.filter((x) => x.type === 'bench.result').length, search.probes.length);
  if (search.peakQps !== null && search.firstInvalidQps !== null) assert.ok(search.peakQps < search.firstInvalidQps);
  if (search.best) assert.is(search.best.settings.targetQps, search.peakQps);
  // min query count 100 is below early stopping's 459, so every probe is INVALID and the search halves.
  assert.is(search.peakQps, null);
  assert.equal(
    search.probes.map((p) => p.qps),
    [400, 200, 100],
  );
});

test('effective compute: the host CPU has no catalog peak, and says so', async () => {
  const peak = lookUpPeak(await device.describe(), 'fp32');
  assert.is(peak.entry, null);
  const r = await runScenario(session, workload, resolveSettings('single-stream', quick), { device: 'ort:cpu', peak });
  assert.ok(r.compute.effectiveTflops! > 0);
  assert.is(r.compute.utilization, null);
  assert.match(r.compute.note!, /no catalog peak exists for the host CPU/);
  assert.is(r.power.measured, false);
});

test('effective compute against a catalog peak when the device name maps to an entry', async () => {
  // The name nvidia-smi printed on an H100 (test/fixtures/power/nvidia-smi-h100-query.csv).
  const described = await device.describe();
  const h100 = { ...described, id: 'ort:cuda:0', backend: { name: 'cuda', options: {} }, model: 'NVIDIA H100 80GB HBM3' };
  const peak = lookUpPeak(h100, 'fp32');
  assert.is(peak.entry, 'nvidia-h100-sxm');
  if (peak.entry === null) return;
  assert.ok(peak.tflops > 0 && /^https?:/.test(peak.source));
  const c = effectiveCompute({ flopsPerSample: 1e9, flopsSource: 'analytic', bytesPerSample: null }, 1000, peak); // 1 GFLOP per sample at 1000 samples/s = 1 TFLOP/s
  assert.is(c.effectiveTflops, 1);
  assert.ok(Math.abs(c.utilization! - 1 / peak.tflops) < 1e-12);
  assert.match(c.peakSource!, /^catalog nvidia-h100-sxm, fp32 peak/);
  const unknown = lookUpPeak({ ...h100, model: 'Some Future NPU' }, 'fp32');
  assert.is(unknown.entry, null);
});

test('the progress line is drawn only on a terminal, with elapsed time, queries and rate', async () => {
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const p = startProgress('bench', true, tty, 10);
  p.counters.startMs = performance.now();
  p.counters.queries = 5;
  p.counters.samples = 5;
  await new Promise((r) => setTimeout(r, 40));
  p.stop();
  assert.ok(
    written.some((w) => /bench: \d+\.\d s, 5 queries, [\d.]+ samples\/s now/.test(w)),
    written.join('|'),
  );
  const pipe = { isTTY: false, write: (s: string) => written.push(`pipe:${s}`) } as unknown as NodeJS.WriteStream;
  const q = startProgress('bench', true, pipe, 10);
  await new Promise((r) => setTimeout(r, 30));
  q.stop();
  assert.not.ok(written.some((w) => w.startsWith('pipe:')));
  const json = startProgress('bench', false, tty, 10); // --json: never drawn
  const before = written.length;
  await new Promise((r) => setTimeout(r, 30));
  json.stop();
  assert.is(written.length, before);
});

test('bad settings are input errors naming the field', () => {
  assert.throws(() => resolveSettings('warp-speed'), /scenario "warp-speed" is not one of/);
  assert.throws(() => resolveSettings('server', { targetQps: -1 }), /targetQps=-1/);
  assert.throws(() => resolveSettings('single-stream', { samplesPerQuery: 4 }), /one sample per query/);
  try {
    resolveSettings('offline', { batchSize: 0 });
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 2);
  }
});

test.run();

test('the SingleStream/MultiStream metric is the early-stopping estimate, or the observed percentile so named when too few queries ran', () => {
  // 1000 latencies of 1..1000 ms: LoadGen's estimate of p90 lies above the observed p90 (sorted[900] = 901 ms).
  const ms = Array.from({ length: 1000 }, (_, i) => i + 1);
  const es = percentileEarlyStopping(
    ms.map((x) => x * 1e6),
    0.9,
  );
  const m = scenarioMetric('single-stream', 0.9, 5, ms, es);
  assert.is(m.name, 'p90 latency, early-stopping estimate');
  assert.is(m.value, es.estimate! / 1e6);
  assert.ok(m.value! > 901, `estimate ${m.value} should exceed the observed p90`);
  // 10 queries: no estimate (LoadGen needs 64 at p90), so the observed p90 is reported and says so.
  const few = ms.slice(0, 10);
  const short = scenarioMetric('multi-stream', 0.9, 5, few, percentileEarlyStopping(few, 0.9));
  assert.match(short.name, /^p90 per-query latency, observed \(too few queries/);
  assert.is(short.value, 10);
  assert.is(scenarioMetric('offline', 0.9, 5, ms, null).value, 5);
});
