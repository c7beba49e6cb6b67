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
import { planUnits, resolveUnit } from '../../harness/run/plan.js';
import { registerWorkload, unregisterWorkload } from '../../harness/workloads/index.js';
import type { Workload } from '../../harness/workloads/types.js';
import { validate } from '../../reports/validate.js';
import { assembleReport } from '../../reports/assemble.js';
import { ModelStore } from '../../harness/run/models.js';
import { createDevice } from '../../devices/index.js';
import { writePlan } from '../../models/onnx/writer.js';
import { DEFAULT_SEED, zooPlan } from '../../models/zoo/index.js';
import type { Suite } from '../../harness/run/suite.js';
import { accuracyOutcome } from '../../harness/workloads/accuracy/index.js';
import { conformanceOutcome } from '../../harness/workloads/conformance/index.js';

test('planUnits: one unit per device, stable ids, "available", deviceKinds, no accuracy against itself, duplicates refused', () => {
  const suite: Suite = {
    name: 's',
    devices: 'available',
    units: [
      { kind: 'scenario', scenario: 'offline', model: 'tiny-bert', settings: { batch: 4 } },
      { kind: 'conformance', deviceKinds: ['ort'], filter: '^node/test_add' },
      { kind: 'accuracy', model: 'tiny-bert', reference: 'tfjs:wasm' },
      { kind: 'micro', devices: ['ort:cpu'], settings: { op: 'SwiGLU MLP' } },
    ],
  };
  const ids = planUnits(suite, ['ort:cpu', 'ort:webgpu', 'tfjs:wasm'], null).map((u) => u.id);
  assert.equal(ids, [
    'scenario:offline:tiny-bert:b4@ort:cpu',
    'scenario:offline:tiny-bert:b4@ort:webgpu',
    'scenario:offline:tiny-bert:b4@tfjs:wasm',
    'conformance:^node/test_add@ort:cpu',
    'conformance:^node/test_add@ort:webgpu',
    'accuracy:tiny-bert~tfjs:wasm@ort:cpu',
    'accuracy:tiny-bert~tfjs:wasm@ort:webgpu',
    'micro:swiglu-mlp@ort:cpu',
  ]);
  assert.throws(() => planUnits({ name: 'd', units: [{ kind: 'micro' }, { kind: 'micro' }] }, [], ['ort:cpu']), /twice/);
});

test('accuracy: the worst value over all outputs is reported (min cosine, max errors)', () => {
  const out = (name: string, cos: number, abs: number) => ({
    name,
    type: 'float32',
    dims: [1],
    minCosine: cos,
    meanCosine: cos,
    maxAbsError: abs,
    maxRelError: abs,
    nonFinite: 0,
    topK: null,
  });
  const r = {
    schema: 'npuval.accuracy/1',
    model: 'm',
    device: 'ort:cpu',
    reference: 'tfjs:wasm',
    samples: 1,
    seed: 0,
    dims: {},
    outputs: [out('a', 0.99, 1e-3), out('b', 0.5, 2e-3), out('c', 0.98, 1e-4)],
    generation: null,
    generationNote: null,
    criteria: { minCosine: 0.9, maxAbsError: null, maxRelError: null, minTop1: null, minTop5: null, minTokenAgreement: null },
    checks: [{ name: 'minCosine', value: 0.5, threshold: 0.9, pass: false }],
    pass: false,
  } as unknown as AccuracyResult;
  const o = accuracyOutcome(r);
  assert.is(o.metrics.cosine_similarity_min, 0.5);
  assert.is(o.metrics.max_abs_error, 2e-3);
  assert.is(o.status, 'fail');
  assert.is(o.validity.valid, false);
  assert.match(o.validity.reasons[0]!, /^minCosine: 0\.5/);
});

