// Reads what the tfjs reference needs from a zoo ONNX file: the `npuval.model` metadata (family and
// config), the graph's I/O description and the initializers as fp32. It never looks at the graph's
// nodes for zoo models: the forward pass is written independently and meets the graph only here.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DTYPE_FROM_ONNX,
  decodeModel,
  int64ToNumber,
  tensorFromProto,
  type ITensorProto,
  type OnnxModel,
} from '../../models/onnx/tensor.js';
import { fromBfloat16Bits, halfToFloats } from '../../models/onnx/half.js';
import { DeviceInputError } from '../errors.js';
import type { ModelSource, ValueInfo } from '../types.js';

export type ZooFamily = 'llama' | 'bert' | 'resnet';

export interface ZooMetadata {
  readonly name: string;
  readonly family: ZooFamily;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface OnnxFile {
  /** How messages name the model: its path, or "the model bytes". */
  readonly label: string;
  readonly model: OnnxModel;
  /** Where external data would be found (the file's directory), if read from a path. */
  readonly baseDir: string | undefined;
  readonly zoo: ZooMetadata | null;
  /** Graph inputs that are not initializers, and graph outputs. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

export const ZOO_METADATA_KEY = 'npuval.model';
const FAMILIES: readonly ZooFamily[] = ['llama', 'bert', 'resnet'];

export function readOnnxFile(source: ModelSource): OnnxFile {
  let bytes: Uint8Array;
  const label = 'path' in source ? source.path : 'the model bytes';
  if ('path' in source) {
    try {
      bytes = readFileSync(source.path);
    } catch (err) {
      throw new DeviceInputError(
        `cannot read model file ${source.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  } else {
    bytes = source.bytes;
  }
  const model = decodeModel(bytes, label);
  const graph = model.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  return {
    label,
    model,
    baseDir: 'path' in source ? dirname(source.path) : undefined,
    zoo: zooMetadata(model, label),
    inputs: (graph.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
  };
}

function zooMetadata(model: OnnxModel, label: string): ZooMetadata | null {
  const entry = (model.metadataProps ?? []).find((p) => p.key === ZOO_METADATA_KEY);
  if (!entry) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value ?? '');
  } catch {
    throw new DeviceInputError(`${label}: metadata "${ZOO_METADATA_KEY}" is not valid JSON`);
  }
  const m = parsed as Partial<ZooMetadata> | null;
  if (!m || typeof m !== 'object' || !FAMILIES.includes(m.family as ZooFamily) || typeof m.config !== 'object' || m.config === null) {
    throw new DeviceInputError(
      `${label}: metadata "${ZOO_METADATA_KEY}" must be {"name", "family": ${FAMILIES.join('|')}, "config": {...}}`,
    );
  }
  return { name: String(m.name ?? ''), family: m.family as ZooFamily, config: m.config };
}

type ProtoValueInfo = NonNullable<NonNullable<OnnxModel['graph']>['input']>[number];

function valueInfo(v: ProtoValueInfo): ValueInfo {
  const tt = v.type?.tensorType;
  if (!tt) return { name: v.name ?? '', kind: 'other' };
  const type = DTYPE_FROM_ONNX[tt.elemType ?? 0];
  const shape = tt.shape
    ? (tt.shape.dim ?? []).map((d) =>
        d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? int64ToNumber(d.dimValue) : null,
      )
    : undefined;
  return { name: v.name ?? '', kind: 'tensor', ...(type ? { type } : {}), ...(shape ? { shape } : {}) };
}

/** A floating-point initializer as fp32 (float16/bfloat16 widened exactly); null for other element types. */
export function initializerAsFloat32(p: ITensorProto, baseDir: string | undefined): { dims: number[]; data: Float32Array } | null {
  const t = tensorFromProto(p, baseDir);
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
      return { dims, data: t.data as Float32Array };
    case 'float16':
      return { dims, data: halfToFloats(t.data as Uint16Array) };
    case 'bfloat16':
      return { dims, data: Float32Array.from(t.data as Uint16Array, fromBfloat16Bits) };
    case 'float64':
      return { dims, data: Float32Array.from(t.data as Float64Array) };
    default:
      return null;
  }
}
