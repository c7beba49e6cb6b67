// Writes a ModelPlan (graph + weight specs) as ONNX, generating each initializer as it is written.
// Memory stays bounded by one chunk of one tensor: the graph is encoded by onnx-proto, and the
// initializers are appended to the GraphProto on the wire (protobuf fields may come in any order and
// repeated fields concatenate), with their lengths computed before any data is generated.
// Models whose initializers exceed protobuf's 2 GB limit go to an ONNX external data file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs';
import type { ModelPlan } from './graph.js';
import { ONNX_DTYPE } from './tensor.js';
import { weightBytes, weightBytesOf, weightChunks, type WeightSpec } from './weights.js';
import { ModelEnvironmentError, ModelInputError } from '../errors.js';

const { onnx } = onnxProto;

/** Protobuf's hard limit for one message; ONNX files above it must use external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** External data offsets are aligned so runtimes can memory-map each tensor. */
const ALIGN = 4096;
/** Tensors below this size stay in the .onnx file (onnx's convert_model_to_external_data uses the same threshold). */
const EXTERNAL_MIN_BYTES = 1024;

// Wire tags: (field number << 3) | wire type 2 (length-delimited).
const TAG_MODEL_GRAPH = (7 << 3) | 2;
const TAG_GRAPH_INITIALIZER = (5 << 3) | 2;
const TAG_TENSOR_RAW_DATA = (9 << 3) | 2;

function varint(n: number): Uint8Array {
  return protobuf.Writer.create().uint32(n).finish();
}

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function tensorHeader(w: WeightSpec, external?: { location: string; offset: number; length: number }): Uint8Array {
  return onnx.TensorProto.encode({
    name: w.name,
    dims: [...w.dims],
    dataType: ONNX_DTYPE[w.dtype],
    ...(external
      ? {
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: external.location },
            { key: 'offset', value: String(external.offset) },
            { key: 'length', value: String(external.length) },
          ],
        }
      : {}),
  }).finish();
}

function splitGraph(plan: ModelPlan): { modelRest: Uint8Array; graph: Uint8Array } {
  const { graph, ...rest } = plan.proto;
  return {
    modelRest: onnx.ModelProto.encode(rest).finish(),
    graph: onnx.GraphProto.encode({ ...graph, initializer: [] }).finish(),
  };
}

export function totalWeightBytes(plan: ModelPlan): number {
  return plan.weights.reduce((s, w) => s + weightBytes(w), 0);
}

/** Encodes a plan in memory (models under 2 GB only). */
export function encodePlan(plan: ModelPlan, seed: number): Uint8Array {
  if (totalWeightBytes(plan) > PROTOBUF_LIMIT - (1 << 24)) {
    throw new ModelInputError(
      `Model "${plan.proto.graph?.name}" has ${totalWeightBytes(plan)} bytes of weights, over protobuf's 2 GB limit: export it to a file (external data) instead.`,
    );
  }
  const initializer = plan.weights.map((w) => ({ ...onnx.TensorProto.decode(tensorHeader(w)), rawData: weightBytesOf(w, seed) }));
  return onnx.ModelProto.encode({ ...plan.proto, graph: { ...plan.proto.graph, initializer } }).finish();
}

export interface WrittenModel {
  readonly path: string;
  /** Size of the .onnx file. */
  readonly bytes: number;
  readonly sha256: string;
  /** Present when the initializers went to an external data file beside the model. */
  readonly externalData?: { readonly path: string; readonly bytes: number; readonly sha256: string };
}

class HashedFile {
  private fd: number;
  private hash = createHash('sha256');
  bytes = 0;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw new ModelEnvironmentError(`Cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
    }
  }
  write(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.hash.update(b);
    this.bytes += b.length;
  }
  close(): { path: string; bytes: number; sha256: string } {
    closeSync(this.fd);
    return { path: this.path, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

/**
 * Streams a plan to `path`. `external`: 'auto' (default) uses external data only when the weights
 * would break protobuf's 2 GB limit; true forces it; the data file is `<file name>.data` beside the model.
 */
export function writePlan(plan: ModelPlan, seed: number, path: string, opts: { external?: boolean | 'auto' } = {}): WrittenModel {
  const total = totalWeightBytes(plan);
  const external = opts.external === true || ((opts.external ?? 'auto') === 'auto' && total > PROTOBUF_LIMIT - (1 << 24));
  const { modelRest, graph } = splitGraph(plan);

  if (external) {
    const dataPath = `${path}.data`;
    const location = basename(dataPath);
    const data = new HashedFile(dataPath);
    const inits: { header: Uint8Array; raw: WeightSpec | null }[] = [];
    for (const w of plan.weights) {
      // Small tensors (shapes, axes, scalars) stay inline: shape inference must be able to read them.
      if (weightBytes(w) < EXTERNAL_MIN_BYTES) {
        inits.push({ header: tensorHeader(w), raw: w });
        continue;
      }
      const pad = (ALIGN - (data.bytes % ALIGN)) % ALIGN;
      if (pad) data.write(new Uint8Array(pad));
      inits.push({ header: tensorHeader(w, { location, offset: data.bytes, length: weightBytes(w) }), raw: null });
      for (const c of weightChunks(w, seed)) data.write(c);
    }
    const dataInfo = data.close();
    const out = new HashedFile(path);
    writeModel(out, modelRest, graph, inits, seed);
    return { ...out.close(), externalData: dataInfo };
  }

  const out = new HashedFile(path);
  writeModel(
    out,
    modelRest,
    graph,
    plan.weights.map((w) => ({ header: tensorHeader(w), raw: w })),
    seed,
  );
  return out.close();
}

function writeModel(
  out: HashedFile,
  modelRest: Uint8Array,
  graph: Uint8Array,
  inits: readonly { header: Uint8Array; raw: WeightSpec | null }[],
  seed = 0,
): void {
  const sizes = inits.map(({ header, raw }) => {
    const n = raw ? weightBytes(raw) : 0;
    return header.length + (raw ? 1 + varintLen(n) + n : 0);
  });
  const graphLen = graph.length + sizes.reduce((s, len) => s + 1 + varintLen(len) + len, 0);
  if (graphLen > PROTOBUF_LIMIT)
    throw new ModelInputError(`The graph would be ${graphLen} bytes, over protobuf's 2 GB limit; write it with external data.`);
  out.write(modelRest);
  out.write(Uint8Array.of(TAG_MODEL_GRAPH));
  out.write(varint(graphLen));
  out.write(graph);
  inits.forEach(({ header, raw }, i) => {
    out.write(Uint8Array.of(TAG_GRAPH_INITIALIZER));
    out.write(varint(sizes[i]!));
    out.write(header);
    if (raw) {
      out.write(Uint8Array.of(TAG_TENSOR_RAW_DATA));
      out.write(varint(weightBytes(raw)));
      for (const c of weightChunks(raw, seed)) out.write(c);
    }
  });
}
