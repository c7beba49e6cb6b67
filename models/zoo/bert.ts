// BERT encoder (Hugging Face BertModel without pooler): embeddings (word + position + token type)
// → LayerNorm → N post-LN layers (self-attention, GELU MLP) → last_hidden_state.
// Standard ONNX ops at opset 17 (LayerNormalization is opset 17; GELU is built from Erf).
import { GraphBuilder, float, type ModelPlan } from '../onnx/graph.js';
import type { Fill } from '../onnx/weights.js';

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  /** The sequence length the graph is built for (its I/O have this fixed dim). */
  seq_len: number;
}

const LINEAR: Fill = { kind: 'normal', std: 0.02 };
const ONES: Fill = { kind: 'constant', value: 1 };
const ZEROS: Fill = { kind: 'constant', value: 0 };
const FP32_LOWEST = -3.4028234663852886e38;

export function bertParams(c: BertConfig): number {
  const h = c.hidden_size;
  const emb = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h;
  const perLayer = 4 * (h * h + h) + 2 * h + (h * c.intermediate_size + c.intermediate_size) + (c.intermediate_size * h + h) + 2 * h;
  return emb + c.num_hidden_layers * perLayer;
}

export function buildBert(name: string, c: BertConfig, metadata: Record<string, string>): ModelPlan {
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error('hidden_size must be a multiple of num_attention_heads');
  if (c.seq_len > c.max_position_embeddings) throw new Error('seq_len exceeds max_position_embeddings');
  const g = new GraphBuilder(name);
  const h = c.hidden_size;
  const nh = c.num_attention_heads;
  const dh = h / nh;
  const io = ['batch_size', c.seq_len] as const;
  const inputIds = g.input('input_ids', 'int64', io);
  const attnMask = g.input('attention_mask', 'int64', io);
  const tokenTypes = g.input('token_type_ids', 'int64', io);

  const linearB = (x: string, prefix: string, out: number, inp: number) =>
    g.linear(x, `${prefix}.weight`, [out, inp], { fill: LINEAR, bias: g.weight(`${prefix}.bias`, [out], ZEROS) });
  const layerNorm = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, g.weight(`${prefix}.weight`, [h], ONES), g.weight(`${prefix}.bias`, [h], ZEROS)], {
      axis: -1,
      epsilon: float(c.layer_norm_eps),
    });

  const bs = g.op('Shape', [inputIds]);
  const seq = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), g.constant([0])]);
  const positions = g.op('Range', [g.constant([0], 'int64', []), seq, g.constant([1], 'int64', [])]);
  const gather = (table: string, rows: number, ids: string) =>
    g.op('Gather', [g.weight(`embeddings.${table}.weight`, [rows, h], LINEAR), ids], { axis: 0 });
  const emb = g.add(
    g.add(gather('word_embeddings', c.vocab_size, inputIds), gather('token_type_embeddings', c.type_vocab_size, tokenTypes)),
    gather('position_embeddings', c.max_position_embeddings, positions),
  );
  let x = g.reshape(layerNorm(emb, 'embeddings.LayerNorm'), g.constant([-1, h])); // [b·s, h]

  // Extended mask as HF builds it: (1 − mask) · lowest, broadcast over heads and queries.
  const maskF = g.cast(attnMask, 'float32');
  const ext = g.unsqueeze(g.mul(g.sub(g.scalar(1), maskF), g.scalar(FP32_LOWEST)), [1, 2]); // [b, 1, 1, s]
  const headShape = g.concat([bs, g.constant([nh, dh])], 0);
  const scale = g.scalar(1 / Math.sqrt(dh));
  const invSqrt2 = g.scalar(Math.SQRT1_2);

  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    x = g.scope(`layer.${i}`, () => {
      const heads = (which: string, perm: number[]) =>
        g.transpose(g.reshape(linearB(x, `${p}.attention.self.${which}`, h, h), headShape), perm);
      const q = heads('query', [0, 2, 1, 3]); // [b, nh, s, dh]
      const kT = heads('key', [0, 2, 3, 1]); // [b, nh, dh, s]
      const v = heads('value', [0, 2, 1, 3]);
      const scores = g.add(g.mul(g.matmul(q, kT), scale), ext);
      const ctx = g.matmul(g.op('Softmax', [scores], { axis: -1 }), v);
      const merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), g.constant([-1, h]));
      const attn = layerNorm(g.add(linearB(merged, `${p}.attention.output.dense`, h, h), x), `${p}.attention.output.LayerNorm`);
      const inter = linearB(attn, `${p}.intermediate.dense`, c.intermediate_size, h);
      // GELU (exact): 0.5 · x · (1 + erf(x / √2)).
      const gelu = g.mul(g.mul(inter, g.scalar(0.5)), g.add(g.scalar(1), g.op('Erf', [g.mul(inter, invSqrt2)])));
      return layerNorm(g.add(linearB(gelu, `${p}.output.dense`, h, c.intermediate_size), attn), `${p}.output.LayerNorm`);
    });
  }
  const out = g.reshape(x, g.concat([bs, g.constant([h])], 0));
  g.output(out, 'last_hidden_state', 'float32', ['batch_size', c.seq_len, h]);
  return g.plan({ docString: `${name}: BERT encoder with seeded dummy weights (npuval model zoo)`, metadata });
}
