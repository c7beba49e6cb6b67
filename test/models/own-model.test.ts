// A user's own ONNX model (no npuval metadata, a token input, a dynamic dim) works wherever a zoo
// model does: `bench` with --vocab/--dim/--flops/--bytes reports effective compute labelled
// user-supplied, `accuracy` compares it on a vendor process adapter against ort:cpu, a suite runs it
// with the same settings, and an inputs folder (ONNX test-data input_N.pb or .npy) replaces the
// seeded samples — checked against the model at plan time. Everything runs through the real CLI.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '../../devices/types.js';
import { lookUpPeak } from '../../harness/scenarios/peak.js';
import { effectiveCompute } from '../../harness/scenarios/compute.js';
import { parseQuantity } from '../../harness/workloads/settings.js';
import { inspectFile } from '../../models/inspect.js';
import { decodeNpy, encodeNpy, readNpy } from '../../models/npy.js';
import { GraphBuilder } from '../../models/onnx/graph.js';
import { encodePlan } from '../../models/onnx/writer.js';
import type { RunReport, UnitRecord } from '../../reports/types.js';
import { npuval, repoRoot } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-own-model-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// The user's model: token_ids int64 [batch, seq] → Gather(embed [100, 16]) → MatMul([16, 32]) → Relu.
const VOCAB = 100;
const SEQ = 12;
const FLOPS = 2 * SEQ * 16 * 32; // the MatMul's multiply-adds (the Gather and Relu are not counted)
const BYTES = 8 * SEQ + 4 * (16 * 32 + SEQ * 16 + SEQ * 32); // ids, the projection, activations in and out
const model = join(dir, 'user.onnx');
{
  const g = new GraphBuilder('user-embedder');
  const ids = g.input('token_ids', 'int64', ['batch', 'seq']);
  const e = g.op('Gather', [g.weight('embed', [VOCAB, 16], { kind: 'normal', std: 1 }), ids], { axis: 0 });
  g.output(g.op('Relu', [g.matmul(e, g.weight('proj', [16, 32], { kind: 'normal', std: 0.3 }))]), 'features', 'float32', [
    'batch',
    'seq',
    32,
  ]);
  writeFileSync(model, encodePlan(g.plan({ producer: 'pytorch' }), 7));
}
const quick = ['--min-duration', '0.2', '--warmup', '0.05'];
const ownFlags = ['--vocab', String(VOCAB), '--dim', `seq=${SEQ}`];
const PROC = 'proc:node adapters/ort-node/main.js';
/** `npuval bench` of the user model on ort:cpu, briefly. */
const bench = (...args: string[]) => npuval('bench', '--device', 'ort:cpu', '--model', model, ...quick, ...args);
/** `npuval accuracy` of the user model on the ORT process adapter against in-process ort:cpu. */
const accuracy = (...args: string[]) => npuval('accuracy', '--device', PROC, '--reference', 'ort:cpu', '--model', model, ...args);

function report(out: string): RunReport {
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
}

type Compute = { flopsPerSample: number | null; flopsSource: string | null; roofline: { arithmeticIntensity: number } | null };
const computeOf = (u: UnitRecord) => (u.result as unknown as { compute: Compute }).compute;

test('the model is a user export: no npuval metadata, a token input and symbolic dims', () => {
  const info = inspectFile(model);
  assert.equal(info.metadata, {});
  assert.equal(info.inputs, [{ name: 'token_ids', kind: 'tensor', dtype: 'int64', shape: ['batch', 'seq'] }]);
});

test('bench without --vocab or --dim is refused at plan time naming what is missing (exit 2)', () => {
  const noDim = bench('--vocab', '100', '--out', join(dir, 'x1'));
  assert.is(noDim.status, 2, noDim.stderr);
  assert.match(noDim.stderr, /symbolic dim "seq" with no value; pass it \(e\.g\. --dim seq=N\)/);
  const noVocab = bench('--dim', 'seq=12', '--out', join(dir, 'x2'));
  assert.is(noVocab.status, 2, noVocab.stderr);
  assert.match(noVocab.stderr, /token ids; give the vocabulary size \(vocabSize \/ --vocab\)/);
  assert.not.match(noVocab.stderr, /\n\s+at /); // one sentence, no stack
});

