// The only non-zoo graphs tfjs devices run: small float32 graphs of elementwise ops and MatMul,
// such as the availability probe (Y = X + X). Each node maps to one tfjs op with ONNX's
// (numpy) broadcasting; anything else is refused, since the tfjs devices are a reference for zoo
// models, not an ONNX runtime.
import { tf } from './runtime.js';

type Unary = (x: tf.Tensor) => tf.Tensor;
type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const UNARY: Readonly<Record<string, Unary>> = {
  Identity: (x) => tf.clone(x),
  Relu: tf.relu,
  Sigmoid: tf.sigmoid,
  Tanh: tf.tanh,
  Neg: tf.neg,
  Exp: tf.exp,
  Sqrt: tf.sqrt,
  Abs: tf.abs,
};
const BINARY: Readonly<Record<string, Binary>> = {
  Add: tf.add,
  Sub: tf.sub,
  Mul: tf.mul,
  Div: tf.div,
  MatMul: tf.matMul as Binary,
};

export const ELEMENTWISE_OPS: readonly string[] = [...Object.keys(UNARY), ...Object.keys(BINARY)];

export interface SimpleNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Node ops this path cannot run (empty when the whole graph is supported); a node with a domain or attributes counts as unsupported. */
export function unsupportedOps(nodes: readonly (SimpleNode & { domain: string; attributes: number })[]): string[] {
  const bad = new Set<string>();
  for (const n of nodes) {
    const arity = n.opType in UNARY ? 1 : n.opType in BINARY ? 2 : -1;
    if (arity < 0 || n.domain !== '' || n.attributes > 0 || n.inputs.length !== arity || n.outputs.length !== 1) bad.add(n.opType);
  }
  return [...bad];
}

/** Evaluates the nodes in order (ONNX requires topological order) over `values`, which it extends. Call inside tf.tidy. */
export function evaluate(nodes: readonly SimpleNode[], values: Map<string, tf.Tensor>): void {
  const read = (name: string) => {
    const v = values.get(name);
    if (!v) throw new Error(`graph value "${name}" is used before it is produced`);
    return v;
  };
  for (const n of nodes) {
    const unary = UNARY[n.opType];
    const out = unary ? unary(read(n.inputs[0]!)) : BINARY[n.opType]!(read(n.inputs[0]!), read(n.inputs[1]!));
    values.set(n.outputs[0]!, out);
  }
}
