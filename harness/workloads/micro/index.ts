// The `micro` workload: a micro-benchmark on one device.
// - With `op` (MatMul, RMSNorm, SwiGLU MLP, Attention block, Conv 3×3): that op at zoo shapes
//   (harness/micro.ts), timed by tinybench, with achieved GFLOP/s from its analytic FLOPs.
// - Without: the device's probe graph (open, then N runs of Y = X + X), which measures the
//   runtime's per-call overhead, not compute.
import { probeModelBytes } from '../../../devices/probe.js';
import type { Device, Tensor } from '../../../devices/types.js';
import { nonNegInt, num, str } from '../../../reports/schemas/common.js';
import { InputError } from '../../errors.js';
import { MICRO_OPS, microCases, runMicro, type MicroResult } from '../../micro.js';
import { summarize, type Statistics } from '../../stats.js';
import {
  computeMetrics,
  NO_VALIDITY_RULES,
  type MetricBinding,
  type Params,
  type UnitOutcome,
  type Workload,
  type WorkloadContext,
} from '../types.js';

const SETTINGS = {
  op: {
    type: 'string',
    default: null,
    values: MICRO_OPS,
    doc: 'The op to time at zoo shapes; absent: the probe graph (per-call overhead)',
  },
  llama: {
    type: 'string',
    default: 'llama-100m',
    flag: 'micro-llama',
    doc: 'With op: the zoo decoder whose shapes the transformer ops use',
  },
  resnet: { type: 'string', default: 'resnet-50', flag: 'micro-resnet', doc: 'With op: the zoo CNN whose first-stage conv is used' },
  tokens: {
    type: 'integer',
    default: 32,
    min: 1,
    max: 65_536,
    unit: 'tokens',
    flag: 'micro-tokens',
    doc: 'With op: tokens per run for the transformer ops',
  },
  timeMs: { type: 'number', default: 300, min: 1, max: 600_000, unit: 'ms', flag: 'micro-time', doc: 'With op: time of timed runs per op' },
  iterations: { type: 'integer', default: 200, min: 1, max: 1e7, doc: 'Probe graph: timed runs' },
  warmup: { type: 'integer', default: 10, min: 0, max: 1e6, doc: 'Probe graph: untimed runs first' },
} as const;

type S = typeof SETTINGS;
const OP_KEYS = ['llama', 'resnet', 'tokens', 'timeMs'];
const PROBE_KEYS = ['iterations', 'warmup'];

type MicroParams = Params<S>;

type ProbeResult = {
  readonly op: 'probe-add';
  readonly iterations: number;
  readonly warmup: number;
  readonly latency: Statistics | null;
  readonly openMs: number;
  readonly totalMs: number;
};

const OP_METRICS: readonly MetricBinding<MicroResult>[] = [
  { name: 'latency_mean_ms', compute: (r) => r.meanMs },
  { name: 'latency_p50_ms', compute: (r) => r.p50Ms },
  { name: 'latency_p99_ms', compute: (r) => r.p99Ms },
  { name: 'latency_min_ms', compute: (r) => r.minMs },
  { name: 'achieved_gflops', compute: (r) => r.flopsPerSecond / 1e9 },
];

const PROBE_METRICS: readonly MetricBinding<ProbeResult>[] = [
  { name: 'session_open_ms', compute: (r) => r.openMs },
  { name: 'latency_p50_ms', compute: (r) => r.latency?.p50 ?? null },
  { name: 'latency_p90_ms', compute: (r) => r.latency?.p90 ?? null },
  { name: 'latency_p99_ms', compute: (r) => r.latency?.p99 ?? null },
  { name: 'latency_mean_ms', compute: (r) => r.latency?.avg ?? null },
  { name: 'latency_min_ms', compute: (r) => r.latency?.min ?? null },
  { name: 'latency_max_ms', compute: (r) => r.latency?.max ?? null },
  { name: 'duration_s', compute: (r) => r.totalMs / 1000 },
];

