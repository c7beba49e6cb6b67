// The tfjs forward passes (devices/tfjs/) against plain float64 loop implementations written
// straight from the architecture descriptions, on small hand-made weights: RoPE, RMSNorm, GQA with
// causal + padding mask and a KV cache (llama), post-LN attention with GELU (bert), and bottleneck
// blocks with stride/padding/BN/max-pool (resnet). Independent of ONNX and of the model zoo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tf, useBackend, type TfjsBackendName } from '../../devices/tfjs/runtime.js';
import { llamaForward, type LlamaConfig } from '../../devices/tfjs/llama.js';
import { bertForward, type BertConfig } from '../../devices/tfjs/bert.js';
import { planResnet, resnetForward } from '../../devices/tfjs/resnet.js';
import { MapWeights } from '../../devices/tfjs/weights.js';

type W = Record<string, { dims: number[]; data: Float32Array }>;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeWeights(
  shapes: Record<string, number[]>,
  seed: number,
  special: (name: string) => ((r: () => number) => number) | null = () => null,
): W {
  const r = rng(seed);
  const out: W = {};
  for (const [name, dims] of Object.entries(shapes)) {
    const n = dims.reduce((a, b) => a * b, 1);
    const gen = special(name) ?? ((rr: () => number) => rr() - 0.5);
    out[name] = { dims, data: Float32Array.from({ length: n }, () => gen(r)) };
  }
  return out;
}

function tfWeights(w: W): { weights: MapWeights; dispose: () => void } {
  const m = new Map(Object.entries(w).map(([k, v]) => [k, tf.tensor(v.data, v.dims)]));
  const weights = new MapWeights(m, 'test weights', (name) => name === 'model.embed_tokens.weight');
  return { weights, dispose: () => weights.dispose() };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** y[r][o] = Σ x[r][i]·W[o][i] (+ bias) in float64. */
function linearRef(x: Float64Array, rows: number, W: Float32Array, out: number, inp: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let acc = bias ? bias[o]! : 0;
      for (let i = 0; i < inp; i++) acc += x[r * inp + i]! * W[o * inp + i]!;
      y[r * out + o] = acc;
    }
  return y;
}

// ------------------------------------------------------------------ llama

const LCFG: LlamaConfig = {
  vocab_size: 13,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 4,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
};

function llamaShapes(c: LlamaConfig): Record<string, number[]> {
  const D = c.hidden_size,
    H = c.num_attention_heads,
    KV = c.num_key_value_heads,
    d = c.head_dim,
    I = c.intermediate_size;
  const s: Record<string, number[]> = { 'model.embed_tokens.weight': [c.vocab_size, D], 'model.norm.weight': [D] };
  if (!c.tie_word_embeddings) s['lm_head.weight'] = [c.vocab_size, D];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    Object.assign(s, {
      [p + 'input_layernorm.weight']: [D],
      [p + 'post_attention_layernorm.weight']: [D],
      [p + 'self_attn.q_proj.weight']: [H * d, D],
      [p + 'self_attn.k_proj.weight']: [KV * d, D],
      [p + 'self_attn.v_proj.weight']: [KV * d, D],
      [p + 'self_attn.o_proj.weight']: [D, H * d],
      [p + 'mlp.gate_proj.weight']: [I, D],
      [p + 'mlp.up_proj.weight']: [I, D],
      [p + 'mlp.down_proj.weight']: [D, I],
    });
  }
  return s;
}

