// The models and tensors adapter-check sends: an Identity per element type (with sample values that
// cover each type's edges), an Identity for the large transfer, and a model with an op no runtime has.
import type { DType, Tensor } from '../../devices/types.js';
import { GraphBuilder } from '../../models/onnx/graph.js';
import { encodePlan } from '../../models/onnx/writer.js';

/** Y = Identity(X) over X: dtype[n] (n symbolic). */
export function identityModel(dtype: DType): Uint8Array {
  const g = new GraphBuilder(`identity_${dtype}`, 21);
  g.output(g.op('Identity', [g.input('X', dtype, ['n'])]), 'Y', dtype, ['n']);
  return encodePlan(g.plan({ producer: 'npuval adapter-check' }), 0);
}

/** A node of an op no runtime implements ("NpuvalNoSuchOp" in the default domain). */
export function unknownOpModel(): Uint8Array {
  const g = new GraphBuilder('unknown_op', 17);
  g.output(g.op('NpuvalNoSuchOp', [g.input('X', 'float32', [2])]), 'Y', 'float32', [2]);
  return encodePlan(g.plan({ producer: 'npuval adapter-check' }), 0);
}

const u16 = (...v: number[]) => Uint16Array.from(v);
const u8 = (...v: number[]) => Uint8Array.from(v);

/** Three elements of each type, chosen at its edges: extremes, signs, a zero, multi-byte UTF-8. */
export function sampleTensor(dtype: DType): Tensor {
  const dims = [3];
  const data: Record<DType, Tensor['data']> = {
    float32: Float32Array.from([1.5, -0, 3.4028234663852886e38]),
    float64: Float64Array.from([1.5, -2, 1e300]),
    float16: u16(0x3e00, 0x8000, 0x7bff),
    bfloat16: u16(0x3fc0, 0xc000, 0x7f7f),
    int8: Int8Array.from([-128, 0, 127]),
    int16: Int16Array.from([-32768, 1, 32767]),
    int32: Int32Array.from([-2147483648, 1, 2147483647]),
    int64: BigInt64Array.from([-(2n ** 63n), 1n, 2n ** 62n + 1n]),
    uint8: u8(0, 1, 255),
    uint16: u16(0, 1, 65535),
    uint32: Uint32Array.from([0, 1, 4294967295]),
    uint64: BigUint64Array.from([0n, 1n, 2n ** 64n - 1n]),
    bool: u8(1, 0, 1),
    string: ['a', '', '한국어 NPU'],
    // Two per byte, low nibble first; the last byte's high nibble is padding.
    int4: u8(0x8f, 0x07),
    uint4: u8(0xf0, 0x01),
    float8e4m3fn: u8(0x3c, 0xc0, 0x7e),
    float8e4m3fnuz: u8(0x44, 0xc8, 0x7f),
    float8e5m2: u8(0x3c, 0xc0, 0x7b),
    float8e5m2fnuz: u8(0x40, 0xc4, 0x7f),
  };
  return { type: dtype, dims, data: data[dtype] };
}

/** The same elements, compared bit for bit (float NaN patterns included), or strings as strings. */
export function sameTensor(a: Tensor, b: Tensor): string | null {
  if (a.type !== b.type) return `element type ${a.type}, expected ${b.type}`;
  if (a.dims.join(',') !== b.dims.join(',')) return `shape [${a.dims.join(',')}], expected [${b.dims.join(',')}]`;
  if (Array.isArray(a.data) || Array.isArray(b.data)) {
    return JSON.stringify(a.data) === JSON.stringify(b.data)
      ? null
      : `strings ${JSON.stringify(a.data)}, expected ${JSON.stringify(b.data)}`;
  }
  const x = a.data as Exclude<Tensor['data'], string[]>;
  const y = b.data as Exclude<Tensor['data'], string[]>;
  const bx = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const by = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
  if (bx.length !== by.length) return `${bx.length} bytes, expected ${by.length}`;
  if (bx.equals(by)) return null;
  const i = bx.findIndex((v, k) => v !== by[k]);
  return `byte ${i} is 0x${bx[i]!.toString(16)}, expected 0x${by[i]!.toString(16)}`;
}
