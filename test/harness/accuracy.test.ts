// The accuracy runner with real sessions: a zoo decoder on ORT against the tfjs reference, the
// agreement metrics on known values, and thresholds turning into pass/fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CRITERIA,
  evaluate,
  firstDivergence,
  readCriteriaFile,
  runAccuracy,
  type OutputAccuracy,
} from '../../harness/accuracy/index.js';
import { pairStats, topKAgreement } from '../../harness/accuracy/metrics.js';
import { Journal, readJournal } from '../../harness/journal.js';
import { createDevice } from '../../devices/index.js';
import { resolveModel } from '../../models/resolve.js';

/** runAccuracy on specs and a model name, as the accuracy workload calls it with what the orchestrator made. */
async function runAccuracyOn(
  opts: { device: string; reference: string; model: string; dtype?: 'float32' | 'float16' } & Omit<
    Parameters<typeof runAccuracy>[0],
    'device' | 'reference' | 'source' | 'vocabSize' | 'model' | 'dtype'
  >,
  journal: Journal | null,
) {
  const m = resolveModel(opts.model, { dtype: opts.dtype });
  const vocab = m.zoo?.config.vocab_size;
  return runAccuracy(
    {
      ...opts,
      device: createDevice(opts.device),
      reference: createDevice(opts.reference),
      source: m.source,
      vocabSize: typeof vocab === 'number' ? vocab : null,
    },
    journal,
  );
}

const tmp = mkdtempSync(join(tmpdir(), 'npuval-acc-'));

test('cosine, max abs and rel error on known vectors', () => {
  const s = pairStats(Float64Array.from([1, 0, 2]), Float64Array.from([1, 0, 1]));
  assert.ok(Math.abs(s.cosine! - 3 / Math.sqrt(10)) < 1e-12);
  assert.is(s.maxAbsError, 1);
  assert.is(s.maxRelError, 1);
  assert.is(pairStats(Float64Array.from([-1, -2]), Float64Array.from([1, 2])).cosine, -1);
  assert.is(pairStats(Float64Array.from([NaN]), Float64Array.from([1])).cosine, null, 'a NaN is never agreement');
});

test('top-1 and top-5 agreement over rows of the last axis', () => {
  // Two rows of 6 classes. Row 0: same argmax (5). Row 1: reference argmax 0 is the device's 2nd best.
  const ref = Float64Array.from([0, 1, 2, 3, 4, 5, 9, 1, 1, 1, 1, 1]);
  const dev = Float64Array.from([0, 1, 2, 3, 4, 6, 8, 9, 1, 1, 1, 1]);
  assert.equal(topKAgreement(dev, ref, 6), { rows: 2, top1: 1, top5: 2 });
});

test('greedy divergence step, and thresholds deciding pass/fail', () => {
  assert.is(firstDivergence([1, 2, 3], [1, 2, 3]), null);
  assert.is(firstDivergence([1, 2, 3], [1, 5, 3]), 1);
  assert.is(firstDivergence([1, 2], [1, 2, 3]), 2);
  const out: OutputAccuracy = {
    name: 'logits',
    type: 'float32',
    dims: [1, 4, 8],
    minCosine: 0.9995,
    meanCosine: 0.9999,
    maxAbsError: 0.01,
    maxRelError: 0.1,
    nonFinite: 0,
    topK: { rows: 4, top1: 0.75, top5: 1 },
  };
  const gen = { tokens: 4, samples: [], agreement: 0.5, exact: 0, decode: { steps: 4, minCosine: 0.9999, maxAbsError: 0.0005, top1: 1 } };
  const checks = evaluate({ ...DEFAULT_CRITERIA, maxAbsError: 0.001 }, [out], gen);
  const by = Object.fromEntries(checks.map((c) => [c.name, c.pass]));
  assert.equal(by, { minCosine: true, maxAbsError: false, minTop1: false, minTop5: true, minTokenAgreement: false });
  assert.not.ok('maxRelError' in by, 'a null threshold is not checked');
  // A decode step worse than every prefill output decides the check.
  const worse = evaluate(DEFAULT_CRITERIA, [{ ...out, topK: { rows: 4, top1: 1, top5: 1 } }], {
    ...gen,
    agreement: 1,
    decode: { ...gen.decode, minCosine: 0.99, top1: 0.5 },
  });
  assert.equal(
    worse.map((c) => [c.name, c.pass]),
    [
      ['minCosine', false],
      ['minTop1', false],
      ['minTop5', true],
      ['minTokenAgreement', true],
    ],
  );
});

test('criteria file: thresholds read, unknown keys rejected (exit 2)', () => {
  const ok = join(tmp, 'c.yaml');
  writeFileSync(ok, 'minCosine: 0.99\nminTop5: null\n');
  assert.equal(readCriteriaFile(ok), { minCosine: 0.99, minTop5: null });
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, '{"minCosin": 0.9}');
  assert.throws(
    () => readCriteriaFile(bad),
    (e: Error) => /unknown key "minCosin"/.test(e.message) && (e as { exitCode?: number }).exitCode === 2,
  );
});

