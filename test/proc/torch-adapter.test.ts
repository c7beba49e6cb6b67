// The PyTorch reference adapter (adapters/torch-py/main.py) on real processes: it passes every
// adapter-check row; through the real CLI its SingleStream benches of tiny-bert and tiny-resnet are
// VALID, accuracy against ort:cpu passes on tiny-bert, tiny-resnet and tiny-llama (greedy tokens
// through the KV cache identical), an LLM run of tiny-llama completes, and conformance classifies
// what it does not implement as unsupported with its reason, never as an error; its own `generate`
// streams ort:cpu's greedy tokens with timestamps and stops on `cancel`. Needs python3 with torch
// and onnx (Debian python3-torch, python3-onnx): skipped without, failed under NPUVAL_REQUIRE_SYSTEM=1.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice, DeviceRunError } from '../../devices/index.js';
import { commandWords, RawAdapter, type RawFrame } from '../../harness/adapter-check/raw.js';
import { generateStatic } from '../../harness/llm/generate.js';
import { DecoderModel } from '../../harness/serve/decoder.js';
import { GraphBuilder } from '../../models/onnx/graph.js';
import { encodePlan } from '../../models/onnx/writer.js';
import { buildZooModel } from '../../models/zoo/index.js';
import { ONNX_TESTDATA, systemTest } from '../helpers/system.js';
import { npuval, root, TORCH, torchDep } from './helpers.js';

process.chdir(root);
const tmp = mkdtempSync(join(tmpdir(), 'npuval-torch-adapter-'));

const REASON = /the PyTorch reference adapter runs npuval zoo models \(llama, bert, resnet\)/;

interface Unit {
  id: string;
  status: string;
  validity: { valid: boolean | null };
  error: { message: string } | null;
  result: Record<string, any> | null;
}

systemTest(test, torchDep, 'adapter-check: every row passes', () => {
  const r = npuval('adapter-check', TORCH, '--json', '--timeout', '10', '--large-mb', '32');
  const report = JSON.parse(r.stdout || '{}') as { rows?: { check: string; status: string; detail: string }[]; adapter?: { name: string } };
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.is(report.adapter!.name, 'npuval-torch-py');
  for (const row of report.rows!) assert.is(row.status, 'pass', `${row.check}: ${row.detail}`);
  assert.is(report.rows!.length, 17);
  assert.match(report.rows!.find((row) => row.check === 'dtypes')!.detail, /all 10 claimed types round-trip bit for bit/);
});

systemTest(test, torchDep, 'bench, accuracy, LLM and conformance through the CLI agree with ort:cpu', () => {
  const slice = existsSync(ONNX_TESTDATA);
  const file = join(tmp, 'suite.json');
  const units = [
    {
      kind: 'conformance',
      id: 'fixtures',
      onnxTests: [join(root, 'test/fixtures/conformance/custom'), join(root, 'test/fixtures/conformance/newer')],
    },
    ...(slice ? [{ kind: 'conformance', id: 'onnx-slice', filter: '^node/test_(softmax|gather|matmul)' }] : []),
    ...['tiny-bert', 'tiny-resnet'].map((model) => ({
      kind: 'scenario',
      id: `ss-${model}`,
      scenario: 'single-stream',
      model,
      settings: { minDurationMs: 300, warmupMs: 50 },
    })),
    { kind: 'accuracy', id: 'bert', model: 'tiny-bert', reference: 'ort:cpu', samples: 2 },
    { kind: 'accuracy', id: 'resnet', model: 'tiny-resnet', reference: 'ort:cpu', samples: 2 },
    { kind: 'accuracy', id: 'llama', model: 'tiny-llama', reference: 'ort:cpu', samples: 1, settings: { tokens: 8 } },
    {
      kind: 'llm',
      id: 'llm',
      model: 'tiny-llama',
      settings: { requests: 4, promptLen: 8, genLen: 8, warmup: 0, concurrency: 2, bandwidth: false },
    },
  ];
  writeFileSync(file, JSON.stringify({ name: 'torch-parity', seed: 1, devices: [TORCH], units }));
  const out = join(tmp, 'parity');
  const r = npuval('run', '--suite', file, '--out', out, '--allow-outside-paths'); // the fixtures live in the repo, the suite in a temp folder
  // The fixtures hold a case whose expected output is wrong on purpose: that unit fails (exit 1).
  assert.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { units: Unit[] };
  const by = (id: string) => report.units.find((u) => u.id.startsWith(`${id}@`))!;

  const cases = (id: string) => by(id).result!.cases as { name: string; status: string; cause: string | null; reason: string | null }[];
  const status = Object.fromEntries(cases('fixtures').map((c) => [c.name.split('/').pop(), `${c.status}/${c.cause}`]));
  assert.equal(status, {
    test_relu: 'pass/null',
    test_relu_wrong_expected: 'fail/tolerance',
    test_relu_opset99: 'unsupported/opset',
    test_relu_ir99: 'unsupported/ir-version',
    test_sequence_construct: 'unsupported/op',
    test_no_data: 'skipped/incomplete-data',
    test_cast_FLOAT_to_INT4: 'unsupported/op',
  });
  assert.match(cases('fixtures').find((c) => c.name.endsWith('test_sequence_construct'))!.reason!, REASON);
  if (slice) {
    const run = cases('onnx-slice').filter((c) => c.status !== 'skipped');
    assert.ok(run.length >= 10, `${run.length} cases ran`);
    for (const c of run) {
      assert.is(`${c.status}/${c.cause}`, 'unsupported/op', c.name);
      assert.match(c.reason!, REASON);
    }
  }

  for (const model of ['tiny-bert', 'tiny-resnet']) {
    const u = by(`ss-${model}`);
    assert.is(u.status, 'pass', JSON.stringify(u.error));
    assert.is(u.validity.valid, true, model);
  }
  const expectedOutputs: Record<string, string[]> = {
    bert: ['last_hidden_state:1,16,32'],
    resnet: ['logits:1,10'],
    llama: ['logits:1,8,512', 'present.0.key:1,2,8,16', 'present.0.value:1,2,8,16', 'present.1.key:1,2,8,16', 'present.1.value:1,2,8,16'],
  };
  for (const [id, outputs] of Object.entries(expectedOutputs)) {
    const a = by(id).result!;
    assert.ok(a.pass, `${id}: ${JSON.stringify(a.checks)}`);
    const got = a.outputs as { name: string; dims: number[]; minCosine: number; maxAbsError: number }[];
    assert.equal(
      got.map((o) => `${o.name}:${o.dims.join(',')}`),
      outputs,
      `${id}: the names and shapes ort:cpu gives`,
    );
    // Independent fp32 arithmetic: not bit-identical, but within float rounding of ort:cpu.
    for (const o of got) assert.ok(o.minCosine > 0.99999 && o.maxAbsError < 1e-4, `${id} ${o.name}: ${o.minCosine} ${o.maxAbsError}`);
  }
  assert.is(by('llama').result!.generation.agreement, 1, "greedy tokens through the KV cache are ort:cpu's");
  const llm = by('llm').result!.points[0].summary;
  assert.equal([llm.succeeded, llm.failed, llm.outputTokens], [4, 0, 32]);
});

