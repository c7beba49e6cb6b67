// The README's three quick starts, run end to end through the real CLI from the README's own
// ```sh blocks (marked <!-- quickstart:NAME -->, parsed by test/helpers/quickstart.ts), so the
// test fails when the README drifts from the CLI or from examples/. Output folders (`out/…`)
// go to a temporary folder; the device specs are the README's CPU stand-ins. Then the outputs are
// read back: exit codes, schema-valid reports, junit testcases, commercialization verdicts, and a
// regression gate that has to fire on a doctored baseline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { SpawnSyncReturns } from 'node:child_process';
import type { RunReport } from '../reports/types.js';
import { validate } from '../reports/validate.js';
import { npuval, repoRoot } from './helpers/cli.js';
import { quickStartNames, readQuickStart, type QuickStartCommand } from './helpers/quickstart.js';
import { deps, requireSystem } from './helpers/system.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'npuval-quickstart-'));

/** `out/…` arguments point into the temporary folder; everything else is passed as written. */
function run(c: QuickStartCommand, extra: string[] = []): SpawnSyncReturns<string> {
  const argv = c.argv.map((a) => (a.startsWith('out/') ? join(tmp, a) : a));
  const r = npuval(...argv, ...extra);
  if (r.error) throw r.error;
  return r;
}

function find(commands: readonly QuickStartCommand[], pattern: RegExp): QuickStartCommand[] {
  return commands.filter((c) => pattern.test(c.argv.join(' ')));
}

function outOf(c: QuickStartCommand): string {
  const i = c.argv.indexOf('--out');
  assert.ok(i >= 0 && c.argv[i + 1]!.startsWith('out/'), `the quick start writes under out/: ${c.line}`);
  return join(tmp, c.argv[i + 1]!);
}

function readReport(dir: string): RunReport {
  const path = join(dir, 'report.json');
  assert.ok(existsSync(path), `${path} exists`);
  const report = JSON.parse(readFileSync(path, 'utf8')) as RunReport;
  assert.equal(validate('run-report', report), [], `${path} is schema-valid`);
  assert.is(report.complete, true);
  for (const f of ['journal.jsonl', 'report.md', 'report.html', 'junit.xml', 'results.csv'])
    assert.ok(existsSync(join(dir, f)), `${dir}/${f}`);
  return report;
}

/** Units that did not pass; a conformance unit may be skipped where the ONNX test data is absent. */
function notPassing(report: RunReport): string[] {
  return report.units
    .filter(
      (u) => u.status !== 'pass' && !(u.status === 'skipped' && u.kind === 'conformance' && !deps.onnxTestdata.present() && !requireSystem),
    )
    .map((u) => `${u.id}: ${u.status} ${u.error?.message ?? ''} ${u.validity.reasons.join('; ')}`);
}

/** Runs a `compare` line as written, then with --json, and checks that its exit code says what its document says. */
function checkCompare(c: QuickStartCommand): { status: number; regressions: number } {
  const r = run(c);
  assert.ok(r.status === 0 || r.status === 1, `${c.line}: exit ${r.status}\n${r.stderr}`);
  assert.match(r.stdout, /regression/);
  const j = run(c, ['--json']);
  const doc = JSON.parse(j.stdout) as { regressions: unknown[]; deltas: unknown[] };
  assert.ok(doc.deltas.length > 0, 'compare paired units and compared metrics');
  assert.is(j.status, doc.regressions.length ? 1 : 0);
  return { status: j.status!, regressions: doc.regressions.length };
}

