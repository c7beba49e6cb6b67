// In-process generation on the zoo's tiny-llama: ort:cpu reports TTFT/TPOT/tokens/s and the
// prefill/decode split, its greedy tokens equal the independent tfjs:wasm reference's, the
// continuous-batching engine (left-padded cache) gives every sequence the tokens it gets alone,
// and everything is journaled.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import { Journal, readJournal } from '../../harness/journal.js';
import { DecoderModel } from '../../harness/serve/decoder.js';
import { BatchEngine } from '../../harness/serve/engine.js';
import { generateStatic } from '../../harness/llm/generate.js';
import { DEFAULT_LLM_SETTINGS, runLlm } from '../../harness/llm/run.js';
import { idsToText, syntheticPrompt, textToIds } from '../../harness/llm/text.js';
import { planUnits, resolveUnit } from '../../harness/run/plan.js';
import { ModelStore } from '../../harness/run/models.js';
import '../../harness/workloads/index.js';
import { buildZooModel, exportZooModel } from '../../models/zoo/index.js';

const bytes = buildZooModel('tiny-llama');
const prompts = [syntheticPrompt(12, 512, 1), syntheticPrompt(12, 512, 2)];

async function greedy(spec: string): Promise<number[][]> {
  const session = await createDevice(spec).open({ bytes });
  try {
    return (await generateStatic(new DecoderModel(session, 'tiny-llama'), prompts, 10)).tokens;
  } finally {
    await session.close();
  }
}

test('greedy tokens on ort:cpu equal the tfjs:wasm reference', async () => {
  const ort = await greedy('ort:cpu');
  const tfjs = await greedy('tfjs:wasm');
  assert.is(ort.length, 2);
  assert.is(ort[0]!.length, 10);
  assert.equal(ort, tfjs);
});

test('continuous batching: sequences of different lengths joining mid-flight get their solo tokens', async () => {
  const session = await createDevice('ort:cpu').open({ bytes });
  try {
    const model = new DecoderModel(session, 'tiny-llama');
    const reqs = [
      { prompt: syntheticPrompt(5, 512, 3), maxTokens: 9 },
      { prompt: syntheticPrompt(11, 512, 4), maxTokens: 4 },
      { prompt: syntheticPrompt(2, 512, 5), maxTokens: 7 },
      { prompt: syntheticPrompt(2, 512, 7), maxTokens: 3 },
      { prompt: syntheticPrompt(8, 512, 6), maxTokens: 1 },
    ];
    const solo = [];
    for (const r of reqs) solo.push((await generateStatic(model, [r.prompt], r.maxTokens)).tokens[0]);
    const engine = new BatchEngine(model, 4);
    const first = engine.submit(reqs[0]!);
    await new Promise((r) => setTimeout(r, 0));
    const rest = reqs.slice(1).map((r) => engine.submit(r));
    const got = await Promise.all([first, ...rest]);
    assert.equal(
      got.map((g) => g.tokens),
      solo,
    );
    const stats = engine.snapshot();
    assert.ok(stats.maxBatchSeen > 1, `batched: ${JSON.stringify(stats)}`);
    assert.ok(stats.maxBatchSeen <= 4, 'never above the max batch');
    // The two 2-token prompts joined at one step boundary and shared one prefill run.
    assert.ok(stats.prefills < reqs.length, `prefills ${stats.prefills} for ${reqs.length} requests`);
    // An aborted request is dropped with its reason; the others go on.
    const ctl = new AbortController();
    const aborted = engine.submit({
      prompt: [1, 2, 3],
      maxTokens: 50,
      signal: ctl.signal,
      onToken: () => ctl.abort(new Error('client went away')),
    });
    const ok = engine.submit({ prompt: [4, 5], maxTokens: 3 });
    let message = '';
    await aborted.catch((e: Error) => (message = e.message));
    assert.is(message, 'client went away');
    assert.is((await ok).tokens.length, 3);
  } finally {
    await session.close();
  }
});

