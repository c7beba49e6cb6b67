// Memory bandwidth, measured: the roofline that decode (memory-bound: every weight is read once
// per step) is placed against. Three kernels, best of several repeats each; the caller takes the
// largest, so no kernel's weakness flatters the ratio:
//  - host: Float32Array.prototype.set over a buffer far larger than the caches (one JS thread,
//    memcpy), counted as STREAM counts Copy (bytes read + bytes written);
//  - device copy: an ONNX graph Y = Slice(Add(X, 1), 0:1) on the device under test, so the EP's own
//    elementwise kernel (with its thread pool) reads X and writes X + 1; only one element comes back;
//  - device read: Y = ReduceSum(X), bytes read only — decode mostly reads, and on some hosts reading
//    runs faster than copying.
import type { Device, Tensor } from '../../devices/types.js';
import { GraphBuilder } from '../../models/onnx/graph.js';
import { encodePlan } from '../../models/onnx/writer.js';

export interface BandwidthMeasurement {
  readonly method: string;
  /** Bytes moved per second (read + written for copies, read for the reduction), best repeat. */
  readonly bytesPerS: number;
  readonly medianBytesPerS: number;
  readonly bufferBytes: number;
  readonly repeats: number;
  readonly bestMs: number;
}

function summarise(method: string, bytesMoved: number, bufferBytes: number, times: number[]): BandwidthMeasurement {
  const sorted = [...times].sort((a, b) => a - b);
  const best = sorted[0]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return {
    method,
    bytesPerS: bytesMoved / (best / 1000),
    medianBytesPerS: bytesMoved / (median / 1000),
    bufferBytes,
    repeats: times.length,
    bestMs: best,
  };
}

/** Host memcpy bandwidth: Float32Array.set of `bytes` into another buffer; counts 2 × bytes per copy. */
export function measureHostCopy(bytes = 128 << 20, repeats = 7): BandwidthMeasurement {
  const n = bytes >>> 2;
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  dst.set(src); // touch every page first
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    dst.set(src);
    times.push(performance.now() - t);
  }
  return summarise('host memcpy (Float32Array.set, 1 thread); bytes = read + write', 2 * n * 4, n * 4, times);
}

/** The EP's elementwise kernel: Y = Slice(Add(X, 1)) over float32[n]; counts read + write of X per run. */
export function measureDeviceCopy(device: Device, bytes = 128 << 20, repeats = 7): Promise<BandwidthMeasurement> {
  const n = bytes >>> 2;
  const g = new GraphBuilder('add_slice');
  g.output(g.slice(g.add(g.input('X', 'float32', [n]), g.scalar(1)), [0], [1], [0]), 'Y', 'float32', [1]);
  return timeKernel(
    device,
    g,
    n,
    { expected: 2, formula: 'Y = Slice(Add(X, 1))', counted: 'read + write', bytesMoved: 2 * n * 4 },
    repeats,
  );
}

/** The EP's reduction: Y = ReduceSum(X) over float32[n]; counts the bytes of X read per run. */
export function measureDeviceRead(device: Device, bytes = 128 << 20, repeats = 7): Promise<BandwidthMeasurement> {
  const n = bytes >>> 2;
  const g = new GraphBuilder('reduce_sum');
  g.output(g.op('ReduceSum', [g.input('X', 'float32', [n])], { keepdims: 0 }), 'Y', 'float32', []);
  return timeKernel(device, g, n, { expected: n, formula: 'Y = ReduceSum(X)', counted: 'read', bytesMoved: n * 4 }, repeats);
}

/** Runs a one-input graph over X = ones(n) on the device: one checked warm-up run, then `repeats` timed runs. */
async function timeKernel(
  device: Device,
  g: GraphBuilder,
  n: number,
  k: { expected: number; formula: string; counted: string; bytesMoved: number },
  repeats: number,
): Promise<BandwidthMeasurement> {
  const session = await device.open({ bytes: encodePlan(g.plan(), 0) });
  try {
    const x: Tensor = { type: 'float32', dims: [n], data: new Float32Array(n).fill(1) };
    const first = await session.run({ X: x }); // warm-up: allocations, page faults
    const y = ((first.Y as Tensor).data as Float32Array)[0];
    if (y !== k.expected) throw new Error(`bandwidth kernel returned ${y} instead of ${k.expected}`);
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      await session.run({ X: x });
      times.push(performance.now() - t);
    }
    return summarise(
      `${device.id} kernel ${k.formula} over float32[${n}]; bytes = ${k.counted}; includes one run's dispatch`,
      k.bytesMoved,
      n * 4,
      times,
    );
  } finally {
    await session.close();
  }
}
