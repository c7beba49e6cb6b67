// A small hand-built ONNX model for device tests: Y = Relu(X · W + B), X float32[2,8], W [8,4].
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export function mlpModel(seed = 1): { bytes: Uint8Array; w: Float32Array; b: Float32Array } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const w = Float32Array.from({ length: 32 }, rand);
  const b = Float32Array.from({ length: 4 }, rand);
  const vi = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const init = (name: string, dims: number[], data: Float32Array) => ({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(0)),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mlp',
      node: [
        { opType: 'MatMul', input: ['X', 'W'], output: ['XW'] },
        { opType: 'Add', input: ['XW', 'B'], output: ['Z'] },
        { opType: 'Relu', input: ['Z'], output: ['Y'] },
      ],
      initializer: [init('W', [8, 4], w), init('B', [4], b)],
      input: [vi('X', [2, 8])],
      output: [vi('Y', [2, 4])],
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), w, b };
}
