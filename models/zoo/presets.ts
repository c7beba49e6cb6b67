// Zoo presets. Real-model shapes are copied from each model's published config.json (the URL in
// `source`); `note` says where a value was read from a verbatim copy and what the graph leaves out.
// Synthetic presets (tiny-*, llama-100m) are sized for CI and benchmarks on this machine.
import type { LlamaConfig } from './llama.js';
import type { BertConfig } from './bert.js';
import type { ResNetConfig } from './resnet.js';

export type Preset =
  | { name: string; family: 'llama'; description: string; config: LlamaConfig; source: { url: string; note?: string }; ciSized: boolean }
  | { name: string; family: 'bert'; description: string; config: BertConfig; source: { url: string; note?: string }; ciSized: boolean }
  | { name: string; family: 'resnet'; description: string; config: ResNetConfig; source: { url: string; note?: string }; ciSized: boolean };

const ROPE_SCALING_IGNORED =
  'rope_scaling (llama3 type) is not applied: plain RoPE with rope_theta; this changes only positions beyond original_max_position_embeddings, not cost or shapes';
const LLAMA_DOC = 'https://huggingface.co/docs/transformers/model_doc/llama';

function llama(c: Omit<LlamaConfig, 'dtype' | 'head_dim'> & { head_dim?: number }): LlamaConfig {
  return { ...c, head_dim: c.head_dim ?? c.hidden_size / c.num_attention_heads, dtype: 'float32' };
}

const BERT_BASE = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
};
const BERT_SOURCE = {
  url: 'https://huggingface.co/google-bert/bert-base-uncased/blob/main/config.json',
  note: 'BertModel without the pooler (last_hidden_state only)',
};
const RESNET_SOURCE = {
  url: 'https://github.com/pytorch/vision/blob/main/torchvision/models/resnet.py',
  note: 'resnet50(): Bottleneck, layers [3, 4, 6, 3], v1.5 (stride on the 3×3 conv)',
};

