// The WebGPU EP (on SwiftShader) with and without ORT's CPU fallback: a float64 Relu, which WebGPU
// has no kernel for, passes in a WebGPU session through the fallback and is `unsupported` without it.
import { createDevice } from '../../devices/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '../../harness/conformance/index.js';
import { deps, systemTest, SWIFTSHADER_ICD } from '../helpers/system.js';

process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const FALLBACK = join(repoRoot(), 'test/fixtures/conformance/fallback');

systemTest(
  test,
  deps.swiftshader,
  'cpuFallback=false turns a node the EP lacks into unsupported/op; with the fallback it passes',
  async () => {
    const r = await runConformance(
      { device: createDevice('ort:webgpu'), compareDevice: createDevice('ort:webgpu?cpuFallback=false'), roots: [FALLBACK] },
      null,
    );
    const [withFallback, without] = r.runs;
    assert.equal(withFallback!.counts, { pass: 2, fail: 0, unsupported: 0, error: 0, skipped: 0 });
    assert.is(withFallback!.deviceClass, 'accelerator');
    const dbl = without!.cases.find((c) => c.id === 'fallback/test_relu_double')!;
    assert.is(dbl.status, 'unsupported');
    assert.is(dbl.cause, 'op');
    assert.match(dbl.reason!, /fallback to CPU EP has been explicitly disabled/);
    assert.is(without!.cases.find((c) => c.id === 'fallback/test_relu')!.status, 'pass', 'float32 Relu runs on WebGPU kernels');
    assert.equal(
      r.diff!.cases.map((c) => c.id),
      ['fallback/test_relu_double'],
    );
  },
);

test.run();
