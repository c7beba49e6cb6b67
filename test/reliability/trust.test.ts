// Reports are used only when `report validate` accepts them (and, with a trusted key, when their
// signature verifies); a suite file reads only files inside its own folder unless the user says
// otherwise; a suite's model files are checked while planning. All through the real CLI.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { RunReport } from '../../reports/types.js';
import { npuval, repoRoot } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'npuval-trust-'));
const MICRO = { kind: 'micro', settings: { iterations: 5, warmup: 1 } };

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

/** One sentence on stderr, no stack trace. */
function oneSentence(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 1, stderr);
  assert.not.match(stderr, /\n\s+at /);
  return lines[0]!;
}

// A real report from a real (tiny) run.
const suiteFile = writeJson(join(tmp, 'suite.json'), { name: 'trust', devices: ['ort:cpu'], units: [MICRO] });
const good = join(tmp, 'good');
const made = npuval('run', '--suite', suiteFile, '--out', good);
assert.is(made.status, 0, made.stderr);
const goodReport = join(good, 'report.json');
const original = JSON.parse(readFileSync(goodReport, 'utf8')) as RunReport;

/** A copy of the good report, changed by `edit`, in its own folder (with the journal, so artifacts check). */
function variant(name: string, edit: (r: RunReport) => void): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(good, 'journal.jsonl'), join(dir, 'journal.jsonl'));
  const r = JSON.parse(JSON.stringify(original)) as RunReport;
  edit(r);
  return writeJson(join(dir, 'report.json'), r);
}

test('a doctored summary: validate, render and compare all refuse it (exit 2), naming the file and the field', () => {
  const doctored = variant('doctored', (r) => {
    (r.summary as { pass: number; fail: number }).pass += 1;
  });
  assert.is(npuval('report', 'validate', doctored).status, 2);
  const out = join(tmp, 'doctored-render');
  const render = npuval('report', 'render', doctored, '--out', out);
  assert.is(render.status, 2, render.stdout);
  const line = oneSentence(render.stderr);
  assert.ok(line.includes(doctored), line);
  assert.match(line, /is not a valid run report: \/summary\/pass: is 2 but the units say 1/);
  assert.not.ok(existsSync(join(out, 'report.md')), 'nothing rendered');
  for (const args of [
    [goodReport, doctored],
    [doctored, goodReport],
  ]) {
    const c = npuval('compare', ...args);
    assert.is(c.status, 2, c.stdout);
    assert.ok(oneSentence(c.stderr).includes(doctored));
  }
  // The untouched report still renders and compares.
  assert.is(npuval('report', 'render', goodReport, '--out', join(tmp, 'good-render')).status, 0);
  assert.is(npuval('compare', goodReport, goodReport).status, 0);
});

test('a schema-invalid report: render refuses it with the first problem, not a list', () => {
  const broken = variant('broken', (r) => {
    (r as unknown as { units: unknown }).units = 'none';
  });
  const render = npuval('report', 'render', broken, '--out', join(tmp, 'broken-render'));
  assert.is(render.status, 2);
  assert.match(oneSentence(render.stderr), /broken\/report\.json is not a valid run report: \/units: must be array/);
});

