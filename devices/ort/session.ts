// One model loaded in ONNX Runtime. Tensors pass through without copies both ways (ORT outputs are
// structurally npuval Tensors), and every runtime error leaves as a typed DeviceRunError.
import { DeviceRunError } from '../errors.js';
import type { DType, Feeds, Outputs, Session, Tensor, Value, ValueInfo } from '../types.js';
import { ortFailure } from './failures.js';
import { ort } from './runtime.js';

export class OrtSession implements Session {
  readonly concurrentRuns = true;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];

  constructor(private readonly session: ort.InferenceSession) {
    this.inputs = session.inputMetadata.map(toValueInfo);
    this.outputs = session.outputMetadata.map(toValueInfo);
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs> {
    const ortFeeds: Record<string, ort.OnnxValue> = {};
    for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toOrt(name, value);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = fetches ? await this.session.run(ortFeeds, [...fetches]) : await this.session.run(ortFeeds);
    } catch (err) {
      throw ortFailure(err);
    }
    const out: Outputs = {};
    for (const [name, value] of Object.entries(result)) out[name] = value as unknown as Tensor;
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function toValueInfo(meta: ort.InferenceSession.ValueMetadata): ValueInfo {
  if (!meta.isTensor) return { name: meta.name, kind: 'other' };
  return {
    name: meta.name,
    kind: 'tensor',
    type: meta.type as DType,
    shape: meta.shape.map((d) => (typeof d === 'number' && d < 0 ? null : d)),
  };
}

/** Wraps a Tensor as an ORT tensor without copying its data (ORT tensors pass through as they are). */
function toOrt(name: string, value: Value): ort.OnnxValue {
  if (value instanceof ort.Tensor) return value;
  if (value === null || Array.isArray(value)) {
    throw new DeviceRunError(
      `input "${name}" is a ${value === null ? 'absent optional' : 'sequence'}, which onnxruntime-node cannot feed`,
      'binding-limit',
      {},
      { badInput: true },
    );
  }
  return new ort.Tensor(value.type as ort.Tensor.Type, value.data as ort.Tensor.DataType, value.dims);
}
