// Seeded inputs: deterministic, dims bound by name, values by role; and every CI-sized zoo model
// runs on a real ORT CPU session with them and returns finite outputs of the declared shape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import type { Tensor, ValueInfo } from '../../devices/types.js';
import { seededInputs } from '../../models/inputs.js';
import { buildZooModel, listZoo } from '../../models/zoo/index.js';

const decoderInputs: ValueInfo[] = [
  { name: 'input_ids', kind: 'tensor', type: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'attention_mask', kind: 'tensor', type: 'int64', shape: ['batch_size', 'total_sequence_length'] },
  { name: 'position_ids', kind: 'tensor', type: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'past_key_values.0.key', kind: 'tensor', type: 'float16', shape: ['batch_size', 2, 'past_sequence_length', 4] },
  { name: 'pixel_values', kind: 'tensor', type: 'float32', shape: ['batch_size', 3, 4, 4] },
];

test('dims come from `dims`, total = seq + past; values follow the input roles', () => {
  const t = seededInputs(decoderInputs, { seed: 1, dims: { batch_size: 4, sequence_length: 3, past_sequence_length: 5 }, vocabSize: 50 });
  assert.equal([...t.input_ids!.dims], [4, 3]);
  assert.equal([...t.attention_mask!.dims], [4, 8]);
  assert.ok(Array.from(t.input_ids!.data as BigInt64Array).every((v) => v >= 0n && v < 50n));
  assert.ok(new Set(Array.from(t.input_ids!.data as BigInt64Array)).size > 1);
  assert.ok(Array.from(t.attention_mask!.data as BigInt64Array).every((v) => v === 1n));
  assert.equal(Array.from(t.position_ids!.data as BigInt64Array).slice(0, 6), [5n, 6n, 7n, 5n, 6n, 7n]);
  assert.equal([...t['past_key_values.0.key']!.dims], [4, 2, 5, 4]);
  assert.ok((t['past_key_values.0.key']!.data as Uint16Array).every((v) => v === 0));
  const px = t.pixel_values!.data as Float32Array;
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  const std = Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length);
  assert.ok(Math.abs(mean) < 0.3 && Math.abs(std - 1) < 0.3, `N(0,1): mean ${mean}, std ${std}`);
});

test('the same seed gives the same values; another seed different ones', () => {
  const a = seededInputs(decoderInputs, { seed: 9, vocabSize: 1000 });
  const b = seededInputs(decoderInputs, { seed: 9, vocabSize: 1000 });
  const c = seededInputs(decoderInputs, { seed: 10, vocabSize: 1000 });
  assert.equal(Array.from(a.input_ids!.data as BigInt64Array), Array.from(b.input_ids!.data as BigInt64Array));
  assert.not.equal(Array.from(a.input_ids!.data as BigInt64Array), Array.from(c.input_ids!.data as BigInt64Array));
});

test('unbound dims, unknown dims and token ids without a vocabulary are input errors (exit 2)', () => {
  const cases: [ValueInfo[], RegExp][] = [
    [[{ name: 'x', kind: 'tensor', type: 'float32', shape: ['frames'] }], /symbolic dim "frames".*--dim frames=N/],
    [[{ name: 'x', kind: 'tensor', type: 'float32', shape: [null] }], /unnamed unknown dim/],
    [[{ name: 'input_ids', kind: 'tensor', type: 'int64', shape: [1, 4] }], /vocabulary size/],
    [[{ name: 's', kind: 'other' }], /not a tensor/],
  ];
  for (const [inputs, re] of cases) {
    try {
      seededInputs(inputs, { seed: 0 });
      assert.unreachable();
    } catch (err) {
      assert.is((err as { exitCode?: number }).exitCode, 2);
      assert.match((err as Error).message, re);
    }
  }
  // A vocabulary of 0 (or a fraction) has no valid token id to draw.
  for (const vocabSize of [0, -3, 2.5]) {
    assert.throws(
      () => seededInputs([{ name: 'input_ids', kind: 'tensor', type: 'int64', shape: [1, 4] }], { seed: 0, vocabSize }),
      (e: Error) => /must be a positive integer/.test(e.message) && (e as { exitCode?: number }).exitCode === 2,
    );
  }
});

test('every CI-sized zoo model runs on ort:cpu with seeded inputs: finite outputs of the declared shape', async () => {
  const device = createDevice('ort:cpu?intraOpThreads=1');
  for (const e of listZoo().filter((x) => x.ciSized)) {
    const session = await device.open({ bytes: buildZooModel(e.name) });
    try {
      const vocab = typeof e.config.vocab_size === 'number' ? e.config.vocab_size : undefined;
      const feeds = seededInputs(session.inputs, { seed: 1, dims: { batch_size: 2, sequence_length: 5 }, vocabSize: vocab });
      const out = await session.run(feeds);
      for (const info of session.outputs) {
        const t = out[info.name] as Tensor;
        const want = info.shape!.map((d) =>
          typeof d === 'number' ? d : d === 'batch_size' ? 2 : d === 'sequence_length' || d === 'total_sequence_length' ? 5 : -1,
        );
        assert.equal([...t.dims], want, `${e.name} ${info.name}`);
        assert.ok(Array.from(t.data as Float32Array).every(Number.isFinite), `${e.name} ${info.name} finite`);
      }
    } finally {
      await session.close();
    }
  }
});

test.run();
