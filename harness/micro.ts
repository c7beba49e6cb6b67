// Micro-benchmarks (`npuval bench --micro`): single ops and layers at the shapes of the zoo's
// models — MatMul, an attention block, RMSNorm, a SwiGLU MLP, a 3×3 Conv — timed by tinybench
// on a device and reported as time per run and achieved FLOP/s (analytic FLOPs ÷ mean time), so
// a vendor sees where a device falls short before running whole models.
import { Bench } from 'tinybench';
import type { Device, Tensor } from '../devices/types.js';
import { GraphBuilder } from '../models/onnx/graph.js';
import { encodePlan } from '../models/onnx/writer.js';
import { getZooEntry } from '../models/zoo/index.js';
import { InputError } from './errors.js';
import { seededRng } from './random.js';

/** The ops microCases builds, in order (a test checks the two agree). */
export const MICRO_OPS = ['MatMul', 'RMSNorm', 'SwiGLU MLP', 'Attention block', 'Conv 3×3'] as const;

/** One single-op or single-layer graph with its inputs and analytic cost. */
export interface MicroCase {
  readonly name: string;
  /** Where the shapes come from, e.g. "llama-100m: tokens 32, hidden 768, intermediate 2048". */
  readonly shapes: string;
  /** Analytic FLOPs per run (2 per multiply-add; element-wise ops counted per element as stated in `flopsNote`). */
  readonly flops: number;
  readonly flopsNote: string;
  readonly model: Uint8Array;
  readonly feeds: Record<string, Tensor>;
}

export interface MicroResult {
  readonly device: string;
  readonly name: string;
  readonly shapes: string;
  readonly flops: number;
  readonly flopsNote: string;
  /** tinybench latency statistics of one session.run, ms. */
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly minMs: number;
  /** Relative margin of error of the mean, % (95 % confidence). */
  readonly rmePercent: number;
  readonly runs: number;
  /** flops / mean time. */
  readonly flopsPerSecond: number;
}

export interface MicroOptions {
  /** Zoo decoder whose shapes the transformer cases use (default llama-100m). */
  readonly llama?: string;
  /** Zoo CNN whose first-stage 3×3 conv is used (default resnet-50). */
  readonly resnet?: string;
  /** Tokens per run for the transformer cases (default 32: small enough for a 2-core machine). */
  readonly tokens?: number;
  readonly seed?: number;
}

interface LlamaShape {
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  head_dim: number;
  rms_norm_eps: number;
}
interface ResNetShape {
  width: number;
  image_size: number;
}

