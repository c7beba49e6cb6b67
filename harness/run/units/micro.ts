// The `micro` unit: a micro-benchmark on one device.
// - With `settings.op` (MatMul, RMSNorm, SwiGLU MLP, Attention block, Conv 3×3): that op at zoo
//   shapes (harness/micro.ts; `settings.llama`, `settings.resnet`, `settings.tokens`, `settings.timeMs`),
//   timed by tinybench, with achieved GFLOP/s from its analytic FLOPs.
// - Without: the device's probe graph (open, then N runs of Y = X + X), which measures the
//   runtime's per-call overhead, not compute.
import { probeModelBytes } from '../../../devices/probe.js';
import type { Tensor } from '../../../devices/types.js';
import { InputError } from '../../errors.js';
import { microCases, runMicro as timeMicroCases } from '../../micro.js';
import { summarize } from '../../stats.js';
import { checkSettingKeys, settingName, NO_VALIDITY_RULES, type PlannedUnitSpec, type UnitExecutor, type UnitOutcome } from './types.js';

const PROBE_KEYS = ['iterations', 'warmup'];
const OP_KEYS = ['op', 'llama', 'resnet', 'tokens', 'timeMs'];

export type MicroUnitSettings =
  | { readonly op: string; readonly llama: string; readonly resnet: string; readonly tokens: number; readonly timeMs: number }
  | { readonly op?: undefined; readonly iterations: number; readonly warmup: number };

/** The unit's settings, each checked for its type (exit 2); `npuval run` also calls it while planning. */
export function microUnitSettings(unit: PlannedUnitSpec): MicroUnitSettings {
  const s = unit.spec.settings ?? {};
  checkSettingKeys(unit.id, s, s.op !== undefined ? OP_KEYS : PROBE_KEYS);
  const where = (key: string) => settingName(unit.id, key);
  const int = (key: string, fallback: number, min: number): number => {
    const v = s[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InputError(`${where(key)} must be an integer ≥ ${min}`);
    return v;
  };
  const text = (key: string, fallback: string): string => {
    const v = s[key] ?? fallback;
    if (typeof v !== 'string') throw new InputError(`${where(key)} must be a string`);
    return v;
  };
  if (s.op === undefined) return { iterations: int('iterations', 200, 1), warmup: int('warmup', 10, 0) };
  const settings = { op: text('op', ''), llama: text('llama', 'tiny-llama'), resnet: text('resnet', 'tiny-resnet'), tokens: int('tokens', 32, 1), timeMs: int('timeMs', 300, 1) };
  const names = microCases(settings).map((c) => c.name);
  if (!names.includes(settings.op)) throw new InputError(`unit ${unit.id}: op "${settings.op}" is not one of ${names.join(', ')}`);
  return settings;
}

export const runMicro: UnitExecutor = async (unit, ctx) => {
  if (!ctx.device) throw new InputError(`micro unit ${unit.id} needs a device`);
  const settings = microUnitSettings(unit);
  return settings.op !== undefined ? opBenchmark(settings, ctx.device) : probeBenchmark(settings, ctx);
};

async function opBenchmark(settings: Extract<MicroUnitSettings, { op: string }>, device: NonNullable<Parameters<UnitExecutor>[1]['device']>): Promise<UnitOutcome> {
  const chosen = microCases(settings).filter((c) => c.name === settings.op);
  const [r] = await timeMicroCases(device, chosen, { timeMs: settings.timeMs });
  return {
    status: 'pass',
    validity: NO_VALIDITY_RULES,
    metrics: { latency_mean_ms: r!.meanMs, latency_p50_ms: r!.p50Ms, latency_p99_ms: r!.p99Ms, latency_min_ms: r!.minMs, achieved_gflops: r!.flopsPerSecond / 1e9 },
    notes: [`${r!.name} at ${r!.shapes}; FLOPs ${r!.flopsNote}; ±${r!.rmePercent.toFixed(1)} % (95 %) over ${r!.runs} runs`],
    result: { kind: 'micro', ...r! },
    settings,
  };
}

async function probeBenchmark({ iterations, warmup }: Extract<MicroUnitSettings, { iterations: number }>, ctx: Parameters<UnitExecutor>[1]): Promise<UnitOutcome> {
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
  const stats = summarize(times, 'ms');
  return {
    status: stats ? 'pass' : 'error',
    validity: NO_VALIDITY_RULES,
    metrics: {
      session_open_ms: openMs,
      latency_p50_ms: stats?.p50 ?? null,
      latency_p90_ms: stats?.p90 ?? null,
      latency_p99_ms: stats?.p99 ?? null,
      latency_mean_ms: stats?.avg ?? null,
      latency_min_ms: stats?.min ?? null,
      latency_max_ms: stats?.max ?? null,
      duration_s: times.reduce((a, b) => a + b, 0) / 1000,
    },
    notes: ['probe graph (one Add on float32[4]): measures per-run overhead, not compute'],
    result: { kind: 'micro', op: 'probe-add', iterations: times.length, warmup, latency: stats },
    settings: { iterations, warmup },
  };
}
