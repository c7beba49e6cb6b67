// The conformance runner on hand-made fixtures (test/fixtures/conformance/) with real ORT sessions:
// the comparison rule, sequences and optionals, classification, tolerances, journal and CLI.
import { createDevice } from '../../devices/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceInputError, DeviceRunError, type DeviceFailure } from '../../devices/index.js';
import type { DType, Tensor } from '../../devices/types.js';
import { readValueFile } from '../../models/onnx/tensor.js';
import { toHalfBits } from '../../models/onnx/half.js';
import { defaultRoots, runConformance, type CaseResult, type ConformanceResult } from '../../harness/conformance/index.js';
import { compareTensors, compareValue } from '../../harness/conformance/compare.js';
import { classifyError } from '../../harness/conformance/classify.js';
import { discoverCases } from '../../harness/conformance/discover.js';
import { assignOps, diffRuns, opMatrix } from '../../harness/conformance/matrix.js';
import { ToleranceResolver, readToleranceFile, withDefaultProfiles } from '../../harness/conformance/tolerances.js';
import { Journal, readJournal } from '../../harness/journal.js';
import { main } from '../../harness/cli.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const CUSTOM = join(repoRoot(), 'test/fixtures/conformance/custom');
const tmp = mkdtempSync(join(tmpdir(), 'npuval-conf-'));

const f32 = (dims: number[], v: number[]): Tensor => ({ type: 'float32', dims, data: Float32Array.from(v) });
const f64 = (dims: number[], v: number[]): Tensor => ({ type: 'float64', dims, data: Float64Array.from(v) });
const tol = (rtol: number, atol: number) => (_: DType) => ({ rtol, atol });

let fixtureRun: ConformanceResult | null = null;
async function fixtures(): Promise<ConformanceResult> {
  fixtureRun ??= await runConformance({ device: createDevice('ort:cpu'), roots: [CUSTOM] }, null);
  return fixtureRun;
}
function byId(r: ConformanceResult, suffix: string): CaseResult {
  const c = r.runs[0]!.cases.find((x) => x.id.endsWith(suffix));
  assert.ok(c, `case ${suffix} present`);
  return c!;
}

// ---- comparison rule ----

test('NaN matches NaN; NaN never matches a number', () => {
  assert.is(compareTensors(f32([2], [NaN, 1]), f32([2], [NaN, 1]), { rtol: 1e-3, atol: 1e-7 }).mismatches, 0);
  assert.is(compareTensors(f32([1], [0]), f32([1], [NaN]), { rtol: 1e-3, atol: 1e9 }).mismatches, 1);
  assert.is(compareTensors(f32([1], [NaN]), f32([1], [0]), { rtol: 1e-3, atol: 1e9 }).mismatches, 1);
});

test('infinities match only the same infinity, whatever the tolerance', () => {
  const t = { rtol: 1, atol: 1e30 };
  assert.is(compareTensors(f32([2], [Infinity, -Infinity]), f32([2], [Infinity, -Infinity]), t).mismatches, 0);
  assert.is(compareTensors(f32([1], [-Infinity]), f32([1], [Infinity]), t).mismatches, 1);
  assert.is(compareTensors(f32([1], [3e38]), f32([1], [Infinity]), t).mismatches, 1);
  assert.is(compareTensors(f32([1], [Infinity]), f32([1], [3e38]), t).mismatches, 1);
});

test('tolerance edge: |a−e| ≤ atol + rtol·|e| passes at equality and fails just past it', () => {
  // e = 1024, rtol = 2^-10, atol = 0.5: the bound is exactly 1.5 (all values exact in binary).
  const t = { rtol: 2 ** -10, atol: 0.5 };
  assert.is(compareTensors(f64([1], [1025.5]), f64([1], [1024]), t).mismatches, 0);
  assert.is(compareTensors(f64([1], [1022.5]), f64([1], [1024]), t).mismatches, 0);
  const over = compareTensors(f64([1], [1025.5000001]), f64([1], [1024]), t);
  assert.is(over.mismatches, 1);
  assert.ok(Math.abs(over.maxAbsError! - 1.5000001) < 1e-9);
  // atol alone decides around zero, where the relative part vanishes.
  assert.is(compareTensors(f64([1], [1e-7]), f64([1], [0]), { rtol: 1e-3, atol: 1e-7 }).mismatches, 0);
  assert.is(compareTensors(f64([1], [2e-7]), f64([1], [0]), { rtol: 1e-3, atol: 1e-7 }).mismatches, 1);
});

