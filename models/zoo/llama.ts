// Llama-family decoder (Hugging Face LlamaForCausalLM) as an ONNX graph with the decoder-with-past
// I/O of HF Optimum / onnxruntime-genai exports. The math follows the zoo contract
// (/tmp/h/modelspec.md → models/README.md): RMSNorm in fp32, RoPE from position_ids,
// grouped-query attention over concat(past, new) keys with a causal + padding mask, SwiGLU MLP.
// Standard ONNX ops only, opset 17, so any EP can run it and onnx.checker accepts it.
import { GraphBuilder, float, type ModelPlan } from '../onnx/graph.js';
import type { Fill } from '../onnx/weights.js';
import { ModelInputError } from '../errors.js';

export interface LlamaConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  dtype: 'float32' | 'float16';
}

/** Symbolic dimension names of the decoder-with-past convention. */
export const DIMS = {
  batch: 'batch_size',
  seq: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

/** Weight distribution: HF's initializer_range (0.02) for every matrix; norms start at 1. */
const LINEAR: Fill = { kind: 'normal', std: 0.02 };
const ONES: Fill = { kind: 'constant', value: 1 };
const FP32_LOWEST = -3.4028234663852886e38;

export function llamaParams(c: LlamaConfig): number {
  const h = c.hidden_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const perLayer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediate_size + 2 * h;
  return c.vocab_size * h + c.num_hidden_layers * perLayer + h + (c.tie_word_embeddings ? 0 : c.vocab_size * h);
}

export function validateLlama(c: LlamaConfig): void {
  if (c.num_attention_heads % c.num_key_value_heads !== 0) throw new Error('num_attention_heads must be a multiple of num_key_value_heads');
  if (c.head_dim % 2 !== 0) throw new Error('head_dim must be even for rotary embeddings');
}

/**
 * Graph variants. 'standard': ONNX ops only (opset 17), any EP, accepted by onnx.checker.
 * 'ort-contrib': attention as ONNX Runtime's com.microsoft.GroupQueryAttention (ORT only; the ONNX checker
 * does not know the op). GQA treats a batch as right-padded (seqlens_k = attention_mask sum − 1), so
 * left-padded batches differ from the standard graph; without padding both compute the same function.
 */
export type LlamaVariant = 'standard' | 'ort-contrib';

/** Builds the graph plan; weights are generated when the plan is written. */
export function buildLlama(name: string, c: LlamaConfig, metadata: Record<string, string>, variant: LlamaVariant = 'standard'): ModelPlan {
  validateLlama(c);
  // ORT's GroupQueryAttention kernels refuse other head sizes at run time ("head_size must be a multiple of 8").
  if (variant === 'ort-contrib' && c.head_dim % 8 !== 0) {
    throw new ModelInputError(
      `${name} has head_dim ${c.head_dim}; the ort-contrib variant needs a multiple of 8 (ONNX Runtime's GroupQueryAttention); use the standard variant`,
    );
  }
  const g = new GraphBuilder(name);
  const dt = c.dtype;
  const H = c.num_attention_heads;
  const KV = c.num_key_value_heads;
  const d = c.head_dim;
  const hidden = c.hidden_size;

  const inputIds = g.input('input_ids', 'int64', [DIMS.batch, DIMS.seq]);
  const attnMask = g.input('attention_mask', 'int64', [DIMS.batch, DIMS.total]);
  const positionIds = g.input('position_ids', 'int64', [DIMS.batch, DIMS.seq]);
  const past = Array.from({ length: c.num_hidden_layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, dt, [DIMS.batch, KV, DIMS.past, d]),
    value: g.input(`past_key_values.${i}.value`, dt, [DIMS.batch, KV, DIMS.past, d]),
  }));

  // Shapes shared by every layer: (batch, seq) from input_ids; the hidden stream is kept 2-D
  // [batch*seq, hidden] so each projection is one Gemm with the [out, in] weight as stored.
  const bs = g.op('Shape', [inputIds]);
  const flat = (n: number) => g.constant([-1, n]);
  const embed = g.weight('model.embed_tokens.weight', [c.vocab_size, hidden], LINEAR, dt);
  let h = g.reshape(g.op('Gather', [embed, inputIds], { axis: 0 }), flat(hidden));

  const { cos, sin } = g.scope('rotary', () => rotary(g, c, positionIds, variant === 'standard' ? 1 : 2));
  const mask = variant === 'standard' ? g.scope('mask', () => causalMask(g, inputIds, attnMask)) : '';
  // GroupQueryAttention's lengths: seqlens_k[b] = (tokens of row b so far) − 1, and the total length.
  const gqaLengths =
    variant === 'ort-contrib'
      ? g.scope('gqa_lengths', () => ({
          seqlensK: g.cast(g.sub(g.op('ReduceSum', [attnMask, g.constant([1])], { keepdims: 0 }), g.constant([1], 'int64', [])), 'int32'),
          total: g.cast(g.op('Squeeze', [g.op('Shape', [attnMask], { start: 1, end: 2 }), g.constant([0])]), 'int32'),
        }))
      : null;
  const eps = g.scalar(c.rms_norm_eps);
  const standard = variant === 'standard';
  const lowest = standard ? g.scalar(FP32_LOWEST) : '';
  const scale = standard ? g.scalar(1 / Math.sqrt(d), dt) : '';
  const headsShape = (n: number) => g.concat([bs, g.constant([n, d])], 0);
  const qShape = headsShape(H);
  const kvShape = headsShape(KV);
  const groupShape = standard ? g.constant([0, KV, -1, 0]) : ''; // [b, H, s, x] → [b, KV, (H/KV)·s, x]
  const ungroupShape = standard ? g.constant([0, H, -1, 0]) : ''; // and back

  const rmsNorm = (x: string, weight: string): string => {
    const xf = dt === 'float32' ? x : g.cast(x, 'float32');
    const ms = g.op('ReduceMean', [g.mul(xf, xf)], { axes: [-1], keepdims: 1 });
    let y = g.div(xf, g.op('Sqrt', [g.add(ms, eps)]));
    if (dt !== 'float32') y = g.cast(y, dt);
    return g.mul(y, g.weight(weight, [hidden], ONES, dt));
  };
  const rope = (x: string): string => {
    const x1 = g.slice(x, [0], [d / 2], [3]);
    const x2 = g.slice(x, [d / 2], [d], [3]);
    const rotated = g.concat([g.op('Neg', [x2]), x1], 3);
    return g.add(g.mul(x, cos), g.mul(rotated, sin));
  };
  const flat3 = (n: number) => g.concat([bs, g.constant([n])], 0);

  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    h = g.scope(`layers.${i}`, () => {
      const x = rmsNorm(h, `${p}.input_layernorm.weight`);
      const proj = (which: string, n: number) =>
        g.linear(x, `${p}.self_attn.${which}.weight`, [n * d, hidden], { fill: LINEAR, dtype: dt });
      let merged: string;
      if (gqaLengths) {
        // [b·s, n·d] → [b, s, n, d] for RoPE (cos/sin broadcast over heads at axis 2) → [b, s, n·d] for GQA.
        const q = g.reshape(rope(g.reshape(proj('q_proj', H), qShape)), flat3(H * d));
        const k = g.reshape(rope(g.reshape(proj('k_proj', KV), kvShape)), flat3(KV * d));
        const v = g.reshape(proj('v_proj', KV), flat3(KV * d));
        const [attn] = g.opN(
          'GroupQueryAttention',
          [q, k, v, past[i]!.key, past[i]!.value, gqaLengths.seqlensK, gqaLengths.total],
          3,
          { num_heads: H, kv_num_heads: KV, scale: float(1 / Math.sqrt(d)), do_rotary: 0 },
          [`/layers.${i}/gqa_out`, `present.${i}.key`, `present.${i}.value`],
          'com.microsoft',
        );
        merged = g.reshape(attn!, flat(H * d));
      } else {
        const heads = (which: string, n: number, shape: string) => g.transpose(g.reshape(proj(which, n), shape), [0, 2, 1, 3]);
        const q = rope(heads('q_proj', H, qShape));
        const k = rope(heads('k_proj', KV, kvShape));
        const v = heads('v_proj', KV, kvShape);
        const presentK = g.op('Concat', [past[i]!.key, k], { axis: 2 }, `present.${i}.key`);
        const presentV = g.op('Concat', [past[i]!.value, v], { axis: 2 }, `present.${i}.value`);
        // GQA without copying K/V: query heads of one KV group are stacked along the sequence axis.
        let scores = g.mul(g.matmul(g.reshape(q, groupShape), g.transpose(presentK, [0, 1, 3, 2])), scale);
        scores = g.reshape(scores, ungroupShape); // [b, H, s, total]
        if (dt !== 'float32') scores = g.cast(scores, 'float32');
        let probs = g.op('Softmax', [g.op('Where', [mask, scores, lowest])], { axis: -1 });
        if (dt !== 'float32') probs = g.cast(probs, dt);
        const ctx = g.reshape(g.matmul(g.reshape(probs, groupShape), presentV), ungroupShape); // [b, H, s, d]
        merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), flat(H * d));
      }
      const h1 = g.add(h, g.linear(merged, `${p}.self_attn.o_proj.weight`, [hidden, H * d], { fill: LINEAR, dtype: dt }));
      const x2 = rmsNorm(h1, `${p}.post_attention_layernorm.weight`);
      const gate = g.linear(x2, `${p}.mlp.gate_proj.weight`, [c.intermediate_size, hidden], { fill: LINEAR, dtype: dt });
      const up = g.linear(x2, `${p}.mlp.up_proj.weight`, [c.intermediate_size, hidden], { fill: LINEAR, dtype: dt });
      const act = g.mul(g.mul(gate, g.op('Sigmoid', [gate])), up);
      return g.add(h1, g.linear(act, `${p}.mlp.down_proj.weight`, [hidden, c.intermediate_size], { fill: LINEAR, dtype: dt }));
    });
  }

  const final = rmsNorm(h, 'model.norm.weight');
  const head = c.tie_word_embeddings
    ? g.linear(final, embed, [c.vocab_size, hidden], { existing: true })
    : g.linear(final, 'lm_head.weight', [c.vocab_size, hidden], { fill: LINEAR, dtype: dt });
  const logits = g.reshape(head, g.concat([bs, g.constant([c.vocab_size])], 0));

  g.output(logits, 'logits', dt, [DIMS.batch, DIMS.seq, c.vocab_size]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    for (const kind of ['key', 'value']) g.output(`present.${i}.${kind}`, `present.${i}.${kind}`, dt, [DIMS.batch, KV, DIMS.total, d]);
  }
  return g.plan({ docString: `${name}: Llama-family decoder with seeded dummy weights (npuval model zoo)`, metadata });
}

