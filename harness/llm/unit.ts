// The suites' `llm` unit: runLlm on the unit's device and model, its headline metrics under the
// registry's names (reports/metrics.ts). Settings (all optional): batch, promptLen, genLen,
// requests, warmup, concurrency, rate, burstiness, slo ("ttft=…,tpot=…" or a preset), seed,
// timeoutMs, dtype, bandwidth, httpOverhead. Register in harness/run/units/index.ts as `llm: runLlmUnit`.
import { checkSettingKeys, settingName, type PlannedUnitSpec, type UnitExecutor } from '../run/units/types.js';
import { InputError } from '../errors.js';
import { DEFAULT_LLM_SETTINGS, overheadLine, runLlm, type LlmSettings } from './run.js';
import { parseSlo } from './slo.js';

const KEYS = ['batch', 'promptLen', 'genLen', 'requests', 'warmup', 'concurrency', 'rate', 'burstiness', 'slo', 'seed', 'timeoutMs', 'dtype', 'bandwidth', 'httpOverhead'];

/**
 * The unit's LlmSettings from its suite settings; every wrong key or value is bad input (exit 2).
 * `npuval run` also calls it while planning, so a typo fails before any unit runs.
 */
export function llmUnitSettings(unit: PlannedUnitSpec, seed: number): LlmSettings {
  if (!unit.device) throw new InputError(`llm unit ${unit.id} needs a device`);
  const s = unit.spec.settings ?? {};
  checkSettingKeys(unit.id, s, KEYS);
  const num = (key: string, fallback: number | null): number | null => {
    const v = s[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number') throw new InputError(`${settingName(unit.id, key)} must be a number`);
    return v;
  };
  if (s.slo !== undefined && typeof s.slo !== 'string') throw new InputError(`${settingName(unit.id, 'slo')} must be a string such as "ttft=500,tpot=30" or a preset`);
  if (s.dtype !== undefined && s.dtype !== 'float32' && s.dtype !== 'float16') throw new InputError(`${settingName(unit.id, 'dtype')} must be "float32" or "float16"`);
  for (const key of ['bandwidth', 'httpOverhead']) {
    if (s[key] !== undefined && typeof s[key] !== 'boolean') throw new InputError(`${settingName(unit.id, key)} must be true or false`);
  }
  const settings: LlmSettings = {
    ...DEFAULT_LLM_SETTINGS,
    device: unit.device, model: unit.model, seed: num('seed', seed)!,
    batch: num('batch', 1)!, promptLen: num('promptLen', DEFAULT_LLM_SETTINGS.promptLen)!, genLen: num('genLen', DEFAULT_LLM_SETTINGS.genLen)!,
    requests: num('requests', DEFAULT_LLM_SETTINGS.requests)!, warmup: num('warmup', DEFAULT_LLM_SETTINGS.warmup)!,
    concurrency: num('concurrency', null), rate: num('rate', null), burstiness: num('burstiness', 1)!,
    timeoutMs: num('timeoutMs', DEFAULT_LLM_SETTINGS.timeoutMs)!,
    slo: typeof s.slo === 'string' ? parseSlo(s.slo, settingName(unit.id, 'slo')) : null,
    dtype: s.dtype === 'float16' ? 'float16' : 'float32',
    bandwidth: s.bandwidth !== false,
    httpOverhead: s.httpOverhead !== false,
  };
  return settings;
}

export const runLlmUnit: UnitExecutor = async (unit, ctx) => {
  const settings = llmUnitSettings(unit, ctx.seed);
  const report = await runLlm(settings, { journal: ctx.journal, signal: ctx.signal });
  const point = report.points[report.points.length - 1]!;
  const r = point.summary;
  const verdict = r.slo;
  const notes: string[] = [...report.notes, ...Object.entries(r.errors).map(([e, c]) => `${c} request(s) failed: ${e}`)];
  if (r.usageMismatches) notes.push(`${r.usageMismatches} request(s) where the server's usage count differs from the client's`);
  if (report.httpOverhead) notes.push(overheadLine(report.httpOverhead));
  if (point.split?.rooflineRatio != null) notes.push(`decode at ${(point.split.rooflineRatio * 100).toFixed(0)} % of the measured memory-bandwidth roofline; prefill ${point.split.prefillTflops?.toFixed(4)} TFLOP/s (analytic FLOPs / measured time)`);
  return {
    status: r.failed > 0 || (verdict !== null && !verdict.met) ? 'fail' : 'pass',
    validity: verdict
      ? { valid: verdict.met, checks: [{ name: `SLO (${verdict.slo.source})`, passed: verdict.met, detail: verdict.met ? `p${verdict.slo.percentile} within bounds` : verdict.reasons.join('; ') }], reasons: [...verdict.reasons] }
      : { valid: null, checks: [], reasons: [] },
    metrics: {
      ttft_p50_ms: r.ttft?.p50 ?? null, ttft_p99_ms: r.ttft?.p99 ?? null, tpot_p50_ms: r.tpot?.p50 ?? null, tpot_p99_ms: r.tpot?.p99 ?? null,
      e2e_p50_ms: r.e2e?.p50 ?? null, e2e_p99_ms: r.e2e?.p99 ?? null, icl_p99_ms: r.icl?.p99 ?? null,
      output_tokens_per_second: r.outputTokensPerS, requests_per_second: r.requestsPerS, goodput_rps: verdict?.goodputRps ?? null,
      query_count: r.succeeded, duration_s: r.durationS,
    },
    notes,
    result: { kind: 'llm', ...(report as unknown as Record<string, unknown>) },
    settings: settings as unknown as Record<string, unknown>,
  };
};