test('integers, bools and strings compare exactly, int64 at full 64-bit width', () => {
  const i64 = (v: bigint[]): Tensor => ({ type: 'int64', dims: [v.length], data: BigInt64Array.from(v) });
  assert.is(compareValue('y', 's', i64([2n ** 53n + 1n]), i64([2n ** 53n]), tol(1, 1)) !== null, true);
  assert.is(compareValue('y', 's', i64([-5n, 7n]), i64([-5n, 7n]), tol(1, 1)), null);
  const i32 = (v: number[]): Tensor => ({ type: 'int32', dims: [v.length], data: Int32Array.from(v) });
  const m = compareValue('y', 's', i32([1, 2, 4]), i32([1, 2, 3]), tol(1, 10));
  assert.ok(m);
  assert.is(m!.what, 'values');
  assert.equal(m!.firstIndex, [2]);
  assert.is(m!.tolerance, null, 'no tolerance for integers');
  const b = (v: number[]): Tensor => ({ type: 'bool', dims: [v.length], data: Uint8Array.from(v) });
  assert.ok(compareValue('y', 's', b([1, 0]), b([1, 1]), tol(1, 1)));
  const s = (v: string[]): Tensor => ({ type: 'string', dims: [v.length], data: v });
  assert.is(compareValue('y', 's', s(['a', 'b']), s(['a', 'b']), tol(1, 1)), null);
  assert.ok(compareValue('y', 's', s(['0.60484552']), s(['0.6048455']), tol(1, 1)));
});

test('dtype and shape must be equal; a scalar is not a [1] tensor', () => {
  assert.is(compareValue('y', 's', f64([1], [1]), f32([1], [1]), tol(1, 1))!.what, 'dtype');
  assert.is(compareValue('y', 's', f32([], [1]), f32([1], [1]), tol(1, 1))!.what, 'shape');
  assert.is(compareValue('y', 's', f32([2, 3], [0, 0, 0, 0, 0, 0]), f32([3, 2], [0, 0, 0, 0, 0, 0]), tol(1, 1))!.what, 'shape');
  assert.is(compareValue('y', 's', undefined, f32([1], [1]), tol(1, 1))!.what, 'missing-output');
});

test('float16 compares by value, not by bits', () => {
  const h = (v: number[]): Tensor => ({ type: 'float16', dims: [v.length], data: Uint16Array.from(v.map(toHalfBits)) });
  assert.is(compareValue('y', 's', h([1.0009765625]), h([1]), tol(1e-2, 0)), null);
  assert.ok(compareValue('y', 's', h([1.5]), h([1]), tol(1e-2, 0)));
});

// ---- sequences and optionals ----

test('sequence outputs compare element by element with the element path', () => {
  const seq = [f32([1], [1]), f32([2], [2, 3])];
  assert.is(compareValue('out', 's', [f32([1], [1]), f32([2], [2, 3])], seq, tol(1e-3, 0)), null);
  const m = compareValue('out', 's', [f32([1], [1]), f32([2], [2, 4])], seq, tol(1e-3, 0));
  assert.is(m!.output, 'out[1]');
  assert.equal(m!.firstIndex, [1]);
  assert.is(compareValue('out', 's', [f32([1], [1])], seq, tol(1e-3, 0))!.what, 'shape');
  assert.is(compareValue('out', 's', f32([1], [1]), seq, tol(1e-3, 0))!.what, 'kind');
});