/** A float64 loop implementation of one llama step; past/present as [layer][b][kv][t][d] flattened per layer. */
function llamaRef(
  c: LlamaConfig,
  w: W,
  b: number,
  s: number,
  past: number,
  ids: number[],
  mask: number[],
  pos: number[],
  pastK: Float64Array[],
  pastV: Float64Array[],
) {
  const D = c.hidden_size,
    H = c.num_attention_heads,
    KV = c.num_key_value_heads,
    d = c.head_dim,
    I = c.intermediate_size,
    T = past + s,
    g = H / KV;
  const rms = (x: Float64Array, weight: Float32Array) => {
    const y = new Float64Array(x.length);
    for (let r = 0; r < x.length / D; r++) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += x[r * D + i]! ** 2;
      const inv = 1 / Math.sqrt(ms / D + c.rms_norm_eps);
      for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i]! * inv * weight[i]!;
    }
    return y;
  };
  const rope = (x: Float64Array, heads: number) => {
    const y = new Float64Array(x.length),
      half = d / 2;
    for (let r = 0; r < b * s; r++)
      for (let h = 0; h < heads; h++)
        for (let j = 0; j < d; j++) {
          const base = r * heads * d + h * d;
          const ang = pos[r]! * c.rope_theta ** ((-2 * (j % half)) / d);
          const rot = j < half ? -x[base + j + half]! : x[base + j - half]!;
          y[base + j] = x[base + j]! * Math.cos(ang) + rot * Math.sin(ang);
        }
    return y;
  };
  let h = new Float64Array(b * s * D);
  ids.forEach((id, r) => {
    for (let i = 0; i < D; i++) h[r * D + i] = w['model.embed_tokens.weight']!.data[id * D + i]!;
  });
  const presentK: Float64Array[] = [],
    presentV: Float64Array[] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const x = rms(h, w[p + 'input_layernorm.weight']!.data);
    const q = rope(linearRef(x, b * s, w[p + 'self_attn.q_proj.weight']!.data, H * d, D), H);
    const k = rope(linearRef(x, b * s, w[p + 'self_attn.k_proj.weight']!.data, KV * d, D), KV);
    const v = linearRef(x, b * s, w[p + 'self_attn.v_proj.weight']!.data, KV * d, D);
    const pk = new Float64Array(b * KV * T * d),
      pv = new Float64Array(b * KV * T * d);
    for (let bi = 0; bi < b; bi++)
      for (let kv = 0; kv < KV; kv++)
        for (let t = 0; t < T; t++)
          for (let j = 0; j < d; j++) {
            const dst = ((bi * KV + kv) * T + t) * d + j;
            if (t < past) {
              const src = ((bi * KV + kv) * past + t) * d + j;
              pk[dst] = pastK[l]![src]!;
              pv[dst] = pastV[l]![src]!;
            } else {
              const src = (bi * s + t - past) * KV * d + kv * d + j;
              pk[dst] = k[src]!;
              pv[dst] = v[src]!;
            }
          }
    presentK.push(pk);
    presentV.push(pv);
    const ctx = new Float64Array(b * s * H * d);
    for (let bi = 0; bi < b; bi++)
      for (let hh = 0; hh < H; hh++)
        for (let i = 0; i < s; i++) {
          const kv = Math.floor(hh / g);
          const scores = new Float64Array(T);
          for (let t = 0; t < T; t++) {
            if (t > past + i || mask[bi * T + t] !== 1) {
              scores[t] = -3.4028234663852886e38;
              continue;
            }
            let acc = 0;
            for (let j = 0; j < d; j++) acc += q[(bi * s + i) * H * d + hh * d + j]! * pk[((bi * KV + kv) * T + t) * d + j]!;
            scores[t] = acc / Math.sqrt(d);
          }
          const m = Math.max(...scores);
          const e = scores.map((sc) => Math.exp(sc - m));
          const z = e.reduce((a, bb) => a + bb, 0);
          for (let j = 0; j < d; j++) {
            let acc = 0;
            for (let t = 0; t < T; t++) acc += (e[t]! / z) * pv[((bi * KV + kv) * T + t) * d + j]!;
            ctx[(bi * s + i) * H * d + hh * d + j] = acc;
          }
        }
    const o = linearRef(ctx, b * s, w[p + 'self_attn.o_proj.weight']!.data, D, H * d);
    h = h.map((val, idx) => val + o[idx]!);
    const y = rms(h, w[p + 'post_attention_layernorm.weight']!.data);
    const gate = linearRef(y, b * s, w[p + 'mlp.gate_proj.weight']!.data, I, D);
    const up = linearRef(y, b * s, w[p + 'mlp.up_proj.weight']!.data, I, D);
    const act = gate.map((gv, idx) => (gv / (1 + Math.exp(-gv))) * up[idx]!);
    const down = linearRef(act, b * s, w[p + 'mlp.down_proj.weight']!.data, D, I);
    h = h.map((val, idx) => val + down[idx]!);
  }
  const head = c.tie_word_embeddings ? w['model.embed_tokens.weight']! : w['lm_head.weight']!;
  const logits = linearRef(rms(h, w['model.norm.weight']!.data), b * s, head.data, c.vocab_size, D);
  return { logits, presentK, presentV };
}

