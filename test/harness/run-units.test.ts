import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccuracyResult } from '../../harness/accuracy/index.js';
import type { ConformanceResult } from '../../harness/conformance/index.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../../harness/errors.js';
import { resultVariables } from '../../harness/run/environment.js';
import { runSuite } from '../../harness/run/orchestrate.js';
import { UNIT_EXECUTORS } from '../../harness/run/units/index.js';
import { planUnits } from '../../harness/run/plan.js';
import { ModelStore } from '../../harness/run/models.js';
import { createDevice } from '../../devices/registry.js';
import { writePlan } from '../../models/onnx/writer.js';
import { DEFAULT_SEED, zooPlan } from '../../models/zoo/index.js';
import type { Suite } from '../../harness/run/suite.js';
import { accuracyOutcome } from '../../harness/run/units/accuracy.js';
import { conformanceOutcome } from '../../harness/run/units/conformance.js';
import { scenarioOverrides } from '../../harness/run/units/scenario.js';

test('planUnits: one unit per device, stable ids, "available", deviceKinds, no accuracy against itself, duplicates refused', () => {
  const suite: Suite = {
    name: 's', devices: 'available',
    units: [
      { kind: 'scenario', scenario: 'offline', model: 'tiny-bert', settings: { batch: 4 } },
      { kind: 'conformance', deviceKinds: ['ort'], filter: '^node/test_add' },
      { kind: 'accuracy', model: 'tiny-bert', reference: 'tfjs:wasm' },
      { kind: 'micro', devices: ['ort:cpu'], settings: { op: 'SwiGLU MLP' } },
    ],
  };
  const ids = planUnits(suite, ['ort:cpu', 'ort:webgpu', 'tfjs:wasm'], null).map((u) => u.id);
  assert.equal(ids, [
    'scenario:offline:tiny-bert:b4@ort:cpu', 'scenario:offline:tiny-bert:b4@ort:webgpu', 'scenario:offline:tiny-bert:b4@tfjs:wasm',
    'conformance:^node/test_add@ort:cpu', 'conformance:^node/test_add@ort:webgpu',
    'accuracy:tiny-bert~tfjs:wasm@ort:cpu', 'accuracy:tiny-bert~tfjs:wasm@ort:webgpu',
    'micro:swiglu-mlp@ort:cpu',
  ]);
  assert.throws(() => planUnits({ name: 'd', units: [{ kind: 'micro' }, { kind: 'micro' }] }, [], ['ort:cpu']), /twice/);
});

test('accuracy: the worst value over all outputs is reported (min cosine, max errors)', () => {
  const out = (name: string, cos: number, abs: number) => ({ name, type: 'float32', dims: [1], minCosine: cos, meanCosine: cos, maxAbsError: abs, maxRelError: abs, nonFinite: 0, topK: null });
  const r = {
    schema: 'npuval.accuracy/1', model: 'm', device: 'ort:cpu', reference: 'tfjs:wasm', samples: 1, seed: 0, dims: {},
    outputs: [out('a', 0.99, 1e-3), out('b', 0.5, 2e-3), out('c', 0.98, 1e-4)],
    generation: null, generationNote: null,
    criteria: { minCosine: 0.9, maxAbsError: null, maxRelError: null, minTop1: null, minTop5: null, minTokenAgreement: null },
    checks: [{ name: 'minCosine', value: 0.5, threshold: 0.9, pass: false }], pass: false,
  } as unknown as AccuracyResult;
  const o = accuracyOutcome(r, {});
  assert.is(o.metrics.cosine_similarity_min, 0.5);
  assert.is(o.metrics.max_abs_error, 2e-3);
  assert.is(o.status, 'fail');
  assert.is(o.validity.valid, false);
  assert.match(o.validity.reasons[0]!, /^minCosine: 0\.5/);
});