test('optional outputs: absent matches absent, and absent never matches a value', () => {
  assert.is(compareValue('o', 's', null, null, tol(1e-3, 0)), null);
  assert.is(compareValue('o', 's', f32([1], [1]), null, tol(1e-3, 0))!.what, 'kind');
  assert.is(compareValue('o', 's', null, f32([1], [1]), tol(1e-3, 0))!.what, 'kind');
  assert.is(compareValue('o', 's', [null, f32([1], [1])], [null, f32([1], [1])], tol(1e-3, 0)), null);
});

test('a SequenceProto expected output decodes and compares; ORT reports the case unsupported (binding)', async () => {
  const dir = join(CUSTOM, 'test_sequence_construct/test_data_set_0');
  const expected = readValueFile(join(dir, 'output_0.pb'), 'sequence');
  const inputs = [readValueFile(join(dir, 'input_0.pb'), 'tensor'), readValueFile(join(dir, 'input_1.pb'), 'tensor')];
  assert.is(compareValue('s', 'set', inputs, expected, tol(0, 0)), null, 'SequenceConstruct(a, b) = [a, b]');
  const c = byId(await fixtures(), 'test_sequence_construct');
  assert.is(c.status, 'unsupported');
  assert.is(c.cause, 'binding');
  assert.match(c.reason!, /onnxruntime-node.*tensors only.*output "s" is a sequence/);
});

// ---- classification on real ORT sessions ----

test('a correct case passes; a deliberately wrong expected output is a fail with its first mismatch', async () => {
  const r = await fixtures();
  assert.is(byId(r, '/test_relu').status, 'pass');
  const c = byId(r, 'test_relu_wrong_expected');
  assert.is(c.status, 'fail');
  assert.is(c.cause, 'tolerance');
  assert.equal(c.mismatch!.firstIndex, [1, 1]);
  assert.is(c.mismatch!.mismatches, 1);
  assert.is(c.mismatch!.elements, 6);
  assert.is(c.mismatch!.maxAbsError, 1);
  assert.is(c.mismatch!.actual, '4');
  assert.is(c.mismatch!.expected, '5');
  assert.equal(c.mismatch!.tolerance, { rtol: 1e-3, atol: 1e-7 });
});

test("opset 99 and IR version 99 are unsupported with the runtime's reason, not errors", async () => {
  const r = await fixtures();
  const opset = byId(r, 'test_relu_opset99');
  assert.is(opset.status, 'unsupported');
  assert.is(opset.cause, 'opset');
  assert.match(opset.reason!, /Opset 99/);
  const ir = byId(r, 'test_relu_ir99');
  assert.is(ir.status, 'unsupported');
  assert.is(ir.cause, 'ir-version');
  assert.match(ir.reason!, /IR version: 99/);
  assert.is(ir.irVersion, 99);
});

test('an int4 output (newer ONNX data) is unsupported/binding and never run: running it aborts onnxruntime-node', async () => {
  const r = await runConformance({ device: createDevice('ort:cpu'), roots: [join(CUSTOM, '..', 'newer')] }, null);
  const c = r.runs[0]!.cases[0]!;
  assert.is(c.id, 'newer/test_cast_FLOAT_to_INT4');
  assert.is(c.status, 'unsupported');
  assert.is(c.cause, 'binding');
  assert.match(c.reason!, /int4/);
  assert.is(c.opset, 21);
  assert.is(c.irVersion, 10);
});

test('a case without test data is skipped (incomplete data); every case is classified', async () => {
  const r = await fixtures();
  const c = byId(r, 'test_no_data');
  assert.is(c.status, 'skipped');
  assert.is(c.cause, 'incomplete-data');
  const run = r.runs[0]!;
  assert.is(run.cases.length, 6);
  assert.equal(run.counts, { pass: 1, fail: 1, unsupported: 3, error: 0, skipped: 1 });
  assert.equal(run.sessionOptions, { intraOpThreads: '1' });
  assert.is(run.deviceClass, 'cpu');
});

test('--filter records the other cases as skipped (filtered) and runs only the matches', async () => {
  const r = await runConformance({ device: createDevice('ort:cpu'), roots: [CUSTOM], filter: 'test_relu$' }, null);
  const run = r.runs[0]!;
  assert.is(run.counts.pass, 1);
  assert.is(run.counts.skipped, 5);
  assert.ok(run.cases.filter((c) => c.status === 'skipped').every((c) => c.cause === 'filtered'));
  try {
    await runConformance({ device: createDevice('ort:cpu'), roots: [CUSTOM], filter: '(' }, null);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 2);
  }
});

