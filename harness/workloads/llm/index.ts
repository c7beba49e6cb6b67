// The `llm` workload: LLM generation (harness/llm) on the unit's device — in-process on an ONNX
// decoder, or an OpenAI-compatible endpoint — with TTFT/TPOT/ICL/E2E, tokens/s and goodput under
// the registry's names, taken from the last point of the run (the only one unless it sweeps).
import { InputError } from '../../errors.js';
import { DEFAULT_LLM_SETTINGS, overheadLine, runLlm, type LlmReport, type LlmSettings } from '../../llm/run.js';
import { BALANCES } from '../../llm/pool.js';
import { parseSlo, SLO_PRESETS } from '../../llm/slo.js';
import { arrayOf, nullable, type Schema, str } from '../../../reports/schemas/common.js';
import type { Resolved } from '../settings.js';
import { computeMetrics, type MetricBinding, type Params, type Workload } from '../types.js';

const D = DEFAULT_LLM_SETTINGS;
const count = (dflt: number | null, doc: string, flag: string, extra: { min?: number; max?: number; unit?: string } = {}) =>
  ({ type: 'integer', default: dflt, min: extra.min ?? 1, max: extra.max ?? 1_000_000, unit: extra.unit, flag, doc }) as const;
const sweep = (doc: string, flag: string) => ({ type: 'integers', default: null, min: 1, max: 1_000_000, flag, doc }) as const;

const SETTINGS = {
  batch: count(D.batch, "In-process: static batch size, or the engine's max batch under concurrency/rate load", 'batch', { max: 4096 }),
  sweepBatch: sweep('In-process: batch sizes run in turn', 'sweep-batch'),
  promptLen: count(D.promptLen, 'Prompt tokens (seeded synthetic ids; token-id prompts to endpoints on /v1/completions)', 'prompt-len', {
    unit: 'tokens',
  }),
  genLen: count(D.genLen, 'Output tokens per request (max_tokens with ignore_eos/min_tokens)', 'gen-len', { unit: 'tokens' }),
  sweepPromptLen: sweep('Prompt lengths run in turn', 'sweep-prompt-len'),
  sweepGenLen: sweep('Generation lengths run in turn', 'sweep-gen-len'),
  requests: count(D.requests, 'Measured requests per point', 'requests', { unit: 'requests' }),
  warmup: count(D.warmup, 'Warm-up requests per point (not recorded)', 'warmup-requests', { min: 0, unit: 'requests' }),
  concurrency: count(null, 'Closed-loop concurrency (with rate: the cap on requests in flight)', 'concurrency', { max: 100_000 }),
  rate: {
    type: 'number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 1e6,
    allowInfinity: true,
    unit: 'requests/s',
    flag: 'rate',
    doc: 'Request rate with gamma-distributed gaps (CLI: inf sends all at once)',
    flagParse: (text: string, where: string) => {
      const v = text === 'inf' ? Infinity : Number(text);
      if (!(v > 0)) throw new InputError(`${where} ${text} is not a positive number of requests/s or inf`);
      return v;
    },
  },
  burstiness: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    max: 1000,
    flag: 'burstiness',
    doc: 'Gamma shape of the gaps: 1 = Poisson, < 1 burstier, > 1 more regular',
  },
  sweepConcurrency: sweep('Concurrencies run in turn', 'sweep-concurrency'),
  slo: {
    type: 'string',
    default: null,
    flag: 'slo',
    doc: `Goodput objectives in ms, ttft=…,tpot=…,e2e=…[,p=99] (p: the percentile, 99 or 0.99 alike; default 99), or a preset: ${Object.keys(SLO_PRESETS).join(', ')}`,
  },
  slaSearch: {
    type: 'string',
    default: null,
    values: ['concurrency', 'rate'],
    flag: 'sla-search',
    doc: 'Find the largest concurrency or rate whose percentiles meet slo',
  },
  slaMax: count(D.slaMax, 'Upper end of the SLA search', 'sla-max'),
  seed: { type: 'integer', default: null, min: 0, max: 2 ** 31 - 1, doc: "Seed of prompts and arrival gaps (default: the run's seed)" },
  timeoutMs: {
    type: 'number',
    default: D.timeoutMs,
    min: 0,
    exclusiveMin: true,
    max: 86_400_000,
    unit: 'ms',
    flag: 'timeout',
    flagScale: 1000,
    flagUnit: 's',
    doc: 'Per-request timeout (the request is cancelled and counted as failed)',
  },
  countTokens: {
    type: 'string',
    default: 'chunks',
    values: ['chunks', 'words'],
    flag: 'count-tokens',
    doc: 'Client-side token count: non-empty content chunks, or whitespace-separated words',
  },
  promptFile: {
    type: 'string',
    default: null,
    flag: 'prompt-file',
    doc: 'JSONL of {"prompt": "text" | [token ids]} used in turn instead of synthetic prompts',
  },
  dtype: { type: 'string', default: 'float32', values: ['float32', 'float16'], flag: 'dtype', doc: 'Zoo model precision' },
  bandwidth: {
    type: 'boolean',
    default: true,
    flag: 'bandwidth',
    doc: 'Measure memory bandwidth for the decode roofline (in-process; --no-bandwidth skips)',
  },
  httpOverhead: {
    type: 'boolean',
    default: true,
    flag: 'http-overhead',
    doc: 'Endpoints: measure the HTTP overhead first (--no-http-overhead skips)',
  },
  endpoints: {
    type: 'strings',
    default: null,
    doc: "More endpoint devices the one load is spread over besides the unit's device (CLI: repeat --device)",
  },
  balance: {
    type: 'string',
    default: 'round-robin',
    values: BALANCES,
    flag: 'balance',
    doc: 'How a load over several endpoints picks one per request: in turn, or the one with the fewest requests in flight',
  },
} as const;