test('conformance: pass rate over cases that ran, filtered cases counted but not listed, op coverage', () => {
  const c = (id: string, status: string, cause: string | null, ops: string[]) => ({
    id,
    suite: 'node',
    status,
    cause,
    reason: cause,
    ops,
    nodeOps: ops,
    opset: 13,
    irVersion: 8,
    dataSets: 1,
    mismatch: null,
    ms: 1,
  });
  const run = {
    device: 'ort:cpu',
    deviceClass: 'cpu',
    runtime: 'ort',
    sessionOptions: {},
    wallMs: 10,
    counts: { pass: 2, fail: 1, unsupported: 1, error: 0, skipped: 3 },
    cases: [
      c('a', 'pass', null, ['Add']),
      c('b', 'pass', null, ['Mul']),
      c('c', 'fail', 'tolerance', ['Mul']),
      c('d', 'unsupported', 'type', ['Cast']),
      c('e', 'skipped', 'filtered', ['X']),
      c('f', 'skipped', 'filtered', ['X']),
      c('g', 'skipped', 'incomplete-data', ['Y']),
    ],
    matrix: [
      { op: 'Add', counts: { pass: 1, fail: 0, unsupported: 0, error: 0, skipped: 0 }, verdict: 'pass' },
      { op: 'Mul', counts: { pass: 1, fail: 1, unsupported: 0, error: 0, skipped: 0 }, verdict: 'fail' },
      { op: 'Cast', counts: { pass: 0, fail: 0, unsupported: 1, error: 0, skipped: 0 }, verdict: 'unsupported' },
      { op: 'X', counts: { pass: 0, fail: 0, unsupported: 0, error: 0, skipped: 2 }, verdict: 'skipped' },
    ],
  };
  const r = {
    schema: 'npuval.conformance/1',
    roots: ['/x'],
    filter: '^a',
    isolate: false,
    timeoutS: 60,
    tolerances: { profiles: [], overrides: [] },
    runs: [run],
    diff: null,
  } as unknown as ConformanceResult;
  const o = conformanceOutcome(r);
  assert.is(o.metrics.conformance_cases, 5);
  assert.is(o.metrics.conformance_pass_rate_pct, 50);
  assert.ok(Math.abs(o.metrics.op_coverage_pct! - 200 / 3) < 1e-9);
  assert.is(o.status, 'fail');
  assert.equal(
    (o.result!.cases as { name: string }[]).map((x) => x.name),
    ['a', 'b', 'c', 'd', 'g'],
  );
});

test('scenario settings: declared keys resolve with defaults, batch is the offline batch size, a typo or a bad value is bad input', () => {
  const plan = (settings: Record<string, unknown>, scenario: 'offline' | 'single-stream' = 'offline') =>
    planUnits({ name: 's', units: [{ kind: 'scenario', scenario, model: 'tiny-bert', settings }] }, [], ['ort:cpu']).map((u) =>
      resolveUnit(u, 1),
    )[0]!;
  const p = plan({ batch: 4, minDurationMs: 10, dims: { sequence_length: 8 } }).params as unknown as {
    loadgen: { batchSize: number; minDurationMs: number; warmupMs: number };
  };
  assert.equal([p.loadgen.batchSize, p.loadgen.minDurationMs, p.loadgen.warmupMs], [4, 10, 500]);
  const refused = (settings: Record<string, unknown>, pattern: RegExp, scenario?: 'single-stream') => {
    try {
      plan(settings, scenario);
      assert.unreachable();
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
      assert.match((err as Error).message, pattern);
    }
  };
  refused({ minDuration: 10 }, /unit scenario:offline:tiny-bert@ort:cpu: setting "minDuration" is not one of minDurationMs, /);
  refused({ batch: 0 }, /setting "batch" must be an integer ≥ 1/);
  refused({ batch: 2 }, /setting "batch" applies to the offline scenario only/, 'single-stream');
  refused({ qslSize: 1 }, /not one of/);
  refused({ minDurationMs: 5000, maxDurationMs: 100 }, /setting "minDurationMs" \(5000 ms\) is longer than maxDurationMs \(100 ms\)/);
});

test('environment: variables that change results are recorded, secrets never', () => {
  const v = resultVariables({
    OMP_NUM_THREADS: '2',
    VK_ICD_FILENAMES: '/x.json',
    ORT_LOG: '1',
    HF_TOKEN: 's',
    ORT_API_KEY: 's',
    HOME: '/root',
    NPUVAL_SECRET: 'x',
  });
  assert.equal(v, { OMP_NUM_THREADS: '2', ORT_LOG: '1', VK_ICD_FILENAMES: '/x.json' });
});