test('bench with --vocab --dim --flops --bytes: effective compute and intensity, labelled user-supplied', () => {
  const out = join(dir, 'bench');
  const r = bench(...ownFlags, '--flops', `${FLOPS / 1000}k`, '--bytes', String(BYTES), '--out', out);
  assert.is(r.status, 0, r.stderr);
  const u = report(out).units[0]!;
  const sps = u.metrics.samples_per_second!;
  assert.ok(sps > 0);
  assert.is(u.settings.flopsPerSample, FLOPS); // 12.288k on the CLI
  assert.ok(Math.abs(u.metrics.effective_tflops! - (FLOPS * sps) / 1e12) < 1e-12 * FLOPS * sps);
  assert.ok(Math.abs(u.metrics.memory_traffic_gbps! - (BYTES * sps) / 1e9) < 1e-9 * BYTES * sps);
  const c = computeOf(u);
  assert.is(c.flopsSource, 'user-supplied');
  assert.ok(Math.abs(c.roofline!.arithmeticIntensity - FLOPS / BYTES) < 1e-12);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.ok(md.includes(`FLOPs per sample: ${FLOPS.toExponential(3)}, user-supplied (--flops)`), md);
  assert.match(md, /bytes per sample: [\d.e+]+, user-supplied \(--bytes\)/);
  assert.match(md, /effective compute [\d.]+ TFLOP\/s/);
  assert.match(md, /roofline: arithmetic intensity/);
  assert.match(md, /unknown \(a user's model: a unit's --flops shows in its notes\)/); // the Models table
  // The CPU has no catalog peak: utilization and the roofline position say why they are missing.
  assert.is(u.metrics.utilization_pct, null);
  const [unitDir] = readdirSync(join(out, 'units'));
  assert.match(readFileSync(join(out, 'units', unitDir!, 'npuval_summary.txt'), 'utf8'), /effective compute : .*user-supplied \(--flops\)/);
});

test('bench without --flops says effective compute is not measured and why', () => {
  const out = join(dir, 'bench-noflops');
  const r = bench(...ownFlags, '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.is(report(out).units[0]!.metrics.effective_tflops, null);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /not measured: FLOPs of a user model are unknown; pass --flops/);
});

test('on a zoo model --flops replaces the analytic count, labelled user-supplied; a bad quantity is exit 2', () => {
  const out = join(dir, 'zoo-flops');
  const zoo = npuval('bench', '--device', 'ort:cpu', '--model', 'tiny-bert', ...quick, '--flops', '1e6', '--out', out);
  assert.is(zoo.status, 0, zoo.stderr);
  const u = report(out).units[0]!;
  assert.is(computeOf(u).flopsPerSample, 1e6);
  assert.is(computeOf(u).flopsSource, 'user-supplied');
  assert.ok(Math.abs(u.metrics.effective_tflops! - (1e6 * u.metrics.samples_per_second!) / 1e12) < 1e-15);
  assert.ok(report(out).models[0]!.flopsPerSample! > 0); // the Models table keeps the analytic count
  assert.not.equal(report(out).models[0]!.flopsPerSample, 1e6);
  const bad = bench(...ownFlags, '--flops', '3.5 gigaflops', '--out', join(dir, 'x4'));
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--flops 3\.5 gigaflops is not a number such as 1\.2e9 or 3\.5G/);
});

test('SI quantities: 1.2e9, 3.5G, 800M, 12k; anything else names the flag', () => {
  assert.is(parseQuantity('1.2e9', '--flops'), 1.2e9);
  assert.is(parseQuantity('3.5G', '--flops'), 3.5e9);
  assert.is(parseQuantity('800M', '--bytes'), 8e8);
  assert.is(parseQuantity('12k', '--bytes'), 12_000);
  assert.throws(() => parseQuantity('3.5g', '--flops'), /--flops 3\.5g is not a number/);
  assert.throws(() => parseQuantity('', '--bytes'), /--bytes {2}is not a number/);
});

