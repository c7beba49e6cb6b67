// The Llama decoder forward pass with a KV cache, written directly from the published architecture
// (Hugging Face LlamaModel / LlamaForCausalLM): RMSNorm, rotary embedding, grouped-query attention
// with a causal + padding mask, SwiGLU MLP, tied or untied LM head. Independent of the ONNX graph:
// it only shares the config and the weights (by their HF names). All math is fp32.
import { tf } from './runtime.js';
import { expectShape, type Weights } from './weights.js';

export interface LlamaConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  readonly tie_word_embeddings: boolean;
}

/** One decoder step's inputs, already converted from the ONNX feeds. */
export interface LlamaStep {
  readonly batch: number;
  readonly seq: number;
  /** Tokens already in the cache (past_sequence_length). */
  readonly past: number;
  /** [batch, seq] token ids. */
  readonly inputIds: Int32Array;
  /** [batch, past + seq], 1 = attend. */
  readonly attentionMask: Int32Array;
  /** [batch, seq] absolute positions. */
  readonly positionIds: Float64Array;
  /** Per layer [batch, kv_heads, past, head_dim] fp32. */
  readonly pastKeys: readonly tf.Tensor4D[];
  readonly pastValues: readonly tf.Tensor4D[];
}

export interface LlamaResult {
  /** [batch, seq, vocab] */
  readonly logits: tf.Tensor;
  /** Per layer [batch, kv_heads, past + seq, head_dim]. */
  readonly presentKeys: tf.Tensor4D[];
  readonly presentValues: tf.Tensor4D[];
}

/** fp32's lowest finite value: what masked scores are set to before softmax (as HF does). */
const FP32_LOWEST = -3.4028234663852886e38;

/** Runs one step. Call inside tf.tidy (the caller keeps the result tensors). */
export function llamaForward(cfg: LlamaConfig, w: Weights, step: LlamaStep): LlamaResult {
  const { batch: b, seq: s, past } = step;
  const D = cfg.hidden_size,
    H = cfg.num_attention_heads,
    KV = cfg.num_key_value_heads,
    d = cfg.head_dim;
  const T = past + s;
  const group = H / KV;

  const embed = expectShape(w, 'model.embed_tokens.weight', [cfg.vocab_size, D]);
  // h: [b*s, D]
  let h: tf.Tensor2D = tf.gather(embed, tf.tensor1d(step.inputIds, 'int32')) as tf.Tensor2D;
  const { cos, sin } = rotaryTables(cfg, step);
  const mask = attentionMask(step);

  const presentKeys: tf.Tensor4D[] = [];
  const presentValues: tf.Tensor4D[] = [];
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    const x = rmsNorm(h, expectShape(w, p + 'input_layernorm.weight', [D]), cfg.rms_norm_eps);
    const q = heads(linear(x, w.linear(p + 'self_attn.q_proj.weight', H * d, D)), b, s, H, d);
    const k = heads(linear(x, w.linear(p + 'self_attn.k_proj.weight', KV * d, D)), b, s, KV, d);
    const v = heads(linear(x, w.linear(p + 'self_attn.v_proj.weight', KV * d, D)), b, s, KV, d);
    const qr = applyRotary(q, cos, sin);
    const kr = applyRotary(k, cos, sin);
    const presentK = tf.concat([step.pastKeys[i]!, kr], 2) as tf.Tensor4D;
    const presentV = tf.concat([step.pastValues[i]!, v], 2) as tf.Tensor4D;
    presentKeys.push(presentK);
    presentValues.push(presentV);

    // GQA without copying KV: query head h = kv·group + r uses kv head floor(h / group), so the
    // `group` query heads of one kv head form one [group·s, d] block against that head's [T, d] keys.
    const qg = tf.reshape(qr, [b, KV, group * s, d]);
    let scores = tf.mul(tf.matMul(qg, presentK, false, true), 1 / Math.sqrt(d));
    scores = tf.reshape(scores, [b, H, s, T]);
    scores = tf.where(mask, scores, tf.scalar(FP32_LOWEST));
    const probs = tf.softmax(scores, -1);
    const ctx = tf.matMul(tf.reshape(probs, [b, KV, group * s, T]), presentV); // [b, KV, group·s, d]
    const merged: tf.Tensor2D = tf.reshape(tf.transpose(tf.reshape(ctx, [b, H, s, d]), [0, 2, 1, 3]), [b * s, H * d]);
    h = tf.add(h, linear(merged, w.linear(p + 'self_attn.o_proj.weight', D, H * d)));

    const y = rmsNorm(h, expectShape(w, p + 'post_attention_layernorm.weight', [D]), cfg.rms_norm_eps);
    const gate = linear(y, w.linear(p + 'mlp.gate_proj.weight', cfg.intermediate_size, D));
    const up = linear(y, w.linear(p + 'mlp.up_proj.weight', cfg.intermediate_size, D));
    const act: tf.Tensor2D = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up); // SiLU(gate) ⊙ up
    h = tf.add(h, linear(act, w.linear(p + 'mlp.down_proj.weight', D, cfg.intermediate_size)));
  }
  const final = rmsNorm(h, expectShape(w, 'model.norm.weight', [D]), cfg.rms_norm_eps);
  const head = w.linear(cfg.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight', cfg.vocab_size, D);
  const logits = tf.reshape(linear(final, head), [b, s, cfg.vocab_size]);
  return { logits, presentKeys, presentValues };
}

