import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareReports, pairUnits, workloadKey } from '../../reports/compare.js';
import { improvement } from '../../reports/metrics.js';
import type { RunReport } from '../../reports/types.js';
import { npuval } from '../helpers/cli.js';
import { makeReport } from './fixture.js';

const { report, dir, reportPath } = await makeReport();
const scenario = report.units.find((u) => u.kind === 'scenario')!;

/** The same report with one metric of the scenario unit scaled. */
function planted(metricName: string, factor: number): RunReport {
  const r = JSON.parse(JSON.stringify(report)) as RunReport;
  const u = r.units.find((x) => x.id === scenario.id)! as { metrics: Record<string, number | null> };
  u.metrics[metricName] = (u.metrics[metricName] as number) * factor;
  return r;
}

test('an identical pair has no regression and every delta is zero', () => {
  const c = compareReports(report, report, 5);
  assert.is(c.regressions.length, 0);
  assert.ok(c.deltas.length > 5);
  assert.ok(c.deltas.every((d) => d.deltaPct === null || d.deltaPct === 0));
  assert.equal(c.onlyInBaseline, []);
});

test('a planted 10% latency regression is flagged over 5% and passes under 15%', () => {
  const worse = planted('latency_p90_ms', 1.1);
  const c = compareReports(report, worse, 5);
  assert.equal(
    c.regressions.map((d) => [d.unit, d.metric]),
    [[scenario.id, 'latency_p90_ms']],
  );
  assert.ok(Math.abs(c.regressions[0]!.deltaPct! - 10) < 1e-9);
  assert.is(compareReports(report, worse, 15).regressions.length, 0);
});

test('direction: lower latency and higher throughput are improvements; less throughput regresses', () => {
  assert.is(compareReports(report, planted('latency_p90_ms', 0.5), 5).regressions.length, 0);
  assert.is(compareReports(report, planted('samples_per_second', 1.5), 5).regressions.length, 0);
  const slower = compareReports(report, planted('samples_per_second', 0.8), 5);
  assert.equal(
    slower.regressions.map((d) => d.metric),
    ['samples_per_second'],
  );
  assert.ok(improvement('latency_p90_ms', 10, 11)! < 0);
  assert.ok(improvement('samples_per_second', 10, 11)! > 0);
  assert.is(improvement('latency_std_ms', 10, 20), 0);
});

test('units pair by id, else by workload on another device', () => {
  for (const u of report.units) assert.is(`${workloadKey(u)}@${u.device}`, u.id, 'the id is the workload and the device');
  const other = JSON.parse(JSON.stringify(report)) as RunReport;
  (other.units as unknown as { id: string; device: string | null }[]).forEach((u) => {
    u.id = u.id.replace('@ort:cpu', '@ort:webgpu');
    u.device = 'ort:webgpu';
  });
  const pairs = pairUnits(report.units, other.units);
  assert.is(pairs.length, report.units.length);
  assert.is(pairs[0]![1].id.endsWith('@ort:webgpu'), true);
});

test('npuval compare exits 1 on the planted regression and 0 on an identical pair', () => {
  const worsePath = join(dir, 'worse.json');
  writeFileSync(worsePath, JSON.stringify(planted('latency_p90_ms', 1.1), null, 2));
  const same = npuval('compare', reportPath, reportPath, '--max-regression', '5');
  assert.is(same.status, 0, same.stderr);
  assert.match(same.stdout, /no regression over 5 %/);
  const worse = npuval('compare', reportPath, worsePath, '--max-regression', '5', '--json');
  assert.is(worse.status, 1, worse.stderr);
  const parsed = JSON.parse(worse.stdout) as { regressions: { metric: string }[] };
  assert.equal(
    parsed.regressions.map((r) => r.metric),
    ['latency_p90_ms'],
  );
  const invalid = npuval('compare', reportPath, join(dir, 'journal.jsonl'));
  assert.is(invalid.status, 2);
});

test.run();