test('README: a first page that opens with the install-and-run and the test commands, and marks three quick starts', () => {
  const bytes = Buffer.byteLength(readme);
  assert.ok(bytes <= 12_000, `README.md is ${bytes} bytes; the first page stays under 12,000 (move detail into docs/)`);
  const first = /```sh\n([\s\S]*?)\n```/.exec(readme)![1]!;
  assert.match(first, /^npm ci && npx npuval run\b/m);
  assert.match(first, /^npm ci && npm test\b/m);
  assert.equal(quickStartNames(readme), ['vendor', 'kcloud', 'ci']);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

test('README and docs/: relative links resolve inside the repository, anchors included', () => {
  // Written in parallel issues; remove from this list once they exist.
  const pending = new Set(['docs/architecture.md']);
  // Pages other issues write are theirs to check.
  const others = new Set(['docs/architecture.md', 'docs/lint.md']);
  const files = [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`)
      .filter((f) => !others.has(f)),
  ];
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(repoRoot, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (/^[a-z]+:/i.test(target)) {
        if (file === 'README.md') broken.push(`${file}: ${m[1]} (the README links inside the repository only)`);
        continue;
      }
      const anchor = m[1]!.includes('#') ? m[1]!.slice(m[1]!.indexOf('#') + 1) : null;
      const abs = target === '' ? join(repoRoot, file) : resolve(join(repoRoot, dirname(file)), target);
      const rel = relative(repoRoot, abs);
      if (rel.startsWith('..')) broken.push(`${file}: ${m[1]} leaves the repository`);
      else if (!existsSync(abs)) {
        if (!pending.has(rel)) broken.push(`${file}: ${m[1]} does not exist`);
      } else if (anchor && rel.endsWith('.md') && !anchors(readFileSync(abs, 'utf8')).has(anchor))
        broken.push(`${file}: ${m[1]} names no heading there`);
    }
  }
  assert.equal(broken, []);
});

test('quick start "vendor": device probe, the vendor suite, the full conformance suite with an op diff', () => {
  const qs = readQuickStart(readme, 'vendor');
  const [probe] = find(qs.commands, /^devices /);
  const [suite] = find(qs.commands, /^run .*examples\/vendor\.yaml/);
  const [conf] = find(qs.commands, /^conformance /);
  assert.ok(probe && suite && conf, 'the vendor quick start probes the device, runs examples/vendor.yaml and runs conformance');
  assert.is(qs.commands.length, 3);

  const p = run(probe);
  assert.is(p.status, 0, p.stderr);
  assert.ok(p.stdout.includes(qs.vars.NPU!), p.stdout);

  const r = run(suite);
  assert.is(r.status, 0, r.stderr);
  const report = readReport(outOf(suite));
  assert.equal(notPassing(report), []);
  assert.equal([...new Set(report.units.map((u) => u.kind))].sort(), ['accuracy', 'conformance', 'llm', 'scenario']);
  assert.ok(
    report.units.every((u) => u.device === qs.vars.NPU),
    'every unit ran on the NPU spec',
  );

  const c = run(conf);
  if (!deps.onnxTestdata.present()) {
    assert.not.ok(requireSystem, `${deps.onnxTestdata.name} is missing and NPUVAL_REQUIRE_SYSTEM=1: ${deps.onnxTestdata.install}`);
    assert.is(c.status, 3, c.stderr);
    console.log(`  skip conformance checks: needs ${deps.onnxTestdata.name} (${deps.onnxTestdata.install})`);
    return;
  }
  // The command is a one-unit suite; its full result is the unit's artifact in units/<unit>/.
  const unitDir = readdirSync(join(outOf(conf), 'units')).find((d) => d.startsWith('conformance'))!;
  const doc = JSON.parse(readFileSync(join(outOf(conf), 'units', unitDir, 'conformance.json'), 'utf8')) as {
    runs: { device: string; counts: Record<'pass' | 'fail' | 'unsupported' | 'error' | 'skipped', number> }[];
    diff: { a: string; b: string } | null;
  };
  assert.equal(
    doc.runs.map((x) => x.device),
    [qs.vars.NPU, 'ort:cpu'],
  );
  const counts = doc.runs[0]!.counts;
  assert.ok(counts.pass > 900, JSON.stringify(counts));
  assert.is(c.status, counts.fail + counts.error > 0 ? 1 : 0, c.stderr);
  assert.ok(doc.diff && doc.diff.a === qs.vars.NPU && doc.diff.b === 'ort:cpu');
  assert.match(c.stdout, /cases that did not pass, by cause/);
});

test('quick start "kcloud": GPU baseline, NPU run with criteria and product, commercialization verdicts, compare', () => {
  const qs = readQuickStart(readme, 'kcloud');
  const runs = find(qs.commands, /^run /);
  const [cmp] = find(qs.commands, /^compare /);
  assert.is(runs.length, 2);
  assert.ok(cmp);
  const [gpuRun, npuRun] = runs as [QuickStartCommand, QuickStartCommand];
  assert.ok(npuRun.argv.includes('--baseline') && npuRun.argv.includes('--criteria') && npuRun.argv.includes('--product'));

  const g = run(gpuRun);
  assert.is(g.status, 0, g.stderr);
  const gpu = readReport(outOf(gpuRun));
  assert.equal(notPassing(gpu), []);

  // The product file names the device that is the product: it must be the NPU spec of the block.
  const productPath = npuRun.argv[npuRun.argv.indexOf('--product') + 1]!;
  const product = JSON.parse(readFileSync(join(repoRoot, productPath), 'utf8')) as { device: string };
  assert.is(product.device, qs.vars.NPU, `${productPath} "device" is the quick start's NPU`);

  const n = run(npuRun);
  const dir = outOf(npuRun);
  const npu = readReport(dir);
  assert.equal(notPassing(npu), []);
  assert.ok(npu.baseline, 'the NPU report records its baseline');
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /## Against the baseline/);
  const cz = JSON.parse(readFileSync(join(dir, 'commercialization.json'), 'utf8')) as {
    overall: string;
    verdicts: { id: string; verdict: string; value: number | null; evidence: { unit: string; digest: string }[] }[];
    performance: { baseline: unknown; workloads: { ratio: number | null }[] };
    targetContribution: { evaluated: boolean };
  };
  assert.equal(validate('commercialization-report', cz), []);
  assert.ok(existsSync(join(dir, 'commercialization.md')));
  // The run exits 1 exactly when a verdict failed (every unit passed above).
  assert.is(n.status, cz.overall === 'fail' ? 1 : 0, n.stderr);
  assert.ok(['pass', 'fail', 'incomplete'].includes(cz.overall));
  const criteriaPath = npuRun.argv[npuRun.argv.indexOf('--criteria') + 1]!;
  const criteria = JSON.parse(readFileSync(join(repoRoot, criteriaPath), 'utf8')) as { criteria: { id: string; metric: string }[] };
  assert.equal(
    cz.verdicts.map((v) => v.id),
    criteria.criteria.map((x) => x.id),
  );
  for (const v of cz.verdicts) {
    if (v.id === 'conformance' && !deps.onnxTestdata.present() && !requireSystem) continue;
    assert.ok(v.verdict !== 'not-measured' && v.value !== null, `${v.id} was measured: ${JSON.stringify(v)}`);
    assert.ok(v.evidence.length > 0 && v.evidence.every((e) => /^[0-9a-f]{64}$/.test(e.digest)));
  }
  assert.ok(cz.performance.baseline && cz.performance.workloads.some((w) => typeof w.ratio === 'number'), 'NPU/GPU ratios');
  assert.is(cz.targetContribution.evaluated, true, 'the example suite has a fleet');

  checkCompare(cmp);
});

test('quick start "ci": smoke baseline and build, junit.xml, validate, compare gate, signed report; the gate fires on a regression', () => {
  const qs = readQuickStart(readme, 'ci');
  const runs = find(qs.commands, /^run /);
  const [validateCmd] = find(qs.commands, /^report validate /);
  const [cmp] = find(qs.commands, /^compare /);
  const [keygen] = find(qs.commands, /^report keygen /);
  const [sign] = find(qs.commands, /^report sign /);
  assert.is(runs.length, 2);
  assert.ok(validateCmd && cmp && keygen && sign);
  assert.ok(
    runs.every((c) => c.argv.includes('smoke')),
    'CI runs the smoke suite',
  );

  for (const c of runs) {
    const r = run(c);
    assert.is(r.status, 0, `${c.line}\n${r.stderr}`);
    assert.equal(notPassing(readReport(outOf(c))), []);
  }
  const build = outOf(runs[1]!);
  const junit = readFileSync(join(build, 'junit.xml'), 'utf8');
  assert.match(junit, /^<\?xml/);
  const testcases = junit.match(/<testcase /g)?.length ?? 0;
  assert.ok(testcases >= runs.length, `junit.xml has ${testcases} testcases`);
  assert.not.match(junit, /<failure/);
  assert.match(readFileSync(join(build, 'report.md'), 'utf8'), /## Against the baseline/);

  const v = run(validateCmd);
  assert.is(v.status, 0, v.stdout + v.stderr);
  checkCompare(cmp);

  assert.is(run(keygen).status, 0);
  const s = run(sign);
  assert.is(s.status, 0, s.stderr);
  const reportPath = join(tmp, sign.argv[2]!);
  assert.ok(existsSync(`${reportPath}.sig`));
  const keyDir = outOf(keygen);
  const verified = npuval('report', 'verify', reportPath, '--public-key', join(keyDir, 'npuval-signing.pub'));
  assert.is(verified.status, 0, verified.stdout + verified.stderr);

  // The gate: a report against itself passes at 0 %; against a baseline doctored to be 10× faster it fails.
  const baselinePath = join(tmp, cmp.argv[1]!);
  const buildPath = join(tmp, cmp.argv[2]!);
  assert.is(npuval('compare', buildPath, buildPath, '--max-regression', '0').status, 0);
  const doctored = JSON.parse(readFileSync(baselinePath, 'utf8')) as RunReport;
  const unit = doctored.units.find((u) => typeof u.metrics.samples_per_second === 'number')!;
  (unit.metrics as Record<string, number | null>).samples_per_second = unit.metrics.samples_per_second! * 10;
  const doctoredPath = join(tmp, 'doctored-baseline.json');
  writeFileSync(doctoredPath, JSON.stringify(doctored));
  const maxRegression = cmp.argv[cmp.argv.indexOf('--max-regression') + 1]!;
  const gate = npuval('compare', doctoredPath, buildPath, '--max-regression', maxRegression, '--json');
  assert.is(gate.status, 1, gate.stderr);
  const regressions = (JSON.parse(gate.stdout) as { regressions: { unit: string; metric: string }[] }).regressions;
  assert.ok(
    regressions.some((r) => r.metric === 'samples_per_second' && r.unit === unit.id),
    JSON.stringify(regressions),
  );
});

test.run();