test('the roofline against a catalog entry: intensity × bandwidth below the ridge is memory-bound', async () => {
  const h100 = {
    id: 'ort:cuda:0',
    model: 'NVIDIA H100 80GB HBM3',
    catalogId: null,
    backend: { name: 'cuda', options: {} },
  } as unknown as Parameters<typeof lookUpPeak>[0];
  const peak = lookUpPeak(h100, 'fp32');
  if (peak.entry === null) throw new Error(peak.reason);
  assert.ok(peak.bandwidthTBs! > 0);
  // 1 FLOP per byte is far below an H100's ridge (tens of FLOP/byte): the roof is intensity × bandwidth.
  const c = effectiveCompute({ flopsPerSample: 1e9, flopsSource: 'user-supplied', bytesPerSample: 1e9 }, 1000, peak);
  const r = c.roofline!;
  assert.is(r.arithmeticIntensity, 1);
  assert.is(r.boundBy, 'memory');
  assert.ok(Math.abs(r.attainableTflops! - peak.bandwidthTBs!) < 1e-12);
  assert.ok(Math.abs(r.ofAttainable! - 1 / peak.bandwidthTBs!) < 1e-12); // 1 TFLOP/s achieved
  assert.ok(Math.abs(r.ridgePoint! - peak.tflops / peak.bandwidthTBs!) < 1e-12);
  assert.match(r.bandwidthSource!, /^catalog nvidia-h100-sxm, memory bandwidth \(https?:/);
  const compute = effectiveCompute({ flopsPerSample: 1e12, flopsSource: 'user-supplied', bytesPerSample: 1 }, 1, peak);
  assert.is(compute.roofline!.boundBy, 'compute');
  assert.is(compute.roofline!.attainableTflops, peak.tflops);
});

test('accuracy of the user model on a vendor process adapter against ort:cpu, with --vocab and --dim', () => {
  const out = join(dir, 'accuracy');
  const r = accuracy(...ownFlags, '--samples', '2', '--out', out);
  assert.is(r.status, 0, r.stderr);
  const u = report(out).units[0]!;
  assert.is(u.status, 'pass');
  assert.ok(u.metrics.cosine_similarity_min! > 0.9999);
  assert.equal((u.result as unknown as { dims: Record<string, number> }).dims.seq, SEQ);
  const noVocab = accuracy('--dim', 'seq=12', '--out', join(dir, 'x5'));
  assert.is(noVocab.status, 2, noVocab.stderr);
  assert.match(noVocab.stderr, /--vocab/);
});

// Inputs folders. ONNX test-data layout written by `npuval models inputs` (real TensorProto files):
// one file of 3 rows and one of 1 row in test_data_set_N/ → 4 one-row samples for a scenario.
const pbFolder = join(dir, 'inputs-pb');
test('an inputs folder of input_0.pb files: the QSL is its samples, split into batch rows', () => {
  for (const [set, batch, seed] of [
    ['test_data_set_0', 3, 1],
    ['test_data_set_1', 1, 2],
  ] as const) {
    const w = npuval(
      'models',
      'inputs',
      model,
      '--dim',
      `batch=${batch}`,
      '--dim',
      `seq=${SEQ}`,
      '--vocab',
      String(VOCAB),
      '--seed',
      String(seed),
      '--out',
      join(pbFolder, set),
    );
    assert.is(w.status, 0, w.stderr);
  }
  const out = join(dir, 'bench-pb');
  const r = bench('--inputs', pbFolder, '--flops', String(FLOPS), '--out', out);
  assert.is(r.status, 0, r.stderr);
  const u = report(out).units[0]!;
  assert.is(u.settings.performanceSampleCount, 4);
  assert.is(u.settings.inputs, pbFolder);
  assert.ok(u.notes.some((n) => n.startsWith(`inputs: 4 sample(s) from 2 folder(s) under ${pbFolder}`)));
  assert.ok(u.metrics.effective_tflops! > 0);
  // A --qsl-size beside an inputs folder would be ignored: refused.
  const qsl = bench('--inputs', pbFolder, '--qsl-size', '8', '--out', join(dir, 'x6'));
  assert.is(qsl.status, 2, qsl.stderr);
  assert.match(qsl.stderr, /setting "performanceSampleCount" does not apply with inputs: the QSL is the folder's 4 sample\(s\)/);
});

test('accuracy compares the inputs folder samples as they are (no row split), and says so', () => {
  const out = join(dir, 'accuracy-pb');
  const r = accuracy('--inputs', pbFolder, '--out', out);
  assert.is(r.status, 0, r.stderr);
  const u = report(out).units[0]!;
  const result = u.result as unknown as { samples: number; inputs: string; outputs: { dims: number[] }[] };
  assert.is(result.samples, 2);
  assert.is(result.inputs, pbFolder);
  assert.match(r.stderr + r.stdout, /2 sample\(s\) from inputs folder/);
});

const ids = (rows: number, seq: number, offset = 0): Tensor => ({
  type: 'int64',
  dims: [rows, seq],
  data: BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt((i * 7 + offset) % VOCAB)),
});

test('an inputs folder of .npy files named after the input works; a shape or dtype mismatch is exit 2 naming the file', () => {
  const npy = join(dir, 'inputs-npy');
  mkdirSync(join(npy, 'b'), { recursive: true });
  writeFileSync(join(npy, 'token_ids.npy'), encodeNpy(ids(1, SEQ)));
  writeFileSync(join(npy, 'b', 'input_0.npy'), encodeNpy(ids(2, SEQ, 3)));
  const out = join(dir, 'bench-npy');
  const r = bench('--inputs', npy, '--dim', `seq=${SEQ}`, '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.is(report(out).units[0]!.settings.performanceSampleCount, 3);

  // seq 10 in the file where --dim says 12.
  writeFileSync(join(npy, 'b', 'input_0.npy'), encodeNpy(ids(1, 10)));
  const shape = bench('--inputs', npy, '--dim', `seq=${SEQ}`, '--out', join(dir, 'x7'));
  assert.is(shape.status, 2, shape.stderr);
  assert.match(
    shape.stderr,
    new RegExp(
      `${join(npy, 'b', 'input_0.npy')} has shape \\[1, 10\\], but the model's input "token_ids" is \\[batch, seq\\]: seq is 10 in the file but 12 in --dim/dims\\.`,
    ),
  );
  assert.is(shape.stderr.trim().split('\n').length, 1);
  // int32 where the model takes int64.
  writeFileSync(join(npy, 'b', 'input_0.npy'), encodeNpy({ type: 'int32', dims: [1, SEQ], data: new Int32Array(SEQ) }));
  const dtype = bench('--inputs', npy, '--out', join(dir, 'x8'));
  assert.is(dtype.status, 2, dtype.stderr);
  assert.match(dtype.stderr, /input_0\.npy holds int32, but the model's input "token_ids" is int64\./);
  // A file named after no input.
  writeFileSync(join(npy, 'b', 'input_0.npy'), encodeNpy(ids(1, SEQ)));
  writeFileSync(join(npy, 'tokens.npy'), encodeNpy(ids(1, SEQ)));
  const stray = bench('--inputs', npy, '--out', join(dir, 'x9'));
  assert.is(stray.status, 2, stray.stderr);
  assert.match(stray.stderr, /tokens\.npy is named after no input of the model; name it input_K\.npy or after one of: token_ids\./);
  rmSync(join(npy, 'tokens.npy'));
  // Rows of one sample must agree; an empty folder has no samples.
  mkdirSync(join(dir, 'empty'));
  const empty = bench('--inputs', join(dir, 'empty'), '--out', join(dir, 'x10'));
  assert.is(empty.status, 2, empty.stderr);
  assert.match(empty.stderr, /holds no input_K\.pb, input_K\.npy or NAME\.npy files/);
});

test('a suite unit takes the same settings: vocabSize, dims, flopsPerSample, bytesPerSample, inputs (paths from the suite file)', () => {
  const suiteDir = join(dir, 'suite');
  mkdirSync(suiteDir);
  writeFileSync(join(suiteDir, 'user.onnx'), readFileSync(model));
  cpSync(pbFolder, join(suiteDir, 'samples'), { recursive: true }); // suite paths stay inside the suite's folder
  const suite = {
    name: 'own-model',
    devices: ['ort:cpu'],
    units: [
      {
        kind: 'scenario',
        scenario: 'offline',
        model: './user.onnx',
        settings: { vocabSize: VOCAB, dims: { seq: SEQ }, flopsPerSample: FLOPS, bytesPerSample: BYTES, minDurationMs: 200, warmupMs: 50 },
      },
      {
        kind: 'scenario',
        id: 'from-files',
        scenario: 'single-stream',
        model: './user.onnx',
        settings: { inputs: './samples', flopsPerSample: FLOPS, minDurationMs: 200, warmupMs: 50 },
      },
      {
        kind: 'accuracy',
        model: './user.onnx',
        reference: 'ort:cpu',
        devices: [PROC],
        samples: 2,
        settings: { vocabSize: VOCAB, dims: { seq: SEQ } },
      },
    ],
  };
  writeFileSync(join(suiteDir, 'suite.json'), JSON.stringify(suite));
  const out = join(dir, 'suite-out');
  const r = npuval('run', '--suite', join(suiteDir, 'suite.json'), '--out', out);
  assert.is(r.status, 0, r.stderr);
  const units = report(out).units;
  assert.equal(
    units.map((u) => u.status),
    ['pass', 'pass', 'pass'],
  );
  const [offline, files] = units;
  assert.is(computeOf(offline!).flopsSource, 'user-supplied');
  assert.ok(Math.abs(offline!.metrics.effective_tflops! - (FLOPS * offline!.metrics.samples_per_second!) / 1e12) < 1e-9);
  assert.ok(offline!.metrics.memory_traffic_gbps! > 0);
  assert.is(files!.settings.performanceSampleCount, 4);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.ok(md.includes(`FLOPs per sample: ${FLOPS.toExponential(3)}, user-supplied (--flops)`), md);
  // The old name is not a setting.
  writeFileSync(join(suiteDir, 'bad.json'), JSON.stringify({ ...suite, units: [{ ...suite.units[0], settings: { vocab: 100 } }] }));
  const bad = npuval('run', '--suite', join(suiteDir, 'bad.json'), '--out', join(dir, 'x11'));
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /vocab/);
});

test('.npy files as numpy writes them: versions 1, 2 and 3, C order; Fortran order and big-endian are refused', () => {
  const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'npy', name);
  const f32 = readNpy(fixture('f32-v1.npy'));
  assert.equal([f32.type, [...f32.dims], Array.from(f32.data as Float32Array)], ['float32', [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]]);
  const i64 = readNpy(fixture('i64-v2.npy'));
  assert.equal([i64.type, [...i64.dims], Array.from(i64.data as BigInt64Array)], ['int64', [1, 3], [3n, -1n, 7n]]);
  const f16 = readNpy(fixture('f16-v3.npy'));
  assert.equal([f16.type, Array.from(f16.data as Uint16Array)], ['float16', [0x3800, 0xc000]]); // 0.5, -2 as half bits
  assert.equal(Array.from(readNpy(fixture('bool-v1.npy')).data as Uint8Array), [1, 0, 1]);
  const scalar = readNpy(fixture('u8-scalar.npy'));
  assert.equal([scalar.type, [...scalar.dims], Array.from(scalar.data as Uint8Array)], ['uint8', [], [7]]);
  // What npuval writes is byte for byte what numpy writes (format 1.0).
  assert.equal(Array.from(encodeNpy(f32)), Array.from(readFileSync(fixture('f32-v1.npy'))));
  assert.throws(
    () => readNpy(fixture('fortran.npy')),
    /fortran\.npy is not an \.npy array npuval can read: it is stored in Fortran \(column-major\) order/,
  );
  assert.throws(() => readNpy(fixture('big-endian.npy')), /its dtype >i4 is big-endian/);
  const cut = readFileSync(fixture('f32-v1.npy')).subarray(0, 140);
  assert.throws(() => decodeNpy(cut, 'cut.npy'), /cut\.npy .*needs 24 bytes of data, but it holds 12/);
});

test.run();