systemTest(test, torchDep, 'a model of an unknown family is refused as unsupported-feature, with the reason', async () => {
  const g = new GraphBuilder('gpt2ish', 17);
  g.output(g.op('Identity', [g.input('X', 'float32', [2])]), 'Y', 'float32', [2]);
  const bytes = encodePlan(g.plan({ metadata: { 'npuval.model': JSON.stringify({ name: 'x', family: 'gpt2', config: {} }) } }), 0);
  const err = await createDevice(TORCH)
    .open({ bytes })
    .then(
      () => null,
      (e: unknown) => e,
    );
  assert.instance(err, DeviceRunError);
  assert.is((err as DeviceRunError).failure, 'unsupported-feature');
  assert.match((err as Error).message, /is a 'gpt2' model; the PyTorch reference adapter builds llama, bert, resnet/);
});

/** Frames for one id up to its final frame. */
async function framesOf(a: RawAdapter, id: number): Promise<RawFrame[]> {
  const got: RawFrame[] = [];
  for (;;) {
    const f = await a.next(30_000);
    if ('end' in f) throw new Error(`${f.detail} (stderr: ${a.lastStderr()})`);
    if (f.header.id !== id) continue;
    got.push(f);
    if (f.header.type === 'ok' || f.header.type === 'error') return got;
  }
}

systemTest(test, torchDep, "generate streams ort:cpu's greedy tokens with timestamps, and stops on cancel", async () => {
  const model = join(tmp, 'tiny-llama.onnx');
  writeFileSync(model, buildZooModel('tiny-llama'));
  const prompt = [3, 141, 59, 265, 35, 89, 79, 323];
  const reference = await createDevice('ort:cpu').open({ path: model });
  const expected = (await generateStatic(new DecoderModel(reference, 'tiny-llama'), [prompt], 8)).tokens[0]!;
  await reference.close();

  const a = new RawAdapter(commandWords(TORCH.slice('proc:'.length))!);
  try {
    const hello = await a.request({ type: 'hello', id: 0, versions: [1], heartbeat_ms: 0 }, 30_000);
    assert.ok(!('end' in hello) && (hello.header.capabilities as { token_streaming: boolean }).token_streaming, JSON.stringify(hello));
    const load = await a.request({ type: 'load', id: 1, model: { path: model } }, 30_000);
    assert.ok(!('end' in load) && load.header.type === 'ok', JSON.stringify(load));
    const handle = (load as RawFrame).header.handle;

    a.send({
      type: 'generate',
      id: 2,
      handle,
      prompt: { tokens: prompt },
      max_tokens: 8,
      fixed_length: true,
      sampling: { temperature: 0 },
    });
    const frames = await framesOf(a, 2);
    const events = frames.slice(0, -1);
    const end = frames[frames.length - 1]!.header;
    assert.ok(
      events.every((f) => f.header.type === 'token'),
      'token events, then the final frame',
    );
    assert.equal(
      events.flatMap((f) => f.header.tokens as number[]),
      expected,
    );
    const stamps = events.map((f) => f.header.t_us as number);
    assert.ok(stamps[0]! > 0 && stamps.every((t, i) => i === 0 || t >= stamps[i - 1]!), `t_us ${stamps.join(' ')}`);
    assert.is(end.type, 'ok');
    assert.equal([end.finish_reason, end.usage], ['length', { prompt_tokens: 8, completion_tokens: 8 }]);

    a.send({ type: 'generate', id: 3, handle, prompt: { tokens: prompt }, max_tokens: 100_000 });
    a.send({ type: 'cancel', id: 4, target: 3 });
    const cancelled = (await framesOf(a, 3)).pop()!.header;
    assert.equal([cancelled.type, cancelled.finish_reason], ['ok', 'cancelled']);
    assert.ok((cancelled.usage as { completion_tokens: number }).completion_tokens < 100_000);
  } finally {
    a.kill();
  }
});

test.run();