function runLlama(
  c: LlamaConfig,
  weights: MapWeights,
  b: number,
  s: number,
  past: number,
  ids: number[],
  mask: number[],
  pos: number[],
  pastK: Float32Array[],
  pastV: Float32Array[],
) {
  const KV = c.num_key_value_heads,
    d = c.head_dim;
  const out = tf.tidy(() => {
    const r = llamaForward(c, weights, {
      batch: b,
      seq: s,
      past,
      inputIds: Int32Array.from(ids),
      attentionMask: Int32Array.from(mask),
      positionIds: Float64Array.from(pos),
      pastKeys: pastK.map((a) => tf.tensor4d(a, [b, KV, past, d])),
      pastValues: pastV.map((a) => tf.tensor4d(a, [b, KV, past, d])),
    });
    return [r.logits, ...r.presentKeys, ...r.presentValues];
  });
  const data = out.map((t) => t.dataSync() as Float32Array);
  const shapes = out.map((t) => t.shape);
  out.forEach((t) => t.dispose());
  const L = c.num_hidden_layers;
  return {
    logits: data[0]!,
    logitsShape: shapes[0]!,
    presentK: data.slice(1, 1 + L),
    presentV: data.slice(1 + L),
    presentShape: shapes[1]!,
  };
}

for (const backend of ['wasm', 'cpu'] as TfjsBackendName[]) {
  test(`${backend}: llama step with past KV, GQA and left padding matches a float64 loop implementation within 1e-4`, async () => {
    await useBackend(backend);
    // Norm weights in [0.5, 1.5) so a dropped norm weight shows; everything else uniform in [−0.5, 0.5).
    const raw = makeWeights(llamaShapes(LCFG), 7, (n) => (n.endsWith('norm.weight') ? (r) => 0.5 + r() : null));
    const { weights, dispose } = tfWeights(raw);
    try {
      const b = 2,
        s = 3,
        past = 2,
        T = past + s,
        KV = LCFG.num_key_value_heads,
        d = LCFG.head_dim;
      const ids = [1, 5, 12, 0, 7, 3];
      const mask = [1, 1, 1, 1, 1, /* row 2 is left-padded by one */ 0, 1, 1, 1, 1];
      const pos = [2, 3, 4, 1, 2, 3];
      const r = rng(3);
      const pastK = Array.from({ length: 2 }, () => Float32Array.from({ length: b * KV * past * d }, () => r() - 0.5));
      const pastV = Array.from({ length: 2 }, () => Float32Array.from({ length: b * KV * past * d }, () => r() - 0.5));
      const got = runLlama(LCFG, weights, b, s, past, ids, mask, pos, pastK, pastV);
      const want = llamaRef(
        LCFG,
        raw,
        b,
        s,
        past,
        ids,
        mask,
        pos,
        pastK.map((a) => Float64Array.from(a)),
        pastV.map((a) => Float64Array.from(a)),
      );
      assert.equal(got.logitsShape, [b, s, LCFG.vocab_size]);
      assert.equal(got.presentShape, [b, KV, T, d]);
      const errLogits = maxAbsDiff(got.logits, want.logits);
      const errKv = Math.max(
        ...got.presentK.map((a, l) => maxAbsDiff(a, want.presentK[l]!)),
        ...got.presentV.map((a, l) => maxAbsDiff(a, want.presentV[l]!)),
      );
      assert.ok(errLogits < 1e-4, `logits max abs error ${errLogits}`);
      assert.ok(errKv < 1e-4, `present KV max abs error ${errKv}`);
    } finally {
      dispose();
    }
  });
}

test('wasm: llama prefill then single-token decode steps with the KV cache equal one full pass (tied head)', async () => {
  await useBackend('wasm');
  const cfg = { ...LCFG, tie_word_embeddings: true, num_key_value_heads: 1 };
  const { weights, dispose } = tfWeights(makeWeights(llamaShapes(cfg), 11));
  try {
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const n = ids.length,
      KV = cfg.num_key_value_heads,
      d = cfg.head_dim,
      L = cfg.num_hidden_layers;
    const full = runLlama(
      cfg,
      weights,
      1,
      n,
      0,
      ids,
      Array(n).fill(1),
      ids.map((_, i) => i),
      Array(L).fill(new Float32Array(0)),
      Array(L).fill(new Float32Array(0)),
    );
    const prefill = 5;
    let step = runLlama(
      cfg,
      weights,
      1,
      prefill,
      0,
      ids.slice(0, prefill),
      Array(prefill).fill(1),
      [0, 1, 2, 3, 4],
      Array(L).fill(new Float32Array(0)),
      Array(L).fill(new Float32Array(0)),
    );
    const stepped = [...step.logits];
    for (let t = prefill; t < n; t++) {
      step = runLlama(cfg, weights, 1, 1, t, [ids[t]!], Array(t + 1).fill(1), [t], step.presentK, step.presentV);
      assert.equal(step.presentShape, [1, KV, t + 1, d]);
      stepped.push(...step.logits);
    }
    const err = maxAbsDiff(stepped, full.logits);
    assert.ok(err < 1e-5, `cached vs full logits max abs error ${err}`);
  } finally {
    dispose();
  }
});