type S = typeof SETTINGS;

const num = nullable({ type: 'number' });
/** One endpoint's part of a load spread over several (run.ts EndpointShare). */
const ENDPOINT_SHARE: Schema = {
  type: 'object',
  properties: {
    device: str,
    requests: { type: 'integer', minimum: 0 },
    succeeded: { type: 'integer', minimum: 0 },
    failed: { type: 'integer', minimum: 0 },
    outputTokens: { type: 'integer', minimum: 0 },
    outputTokensPerS: num,
    ttftP50Ms: num,
    ttftP99Ms: num,
    tpotP50Ms: num,
    tpotP99Ms: num,
  },
  required: [
    'device',
    'requests',
    'succeeded',
    'failed',
    'outputTokens',
    'outputTokensPerS',
    'ttftP50Ms',
    'ttftP99Ms',
    'tpotP50Ms',
    'tpotP99Ms',
  ],
  additionalProperties: false,
};

interface LlmParams extends Params<S> {
  readonly llm: Omit<LlmSettings, 'seed' | 'device'> & { readonly seed: number | null };
}

type Point = LlmReport['points'][number]['summary'];

const METRICS: readonly MetricBinding<Point>[] = [
  { name: 'ttft_p50_ms', compute: (r) => r.ttft?.p50 ?? null },
  { name: 'ttft_p99_ms', compute: (r) => r.ttft?.p99 ?? null },
  { name: 'tpot_p50_ms', compute: (r) => r.tpot?.p50 ?? null },
  { name: 'tpot_p99_ms', compute: (r) => r.tpot?.p99 ?? null },
  { name: 'e2e_p50_ms', compute: (r) => r.e2e?.p50 ?? null },
  { name: 'e2e_p99_ms', compute: (r) => r.e2e?.p99 ?? null },
  { name: 'icl_p99_ms', compute: (r) => r.icl?.p99 ?? null },
  { name: 'output_tokens_per_second', compute: (r) => r.outputTokensPerS },
  { name: 'requests_per_second', compute: (r) => r.requestsPerS },
  { name: 'goodput_rps', compute: (r) => r.slo?.goodputRps ?? null },
  { name: 'query_count', compute: (r) => r.succeeded },
  { name: 'duration_s', compute: (r) => r.durationS },
];

function llmSettings(unitModel: string | null, s: Resolved<S>, where: (k: string) => string): LlmParams['llm'] {
  return {
    ...DEFAULT_LLM_SETTINGS,
    model: unitModel,
    dtype: s.dtype as LlmSettings['dtype'],
    batch: s.batch,
    sweepBatch: s.sweepBatch,
    promptLen: s.promptLen,
    genLen: s.genLen,
    sweepPromptLen: s.sweepPromptLen,
    sweepGenLen: s.sweepGenLen,
    requests: s.requests,
    warmup: s.warmup,
    concurrency: s.concurrency,
    rate: s.rate,
    burstiness: s.burstiness,
    sweepConcurrency: s.sweepConcurrency,
    slaSearch: s.slaSearch as LlmSettings['slaSearch'],
    slaMax: s.slaMax,
    slo: s.slo !== null ? parseSlo(s.slo, where('slo')) : null,
    seed: s.seed,
    timeoutMs: s.timeoutMs,
    counter: s.countTokens as LlmSettings['counter'],
    promptFile: s.promptFile,
    bandwidth: s.bandwidth,
    httpOverhead: s.httpOverhead,
    endpoints: s.endpoints,
    balance: s.balance as LlmSettings['balance'],
  };
}

