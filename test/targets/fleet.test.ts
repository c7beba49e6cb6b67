// Fleet evaluation against the 50 PF (2025) → 120 PF (2027) target, every figure computed by hand
// from the catalog (RNGD 256 TFLOP/s BF16; ATOM 32 TFLOP/s FP16, no BF16 figure) and the seeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateTargets, loadFleetFile, measuredRates, targetForDate, validateFleet, type FleetFileLine } from '../../harness/targets.js';
import type { RunReport } from '../../reports/types.js';
import { exitCodeOf } from '../../harness/errors.js';

const close = (a: number | null | undefined, b: number, what: string) =>
  assert.ok(typeof a === 'number' && Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('the target for a date: both milestones, linear by day between them, clamped outside', () => {
  assert.is(targetForDate('2025-01-01').pf, 50);
  assert.is(targetForDate('2025-01-01').rule, 'at-milestone');
  assert.is(targetForDate('2027-01-01').pf, 120);
  assert.is(targetForDate('2027-01-01').rule, 'at-milestone');
  // 2026-01-01 is 365 of 730 days: 50 + 70 × 1/2.
  close(targetForDate('2026-01-01').pf, 85, '2026-01-01');
  // 2026-06-30 is 545 of 730 days: 50 + 70 × 545/730 = 102.2602739…
  close(targetForDate('2026-06-30').pf, 50 + (70 * 545) / 730, '2026-06-30');
  assert.is(targetForDate('2026-06-30').rule, 'interpolated');
  assert.is(targetForDate('2024-06-01').pf, 50);
  assert.is(targetForDate('2024-06-01').rule, 'before-first-milestone');
  assert.is(targetForDate('2030-01-01').pf, 120);
  assert.is(targetForDate('2030-01-01').rule, 'after-last-milestone');
});

test('fleet: catalog peak and measured effective PF, percent of the target and of both milestones, devices to close the gap', () => {
  const e = evaluateTargets({
    date: '2026-01-01',
    workload: 'scenario:offline:x',
    fleet: [
      { catalogId: 'furiosa-rngd', count: 40, measuredTflopsPerDevice: 64 },
      { catalogId: 'rebellions-atom', count: 60, measuredTflopsPerDevice: 8 },
    ],
  });
  assert.is(e.inputs.precision, 'fp16-or-bf16');
  assert.is(e.inputs.workload, 'scenario:offline:x');
  // Peak: 40 × 256 TFLOP/s = 10.24 PF; 60 × 32 = 1.92 PF (ATOM publishes FP16 only) → 12.16 PF.
  close(e.fleet[0]!.peakPf, 10.24, 'RNGD peak');
  close(e.fleet[1]!.peakPf, 1.92, 'ATOM peak');
  close(e.totals.peakPf, 12.16, 'peak');
  // Effective: 40 × 64 = 2.56 PF; 60 × 8 = 0.48 PF → 3.04 PF; utilization 64/256 and 8/32 = 25 %.
  close(e.totals.effectivePf, 3.04, 'effective');
  close(e.fleet[0]!.utilization, 0.25, 'RNGD utilization');
  // Target 85 PF: 12.16/85 and 3.04/85.
  close(e.target.pf, 85, 'target');
  close(e.fractionOfTarget.peak, 12.16 / 85, 'peak fraction');
  close(e.fractionOfTarget.effective, 3.04 / 85, 'effective fraction');
  // Both milestones, each with the fleet's share of it.
  assert.equal(
    e.milestones.map((m) => [m.year, m.anchorDate, m.pf]),
    [
      [2025, '2025-01-01', 50],
      [2027, '2027-01-01', 120],
    ],
  );
  close(e.milestones[0]!.fractionPeak, 0.2432, '2025 peak');
  close(e.milestones[0]!.fractionEffective, 0.0608, '2025 effective');
  close(e.milestones[1]!.fractionPeak, 12.16 / 120, '2027 peak');
  close(e.milestones[1]!.fractionEffective, 3.04 / 120, '2027 effective');
  // Gap at measured efficiency 85 − 3.04 = 81.96 PF: RNGD 81,960/64 = 1,280.6 → 1,281; ATOM 81,960/8 = 10,245 exactly.
  close(e.gapPf.effective, 81.96, 'effective gap');
  assert.equal(
    e.toCloseGap.byMeasured.map((g) => g.additionalDevices),
    [1281, 10245],
  );
  // Gap at catalog peak 85 − 12.16 = 72.84 PF: 72,840/256 = 284.5 → 285; 72,840/32 = 2,276.25 → 2,277.
  assert.equal(
    e.toCloseGap.byPeak.map((g) => g.additionalDevices),
    [285, 2277],
  );
});

test('the same fleet at the 2027 milestone and at FP8', () => {
  const e = evaluateTargets({ date: '2027-06-01', precision: 'fp8', fleet: [{ catalogId: 'furiosa-rngd', count: 100 }] });
  // RNGD FP8 512 TFLOP/s × 100 = 51.2 PF against 120 PF; gap 68.8 PF → 68,800/512 = 134.4 → 135.
  close(e.totals.peakPf, 51.2, 'fp8 peak');
  assert.is(e.target.pf, 120);
  assert.is(e.totals.effectivePf, null);
  assert.equal(
    e.toCloseGap.byPeak.map((g) => g.additionalDevices),
    [135],
  );
  assert.is(e.toCloseGap.byMeasured[0]!.additionalDevices, null);
});

/** The least of a run report measuredRates reads: devices with catalog ids, units with effective_tflops. */
function fakeRun(): Pick<RunReport, 'devices' | 'units'> {
  const dev = (spec: string, catalogId: string | null) => ({
    spec,
    available: true,
    reason: null,
    catalog: null,
    description: { catalogId },
  });
  const unit = (workload: string, device: string, tflops: number) => ({
    id: `${workload}@${device}`,
    workload,
    device,
    kind: 'scenario',
    metrics: { effective_tflops: tflops },
  });
  return {
    devices: [dev('proc:rngd', 'furiosa-rngd'), dev('ort:cpu', null)],
    units: [
      unit('scenario:offline:m', 'proc:rngd', 60),
      unit('scenario:single-stream:m', 'proc:rngd', 20),
      unit('scenario:offline:m', 'ort:cpu', 0.5),
    ],
  } as unknown as Pick<RunReport, 'devices' | 'units'>;
}

test('measured rates from a run: by catalog id or measuredBy, of the named workload or the best', () => {
  const fleet: FleetFileLine[] = [
    { device: 'furiosa-rngd', count: 10 },
    { device: 'rebellions-atom', count: 5, measuredBy: 'ort:cpu' },
    { device: 'nvidia-h100-sxm', count: 2 },
  ];
  const best = measuredRates(fakeRun(), fleet);
  assert.equal(
    best.items.map((i) => i.measuredTflopsPerDevice ?? null),
    [60, 0.5, null],
  );
  assert.is(best.measurements[0]!.unit, 'scenario:offline:m@proc:rngd');
  assert.match(best.measurements[2]!.note, /no device in the run maps to catalog id nvidia-h100-sxm/);
  const named = measuredRates(fakeRun(), fleet, 'scenario:single-stream:m');
  assert.equal(
    named.items.map((i) => i.measuredTflopsPerDevice ?? null),
    [20, null, null],
  );
  assert.throws(
    () => measuredRates(fakeRun(), fleet, 'scenario:server:m'),
    /workload "scenario:server:m" is not in the run; workloads with a measured effective_tflops: scenario:offline:m, scenario:single-stream:m/,
  );
  // 10 × 60 TFLOP/s + 5 × 0.5 = 0.6025 PF effective.
  close(evaluateTargets({ date: '2026-01-01', fleet: best.items }).totals.effectivePf, 0.6025, 'effective from the run');
});

test('fleet files are schema-checked: unknown fields, bad counts and unknown catalog ids are errors (exit 2)', () => {
  assert.equal(validateFleet({ name: 'f', devices: [{ device: 'furiosa-rngd', count: 4 }] }), []);
  assert.ok(validateFleet({ name: 'f', devices: [{ device: 'furiosa-rngd', count: -1 }] }).some((e) => e.startsWith('/devices/0/count')));
  assert.ok(
    validateFleet({ name: 'f', devices: [{ device: 'furiosa-rngd', count: 1, gpus: 2 }] }).some((e) => /additional properties/.test(e)),
  );
  assert.ok(validateFleet({ name: 'f', devices: [] }).length > 0);
  assert.ok(validateFleet({ name: 'f', devices: [{ device: 'no-such-chip', count: 1 }] }).some((e) => e.startsWith('/devices/0/device')));
  const dir = mkdtempSync(join(tmpdir(), 'npuval-fleet-'));
  writeFileSync(join(dir, 'fleet.yaml'), 'name: y\ndevices:\n  - { device: rebellions-atom, count: 3 }\n');
  assert.is(loadFleetFile(join(dir, 'fleet.yaml')).devices[0]!.count, 3);
  writeFileSync(join(dir, 'bad.json'), '{"name": "b", "devices": [{"device": "furiosa-rngd"}]}');
  try {
    loadFleetFile(join(dir, 'bad.json'));
    assert.unreachable('should throw');
  } catch (err) {
    assert.is(exitCodeOf(err), 2);
    assert.match(
      (err as Error).message,
      /bad\.json does not match https:\/\/npuval\.dev\/schemas\/fleet\/1\.0\.0\.json: \/devices\/0 must have required property 'count'/,
    );
  }
  assert.is(loadFleetFile('examples/fleet.json').devices.length, 2);
});

test.run();
