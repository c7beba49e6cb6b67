import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleReport, journalState } from '../../reports/assemble.js';
import { renderCsv } from '../../reports/render/csv.js';
import { renderJunit } from '../../reports/render/junit.js';
import { renderMarkdown } from '../../reports/render/markdown.js';
import type { RunReport, UnitRecord } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { makeReport } from './fixture.js';

const { report } = await makeReport();

function withConformance(r: RunReport): RunReport {
  const unit: UnitRecord = {
    ...r.units[0]!,
    id: 'conformance@ort:cpu',
    kind: 'conformance',
    title: 'conformance | <b>',
    status: 'fail',
    metrics: { conformance_cases: 3, conformance_passed: 1, conformance_failed: 1, conformance_pass_rate_pct: 33.3 },
    validity: { valid: null, checks: [], reasons: [] },
    result: {
      kind: 'conformance',
      counts: { pass: 1, fail: 1, unsupported: 1, error: 0, skipped: 0 },
      ops: [{ op: 'Add', pass: 1, fail: 1, unsupported: 0, error: 0, skipped: 0, total: 2 }],
      cases: [
        { name: 'node/test_add', status: 'pass', reason: null, durationMs: 1 },
        { name: 'node/test_add_bcast', status: 'fail', reason: 'max abs error 1 > tol & "x"', durationMs: 2 },
        { name: 'node/test_int4', status: 'unsupported', reason: 'no int4', durationMs: 0 },
      ],
    },
  };
  return { ...r, units: [...r.units, unit] };
}

test('JUnit: each conformance case and each validity check is a testcase; text is XML-escaped', () => {
  const r = withConformance(report);
  const xml = renderJunit(r);
  const checks = r.units.reduce((n, u) => n + u.validity.checks.length, 0);
  const unitsWithoutCases = r.units.filter((u) => u.validity.checks.length === 0 && u.kind !== 'conformance').length;
  assert.is((xml.match(/<testcase /g) ?? []).length, checks + 3 + unitsWithoutCases);
  assert.match(
    xml,
    /<testcase name="node\/test_add_bcast"[^>]*>\s*<failure message="fail: max abs error 1 &gt; tol &amp; &quot;x&quot;"\/>/,
  );
  assert.match(xml, /<testcase name="node\/test_int4"[^>]*>\s*<skipped/);
  assert.match(xml, /<testsuites name="npuval fixture" tests="\d+" failures="1"/);
  assert.not.match(xml, /<b>/);
});

test('CSV: one row per unit and metric; quotes and formula prefixes are neutralised', () => {
  const r = withConformance(report);
  const evil = { ...r, units: r.units.map((u, i) => (i === 0 ? { ...u, id: '=HYPERLINK("x"),1' } : u)) };
  const rows = renderCsv(evil).trimEnd().split('\r\n');
  const metricCount = r.units.reduce((n, u) => n + Object.keys(u.metrics).length, 0);
  assert.is(rows.length, 1 + metricCount);
  assert.ok(rows[1]!.startsWith(`"'=HYPERLINK(""x""),1",`), rows[1]);
});

test('Markdown: table cells cannot be broken or carry HTML', () => {
  const md = renderMarkdown(withConformance(report));
  assert.match(md, /conformance \\\| &lt;b&gt;/);
  assert.match(md, /^# npuval report: suite fixture$/m);
  assert.match(md, /latency p90/);
});

test('assembly: the last unit-end wins, attempts count unit-starts, an unfinished run is incomplete', () => {
  const plan = {
    ...report,
    units: report.units.map((u) => ({ id: u.id, kind: u.kind, title: u.title, device: u.device, model: u.model })),
  };
  const t = '2026-01-01T00:00:00.000Z';
  const records = [
    { type: 'run-start', time: t, plan, argv: [], resume: false },
    { type: 'unit-start', time: t, unit: report.units[0]!.id, attempt: 1 },
    { type: 'run-interrupted', time: t, unit: report.units[0]!.id, signal: 'SIGINT' },
    { type: 'run-start', time: t, plan, argv: [], resume: true },
    { type: 'unit-start', time: t, unit: report.units[0]!.id, attempt: 2 },
    { type: 'unit-end', time: t, unit: report.units[0]! },
  ];
  const partial = assembleReport(journalState(records), { finishedAt: t, artifacts: [] });
  assert.is(partial.complete, false);
  assert.is(partial.units.length, 1);
  assert.is(partial.units[0]!.attempts, 2);
  assert.equal(
    partial.sessions.map((s) => s.outcome),
    ['interrupted', 'crashed'],
  );
  assert.equal(validate('run-report', partial), []);
});

test.run();