test('npuval llm in-process: TTFT, TPOT, tokens/s, prefill/decode split, journaled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-'));
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const report = await runLlm(
    {
      ...DEFAULT_LLM_SETTINGS,
      device: 'ort:cpu',
      model: 'tiny-llama',
      batch: 2,
      promptLen: 8,
      genLen: 6,
      requests: 4,
      warmup: 0,
      sweepGenLen: [2, 6],
    },
    { journal },
  );
  journal.close();
  assert.is(report.points.length, 2);
  const p = report.points[1]!;
  assert.is(p.label, 'static b2 p8 g6');
  assert.is(p.summary.succeeded, 4);
  assert.is(p.summary.outputTokens, 24);
  assert.ok(p.summary.ttft!.avg > 0 && p.summary.tpot!.avg > 0 && p.summary.outputTokensPerS! > 0);
  assert.is(p.summary.icl!.count, 4 * 5);
  assert.ok(p.split!.prefillTflops! > 0 && p.split!.decodeTokensPerS! > 0 && p.split!.rooflineRatio! > 0);
  assert.equal(
    report.bandwidth!.measurements.map((m) => (m.method.split(' ')[0] === 'host' ? 'host' : m.method.split('=')[1]!.trim().split('(')[0])),
    ['host', 'Slice', 'ReduceSum'],
    'host copy, device copy and device read kernels measured',
  );
  assert.is(report.bandwidth!.rooflineBytesPerS, Math.max(...report.bandwidth!.measurements.map((m) => m.bytesPerS)));
  const { records } = readJournal(join(dir, 'journal.jsonl'));
  const types = records.map((r) => r.type);
  assert.is(types[0], 'llm.start');
  assert.is(types.filter((t) => t === 'llm.request').length, 8);
  assert.is(types.filter((t) => t === 'llm.point').length, 2);
  assert.is(types.at(-1), 'llm.end');
});

test('a user ONNX export that follows the convention runs from its file, with the same tokens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-file-'));
  const { path } = await exportZooModel('tiny-llama', join(dir, 'exported.onnx'));
  const settings = {
    ...DEFAULT_LLM_SETTINGS,
    device: 'ort:cpu',
    batch: 2,
    promptLen: 12,
    genLen: 10,
    requests: 2,
    warmup: 0,
    bandwidth: false,
  };
  const fromFile = await runLlm({ ...settings, model: path });
  const fromZoo = await runLlm({ ...settings, model: 'tiny-llama' });
  assert.is(fromFile.model.source, 'file');
  assert.is(fromFile.points[0]!.split!.prefillTflops, null, 'no cost model for a user file: not computed');
  assert.equal(fromFile.points[0]!.sampleTokens, fromZoo.points[0]!.sampleTokens);
});

test('a non-decoder model is bad input', async () => {
  let err: (Error & { exitCode?: number }) | null = null;
  await runLlm({ ...DEFAULT_LLM_SETTINGS, device: 'ort:cpu', model: 'tiny-bert', requests: 1 }).catch((e: Error) => (err = e));
  assert.is(err!.exitCode, 2);
  assert.match(err!.message, /decoder/);
});

test("prompt + generation beyond the zoo preset's context is bad input (it would run for hours)", async () => {
  let err: (Error & { exitCode?: number }) | null = null;
  await runLlm({ ...DEFAULT_LLM_SETTINGS, device: 'ort:cpu', model: 'tiny-llama', requests: 1, sweepGenLen: [8, 100000] }).catch(
    (e: Error) => (err = e),
  );
  assert.is(err!.exitCode, 2);
  assert.match(err!.message, /exceed tiny-llama's context of 512 tokens/);
});

test("the suites' llm unit reports registry metrics and judges the SLO", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-llm-unit-'));
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const [planned] = planUnits(
    {
      name: 's',
      units: [
        {
          kind: 'llm',
          model: 'tiny-llama',
          settings: { promptLen: 4, genLen: 3, requests: 2, warmup: 0, bandwidth: false, slo: 'ttft=0.000001' },
        },
      ],
    },
    [],
    ['ort:cpu'],
  );
  const unit = resolveUnit(planned!, 0);
  const ctx = {
    unitId: unit.id,
    device: createDevice('ort:cpu'),
    seed: 0,
    journal,
    outDir: dir,
    signal: new AbortController().signal,
    model: (name: string) => ({ ...new ModelStore().load(name).model }),
    otherDevice: () => {
      throw new Error('unused');
    },
  };
  const out = await unit.w.run(unit.params, ctx);
  journal.close();
  assert.is(out.status, 'fail');
  assert.is(out.validity.valid, false);
  assert.match(out.validity.reasons[0]!, /TTFT/);
  assert.is(out.metrics.query_count, 2);
  assert.ok((out.metrics.output_tokens_per_second ?? 0) > 0);
  assert.is(out.metrics.goodput_rps, 0);
});

test('text mapping is reversible for id text', () => {
  assert.is(idsToText([5, 17, 0]), ' 5 17 0');
  assert.equal(textToIds(' 5 17 0', 512), [5, 17, 0]);
  assert.equal(textToIds('hi', 512), [104, 105]);
});

test.run();