/** x·Wᵀ, given Wᵀ ([in, out]; Weights.linear transposes PyTorch's [out, in] once). */
export function linear(x: tf.Tensor2D, weightT: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(x, weightT);
}

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor, eps: number): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight) as tf.Tensor2D;
}

/** [b*s, n*d] → [b, n, s, d] */
function heads(x: tf.Tensor2D, b: number, s: number, n: number, d: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [b, s, n, d]), [0, 2, 1, 3]);
}

/**
 * cos and sin of concat(angle, angle), angle = position · theta^(−2j/d), as [b, 1, s, d] tables.
 * The angle is rounded to fp32 (as a model computing in fp32 does) and cos/sin are then taken
 * in double precision, so the tables are the exact values for fp32 angles.
 */
export function rotaryTables(
  cfg: Pick<LlamaConfig, 'head_dim' | 'rope_theta'>,
  step: Pick<LlamaStep, 'batch' | 'seq' | 'positionIds'>,
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const d = cfg.head_dim,
    half = d / 2;
  const invFreq = Float32Array.from({ length: half }, (_, j) => 1 / cfg.rope_theta ** ((2 * j) / d));
  const n = step.batch * step.seq;
  const cos = new Float32Array(n * d),
    sin = new Float32Array(n * d);
  for (let t = 0; t < n; t++) {
    const pos = Math.fround(step.positionIds[t]!);
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(pos * invFreq[j]!);
      cos[t * d + j] = cos[t * d + j + half] = Math.cos(angle);
      sin[t * d + j] = sin[t * d + j + half] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor4d(cos, [step.batch, 1, step.seq, d]), sin: tf.tensor4d(sin, [step.batch, 1, step.seq, d]) };
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = concat(−x[d/2:], x[:d/2]); x is [b, n, s, d]. */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3);
  const rotated = tf.concat([tf.neg(x2!), x1!], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** [b, 1, s, T] bool: query i (absolute position past + i) sees key j iff j ≤ past + i and attention_mask[b, j] = 1. */
export function attentionMask(step: Pick<LlamaStep, 'batch' | 'seq' | 'past' | 'attentionMask'>): tf.Tensor4D {
  const { batch: b, seq: s, past } = step;
  const T = past + s;
  const allowed = new Uint8Array(b * s * T);
  for (let bi = 0; bi < b; bi++)
    for (let i = 0; i < s; i++)
      for (let j = 0; j <= past + i; j++) {
        allowed[(bi * s + i) * T + j] = step.attentionMask[bi * T + j] === 1 ? 1 : 0;
      }
  return tf.tensor4d(allowed, [b, 1, s, T], 'bool');
}