test('a per-test override from a tolerance file turns the wrong expected output into a pass', async () => {
  const file = join(tmp, 'tol.yaml');
  writeFileSync(file, 'overrides:\n  - match: "wrong_expected$"\n    atol: 1.5\n    reason: fixture is off by one\n');
  const r = await runConformance(
    { device: createDevice('ort:cpu'), roots: [CUSTOM], filter: 'wrong_expected', tolerancesFile: file },
    null,
  );
  assert.is(byId(r, 'test_relu_wrong_expected').status, 'pass');
  assert.equal(r.tolerances.overrides, [{ match: 'wrong_expected$', atol: 1.5, reason: 'fixture is off by one', rtol: undefined }]);
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({ overrides: [{ match: 'x', rtol: -1 }] }));
  assert.throws(
    () => readToleranceFile(bad),
    (e: Error) => /overrides\[0\]\.rtol/.test(e.message) && (e as { exitCode?: number }).exitCode === 2,
  );
});

test("a tolerance file's profiles replace the defaults only where they reach; the rest keep theirs, listed by name", () => {
  const mine = { name: 'my-npu', deviceClass: 'accelerator' as const, dtypes: ['float16'], rtol: 5e-2, atol: 0.2, source: 'vendor' };
  const all = withDefaultProfiles([mine]);
  assert.equal(
    all.map((p) => [p.name, p.deviceClass, p.dtypes]),
    [
      ['my-npu', 'accelerator', ['float16']],
      ['cpu-fp32 (default)', 'cpu', ['float32', 'float64']],
      ['cpu-half (default)', 'cpu', ['float16', 'bfloat16']],
      ['accelerator-fp32 (default)', 'accelerator', ['float32', 'float64']],
      ['accelerator-half (default)', 'accelerator', ['bfloat16']],
    ],
  );
  const npu = new ToleranceResolver('accelerator', all).forCase('node/test_x');
  assert.equal(npu('float16'), { rtol: 5e-2, atol: 0.2 });
  assert.equal(npu('float32'), { rtol: 1e-3, atol: 1e-3 }); // accelerator-fp32, not cpu-fp32
  assert.match(all[4]!.source, /the tolerance file has no accelerator profile for bfloat16/);
});

test('profiles: ONNX defaults on CPU, looser for accelerators and half floats', () => {
  const cpu = new ToleranceResolver('cpu').forCase('node/test_x');
  assert.equal(cpu('float32'), { rtol: 1e-3, atol: 1e-7 });
  const gpu = new ToleranceResolver('accelerator').forCase('node/test_x');
  assert.ok(gpu('float32').atol > cpu('float32').atol);
  assert.ok(gpu('float16').rtol > gpu('float32').rtol);
  assert.ok(cpu('bfloat16').rtol > cpu('float32').rtol);
});

test('classifier: each typed device failure maps to its cause; anything untyped is an error of its phase', () => {
  const c = (failure: DeviceFailure, opset: number | null = 13) =>
    classifyError(new DeviceRunError(`runtime says ${failure}`, failure), 'load', opset);
  assert.is(c('unsupported-op').cause, 'op');
  assert.is(c('unsupported-dtype').cause, 'type');
  assert.is(c('unsupported-opset').cause, 'opset');
  assert.is(c('unsupported-ir-version').cause, 'ir-version');
  assert.is(c('unsupported-feature').cause, 'feature');
  assert.is(c('binding-limit').cause, 'binding');
  assert.equal(c('unsupported-op'), { status: 'unsupported', cause: 'op', reason: 'runtime says unsupported-op' });
  assert.equal(c('runtime'), { status: 'error', cause: 'load', reason: 'runtime says runtime' });
  // A missing kernel below the runtime's first opset is an opset gap only for a model that old.
  const old = new DeviceRunError("Could not find an implementation for Add(6) node with name ''", 'unsupported-op', {
    firstOpset: 7,
    runtime: 'ONNX Runtime',
  });
  assert.equal(classifyError(old, 'load', 6), {
    status: 'unsupported',
    cause: 'opset',
    reason: "Could not find an implementation for Add(6) node with name '' (model opset 6; ONNX Runtime implements opset 7 and later)",
  });
  assert.is(classifyError(old, 'load', 13).cause, 'op');
  // Message text alone decides nothing: an untyped error is an error, whatever it says.
  const untyped = classifyError(new Error('Could not find an implementation for Max(13)'), 'run');
  assert.equal([untyped.status, untyped.cause], ['error', 'runtime']);
  assert.is(classifyError(new DeviceInputError('bad feed\nsecond line'), 'run').reason, 'bad feed');
});