/** The micro cases at the zoo shapes asked for. Shapes are read from the zoo entries' configs. */
export function microCases(opts: MicroOptions = {}): MicroCase[] {
  const llamaName = opts.llama ?? 'llama-100m';
  const resnetName = opts.resnet ?? 'resnet-50';
  const llama = getZooEntry(llamaName);
  const resnet = getZooEntry(resnetName);
  if (llama.family !== 'llama') throw new InputError(`--micro-llama ${llamaName} is a ${llama.family} model, not a llama decoder`);
  if (resnet.family !== 'resnet') throw new InputError(`--micro-resnet ${resnetName} is a ${resnet.family} model, not a ResNet`);
  const c = llama.config as unknown as LlamaShape;
  const r = resnet.config as unknown as ResNetShape;
  const T = opts.tokens ?? 32;
  if (!Number.isInteger(T) || T <= 0) throw new InputError(`--tokens ${T} is not a positive integer`);
  const rng = seededRng(opts.seed ?? 7);
  const input = (dims: number[]): Tensor => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.next() * 2 - 1;
    return { type: 'float32', dims, data };
  };
  const H = c.hidden_size,
    I = c.intermediate_size,
    nh = c.num_attention_heads,
    d = c.head_dim;
  const tag = `${llamaName}: tokens ${T}, hidden ${H}`;
  const cases: MicroCase[] = [];

  {
    const g = new GraphBuilder('micro_matmul');
    const x = g.input('x', 'float32', [T, H]);
    const w = g.weight('w', [H, I], { kind: 'normal', std: 0.02 });
    g.output(g.matmul(x, w), 'y', 'float32', [T, I]);
    cases.push({
      name: 'MatMul',
      shapes: `${tag}, intermediate ${I}: [${T}×${H}]·[${H}×${I}]`,
      flops: 2 * T * H * I,
      flopsNote: '2·T·H·I',
      model: encodePlan(g.plan(), 1),
      feeds: { x: input([T, H]) },
    });
  }
  {
    const g = new GraphBuilder('micro_rmsnorm');
    const x = g.input('x', 'float32', [T, H]);
    const ms = g.op('ReduceMean', [g.mul(x, x)], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.add(ms, g.scalar(c.rms_norm_eps))])]);
    const w = g.weight('w', [H], { kind: 'constant', value: 1 });
    g.output(g.mul(g.mul(x, inv), w), 'y', 'float32', [T, H]);
    cases.push({
      name: 'RMSNorm',
      shapes: `${tag}`,
      flops: 4 * T * H,
      flopsNote: '4·T·H (square, mean, scale, weight)',
      model: encodePlan(g.plan(), 1),
      feeds: { x: input([T, H]) },
    });
  }
  {
    const g = new GraphBuilder('micro_swiglu');
    const x = g.input('x', 'float32', [T, H]);
    const gate = g.matmul(x, g.weight('wg', [H, I], { kind: 'normal', std: 0.02 }));
    const up = g.matmul(x, g.weight('wu', [H, I], { kind: 'normal', std: 0.02 }));
    const silu = g.mul(gate, g.op('Sigmoid', [gate]));
    const down = g.matmul(g.mul(silu, up), g.weight('wd', [I, H], { kind: 'normal', std: 0.02 }));
    g.output(down, 'y', 'float32', [T, H]);
    cases.push({
      name: 'SwiGLU MLP',
      shapes: `${tag}, intermediate ${I}`,
      flops: 6 * T * H * I,
      flopsNote: '3 matmuls, 6·T·H·I (element-wise ops not counted)',
      model: encodePlan(g.plan(), 1),
      feeds: { x: input([T, H]) },
    });
  }
  {
    // Self-attention with Q, K, V and output projections, causal mask left out (cost is the same
    // order); K/V use all heads (GQA's smaller K/V projection is not modelled here).
    const g = new GraphBuilder('micro_attention');
    const x = g.input('x', 'float32', [T, H]);
    const proj = (name: string) => g.matmul(x, g.weight(name, [H, nh * d], { kind: 'normal', std: 0.02 }));
    const heads = (v: string) => g.transpose(g.reshape(v, g.constant([T, nh, d])), [1, 0, 2]); // [nh, T, d]
    const q = heads(proj('wq')),
      k = heads(proj('wk')),
      v = heads(proj('wv'));
    const scores = g.mul(g.matmul(q, g.transpose(k, [0, 2, 1])), g.scalar(1 / Math.sqrt(d)));
    const ctx = g.matmul(g.op('Softmax', [scores], { axis: -1 }), v); // [nh, T, d]
    const merged = g.reshape(g.transpose(ctx, [1, 0, 2]), g.constant([T, nh * d]));
    g.output(g.matmul(merged, g.weight('wo', [nh * d, H], { kind: 'normal', std: 0.02 })), 'y', 'float32', [T, H]);
    const flops = 4 * 2 * T * H * nh * d + 2 * 2 * nh * T * T * d;
    cases.push({
      name: 'Attention block',
      shapes: `${tag}, heads ${nh}×${d}`,
      flops,
      flopsNote: '4 projections 8·T·H·nh·d + scores and context 4·nh·T²·d',
      model: encodePlan(g.plan(), 1),
      feeds: { x: input([T, H]) },
    });
  }
  {
    // The first bottleneck stage's 3×3 conv: width channels at image_size/4 (after stem and pool).
    const C = r.width,
      S = Math.max(1, Math.floor(r.image_size / 4));
    const g = new GraphBuilder('micro_conv');
    const x = g.input('x', 'float32', [1, C, S, S]);
    const w = g.weight('w', [C, C, 3, 3], { kind: 'normal', std: 0.02 });
    g.output(g.op('Conv', [x, w], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }), 'y', 'float32', [1, C, S, S]);
    cases.push({
      name: 'Conv 3×3',
      shapes: `${resnetName}: stage 1, ${C}→${C} channels, ${S}×${S}`,
      flops: 2 * C * C * 9 * S * S,
      flopsNote: '2·C·C·9·S²',
      model: encodePlan(g.plan(), 1),
      feeds: { x: input([1, C, S, S]) },
    });
  }
  return cases;
}

/** Times each case on the device with tinybench (`timeMs` of runs after `warmupMs`). */
export async function runMicro(
  device: Device,
  cases: readonly MicroCase[],
  opts: { timeMs?: number; warmupMs?: number } = {},
): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const c of cases) {
    const session = await device.open({ bytes: c.model });
    try {
      const bench = new Bench({ time: opts.timeMs ?? 300, warmupTime: opts.warmupMs ?? 50, throws: true });
      bench.add(c.name, async () => {
        await session.run(c.feeds);
      });
      await bench.run();
      const r = bench.tasks[0]!.result;
      if (r.state !== 'completed') throw new Error(`micro-benchmark ${c.name} did not complete (${r.state})`);
      const l = r.latency;
      results.push({
        device: device.id,
        name: c.name,
        shapes: c.shapes,
        flops: c.flops,
        flopsNote: c.flopsNote,
        meanMs: l.mean,
        p50Ms: l.p50,
        p99Ms: l.p99,
        minMs: l.min,
        rmePercent: l.rme,
        runs: l.samplesCount,
        flopsPerSecond: c.flops / (l.mean / 1000),
      });
    } finally {
      await session.close();
    }
  }
  return results;
}