// ------------------------------------------------------------------ bert

const BCFG: BertConfig = {
  vocab_size: 17,
  hidden_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 20,
  max_position_embeddings: 8,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
};

function bertShapes(c: BertConfig): Record<string, number[]> {
  const D = c.hidden_size,
    I = c.intermediate_size;
  const s: Record<string, number[]> = {
    'embeddings.word_embeddings.weight': [c.vocab_size, D],
    'embeddings.position_embeddings.weight': [c.max_position_embeddings, D],
    'embeddings.token_type_embeddings.weight': [c.type_vocab_size, D],
    'embeddings.LayerNorm.weight': [D],
    'embeddings.LayerNorm.bias': [D],
  };
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      s[p + n + '.weight'] = [D, D];
      s[p + n + '.bias'] = [D];
    }
    s[p + 'intermediate.dense.weight'] = [I, D];
    s[p + 'intermediate.dense.bias'] = [I];
    s[p + 'output.dense.weight'] = [D, I];
    s[p + 'output.dense.bias'] = [D];
    for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      s[p + n + '.weight'] = [D];
      s[p + n + '.bias'] = [D];
    }
  }
  return s;
}

/** erf by its Maclaurin series, 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)): float64-accurate for the |x| ≲ 4 seen here. */
function erf(x: number): number {
  let sum = 0,
    term = x,
    n = 0;
  while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3) {
    sum += term / (2 * n + 1);
    n++;
    term *= (-x * x) / n;
    if (n > 200) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function bertRef(c: BertConfig, w: W, b: number, s: number, ids: number[], mask: number[], types: number[]): Float64Array {
  const D = c.hidden_size,
    H = c.num_attention_heads,
    d = D / H,
    I = c.intermediate_size,
    rows = b * s;
  const ln = (x: Float64Array, prefix: string) => {
    const y = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let i = 0; i < D; i++) mean += x[r * D + i]!;
      mean /= D;
      let v = 0;
      for (let i = 0; i < D; i++) v += (x[r * D + i]! - mean) ** 2;
      v /= D;
      for (let i = 0; i < D; i++)
        y[r * D + i] =
          ((x[r * D + i]! - mean) / Math.sqrt(v + c.layer_norm_eps)) * w[prefix + '.weight']!.data[i]! + w[prefix + '.bias']!.data[i]!;
    }
    return y;
  };
  const dense = (x: Float64Array, prefix: string, out: number, inp: number) =>
    linearRef(x, rows, w[prefix + '.weight']!.data, out, inp, w[prefix + '.bias']!.data);
  let h = new Float64Array(rows * D);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < D; i++) {
      h[r * D + i] =
        w['embeddings.word_embeddings.weight']!.data[ids[r]! * D + i]! +
        w['embeddings.position_embeddings.weight']!.data[(r % s) * D + i]! +
        w['embeddings.token_type_embeddings.weight']!.data[types[r]! * D + i]!;
    }
  h = ln(h, 'embeddings.LayerNorm');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}.`;
    const q = dense(h, p + 'attention.self.query', D, D),
      k = dense(h, p + 'attention.self.key', D, D),
      v = dense(h, p + 'attention.self.value', D, D);
    const ctx = new Float64Array(rows * D);
    for (let bi = 0; bi < b; bi++)
      for (let hh = 0; hh < H; hh++)
        for (let i = 0; i < s; i++) {
          const sc = Array.from({ length: s }, (_, t) => {
            let acc = 0;
            for (let j = 0; j < d; j++) acc += q[(bi * s + i) * D + hh * d + j]! * k[(bi * s + t) * D + hh * d + j]!;
            return acc / Math.sqrt(d) + (mask[bi * s + t] === 1 ? 0 : -3.4028234663852886e38);
          });
          const m = Math.max(...sc),
            e = sc.map((x) => Math.exp(x - m)),
            z = e.reduce((a, x) => a + x, 0);
          for (let j = 0; j < d; j++)
            ctx[(bi * s + i) * D + hh * d + j] = e.reduce((a, x, t) => a + (x / z) * v[(bi * s + t) * D + hh * d + j]!, 0);
        }
    const attnOut = dense(ctx, p + 'attention.output.dense', D, D);
    const attn = ln(
      attnOut.map((x, i) => x + h[i]!),
      p + 'attention.output.LayerNorm',
    );
    const inter = dense(attn, p + 'intermediate.dense', I, D).map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    const out = dense(inter, p + 'output.dense', D, I);
    h = ln(
      out.map((x, i) => x + attn[i]!),
      p + 'output.LayerNorm',
    );
  }
  return h;
}

for (const backend of ['wasm', 'cpu'] as TfjsBackendName[]) {
  test(`${backend}: bert encoder with padding and token types matches a float64 loop implementation within 1e-4`, async () => {
    await useBackend(backend);
    const spec = (n: string) => (n.includes('LayerNorm.weight') ? (r: () => number) => 0.5 + r() : null);
    const raw = makeWeights(bertShapes(BCFG), 5, spec);
    const { weights, dispose } = tfWeights(raw);
    try {
      const b = 2,
        s = 5;
      const ids = [2, 9, 4, 16, 0, 3, 3, 8, 1, 0],
        mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        types = [0, 0, 1, 1, 1, 0, 1, 1, 0, 0];
      const out = tf.tidy(() =>
        bertForward(BCFG, weights, {
          batch: b,
          seq: s,
          inputIds: Int32Array.from(ids),
          attentionMask: Int32Array.from(mask),
          tokenTypeIds: Int32Array.from(types),
        }),
      );
      assert.equal(out.shape, [b, s, BCFG.hidden_size]);
      const got = out.dataSync() as Float32Array;
      out.dispose();
      const err = maxAbsDiff(got, bertRef(BCFG, raw, b, s, ids, mask, types));
      assert.ok(err < 1e-4, `last_hidden_state max abs error ${err}`);
    } finally {
      dispose();
    }
  });
}

// ------------------------------------------------------------------ resnet

/** Stem 4 channels; stage 1: one bottleneck 4→(2)→8 with downsample; stage 2: one 8→(4)→16, stride 2; 5 classes. */
function resnetShapes(): Record<string, number[]> {
  const s: Record<string, number[]> = { 'conv1.weight': [4, 3, 7, 7], 'fc.weight': [5, 16], 'fc.bias': [5] };
  const bn = (p: string, c: number) => {
    for (const n of ['weight', 'bias', 'running_mean', 'running_var']) s[`${p}.${n}`] = [c];
  };
  bn('bn1', 4);
  const block = (p: string, cin: number, width: number) => {
    s[p + 'conv1.weight'] = [width, cin, 1, 1];
    bn(p + 'bn1', width);
    s[p + 'conv2.weight'] = [width, width, 3, 3];
    bn(p + 'bn2', width);
    s[p + 'conv3.weight'] = [width * 4, width, 1, 1];
    bn(p + 'bn3', width * 4);
    s[p + 'downsample.0.weight'] = [width * 4, cin, 1, 1];
    bn(p + 'downsample.1', width * 4);
  };
  block('layer1.0.', 4, 2);
  block('layer2.0.', 8, 4);
  return s;
}

/** NCHW tensors as { c, h, w, data } in float64. */
interface Map3 {
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}
function convRef(x: Map3, weight: { dims: number[]; data: Float32Array }, stride: number, pad: number): Map3 {
  const [co, ci, kh, kw] = weight.dims as [number, number, number, number];
  const h = Math.floor((x.h + 2 * pad - kh) / stride) + 1,
    wd = Math.floor((x.w + 2 * pad - kw) / stride) + 1;
  const out = new Float64Array(co * h * wd);
  for (let o = 0; o < co; o++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < wd; xx++) {
        let acc = 0;
        for (let c = 0; c < ci; c++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const iy = y * stride - pad + i,
                ix = xx * stride - pad + j;
              if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
              acc += x.data[(c * x.h + iy) * x.w + ix]! * weight.data[((o * ci + c) * kh + i) * kw + j]!;
            }
        out[(o * h + y) * wd + xx] = acc;
      }
  return { c: co, h, w: wd, data: out };
}

function resnetRef(w: W, input: Float32Array, H: number, Wd: number): Float64Array {
  const bn = (x: Map3, p: string): Map3 => ({
    ...x,
    data: x.data.map((v, i) => {
      const c = Math.floor(i / (x.h * x.w));
      return (
        ((v - w[p + '.running_mean']!.data[c]!) / Math.sqrt(w[p + '.running_var']!.data[c]! + 1e-5)) * w[p + '.weight']!.data[c]! +
        w[p + '.bias']!.data[c]!
      );
    }),
  });
  const relu = (x: Map3): Map3 => ({ ...x, data: x.data.map((v) => Math.max(0, v)) });
  let x: Map3 = { c: 3, h: H, w: Wd, data: Float64Array.from(input) };
  x = relu(bn(convRef(x, w['conv1.weight']!, 2, 3), 'bn1'));
  const ph = Math.floor((x.h + 2 - 3) / 2) + 1,
    pw = Math.floor((x.w + 2 - 3) / 2) + 1,
    pooled = new Float64Array(x.c * ph * pw);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < ph; y++)
      for (let xx = 0; xx < pw; xx++) {
        let m = -Infinity;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const iy = y * 2 - 1 + i,
              ix = xx * 2 - 1 + j;
            if (iy >= 0 && ix >= 0 && iy < x.h && ix < x.w) m = Math.max(m, x.data[(c * x.h + iy) * x.w + ix]!);
          }
        pooled[(c * ph + y) * pw + xx] = m;
      }
  x = { c: x.c, h: ph, w: pw, data: pooled };
  for (const [p, stride] of [
    ['layer1.0.', 1],
    ['layer2.0.', 2],
  ] as const) {
    let y = relu(bn(convRef(x, w[p + 'conv1.weight']!, 1, 0), p + 'bn1'));
    y = relu(bn(convRef(y, w[p + 'conv2.weight']!, stride, 1), p + 'bn2'));
    y = bn(convRef(y, w[p + 'conv3.weight']!, 1, 0), p + 'bn3');
    const sc = bn(convRef(x, w[p + 'downsample.0.weight']!, stride, 0), p + 'downsample.1');
    x = relu({ ...y, data: y.data.map((v, i) => v + sc.data[i]!) });
  }
  const feat = Float64Array.from(
    { length: x.c },
    (_, c) => x.data.slice(c * x.h * x.w, (c + 1) * x.h * x.w).reduce((a, v) => a + v, 0) / (x.h * x.w),
  );
  return linearRef(feat, 1, w['fc.weight']!.data, 5, 16, w['fc.bias']!.data);
}

for (const backend of ['wasm', 'cpu'] as TfjsBackendName[]) {
  test(`${backend}: resnet bottlenecks (7×7/2 stem, max-pool, stride-2 3×3, downsample, BN) match a float64 loop implementation within 1e-4`, async () => {
    await useBackend(backend);
    // BN scales and variances in [0.5, 1.5), means and biases in [−0.5, 0.5): BN is far from identity here.
    const bnPositive = (n: string) => /(bn\d|downsample\.1)\.(weight|running_var)$/.test(n);
    const raw = makeWeights(resnetShapes(), 9, (n) => (bnPositive(n) ? (r) => 0.5 + r() : null));
    const { weights, dispose } = tfWeights(raw);
    const plan = planResnet(weights);
    try {
      const H = 19,
        Wd = 17; // odd sizes exercise padding arithmetic
      const r = rng(1);
      const input = Float32Array.from({ length: 3 * H * Wd }, () => r() * 2 - 1);
      const out = tf.tidy(() => resnetForward(plan, tf.tensor4d(input, [1, 3, H, Wd])));
      assert.equal(out.shape, [1, 5]);
      const got = out.dataSync() as Float32Array;
      out.dispose();
      const err = maxAbsDiff(got, resnetRef(raw, input, H, Wd));
      assert.ok(err < 1e-4, `logits max abs error ${err}`);
    } finally {
      plan.owned.forEach((t) => t.dispose());
      dispose();
    }
  });
}

test.run();