test('conformance: pass rate over cases that ran, filtered cases counted but not listed, op coverage', () => {
  const c = (id: string, status: string, cause: string | null, ops: string[]) => ({ id, suite: 'node', status, cause, reason: cause, ops, nodeOps: ops, opset: 13, irVersion: 8, dataSets: 1, mismatch: null, ms: 1 });
  const run = {
    device: 'ort:cpu', deviceClass: 'cpu', runtime: 'ort', sessionOptions: {}, wallMs: 10,
    counts: { pass: 2, fail: 1, unsupported: 1, error: 0, skipped: 3 },
    cases: [c('a', 'pass', null, ['Add']), c('b', 'pass', null, ['Mul']), c('c', 'fail', 'tolerance', ['Mul']), c('d', 'unsupported', 'type', ['Cast']),
      c('e', 'skipped', 'filtered', ['X']), c('f', 'skipped', 'filtered', ['X']), c('g', 'skipped', 'incomplete-data', ['Y'])],
    matrix: [
      { op: 'Add', counts: { pass: 1, fail: 0, unsupported: 0, error: 0, skipped: 0 }, verdict: 'pass' },
      { op: 'Mul', counts: { pass: 1, fail: 1, unsupported: 0, error: 0, skipped: 0 }, verdict: 'fail' },
      { op: 'Cast', counts: { pass: 0, fail: 0, unsupported: 1, error: 0, skipped: 0 }, verdict: 'unsupported' },
      { op: 'X', counts: { pass: 0, fail: 0, unsupported: 0, error: 0, skipped: 2 }, verdict: 'skipped' },
    ],
  };
  const r = { schema: 'npuval.conformance/1', roots: ['/x'], filter: '^a', isolate: false, timeoutS: 60, tolerances: { profiles: [], overrides: [] }, runs: [run], diff: null } as unknown as ConformanceResult;
  const o = conformanceOutcome(r, {});
  assert.is(o.metrics.conformance_cases, 5);
  assert.is(o.metrics.conformance_pass_rate_pct, 50);
  assert.ok(Math.abs(o.metrics.op_coverage_pct! - 200 / 3) < 1e-9);
  assert.is(o.status, 'fail');
  assert.equal((o.result!.cases as { name: string }[]).map((x) => x.name), ['a', 'b', 'c', 'd', 'g']);
});

test('scenario settings: known keys pass through, batch maps to batchSize, a typo is bad input', () => {
  assert.equal(scenarioOverrides('u', { batch: 4, minDurationMs: 10, dims: { sequence_length: 8 } }), { overrides: { batchSize: 4, minDurationMs: 10 }, dims: { sequence_length: 8 } });
  try {
    scenarioOverrides('u', { minDuration: 10 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 2);
    assert.match((err as Error).message, /setting "minDuration" is not one of/);
  }
});

test('environment: variables that change results are recorded, secrets never', () => {
  const v = resultVariables({ OMP_NUM_THREADS: '2', VK_ICD_FILENAMES: '/x.json', ORT_LOG: '1', HF_TOKEN: 's', ORT_API_KEY: 's', HOME: '/root', NPUVAL_SECRET: 'x' });
  assert.equal(v, { OMP_NUM_THREADS: '2', ORT_LOG: '1', VK_ICD_FILENAMES: '/x.json' });
});

test('a unit kind without a runner is skipped; a unit failing for lack of something here is skipped with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-units-'));
  const suitePath = join(dir, 'suite.json');
  writeFileSync(suitePath, JSON.stringify({ name: 'kinds', devices: ['ort:cpu'], units: [{ kind: 'cluster' }, { kind: 'micro', settings: { iterations: 5 } }] }));
  const run = () => runSuite({ suite: suitePath, outDir: join(dir, String(Math.random())), argv: [], log: () => {}, signal: new AbortController().signal });
  let r = await run();
  let cluster = r.state.finished.get('cluster@ort:cpu')!;
  assert.is(cluster.status, 'skipped');
  assert.match(cluster.notes[0]!, /no runner for "cluster" units/);
  // The cluster module does not exist yet; this stand-in fails the way a missing system package does (exit 3).
  UNIT_EXECUTORS.cluster = async () => {
    throw new EnvironmentError('the cluster launcher needs slurm, which is not installed');
  };
  try {
    r = await run();
  } finally {
    delete UNIT_EXECUTORS.cluster;
  }
  cluster = r.state.finished.get('cluster@ort:cpu')!;
  assert.is(cluster.status, 'skipped');
  assert.is(cluster.error, null);
  assert.match(cluster.notes[0]!, /^not run here: the cluster launcher needs slurm/);
  assert.is(r.state.finished.get('micro:probe@ort:cpu')!.status, 'pass');
});

test('a model file with external data is opened by path and digested with its data file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-store-'));
  const path = join(dir, 'm.onnx');
  writePlan(zooPlan('tiny-llama'), DEFAULT_SEED, path, { external: true });
  const { model, entry } = new ModelStore(DEFAULT_SEED).load(path);
  assert.equal(model.source, { path });
  const both = Buffer.concat([readFileSync(path), readFileSync(`${path}.data`)]);
  assert.is(entry.sha256, createHash('sha256').update(both).digest('hex'));
  assert.is(entry.bytes, both.length);
  const session = await createDevice('ort:cpu').open(model.source);
  assert.ok(session.outputs.some((o) => o.name === 'logits'));
  await session.close();
});

test.run();