/** cos/sin from position_ids (angle = pos · theta^(−2j/d), duplicated), [batch, seq, head_dim] with a
 *  unit axis inserted at `headAxis` to broadcast over heads (1: [b, 1, s, d]; 2: [b, s, 1, d]). */
function rotary(g: GraphBuilder, c: LlamaConfig, positionIds: string, headAxis: 1 | 2): { cos: string; sin: string } {
  const d = c.head_dim;
  // inv_freq as HF computes it: 1 / theta^(2j/d), stored in float32.
  const invFreq = Array.from({ length: d / 2 }, (_, j) => 1 / c.rope_theta ** ((2 * j) / d));
  const pos = g.unsqueeze(g.cast(positionIds, 'float32'), [2]); // [b, s, 1]
  const freqs = g.mul(pos, g.constant(invFreq, 'float32', [d / 2], 'inv_freq')); // [b, s, d/2]
  const emb = g.unsqueeze(g.concat([freqs, freqs], 2), [headAxis]);
  let cos = g.op('Cos', [emb]);
  let sin = g.op('Sin', [emb]);
  if (c.dtype !== 'float32') {
    cos = g.cast(cos, c.dtype);
    sin = g.cast(sin, c.dtype);
  }
  return { cos, sin };
}

/** Boolean [batch, 1, seq, total]: query i (absolute position past+i) sees key j iff j ≤ past+i and attention_mask[b, j] = 1. */
function causalMask(g: GraphBuilder, inputIds: string, attnMask: string): string {
  const total = g.op('Squeeze', [g.op('Shape', [attnMask], { start: 1, end: 2 }), g.constant([0])]);
  const seq = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), g.constant([0])]);
  const pastLen = g.sub(total, seq);
  const one = g.constant([1], 'int64', []);
  const keys = g.unsqueeze(g.op('Range', [g.constant([0], 'int64', []), total, one]), [0]); // [1, total]
  const queries = g.unsqueeze(g.op('Range', [pastLen, total, one]), [1]); // [seq, 1]
  const causal = g.op('LessOrEqual', [keys, queries]); // [seq, total]
  const padding = g.unsqueeze(g.cast(attnMask, 'bool'), [1, 2]); // [b, 1, 1, total]
  return g.op('And', [causal, padding]);
}
