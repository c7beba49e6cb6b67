import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice, probe } from '../../devices/index.js';
import { DeviceRunError } from '../../devices/index.js';
import type { Tensor } from '../../devices/types.js';
import { ortFailure } from '../../devices/ort/failures.js';
import { mlpModel } from '../helpers/tiny-model.js';
import { deps, systemTest } from '../helpers/system.js';

const { bytes, w, b } = mlpModel();
const x = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));

/** The same MLP computed in plain JS, in float64: the ground truth both EPs are held to. */
function expected(): Float64Array {
  const y = new Float64Array(8);
  for (let r = 0; r < 2; r++)
    for (let c = 0; c < 4; c++) {
      let acc = b[c]!;
      for (let k = 0; k < 8; k++) acc += x[r * 8 + k]! * w[k * 4 + c]!;
      y[r * 4 + c] = Math.max(0, acc);
    }
  return y;
}

async function runOn(spec: string): Promise<Float32Array> {
  const session = await createDevice(spec).open({ bytes });
  try {
    assert.equal(
      session.inputs.map((i) => [i.name, i.type, i.shape]),
      [['X', 'float32', [2, 8]]],
    );
    const out = await session.run({ X: { type: 'float32', dims: [2, 8], data: x } });
    const y = out.Y as Tensor;
    assert.equal([...y.dims], [2, 4]);
    return y.data as Float32Array;
  } finally {
    await session.close();
  }
}

// fp32 accumulation over 8 terms of magnitude ≤ 1: 1e-5 absolute is ~100 ulps of headroom.
const TOL = 1e-5;

test('ort:cpu computes the MLP within 1e-5 of a float64 reference', async () => {
  const y = await runOn('ort:cpu');
  expected().forEach((e, i) => assert.ok(Math.abs(y[i]! - e) <= TOL, `element ${i}: ${y[i]} vs ${e}`));
});

test('session config options (allowSpinning, cpuFallback) reach ORT; a bad value is refused with the option named', async () => {
  const y = await runOn('ort:cpu?allowSpinning=false&intraOpThreads=2');
  expected().forEach((e, i) => assert.ok(Math.abs(y[i]! - e) <= TOL, `element ${i}: ${y[i]} vs ${e}`));
  // Both entries land in one config: with the CPU EP itself, no fallback means no EP at all, and ORT says so.
  let refused: Error | null = null;
  await createDevice('ort:cpu?allowSpinning=false&cpuFallback=false')
    .open({ bytes })
    .catch((e: Error) => (refused = e));
  assert.match(refused!.message, /fallback to CPU EP has been explicitly disabled/);
  assert.throws(() => createDevice('ort:cpu?allowSpinning=sometimes'), /allowSpinning=sometimes .* is not true or false/);
  assert.throws(() => createDevice('ort:cpu:1'), /"ort:cpu:1" names a device index, but ORT's CPU EP has none/);
});

systemTest(test, deps.swiftshader, 'ort:webgpu (SwiftShader) agrees with ort:cpu within 1e-5', async () => {
  const cpu = await runOn('ort:cpu');
  const gpu = await runOn('ort:webgpu');
  cpu.forEach((c, i) => assert.ok(Math.abs(gpu[i]! - c) <= TOL, `element ${i}: webgpu ${gpu[i]} vs cpu ${c}`));
});

systemTest(test, deps.swiftshader, 'ort:webgpu describes its Vulkan driver as SwiftShader', async () => {
  const a = await probe('ort:webgpu');
  assert.ok(a.available, a.reason ?? '');
  assert.match(a.description?.driver?.detail ?? '', /SwiftShader/);
});

test('ort:cuda is reported unavailable with a reason, not thrown', async () => {
  const a = await probe('ort:cuda');
  assert.is(a.available, false);
  assert.match(a.reason ?? '', /cuda/i);
});

test("ORT's messages for missing ops, types, opsets, IR versions, binding limits become typed failures; the rest is runtime", () => {
  const f = (m: string) => ortFailure(new Error(m));
  assert.is(f("Could not find an implementation for Max(13) node with name ''").failure, 'unsupported-op');
  assert.is(f("Could not find an implementation for Max(13) node with name ''").detail.firstOpset, undefined, 'opset 13 is no old kernel');
  assert.is(f('Fatal error: ai.onnx.preview.training:Adam(-1) is not a registered function/op').failure, 'unsupported-op');
  const old = f("Could not find an implementation for Add(6) node with name ''");
  assert.equal([old.failure, old.detail], ['unsupported-op', { firstOpset: 7, runtime: 'ONNX Runtime' }]);
  assert.is(f('Unsupported data type: 16').failure, 'unsupported-dtype');
  assert.is(f('Program Cast requires f16 but the device does not support it.').failure, 'unsupported-dtype');
  assert.is(f('Unsupported model IR version: 99, max supported IR version: 13').failure, 'unsupported-ir-version');
  assert.is(f('Non tensor type is temporarily not supported.').failure, 'binding-limit');
  assert.is(f('Batchwise recurrent operations (layout == 1) are not supported.').failure, 'unsupported-feature');
  const provider = f(
    "Exception during initialization: /onnxruntime_src/onnxruntime/core/framework/session_state.cc:1 void f() const !node_provider_type.empty() was false. Provider type for Max node with name '' is not set.",
  );
  assert.is(provider.failure, 'unsupported-op');
  assert.is(provider.detail.firstOpset, 7);
  assert.is(
    provider.message,
    "no execution provider of the session (nor its CPU fallback) has a kernel for this node: Exception during initialization: const !node_provider_type.empty() was false. Provider type for Max node with name '' is not set.",
  );
  assert.is(
    f(
      'This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.',
    ).failure,
    'unsupported-op',
  );
  const other = f('Got invalid dimensions for input: x');
  assert.is(other.failure, 'runtime');
  assert.is(other.message, 'Got invalid dimensions for input: x');
  assert.ok(other instanceof DeviceRunError);
});

test('ORT failures reach the caller typed: a graph with an op ORT lacks fails to open with unsupported-op', async () => {
  let refused: unknown = null;
  await createDevice('ort:cpu?allowSpinning=false&cpuFallback=false')
    .open({ bytes })
    .catch((e: unknown) => (refused = e));
  assert.ok(refused instanceof DeviceRunError);
  assert.is(refused.failure, 'unsupported-op');
});

test('a model that is not ONNX fails to open with the runtime message', async () => {
  await createDevice('ort:cpu')
    .open({ bytes: new Uint8Array([1, 2, 3]) })
    .then(
      () => assert.unreachable('opened garbage'),
      (err: Error) => assert.ok(err.message.length > 0),
    );
});

test.run();
