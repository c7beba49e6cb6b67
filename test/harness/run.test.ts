import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuval } from '../helpers/cli.js';
import { buildZooModel } from '../../models/zoo/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'npuval-run-'));

const suite = {
  name: 'cli-test',
  seed: 3,
  devices: ['ort:cpu'],
  units: [
    { kind: 'micro', settings: { iterations: 20, warmup: 1 } },
    { kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 50, warmupMs: 10 } },
    // Unreachable bound: must come back INVALID with the reason, and make the run exit 1.
    {
      kind: 'scenario',
      id: 'ss-bound',
      scenario: 'single-stream',
      model: 'tiny-bert',
      settings: { minDurationMs: 50, warmupMs: 10, targetLatencyMs: 0.000001 },
    },
    // Past its wall-clock limit: recorded as an error, and the run still ends with a complete report.
    { kind: 'micro', id: 'too-slow', timeoutS: 0.01, settings: { iterations: 20000, warmup: 0 } },
  ],
  fleet: [{ device: 'nvidia-h100-sxm', count: 100 }],
  targetDate: '2026-01-01',
  product: {
    vendor: 'Test Vendor <b>',
    chip: 'host CPU',
    sdk: { name: 'onnxruntime-node', version: '1.30' },
    device: 'ort:cpu',
    system: {
      system_name: 'test box',
      number_of_nodes: '1',
      host_processor_model_name: 'x86',
      accelerators_per_node: '0',
      accelerator_model_name: 'none',
      accelerator_memory_capacity: '0 GB',
      framework: 'onnxruntime 1.30',
      operating_system: 'Linux',
    },
  },
};
const criteria = {
  $schema: 'https://npuval.dev/schemas/criteria/1.0.0.json',
  criteria: [
    {
      id: 'throughput',
      metric: 'samples_per_second',
      op: '>=',
      threshold: 1,
      select: { kind: 'scenario', unit: 'scenario:single-stream:tiny-bert@ort:cpu' },
    },
    { id: 'impossible-latency', metric: 'latency_p90_ms', op: '<=', threshold: 0.000001, select: { kind: 'scenario' } },
    { id: 'conformance', metric: 'conformance_pass_rate_pct', op: '>=', threshold: 95 },
  ],
};

