// What the runner needs to know about a test model before running it: declared input and output
// types (tensor, sequence, optional, map), which inputs are initializers, IR version and opsets,
// and the op types of its nodes. Read with onnx-proto (ONNX's own protobuf schema).
import type { onnx as Onnx } from 'onnx-proto';
import { decodeModel, onnx } from '../../models/onnx/tensor.js';

/** The value kinds ONNX's TypeProto can declare. */
export type ValueKind = 'tensor' | 'sequence' | 'optional' | 'map' | 'sparse' | 'unknown';

export interface DeclaredValue {
  readonly name: string;
  readonly kind: ValueKind;
  /** TensorProto.DataType of the tensor (or of the innermost tensor of a sequence/optional), else null. */
  readonly elemType: number | null;
}

export interface ModelInfo {
  readonly irVersion: number | null;
  /** Default-domain opset ('' or 'ai.onnx'), null when the model imports none. */
  readonly opset: number | null;
  readonly opsets: Readonly<Record<string, number>>;
  /** Graph inputs in declared order, initializers included (flagged). */
  readonly inputs: readonly (DeclaredValue & { readonly initializer: boolean })[];
  readonly outputs: readonly DeclaredValue[];
  /** Distinct top-level node op types in graph order, `domain:Op` outside the default domain. */
  readonly nodeOps: readonly string[];
  /** True when an initializer's data lives in an external file (the model must be opened by path). */
  readonly externalData: boolean;
}

/** Element types onnxruntime-node cannot hand back to JavaScript (the process aborts on such outputs). */
export const INT4_TYPES = new Set([21, 22]); // UINT4, INT4 (onnx.proto ≥ 1.16)

/** Parses model bytes; throws one sentence naming `what` (exit 2) when they are not an ONNX model. */
export function readModelInfo(bytes: Uint8Array, what = 'The model'): ModelInfo {
  const model = decodeModel(bytes, what);
  const graph = model.graph!;
  const opsets: Record<string, number> = {};
  for (const imp of model.opsetImport ?? []) opsets[imp.domain ?? ''] = toNum(imp.version);
  const defaultOpset = opsets[''] ?? opsets['ai.onnx'] ?? null;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const externalData = (graph.initializer ?? []).some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  const ops: string[] = [];
  for (const node of graph.node ?? []) {
    const domain = node.domain ?? '';
    const op = domain === '' || domain === 'ai.onnx' ? (node.opType ?? '?') : `${domain}:${node.opType ?? '?'}`;
    if (!ops.includes(op)) ops.push(op);
  }
  return {
    irVersion: model.irVersion === undefined || model.irVersion === null ? null : toNum(model.irVersion),
    opset: defaultOpset,
    opsets,
    inputs: (graph.input ?? []).map((v) => ({ ...declared(v), initializer: inits.has(v.name ?? '') })),
    outputs: (graph.output ?? []).map(declared),
    nodeOps: ops,
    externalData,
  };
}

function declared(v: Onnx.IValueInfoProto): DeclaredValue {
  return { name: v.name ?? '', ...typeOf(v.type ?? null) };
}

function typeOf(t: Onnx.ITypeProto | null): { kind: ValueKind; elemType: number | null } {
  if (!t) return { kind: 'unknown', elemType: null };
  if (t.tensorType) return { kind: 'tensor', elemType: t.tensorType.elemType ?? null };
  if (t.sequenceType) return { kind: 'sequence', elemType: typeOf(t.sequenceType.elemType ?? null).elemType };
  if (t.optionalType) return { kind: 'optional', elemType: typeOf(t.optionalType.elemType ?? null).elemType };
  if (t.mapType) return { kind: 'map', elemType: null };
  if (t.sparseTensorType) return { kind: 'sparse', elemType: t.sparseTensorType.elemType ?? null };
  return { kind: 'unknown', elemType: null };
}

function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