// ---- discovery, matrix, diff ----

test('discovery: ids are parent/case, cases sorted naturally, data sets found', () => {
  const cases = discoverCases([CUSTOM]);
  assert.equal(
    cases.map((c) => c.id),
    [
      'custom/test_no_data',
      'custom/test_relu',
      'custom/test_relu_ir99',
      'custom/test_relu_opset99',
      'custom/test_relu_wrong_expected',
      'custom/test_sequence_construct',
    ],
  );
  const seq = cases.find((c) => c.id.endsWith('sequence_construct'))!;
  assert.is(seq.dataSets[0]!.inputs.length, 2);
  assert.match(seq.dataSets[0]!.inputs[1]!, /input_1\.pb$/);
  assert.throws(
    () => discoverCases([join(tmp, 'missing')]),
    (e: Error) => (e as { exitCode?: number }).exitCode === 2,
  );
});

test("op matrix: node tests count for the op under test, an expanded test for its sibling's op", () => {
  const base = { status: 'pass' as const, cause: null, reason: null, ops: [], opset: 13, irVersion: 8, dataSets: 1, mismatch: null, ms: 1 };
  const results: CaseResult[] = [
    { ...base, id: 'node/test_softmax_axis_0', suite: 'node', nodeOps: ['Softmax'] },
    {
      ...base,
      id: 'node/test_softmax_axis_0_expanded',
      suite: 'node',
      nodeOps: ['ReduceMax', 'Sub', 'Exp', 'ReduceSum', 'Div'],
      status: 'fail',
      cause: 'tolerance',
    },
    { ...base, id: 'node/test_sce_mean_expanded', suite: 'node', nodeOps: ['LogSoftmax', 'NegativeLogLikelihoodLoss'] },
    { ...base, id: 'simple/test_mlp', suite: 'simple', nodeOps: ['MatMul', 'Relu'] },
  ];
  const assigned = assignOps(results);
  assert.equal(
    assigned.map((r) => r.ops),
    [['Softmax'], ['Softmax'], ['LogSoftmax', 'NegativeLogLikelihoodLoss'], ['MatMul', 'Relu']],
  );
  const m = opMatrix(assigned);
  const softmax = m.find((r) => r.op === 'Softmax')!;
  assert.equal(softmax.counts, { pass: 1, fail: 1, unsupported: 0, error: 0, skipped: 0 });
  assert.is(softmax.verdict, 'fail');
  const run = (device: string, cases: CaseResult[]) => ({
    device,
    deviceClass: 'cpu' as const,
    runtime: 'x',
    driver: null,
    sessionOptions: {},
    counts: { pass: 0, fail: 0, unsupported: 0, error: 0, skipped: 0 },
    cases,
    matrix: opMatrix(cases),
    wallMs: 0,
  });
  const other = assigned.map((r) => ({ ...r, status: 'pass' as const, cause: null }));
  const d = diffRuns(run('b', other), run('a', assigned));
  assert.equal(d.opsOnlyA, ['Softmax']);
  assert.equal(
    d.cases.map((c) => c.id),
    ['node/test_softmax_axis_0_expanded'],
  );
});