test('npuval run writes every file; report.json is schema-valid; INVALID results exit 1 with reasons; commercialization verdicts link evidence', () => {
  const suitePath = join(tmp, 'suite.yaml');
  writeFileSync(suitePath, JSON.stringify(suite)); // JSON is YAML
  const criteriaPath = join(tmp, 'criteria.json');
  writeFileSync(criteriaPath, JSON.stringify(criteria));
  const out = join(tmp, 'out');
  const r = npuval('run', '--suite', suitePath, '--criteria', criteriaPath, '--out', out, '--json');
  assert.is(r.status, 1, r.stderr);
  const printed = JSON.parse(r.stdout) as { files: string[]; summary: RunReport['summary']; commercialization: string };
  for (const f of [
    'journal.jsonl',
    'report.json',
    'report.md',
    'report.html',
    'junit.xml',
    'results.csv',
    'commercialization.json',
    'commercialization.md',
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.equal(validate('run-report', report), []);
  assert.is(report.complete, true);
  assert.is(printed.summary.invalid, 1);
  const bound = report.units.find((u) => u.id === 'ss-bound@ort:cpu')!;
  assert.is(bound.validity.valid, false);
  assert.ok(
    bound.validity.reasons.some((x) => /latency/i.test(x)),
    bound.validity.reasons.join('; '),
  );
  assert.ok(bound.validity.checks.some((c) => c.name === 'latency bound' && !c.passed));
  const slow = report.units.find((u) => u.id === 'too-slow@ort:cpu')!;
  assert.is(slow.status, 'error');
  assert.match(slow.error!.message, /did not finish within its 0.01 s limit/);
  assert.ok(existsSync(join(out, 'units', 'scenario_single-stream_tiny-bert_ort_cpu', 'summary.txt')));
  assert.ok(report.artifacts.some((a) => a.role === 'LoadGen-style summary'));
  const targets = report.targets as { progress: { label: string; pf: number; targetPf: number }[] };
  assert.is(targets.progress[0]!.label, 'catalog peak');
  assert.ok(targets.progress[0]!.pf > 0 && targets.progress[0]!.targetPf > 50);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /data-chart="targets"><figcaption>[^<]*<\/figcaption><svg/);
  const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
  assert.match(junit, /<testcase name="validity: latency bound" classname="scenario.ss-bound@ort:cpu"[^>]*>\s*<failure/);
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').split('\r\n');
  assert.is(csv[0], 'unit,kind,device,model,status,valid,metric,value,unit_of_measure,better');
  assert.ok(csv.some((l) => l.startsWith('ss-bound@ort:cpu,scenario,ort:cpu,tiny-bert,fail,INVALID,latency_p90_ms,')));

  const c = JSON.parse(readFileSync(join(out, 'commercialization.json'), 'utf8')) as {
    overall: string;
    verdicts: { id: string; verdict: string; evidence: { unit: string; digest: string }[] }[];
  };
  assert.equal(validate('commercialization-report', c), []);
  assert.is(printed.commercialization, 'fail');
  const v = Object.fromEntries(c.verdicts.map((x) => [x.id, x]));
  assert.is(v.throughput!.verdict, 'pass');
  assert.is(v['impossible-latency']!.verdict, 'fail');
  assert.is(v.conformance!.verdict, 'not-measured');
  assert.is(v.throughput!.evidence[0]!.unit, 'scenario:single-stream:tiny-bert@ort:cpu');
  assert.match(v.throughput!.evidence[0]!.digest, /^[0-9a-f]{64}$/);
  assert.match(readFileSync(join(out, 'commercialization.md'), 'utf8'), /Test Vendor &lt;b&gt;/);
});

test('--baseline: the reports compare per workload, and the commercialization report gives ratios', () => {
  const out2 = join(tmp, 'out2');
  const r = npuval(
    'run',
    '--suite',
    join(tmp, 'suite.yaml'),
    '--criteria',
    join(tmp, 'criteria.json'),
    '--baseline',
    join(tmp, 'out', 'report.json'),
    '--out',
    out2,
  );
  assert.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(join(out2, 'report.json'), 'utf8')) as RunReport;
  assert.match(report.baseline!.sha256, /^[0-9a-f]{64}$/);
  assert.ok(report.artifacts.some((a) => a.role === 'baseline report' && a.sha256 === report.baseline!.sha256));
  assert.match(readFileSync(join(out2, 'report.md'), 'utf8'), /## Against the baseline/);
  assert.match(readFileSync(join(out2, 'report.html'), 'utf8'), /data-chart="ratios"><figcaption>[^<]*<\/figcaption><svg/);
  const c = JSON.parse(readFileSync(join(out2, 'commercialization.json'), 'utf8')) as {
    performance: { workloads: { metric: string; ratio: number | null }[] };
  };
  assert.ok(c.performance.workloads.some((w) => w.metric === 'samples_per_second' && typeof w.ratio === 'number' && w.ratio > 0));
});

test('--list prints the planned units and runs nothing', () => {
  const r = npuval('run', '--suite', 'smoke', '--list', '--json');
  assert.is(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { suite: string; units: { id: string }[] };
  assert.is(listed.suite, 'smoke');
  assert.ok(listed.units.some((u) => u.id === 'scenario:single-stream:tiny-bert@ort:cpu'));
  assert.ok(listed.units.every((u) => u.id.endsWith('@ort:cpu')));
});

test('relative paths in a suite file are read from its folder, not the current directory; ids keep them as written', () => {
  const dir = join(tmp, 'suites', 'mine');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'm.onnx'), buildZooModel('tiny-resnet'));
  writeFileSync(join(dir, 'tol.yaml'), 'overrides: [{ match: "^node/test_add$", rtol: 0.001, reason: "a test" }]\n');
  const suite = join(dir, 'suite.yaml');
  writeFileSync(
    suite,
    [
      'name: paths',
      'devices: [ort:cpu]',
      'units:',
      '  - { kind: scenario, scenario: offline, model: m.onnx, settings: { minDurationMs: 50, minQueryCount: 1, minSampleCount: 8, warmupMs: 0 } }',
      '  - { kind: conformance, onnxTests: [data], settings: { tolerancesFile: tol.yaml } }',
      '',
    ].join('\n'),
  );
  const listed = npuval('run', '--suite', suite, '--list', '--json');
  assert.is(listed.status, 0, listed.stderr);
  const units = (
    JSON.parse(listed.stdout) as {
      units: { id: string; model: string | null; spec: { onnxTests?: string[]; settings?: { tolerancesFile?: string } } }[];
    }
  ).units;
  assert.equal(
    units.map((u) => u.id),
    ['scenario:offline:m.onnx@ort:cpu', 'conformance@ort:cpu'],
  );
  assert.is(units[0]!.model, join(dir, 'm.onnx'));
  assert.equal(units[1]!.spec.onnxTests, [join(dir, 'data')]);
  assert.is(units[1]!.spec.settings!.tolerancesFile, join(dir, 'tol.yaml'));
  // The scenario really runs on that file (the CLI's cwd is the repository root).
  const out = join(tmp, 'paths-out');
  const r = npuval('run', '--suite', suite, '--out', out, '--json');
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  const scenario = report.units.find((u) => u.id === 'scenario:offline:m.onnx@ort:cpu')!;
  assert.ok(scenario.status !== 'error' && (scenario.metrics.query_count ?? 0) > 0, `${r.stderr}\n${JSON.stringify(scenario.notes)}`);
  assert.ok(
    report.models.some((m) => m.name === join(dir, 'm.onnx') && m.source === 'file'),
    JSON.stringify(report.models),
  );
  // The empty data folder is looked for beside the suite (and found empty), not under the cwd.
  assert.match(r.stderr, new RegExp(`no test cases .* found under ${join(dir, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('bad input exits 2 with one problem per line: a suite typo, an unknown suite, an occupied out dir', () => {
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'name: bad\nunits:\n  - kind: scenario\n    modle: tiny-bert\n');
  const r = npuval('run', '--suite', bad, '--out', join(tmp, 'bad-out'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /\n\/units\/0\/modle: is not an allowed property\n/);
  assert.match(r.stderr, /\n\/units\/0\/model: is required/);
  const unknown = npuval('run', '--suite', 'no-such-suite', '--out', join(tmp, 'x'));
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /smoke, default, kcloud-npu/);
  const again = npuval('run', '--suite', join(tmp, 'suite.yaml'), '--out', join(tmp, 'out'));
  assert.is(again.status, 2);
  assert.match(again.stderr, /--resume/);
});

test('a suite is checked before anything runs: setting typos, bad values, malformed device specs, missing model files, a baseline that is not a report', () => {
  const cases: [string, string, RegExp][] = [
    [
      'settings-typo',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: scenario, scenario: offline, model: tiny-bert, settings: { minDurationMz: 5 } }\n',
      /\/units\/0\/settings\/minDurationMz: is not an allowed property/,
    ],
    [
      'llm-dtype',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: llm, model: tiny-llama, settings: { dtype: fp16 } }\n',
      /\/units\/0\/settings\/dtype: must be one of "float32", "float16"/,
    ],
    ['llm-slo', 'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: llm, model: tiny-llama, settings: { slo: "ttft=fast" } }\n', /ttft=fast/],
    ['device', 'name: t\ndevices: [bogus:dev]\nunits:\n  - { kind: micro }\n', /device spec "bogus:dev" has unknown kind/],
    [
      'model-file',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: scenario, scenario: offline, model: no-such-model.onnx }\n',
      /model file .*no-such-model\.onnx does not exist/,
    ],
    [
      'accuracy-criteria',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: accuracy, model: tiny-bert, reference: tfjs:cpu, settings: { criteria: { minCosine: 2 } } }\n',
      /accuracy threshold minCosine = 2 is outside -1…1/,
    ],
    [
      'accuracy-dims',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: accuracy, model: tiny-bert, reference: tfjs:cpu, settings: { dims: { batch_size: two } } }\n',
      /\/units\/0\/settings\/dims\/batch_size: must be integer/,
    ],
    [
      'conformance-isolate',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: conformance, settings: { isolate: "yes" } }\n',
      /\/units\/0\/settings\/isolate: must be boolean/,
    ],
    [
      'micro-op',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: micro, settings: { op: Matmul } }\n',
      /\/units\/0\/settings\/op: must be one of "MatMul"/,
    ],
    [
      'tolerances-file',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: conformance, settings: { tolerancesFile: no-such-tolerances.yaml } }\n',
      /--tolerances .*no-such-tolerances\.yaml does not exist/,
    ],
    [
      'micro-iterations',
      'name: t\ndevices: [ort:cpu]\nunits:\n  - { kind: micro, settings: { iterations: many } }\n',
      /\/units\/0\/settings\/iterations: must be integer/,
    ],
  ];
  for (const [name, text, message] of cases) {
    const file = join(tmp, `check-${name}.yaml`);
    writeFileSync(file, text);
    const out = join(tmp, `check-${name}-out`);
    const r = npuval('run', '--suite', file, '--out', out);
    assert.is(r.status, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.ok(existsSync(join(out, 'journal.jsonl')), `${name}: nothing ran`);
  }
  const notReport = join(tmp, 'not-a-report.json');
  writeFileSync(notReport, '{"hello": 1}');
  const b = npuval('run', '--suite', 'smoke', '--baseline', notReport, '--out', join(tmp, 'check-baseline-out'));
  assert.is(b.status, 2, b.stderr);
  assert.match(b.stderr, /baseline .*not-a-report\.json is not a valid run report/);
  assert.not.ok(existsSync(join(tmp, 'check-baseline-out', 'journal.jsonl')));
});

test('npuval report validate prints path: message lines and exits 2 on a broken report', () => {
  const report = JSON.parse(readFileSync(join(tmp, 'out', 'report.json'), 'utf8')) as Record<string, unknown>;
  delete report.tool;
  report.typo = true;
  const path = join(tmp, 'broken.json');
  writeFileSync(path, JSON.stringify(report));
  const r = npuval('report', 'validate', path);
  assert.is(r.status, 2);
  assert.match(r.stdout, /^\/tool: is required$/m);
  assert.match(r.stdout, /^\/typo: is not an allowed property$/m);
  assert.is(npuval('report', 'validate', join(tmp, 'out', 'report.json')).status, 0);
  // A changed artifact (here the journal, with one record more) is found by its SHA-256.
  const copy = join(tmp, 'copy');
  mkdirSync(copy);
  for (const f of ['report.json', 'journal.jsonl']) copyFileSync(join(tmp, 'out', f), join(copy, f));
  appendFileSync(join(copy, 'journal.jsonl'), '{"type":"note","time":"2026-01-01T00:00:00Z"}\n');
  const changed = npuval('report', 'validate', join(copy, 'report.json'));
  assert.is(changed.status, 2);
  assert.match(changed.stdout, /^\/artifacts\/0\/sha256: journal\.jsonl \(journal\) has SHA-256 [0-9a-f]{64}, not the recorded/m);
  const rendered = npuval('report', 'render', join(tmp, 'out', 'report.json'), '--out', join(tmp, 'rendered'));
  assert.is(rendered.status, 0, rendered.stderr);
  assert.ok(existsSync(join(tmp, 'rendered', 'report.html')));
});

test.run();
