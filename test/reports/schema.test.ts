import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkConsistency } from '../../reports/consistency.js';
import { BUILTIN_SUITES } from '../../harness/run/suite.js';
import { METRIC_NAMES } from '../../reports/metrics.js';
import { schemaOf, validate } from '../../reports/validate.js';
import '../../harness/workloads/index.js';
import type { RunReport } from '../../reports/types.js';
import { deps, systemTest } from '../helpers/system.js';
import { makeReport } from './fixture.js';

const { report, reportPath } = await makeReport();
const clone = (): Record<string, any> => JSON.parse(JSON.stringify(report));

test('a report from a real run validates', () => {
  assert.equal(validate('run-report', report), []);
  assert.ok(report.units.some((u) => u.kind === 'scenario' && u.result?.kind === 'scenario'));
  assert.is(report.suite.name, 'fixture');
  assert.ok(report.models.find((m) => m.name === 'tiny-bert')?.sha256.match(/^[0-9a-f]{64}$/));
});

test('a missing required field is rejected with its path', () => {
  const r = clone();
  delete r.environment;
  delete r.units[0].validity;
  const errors = validate('run-report', r);
  assert.ok(errors.includes('/environment: is required'), errors.join('\n'));
  assert.ok(errors.includes('/units/0/validity: is required'), errors.join('\n'));
});

test('a wrong type is rejected with its path', () => {
  const r = clone();
  r.summary.units = '3';
  r.units[0].metrics.latency_p50_ms = 'fast';
  const errors = validate('run-report', r);
  assert.ok(errors.includes('/summary/units: must be integer'), errors.join('\n'));
  assert.ok(
    errors.some((e) => e.startsWith('/units/0/metrics/latency_p50_ms:')),
    errors.join('\n'),
  );
});

test('unknown properties are rejected at the top, in environment, devices and models', () => {
  const r = clone();
  r.extra = 1;
  r.environment.host.gpu = 'x';
  r.devices[0].description.firmware = 'y';
  r.models[0].flops = 1;
  r.units[0].metrics.latency_p50 = 1; // a typo of latency_p50_ms
  const errors = validate('run-report', r);
  for (const path of ['/extra', '/environment/host/gpu', '/devices/0/description/firmware', '/models/0/flops']) {
    assert.ok(errors.includes(`${path}: is not an allowed property`), `${path}\n${errors.join('\n')}`);
  }
  assert.ok(
    errors.some((e) => e.startsWith('/units/0/metrics')),
    errors.join('\n'),
  );
});

test('a unit result must carry its kind and core fields', () => {
  const r = clone();
  const u = r.units.find((x: { kind: string }) => x.kind === 'scenario');
  delete u.result.scenario;
  assert.ok(validate('run-report', r).length > 0);
});

test('the schema names every registered metric and nothing else', () => {
  const unitSchema = (schemaOf('run-report').schema as any).properties.units.items;
  assert.equal(unitSchema.properties.metrics.propertyNames.enum, [...METRIC_NAMES]);
});

test('built-in suites match the suite schema; a typo in a suite is reported by path', () => {
  for (const [name, suite] of Object.entries(BUILTIN_SUITES)) assert.equal(validate('suite', suite), [], name);
  const errors = validate('suite', { name: 'x', units: [{ kind: 'scenario', model: 'tiny-bert', scenaro: 'offline' }] });
  assert.ok(errors.includes('/units/0/scenaro: is not an allowed property'), errors.join('\n'));
  assert.ok(errors.includes('/units/0/scenario: is required'), errors.join('\n'));
});

test('criteria files: a bad operator and an unknown metric are rejected', () => {
  const ok = { criteria: [{ id: 'p90', metric: 'latency_p90_ms', op: '<=', threshold: 10, select: { kind: 'scenario' } }] };
  assert.equal(validate('criteria', ok), []);
  const bad = { criteria: [{ id: 'p90', metric: 'latency_p90', op: '<', threshold: 10 }] };
  const errors = validate('criteria', bad);
  assert.ok(
    errors.some((e) => e.startsWith('/criteria/0/metric: must be one of')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('/criteria/0/op: must be one of')),
    errors.join('\n'),
  );
});

test('consistency: the summary must agree with the units; a changed artifact is found by its digest', () => {
  assert.equal(checkConsistency(report, dirname(reportPath)).problems, []);
  const r = clone();
  r.summary.fail += 1;
  r.units.push(r.units[0]);
  const problems = checkConsistency(r as RunReport, dirname(reportPath)).problems;
  assert.ok(
    problems.some((p) => p.startsWith('/summary/fail: is ')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /^\/units\/\d+\/id: .* appears twice$/.test(p)),
    problems.join('\n'),
  );
  const moved = checkConsistency(report, '/nonexistent');
  assert.ok(moved.unchecked.length > 0 && moved.problems.length === 0);
});

systemTest(test, deps.pythonJsonschema, 'report.json validates with python3-jsonschema (Draft 2020-12), and a broken one does not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-pyjs-'));
  const schemaPath = join(dir, 'schema.json');
  writeFileSync(schemaPath, JSON.stringify(schemaOf('run-report').schema));
  const bad = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport & { extra?: number };
  bad.extra = 1;
  const badPath = join(dir, 'bad.json');
  writeFileSync(badPath, JSON.stringify(bad));
  const script = [
    'import json, sys',
    'from jsonschema import Draft202012Validator',
    'schema = json.load(open(sys.argv[1]))',
    'Draft202012Validator.check_schema(schema)',
    'v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)',
    'for path in sys.argv[2:]:',
    '    errors = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))',
    '    print(path, len(errors), errors[0].message if errors else "")',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, schemaPath, reportPath, badPath], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const [good, broken] = r.stdout.trim().split('\n');
  assert.match(good!, / 0 $/);
  assert.match(broken!, /'extra' was unexpected/);
});

test.run();