test('with a trusted public key, a signed report that was changed is refused (exit 2); without a key it is only validated', () => {
  const keys = join(tmp, 'keys');
  assert.is(npuval('report', 'keygen', '--out', keys).status, 0);
  const pub = join(keys, 'npuval-signing.pub');
  const signedDir = join(tmp, 'signed');
  mkdirSync(signedDir);
  const signed = join(signedDir, 'report.json');
  copyFileSync(goodReport, signed);
  copyFileSync(join(good, 'journal.jsonl'), join(signedDir, 'journal.jsonl'));
  assert.is(npuval('report', 'sign', signed, '--key', join(keys, 'npuval-signing.key')).status, 0);
  assert.is(npuval('report', 'render', signed, '--public-key', pub, '--out', join(tmp, 'signed-render')).status, 0);
  assert.is(npuval('compare', signed, goodReport, '--public-key', pub).status, 2, 'the good report has no signature');

  // Tampered: a figure changed, the report otherwise valid and consistent, the signature kept.
  const tamperedDir = join(tmp, 'tampered');
  const tampered = variant('tampered', (r) => {
    const m = r.units[0]!.metrics as Record<string, number | null>;
    m.latency_p50_ms = (m.latency_p50_ms ?? 1) / 10;
  });
  copyFileSync(`${signed}.sig`, `${tampered}.sig`);
  assert.is(npuval('report', 'validate', tampered).status, 0, 'valid and consistent: only the signature can tell');
  const render = npuval('report', 'render', tampered, '--public-key', pub, '--out', join(tmp, 'tampered-render'));
  assert.is(render.status, 2);
  assert.match(
    oneSentence(render.stderr),
    /tampered\/report\.json fails its signature check against --public-key .*: .*changed since signing/,
  );
  assert.not.ok(existsSync(join(tmp, 'tampered-render', 'report.md')));
  const compare = npuval('compare', signed, tampered, '--public-key', pub);
  assert.is(compare.status, 2);
  assert.ok(oneSentence(compare.stderr).includes(tamperedDir));
  // The key can come from the environment instead.
  const env = spawnWithEnv({ NPUVAL_PUBLIC_KEY: pub }, 'report', 'render', tampered, '--out', join(tmp, 'tampered-env'));
  assert.is(env.status, 2);
  assert.match(env.stderr, /fails its signature check against NPUVAL_PUBLIC_KEY=/);
  // Another key than the signer's is refused too.
  const other = join(tmp, 'other-keys');
  assert.is(npuval('report', 'keygen', '--out', other).status, 0);
  const wrongKey = npuval('report', 'render', signed, '--public-key', join(other, 'npuval-signing.pub'), '--out', join(tmp, 'x'));
  assert.is(wrongKey.status, 2);
  assert.match(wrongKey.stderr, /different key than the trusted public key/);
  // No key configured: a valid report renders (integrity needs a key; docs/reliability.md says so).
  assert.is(npuval('report', 'render', tampered, '--out', join(tmp, 'tampered-nokey')).status, 0);
});

function spawnWithEnv(extra: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin/npuval.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...extra },
    cwd: repoRoot,
  });
}

// Suite paths.
const suites = join(tmp, 'suites', 'team');
mkdirSync(suites, { recursive: true });
const outsideModel = join(tmp, 'suites', 'elsewhere', 'model.onnx');
mkdirSync(join(tmp, 'suites', 'elsewhere'));
assert.is(npuval('models', 'export', 'tiny-bert', '--out', outsideModel).status, 0);
const passwd = relative(suites, '/etc/passwd');

function suiteWith(name: string, units: object[], extra: object = {}): string {
  return writeJson(join(suites, `${name}.json`), { name, devices: ['ort:cpu'], units, ...extra });
}

// A user file with token inputs needs its vocabulary (the own-model rule), so every unit names one.
const scenario = (model: string) => ({ kind: 'scenario', scenario: 'single-stream', model, settings: { vocabSize: 1000 } });

test('a suite naming a model outside its folder is refused (exit 2) naming the suite file, the field and the path', () => {
  const file = suiteWith('evil', [MICRO, scenario(passwd)]);
  const r = npuval('run', '--suite', file, '--list');
  assert.is(r.status, 2, r.stdout);
  const line = oneSentence(r.stderr);
  assert.ok(line.includes(file), line);
  assert.ok(line.includes(`units/1/model: "${passwd}" is outside the suite's folder ${suites}`), line);
  assert.match(line, /--allow-outside-paths/);
  // A full run stops before anything is written.
  const out = join(tmp, 'evil-out');
  assert.is(npuval('run', '--suite', file, '--out', out).status, 2);
  assert.not.ok(existsSync(join(out, 'report.json')));
});