test('tiny-llama on ort:cpu against tfjs:wasm: logits agree and greedy tokens match with the KV cache', async () => {
  const path = join(tmp, 'j', 'journal.jsonl');
  const journal = new Journal(path);
  const r = await runAccuracyOn({ device: 'ort:cpu', reference: 'tfjs:wasm', model: 'tiny-llama', samples: 2, tokens: 6 }, journal);
  journal.close();
  const logits = r.outputs.find((o) => o.name === 'logits')!;
  assert.equal(logits.dims, [1, 8, 512]);
  assert.ok(logits.minCosine! > 0.9999, `cosine ${logits.minCosine}`);
  assert.is(logits.topK!.rows, 16);
  assert.ok(
    r.outputs.some((o) => o.name === 'present.1.value'),
    'KV outputs compared too',
  );
  assert.is(r.generation!.samples.length, 2);
  assert.is(r.generation!.decode.steps, 12, 'teacher-forced: prefill + 5 decode steps per sample');
  assert.ok(r.generation!.decode.minCosine! > 0.9999);
  assert.is(r.generation!.decode.top1, 1);
  assert.is(r.generation!.samples[0]!.device.length, 6);
  assert.equal(r.generation!.samples[0]!.prompt.length, 8);
  assert.is(r.pass, true, JSON.stringify(r.checks));
  const types = readJournal(path).records.map((x) => x.type);
  assert.equal(types, ['accuracy.start', 'accuracy.sample', 'accuracy.sample', 'accuracy.generation', 'accuracy.end']);
  // An impossible threshold fails the same run.
  const strict = await runAccuracyOn(
    { device: 'ort:cpu', reference: 'tfjs:wasm', model: 'tiny-llama', samples: 1, tokens: 0, criteria: { maxAbsError: 0 } },
    null,
  );
  assert.is(strict.pass, false);
  assert.is(strict.generation, null);
  assert.match(strict.generationNote!, /--tokens 0/);
});

test('--dtype float16 builds the zoo decoder in fp16: fp16 outputs on both sides, still within the defaults', async () => {
  const r = await runAccuracyOn(
    { device: 'ort:cpu', reference: 'tfjs:wasm', model: 'tiny-llama', samples: 1, tokens: 4, dtype: 'float16' },
    null,
  );
  assert.is(r.dtype, 'float16');
  const logits = r.outputs.find((o) => o.name === 'logits')!;
  assert.is(logits.type, 'float16');
  assert.ok(logits.maxAbsError > 0, 'fp16 rounding differs between the two implementations');
  assert.is(r.pass, true, JSON.stringify(r.checks));
  try {
    await runAccuracyOn({ device: 'ort:cpu', reference: 'tfjs:wasm', model: '/tmp/x.onnx', dtype: 'float16' }, null);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 2, '--dtype applies to zoo models only');
  }
});

test('a classifier (no decoder I/O) gets top-k checks and no generation; an unknown model is exit 2', async () => {
  const r = await runAccuracyOn({ device: 'ort:cpu', reference: 'tfjs:wasm', model: 'tiny-resnet', samples: 1 }, null);
  assert.ok(r.outputs[0]!.topK);
  assert.is(r.generation, null);
  assert.match(r.generationNote!, /not a decoder-with-past model/);
  try {
    await runAccuracyOn({ device: 'ort:cpu', reference: 'tfjs:wasm', model: 'no-such-model' }, null);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { exitCode?: number }).exitCode, 2);
  }
});

test('bad input is exit 2 with the reason: out-of-range thresholds, an unknown --dim name, a truncated .onnx', async () => {
  const exit2 = async (opts: Parameters<typeof runAccuracyOn>[0], re: RegExp) => {
    try {
      await runAccuracyOn(opts, null);
      assert.unreachable('expected exit 2');
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2, String(err));
      assert.match((err as Error).message, re);
    }
  };
  const base = { device: 'ort:cpu', reference: 'tfjs:wasm', samples: 1, tokens: 0 } as const;
  await exit2({ ...base, model: 'tiny-resnet', criteria: { minCosine: 2 } }, /minCosine = 2 is outside/);
  await exit2({ ...base, model: 'tiny-resnet', criteria: { minTop1: Number.NaN } }, /minTop1 = NaN/);
  await exit2({ ...base, model: 'tiny-llama', dims: { batch: 2 } }, /--dim batch: .*batch_size/);
  const truncated = join(tmp, 'truncated.onnx');
  const { buildZooModel } = await import('../../models/zoo/index.js');
  writeFileSync(truncated, buildZooModel('tiny-resnet').subarray(0, 2000));
  await exit2({ ...base, model: truncated }, /truncated\.onnx is not a valid ONNX model/);
});

test.run();
