// A proc: adapter's own generate (PROTOCOL.md) as npuval's GenerationSession, on the PyTorch
// reference adapter in a real process: the session of a loaded decoder streams ort:cpu's greedy
// tokens one event each; aborting the request's signal sends `cancel`, the stream rejects with the
// abort's reason, and the adapter serves the next request. The ort-node adapter claims no token
// streaming, so its sessions offer no generation. Needs python3 with torch and onnx.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import type { GenerateEvent, GenerationSession } from '../../devices/types.js';
import { generateStatic } from '../../harness/llm/generate.js';
import { DecoderModel } from '../../harness/serve/decoder.js';
import { buildZooModel } from '../../models/zoo/index.js';
import { systemTest } from '../helpers/system.js';
import { npuval, REFERENCE, root, TORCH, torchDep } from './helpers.js';

process.chdir(root);
const tmp = mkdtempSync(join(tmpdir(), 'npuval-proc-generation-'));
const model = join(tmp, 'tiny-llama.onnx');
writeFileSync(model, buildZooModel('tiny-llama'));
const prompt = [3, 141, 59, 265, 35, 89, 79, 323];

async function collect(g: GenerationSession, maxTokens: number, signal?: AbortSignal): Promise<GenerateEvent[]> {
  const events: GenerateEvent[] = [];
  for await (const e of g.generate({ prompt, maxTokens, fixedLength: true, signal })) {
    events.push(e);
    if (events.length === 3 && signal) (signal as AbortSignal & { abortNow?: () => void }).abortNow?.();
  }
  return events;
}

systemTest(test, torchDep, "the adapter's generate streams ort:cpu's greedy tokens, and an abort cancels it", async () => {
  const reference = await createDevice('ort:cpu').open({ path: model });
  const expected = (await generateStatic(new DecoderModel(reference, 'tiny-llama'), [prompt], 8)).tokens[0]!;
  await reference.close();

  const session = await createDevice(TORCH).open({ path: model });
  try {
    assert.type(session.generation, 'function');
    const g = session.generation!();
    const events = await collect(g, 8);
    const tokens = events.filter((e) => e.finishReason === null);
    assert.equal(
      tokens.map((e) => Number(e.text)),
      expected,
    );
    assert.ok(tokens.every((e, i) => i === 0 || e.time >= tokens[i - 1]!.time));
    const last = events.at(-1)!;
    assert.equal([last.finishReason, last.usage], ['length', { promptTokens: 8, completionTokens: 8 }]);

    // Abort after the third token of a practically endless request: the adapter is sent cancel.
    const controller = new AbortController();
    const signal = Object.assign(controller.signal, { abortNow: () => controller.abort(new Error('stopped by the test')) });
    const err = await collect(g, 1_000_000, signal).then(
      () => null,
      (e: unknown) => e as Error,
    );
    assert.is(err?.message, 'stopped by the test');
    // The adapter lives on and answers the next request.
    assert.is((await collect(g, 2)).filter((e) => e.finishReason === null).length, 2);
  } finally {
    await session.close();
  }
});

systemTest(test, torchDep, 'npuval llm --engine adapter measures the adapter generating a load itself', () => {
  const r = npuval(
    'llm',
    '--device',
    TORCH,
    '--model',
    'tiny-llama',
    '--engine',
    'adapter',
    '--requests',
    '4',
    '--concurrency',
    '2',
    '--prompt-len',
    '8',
    '--gen-len',
    '8',
    '--no-bandwidth',
    '--json',
    '--out',
    join(tmp, 'llm'),
  );
  assert.is(r.status, 0, r.stderr);
  const point = (JSON.parse(r.stdout) as { points: { mode: string; batch: number | null; summary: Record<string, number> }[] }).points[0]!;
  assert.is(point.mode, 'adapter');
  assert.is(point.batch, null);
  assert.equal([point.summary.succeeded, point.summary.outputTokens], [4, 32]);
});

test('--engine adapter on a device that does not generate itself is refused with one sentence', () => {
  const r = npuval(
    'llm',
    '--device',
    'ort:cpu',
    '--model',
    'tiny-llama',
    '--engine',
    'adapter',
    '--requests',
    '2',
    '--no-bandwidth',
    '--out',
    join(tmp, 'refused'),
  );
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /engine adapter: ort:cpu does not generate tokens itself .*\(--engine npuval\)/);
  assert.not.match(r.stderr, /\n\s+at /);
});

test('an adapter that claims no token streaming offers no generation', async () => {
  const session = await createDevice(REFERENCE).open({ path: model });
  try {
    assert.is(session.generation, undefined);
  } finally {
    await session.close();
  }
});

test.run();
