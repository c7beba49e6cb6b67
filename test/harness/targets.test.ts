import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateTargets, loadTargets, targetForDate, validateTargets, DEFAULT_PRECISION } from '../../harness/targets.js';
import targetsJson from '../../seeds/targets.json' with { type: 'json' };
import targetsSchema from '../../seeds/targets.schema.json' with { type: 'json' };
import { deps, systemTest } from '../helpers/system.js';

type Err = Error & { exitCode?: number };
const clone = (): Record<string, unknown> & { computeTargets: Record<string, unknown>[] } => JSON.parse(JSON.stringify(targetsJson));
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

test('the seed targets validate against their schema', () => {
  const r = validateTargets(targetsJson);
  assert.equal(r.errors, []);
  const t = loadTargets();
  const npu = t.computeTargets.find((c) => c.id === 'npu-validation-testbed')!;
  assert.equal(
    npu.milestones.map((m) => [m.year, m.pf]),
    [
      [2025, 50],
      [2027, 120],
    ],
  );
  assert.is(npu.precisionStated, false);
  assert.ok(npu.unstated.some((u) => u.includes('precision')));
});

test('the seed records the programme figures of the brief', () => {
  const t = loadTargets();
  const count = (id: string) => t.deviceCounts.find((d) => d.id === id);
  assert.is(count('wbl-h100')!.count, 1000);
  assert.is(count('wbl-b200')!.count, 1000);
  assert.is(count('wbl-b200')!.qualifier, 'at-least');
  assert.is(count('hpc-support-h100')!.count, 600);
  assert.is(count('national-centre-2025')!.count, 10000);
  assert.is(count('short-term-total-2026h1')!.count, 18000);
  assert.is(count('supercomputer-6')!.count, 8500);
  assert.is(count('supercomputer-6')!.catalogId, 'nvidia-gh200');
  assert.is(t.shares[0]!.fraction, 0.5);
  assert.ok(t.discrepancies.some((d) => d.about === 'supercomputer-6'));
});

test('made-up fields, a missing quote and a stated precision are rejected', () => {
  const a = clone();
  a.computeTargets[0]!.guess = 1;
  assert.not.ok(validateTargets(a).valid);
  const b = clone();
  delete (b.computeTargets[0]!.provenance as Record<string, unknown>[])[0]!.quote;
  assert.not.ok(validateTargets(b).valid);
  const c = clone();
  c.computeTargets[0]!.precisionStated = true;
  assert.not.ok(validateTargets(c).valid);
  const d = clone();
  (d.computeTargets[0]!.milestones as Record<string, unknown>[]).reverse();
  assert.ok(validateTargets(d).errors.some((e) => e.includes('increasing date order')));
  assert.throws(
    () => loadTargets(d),
    (e: Err) => e.exitCode === 2,
  );
});

test('target for a date: clamped before 2025, linear between, clamped after 2027 (hand-computed)', () => {
  // 2025-01-01 → 2027-01-01 is 730 days; 2026-01-01 is day 365, exactly half way: 50 + 70/2 = 85.
  const mid = targetForDate('2026-01-01');
  close(mid.pf, 85, '2026-01-01');
  assert.is(mid.rule, 'interpolated');
  // 2025-07-02 is day 182: 50 + 70 × 182/730 = 67.452054794520...
  close(targetForDate('2025-07-02').pf, 50 + (70 * 182) / 730, '2025-07-02');
  // 2026-07-02 is day 365 + 182 = 547: 50 + 70 × 547/730 = 102.452054794520...
  close(targetForDate('2026-07-02').pf, 50 + (70 * 547) / 730, '2026-07-02');
  const before = targetForDate('2024-12-31');
  assert.is(before.pf, 50);
  assert.is(before.rule, 'before-first-milestone');
  const first = targetForDate('2025-01-01');
  assert.is(first.pf, 50);
  assert.is(first.rule, 'at-milestone');
  const last = targetForDate('2027-01-01');
  assert.is(last.pf, 120);
  assert.is(last.rule, 'at-milestone');
  const after = targetForDate('2030-06-30');
  assert.is(after.pf, 120);
  assert.is(after.rule, 'after-last-milestone');
  assert.match(after.explanation, /2027 figure/);
  assert.is(after.precisionStated, false);
});

