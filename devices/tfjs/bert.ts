// The BERT encoder forward pass (Hugging Face BertModel, post-LN, exact erf GELU), written from the
// published architecture; it shares only the config and the weights (HF names) with the ONNX graph.
import { tf } from './runtime.js';
import { linear } from './llama.js';
import { expectShape, type Weights } from './weights.js';

export interface BertConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
  readonly max_position_embeddings: number;
  readonly type_vocab_size: number;
  readonly layer_norm_eps: number;
}

export interface BertStep {
  readonly batch: number;
  readonly seq: number;
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokenTypeIds: Int32Array;
}

const FP32_LOWEST = -3.4028234663852886e38;

/** Returns last_hidden_state [batch, seq, hidden]. Call inside tf.tidy. */
export function bertForward(cfg: BertConfig, w: Weights, step: BertStep): tf.Tensor3D {
  const { batch: b, seq: s } = step;
  const D = cfg.hidden_size,
    H = cfg.num_attention_heads,
    d = D / H,
    I = cfg.intermediate_size;
  if (s > cfg.max_position_embeddings) {
    throw new RangeError(`sequence length ${s} exceeds max_position_embeddings ${cfg.max_position_embeddings}`);
  }
  const word = tf.gather(expectShape(w, 'embeddings.word_embeddings.weight', [cfg.vocab_size, D]), tf.tensor1d(step.inputIds, 'int32'));
  const positions = tf.tensor1d(
    Int32Array.from({ length: b * s }, (_, t) => t % s),
    'int32',
  );
  const pos = tf.gather(expectShape(w, 'embeddings.position_embeddings.weight', [cfg.max_position_embeddings, D]), positions);
  const type = tf.gather(
    expectShape(w, 'embeddings.token_type_embeddings.weight', [cfg.type_vocab_size, D]),
    tf.tensor1d(step.tokenTypeIds, 'int32'),
  );
  let h = layerNorm(tf.add(tf.add(word, pos), type) as tf.Tensor2D, w, 'embeddings.LayerNorm', D, cfg.layer_norm_eps);

  // Extended mask (1 − mask)·lowest, added to every head's scores: [b, 1, 1, s].
  const ext = tf.tensor4d(
    Float32Array.from(step.attentionMask, (m) => (1 - m) * FP32_LOWEST),
    [b, 1, 1, s],
  );
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}.`;
    const q = splitHeads(dense(h, w, p + 'attention.self.query', D, D), b, s, H, d);
    const k = splitHeads(dense(h, w, p + 'attention.self.key', D, D), b, s, H, d);
    const v = splitHeads(dense(h, w, p + 'attention.self.value', D, D), b, s, H, d);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), ext);
    const ctx = tf.matMul(tf.softmax(scores, -1), v); // [b, H, s, d]
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * s, D]) as tf.Tensor2D;
    const attn = layerNorm(
      tf.add(dense(merged, w, p + 'attention.output.dense', D, D), h) as tf.Tensor2D,
      w,
      p + 'attention.output.LayerNorm',
      D,
      cfg.layer_norm_eps,
    );
    const inter = gelu(dense(attn, w, p + 'intermediate.dense', I, D));
    h = layerNorm(tf.add(dense(inter, w, p + 'output.dense', D, I), attn) as tf.Tensor2D, w, p + 'output.LayerNorm', D, cfg.layer_norm_eps);
  }
  return tf.reshape(h, [b, s, D]);
}

function dense(x: tf.Tensor2D, w: Weights, prefix: string, out: number, inp: number): tf.Tensor2D {
  return tf.add(linear(x, w.linear(prefix + '.weight', out, inp)), expectShape(w, prefix + '.bias', [out]));
}

/** LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. */
export function layerNorm(x: tf.Tensor2D, w: Weights, prefix: string, D: number, eps: number): tf.Tensor2D {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, expectShape(w, prefix + '.weight', [D])), expectShape(w, prefix + '.bias', [D]));
}

/** Exact GELU: x · ½ · (1 + erf(x / √2)). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

function splitHeads(x: tf.Tensor2D, b: number, s: number, H: number, d: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [b, s, H, d]), [0, 2, 1, 3]);
}