test('without the Debian test data, the default root is an environment error (exit 3) saying how to get it', () => {
  assert.throws(
    () => defaultRoots(join(tmp, 'no-testdata')),
    (e: Error) =>
      (e as { exitCode?: number }).exitCode === 3 && /apt-get install libonnx-testdata/.test(e.message) && /--onnx-tests/.test(e.message),
  );
});

test('an unavailable device (ort:coreml, an Apple-only EP) is exit 3 before any case runs', async () => {
  const path = join(tmp, 'coreml', 'journal.jsonl');
  const journal = new Journal(path);
  try {
    await runConformance({ device: createDevice('ort:cpu'), compareDevice: createDevice('ort:coreml'), roots: [CUSTOM] }, journal);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 3);
    assert.match((err as Error).message, /ort:coreml is unavailable/);
  } finally {
    journal.close();
  }
  assert.is(readJournal(path).records.length, 0, 'nothing ran');
});

// ---- journal and CLI ----

test('every case is journaled between start and end records', async () => {
  const path = join(tmp, 'j', 'journal.jsonl');
  const journal = new Journal(path);
  await runConformance({ device: createDevice('ort:cpu'), roots: [CUSTOM] }, journal);
  journal.close();
  const { records } = readJournal(path);
  assert.is(records[0]!.type, 'conformance.start');
  assert.is(records.filter((r) => r.type === 'conformance.case').length, 6);
  const end = records.at(-1)!;
  assert.is(end.type, 'conformance.end');
  assert.equal(end.counts, { pass: 1, fail: 1, unsupported: 3, error: 0, skipped: 1 });
});

test('CLI: --json prints only the result, writes conformance.json, exits 1 when a case fails', async () => {
  const out = join(tmp, 'cli');
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['conformance', '--device', 'ort:cpu', '--onnx-tests', CUSTOM, '--json', '--out', out]);
  } finally {
    process.stdout.write = write;
  }
  assert.is(code, 1);
  const { outDir, files, summary, ...printed } = JSON.parse(stdout) as ConformanceResult & {
    outDir: string;
    files: string[];
    summary: { units: number };
  };
  assert.is(printed.schema, 'npuval.conformance/1');
  assert.is(summary.units, 1);
  assert.ok(files.includes(join(outDir, 'report.json')));
  // The command is a one-unit suite: its full result is the unit's artifact.
  assert.equal(JSON.parse(readFileSync(join(out, 'units', 'conformance_ort_cpu', 'conformance.json'), 'utf8')), printed);
  assert.ok(existsSync(join(out, 'journal.jsonl')));
});

test('CLI bad input is exit 2: a filter that selects no case, --workers 0, an empty profiles list', async () => {
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  const empty = join(tmp, 'empty-profiles.yaml');
  writeFileSync(empty, 'profiles: []\n');
  const codes: number[] = [];
  try {
    const base = ['conformance', '--device', 'ort:cpu', '--onnx-tests', CUSTOM];
    codes.push(await main([...base, '--out', join(tmp, 'cli-bad-1'), '--filter', 'no_such_case']));
    codes.push(await main([...base, '--out', join(tmp, 'cli-bad-2'), '--isolate', '--workers', '0']));
    codes.push(await main([...base, '--out', join(tmp, 'cli-bad-3'), '--tolerances', empty]));
    // The first run journaled before its filter matched nothing; refused, it removed what it wrote, so a rerun into that folder runs.
    assert.not.ok(existsSync(join(tmp, 'cli-bad-1')), 'a refused command leaves nothing behind');
    codes.push(await main([...base, '--out', join(tmp, 'cli-bad-1')]));
  } finally {
    process.stderr.write = write;
  }
  assert.equal(codes.slice(0, 3), [2, 2, 2], stderr.join(''));
  assert.ok(codes[3] === 0 || codes[3] === 1, `the rerun ran: exit ${codes[3]}\n${stderr.join('')}`);
  assert.not.match(stderr.join(''), /already holds a run/);
  assert.match(stderr.join(''), /--filter "no_such_case" matches none of the 6 case ids/);
  assert.match(stderr.join(''), /--workers 0 must be an integer ≥ 1/);
  assert.match(stderr.join(''), /profiles is empty/);
});

test.run();