async function opBenchmark(s: MicroParams['settings'], device: Device, seed: number): Promise<UnitOutcome> {
  const chosen = microCases({ llama: s.llama, resnet: s.resnet, tokens: s.tokens, seed }).filter((c) => c.name === s.op);
  const [r] = await runMicro(device, chosen, { timeMs: s.timeMs });
  return {
    status: 'pass',
    validity: NO_VALIDITY_RULES,
    metrics: computeMetrics(OP_METRICS, r!),
    notes: [`${r!.name} at ${r!.shapes}; FLOPs ${r!.flopsNote}; ±${r!.rmePercent.toFixed(1)} % (95 %) over ${r!.runs} runs`],
    result: { kind: 'micro', ...r! },
  };
}

async function probeBenchmark({ iterations, warmup }: MicroParams['settings'], ctx: WorkloadContext): Promise<UnitOutcome> {
  const t0 = performance.now();
  const session = await ctx.device!.open({ bytes: probeModelBytes() });
  const openMs = performance.now() - t0;
  const times: number[] = [];
  try {
    const x: Tensor = { type: 'float32', dims: [4], data: new Float32Array([1, 2, 3, 4]) };
    for (let i = 0; i < warmup + iterations && !ctx.signal.aborted; i++) {
      const start = performance.now();
      await session.run({ X: x });
      if (i >= warmup) times.push(performance.now() - start);
    }
  } finally {
    await session.close();
  }
  const r: ProbeResult = {
    op: 'probe-add',
    iterations: times.length,
    warmup,
    latency: summarize(times, 'ms'),
    openMs,
    totalMs: times.reduce((a, b) => a + b, 0),
  };
  return {
    status: r.latency ? 'pass' : 'error',
    validity: NO_VALIDITY_RULES,
    metrics: computeMetrics(PROBE_METRICS, r),
    notes: ['probe graph (one Add on float32[4]): measures per-run overhead, not compute'],
    result: { kind: 'micro', op: r.op, iterations: r.iterations, warmup, latency: r.latency },
  };
}

export const microWorkload: Workload<S, MicroParams> = {
  kind: 'micro',
  summary: 'A micro-benchmark: one op at zoo shapes (achieved FLOP/s), or the probe graph (per-call overhead)',
  settings: SETTINGS,
  fields: {},
  needsDevice: true,
  name: (u) =>
    `micro:${
      u.settings?.op !== undefined
        ? String(u.settings.op)
            .replace(/[^A-Za-z0-9]+/g, '-')
            .toLowerCase()
        : 'probe'
    }`,
  title: (u) => `micro-benchmark ${u.settings?.op !== undefined ? String(u.settings.op) : 'probe'}`,
  resolve(unit, settings, plan) {
    // Settings of the other mode would be silently ignored: refuse them.
    const wrong = Object.keys(unit.settings ?? {}).filter((k) => (settings.op === null ? OP_KEYS : PROBE_KEYS).includes(k));
    if (wrong.length)
      throw new InputError(
        `unit ${plan.unitId}: setting "${wrong[0]}" applies ${settings.op === null ? 'only with an op' : 'only to the probe graph (no op)'}`,
      );
    if (settings.op !== null) microCases({ llama: settings.llama, resnet: settings.resnet, tokens: settings.tokens }); // unknown zoo names fail here
    return { unit, settings };
  },
  needs: () => ({ models: [], devices: [] }),
  run: (p, ctx) => (p.settings.op !== null ? opBenchmark(p.settings, ctx.device!, ctx.seed) : probeBenchmark(p.settings, ctx)),
  resultSchema: {
    type: 'object',
    properties: { op: str, name: str, iterations: nonNegInt, meanMs: num, flopsPerSecond: num },
  },
  headline: ['latency_p50_ms', 'latency_p90_ms', 'session_open_ms', 'achieved_gflops'],
};
