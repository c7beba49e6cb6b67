// Zoo models too big for one protobuf message come from the model cache: written once with external
// data, reused, and equal to the in-memory build. The size threshold is lowered so a CI-sized model
// takes the path a 2 GB+ preset takes.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../../devices/index.js';
import { DecoderModel } from '../../harness/serve/decoder.js';
import { generateStatic } from '../../harness/llm/generate.js';
import { syntheticPrompt } from '../../harness/llm/text.js';
import { zooModelSource } from '../../models/zoo/index.js';

const device = createDevice('ort:cpu?intraOpThreads=1');
const cacheDir = mkdtempSync(join(tmpdir(), 'npuval-cache-'));

test('under the limit a zoo model is bytes in memory', () => {
  const source = zooModelSource('tiny-llama', { cacheDir });
  assert.ok('bytes' in source);
  assert.equal(readdirSync(cacheDir), []);
});

test('over the limit it is written once to the cache, with external data, and generates what the in-memory model does', async () => {
  const big = zooModelSource('tiny-llama', { cacheDir, inMemoryLimit: 0 });
  assert.ok('path' in big);
  const path = (big as { path: string }).path;
  assert.ok(statSync(`${path}.data`).size > statSync(path).size, 'the weights are in the external data file');
  const written = statSync(path).mtimeMs;
  const again = zooModelSource('tiny-llama', { cacheDir, inMemoryLimit: 0 }) as { path: string };
  assert.is(again.path, path);
  assert.is(statSync(path).mtimeMs, written, 'reused, not rewritten');
  assert.equal(
    readdirSync(cacheDir).filter((f) => f.startsWith('.writing-')),
    [],
    'no staging folder left behind',
  );
  const other = zooModelSource('tiny-llama', { cacheDir, inMemoryLimit: 0, seed: 3 }) as { path: string };
  assert.is.not(other.path, path, 'another seed is another file');

  const prompt = [syntheticPrompt(8, 512, 1)];
  const tokens = async (source: Parameters<typeof device.open>[0]) => {
    const session = await device.open(source);
    try {
      return (await generateStatic(new DecoderModel(session, 'tiny-llama'), prompt, 6)).tokens;
    } finally {
      await session.close();
    }
  };
  assert.equal(await tokens(big), await tokens(zooModelSource('tiny-llama', { cacheDir })));
});

test.run();
