// Cost model against counts done by hand for small configurations, and against published parameter
// counts for real ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { llamaCost, bertFlops, resnetFlops, modelCost } from '../../models/cost.js';
import { llamaParams, type LlamaConfig } from '../../models/zoo/llama.js';
import { bertParams, type BertConfig } from '../../models/zoo/bert.js';
import { resnetParams, type ResNetConfig } from '../../models/zoo/resnet.js';
import { getZooEntry, listZoo } from '../../models/zoo/index.js';

// Llama, L=1, h=4, H=2 heads, K=1 KV head, d=2, I=6, V=10, untied, fp32.
//   q_proj [H·d=4, h=4] 16, k_proj [2, 4] 8, v_proj 8, o_proj [4, 4] 16,
//   gate/up [6, 4] 24 + 24, down [4, 6] 24                → matrices per layer 120
//   norms: input + post-attention 2·4 = 8; final norm 4; embed 10·4 = 40; lm_head 40
//   params = 40 + 120 + 8 + 4 + 40 = 212
//   M (matmul weights incl. LM head) = 120 + 40 = 160 → 320 linear FLOPs per token
//   attention per attended key: q·kᵀ 2·H·d = 8, p·v 8 → 16 per key per layer
//   decode at context 3 (the new token sees 4 keys): 320 + 16·4 = 384
//   prefill of 2 prompts × 3 tokens: each 3·320 + 16·(1+2+3) = 960 + 96 = 1056 → 2112
//   decode bytes (batch 2, context 3), 4 B/elem: weights 160 + norms 12 = 172 elems = 688 B;
//   embedding rows 2·4 = 8 elems = 32 B; K and V 2 seq · 2 · 1 layer · 1 head · 2 dims · 4 tokens = 32 elems = 128 B
//   → 688 + 32 + 128 = 848 B
const small: LlamaConfig = {
  vocab_size: 10,
  hidden_size: 4,
  intermediate_size: 6,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 2,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 16,
  tie_word_embeddings: false,
  dtype: 'float32',
};

test('llama: params, prefill and decode FLOPs, decode bytes (hand counts)', () => {
  assert.is(llamaParams(small), 212);
  const c = llamaCost(small, 212);
  assert.is(c.flopsPerSample, null);
  assert.is(c.decodeFlopsPerToken(3), 384);
  assert.is(c.prefillFlops(2, 3), 2112);
  assert.is(c.decodeBytesPerToken(2, 3), 848);
  // The attention term grows with context: 16 FLOPs per extra cached token.
  assert.is(c.decodeFlopsPerToken(103) - c.decodeFlopsPerToken(3), 1600);
});

// Tied, fp16: the LM head reuses the embedding (params 212 − 40 = 172) but is still read every step;
// bytes at 2 B/elem: (160 + 12)·2 = 344, no separate embedding rows, KV 32 elems · 2 = 64 → 408 B.
test('llama tied fp16: params and decode bytes (hand counts)', () => {
  const tied = { ...small, tie_word_embeddings: true, dtype: 'float16' as const };
  assert.is(llamaParams(tied), 172);
  assert.is(llamaCost(tied, 172).decodeBytesPerToken(2, 3), 408);
});

// BERT, L=1, h=4, I=8, s=3, vocab 5, positions 3, types 2:
//   q, k, v, output projections: 4 · (3·4·4 = 48 MACs) = 192 MACs = 384 FLOPs
//   MLP: 3·4·8 = 96 MACs, twice = 192 MACs = 384 FLOPs
//   attention: q·kᵀ 3·3·4 = 36 MACs, p·v 36 MACs = 144 FLOPs      → 912 FLOPs per sequence
//   params: embeddings (5+3+2)·4 = 40 + LayerNorm 8 = 48; layer: 4·(16+4) = 80 + LN 8 + (32+8) + (32+4) + LN 8 = 172 → 220
test('bert: FLOPs per sequence and params (hand counts)', () => {
  const c: BertConfig = {
    vocab_size: 5,
    hidden_size: 4,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 8,
    max_position_embeddings: 3,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    seq_len: 3,
  };
  assert.is(bertFlops(c), 912);
  assert.is(bertParams(c), 220);
});

// ResNet, one bottleneck in stage 1 only, width 2, 3 classes, 8×8 input:
//   stem 7×7/2 pad 3: out 4×4; 2·(2·3·49)·16 = 9408; max pool 3×3/2 pad 1: 2×2
//   block (stride 1, 2 → 2 → 8 channels, 2×2): conv1 2·(2·2)·4 = 32, conv2 2·(2·2·9)·4 = 288,
//   conv3 2·(8·2)·4 = 128, downsample 2·(8·2)·4 = 128 → 576
//   fc 2·8·3 = 48                                                   → 9408 + 576 + 48 = 10032 FLOPs
//   params: stem 294 + bn1 4; conv1 4 + bn 4, conv2 36 + bn 4, conv3 16 + bn 16, downsample 16 + bn 16; fc 24 + 3 → 437
test('resnet: FLOPs per image and params (hand counts)', () => {
  const c = { layers: [1, 0, 0, 0], width: 2, num_classes: 3, image_size: 8 } as unknown as ResNetConfig;
  assert.is(resnetFlops(c), 10032);
  assert.is(resnetParams(c), 437);
});

test('real shapes match published parameter counts', () => {
  // Llama-3.1-8B: 8,030,261,248 (the safetensors total); Llama-3.2-1B: 1,235,814,400 (tied head).
  assert.is(getZooEntry('llama-3.1-8b').params, 8_030_261_248);
  assert.is(getZooEntry('llama-3.2-1b').params, 1_235_814_400);
  // bert-base-uncased: 109,482,240 with the pooler (768·768 + 768 = 590,592), which BertModel's last_hidden_state does not use.
  assert.is(getZooEntry('bert-base-128').params, 109_482_240 - 590_592);
  // torchvision resnet50: 25,557,032 parameters; 4.09 GMACs per 224×224 image (torchvision's model table).
  assert.is(getZooEntry('resnet-50').params, 25_557_032);
  const gflops = modelCost(getZooEntry('resnet-50')).flopsPerSample! / 1e9;
  assert.ok(Math.abs(gflops / 2 - 4.09) < 0.02, `resnet-50 GMACs ${gflops / 2}`);
});

test('every preset has a cost; decoder-only quantities throw for encoders and CNNs', () => {
  for (const e of listZoo()) {
    const c = modelCost(e);
    assert.ok(c.params > 0);
    if (e.family === 'llama') {
      assert.ok(c.decodeFlopsPerToken(0) > 2 * c.params * 0.5);
      assert.ok(c.decodeBytesPerToken(1, 0) > 0);
    } else {
      assert.ok((c.flopsPerSample ?? 0) > 0);
      assert.throws(() => c.decodeFlopsPerToken(1), /not a decoder/);
    }
  }
});

test.run();