export const llmWorkload: Workload<S, LlmParams> = {
  kind: 'llm',
  summary:
    'LLM generation: TTFT, TPOT, ICL, E2E, tokens/s and goodput, in-process (prefill/decode split, roofline) or against an OpenAI-compatible endpoint',
  settings: SETTINGS,
  fields: { model: 'optional' },
  needsDevice: true,
  runsOnServedModels: true,
  name: (u) => `llm${u.model ? `:${u.model}` : ''}${u.settings?.batch !== undefined ? `:b${String(u.settings.batch)}` : ''}`,
  title: (u) => `LLM ${u.model ?? ''}`.trim(),
  resolve(unit, settings, plan) {
    const where = (k: string) => `unit ${plan.unitId}: setting "${k}"`;
    if (settings.slaSearch !== null && settings.slo === null) throw new InputError(`${where('slaSearch')} needs an slo to search against`);
    return { unit, settings, llm: llmSettings(unit.model ?? null, settings, where) };
  },
  // The decoder is built and hashed once by the orchestrator (presets over 2 GB through the model cache); an
  // endpoint serves its own model, so nothing is built for it and the name only picks the prompt vocabulary.
  // The endpoints a load is spread over are created (and probed, and listed in the report) by the orchestrator.
  needs: (p) => ({ models: p.llm.model ? [{ name: p.llm.model, dtype: p.llm.dtype }] : [], devices: p.llm.endpoints ?? [] }),
  async run(p, ctx) {
    const settings: LlmSettings = { ...p.llm, device: ctx.device!.id, seed: p.llm.seed ?? ctx.seed };
    const modelSource = ctx.device!.capabilities.tensors && p.llm.model ? ctx.model(p.llm.model).source : undefined;
    const others = (p.llm.endpoints ?? []).map((spec) => ctx.otherDevice(spec));
    const report = await runLlm(settings, {
      device: ctx.device!,
      others,
      modelSource,
      journal: ctx.journal,
      signal: ctx.signal,
      log: ctx.log,
    });
    const point = report.points[report.points.length - 1]!;
    const r = point.summary;
    const verdict = r.slo;
    const notes: string[] = [...report.notes, ...Object.entries(r.errors).map(([e, c]) => `${c} request(s) failed: ${e}`)];
    if (r.usageMismatches) notes.push(`${r.usageMismatches} request(s) where the server's usage count differs from the client's`);
    if (report.httpOverhead) notes.push(overheadLine(report.httpOverhead));
    if (point.split?.rooflineRatio != null) {
      notes.push(
        `decode at ${(point.split.rooflineRatio * 100).toFixed(0)} % of the measured memory-bandwidth roofline; prefill ${point.split.prefillTflops?.toFixed(4)} TFLOP/s (analytic FLOPs / measured time)`,
      );
    }
    const failed = report.points.some((x) => x.summary.failed > 0) || (report.sla !== null && report.sla.best === null);
    return {
      status: failed || (verdict !== null && !verdict.met) ? 'fail' : 'pass',
      validity: verdict
        ? {
            valid: verdict.met,
            checks: [
              {
                name: `SLO (${verdict.slo.source})`,
                passed: verdict.met,
                detail: verdict.met ? `p${verdict.slo.percentile} within bounds` : verdict.reasons.join('; '),
              },
            ],
            reasons: [...verdict.reasons],
          }
        : { valid: null, checks: [], reasons: [] },
      metrics: computeMetrics(METRICS, r),
      notes,
      result: { kind: 'llm', ...(report as unknown as Record<string, unknown>) },
    };
  },
  resultSchema: {
    type: 'object',
    properties: {
      device: { type: 'object' },
      model: { type: 'object' },
      points: arrayOf({
        type: 'object',
        properties: { label: str, summary: { type: 'object' }, endpoints: nullable(arrayOf(ENDPOINT_SHARE)) },
        required: ['label', 'summary'],
      }),
      sla: nullable({ type: 'object' }),
      cluster: nullable({
        type: 'object',
        properties: { devices: arrayOf(str), balance: { enum: [...BALANCES] } },
        required: ['devices', 'balance'],
        additionalProperties: false,
      }),
      notes: arrayOf(str),
    },
    required: ['device', 'model', 'points', 'notes'],
  },
  headline: ['ttft_p99_ms', 'tpot_p99_ms', 'output_tokens_per_second', 'goodput_rps'],
};
