// `npuval models list | export | inspect` through the real CLI entry point, in a child process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorFile } from '../../models/onnx/tensor.js';

const cli = new URL('../../harness/cli.js', import.meta.url).href;
// The same loader flags as this process (tsx during development, none under compiled dist/).
const npuval = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(cli)}); process.exitCode = await m.main(process.argv.slice(1));`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );

/**
 * The same CLI in this process (main() with stdout/stderr captured), for the cases where a child
 * process would only add start-up time; exit codes still come from main()'s own mapping.
 */
async function npuvalHere(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = (await import(cli)) as { main: (argv: string[]) => Promise<number> };
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { status: await main(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'npuval-models-cli-'));

const oneSentenceError = (r: { status: number | null; stdout: string; stderr: string }, re: RegExp) => {
  assert.is(r.status, 2, r.stdout + r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('npuval:'));
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
  assert.not.match(r.stderr, /\s+at .*:\d+:\d+/);
};

test('models list --json: every preset with params, shape columns and its source', () => {
  const r = npuval('models', 'list', '--json');
  assert.is(r.status, 0, r.stderr);
  const { models } = JSON.parse(r.stdout) as {
    models: {
      name: string;
      params: number;
      layers: number;
      hidden: number;
      heads: number | null;
      kvHeads: number | null;
      vocab: number | null;
      context: number | null;
      source: { url: string };
    }[];
  };
  const names = models.map((m) => m.name);
  for (const n of [
    'tiny-llama',
    'llama-100m',
    'llama-3.2-1b',
    'llama-3.1-8b',
    'exaone-3.5-2.4b',
    'solar-10.7b',
    'bert-base-128',
    'bert-base-384',
    'resnet-50',
    'tiny-bert',
    'tiny-resnet',
  ]) {
    assert.ok(names.includes(n), n);
  }
  for (const m of models) {
    assert.ok(m.params > 0 && m.layers > 0 && m.hidden > 0, m.name);
    assert.match(m.source.url, /^https:\/\//);
  }
  const l1b = models.find((m) => m.name === 'llama-3.2-1b')!;
  assert.equal([l1b.layers, l1b.hidden, l1b.heads, l1b.kvHeads, l1b.vocab, l1b.context], [16, 2048, 32, 8, 128256, 131072]);
});

test('models export then inspect: a decoder-with-past model with symbolic dims', async () => {
  const file = join(dir, 'tiny.onnx');
  const e = await npuvalHere('models', 'export', 'tiny-llama', '--out', file, '--json');
  assert.is(e.status, 0, e.stderr);
  const written = JSON.parse(e.stdout) as { path: string; bytes: number; sha256: string };
  assert.is(written.bytes, readFileSync(file).length);
  assert.match(written.sha256, /^[0-9a-f]{64}$/);

  const r = await npuvalHere('models', 'inspect', file, '--json');
  assert.is(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as {
    opsets: { domain: string; version: number }[];
    params: number;
    inputs: { name: string; dtype: string; shape: (string | number)[] }[];
    decoderWithPast: { follows: boolean; layers: number };
    metadata: Record<string, string>;
  };
  assert.equal(info.opsets, [{ domain: 'ai.onnx', version: 17 }]);
  assert.equal(info.decoderWithPast, { follows: true, layers: 2, reasons: [] });
  const ids = info.inputs.find((i) => i.name === 'input_ids')!;
  assert.equal([ids.dtype, ids.shape], ['int64', ['batch_size', 'sequence_length']]);
  assert.equal(info.inputs.find((i) => i.name === 'past_key_values.1.value')!.shape, ['batch_size', 2, 'past_sequence_length', 16]);
  assert.ok(info.params >= 139_584);
  assert.match(info.metadata['npuval.model'] ?? '', /"family":"llama"/);
  const text = await npuvalHere('models', 'inspect', file);
  assert.match(text.stdout, /decoder-with-past convention: yes \(2 layers\)/);
});

test('models export into a directory names the file after the preset; fp16 for bert is refused', async () => {
  assert.is((await npuvalHere('models', 'export', 'tiny-resnet', '--out', dir)).status, 0);
  assert.ok(existsSync(join(dir, 'tiny-resnet.onnx')));
  oneSentenceError(await npuvalHere('models', 'export', 'tiny-bert', '--out', dir, '--dtype', 'float16'), /float32 only/);
});

test('models inputs writes seeded input_N.pb files bound by --dim, readable as TensorProtos', async () => {
  const out = join(dir, 'inputs');
  const r = await npuvalHere(
    'models',
    'inputs',
    join(dir, 'tiny.onnx'),
    '--dim',
    'batch_size=3',
    '--dim',
    'sequence_length=4',
    '--seed',
    '5',
    '--out',
    out,
    '--json',
  );
  assert.is(r.status, 0, r.stderr);
  const { inputs, vocab } = JSON.parse(r.stdout) as { vocab: number; inputs: { name: string; dims: number[]; file: string }[] };
  assert.is(vocab, 512); // from the zoo metadata
  const ids = readTensorFile(inputs.find((i) => i.name === 'input_ids')!.file);
  assert.equal([ids.type, [...ids.dims]], ['int64', [3, 4]]);
  assert.ok(Array.from(ids.data as BigInt64Array).every((v) => v >= 0n && v < 512n));
  assert.equal(readTensorFile(inputs.find((i) => i.name === 'past_key_values.0.key')!.file).dims, [3, 2, 0, 16]);
  oneSentenceError(await npuvalHere('models', 'inputs', join(dir, 'tiny.onnx'), '--dim', 'batch_size', '--out', out), /NAME=N/);
  // A name the model does not have (the brief's own `--dim batch=4`) is an error, not silently ignored.
  oneSentenceError(
    await npuvalHere('models', 'inputs', join(dir, 'tiny.onnx'), '--dim', 'batch=4', '--out', out),
    /--dim batch: .* symbolic input dims are batch_size, sequence_length/,
  );
});

test('inspect of a non-decoder says why it is not decoder-with-past', async () => {
  assert.is((await npuvalHere('models', 'export', 'tiny-bert', '--out', join(dir, 'bert.onnx'))).status, 0);
  const info = JSON.parse((await npuvalHere('models', 'inspect', join(dir, 'bert.onnx'), '--json')).stdout) as {
    decoderWithPast: { follows: boolean; reasons: string[] };
  };
  assert.is(info.decoderWithPast.follows, false);
  assert.ok(info.decoderWithPast.reasons.some((r) => /logits/.test(r)));
});

test('inspect of a truncated, non-ONNX or missing file exits 2 with one sentence', async () => {
  const good = readFileSync(join(dir, 'tiny.onnx'));
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
  oneSentenceError(npuval('models', 'inspect', truncated), /truncated\.onnx is not a valid ONNX model: the protobuf ends early/);
  const text = join(dir, 'text.onnx');
  writeFileSync(text, 'this is not a model\n');
  oneSentenceError(await npuvalHere('models', 'inspect', text), /text\.onnx is not (a valid|an) ONNX model/);
  oneSentenceError(await npuvalHere('models', 'inspect', join(dir, 'missing.onnx')), /model file .*missing\.onnx does not exist/);
});

test('bad usage exits 2: unknown preset (listing the names), export without --out', async () => {
  oneSentenceError(npuval('models', 'export', 'gpt-17'), /Unknown zoo model "gpt-17"; known: .*tiny-llama/);
  oneSentenceError(await npuvalHere('models', 'export', 'tiny-llama'), /needs --out/);
  assert.is((await npuvalHere('models', 'frobnicate')).status, 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
