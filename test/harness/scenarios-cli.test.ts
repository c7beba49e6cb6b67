// `npuval bench` end to end through the built CLI: --json prints only JSON, --out gets the
// journal, the reports and the unit's summary.txt and MLPerf logs; INVALID exits 1; bad flags exit 2.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { npuval } from '../helpers/cli.js';
import { readJournal } from '../../harness/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-bench-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('bench --json: one JSON document on stdout, and the files in --out', () => {
  const out = join(dir, 'ss');
  const r = npuval(
    'bench',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-bert',
    '--scenario',
    'single-stream',
    '--min-duration',
    '0.2',
    '--warmup',
    '0.05',
    '--json',
    '--out',
    out,
  );
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const doc = JSON.parse(r.stdout) as { results: { result: string; scenario: string; power: { measured: boolean } }[] };
  assert.is(doc.results.length, 1);
  assert.is(doc.results[0]!.result, 'VALID');
  assert.is(doc.results[0]!.power.measured, false); // no sampler works on this machine, and the result says so
  // bench is a one-unit suite: the LoadGen summary is the unit's artifact, beside the run's reports.
  const unit = join(out, 'units', 'scenario_single-stream_tiny-bert_ort_cpu');
  assert.match(readFileSync(join(unit, 'summary.txt'), 'utf8'), /Scenario : SingleStream\nMode {5}: PerformanceOnly/);
  // LoadGen's three logs under LoadGen's names (their formats: test/scenarios/mlperf-logs.test.ts), npuval's figures beside them.
  assert.match(
    readFileSync(join(unit, 'mlperf_log_summary.txt'), 'utf8'),
    /\n90\.0th percentile latency \(ns\) : \d+\nResult is : VALID\n[\s\S]*\n \* Early stopping 90\.0th percentile estimate: \d+\n/,
  );
  const detail = readFileSync(join(unit, 'mlperf_log_detail.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l.replace(/^:::MLLOG /, '')) as { key: string; value: unknown });
  assert.is(detail.find((m) => m.key === 'result_validity')!.value, 'VALID');
  assert.type(detail.find((m) => m.key === 'early_stopping_latency_ss')!.value, 'number');
  assert.equal(JSON.parse(readFileSync(join(unit, 'mlperf_log_accuracy.json'), 'utf8')), []);
  assert.match(readFileSync(join(unit, 'npuval_summary.txt'), 'utf8'), /MLPerf result \(early_stopping_latency_ss\) : \d+ ns/);
  for (const f of ['report.json', 'report.md', 'report.html', 'junit.xml', 'results.csv']) assert.ok(existsSync(join(out, f)), f);
  const types = readJournal(join(out, 'journal.jsonl')).records.map((x) => x.type);
  assert.equal([types[0], types.at(-1)], ['run-start', 'run-end']);
  assert.ok(types.includes('bench.queries'));
});

test('an INVALID run exits 1 and lists its reasons', () => {
  const r = npuval(
    'bench',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-bert',
    '--scenario',
    'server',
    '--qps',
    '500',
    '--latency-bound',
    '0.000001',
    '--min-duration',
    '0.1',
    '--min-queries',
    '100',
    '--warmup',
    '0.05',
    '--out',
    join(dir, 'server'),
  );
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /Server INVALID:/);
  assert.match(r.stdout, /latency constraint not met/);
  assert.match(r.stdout, /early stopping not met/);
});

test('bad bench flags exit 2 with one sentence', () => {
  const peak = npuval(
    'bench',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-bert',
    '--scenario',
    'single-stream',
    '--find-peak',
    '--out',
    join(dir, 'x'),
  );
  assert.is(peak.status, 2);
  assert.match(peak.stderr, /--find-peak applies to the server scenario only/);
  const model = npuval('bench', '--device', 'ort:cpu', '--model', 'no-such-model', '--out', join(dir, 'y'));
  assert.is(model.status, 2);
  const batch = npuval(
    'bench',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-bert',
    '--scenario',
    'offline',
    '--batch',
    '1,x',
    '--out',
    join(dir, 'z'),
  );
  assert.is(batch.status, 2);
  assert.match(batch.stderr, /--batch 1,x is not a comma-separated list/);
});

test('bench --micro times the ops at zoo shapes', () => {
  const r = npuval(
    'bench',
    '--device',
    'ort:cpu',
    '--micro',
    '--micro-llama',
    'tiny-llama',
    '--micro-resnet',
    'tiny-resnet',
    '--micro-tokens',
    '4',
    '--micro-time',
    '20',
    '--json',
    '--out',
    join(dir, 'micro'),
  );
  assert.is(r.status, 0, r.stderr);
  const { micro } = JSON.parse(r.stdout) as { micro: { name: string; flops: number; meanMs: number; flopsPerSecond: number }[] };
  assert.equal(
    micro.map((m) => m.name),
    ['MatMul', 'RMSNorm', 'SwiGLU MLP', 'Attention block', 'Conv 3×3'],
  );
  for (const m of micro)
    assert.ok(m.flops > 0 && m.meanMs > 0 && Math.abs(m.flopsPerSecond - m.flops / (m.meanMs / 1000)) < 1e-6 * m.flopsPerSecond);
});

test('npuval micro --probe: the per-call overhead as a one-unit suite; an op setting without an op is refused', () => {
  const r = npuval('micro', '--device', 'ort:cpu', '--probe', '--json', '--out', join(dir, 'probe'));
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { summary: { units: number; pass: number }; micro: unknown[] };
  assert.equal([doc.summary.units, doc.summary.pass, doc.micro.length], [1, 1, 0]);
  const report = JSON.parse(readFileSync(join(dir, 'probe', 'report.json'), 'utf8')) as {
    units: { id: string; metrics: Record<string, number> }[];
  };
  assert.is(report.units[0]!.id, 'micro:probe@ort:cpu');
  assert.ok(report.units[0]!.metrics.latency_p50_ms! > 0);
  const bad = npuval('micro', '--device', 'ort:cpu', '--probe', '--micro-time', '5', '--out', join(dir, 'probe-bad'));
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /setting "timeMs" applies only with an op/);
  assert.not.ok(existsSync(join(dir, 'probe-bad')), 'a command refused while planning leaves no folder');
});

test.run();