test('bad dates and unknown targets are bad input (exit 2)', () => {
  for (const d of ['2026-13-01', '2026-02-30', '26-01-01', 'tomorrow']) {
    assert.throws(
      () => targetForDate(d),
      (e: Err) => e.exitCode === 2 && e.message.includes(d),
      d,
    );
  }
  assert.throws(
    () => targetForDate('2026-01-01', 'nosuch'),
    (e: Err) => e.exitCode === 2 && e.message.includes('npu-validation-testbed'),
  );
});

test('fleet evaluation: peak, effective, fraction and devices to close the gap (hand-checked)', () => {
  // 100 RNGD (BF16 256 TFLOPS catalog, 128 measured) + 200 ATOM (FP16 32 TFLOPS catalog, no measurement), on 2026-01-01 (target 85 PF).
  const r = evaluateTargets({
    date: '2026-01-01',
    fleet: [
      { catalogId: 'furiosa-rngd', count: 100, measuredTflopsPerDevice: 128, measurementSource: 'run-42/report.json' },
      { catalogId: 'rebellions-atom', count: 200 },
    ],
  });
  assert.is(r.inputs.precision, DEFAULT_PRECISION);
  assert.is(r.inputs.precisionDefaulted, true);
  assert.match(r.inputs.precisionReason, /does not name the precision/);
  assert.is(r.inputs.sparsity, 'dense');
  close(r.target.pf, 85, 'target');
  // Peak: 100 × 256 + 200 × 32 = 25,600 + 6,400 TFLOPS = 32 PF.
  close(r.totals.peakPf, 32, 'peak PF');
  assert.is(r.fleet[0]!.peak.precision, 'bf16');
  assert.is(r.fleet[1]!.peak.precision, 'fp16', 'ATOM publishes FP16 only');
  assert.is(r.fleet[0]!.peak.origin, 'catalog');
  assert.ok(r.fleet[0]!.peak.source);
  assert.is(r.fleet[0]!.measurementSource, 'run-42/report.json');
  // Effective: 100 × 128 = 12.8 PF; utilisation 128/256 = 0.5.
  close(r.totals.effectivePf!, 12.8, 'effective PF');
  close(r.fleet[0]!.utilization!, 0.5, 'utilization');
  assert.equal(r.totals.withoutMeasurement, ['rebellions-atom']);
  close(r.fractionOfTarget.peak, 32 / 85, 'fraction peak');
  close(r.fractionOfTarget.effective!, 12.8 / 85, 'fraction effective');
  // Gap by peak 53 PF: RNGD 53,000/256 = 207.03 → 208; ATOM 53,000/32 = 1,656.25 → 1,657.
  close(r.gapPf.peak, 53, 'gap peak');
  assert.equal(
    r.toCloseGap.byPeak.map((g) => [g.catalogId, g.additionalDevices]),
    [
      ['furiosa-rngd', 208],
      ['rebellions-atom', 1657],
    ],
  );
  // Gap by measured 72.2 PF: RNGD 72,200/128 = 564.06 → 565; ATOM has no measured rate.
  close(r.gapPf.effective!, 72.2, 'gap effective');
  assert.is(r.toCloseGap.byMeasured[0]!.additionalDevices, 565);
  assert.is(r.toCloseGap.byMeasured[1]!.additionalDevices, null);
  assert.ok(r.toCloseGap.byMeasured[1]!.reason);
});

test('an exact fit needs no extra device and a surplus needs none', () => {
  // 2027 target 120 PF. 470 RNGD × 256 = 120.32 PF ≥ 120: no gap.
  const over = evaluateTargets({ date: '2028-01-01', fleet: [{ catalogId: 'furiosa-rngd', count: 470 }] });
  assert.is(over.gapPf.peak, 0);
  assert.is(over.toCloseGap.byPeak[0]!.additionalDevices, 0);
  assert.ok(over.fractionOfTarget.peak > 1);
  // 2025 target 50 PF, at FP8: 25 REBEL-Quad × 2,000 = 50 PF exactly → gap 0. 24 of them leave 2 PF = 1 more device exactly.
  const exact = evaluateTargets({ date: '2025-01-01', precision: 'fp8', fleet: [{ catalogId: 'rebellions-rebel-quad', count: 24 }] });
  close(exact.gapPf.peak, 2, 'gap');
  assert.is(exact.toCloseGap.byPeak[0]!.additionalDevices, 1);
  assert.is(exact.inputs.precisionDefaulted, false);
});