test('a throwaway workload registers as one module: planned, checked, run, schema-valid in the report; exit 3 inside a unit is a skip', async () => {
  const SETTINGS = { times: { type: 'integer', default: 2, min: 1, max: 10, flag: 'times', doc: 'How often to echo' } } as const;
  const echo: Workload<typeof SETTINGS> = {
    kind: 'echo',
    summary: 'echoes its setting',
    settings: SETTINGS,
    fields: {},
    needsDevice: true,
    name: () => 'echo',
    title: () => 'echo',
    resolve: (unit, settings) => ({ unit, settings }),
    needs: () => ({ models: [], devices: [] }),
    async run(p, ctx) {
      if (ctx.device?.id === 'tfjs:cpu') throw new EnvironmentError('the echo launcher needs slurm, which is not installed');
      return {
        status: 'pass',
        validity: { valid: null, checks: [], reasons: [] },
        metrics: { query_count: p.settings.times },
        notes: [],
        result: { kind: 'echo', said: 'x'.repeat(p.settings.times) },
      };
    },
    resultSchema: { type: 'object', properties: { said: { type: 'string' } }, required: ['said'], additionalProperties: false },
    headline: ['query_count'],
  };
  registerWorkload(echo);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'npuval-units-'));
    const suitePath = join(dir, 'suite.json');
    writeFileSync(
      suitePath,
      JSON.stringify({
        name: 'kinds',
        devices: ['ort:cpu', 'tfjs:cpu'],
        units: [
          { kind: 'echo', settings: { times: 3 } },
          { kind: 'micro', devices: ['ort:cpu'], settings: { iterations: 5 } },
        ],
      }),
    );
    const r = await runSuite({ suite: suitePath, outDir: join(dir, 'out'), argv: [], log: () => {}, signal: new AbortController().signal });
    const unit = r.state.finished.get('echo@ort:cpu')!;
    assert.is(unit.status, 'pass');
    assert.equal(unit.result, { kind: 'echo', said: 'xxx' });
    assert.equal(unit.headline, ['query_count']);
    const skipped = r.state.finished.get('echo@tfjs:cpu')!;
    assert.is(skipped.status, 'skipped');
    assert.is(skipped.error, null);
    assert.match(skipped.notes[0]!, /^not run here: the echo launcher needs slurm/);
    assert.is(r.state.finished.get('micro:probe@ort:cpu')!.status, 'pass');
    const report = assembleReport(r.state, { finishedAt: new Date().toISOString(), artifacts: [] });
    assert.equal(validate('run-report', report), []);
    // The result schema is the workload's: a wrong result fails validation.
    const bad = JSON.parse(JSON.stringify(report));
    bad.units.find((u: { id: string }) => u.id === 'echo@ort:cpu').result.said = 3;
    assert.ok(
      validate('run-report', bad).some((e) => e.includes('/units/0/result/said')),
      validate('run-report', bad).join('\n'),
    );
    // The recorded settings are exactly the declared ones, defaults filled in; anything else fails validation.
    assert.equal(unit.settings, { times: 3 });
    const tampered = JSON.parse(JSON.stringify(report));
    const echoUnit = tampered.units.find((u: { id: string }) => u.id === 'echo@ort:cpu');
    echoUnit.settings.bogus = 1;
    echoUnit.settings.times = 'lots';
    const problems = validate('run-report', tampered);
    assert.ok(
      problems.some((e) => e.includes('/settings/bogus')) && problems.some((e) => e.includes('/settings/times')),
      problems.join('\n'),
    );
    // The suite schema checks the declared settings.
    assert.ok(validate('suite', { name: 'x', units: [{ kind: 'echo', settings: { times: 11 } }] }).length > 0);
    writeFileSync(suitePath, JSON.stringify({ name: 'kinds', devices: ['ort:cpu'], units: [{ kind: 'echo', settings: { time: 3 } }] }));
    try {
      await runSuite({ suite: suitePath, outDir: join(dir, 'typo'), argv: [], log: () => {}, signal: new AbortController().signal });
      assert.unreachable();
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
    }
  } finally {
    unregisterWorkload('echo');
  }
  assert.ok(validate('suite', { name: 'x', units: [{ kind: 'echo' }] }).length > 0, 'an unregistered kind is refused');
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