test('absolute paths, symlinks out of the folder, test data, settings files and the baseline are confined too', () => {
  symlinkSync(join(tmp, 'suites', 'elsewhere'), join(suites, 'link'));
  const cases: [string, object[], object, string][] = [
    ['absolute', [scenario(outsideModel)], {}, 'units/0/model'],
    ['symlink', [scenario('link/model.onnx')], {}, 'units/0/model'],
    ['tests', [{ kind: 'conformance', onnxTests: ['../elsewhere'] }], {}, 'units/0/onnxTests/0'],
    ['prompt', [{ kind: 'llm', model: 'tiny-llama', settings: { promptFile: '../../x.txt' } }], {}, 'units/0/settings/promptFile'],
    ['conf', [{ ...scenario('tiny-bert'), settings: { mlperfConf: 'ok.conf,/etc/hosts' } }], {}, 'units/0/settings/mlperfConf'],
    ['baseline', [MICRO], { baseline: '../../good/report.json' }, 'baseline'],
    ['criteria', [MICRO], { criteria: '/etc/criteria.json' }, 'criteria'],
  ];
  for (const [name, units, extra, field] of cases) {
    const file = suiteWith(name, units, extra);
    const r = npuval('run', '--suite', file, '--out', join(tmp, `out-${name}`));
    assert.is(r.status, 2, `${name}: ${r.stderr}`);
    const line = oneSentence(r.stderr);
    assert.ok(line.includes(`${field}: `) && line.includes('outside the suite'), `${name}: ${line}`);
    if (name === 'symlink') assert.ok(line.includes(`it resolves to ${outsideModel}`), line);
  }
});

test('--allow-outside-paths lets a suite name files elsewhere; the model is still checked', () => {
  const file = suiteWith('allowed', [scenario(relative(suites, outsideModel))]);
  const listed = npuval('run', '--suite', file, '--list', '--allow-outside-paths', '--json');
  assert.is(listed.status, 0, listed.stderr);
  assert.is((JSON.parse(listed.stdout) as { units: { model: string }[] }).units[0]!.model, outsideModel);
  const evil = npuval('run', '--suite', suiteWith('evil-allowed', [scenario(passwd)]), '--list', '--allow-outside-paths');
  assert.is(evil.status, 2);
  assert.match(oneSentence(evil.stderr), /units\/0\/model: model file \/etc\/passwd is not a valid ONNX model: /);
});

test('model files are checked while planning (run --list): missing, a folder, not ONNX, truncated', () => {
  mkdirSync(join(suites, 'folder.onnx'));
  writeFileSync(join(suites, 'text.onnx'), 'name,value\nx,1\n');
  writeFileSync(join(suites, 'cut.onnx'), readFileSync(outsideModel).subarray(0, 600));
  copyFileSync(outsideModel, join(suites, 'real.onnx'));
  const cases: [string, RegExp][] = [
    ['missing.onnx', /model file .*missing\.onnx does not exist/],
    ['folder.onnx', /model file .*folder\.onnx is a folder, not an ONNX file/],
    ['text.onnx', /model file .*text\.onnx is not a valid ONNX model: byte \d+ is not a ModelProto field/],
    ['cut.onnx', /model file .*cut\.onnx is not a valid ONNX model: the field at byte \d+ runs past the end of the file/],
  ];
  for (const [model, message] of cases) {
    const r = npuval('run', '--suite', suiteWith(`m-${model}`, [scenario(model)]), '--list');
    assert.is(r.status, 2, `${model}: ${r.stdout}`);
    assert.match(oneSentence(r.stderr), new RegExp(`suite m-${model.replace('.', '\\.')}: units/0/model: ${message.source}`));
  }
  assert.is(npuval('run', '--suite', suiteWith('m-real', [scenario('real.onnx')]), '--list').status, 0);
});

test.run();
