// Analytic cost of zoo models: parameters, FLOPs (2 per multiply-accumulate) and bytes moved.
// Only matrix products and convolutions are counted; norms, activations, softmax, RoPE, residual
// adds, pooling and embedding lookups are left out (each is O(activations), ≪1% at real shapes).
import type { ZooEntry } from './zoo/index.js';
import type { LlamaConfig } from './zoo/llama.js';
import type { BertConfig } from './zoo/bert.js';
import { EXPANSION, type ResNetConfig } from './zoo/resnet.js';
import { ModelInputError } from './errors.js';

export interface ModelCost {
  params: number;
  /** FLOPs of one sample (encoder: one sequence of seq_len; CNN: one image); null for decoders. */
  flopsPerSample: number | null;
  /** Decoder: FLOPs to prefill `batch` prompts of `promptLen` tokens (causal attention). */
  prefillFlops(batch: number, promptLen: number): number;
  /** Decoder: FLOPs of one new token when `context` tokens are already in the KV cache. */
  decodeFlopsPerToken(context: number): number;
  /** Decoder: bytes read or written by one decode step of `batch` sequences with `context` cached tokens. */
  decodeBytesPerToken(batch: number, context: number): number;
}

const BYTES_PER_ELEMENT = { float32: 4, float16: 2 } as const;

/**
 * Llama-family decoder, L layers, hidden h, H heads, KV heads K, head_dim d, MLP width I, vocab V:
 *   matmulParams M = L·(h·Hd + 2·h·Kd + Hd·h + 3·h·I) + V·h      (the LM head counts tied or not)
 *   linear FLOPs per token          = 2·M
 *   attention FLOPs of a token that attends to t keys = L·(2·H·d·t [q·kᵀ] + 2·H·d·t [p·v]) = 4·L·H·d·t
 *   prefill(b, P)  = b·(P·2M + 4·L·H·d·Σ_{i=1..P} i) = b·(2·M·P + 2·L·H·d·P·(P+1))   (causal: token i sees i keys)
 *   decode(c)      = 2M + 4·L·H·d·(c+1)                          (the new token sees c cached keys and itself)
 *   decodeBytes(b, c) = e·(M + L·2h + h)                         weights: every matrix and norm read once per step
 *                     + e·b·h                                   embedding rows of the b new tokens (untied; with tied
 *                                                               embeddings the table is already in M as the LM head)
 *                     + e·b·2·L·K·d·(c+1)                       K and V: c cached tokens read, the new one written
 *   with e = bytes per element of the model dtype.
 */
export function llamaCost(c: LlamaConfig, params: number): ModelCost {
  const {
    num_hidden_layers: L,
    hidden_size: h,
    num_attention_heads: H,
    num_key_value_heads: K,
    head_dim: d,
    intermediate_size: I,
    vocab_size: V,
  } = c;
  const M = L * (h * H * d + 2 * h * K * d + H * d * h + 3 * h * I) + V * h;
  const attnPerKey = 4 * L * H * d;
  const e = BYTES_PER_ELEMENT[c.dtype];
  const normParams = L * 2 * h + h;
  return {
    params,
    flopsPerSample: null,
    prefillFlops: (b, P) => b * (2 * M * P + (attnPerKey / 2) * P * (P + 1)),
    decodeFlopsPerToken: (ctx) => 2 * M + attnPerKey * (ctx + 1),
    decodeBytesPerToken: (b, ctx) => e * (M + normParams) + (c.tie_word_embeddings ? 0 : e * b * h) + e * b * 2 * L * K * d * (ctx + 1),
  };
}

/**
 * BERT encoder, L layers, hidden h, MLP width I, sequence s:
 *   per layer: 4 projections 2·s·h·h each (q, k, v, output) = 8·s·h²; MLP 2·s·h·I·2 = 4·s·h·I;
 *              attention q·kᵀ 2·s·s·h and p·v 2·s·s·h = 4·s²·h
 *   flopsPerSample = L·(8·s·h² + 4·s·h·I + 4·s²·h)
 */
export function bertFlops(c: BertConfig): number {
  const { num_hidden_layers: L, hidden_size: h, intermediate_size: I, seq_len: s } = c;
  return L * (8 * s * h * h + 4 * s * h * I + 4 * s * s * h);
}

/**
 * ResNet (bottleneck, v1.5): each convolution costs 2·Cout·Cin·k²·Hout·Wout; the FC layer 2·C·classes.
 * Spatial sizes: out = floor((in + 2·pad − k) / stride) + 1 (stem 7×7/2 pad 3, max pool 3×3/2 pad 1,
 * 3×3 convs pad 1 with the block's stride, 1×1 convs pad 0).
 */
export function resnetFlops(c: ResNetConfig): number {
  const out = (x: number, k: number, s: number, p: number) => Math.floor((x + 2 * p - k) / s) + 1;
  const conv = (cin: number, cout: number, k: number, hw: number) => 2 * cout * cin * k * k * hw * hw;
  let size = out(c.image_size, 7, 2, 3);
  let flops = conv(3, c.width, 7, size);
  size = out(size, 3, 2, 1);
  let inC = c.width;
  c.layers.forEach((blocks, stage) => {
    const w = c.width * 2 ** stage;
    for (let j = 0; j < blocks; j++) {
      const stride = j === 0 && stage > 0 ? 2 : 1;
      const outSize = out(size, 3, stride, 1);
      flops += conv(inC, w, 1, size) + conv(w, w, 3, outSize) + conv(w, w * EXPANSION, 1, outSize);
      if (j === 0) flops += conv(inC, w * EXPANSION, 1, out(size, 1, stride, 0));
      size = outSize;
      inC = w * EXPANSION;
    }
  });
  return flops + 2 * inC * c.num_classes;
}

function notDecoder(entry: ZooEntry): () => never {
  return () => {
    throw new ModelInputError(
      `Zoo model "${entry.name}" is a ${entry.family} model, not a decoder: it has FLOPs per sample, not per token.`,
    );
  };
}

/** The cost model of a zoo entry. Decoder-only quantities throw (exit 2) for encoders and CNNs. */
export function modelCost(entry: ZooEntry): ModelCost {
  switch (entry.family) {
    case 'llama':
      return llamaCost(entry.config as unknown as LlamaConfig, entry.params);
    case 'bert':
    case 'resnet': {
      const flops =
        entry.family === 'bert' ? bertFlops(entry.config as unknown as BertConfig) : resnetFlops(entry.config as unknown as ResNetConfig);
      return {
        params: entry.params,
        flopsPerSample: flops,
        prefillFlops: notDecoder(entry),
        decodeFlopsPerToken: notDecoder(entry),
        decodeBytesPerToken: notDecoder(entry),
      };
    }
  }
}