export const PRESETS: readonly Preset[] = [
  {
    name: 'tiny-llama',
    family: 'llama',
    ciSized: true,
    description: 'CI-sized Llama decoder (2 layers, GQA 4:2, untied head)',
    config: llama({
      vocab_size: 512,
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      max_position_embeddings: 512,
      tie_word_embeddings: false,
    }),
    source: { url: LLAMA_DOC, note: 'synthetic shape sized for CI; LlamaForCausalLM architecture' },
  },
  {
    name: 'tiny-llama-tied',
    family: 'llama',
    ciSized: true,
    description: 'CI-sized Llama decoder with tied embeddings (MQA: 4 heads, 1 KV head)',
    config: llama({
      vocab_size: 384,
      hidden_size: 48,
      intermediate_size: 96,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-6,
      rope_theta: 500000,
      max_position_embeddings: 256,
      tie_word_embeddings: true,
    }),
    source: { url: LLAMA_DOC, note: 'synthetic shape sized for CI; LlamaForCausalLM architecture' },
  },
  {
    name: 'llama-100m',
    family: 'llama',
    ciSized: false,
    description: '~100M-parameter Llama decoder for benchmarks on small machines',
    config: llama({
      vocab_size: 32000,
      hidden_size: 768,
      intermediate_size: 2048,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      num_key_value_heads: 4,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      max_position_embeddings: 2048,
      tie_word_embeddings: true,
    }),
    source: { url: LLAMA_DOC, note: 'synthetic shape (Llama-2 tokenizer vocabulary size 32000)' },
  },
  {
    name: 'llama-3.2-1b',
    family: 'llama',
    ciSized: false,
    description: 'Meta Llama 3.2 1B',
    config: llama({
      vocab_size: 128256,
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      max_position_embeddings: 131072,
      tie_word_embeddings: true,
    }),
    source: {
      url: 'https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/config.json',
      note: `the repository is gated; values checked against a verbatim copy (https://huggingface.co/h3110Fr13nd/llama-3.2-1b-onnx/blob/main/config.json). ${ROPE_SCALING_IGNORED}`,
    },
  },
  {
    name: 'llama-3.1-8b',
    family: 'llama',
    ciSized: false,
    description: 'Meta Llama 3.1 8B',
    config: llama({
      vocab_size: 128256,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 128,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      max_position_embeddings: 131072,
      tie_word_embeddings: false,
    }),
    source: {
      url: 'https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json',
      note: `the repository is gated; values checked against a copy that names it as _name_or_path (https://huggingface.co/NbAiLab/nb-llama-3.1-8B/blob/main/config.json). ${ROPE_SCALING_IGNORED}`,
    },
  },
  {
    name: 'exaone-3.5-2.4b',
    family: 'llama',
    ciSized: false,
    description: 'LG AI Research EXAONE 3.5 2.4B Instruct',
    config: llama({
      vocab_size: 102400,
      hidden_size: 2560,
      intermediate_size: 7168,
      num_hidden_layers: 30,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 80,
      rms_norm_eps: 1e-5,
      rope_theta: 1000000,
      max_position_embeddings: 32768,
      tie_word_embeddings: true,
    }),
    source: {
      url: 'https://huggingface.co/LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct/blob/main/config.json',
      note: `ExaoneForCausalLM is Llama-equivalent under renaming (num_layers→num_hidden_layers, layer_norm_epsilon→rms_norm_eps; transformer.wte→model.embed_tokens, h.{i}.ln_1/ln_2→input/post_attention_layernorm, attn.attention.{q,k,v,out}_proj→self_attn.{q,k,v,o}_proj, mlp.c_fc_0/c_fc_1/c_proj→mlp.gate/up/down_proj, ln_f→model.norm). Values checked against a copy naming it as _name_or_path (https://huggingface.co/zero-jin/exaone-3.5-2.4b-it-text2sql/blob/main/config.json), which has no tie_word_embeddings key: ExaoneConfig's default (true) applies. ${ROPE_SCALING_IGNORED}`,
    },
  },
  {
    name: 'exaone-3.5-32b',
    family: 'llama',
    ciSized: false,
    description: 'LG AI Research EXAONE 3.5 32B Instruct',
    config: llama({
      vocab_size: 102400,
      hidden_size: 5120,
      intermediate_size: 27392,
      num_hidden_layers: 64,
      num_attention_heads: 40,
      num_key_value_heads: 8,
      head_dim: 128,
      rms_norm_eps: 1e-5,
      rope_theta: 1000000,
      max_position_embeddings: 32768,
      tie_word_embeddings: false,
    }),
    source: {
      url: 'https://huggingface.co/LGAI-EXAONE/EXAONE-3.5-32B-Instruct/blob/main/config.json',
      note: `EXAONE names map to Llama's as for exaone-3.5-2.4b. Values checked against a verbatim copy (https://huggingface.co/huihui-ai/EXAONE-3.5-32B-Instruct-abliterated/blob/main/config.json). ${ROPE_SCALING_IGNORED}`,
    },
  },
  {
    name: 'solar-10.7b',
    family: 'llama',
    ciSized: false,
    description: 'Upstage SOLAR 10.7B (depth up-scaled Llama/Mistral)',
    config: llama({
      vocab_size: 32000,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 48,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      max_position_embeddings: 4096,
      tie_word_embeddings: false,
    }),
    source: {
      url: 'https://huggingface.co/upstage/SOLAR-10.7B-v1.0/blob/main/config.json',
      note: 'LlamaForCausalLM; no deviation (rope_scaling null)',
    },
  },
  {
    name: 'kanana-nano-2.1b',
    family: 'llama',
    ciSized: false,
    description: 'Kakao Kanana Nano 2.1B',
    config: llama({
      vocab_size: 128256,
      hidden_size: 1792,
      intermediate_size: 8064,
      num_hidden_layers: 32,
      num_attention_heads: 24,
      num_key_value_heads: 8,
      head_dim: 128,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      max_position_embeddings: 8192,
      tie_word_embeddings: true,
    }),
    source: {
      url: 'https://huggingface.co/kakaocorp/kanana-nano-2.1b-base/blob/main/config.json',
      note: "LlamaForCausalLM. The official file could not be retrieved here; values were read from a fine-tune's config.json (https://huggingface.co/binwon/kanana-cot/blob/main/config.json) and are unverified against the official file",
    },
  },
  {
    name: 'tiny-bert',
    family: 'bert',
    ciSized: true,
    description: 'CI-sized BERT encoder (2 layers, hidden 32, seq 16)',
    config: {
      vocab_size: 256,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 64,
      max_position_embeddings: 64,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      seq_len: 16,
    },
    source: {
      url: 'https://huggingface.co/docs/transformers/model_doc/bert',
      note: 'synthetic shape sized for CI; BertModel architecture',
    },
  },
  {
    name: 'bert-base-128',
    family: 'bert',
    ciSized: false,
    description: 'BERT-base encoder at sequence length 128',
    config: { ...BERT_BASE, seq_len: 128 },
    source: BERT_SOURCE,
  },
  {
    name: 'bert-base-384',
    family: 'bert',
    ciSized: false,
    description: 'BERT-base encoder at sequence length 384 (MLPerf SQuAD length)',
    config: { ...BERT_BASE, seq_len: 384 },
    source: BERT_SOURCE,
  },
  {
    name: 'tiny-resnet',
    family: 'resnet',
    ciSized: true,
    description: 'CI-sized bottleneck ResNet (one block per stage, width 8, 32×32 input)',
    config: { layers: [1, 1, 1, 1], width: 8, num_classes: 10, image_size: 32 },
    source: {
      url: 'https://github.com/pytorch/vision/blob/main/torchvision/models/resnet.py',
      note: 'synthetic shape sized for CI; torchvision Bottleneck architecture',
    },
  },
  {
    name: 'resnet-50',
    family: 'resnet',
    ciSized: false,
    description: 'ResNet-50 v1.5 at 224×224',
    config: { layers: [3, 4, 6, 3], width: 64, num_classes: 1000, image_size: 224 },
    source: RESNET_SOURCE,
  },
];
