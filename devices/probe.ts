// Availability probing: a device counts as available only if a real session on it ran a
// one-node model and returned the right answer. The probe model is built here (not in models/)
// so that devices/ stands alone.
import onnxProto from 'onnx-proto';
import type { Device, Tensor } from './types.js';

const { onnx } = onnxProto;

/** Y = X + X on a float32[4] tensor, opset 13. */
export function probeModelBytes(): Uint8Array {
  const tensorType = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'npuval-probe',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'probe',
      node: [{ opType: 'Add', input: ['X', 'X'], output: ['Y'], name: 'add' }],
      input: [tensorType('X')],
      output: [tensorType('Y')],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Opens the probe model on the device, runs it once and checks the output. Throws with the runtime's reason on failure. */
export async function probeDevice(device: Device): Promise<void> {
  if (!device.capabilities.tensors) {
    // A device that runs only its own model (a serving endpoint): opening a generation session checks that it answers.
    if (!device.openGeneration) throw new Error(`${device.id} neither runs tensors nor generates; there is nothing to probe`);
    return void (await (await device.openGeneration()).close());
  }
  const session = await device.open({ bytes: probeModelBytes() });
  try {
    const x = new Float32Array([1, 2, 3, 4]);
    const out = await session.run({ X: { type: 'float32', dims: [4], data: x } });
    const y = out.Y as Tensor | undefined;
    const data = y?.data as Float32Array | undefined;
    if (!data || data.length !== 4 || data.some((v, i) => v !== 2 * x[i]!)) {
      throw new Error(`probe model returned a wrong result (${data ? Array.from(data).join(',') : 'no output'})`);
    }
  } finally {
    await session.close();
  }
}