test('precision and sparsity change the count and are recorded; unknown peaks are listed, not guessed', () => {
  const fleet = [
    { catalogId: 'nvidia-h100-sxm', count: 1000 },
    { catalogId: 'mobilint-aries', count: 10 },
  ];
  const dense = evaluateTargets({ date: '2026-01-01', precision: 'fp8', fleet });
  const sparse = evaluateTargets({ date: '2026-01-01', precision: 'fp8', sparse: true, fleet });
  close(dense.totals.peakPf, 1978.9, 'dense fp8 PF');
  close(sparse.totals.peakPf, 3957.8, 'sparse fp8 PF');
  assert.is(sparse.inputs.sparsity, 'sparse');
  assert.equal(dense.totals.withoutPeak, ['mobilint-aries']);
  assert.is(dense.toCloseGap.byPeak[1]!.additionalDevices, 0, 'no gap left, so none needed');
  const small = evaluateTargets({ date: '2026-01-01', fleet: [{ catalogId: 'mobilint-aries', count: 10 }] });
  assert.is(small.totals.peakPf, 0);
  assert.is(small.toCloseGap.byPeak[0]!.additionalDevices, null);
  assert.ok(small.notes.some((n) => n.includes('mobilint-aries')));
});

test('bad fleets are bad input (exit 2)', () => {
  const bad: Parameters<typeof evaluateTargets>[0][] = [
    { date: '2026-01-01', fleet: [] },
    { date: '2026-01-01', fleet: [{ catalogId: 'nvidia-h999', count: 1 }] },
    { date: '2026-01-01', fleet: [{ catalogId: 'furiosa-rngd', count: -1 }] },
    { date: '2026-01-01', fleet: [{ catalogId: 'furiosa-rngd', count: 1.5 }] },
    { date: '2026-01-01', fleet: [{ catalogId: 'furiosa-rngd', count: 1, measuredTflopsPerDevice: Number.NaN }] },
    { date: '2026-01-01', precision: 'fp64' as never, fleet: [{ catalogId: 'furiosa-rngd', count: 1 }] },
  ];
  for (const o of bad)
    assert.throws(
      () => evaluateTargets(o),
      (e: Err) => e.exitCode === 2,
      JSON.stringify(o),
    );
});

test('the result is plain JSON: it survives a round trip unchanged', () => {
  const r = evaluateTargets({ date: '2026-03-15', fleet: [{ catalogId: 'furiosa-rngd', count: 8, measuredTflopsPerDevice: 100 }] });
  assert.equal(JSON.parse(JSON.stringify(r)), r);
});

// The quotes must be the document's own words at the stated lines. The document sits in
// shared/ beside the checkout; where it is absent (a bare clone) this check is skipped.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const docPath = join(repoRoot(), '..', loadTargets().document.path);
const quoteTest = existsSync(docPath) ? test : test.skip;
{
  quoteTest('every quote is verbatim on its stated line of the policy document', () => {
    const lines = readFileSync(docPath, 'utf8').split('\n');
    const t = loadTargets();
    const all = [...t.computeTargets, ...t.deviceCounts, ...t.shares, ...t.discrepancies].flatMap((x) => x.provenance);
    assert.ok(all.length > 10);
    for (const p of all) assert.ok(lines[p.line - 1]?.includes(p.quote), `line ${p.line}: "${p.quote}"`);
  });
}
if (!existsSync(docPath)) console.log(`  skip: policy document not found at ${docPath} (it sits in shared/ beside the checkout)`);

systemTest(test, deps.pythonJsonschema, 'python jsonschema agrees that the targets are valid', () => {
  const script =
    'import json,sys,jsonschema\nd=json.load(sys.stdin)\nprint(len(list(jsonschema.Draft202012Validator(d["schema"]).iter_errors(d["doc"]))))';
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify({ schema: targetsSchema, doc: targetsJson }),
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), '0');
});

test.run();
