// What a user's ONNX file contains, without running it: opsets, I/O with dtypes and symbolic dims,
// parameter count, op histogram, npuval zoo metadata, and whether the I/O follow the decoder-with-past
// convention (HF Optimum / onnxruntime-genai) that the LLM generation loop drives.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { DType, ValueInfo } from '../devices/types.js';
import { ModelInputError } from './errors.js';
import { decodeModel, DTYPE_FROM_ONNX, int64ToNumber, ONNX_DTYPE, ONNX_DTYPE_NAME, onnx, type OnnxModel } from './onnx/tensor.js';

import type onnxProto from 'onnx-proto';

type IValueInfo = onnxProto.onnx.IValueInfoProto;

export interface IoInfo {
  name: string;
  /** 'tensor', or the kind of a non-tensor value (sequence, map, optional, sparse_tensor). */
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';
  dtype: DType | string | null;
  /** Dims: number when fixed, string when symbolic, null when unknown; null when the rank is unknown. */
  shape: (number | string | null)[] | null;
}

export interface DecoderConvention {
  follows: boolean;
  layers: number;
  /** Why not, one reason per line; empty when it follows. */
  reasons: string[];
}

export interface ModelInspection {
  file: string;
  bytes: number;
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: IoInfo[];
  outputs: IoInfo[];
  initializers: number;
  /** Elements in all initializers (weights, plus any small constants the graph stores as initializers). */
  params: number;
  /** Initializers whose data lives in external files. */
  externalInitializers: number;
  nodes: number;
  ops: Record<string, number>;
  metadata: Record<string, string>;
  decoderWithPast: DecoderConvention;
}

/** One graph input or output as inspect reports it. */
export function ioInfo(v: IValueInfo): IoInfo {
  const t = v.type;
  const name = v.name ?? '';
  if (t?.tensorType) {
    const code = t.tensorType.elemType ?? 0;
    const dims = t.tensorType.shape?.dim;
    return {
      name,
      kind: 'tensor',
      dtype: DTYPE_FROM_ONNX[code] ?? ONNX_DTYPE_NAME[code] ?? String(code),
      shape: dims
        ? dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? int64ToNumber(d.dimValue) : null))
        : null,
    };
  }
  const kind = t?.sequenceType
    ? 'sequence'
    : t?.mapType
      ? 'map'
      : t?.optionalType
        ? 'optional'
        : t?.sparseTensorType
          ? 'sparse_tensor'
          : 'unknown';
  return { name, kind, dtype: null, shape: null };
}

/** Checks the decoder-with-past I/O names: inputs input_ids, attention_mask, past_key_values.{i}.key|value; outputs logits, present.{i}.key|value. */
export function decoderConvention(inputs: readonly IoInfo[], outputs: readonly IoInfo[]): DecoderConvention {
  const reasons: string[] = [];
  const inNames = new Set(inputs.map((i) => i.name));
  const outNames = new Set(outputs.map((o) => o.name));
  for (const n of ['input_ids', 'attention_mask']) if (!inNames.has(n)) reasons.push(`no input "${n}"`);
  if (!outNames.has('logits')) reasons.push('no output "logits"');
  const layerOf = (re: RegExp, names: Set<string>) =>
    [...names]
      .map((n) => re.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
  const pastLayers = new Set(layerOf(/^past_key_values\.(\d+)\.key$/, inNames));
  const layers = pastLayers.size;
  if (layers === 0) reasons.push('no past_key_values.{i}.key inputs');
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) {
      if (!inNames.has(`past_key_values.${i}.${kind}`)) reasons.push(`no input "past_key_values.${i}.${kind}"`);
      if (!outNames.has(`present.${i}.${kind}`)) reasons.push(`no output "present.${i}.${kind}"`);
    }
  }
  const ids = inputs.find((i) => i.name === 'input_ids');
  if (ids && ids.dtype !== 'int64' && ids.dtype !== 'int32') reasons.push(`input_ids is ${ids.dtype}, not int64/int32`);
  return { follows: reasons.length === 0, layers, reasons };
}

export function inspectModel(model: OnnxModel, file: string, bytes: number): ModelInspection {
  const g = model.graph!;
  const inits = g.initializer ?? [];
  const initNames = new Set(inits.map((t) => t.name));
  // Older exports list initializers among the graph inputs too; those are not real inputs.
  const inputs = (g.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(ioInfo);
  const outputs = (g.output ?? []).map(ioInfo);
  const ops: Record<string, number> = {};
  for (const n of g.node ?? []) {
    const key = n.domain ? `${n.domain}::${n.opType}` : (n.opType ?? '?');
    ops[key] = (ops[key] ?? 0) + 1;
  }
  return {
    file,
    bytes,
    irVersion: int64ToNumber(model.irVersion as never),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: int64ToNumber(o.version as never) })),
    inputs,
    outputs,
    initializers: inits.length,
    params: inits.reduce((s, t) => s + (t.dims ?? []).reduce<number>((a, d) => a * int64ToNumber(d as never), 1), 0),
    externalInitializers: inits.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL).length,
    nodes: (g.node ?? []).length,
    ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1])),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    decoderWithPast: decoderConvention(inputs, outputs),
  };
}

/** Reads and inspects an ONNX file; a missing, non-ONNX or truncated file is bad input (exit 2). */
export function inspectFile(path: string): ModelInspection {
  if (!existsSync(path)) throw new ModelInputError(`model file ${path} does not exist`);
  if (statSync(path).isDirectory()) throw new ModelInputError(`model file ${path} is a folder, not a file`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelInputError(`model file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const model = decodeModel(bytes, path);
  checkExternalData(model, path);
  return inspectModel(model, path, bytes.length);
}

/**
 * Every initializer kept in an external file must name a file inside the model's folder that holds
 * its bytes: a runtime would otherwise refuse the model only when a device loads it.
 */
function checkExternalData(model: OnnxModel, path: string): void {
  const dir = dirname(resolve(path));
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    const name = `tensor "${t.name ?? ''}"`;
    if (!location) throw new ModelInputError(`model file ${path}: ${name} has external data but no "location" entry`);
    if (isAbsolute(location) || normalize(location).startsWith('..'))
      throw new ModelInputError(`model file ${path}: ${name} names external file "${location}", which lies outside the model's folder`);
    const file = join(dir, location);
    if (!existsSync(file) || !statSync(file).isFile())
      throw new ModelInputError(`model file ${path}: external data file ${file} of ${name} does not exist`);
    const end = Number(entries.get('offset') ?? '0') + Number(entries.get('length') ?? '0');
    const size = statSync(file).size;
    if (!(end <= size))
      throw new ModelInputError(`model file ${path}: external data of ${name} runs past the end of ${file} (${size} bytes)`);
  }
}

/** The inspected inputs as session-style ValueInfos (what seededInputs takes). */
export function inputValueInfos(m: Pick<ModelInspection, 'inputs'>): ValueInfo[] {
  return m.inputs.map((i) =>
    i.kind === 'tensor' && i.dtype && i.dtype in ONNX_DTYPE
      ? { name: i.name, kind: 'tensor' as const, type: i.dtype as DType, shape: i.shape ?? undefined }
      : { name: i.name, kind: 'other' as const },
  );
}
