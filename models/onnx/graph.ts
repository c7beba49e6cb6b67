// A small ONNX graph builder, so that model builders read like the architecture they build:
//   const q = g.linear(x, 'model.layers.0.self_attn.q_proj.weight', [H * d, hidden]);
// Initializers are recorded as WeightSpecs and only generated when the model is written
// (models/onnx/writer.ts), so a graph for an 8B-parameter model costs kilobytes until then.
import onnxProto from 'onnx-proto';
import type { DType } from '../../devices/types.js';
import { ONNX_DTYPE } from './tensor.js';
import type { Fill, WeightSpec } from './weights.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type IAttribute = onnxProto.onnx.IAttributeProto;

/** Attribute values: number → INT unless `float()` marks it; arrays likewise; string; a tensor proto. */
export type AttrValue = number | string | readonly number[] | FloatAttr | FloatsAttr | onnxProto.onnx.ITensorProto;
export interface FloatAttr {
  readonly float: number;
}
export interface FloatsAttr {
  readonly floats: readonly number[];
}
export const float = (v: number): FloatAttr => ({ float: v });

/** A dimension: a number when fixed, a string when symbolic. */
export type Dim = number | string;

export const DEFAULT_OPSET = 17;

export interface ModelMeta {
  readonly producer?: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A model ready to be written: the graph without initializer data, plus how to make that data. */
export interface ModelPlan {
  /** ModelProto whose graph carries no initializers (they are the `weights`). */
  readonly proto: onnxProto.onnx.IModelProto;
  readonly weights: readonly WeightSpec[];
}

function attr(name: string, v: AttrValue): IAttribute {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; wrap floats with float()`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...(v as number[])] };
  if ('float' in (v as object)) return { name, type: T.FLOAT, f: (v as FloatAttr).float };
  if ('floats' in (v as object)) return { name, type: T.FLOATS, floats: [...(v as FloatsAttr).floats] };
  return { name, type: T.TENSOR, t: v as onnxProto.onnx.ITensorProto };
}

export function valueInfo(name: string, dtype: DType, shape: readonly Dim[]): IValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly inputs: IValueInfo[] = [];
  readonly outputs: IValueInfo[] = [];
  readonly weights: WeightSpec[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private prefix = '';

  constructor(
    readonly name: string,
    readonly opset = DEFAULT_OPSET,
  ) {}

  /** Runs `fn` with value and node names prefixed by `scope` (e.g. "/model/layers.0/attn"). */
  scope<T>(scope: string, fn: () => T): T {
    const saved = this.prefix;
    this.prefix = `${saved}/${scope}`;
    try {
      return fn();
    } finally {
      this.prefix = saved;
    }
  }

  private fresh(hint: string): string {
    let n = `${this.prefix}/${hint}`;
    while (this.names.has(n)) n = `${this.prefix}/${hint}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    this.names.add(name);
    return name;
  }

  /** Declares `value` as graph output `name` (an Identity node is added if the names differ). */
  output(value: string, name: string, dtype: DType, shape: readonly Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}/Identity` });
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, out?: string): string {
    return this.opN(opType, inputs, 1, attrs, out ? [out] : undefined)[0]!;
  }

  /** Operator set domains other than the default one, with their versions (e.g. com.microsoft 1). */
  readonly extraOpsets = new Map<string, number>();

  /**
   * Adds a node with `count` outputs. `domain` names a non-standard operator set (e.g. com.microsoft
   * for ONNX Runtime contrib ops); it is imported at version 1 unless `extraOpsets` says otherwise.
   */
  opN(
    opType: string,
    inputs: readonly string[],
    count: number,
    attrs: Readonly<Record<string, AttrValue>> = {},
    outs?: readonly string[],
    domain?: string,
  ): string[] {
    const outputs = outs ? [...outs] : Array.from({ length: count }, (_, i) => this.fresh(count === 1 ? opType : `${opType}_out${i}`));
    for (const o of outputs) this.names.add(o);
    if (domain && !this.extraOpsets.has(domain)) this.extraOpsets.set(domain, 1);
    this.nodes.push({
      opType,
      ...(domain ? { domain } : {}),
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return outputs;
  }

  /** An initializer with seeded or constant values; `name` is kept verbatim (HF parameter names). */
  weight(name: string, dims: readonly number[], fill: Fill, dtype: WeightSpec['dtype'] = 'float32'): string {
    if (this.names.has(name)) throw new Error(`duplicate initializer ${name}`);
    this.names.add(name);
    this.weights.push({ name, dims: [...dims], dtype, fill });
    return name;
  }

  private readonly constants = new Map<string, string>();

  /** A small constant initializer (shapes, axes, scalars); identical constants are shared. */
  constant(
    values: readonly number[],
    dtype: WeightSpec['dtype'] = 'int64',
    dims: readonly number[] = [values.length],
    hint = 'const',
  ): string {
    const key = `${dtype}|${dims.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const saved = this.prefix;
    this.prefix = '/const';
    const name = this.fresh(hint);
    this.prefix = saved;
    this.weights.push({ name, dims: [...dims], dtype, fill: { kind: 'data', values: [...values] } });
    this.constants.set(key, name);
    return name;
  }

  scalar(value: number, dtype: WeightSpec['dtype'] = 'float32'): string {
    return this.constant([value], dtype, [], 'scalar');
  }

  // Op shorthands used by the builders.
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  cast(x: string, to: DType): string {
    return this.op('Cast', [x], { to: ONNX_DTYPE[to] });
  }
  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm });
  }
  reshape(x: string, shape: string): string {
    return this.op('Reshape', [x, shape]);
  }
  concat(xs: readonly string[], axis: number): string {
    return this.op('Concat', xs, { axis });
  }
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.constant(axes)]);
  }
  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[]): string {
    return this.op('Slice', [x, this.constant(starts), this.constant(ends), this.constant(axes)]);
  }

  /**
   * y = x·Wᵀ (+ b) for a 2-D x [rows, in] and a weight stored as [out, in] (PyTorch nn.Linear's layout),
   * as one Gemm with transB=1 so the initializer keeps its checkpoint layout.
   */
  linear(
    x: string,
    weightName: string,
    outIn: readonly [number, number],
    opts: { bias?: string; fill?: Fill; dtype?: WeightSpec['dtype']; existing?: boolean } = {},
  ): string {
    const w = opts.existing ? weightName : this.weight(weightName, outIn, opts.fill ?? { kind: 'normal', std: 0.02 }, opts.dtype);
    return this.op('Gemm', opts.bias ? [x, w, opts.bias] : [x, w], { transB: 1 });
  }

  /** The ModelProto (without initializer data) and its weights. */
  plan(meta: ModelMeta = {}): ModelPlan {
    const proto: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: meta.producer ?? 'npuval',
      docString: meta.docString ?? '',
      opsetImport: [{ domain: '', version: this.opset }, ...[...this.extraOpsets].map(([domain, version]) => ({ domain, version }))],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: [] },
    };
    return { proto, weights: this.weights };
  }
}
