import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildCommercialization,
  evaluateCriterion,
  renderCommercializationMarkdown,
  type ProductInfo,
} from '../../reports/commercialization.js';
import { canonicalDigest, sha256Hex } from '../../reports/digest.js';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { makeReport } from './fixture.js';

const { report } = await makeReport();
const scenario = report.units.find((u) => u.kind === 'scenario')!;
const product: ProductInfo = {
  vendor: 'V',
  chip: 'C',
  sdk: { name: 'sdk', version: '1' },
  device: 'ort:cpu',
  system: {
    system_name: 's',
    number_of_nodes: '1',
    host_processor_model_name: 'cpu',
    accelerators_per_node: '1',
    accelerator_model_name: 'C',
    accelerator_memory_capacity: '16 GB',
    framework: 'sdk 1',
    operating_system: 'Linux',
  },
};

/** A baseline twice as fast as the run. */
function fasterBaseline(): RunReport {
  const b = JSON.parse(JSON.stringify(report)) as RunReport;
  const u = b.units.find((x) => x.id === scenario.id)! as { metrics: Record<string, number | null> };
  u.metrics.samples_per_second = (u.metrics.samples_per_second as number) * 2;
  return b;
}

test('verdicts: pass, fail and not-measured, each with evidence digests of the units', () => {
  const sps = scenario.metrics.samples_per_second as number;
  const pass = evaluateCriterion(
    { id: 'a', metric: 'samples_per_second', op: '>=', threshold: sps / 2, select: { kind: 'scenario' } },
    report,
    null,
    'ort:cpu',
  );
  assert.is(pass.verdict, 'pass');
  assert.equal(pass.evidence, [{ unit: scenario.id, digest: canonicalDigest(scenario), value: sps }]);
  const fail = evaluateCriterion({ id: 'b', metric: 'latency_p90_ms', op: '<=', threshold: 0 }, report, null, 'ort:cpu');
  assert.is(fail.verdict, 'fail');
  const none = evaluateCriterion({ id: 'c', metric: 'conformance_pass_rate_pct', op: '>=', threshold: 99 }, report, null, 'ort:cpu');
  assert.is(none.verdict, 'not-measured');
  const otherDevice = evaluateCriterion({ id: 'd', metric: 'samples_per_second', op: '>=', threshold: 0 }, report, null, 'ort:webgpu');
  assert.is(otherDevice.verdict, 'not-measured');
});

test('ratios against a baseline: relativeTo baseline and the performance section', () => {
  const baseline = fasterBaseline();
  const ratio = evaluateCriterion(
    { id: 'r', metric: 'samples_per_second', op: '>=', threshold: 0.9, relativeTo: 'baseline', select: { kind: 'scenario' } },
    report,
    baseline,
    'ort:cpu',
  );
  assert.is(ratio.verdict, 'fail');
  assert.ok(Math.abs(ratio.value! - 0.5) < 1e-9);
  const c = buildCommercialization({
    report,
    reportPath: 'report.json',
    reportSha256: sha256Hex('x'),
    product,
    criteria: [{ id: 'r', metric: 'samples_per_second', op: '>=', threshold: 0.9, relativeTo: 'baseline' }],
    criteriaSource: 'test',
    criteriaSha256: sha256Hex('c'),
    baseline,
    baselinePath: 'base.json',
    baselineSha256: sha256Hex('b'),
  });
  assert.equal(validate('commercialization-report', c), []);
  const w = c.performance.workloads.find((x) => x.metric === 'samples_per_second')!;
  assert.ok(Math.abs(w.ratio! - 0.5) < 1e-9);
  assert.is(w.better, false);
  assert.is(c.overall, 'fail');
  assert.is(c.scaling.measured, false);
  assert.ok(c.efficiency[0]!.notes.some((n) => /power was not measured/.test(n)));
  // No select: every unit on the device is looked at, but only those that measured the metric are
  // shown as its evidence in the Markdown.
  const verdictRow = renderCommercializationMarkdown(c)
    .split('\n')
    .find((l) => l.startsWith('| r: '))!;
  const others = report.units.filter((u) => u.device === 'ort:cpu' && u.metrics.samples_per_second == null);
  assert.ok(others.length > 0, 'the fixture has units without samples_per_second');
  assert.ok(verdictRow.includes(scenario.id));
  for (const u of others) assert.not.ok(verdictRow.includes(u.id), `${u.id} gave no value and is not evidence`);
});

test('the product description uses MLPerf field names and rejects unknown ones', () => {
  const c = buildCommercialization({
    report,
    reportPath: 'r',
    reportSha256: sha256Hex('x'),
    product,
    criteria: [],
    criteriaSource: 't',
    criteriaSha256: sha256Hex('c'),
    baseline: null,
    baselinePath: null,
    baselineSha256: null,
  });
  assert.equal(validate('commercialization-report', c), []);
  const bad = JSON.parse(JSON.stringify(c)) as { product: { system: Record<string, string> } };
  bad.product.system.accelerator_count = '8';
  delete bad.product.system.accelerators_per_node;
  const errors = validate('commercialization-report', bad);
  assert.ok(errors.includes('/product/system/accelerator_count: is not an allowed property'), errors.join('\n'));
  assert.ok(errors.includes('/product/system/accelerators_per_node: is required'), errors.join('\n'));
});

test.run();
